"""Pictures of nanocrystal configurations: the real body shapes in their orientations.

Bodies are read from a HOOMD-schema GSD frame (``docs/gsd_schema.md``): one particle per rigid
body, its orientation quaternion (body frame to box frame) and its shape from
``particles/type_shapes``. Every body is drawn as a shaded polygon mesh of its steric envelope
with matplotlib's :class:`~mpl_toolkits.mplot3d.art3d.Poly3DCollection` (headless Agg backend,
orthographic projection, back faces culled, painter's algorithm), inside the outline of the
periodic box.

Colours come from the structure analysis (:func:`analysis.compute_descriptors`):

* **by aggregate** (:func:`render_structure`): each aggregate of the classifier has its own colour,
  largest first; bodies outside aggregates are pale grey. Without any aggregate, the clusters of
  the contact network are coloured instead.
* **by local order** (:func:`render_aggregate`): the number of solid-like bonds of each body of the
  largest aggregate (ten Wolde criterion as used by the classifier; six or more make a body
  solid-like), on a close-up of the aggregate unwrapped across the periodic boundaries.

:func:`render_movie` writes an animated GIF of the trajectory coloured by aggregate.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import freud
import gsd.hoomd
import matplotlib.colors as mcolors
import numpy as np
import rowan
from matplotlib import colormaps
from scipy import sparse
from scipy.sparse import csgraph

from . import style
from ._files import atomic_output, save_figure
from .meshes import Mesh, mesh_from_shape

#: Default camera elevation and azimuth [degrees] (matplotlib's ``view_init`` convention).
DEFAULT_VIEW = (22.0, -58.0)

#: Most solid-like bonds distinguished by the local-order colour scale.
MAX_SOLID_BONDS = 12

#: Smallest contact cluster coloured in a picture of a frame without aggregates.
MIN_CLUSTER_SHOWN = 2

#: Solid-like bonds that make a body solid-like (ten Wolde et al. 1996; ``analysis.bondorder``).
SOLID_BONDS = 6


class RenderError(ValueError):
    """A frame that cannot be drawn (no bodies)."""


@dataclasses.dataclass
class Bodies:
    """Body centres of one frame, ready to draw.

    Attributes
    ----------
    positions : numpy.ndarray
        ``(N, 3)`` centre positions [nm], wrapped into the box.
    orientations : numpy.ndarray
        ``(N, 4)`` unit quaternions (w, x, y, z), body frame to box frame.
    typeid : numpy.ndarray
        ``(N,)`` index into :attr:`meshes`.
    meshes : list of Mesh
        Body-frame mesh of each type.
    types : list of str
        Type names.
    particle_index : numpy.ndarray
        ``(N,)`` index of each body among the frame's particles.
    box : freud.box.Box
        Periodic box [nm].
    step : int
        Time step of the frame.
    """

    positions: np.ndarray
    orientations: np.ndarray
    typeid: np.ndarray
    meshes: list
    types: list
    particle_index: np.ndarray
    box: freud.box.Box
    step: int

    @property
    def n(self) -> int:
        """Number of bodies."""
        return len(self.positions)

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


def read_frame(path: str | os.PathLike, index: int = -1) -> gsd.hoomd.Frame:
    """Read frame ``index`` (negative counts from the end) of a GSD file.

    Raises
    ------
    RenderError
        If the file holds no frame.
    """
    with gsd.hoomd.open(os.fspath(path), "r") as traj:
        if len(traj) == 0:
            raise RenderError(f"{path} holds no frame")
        return traj[index]


def bodies_from_frame(frame: gsd.hoomd.Frame) -> Bodies:
    """Body centres and free particles of a HOOMD-schema frame with their shape meshes.

    Constituent particles of rigid bodies (``particles/body`` pointing to another particle) are
    left out: the body shape is drawn at its centre. Types without a usable
    ``particles/type_shapes`` entry are drawn as spheres of their ``particles/diameter``.

    Raises
    ------
    RenderError
        If the frame holds no bodies.
    """
    p = frame.particles
    n_all = int(p.N)
    if n_all == 0:
        raise RenderError("the frame holds no particles")
    index = np.arange(n_all)
    body = np.asarray(p.body if p.body is not None else np.full(n_all, -1))
    keep = (body < 0) | (body == index)
    positions = np.asarray(p.position, dtype=np.float64)[keep]
    if p.orientation is None:
        orientations = np.tile([1.0, 0.0, 0.0, 0.0], (len(positions), 1))
    else:
        orientations = rowan.normalize(np.asarray(p.orientation, dtype=np.float64)[keep])
    typeid = np.asarray(p.typeid if p.typeid is not None else np.zeros(n_all), dtype=int)[keep]
    types = list(p.types or ["A"])
    diameters = np.asarray(p.diameter if p.diameter is not None else np.ones(n_all))[keep]
    shapes = list(p.type_shapes or [])
    meshes = []
    for t in range(len(types)):
        spec = shapes[t] if t < len(shapes) else None
        d = float(np.median(diameters[typeid == t])) if np.any(typeid == t) else 1.0
        meshes.append(mesh_from_shape(spec, diameter=d))
    return Bodies(
        positions=positions,
        orientations=orientations,
        typeid=typeid,
        meshes=meshes,
        types=types,
        particle_index=index[keep],
        box=freud.box.Box.from_box(np.asarray(frame.configuration.box, dtype=np.float64)),
        step=int(frame.configuration.step),
    )


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
        Per-body record of this frame written by :func:`analysis.analyze_trajectory`
        (:func:`analysis.perbody.load_frame`); the frame is analysed only when it is None.

    Returns
    -------
    Membership
        Per-body results of :func:`analysis.compute_descriptors`.
    """
    if stored is None:
        from mesocrystal import analysis
        from mesocrystal.analysis import perbody

        desc, per = analysis.compute_descriptors(frame, per_body=True)
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


