"""What a picture shows: the bodies of a frame, their aggregates, contacts and local order.

Bodies are read from a HOOMD-schema GSD frame (``docs/gsd_schema.md``) with the analysis' body
loader, one particle per rigid body with its orientation (body frame to box frame) and its
shape mesh from ``particles/type_shapes``. Aggregates, contact clusters and solid-like bonds
come from the structure analysis (:func:`mesocrystal.analysis.compute_descriptors`, or its
stored per-body results), and are turned into colours here:

* **by aggregate** (:func:`cluster_colors`): each aggregate of the classifier has its own
  colour, largest first; bodies outside aggregates are pale grey. Without any aggregate, the
  clusters of the contact network are coloured instead.
* **by local order** (:func:`local_order_colors`): the number of solid-like bonds of each body
  (ten Wolde criterion as used by the classifier;
  :data:`mesocrystal.analysis.bondorder.SOLID_BONDS` or more make a body
  solid-like).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import freud
import gsd.hoomd
import matplotlib.colors as mcolors
import numpy as np
import rowan
from matplotlib import colormaps
from scipy import sparse
from scipy.sparse import csgraph

from mesocrystal.analysis.io import BodySystem, load_bodies

from . import style
from .meshes import Mesh, mesh_from_shape

#: Most solid-like bonds distinguished by the local-order colour scale.
MAX_SOLID_BONDS = 12

#: Smallest contact cluster coloured in a picture of a frame without aggregates.
MIN_CLUSTER_SHOWN = 2


@dataclasses.dataclass
class Bodies(BodySystem):
    """The bodies of one frame as the analysis reads them, with the mesh of each type.

    All attributes of :class:`~mesocrystal.analysis.io.BodySystem`, plus:

    Attributes
    ----------
    meshes : list of Mesh
        Body-frame mesh of each type (indexed by ``typeid``).
    """

    meshes: list = dataclasses.field(default_factory=list)

    def shape_names(self) -> str:
        """Plain-language description of the body shapes, e.g. ``"platelets"``."""
        names = sorted({_shape_name(m) for m in self.meshes})
        return " and ".join(names)


def _shape_name(mesh: Mesh) -> str:
    ext = np.sort(np.ptp(mesh.vertices, axis=0))
    if mesh.smooth and ext[2] - ext[0] < 0.05 * ext[2]:
        return "spheres"
    if mesh.smooth:
        return "ellipsoids"
    if ext[0] < 0.5 * ext[1]:
        return "platelets"
    return "polyhedra"


def bodies_from_frame(frame: gsd.hoomd.Frame) -> Bodies:
    """Body centres and free particles of a HOOMD-schema frame with their shape meshes.

    The bodies are those the analysis reads (:func:`mesocrystal.analysis.io.load_bodies`:
    constituent particles of rigid bodies left out, centres wrapped into the box); the body
    shape is drawn at its centre. Types without a usable ``particles/type_shapes`` entry are
    drawn as spheres of their ``particles/diameter``.

    Raises
    ------
    mesocrystal.analysis.io.FrameError
        If the frame holds no bodies or cannot be analysed.
    """
    system = load_bodies(frame)
    p = frame.particles
    n_all = int(p.N)
    diameters = np.asarray(p.diameter if p.diameter is not None else np.ones(n_all))
    diameters = diameters[system.particle_index]
    shapes = list(p.type_shapes or [])
    meshes = []
    for t in range(len(system.types)):
        spec = shapes[t] if t < len(shapes) else None
        members = system.typeid == t
        d = float(np.median(diameters[members])) if np.any(members) else 1.0
        meshes.append(mesh_from_shape(spec, diameter=d))
    fields = {f.name: getattr(system, f.name) for f in dataclasses.fields(system)}
    return Bodies(**fields, meshes=meshes)


@dataclasses.dataclass
class Membership:
    """Aggregates, contact clusters and local order of the bodies (indices of :class:`Bodies`).

    Attributes
    ----------
    aggregate_id : numpy.ndarray
        ``(N,)`` aggregate of each body (0 = largest), -1 outside aggregates.
    cluster_id : numpy.ndarray
        ``(N,)`` connected component of the contact network (0 = largest; monomers included).
    solid_bonds : numpy.ndarray
        ``(N,)`` number of solid-like bonds (largest over the bond-order degrees tested).
    bonds : numpy.ndarray
        ``(M, 2)`` contacts ``i < j``.
    """

    aggregate_id: np.ndarray
    cluster_id: np.ndarray
    solid_bonds: np.ndarray
    bonds: np.ndarray

    @property
    def n_aggregates(self) -> int:
        """Number of aggregates."""
        return int(self.aggregate_id.max() + 1) if len(self.aggregate_id) else 0

    def largest(self) -> tuple[np.ndarray, str]:
        """Indices of the largest aggregate, or of the largest contact cluster if there is none.

        Returns
        -------
        tuple of (numpy.ndarray, str)
            Body indices and ``"aggregate"`` or ``"contact cluster"``.
        """
        if self.n_aggregates:
            return np.flatnonzero(self.aggregate_id == 0), "aggregate"
        return np.flatnonzero(self.cluster_id == 0), "contact cluster"


def _ranked_components(n: int, bonds: np.ndarray) -> np.ndarray:
    graph = sparse.coo_matrix((np.ones(len(bonds)), (bonds[:, 0], bonds[:, 1])), shape=(n, n))
    _, comp = csgraph.connected_components(graph, directed=False)
    sizes = np.bincount(comp)
    order = np.argsort(-sizes, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[comp]


def membership(frame: gsd.hoomd.Frame, bodies: Bodies, stored: dict | None = None) -> Membership:
    """Aggregates, contacts and solid-like bonds of a frame from the structure analysis.

    Parameters
    ----------
    frame : gsd.hoomd.Frame
        The frame.
    bodies : Bodies
        Its bodies (:func:`bodies_from_frame`); results are mapped to their indices.
    stored : dict, optional
        Per-body record of this frame written by :func:`mesocrystal.analysis.analyze_trajectory`
        (:func:`mesocrystal.analysis.perbody.load_frame`); the frame is analysed only when it is
        None.

    Returns
    -------
    Membership
        Per-body results of :func:`mesocrystal.analysis.compute_descriptors`.
    """
    if stored is None:
        from mesocrystal import analysis
        from mesocrystal.analysis import perbody

        desc, per = analysis.compute_descriptors(frame, per_body=True, whole_frame_bond_order=True)
        stored = perbody.frame_record(per, desc.step)
    n = bodies.n
    lookup = np.full(int(bodies.particle_index.max()) + 1, -1)
    lookup[bodies.particle_index] = np.arange(n)
    src = np.asarray(stored["particle_index"])
    inside = src < len(lookup)
    mine = np.full(len(src), -1)
    mine[inside] = lookup[src[inside]]
    ok = mine >= 0

    aggregate_id = np.full(n, -1)
    aggregate_id[mine[ok]] = np.asarray(stored["aggregate_id"])[ok]
    solid = np.zeros(n, dtype=int)
    counts = np.asarray(stored["solid_bonds"]).reshape(len(src), -1).max(axis=1)
    solid[mine[ok]] = counts[ok]
    pairs_in = np.asarray(stored["bonds"], dtype=np.int64).reshape(-1, 2)
    i, j = mine[pairs_in[:, 0]], mine[pairs_in[:, 1]]
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    pairs = (lo >= 0) & (lo != hi)
    bonds = np.column_stack([lo[pairs], hi[pairs]]).astype(np.int64).reshape(-1, 2)
    return Membership(
        aggregate_id=aggregate_id,
        cluster_id=_ranked_components(n, bonds),
        solid_bonds=solid,
        bonds=bonds,
    )


def _stored(per_body: str | os.PathLike | None, gsd_path, frame: int) -> dict | None:
    """Stored per-body record of ``frame`` (non-negative), or None."""
    if per_body is None:
        return None
    from mesocrystal.analysis import perbody

    return perbody.load_frame(per_body, gsd_path, frame)


def cluster_colors(member: Membership, free_alpha: float = 0.45) -> np.ndarray:
    """``(N, 4)`` RGBA colours by aggregate (or by contact cluster if there is no aggregate).

    Aggregates cycle through :data:`style.CLUSTER_COLORS`, largest first. Without aggregates,
    the largest contact clusters of at least :data:`MIN_CLUSTER_SHOWN` bodies get one colour
    each (as many as the palette has). Other bodies are pale grey with alpha ``free_alpha``.
    """
    ids = member.aggregate_id if member.n_aggregates else member.cluster_id.copy()
    if not member.n_aggregates:
        sizes = np.bincount(ids)
        shown = (sizes[ids] >= MIN_CLUSTER_SHOWN) & (ids < len(style.CLUSTER_COLORS))
        ids = np.where(shown, ids, -1)
    palette = np.array([mcolors.to_rgba(c) for c in style.CLUSTER_COLORS])
    colors = np.tile(mcolors.to_rgba(style.FREE_COLOR, free_alpha), (len(ids), 1))
    colors[ids >= 0] = palette[ids[ids >= 0] % len(palette)]
    return colors


def local_order_colors(solid_bonds: np.ndarray) -> tuple[np.ndarray, mcolors.Colormap]:
    """``(N, 4)`` colours of the number of solid-like bonds, and the discrete colormap used."""
    cmap = _solid_bond_cmap()
    values = np.clip(solid_bonds, 0, MAX_SOLID_BONDS)
    return cmap(values / MAX_SOLID_BONDS), cmap


def _solid_bond_cmap() -> mcolors.Colormap:
    """Viridis in :data:`MAX_SOLID_BONDS` + 1 steps (0 bonds dark blue, 12 yellow)."""
    levels = 0.05 + 0.9 * np.arange(MAX_SOLID_BONDS + 1) / MAX_SOLID_BONDS
    return mcolors.ListedColormap(colormaps["viridis"](levels))


def unwrap(bodies: Bodies, members: np.ndarray, bonds: np.ndarray) -> np.ndarray:
    """Positions of ``members`` made contiguous across periodic boundaries [nm].

    Walks the contact network from the first member (breadth first) and places each body at the
    minimum-image displacement from the body it was reached from; members not connected to the
    first are placed at their minimum image from it.

    Returns
    -------
    numpy.ndarray
        ``(len(members), 3)`` unwrapped positions.
    """
    pos = bodies.positions[members]
    m = len(members)
    local = np.full(bodies.n, -1)
    local[members] = np.arange(m)
    pairs = local[np.asarray(bonds, dtype=np.int64).reshape(-1, 2)]
    pairs = pairs[np.all(pairs >= 0, axis=1)]
    graph = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    graph = graph.tocsr()
    order, pred = csgraph.breadth_first_order(graph, 0, directed=False, return_predecessors=True)
    out = pos.copy()
    placed = np.zeros(m, dtype=bool)
    placed[0] = True
    for node in order[1:]:
        parent = pred[node]
        out[node] = out[parent] + bodies.box.wrap(pos[node] - pos[parent])
        placed[node] = True
    rest = np.flatnonzero(~placed)
    if len(rest):
        out[rest] = out[0] + bodies.box.wrap(pos[rest] - pos[0])
    return out


def _director_of(orientations: np.ndarray) -> np.ndarray:
    """``(3,)`` nematic director of the body z axes (:class:`freud.order.Nematic`)."""
    axes = rowan.rotate(orientations, np.array([0.0, 0.0, 1.0]))
    nematic = freud.order.Nematic()
    nematic.compute(axes)
    director = np.asarray(nematic.director, dtype=np.float64)
    return director / np.linalg.norm(director)


def _anisotropic(meshes: Sequence[Mesh]) -> bool:
    for m in meshes:
        ext = np.ptp(m.vertices, axis=0)
        if ext.max() - ext.min() > 0.1 * ext.max():
            return True
    return False
