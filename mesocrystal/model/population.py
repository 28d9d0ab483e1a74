"""The population of bodies of a state point: size classes and the densest packing it allows.

Used by :mod:`mesocrystal.model.parameters` (to check a state point before anything is built)
and by :mod:`mesocrystal.model.system` (to build the body types). Lengths in nm.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtri

from mesocrystal.model.shapes import BodyShape, make_shape

#: Largest packing fraction that random sequential insertion of the initial configuration
#: reliably reaches for the shapes of this model (random sequential adsorption of spheres
#: saturates at 0.38; Widom, J. Chem. Phys. 44, 3888 (1966)).
MAX_INSERTION_PACKING = 0.35

#: Number of discrete size classes representing a polydisperse population.
N_SIZE_CLASSES = 5
#: Size classes of the parent particles of the reaction: they are sterically stable
#: spectators whose size only sets the excluded volume, so three classes suffice.
N_PARENT_CLASSES = 3

#: Densest packing of spheres (Kepler conjecture, Hales, Ann. Math. 162, 1065 (2005)).
SPHERE_DENSEST_PACKING = math.pi / (3.0 * math.sqrt(2.0))


def size_classes(cv: float, n: int, k: int = N_SIZE_CLASSES) -> tuple[np.ndarray, np.ndarray]:
    """Discrete size classes of a log-normal population with mean 1 and given CV.

    Class sizes sit at the log-normal quantiles ``(k + 1/2)/K``; their spread is then
    adjusted so that the count-weighted mean is exactly 1 and the coefficient of variation
    exactly ``cv``.

    Parameters
    ----------
    cv : float
        Coefficient of variation of the size (0 gives one class).
    n : int
        Number of bodies to split among the classes.
    k : int
        Number of classes.

    Returns
    -------
    scales : numpy.ndarray, shape (K,)
        Size of each class relative to the mean.
    counts : numpy.ndarray, shape (K,), int
        Bodies per class (sums to ``n``).
    """
    if cv <= 0.0:
        return np.ones(1), np.array([n])
    counts = np.full(k, n // k)
    for extra in range(n - counts.sum()):
        counts[(k // 2 + (extra + 1) // 2 * (-1) ** extra) % k] += 1
    w = counts / n
    z = ndtri((np.arange(k) + 0.5) / k)

    def cv_of(s):
        x = np.exp(s * z)
        mean = np.dot(w, x)
        return math.sqrt(np.dot(w, (x - mean) ** 2)) / mean - cv

    s = brentq(cv_of, 1e-9, 10.0)
    x = np.exp(s * z)
    return x / np.dot(w, x), counts


def shape_for(params, scale: float) -> BodyShape:
    """The body shape of the state point at ``scale`` times the mean core size.

    Parameters
    ----------
    params : mesocrystal.model.parameters.ModelParameters
        Resolved parameters (shape, core dimensions, shell and sites).
    scale : float
        Size of the body relative to the mean core size.
    """
    dims = tuple(x * scale for x in params.core_dimensions_nm)
    if params.shape == "platelet":
        dims = (dims[0], dims[1])
    return make_shape(
        params.shape,
        dims,
        shell_thickness=params.shell_nm,
        site_diameter=params.site_diameter_nm,
        site_spacing=params.site_spacing_nm,
        patchy=params.patchy,
        platelet_sides=params.platelet_sides,
    )


def max_packing_fraction(params) -> float:
    """Largest packing fraction accepted for these parameters.

    The densest packing of the steric envelope (spheres: Kepler; prisms: the envelope in its
    space-filling bounding prism lattice, a lower bound of the densest packing) capped at
    :data:`MAX_INSERTION_PACKING` for the random initial configuration.

    Parameters
    ----------
    params : mesocrystal.model.parameters.ModelParameters
        Resolved parameters.
    """
    if params.shape == "sphere":
        densest = SPHERE_DENSEST_PACKING
    else:
        shape = shape_for(params, 1.0)
        dims = np.ptp(np.asarray(shape.envelope.vertices), axis=0) + 2 * shape.site_radius
        if params.shape == "platelet" and params.platelet_sides == 6:
            prism = math.sqrt(3.0) / 2.0 * dims[1] ** 2 * dims[2]  # hexagonal tiling
        else:
            prism = float(np.prod(dims))
        densest = shape.envelope_volume / prism
    return min(densest, MAX_INSERTION_PACKING)
