"""Shape and size of aggregates: principal extents, a shape class, crystallite size.

**Principal extents.** The matter of an aggregate is the union of its bodies. Its gyration
tensor about the centre of mass,

.. math::

    S = \\frac{1}{N}\\sum_i \\left[(\\mathbf r_i - \\bar{\\mathbf r})
        (\\mathbf r_i - \\bar{\\mathbf r})^T + G_i\\right],

adds to the spread of the body centres each body's own gyration tensor :math:`G_i` (a solid
sphere of radius :math:`a`: :math:`a^2/5` on the diagonal; a solid polyhedron or ellipsoid: its
exact tensor, rotated into the lab frame). A uniform solid cuboid with edges :math:`L_k` has
eigenvalues :math:`L_k^2/12`, so the *principal extents* are the edges of the cuboid with the
same gyration tensor,

.. math:: L_k = \\sqrt{12\\,\\lambda_k}, \\qquad L_1 \\ge L_2 \\ge L_3,

along the eigenvectors of :math:`S`. A simple-cubic block of :math:`n` touching spheres of
diameter :math:`d` along an axis has :math:`L = d\\sqrt{n^2 - 0.4}`, within 1 % of its edge
:math:`n d` for :math:`n \\ge 4`. The *mesocrystal size* is :math:`L_1` of the largest aggregate
(the length of the paper's length x breadth, Bose et al., Nanoscale 17, 803 (2025)).

**Shape class.** Zingg's classification of particle form (Th. Zingg, Schweiz. Mineral.
Petrogr. Mitt. 15, 39 (1935)) compares the ratios :math:`L_2/L_1` and :math:`L_3/L_2` with
2/3: *equant* (both above), *oblate* (flat: only :math:`L_3/L_2` below), *prolate* (elongated:
only :math:`L_2/L_1` below) and *bladed* (both below). Zingg's ratios do not tell a cube from a
sphere, so the *box fill* is added: the volume of the convex hull of the body centres over the
volume of their oriented bounding box (:func:`oriented_box`; a cube's gyration tensor is
isotropic, so its principal axes cannot orient the box). A block of a lattice
fills its box (1), a ball :math:`\\pi/6 = 0.52`, a cylinder along an axis :math:`\\pi/4 =
0.79`; a body is *faceted* when the fill is at least :data:`FACETED_BOX_FILL` = 0.75, close to
halfway between a ball and a cube. The names:

=========  ===============================  =================================
Zingg      faceted (box fill >= 0.75)       rounded
=========  ===============================  =================================
equant     ``cuboid``                       ``blob``
oblate     ``sheet``                        ``disc``
prolate    ``rod``                          ``rod``
bladed     ``blade``                        ``blade``
=========  ===============================  =================================

**Crystallite size.** Solid-like bodies are those of the classifier's ten Wolde test
(:func:`analysis.bondorder.bond_order`: at least 6 bonds whose normalised :math:`q_{6m}` or
:math:`q_{8m}` product exceeds 0.7, as in ``freud.order.SolidLiquid``); a *crystallite* is a
connected set of solid-like bodies in contact. The crystallite size is :math:`L_1` of the
largest crystallite (0 when there is none), so that it reads on the same scale as the
mesocrystal size.

**Periodic boundaries.** Aggregates are made whole by walking their contact network and adding
each bond's minimum-image vector. An aggregate whose bonds cannot all be satisfied this way
wraps around the periodic box (it *percolates*); its extents are then those of one unwrapped
copy, bounded by the box, and it is flagged.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import coxeter
import freud
import numpy as np
import rowan
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import ConvexHull, QhullError

from .aggregation import ContactNetwork
from .io import BodySystem

#: Zingg's threshold of the axis ratios L2/L1 and L3/L2 (Zingg 1935).
ZINGG_RATIO = 2.0 / 3.0

#: Smallest box fill of a faceted aggregate: close to halfway between a ball (pi/6 = 0.52) and a
#: cube (1.0), above a cylinder (pi/4 = 0.79) only in name (cylinders are rods or discs unless
#: equant).
FACETED_BOX_FILL = 0.75

#: Shape names by Zingg class and faceting (see the module docstring).
SHAPE_NAMES = {
    ("equant", True): "cuboid",
    ("equant", False): "blob",
    ("oblate", True): "sheet",
    ("oblate", False): "disc",
    ("prolate", True): "rod",
    ("prolate", False): "rod",
    ("bladed", True): "blade",
    ("bladed", False): "blade",
}

#: Fewest solid-like bodies in one crystallite for a frame to hold a crystalline aggregate
#: (used for the time to the first crystal): a central body with a full first shell's worth of
#: neighbours (13). Jammed packings have 0.2 % solid-like bodies, which almost never form
#: connected sets of this size; crystal nuclei that grow are larger (of order 10^2 bodies for
#: Lennard-Jones at 20 % undercooling; ten Wolde, Ruiz-Montero and Frenkel, J. Chem. Phys. 104,
#: 9932 (1996)).
MIN_CRYSTAL_BODIES = 13


@dataclasses.dataclass(frozen=True)
class Morphology:
    """Shape and size of one set of bodies.

    Attributes
    ----------
    n_bodies : int
        Number of bodies.
    extents : numpy.ndarray
        ``(3,)`` principal extents :math:`L_1 \\ge L_2 \\ge L_3` (nm).
    axes : numpy.ndarray
        ``(3, 3)`` principal axes, one unit vector per row, in the order of ``extents``.
    center : numpy.ndarray
        ``(3,)`` centre of mass of the unwrapped bodies (nm; may lie outside the box).
    box_axes : numpy.ndarray
        ``(3, 3)`` axes of the oriented bounding box of the body centres (rows, by decreasing
        span; :func:`oriented_box`). ``box_axes[2]`` is the normal of the face the aggregate
        would rest on.
    box_spans : numpy.ndarray
        ``(3,)`` spans of the body centres along ``box_axes`` (nm).
    box_fill : float
        Convex-hull volume of the body centres over their oriented bounding-box volume (NaN for
        fewer than 4 bodies or coplanar centres).
    zingg : str
        ``"equant"``, ``"oblate"``, ``"prolate"`` or ``"bladed"``.
    shape : str
        Shape name (:data:`SHAPE_NAMES`); ``"none"`` for an empty set.
    percolating : bool
        Whether the bodies wrap around the periodic box.
    """

    n_bodies: int
    extents: np.ndarray
    axes: np.ndarray
    center: np.ndarray
    box_axes: np.ndarray
    box_spans: np.ndarray
    box_fill: float
    zingg: str
    shape: str
    percolating: bool

    @property
    def size(self) -> float:
        """Largest principal extent :math:`L_1` (nm)."""
        return float(self.extents[0])

    @classmethod
    def empty(cls) -> Morphology:
        """The morphology of no bodies (extents 0, shape ``"none"``)."""
        nan = float("nan")
        return cls(
            0,
            np.zeros(3),
            np.eye(3),
            np.zeros(3),
            np.eye(3),
            np.zeros(3),
            nan,
            "none",
            "none",
            False,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (NaN becomes ``None``)."""
        fill = float(self.box_fill)
        return {
            "n_bodies": int(self.n_bodies),
            "extents_nm": [float(x) for x in self.extents],
            "axes": [[float(x) for x in row] for row in self.axes],
            "box_spans_nm": [float(x) for x in self.box_spans],
            "box_fill": fill if np.isfinite(fill) else None,
            "zingg": self.zingg,
            "shape": self.shape,
            "percolating": bool(self.percolating),
        }


