"""Stacks of platelets: which bodies lie face to face, in how many layers, and how well in
registry.

A pair of platelets in contact (:func:`analysis.aggregation.contact_network`) is *stacked* when
their normals (the body-frame z axes, the short axes of the platelets) are parallel within
:data:`STACK_ANGLE_DEG`, one lies on the other (their centres at least half a thickness apart
along the normal) and their faces overlap (lateral offset below :data:`STACK_OFFSET` widths).
*Stacks* are the connected components of stacked pairs (columns of platelets); a
*mesocrystal* is a contact cluster of at least two bodies, however its bodies touch.

For each mesocrystal (:class:`StackOrder`):

* **nematic order** :math:`S` of the platelet normals and the director (the largest
  eigenvalue and its eigenvector of :math:`Q = \\langle \\tfrac32 n n^T - \\tfrac12 I\\rangle`;
  :func:`analysis.orientation.nematic_order`);
* **stacking direction** and **layer spacing**: the strongest density wave along the director
  (:func:`analysis.layering.layering_along`), searched between 0.6 and 1.6 platelet thicknesses;
  its amplitude :math:`\\tau` is the smectic order parameter;
* **layer index** of each body: its phase along the stacking direction,
  :math:`\\mathrm{round}(k\\cdot(r - r_0)/2\\pi)`, counted from the lowest body;
* **registry** of stacked pairs: the lateral offset of their centres perpendicular to the
  normal of the first platelet of the pair, in units of the platelet width, and their twist
  about that normal (modulo the
  platelets' rotational symmetry, 90 degrees for squares). A pair is *in registry* when the
  offset is below :data:`REGISTRY_OFFSET` (the faces overlap by at least 75 %) and the twist
  below :data:`REGISTRY_TWIST_DEG`;
* **shape**: the principal extents and shape class of :func:`analysis.morphology.morphology_of`
  (cube, rod, sheet or blob);
* **roughness** of its largest faces: the AFM-like :math:`S_q` of
  :func:`analysis.roughness.scan_aggregate`, the same scan as for the nanoparticle stage
  (``docs/report.md``).

Lengths in nm.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import freud
import numpy as np
import rowan
from scipy import sparse
from scipy.sparse import csgraph

from . import layering
from .aggregation import ContactNetwork, contact_network
from .io import BodySystem, load_bodies
from .morphology import Morphology, morphology_of

#: Largest angle between two stacked platelets' normals [deg]: a face-to-face contact
#: tolerates a tilt of a third of the 45 degrees at which a face contact turns into an edge
#: contact.
STACK_ANGLE_DEG = 15.0
#: Largest lateral offset of a stacked pair, in platelet widths: the faces overlap by at least a
#: quarter of a width. A platelet of the next layer that sits beside, not on, another (the
#: neighbour of a layer of platelets tiled edge to edge, one width away) is not stacked on it,
#: even when thermal motion brings it a little closer.
STACK_OFFSET = 0.75
#: Largest lateral offset of a pair in registry, in platelet widths (faces overlap >= 75 %).
REGISTRY_OFFSET = 0.25
#: Largest twist of a pair in registry [deg].
REGISTRY_TWIST_DEG = 10.0
#: Search range of the layer spacing along the director, in platelet thicknesses.
SPACING_RANGE = layering.DIRECTOR_SPACING_RANGE


@dataclasses.dataclass
class StackOrder:
    """Layer order of one mesocrystal (one contact cluster of platelets).

    Attributes
    ----------
    bodies : numpy.ndarray
        ``(M,)`` body indices.
    positions : numpy.ndarray
        ``(M, 3)`` their positions made whole across the periodic boundaries (nm).
    layer : numpy.ndarray
        ``(M,)`` layer index of each body (0 = lowest along the stacking direction).
    n_layers : int
        Number of occupied layers.
    nematic_order : float
        :math:`S` of the platelet normals.
    stacking_direction : numpy.ndarray
        ``(3,)`` unit layer normal.
    layer_spacing : float
        Distance between layers (nm).
    layer_amplitude : float
        Density-wave amplitude :math:`\\tau` (0-1).
    stacked_pairs : int
        Face-to-face contacts inside the mesocrystal.
    registry_offset : float
        Mean lateral offset of stacked pairs, in platelet widths (NaN without pairs).
    registry_twist_deg : float
        Mean twist of stacked pairs (NaN without pairs).
    registry_fraction : float
        Fraction of stacked pairs in registry (NaN without pairs).
    morphology : Morphology
        Principal extents and shape class.
    roughness : dict or None
        :meth:`analysis.roughness.Roughness.to_dict` of the AFM-like scan (None if not
        scanned).
    """

    bodies: np.ndarray
    positions: np.ndarray
    layer: np.ndarray
    n_layers: int
    nematic_order: float
    stacking_direction: np.ndarray
    layer_spacing: float
    layer_amplitude: float
    stacked_pairs: int
    registry_offset: float
    registry_twist_deg: float
    registry_fraction: float
    morphology: Morphology
    roughness: dict | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (without the per-body arrays; NaN becomes None)."""

        def num(x):
            x = float(x)
            return x if math.isfinite(x) else None

        return {
            "n_bodies": int(len(self.bodies)),
            "n_layers": int(self.n_layers),
            "nematic_order": num(self.nematic_order),
            "stacking_direction": [num(x) for x in self.stacking_direction],
            "layer_spacing_nm": num(self.layer_spacing),
            "layer_amplitude": num(self.layer_amplitude),
            "stacked_pairs": int(self.stacked_pairs),
            "registry_offset": num(self.registry_offset),
            "registry_twist_deg": num(self.registry_twist_deg),
            "registry_fraction": num(self.registry_fraction),
            "shape": self.morphology.to_dict(),
            "roughness": self.roughness,
        }