# -- drawing ---------------------------------------------------------------------------------
def view_vector(elev: float, azim: float) -> np.ndarray:
    """Unit vector from the scene towards the camera for matplotlib's ``view_init(elev, azim)``."""
    e, a = np.radians(elev), np.radians(azim)
    return np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])


def view_perpendicular_to(
    axis: np.ndarray, preferred: tuple[float, float] = DEFAULT_VIEW, tilt: float = 20.0
) -> tuple[float, float]:
    """Elevation and azimuth [degrees] of a view along the layers normal to ``axis``.

    The camera looks at right angles to ``axis`` (e.g. the director of a stack of platelets),
    from the side closest to ``preferred``, then is tilted by ``tilt`` degrees towards ``axis``
    so that the faces of the bodies remain visible.
    """
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    if axis @ view_vector(*preferred) < 0:
        axis = -axis
    eye = view_vector(*preferred)
    eye = eye - (eye @ axis) * axis
    if np.linalg.norm(eye) < 1e-6:
        eye = np.cross(axis, [1.0, 0.0, 0.0] if abs(axis[0]) < 0.9 else [0.0, 1.0, 0.0])
    eye /= np.linalg.norm(eye)
    eye = np.cos(np.radians(tilt)) * eye + np.sin(np.radians(tilt)) * axis
    return float(np.degrees(np.arcsin(np.clip(eye[2], -1, 1)))), float(
        np.degrees(np.arctan2(eye[1], eye[0]))
    )