# -- body gyration tensors ----------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _polyhedron_gyration(vertices_key: bytes, n: int) -> np.ndarray:
    """Gyration tensor (nm^2) of a solid convex polyhedron about its centroid (coxeter)."""
    verts = np.frombuffer(vertices_key, dtype=np.float64).reshape(n, 3)
    poly = coxeter.shapes.ConvexPolyhedron(verts)
    # coxeter's inertia tensor is about the origin, for unit density
    inertia = np.asarray(poly.inertia_tensor) / poly.volume
    about_origin = 0.5 * np.trace(inertia) * np.eye(3) - inertia
    centroid = np.asarray(poly.centroid)
    return about_origin - np.outer(centroid, centroid)


def body_gyration(system: BodySystem, indices: np.ndarray) -> np.ndarray:
    """Gyration tensors of the selected bodies about their own centres, in the lab frame.

    Spheres: :math:`a^2/5`; ellipsoids: :math:`\\mathrm{diag}(a^2, b^2, c^2)/5`; convex
    polyhedra: exact (coxeter); spheropolyhedra add the sphere term
    of their rounding radius (exact for a sphere, an approximation otherwise).

    Parameters
    ----------
    system : BodySystem
        Bodies.
    indices : numpy.ndarray
        ``(M,)`` body indices.

    Returns
    -------
    numpy.ndarray
        ``(M, 3, 3)`` gyration tensors (nm^2).
    """
    indices = np.asarray(indices, dtype=np.int64)
    out = np.zeros((len(indices), 3, 3))
    tid = system.typeid[indices]
    for t, shape in enumerate(system.shapes):
        sel = np.flatnonzero(tid == t)
        if len(sel) == 0:
            continue
        k2 = system.scale[indices[sel]] ** 2
        local = np.eye(3) * shape.rounding_radius**2 / 5.0
        if shape.kind == "polyhedron":
            verts = np.ascontiguousarray(shape.vertices, dtype=np.float64)
            local = local + _polyhedron_gyration(verts.tobytes(), len(verts))
        elif shape.kind == "ellipsoid":
            local = local + np.diag(np.asarray(shape.semi_axes, dtype=np.float64) ** 2) / 5.0
        if shape.kind == "sphere":
            out[sel] = local[None] * k2[:, None, None]
            continue
        rot = rowan.to_matrix(system.orientations[indices[sel]])
        out[sel] = np.einsum("nab,bc,ndc->nad", rot, local, rot) * k2[:, None, None]
    return out