def normals(system: BodySystem) -> np.ndarray:
    """``(N, 3)`` platelet normals: the body-frame z axes in the lab frame."""
    return system.body_axes()


def stacked_pairs(
    system: BodySystem, network: ContactNetwork, width: float, thickness: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)`` with ``i < j`` of platelets in face-to-face contact: in contact, normals
    parallel within :data:`STACK_ANGLE_DEG`, one on top of the other (centre distance along the
    normal at least half a thickness) and faces overlapping (lateral offset below
    :data:`STACK_OFFSET` widths).

    Returns
    -------
    tuple of numpy.ndarray
        ``(P,)`` first and second body indices.
    """
    i, j = np.asarray(network.i, dtype=np.int64), np.asarray(network.j, dtype=np.int64)
    vec = np.asarray(network.vectors, dtype=np.float64)
    half = i < j
    i, j, vec = i[half], j[half], vec[half]
    n = normals(system)
    cos = math.cos(math.radians(STACK_ANGLE_DEG))
    parallel = np.abs(np.einsum("ij,ij->i", n[i], n[j])) >= cos
    along = np.abs(np.einsum("ij,ij->i", n[i], vec))
    lateral = np.sqrt(np.maximum((vec * vec).sum(axis=1) - along**2, 0.0))
    keep = parallel & (along >= 0.5 * thickness) & (lateral < STACK_OFFSET * width)
    return i[keep], j[keep]


def stack_sizes(
    system: BodySystem, network: ContactNetwork, width: float, thickness: float
) -> np.ndarray:
    """Sizes of the stacks (connected components of face-to-face pairs), decreasing,
    monomers included."""
    i, j = stacked_pairs(system, network, width, thickness)
    graph = sparse.coo_matrix((np.ones(len(i)), (i, j)), shape=(system.n, system.n))
    _, labels = csgraph.connected_components(graph, directed=False)
    return np.sort(np.bincount(labels))[::-1]


def _twist(q_i: np.ndarray, q_j: np.ndarray, axis: np.ndarray, symmetry: int) -> np.ndarray:
    """Twist angles [deg] of pairs about their ``(P, 3)`` axes, folded into
    ``[0, 180/symmetry]``."""
    x_i = rowan.rotate(q_i, np.array([1.0, 0.0, 0.0]))
    x_j = rowan.rotate(q_j, np.array([1.0, 0.0, 0.0]))
    x_i = x_i - np.einsum("ij,ij->i", x_i, axis)[:, None] * axis
    x_j = x_j - np.einsum("ij,ij->i", x_j, axis)[:, None] * axis
    cos = np.einsum("ij,ij->i", x_i, x_j)
    sin = np.einsum("ij,ij->i", np.cross(x_i, x_j), axis)
    angle = np.degrees(np.arctan2(sin, cos)) % (360.0 / symmetry)
    return np.minimum(angle, 360.0 / symmetry - angle)


def stack_order(
    system: BodySystem,
    network: ContactNetwork,
    mask: np.ndarray,
    width: float,
    thickness: float,
    symmetry: int = 4,
    scan: bool = False,
) -> StackOrder:
    """Layer order of the bodies selected by ``mask`` (one mesocrystal).

    Parameters
    ----------
    system : BodySystem
        Bodies.
    network : ContactNetwork
        Contacts.
    mask : numpy.ndarray
        ``(N,)`` booleans selecting the mesocrystal (at least 2 bodies).
    width, thickness : float
        Platelet width and thickness (nm).
    symmetry : int
        Rotational symmetry of the platelet about its normal (4: square).
    scan : bool
        Also scan its surface (:func:`analysis.roughness.scan_aggregate`).

    Returns
    -------
    StackOrder
    """
    from .orientation import nematic_order

    morph, idx, pos = morphology_of(system, network, mask)
    nem = nematic_order(system, np.asarray(mask, dtype=bool))
    director = np.asarray(nem.director, dtype=np.float64)
    lay = layering.layering_along(
        pos, director, (SPACING_RANGE[0] * thickness, SPACING_RANGE[1] * thickness)
    )
    k = lay.wavevector
    phase = (pos - pos.mean(axis=0)) @ k / (2.0 * math.pi)
    layer = np.round(phase - phase.min()).astype(np.int64)
    i, j = stacked_pairs(system, network, width, thickness)
    inside = np.zeros(system.n, dtype=bool)
    inside[idx] = True
    sel = inside[i] & inside[j]
    i, j = i[sel], j[sel]
    offset = twist = np.zeros(0)
    if len(i):
        vec = np.asarray(system.box.wrap(system.positions[j] - system.positions[i]))
        axis = normals(system)[i]  # the lower platelet's normal: the pair's own frame
        lateral = vec - np.einsum("ij,ij->i", vec, axis)[:, None] * axis
        offset = np.linalg.norm(lateral, axis=1) / width
        twist = _twist(system.orientations[i], system.orientations[j], axis, symmetry)
    in_reg = (offset < REGISTRY_OFFSET) & (twist < REGISTRY_TWIST_DEG)
    nan = float("nan")
    rough = None
    if scan:
        from .roughness import scan_aggregate

        rough = scan_aggregate(system, idx, pos, morph.box_axes, morph.center).to_dict()
    return StackOrder(
        bodies=idx,
        positions=pos,
        layer=layer,
        n_layers=int(len(np.unique(layer))),
        nematic_order=float(nem.order),
        stacking_direction=np.asarray(lay.direction, dtype=np.float64),
        layer_spacing=float(lay.spacing),
        layer_amplitude=float(lay.amplitude),
        stacked_pairs=int(len(i)),
        registry_offset=float(offset.mean()) if len(i) else nan,
        registry_twist_deg=float(twist.mean()) if len(i) else nan,
        registry_fraction=float(in_reg.mean()) if len(i) else nan,
        morphology=morph,
        roughness=rough,
    )


def platelet_dimensions(system: BodySystem) -> tuple[float, float]:
    """Width and thickness (nm) of the platelets: the extents of the first type's shape along
    the body-frame x and z axes (vertices plus rounding)."""
    span = system.shapes[0].extents
    return float(span[0]), float(span[2])


def analyse_frame(frame, min_bodies: int = 2) -> dict[str, Any]:
    """Stacks and mesocrystals of one frame of platelets.

    Parameters
    ----------
    frame : gsd.hoomd.Frame or BodySystem
        The frame.
    min_bodies : int
        Smallest contact cluster analysed as a mesocrystal.

    Returns
    -------
    dict
        ``stacked_fraction`` (bodies with at least one face-to-face contact),
        ``stack_sizes`` (``{size: count}`` of the columns), ``mesocrystals`` (the
        :meth:`StackOrder.to_dict` of every contact cluster of at least ``min_bodies``
        bodies, largest first; the largest also with its roughness), ``platelet_width_nm``
        and ``platelet_thickness_nm``, and for pictures ``_largest``: the
        :class:`StackOrder` of the largest mesocrystal (None without one).
    """
    system = frame if isinstance(frame, BodySystem) else load_bodies(frame)
    network = contact_network(system)
    width, thickness = platelet_dimensions(system)
    i, j = stacked_pairs(system, network, width, thickness)
    stacked = np.zeros(system.n, dtype=bool)
    stacked[i] = stacked[j] = True
    sizes = stack_sizes(system, network, width, thickness)
    # contact clusters
    clusters = freud.cluster.Cluster()
    clusters.compute((system.box, system.positions), neighbors=network.neighbor_list())
    cid = np.asarray(clusters.cluster_idx)
    counts = np.bincount(cid)
    order = np.argsort(-counts, kind="stable")
    mesocrystals = []
    largest = None
    for rank, c in enumerate(order):
        if counts[c] < min_bodies:
            break
        result = stack_order(system, network, cid == c, width, thickness, scan=rank == 0)
        if rank == 0:
            largest = result
        mesocrystals.append(result.to_dict())
    values, n_of = np.unique(sizes, return_counts=True)
    return {
        "n_bodies": int(system.n),
        "stacked_fraction": float(stacked.mean()),
        "stack_sizes": {int(v): int(c) for v, c in zip(values[::-1], n_of[::-1])},
        "mesocrystals": mesocrystals,
        "platelet_width_nm": width,
        "platelet_thickness_nm": thickness,
        "_largest": largest,
    }