def _lighting(eye: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    up = np.array([0.0, 0.0, 1.0])
    right = np.cross(up, eye)
    if np.linalg.norm(right) < 1e-6:
        right = np.array([1.0, 0.0, 0.0])
    right /= np.linalg.norm(right)
    cam_up = np.cross(eye, right)
    light = eye + 0.7 * cam_up - 0.5 * right
    light /= np.linalg.norm(light)
    half = light + eye
    return light, half / np.linalg.norm(half)


def body_polygons(
    positions: np.ndarray,
    orientations: np.ndarray,
    typeid: np.ndarray,
    meshes: Sequence[Mesh],
    colors: np.ndarray,
    view: tuple[float, float] = DEFAULT_VIEW,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shaded, camera-facing polygons of all bodies.

    Parameters
    ----------
    positions : numpy.ndarray
        ``(N, 3)`` body centres [nm].
    orientations : numpy.ndarray
        ``(N, 4)`` quaternions (w, x, y, z), body frame to box frame.
    typeid : numpy.ndarray
        ``(N,)`` mesh index of each body.
    meshes : sequence of Mesh
        Body-frame meshes.
    colors : numpy.ndarray
        ``(N, 4)`` RGBA base colour of each body.
    view : tuple of float
        Camera elevation and azimuth [degrees].

    Returns
    -------
    polygons : numpy.ndarray
        ``(P, K, 3)`` polygon vertices (shorter faces padded by repeating their last vertex).
    facecolors, edgecolors : numpy.ndarray
        ``(P, 4)`` shaded RGBA colours.
    linewidths : numpy.ndarray
        ``(P,)`` edge widths [pt].
    """
    eye = view_vector(*view)
    light, half = _lighting(eye)
    k_max = max(max(len(f) for f in m.faces) for m in meshes)
    polys, fcs, ecs, lws = [], [], [], []
    for t, mesh in enumerate(meshes):
        sel = np.flatnonzero(typeid == t)
        if len(sel) == 0:
            continue
        q = orientations[sel][:, None, :]
        verts = rowan.rotate(q, mesh.vertices[None, :, :]) + positions[sel][:, None, :]
        normals = rowan.rotate(q, mesh.normals[None, :, :])
        faces = mesh.padded_faces()
        faces = np.concatenate(
            [faces, np.repeat(faces[:, -1:], k_max - faces.shape[1], axis=1)], axis=1
        )
        facing = normals @ eye > 1e-9
        body_idx, face_idx = np.nonzero(facing)
        poly = verts[body_idx[:, None], faces[face_idx]]
        n = normals[body_idx, face_idx]
        diffuse = np.clip(n @ light, 0.0, None)
        specular = np.clip(n @ half, 0.0, None) ** 24
        base = colors[sel][body_idx]
        shade = 0.38 + 0.62 * diffuse
        rgb = np.clip(base[:, :3] * shade[:, None] + 0.25 * specular[:, None], 0.0, 1.0)
        fc = np.column_stack([rgb, base[:, 3]])
        if mesh.smooth:
            ec, lw = fc.copy(), np.full(len(fc), 0.25)
        else:
            ec = np.column_stack([0.55 * rgb, base[:, 3]])
            lw = np.full(len(fc), 0.35)
        polys.append(poly)
        fcs.append(fc)
        ecs.append(ec)
        lws.append(lw)
    if not polys:
        empty = np.zeros((0, 4))
        return np.zeros((0, k_max, 3)), empty, empty, np.zeros(0)
    return (
        np.concatenate(polys),
        np.concatenate(fcs),
        np.concatenate(ecs),
        np.concatenate(lws),
    )


def box_corners(box: freud.box.Box) -> np.ndarray:
    """``(8, 3)`` corners of a (possibly triclinic) periodic box [nm], index = 4x + 2y + z."""
    frac = np.array([[i >> 2 & 1, i >> 1 & 1, i & 1] for i in range(8)], dtype=np.float64)
    return np.asarray(box.make_absolute(frac))


def draw_box(ax, box: freud.box.Box, view: tuple[float, float]) -> None:
    """Outline of the box: edges at the far corner dashed behind the bodies, others in front."""
    corners = box_corners(box)
    far = int(np.argmin(corners @ view_vector(*view)))
    for a in range(8):
        for bit in (1, 2, 4):
            b = a | bit
            if b == a:
                continue
            seg = corners[[a, b]]
            hidden = far in (a, b)
            ax.plot(
                seg[:, 0],
                seg[:, 1],
                seg[:, 2],
                color="#555555" if not hidden else "#999999",
                lw=0.8,
                ls="--" if hidden else "-",
                zorder=1 if hidden else 3,
            )


def draw_bodies(
    ax,
    positions: np.ndarray,
    orientations: np.ndarray,
    typeid: np.ndarray,
    meshes: Sequence[Mesh],
    colors: np.ndarray,
    view: tuple[float, float] = DEFAULT_VIEW,
    limits: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Draw bodies into a 3-D axes with equal scaling and an orthographic camera.

    Parameters
    ----------
    ax : mpl_toolkits.mplot3d.axes3d.Axes3D
        Axes created with ``computed_zorder=False``.
    positions, orientations, typeid, meshes, colors, view
        As for :func:`body_polygons`.
    limits : tuple of numpy.ndarray, optional
        Lower and upper corner of the region shown [nm] (e.g. the box); default: a close-up of
        the bodies' bounding sphere.
    """
    polys, fc, ec, lw = body_polygons(positions, orientations, typeid, meshes, colors, view)
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    coll = Poly3DCollection(
        polys, facecolors=fc, edgecolors=ec, linewidths=lw, zsort="average", zorder=2
    )
    ax.add_collection3d(coll)
    if limits is None:
        # bounding sphere: its projection fits whatever the view; zoom fills the axes with it
        r = max(m.circumradius for m in meshes)
        centre = 0.5 * (positions.min(axis=0) + positions.max(axis=0))
        half = float(np.max(np.linalg.norm(positions - centre, axis=1))) + r
        zoom = 1.45
    else:
        lo, hi = (np.asarray(v, dtype=np.float64) for v in limits)
        centre, half = 0.5 * (lo + hi), 0.5 * float(np.max(hi - lo))
        zoom = 1.1
    ax.set_xlim(centre[0] - half, centre[0] + half)
    ax.set_ylim(centre[1] - half, centre[1] + half)
    ax.set_zlim(centre[2] - half, centre[2] + half)
    ax.set_box_aspect((1, 1, 1), zoom=zoom)
    ax.view_init(elev=view[0], azim=view[1])
    ax.set_axis_off()


def _new_axes(fig, rect=(0.0, 0.0, 1.0, 0.9)):
    return fig.add_axes(rect, projection="3d", proj_type="ortho", computed_zorder=False)


def _time_text(step: int, dt: float | None) -> str:
    return f"step {step:,}" + (f"  (t = {step * dt:,.0f} τ)" if dt else "")


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
    """``(3,)`` nematic director of the body z axes (largest eigenvector of the Q tensor)."""
    axes = rowan.rotate(orientations, np.array([0.0, 0.0, 1.0]))
    q = 1.5 * np.einsum("ni,nj->ij", axes, axes) / len(axes) - 0.5 * np.eye(3)
    w, v = np.linalg.eigh(q)
    return v[:, -1]


def _anisotropic(meshes: Sequence[Mesh]) -> bool:
    for m in meshes:
        ext = np.ptp(m.vertices, axis=0)
        if ext.max() - ext.min() > 0.1 * ext.max():
            return True
    return False


def draw_structure(
    fig,
    bodies: Bodies,
    member: Membership,
    view: tuple[float, float] = DEFAULT_VIEW,
    dt: float | None = None,
    title: str | None = None,
    compact: bool = False,
) -> None:
    """Whole box coloured by aggregate into ``fig`` (see :func:`render_structure`).

    ``compact`` gives a one-line caption for small pictures (movie frames).
    """
    ax = _new_axes(fig)
    colors = cluster_colors(member)
    draw_box(ax, bodies.box, view)
    corners = box_corners(bodies.box)
    r = max(m.circumradius for m in bodies.meshes)
    limits = (corners.min(axis=0) - 0.3 * r, corners.max(axis=0) + 0.3 * r)
    draw_bodies(
        ax,
        bodies.positions,
        bodies.orientations,
        bodies.typeid,
        bodies.meshes,
        colors,
        view,
        limits,
    )
    lengths = bodies.box.L
    box_text = (
        f"{lengths[0]:.1f} nm"
        if np.allclose(lengths, lengths[0])
        else " × ".join(f"{x:.1f}" for x in lengths) + " nm"
    )
    if member.n_aggregates:
        sizes = np.bincount(member.aggregate_id[member.aggregate_id >= 0])
        plural = "s" if member.n_aggregates > 1 else ""
        colour_text = (
            f"colour: {member.n_aggregates} aggregate{plural} (largest: {sizes[0]} bodies, "
            f"{sizes[0] / bodies.n:.0%}); grey: not in an aggregate"
        )
    else:
        sizes = np.bincount(member.cluster_id)
        colour_text = (
            f"no aggregate; colour: largest contact clusters (largest: {sizes[0]} "
            f"bod{'y' if sizes[0] == 1 else 'ies'}); grey: others"
        )
    if compact:
        largest = f"largest aggregate {sizes[0]} bodies" if member.n_aggregates else "no aggregate"
        caption = f"{_time_text(bodies.step, dt)}; {largest}"
    else:
        caption = f"{_time_text(bodies.step, dt)}, periodic box {box_text}\n{colour_text}"
    fig.text(
        0.5,
        0.975,
        title or f"Final frame: {bodies.n} {bodies.shape_names()}",
        ha="center",
        va="top",
        fontsize=10 if compact else 12,
        weight="bold",
    )
    fig.text(0.5, 0.93, caption, ha="center", va="top", fontsize=8.5, color="#333333")


def render_structure(
    frame: gsd.hoomd.Frame,
    out_path: str | os.PathLike,
    view: tuple[float, float] = DEFAULT_VIEW,
    dt: float | None = None,
    title: str | None = None,
    size_in: float = 6.4,
    dpi: int = style.DPI,
    member: Membership | None = None,
) -> Path:
    """Picture of the whole box: body shapes in their orientations, coloured by aggregate.

    Parameters
    ----------
    frame : gsd.hoomd.Frame
        HOOMD-schema frame.
    out_path : str or os.PathLike
        PNG file to write (atomically).
    view : tuple of float
        Camera elevation and azimuth [degrees].
    dt : float, optional
        Time step [τ], to print the time.
    title : str, optional
        Heading (default: the number and kind of bodies).
    size_in : float
        Figure width and height [inch].
    dpi : int
        Resolution [dots per inch].
    member : Membership, optional
        Precomputed :func:`membership` of the frame.

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    import matplotlib.pyplot as plt

    bodies = bodies_from_frame(frame)
    member = member or membership(frame, bodies)
    fig = plt.figure(figsize=(size_in, size_in))
    draw_structure(fig, bodies, member, view, dt, title)
    return save_figure(fig, out_path, dpi)


def render_aggregate(
    frame: gsd.hoomd.Frame,
    out_path: str | os.PathLike,
    dt: float | None = None,
    size_in: float = 6.4,
    dpi: int = style.DPI,
    member: Membership | None = None,
) -> Path:
    """Close-up of the largest aggregate coloured by local order (solid-like bonds).

    The aggregate is unwrapped across the periodic boundaries and centred. Stacks of
    anisotropic bodies are seen side-on (the camera looks at right angles to their director).
    Without any aggregate the largest contact cluster is shown in its cluster colour.

    Parameters
    ----------
    frame : gsd.hoomd.Frame
        HOOMD-schema frame.
    out_path : str or os.PathLike
        PNG file to write (atomically).
    dt : float, optional
        Time step [τ], to print the time.
    size_in : float
        Figure height [inch] (the width adds a colour bar).
    dpi : int
        Resolution [dots per inch].
    member : Membership, optional
        Precomputed :func:`membership` of the frame.

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable

    bodies = bodies_from_frame(frame)
    member = member or membership(frame, bodies)
    members, kind = member.largest()
    pos = unwrap(bodies, members, member.bonds)
    pos -= pos.mean(axis=0)
    orient = bodies.orientations[members]
    view = DEFAULT_VIEW
    if _anisotropic(bodies.meshes) and len(members) > 1:
        view = view_perpendicular_to(_director_of(orient))
    ordered = kind == "aggregate"
    fig = plt.figure(figsize=(size_in * (1.18 if ordered else 1.0), size_in))
    rect = (0.0, 0.0, 0.84, 0.88) if ordered else (0.0, 0.0, 1.0, 0.88)
    ax = _new_axes(fig, rect)
    if ordered:
        colors, cmap = local_order_colors(member.solid_bonds[members])
    else:
        colors = cluster_colors(member)[members]
        colors[:, 3] = 1.0
    draw_bodies(ax, pos, orient, bodies.typeid[members], bodies.meshes, colors, view)
    n_solid = int(np.count_nonzero(member.solid_bonds[members] >= SOLID_BONDS))
    fig.text(
        0.5,
        0.975,
        f"Largest {kind}: {len(members)} of {bodies.n} bodies",
        ha="center",
        va="top",
        fontsize=12,
        weight="bold",
    )
    detail = (
        f"{_time_text(bodies.step, dt)}; colour: solid-like bonds per body "
        f"({n_solid} solid-like bodies, ≥ {SOLID_BONDS} bonds)"
        if ordered
        else f"{_time_text(bodies.step, dt)}; no aggregate (bond order is measured in aggregates)"
    )
    fig.text(0.5, 0.935, detail, ha="center", va="top", fontsize=8.5, color="#333333")
    if ordered:
        cax = fig.add_axes((0.86, 0.15, 0.025, 0.6))
        norm = mcolors.BoundaryNorm(np.arange(-0.5, MAX_SOLID_BONDS + 1.5), cmap.N)
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax)
        bar.set_ticks([0, 2, 4, SOLID_BONDS, 8, 10, MAX_SOLID_BONDS])
        bar.set_ticklabels(["0", "2", "4", f"{SOLID_BONDS}", "8", "10", f"≥{MAX_SOLID_BONDS}"])
        bar.ax.axhline(SOLID_BONDS - 0.5, color="k", lw=1.2)
        bar.set_label("solid-like bonds (ten Wolde; ≥ 6: solid-like)", fontsize=8.5)
        bar.ax.tick_params(labelsize=8)
    return save_figure(fig, out_path, dpi)


def render_final_frame(
    gsd_path: str | os.PathLike,
    structure_path: str | os.PathLike,
    aggregate_path: str | os.PathLike,
    dt: float | None = None,
    title: str | None = None,
    per_body: str | os.PathLike | None = None,
) -> tuple[Path, Path]:
    """Both pictures of the last frame of a trajectory (analysed once, or not at all when its
    per-body results are stored).

    Parameters
    ----------
    gsd_path : str or os.PathLike
        HOOMD-schema trajectory.
    structure_path, aggregate_path : str or os.PathLike
        PNG files of :func:`render_structure` and :func:`render_aggregate`.
    dt : float, optional
        Time step [τ].
    title : str, optional
        Heading of the whole-box picture.
    per_body : str or os.PathLike, optional
        Per-body archive of :func:`analysis.analyze_trajectory` (``analysis.bodies.npz``);
        used when it holds the last frame of this version of the trajectory.

    Returns
    -------
    tuple of pathlib.Path
        The two files.
    """
    with gsd.hoomd.open(os.fspath(gsd_path), "r") as traj:
        last = len(traj) - 1
    frame = read_frame(gsd_path, -1)
    bodies = bodies_from_frame(frame)
    member = membership(frame, bodies, _stored(per_body, gsd_path, last))
    return (
        render_structure(frame, structure_path, dt=dt, title=title, member=member),
        render_aggregate(frame, aggregate_path, dt=dt, member=member),
    )


def render_movie(
    gsd_path: str | os.PathLike,
    out_path: str | os.PathLike,
    max_frames: int = 20,
    fps: float = 4.0,
    dt: float | None = None,
    size_in: float = 4.5,
    dpi: int = 80,
    view: tuple[float, float] = DEFAULT_VIEW,
    per_body: str | os.PathLike | None = None,
) -> Path:
    """Animated GIF of a trajectory, every body coloured by aggregate in each frame.

    When a per-body archive of :func:`analysis.analyze_trajectory` is given and fresh, the movie
    shows (up to ``max_frames`` of) the frames it holds, which are not analysed again; otherwise
    frames evenly spaced over the trajectory are analysed one by one.

    Parameters
    ----------
    gsd_path : str or os.PathLike
        HOOMD-schema trajectory.
    out_path : str or os.PathLike
        GIF file to write (atomically).
    max_frames : int
        Most frames in the movie, evenly spaced over the trajectory (first and last included).
    fps : float
        Frames per second.
    dt : float, optional
        Time step [τ], to print the time.
    size_in : float
        Width and height [inch].
    dpi : int
        Resolution [dots per inch].
    view : tuple of float
        Camera elevation and azimuth [degrees].
    per_body : str or os.PathLike, optional
        Per-body archive (``analysis.bodies.npz``).

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import PillowWriter

    with gsd.hoomd.open(os.fspath(gsd_path), "r") as traj:
        n = len(traj)
        if n == 0:
            raise RenderError(f"{gsd_path} holds no frame")
        picks = np.unique(np.linspace(0, n - 1, min(max_frames, n)).round().astype(int))
        stored_frames: list[int] = []
        if per_body is not None:
            from mesocrystal.analysis import perbody

            stored_frames = [f for f in perbody.stored_frames(per_body, gsd_path) if f < n]
        if len(stored_frames) >= 2:
            keep = np.linspace(0, len(stored_frames) - 1, min(max_frames, len(stored_frames)))
            picks = np.unique(np.asarray(stored_frames)[keep.round().astype(int)])
        fig = plt.figure(figsize=(size_in, size_in))
        writer = PillowWriter(fps=fps)
        try:
            with atomic_output(out_path) as tmp:
                with writer.saving(fig, os.fspath(tmp), dpi):
                    for k in picks:
                        frame = traj[int(k)]
                        bodies = bodies_from_frame(frame)
                        fig.clf()
                        draw_structure(
                            fig,
                            bodies,
                            membership(frame, bodies, _stored(per_body, gsd_path, int(k))),
                            view,
                            dt,
                            title=f"{bodies.n} {bodies.shape_names()}",
                            compact=True,
                        )
                        writer.grab_frame()
        finally:
            plt.close(fig)
    return Path(out_path)