# -- unwrapping ---------------------------------------------------------------------------------
def unwrap(
    system: BodySystem, network: ContactNetwork, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Positions of the selected bodies made whole across the periodic boundaries.

    Each connected component of the contact network among the selected bodies is walked
    breadth first from one body; every other body is placed at its parent's position plus the
    bond's minimum-image vector. Components are placed by the minimum image of their first body
    relative to the first body of the largest component.

    Parameters
    ----------
    system : BodySystem
        Bodies.
    network : ContactNetwork
        Contacts (minimum-image bond vectors).
    mask : numpy.ndarray
        ``(N,)`` booleans selecting the bodies.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray, bool)
        Indices ``(M,)`` of the selected bodies, their unwrapped positions ``(M, 3)`` (nm) and
        whether some bond disagrees with the unwrapped positions by more than half a body
        diameter (the set wraps around the box: it percolates).
    """
    idx = np.flatnonzero(mask)
    m = len(idx)
    if m == 0:
        return idx, np.zeros((0, 3)), False
    local = np.full(system.n, -1, dtype=np.int64)
    local[idx] = np.arange(m)
    keep = mask[network.i] & mask[network.j]
    bi = local[network.i[keep].astype(np.int64)]
    bj = local[network.j[keep].astype(np.int64)]
    vec = network.bond_vectors(keep)
    graph = sparse.csr_matrix((np.arange(1, len(bi) + 1), (bi, bj)), shape=(m, m))
    n_comp, comp = csgraph.connected_components(graph, directed=False)
    pos = np.full((m, 3), np.nan)
    wrapped = system.positions[idx]
    sizes = np.bincount(comp, minlength=n_comp)
    anchor = wrapped[np.flatnonzero(comp == int(np.argmax(sizes)))[0]]
    for c in range(n_comp):
        root = int(np.flatnonzero(comp == c)[0])
        order, parent = csgraph.breadth_first_order(graph, root, directed=False)
        pos[root] = anchor + system.box.wrap((wrapped[root] - anchor)[None])[0]
        if len(order) > 1:
            child = order[1:]
            bond = np.asarray(graph[parent[child], child]).ravel().astype(np.int64) - 1
            step = vec[bond]
            # every child comes after its parent in breadth-first order: fill level by level
            depth = np.zeros(m, dtype=np.int64)
            for node in child:
                depth[node] = depth[parent[node]] + 1
            for level in range(1, int(depth[child].max()) + 1):
                at = depth[child] == level
                pos[child[at]] = pos[parent[child[at]]] + step[at]
    mismatch = np.linalg.norm(pos[bj] - pos[bi] - vec, axis=1) if len(bi) else np.zeros(0)
    scale = float(np.median(system.per_body("volume_diameter")[idx]))
    return idx, pos, bool(np.any(mismatch > 0.5 * scale))


# -- extents and shape --------------------------------------------------------------------------
def principal_extents(
    positions: np.ndarray, body_gyrations: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Principal extents of a set of bodies from their gyration tensor.

    Parameters
    ----------
    positions : numpy.ndarray
        ``(M, 3)`` unwrapped body centres (nm).
    body_gyrations : numpy.ndarray, optional
        ``(M, 3, 3)`` gyration tensors of the bodies about their own centres (nm^2); point
        masses if omitted.

    Returns
    -------
    tuple of numpy.ndarray
        Extents ``(3,)`` :math:`L_k = \\sqrt{12\\lambda_k}` in decreasing order (nm), the
        principal axes ``(3, 3)`` (rows, same order) and the centre of mass ``(3,)`` (nm).
    """
    pos = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    if len(pos) == 0:
        return np.zeros(3), np.eye(3), np.zeros(3)
    center = pos.mean(axis=0)
    rel = pos - center
    gyration = rel.T @ rel / len(pos)
    if body_gyrations is not None:
        gyration = gyration + np.asarray(body_gyrations).mean(axis=0)
    values, vectors = np.linalg.eigh(0.5 * (gyration + gyration.T))
    order = np.argsort(values)[::-1]
    extents = np.sqrt(12.0 * np.clip(values[order], 0.0, None))
    return extents, vectors[:, order].T, center


