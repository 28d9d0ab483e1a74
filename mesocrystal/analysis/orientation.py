"""Orientational order of the body z axes (short axis / platelet normal).

The nematic order parameter :math:`S` is the largest eigenvalue of
:math:`Q = \\langle \\tfrac{3}{2} u u^T - \\tfrac{1}{2} I \\rangle` over the body axes :math:`u`
(:class:`freud.order.Nematic`); the director is its eigenvector. :math:`S = 1` for perfectly
aligned axes, :math:`S \\approx 0` (of order :math:`N^{-1/2}`) for isotropic ones. In mean-field
(Maier-Saupe) theory the isotropic-nematic transition happens at :math:`S = 0.43`.
"""

from __future__ import annotations

import dataclasses

import freud
import numpy as np

from .io import BodySystem


@dataclasses.dataclass
class NematicOrder:
    """Nematic order of a set of body axes.

    Attributes
    ----------
    order : float
        Nematic order parameter :math:`S` (NaN when undefined).
    director : numpy.ndarray
        ``(3,)`` unit director (NaN when undefined).
    meaningful : bool
        Whether body orientations carry information (anisotropic shapes, or orientations stored
        for bodies whose shape is unknown).
    """

    order: float
    director: np.ndarray
    meaningful: bool


def orientation_is_meaningful(system: BodySystem) -> bool:
    """Whether the orientation of the bodies should be analysed.

    True for anisotropic shapes (even if all orientations are the identity: then all bodies are
    aligned), and for stored non-identity orientations when no shape is known.
    """
    if system.anisotropic:
        return True
    known = "type_shapes" in system.size_source
    return system.has_orientations and not known


def nematic_order(system: BodySystem, mask: np.ndarray) -> NematicOrder:
    """Nematic order of the body z axes of the selected bodies.

    Parameters
    ----------
    system : BodySystem
        Bodies.
    mask : numpy.ndarray
        ``(N,)`` booleans selecting bodies (aggregated bodies).

    Returns
    -------
    NematicOrder
        ``S`` and director; NaN if orientations are not meaningful or fewer than 2 bodies.
    """
    meaningful = orientation_is_meaningful(system)
    if not meaningful or np.count_nonzero(mask) < 2:
        return NematicOrder(float("nan"), np.full(3, np.nan), meaningful)
    axes = system.body_axes()[mask]
    nem = freud.order.Nematic()
    nem.compute(axes)
    director = np.asarray(nem.director, dtype=np.float64)
    director /= np.linalg.norm(director)
    return NematicOrder(float(nem.order), director, meaningful)
