"""Orientational order of the body z axes (short axis / platelet normal).

The nematic order parameter :math:`S` is the largest eigenvalue of
:math:`Q = \\langle \\tfrac{3}{2} u u^T - \\tfrac{1}{2} I \\rangle` over the body axes :math:`u`
(the definition of :class:`freud.order.Nematic`); the director is its eigenvector. :math:`S = 1`
for perfectly aligned axes, :math:`S \\approx 0` (of order :math:`N^{-1/2}`) for isotropic ones.
In mean-field (Maier-Saupe) theory the isotropic-nematic transition happens at :math:`S = 0.43`.

:func:`nematic_tensor_order` forms the 3 x 3 tensor with one matrix product and diagonalises it
with :func:`numpy.linalg.eigh`: a few milliseconds for 10^5 bodies against 0.4 s of CPU time for
:class:`freud.order.Nematic`, which also stores a tensor per body; the two agree to single
precision (tested). The sign of a director is arbitrary; it is reported with its largest
component positive.
"""

from __future__ import annotations

import dataclasses

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
    order, director = nematic_tensor_order(system.body_axes()[mask])
    return NematicOrder(order, director, meaningful)


def nematic_tensor_order(axes: np.ndarray) -> tuple[float, np.ndarray]:
    """Nematic order parameter and director of a set of axes.

    Parameters
    ----------
    axes : numpy.ndarray
        ``(N, 3)`` axes (normalised here; N >= 1).

    Returns
    -------
    tuple of (float, numpy.ndarray)
        The largest eigenvalue :math:`S` of :math:`Q = \\tfrac{3}{2} \\langle u u^T \\rangle -
        \\tfrac{1}{2} I` and its ``(3,)`` unit eigenvector, largest component positive; equal to
        ``freud.order.Nematic().compute(axes)`` (order and director up to sign).
    """
    u = np.asarray(axes, dtype=np.float64)
    u = u / np.linalg.norm(u, axis=1)[:, None]
    q = 1.5 * np.einsum("na,nb->ab", u, u) / len(u) - 0.5 * np.eye(3)
    values, vectors = np.linalg.eigh(q)
    director = vectors[:, -1]
    director = director * np.sign(director[np.argmax(np.abs(director))])
    return float(values[-1]), director