#: Number of the largest hull-face orientations tried as a face of the oriented box.
_BOX_CANDIDATES = 12


def _min_rectangle(points: np.ndarray) -> tuple[float, np.ndarray]:
    """Smallest-area rectangle around 2-D points (rotating calipers): area and its x axis."""
    try:
        hull = ConvexHull(points)
    except QhullError:
        return 0.0, np.array([1.0, 0.0])
    ring = points[hull.vertices]
    edges = np.roll(ring, -1, axis=0) - ring
    lengths = np.linalg.norm(edges, axis=1)
    dirs = edges[lengths > 0] / lengths[lengths > 0, None]
    normals = np.column_stack([-dirs[:, 1], dirs[:, 0]])
    u = ring @ dirs.T
    v = ring @ normals.T
    areas = (u.max(axis=0) - u.min(axis=0)) * (v.max(axis=0) - v.min(axis=0))
    k = int(np.argmin(areas))
    return float(areas[k]), dirs[k]


def oriented_box(
    positions: np.ndarray, principal_axes: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """Small bounding box of a point set, one face flush with a large face of its convex hull.

    Candidates are the principal axes and, for each of the largest hull-face orientations, the
    box with that face's normal as one axis and the smallest-area rectangle in the plane
    normal to it (rotating calipers); the smallest volume wins. This finds the box of a block
    whatever its gyration tensor (a cube's is isotropic, so its principal axes are arbitrary).

    Parameters
    ----------
    positions : numpy.ndarray
        ``(M, 3)`` unwrapped positions (nm).
    principal_axes : numpy.ndarray, optional
        ``(3, 3)`` principal axes (rows), one more candidate.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray, float)
        Box axes ``(3, 3)`` (rows, by decreasing span), spans ``(3,)`` (nm) and the hull
        volume (nm^3); NaN volume for fewer than 4 points or points in one plane.
    """
    pos = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    frames = [np.eye(3) if principal_axes is None else np.asarray(principal_axes, float)]
    volume = float("nan")
    if len(pos) >= 4:
        try:
            hull = ConvexHull(pos)
        except QhullError:
            hull = None
        if hull is not None:
            volume = float(hull.volume)
            verts = pos[hull.vertices]
            tri = pos[hull.simplices]
            area = 0.5 * np.linalg.norm(
                np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1
            )
            keys, inverse = np.unique(
                np.round(hull.equations[:, :3], 4), axis=0, return_inverse=True
            )
            totals = np.bincount(inverse.ravel(), weights=area)
            for k in np.argsort(-totals)[:_BOX_CANDIDATES]:
                n = keys[k] / np.linalg.norm(keys[k])
                e1 = np.eye(3)[int(np.argmin(np.abs(n)))]
                e1 = e1 - (e1 @ n) * n
                e1 /= np.linalg.norm(e1)
                e2 = np.cross(n, e1)
                _, x2 = _min_rectangle(verts @ np.column_stack([e1, e2]))
                u = x2[0] * e1 + x2[1] * e2
                frames.append(np.vstack([u, np.cross(n, u), n]))
    points = pos if len(pos) < 4 or not np.isfinite(volume) else pos[hull.vertices]
    best = None
    for frame in frames:
        proj = points @ frame.T
        spans = proj.max(axis=0) - proj.min(axis=0)
        box_volume = float(np.prod(spans))
        if best is None or box_volume < best[0] - 1e-9 * max(box_volume, 1e-300):
            best = (box_volume, frame, spans)
    _, frame, spans = best
    order = np.argsort(-spans, kind="stable")
    return frame[order], spans[order], volume


def box_fill(positions: np.ndarray, principal_axes: np.ndarray | None = None) -> float:
    """Convex-hull volume of ``positions`` over the volume of :func:`oriented_box`.

    Parameters
    ----------
    positions : numpy.ndarray
        ``(M, 3)`` unwrapped positions (nm).
    principal_axes : numpy.ndarray, optional
        ``(3, 3)`` principal axes (rows), one more candidate orientation of the box.

    Returns
    -------
    float
        Fill in (0, 1]; NaN for fewer than 4 points or points in one plane.
    """
    _, spans, volume = oriented_box(positions, principal_axes)
    box_volume = float(np.prod(spans))
    if not np.isfinite(volume) or box_volume <= 0:
        return float("nan")
    return float(min(volume / box_volume, 1.0))


def zingg_class(extents: np.ndarray) -> str:
    """Zingg's form class of principal extents ``L1 >= L2 >= L3`` (see the module docstring)."""
    l1, l2, l3 = (float(x) for x in extents)
    if l1 <= 0:
        return "none"
    elongated = l2 / l1 < ZINGG_RATIO
    flat = l2 <= 0 or l3 / l2 < ZINGG_RATIO
    if elongated and flat:
        return "bladed"
    if elongated:
        return "prolate"
    if flat:
        return "oblate"
    return "equant"


def shape_name(extents: np.ndarray, fill: float) -> str:
    """Shape name from the principal extents and the box fill (:data:`SHAPE_NAMES`)."""
    zingg = zingg_class(extents)
    if zingg == "none":
        return "none"
    faceted = bool(np.isfinite(fill) and fill >= FACETED_BOX_FILL)
    return SHAPE_NAMES[(zingg, faceted)]


def morphology_of(
    system: BodySystem, network: ContactNetwork, mask: np.ndarray
) -> tuple[Morphology, np.ndarray, np.ndarray]:
    """Principal extents and shape of the bodies selected by ``mask``.

    Parameters
    ----------
    system : BodySystem
        Bodies.
    network : ContactNetwork
        Contacts (used to make the set whole across the periodic boundaries).
    mask : numpy.ndarray
        ``(N,)`` booleans, e.g. ``aggregation.largest``.

    Returns
    -------
    tuple of (Morphology, numpy.ndarray, numpy.ndarray)
        The morphology, the selected body indices ``(M,)`` and their unwrapped positions
        ``(M, 3)`` (nm).
    """
    idx, pos, percolating = unwrap(system, network, np.asarray(mask, dtype=bool))
    if len(idx) == 0:
        return Morphology.empty(), idx, pos
    extents, axes, center = principal_extents(pos, body_gyration(system, idx))
    box_axes, spans, hull_volume = oriented_box(pos, axes)
    box_volume = float(np.prod(spans))
    fill = min(hull_volume / box_volume, 1.0) if box_volume > 0 else float("nan")
    result = Morphology(
        n_bodies=len(idx),
        extents=extents,
        axes=axes,
        center=center,
        box_axes=box_axes,
        box_spans=spans,
        box_fill=fill,
        zingg=zingg_class(extents),
        shape=shape_name(extents, fill),
        percolating=percolating,
    )
    return result, idx, pos


def largest_crystallite(system: BodySystem, network: ContactNetwork, solid: np.ndarray):
    """Bodies of the largest connected set of solid-like bodies in contact.

    Parameters
    ----------
    system : BodySystem
        Bodies.
    network : ContactNetwork
        Contacts.
    solid : numpy.ndarray
        ``(N,)`` solid-like flags (e.g. ``analysis.bondorder.BondOrder.solid``).

    Returns
    -------
    numpy.ndarray
        ``(N,)`` booleans selecting the largest crystallite (all False without solid bodies).
    """
    solid = np.asarray(solid, dtype=bool)
    if not np.any(solid):
        return solid.copy()
    clusters = freud.cluster.Cluster()
    clusters.compute((system.box, system.positions), neighbors=network.neighbor_list(solid))
    idx = np.asarray(clusters.cluster_idx)
    counts = np.bincount(idx[solid])
    return solid & (idx == int(np.argmax(counts)))


# -- one frame, one file ------------------------------------------------------------------------
#: Format version of :func:`measure_file`'s JSON.
MEASURES_VERSION = 1


def measure_frame(frame, with_maps: bool = False) -> dict[str, Any]:
    """Mesocrystal size and shape, crystallite size and AFM-like roughness of one frame.

    The mesocrystal is the largest aggregate of :func:`analysis.aggregation.find_aggregates`.

    Parameters
    ----------
    frame : gsd.hoomd.Frame or BodySystem
        The frame.
    with_maps : bool
        Also return the :class:`analysis.roughness.Roughness` (height maps) under ``"_scan"``.

    Returns
    -------
    dict
        ``step``, ``mesocrystal`` (:meth:`Morphology.to_dict` of the largest aggregate, plus
        ``size_nm``), ``crystallite`` (the same for the largest crystallite, plus ``size_nm``)
        and ``roughness`` (:meth:`analysis.roughness.Roughness.to_dict`; None without an
        aggregate).
    """
    from .descriptors import compute_descriptors
    from .roughness import scan_aggregate

    desc, per = compute_descriptors(frame, per_body=True)
    system, network = per.system, per.network
    meso, idx, pos = morphology_of(system, network, per.aggregation.largest)
    cryst_mask = largest_crystallite(system, network, per.bond_order.solid)
    cryst, _, _ = morphology_of(system, network, cryst_mask)
    out: dict[str, Any] = {
        "step": int(system.step),
        "n_bodies": int(system.n),
        "mesocrystal": {**meso.to_dict(), "size_nm": meso.size},
        "crystallite": {**cryst.to_dict(), "size_nm": cryst.size},
        "roughness": None,
    }
    scan = None
    if meso.n_bodies:
        scan = scan_aggregate(system, idx, pos, meso.box_axes, meso.center)
        out["roughness"] = scan.to_dict()
    if with_maps:
        out["_scan"] = scan
    return out


def measure_file(gsd_path, out_path=None, frame: int = -1, with_maps: bool = False) -> dict:
    """:func:`measure_frame` of one frame of a trajectory, optionally written as JSON.

    Parameters
    ----------
    gsd_path : str or os.PathLike
        HOOMD-schema GSD file.
    out_path : str or os.PathLike, optional
        JSON file to write atomically (without the height maps).
    frame : int
        Frame index (default: the last).
    with_maps : bool
        Keep the height maps in the returned dict (``"_scan"``).

    Returns
    -------
    dict
        The measures, plus ``frame``, ``source`` and ``schema_version``.
    """
    from mesocrystal.schema import read_frame

    from .trajectory import write_json_atomic

    index, data = read_frame(gsd_path, frame)
    result = measure_frame(data, with_maps=with_maps)
    result.update({"frame": index, "source": str(gsd_path), "schema_version": MEASURES_VERSION})
    if out_path is not None:
        write_json_atomic({k: v for k, v in result.items() if k != "_scan"}, out_path)
    return result


def first_crystal(
    timeseries: list[dict[str, Any]], min_bodies: int = MIN_CRYSTAL_BODIES
) -> dict[str, int] | None:
    """First row of an analysis time series whose largest crystallite has ``min_bodies``.

    Parameters
    ----------
    timeseries : list of dict
        Rows of :func:`analysis.trajectory.timeseries_rows` (``frame``, ``step``,
        ``largest_solid_cluster``, ...), in frame order.
    min_bodies : int
        Fewest solid-like bodies in one crystallite (:data:`MIN_CRYSTAL_BODIES`).

    Returns
    -------
    dict or None
        ``{"frame": i, "step": s}`` of the first such row, None if there is none.
    """
    for row in timeseries:
        size = row.get("largest_solid_cluster")
        if size is not None and size >= min_bodies:
            return {"frame": int(row["frame"]), "step": int(row["step"])}
    return None
