"""Camera and shading: how the bodies of a scene become shaded polygons in a 3-D axes.

Every body is drawn as a shaded polygon mesh of its steric envelope with matplotlib's
:class:`~mpl_toolkits.mplot3d.art3d.Poly3DCollection` (headless Agg backend, orthographic
projection, back faces culled, painter's algorithm), inside the outline of the periodic box.
"""

from __future__ import annotations

from collections.abc import Sequence

import freud
import numpy as np
import rowan

from .meshes import Mesh

#: Default camera elevation and azimuth [degrees] (matplotlib's ``view_init`` convention).
DEFAULT_VIEW = (22.0, -58.0)


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
