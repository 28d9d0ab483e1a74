"""Polygon meshes of body shapes from GSD ``particles/type_shapes``.

A body shape is given in its body frame (``docs/gsd_schema.md``): a ``Sphere`` of diameter ``d``,
an ``Ellipsoid`` with semi-axes ``a, b, c`` or a ``ConvexPolyhedron`` with ``vertices`` and a
``rounding_radius`` (the Minkowski sum of the polyhedron and a sphere). Each is turned into a
closed convex mesh of planar polygons with outward normals, ready to be rotated into the box
frame and drawn.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.spatial import ConvexHull


@dataclasses.dataclass(frozen=True)
class Mesh:
    """A closed convex polygon mesh in the body frame.

    Attributes
    ----------
    vertices : numpy.ndarray
        ``(V, 3)`` vertex positions [nm].
    faces : tuple of numpy.ndarray
        Vertex indices of each planar face, counter-clockwise seen from outside.
    normals : numpy.ndarray
        ``(F, 3)`` outward unit normal of each face.
    smooth : bool
        Whether the mesh approximates a curved surface (drawn without face edges).
    """

    vertices: np.ndarray
    faces: tuple
    normals: np.ndarray
    smooth: bool

    @property
    def circumradius(self) -> float:
        """Largest distance of a vertex from the body origin [nm]."""
        return float(np.max(np.linalg.norm(self.vertices, axis=1)))

    def padded_faces(self) -> np.ndarray:
        """``(F, K)`` face indices padded to the largest face by repeating the last vertex."""
        k = max(len(f) for f in self.faces)
        return np.array([np.concatenate([f, np.full(k - len(f), f[-1])]) for f in self.faces])


def uv_sphere(radius: float, n_lon: int = 20, n_lat: int = 11) -> Mesh:
    """Latitude-longitude sphere of ``radius`` [nm] with ``n_lon`` x ``n_lat`` faces."""
    theta = np.linspace(0.0, np.pi, n_lat + 1)
    phi = np.linspace(0.0, 2.0 * np.pi, n_lon, endpoint=False)
    rings = [np.array([[0.0, 0.0, radius]])]
    for t in theta[1:-1]:
        rings.append(
            radius
            * np.column_stack(
                [np.sin(t) * np.cos(phi), np.sin(t) * np.sin(phi), np.full(n_lon, np.cos(t))]
            )
        )
    rings.append(np.array([[0.0, 0.0, -radius]]))
    vertices = np.concatenate(rings)
    faces = []
    top, bottom = 0, len(vertices) - 1
    for j in range(n_lon):
        faces.append(np.array([top, 1 + j, 1 + (j + 1) % n_lon]))
    for i in range(n_lat - 2):
        a, b = 1 + i * n_lon, 1 + (i + 1) * n_lon
        for j in range(n_lon):
            jn = (j + 1) % n_lon
            faces.append(np.array([a + j, b + j, b + jn, a + jn]))
    last = 1 + (n_lat - 2) * n_lon
    for j in range(n_lon):
        faces.append(np.array([last + j, bottom, last + (j + 1) % n_lon]))
    centres = np.array([vertices[f].mean(axis=0) for f in faces])
    normals = centres / np.linalg.norm(centres, axis=1, keepdims=True)
    return Mesh(vertices, tuple(faces), normals, smooth=True)


def _rounding_directions(n_ring: int = 8) -> np.ndarray:
    """Unit vectors sampling the sphere (poles, and rings at +-45 and 0 degrees latitude)."""
    phi = np.linspace(0.0, 2.0 * np.pi, n_ring, endpoint=False)
    dirs = [np.array([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]])]
    for lat in (-np.pi / 4, 0.0, np.pi / 4):
        dirs.append(
            np.column_stack(
                [np.cos(lat) * np.cos(phi), np.cos(lat) * np.sin(phi), np.full(n_ring, np.sin(lat))]
            )
        )
    return np.concatenate(dirs)


def convex_mesh(points: np.ndarray, smooth: bool = False) -> Mesh:
    """Convex hull of ``points`` as planar polygons.

    The polygons are the faces of :class:`coxeter.shapes.ConvexPolyhedron` (coplanar hull
    triangles merged, vertices counter-clockwise seen from outside, outward unit normals),
    built on the hull vertices (:class:`scipy.spatial.ConvexHull`).

    Parameters
    ----------
    points : numpy.ndarray
        ``(P, 3)`` points [nm]; at least four, not coplanar.
    smooth : bool
        Flag stored in the mesh (curved surface approximation).

    Returns
    -------
    Mesh
        The hull as planar polygons with outward normals.
    """
    import coxeter  # deferred: only pictures of polyhedra need it

    points = np.asarray(points, dtype=np.float64)
    hull = coxeter.shapes.ConvexPolyhedron(points[ConvexHull(points).vertices])
    faces = tuple(np.asarray(face, dtype=np.int64) for face in hull.faces)
    return Mesh(np.asarray(hull.vertices), faces, np.asarray(hull.normals), smooth=smooth)


def rounded_polyhedron(vertices: np.ndarray, rounding_radius: float = 0.0) -> Mesh:
    """Mesh of a convex polyhedron dilated by a sphere of ``rounding_radius`` [nm].

    The rounded edges and corners are approximated by bevels (26 sampling directions), which
    keeps the face count small enough for hundreds of bodies per picture.
    """
    vertices = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    if rounding_radius > 0:
        dirs = _rounding_directions()
        points = (vertices[:, None, :] + rounding_radius * dirs[None, :, :]).reshape(-1, 3)
    else:
        points = vertices
    return convex_mesh(points)


def mesh_from_shape(spec: Mapping[str, Any] | None, diameter: float = 1.0) -> Mesh:
    """Mesh of one ``particles/type_shapes`` entry.

    Parameters
    ----------
    spec : mapping or None
        ``{"type": "Sphere", "diameter": d}``, ``{"type": "Ellipsoid", "a": a, "b": b,
        "c": c}`` or ``{"type": "ConvexPolyhedron", "vertices": [[x, y, z], ...],
        "rounding_radius": r}``; lengths in nm. Anything else (an empty entry, an unsupported
        type) is drawn as a sphere of ``diameter``.
    diameter : float
        Fallback sphere diameter [nm] (e.g. ``particles/diameter``).

    Returns
    -------
    Mesh
        The body-frame mesh.
    """
    kind = (spec or {}).get("type")
    if kind == "Sphere":
        return uv_sphere(0.5 * float(spec["diameter"]))
    if kind == "Ellipsoid":
        unit = uv_sphere(1.0)
        scale = np.array([float(spec["a"]), float(spec["b"]), float(spec["c"])])
        normals = unit.normals / scale
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)
        return Mesh(unit.vertices * scale, unit.faces, normals, smooth=True)
    if kind == "ConvexPolyhedron" and len(spec.get("vertices", ())) >= 4:
        return rounded_polyhedron(spec["vertices"], float(spec.get("rounding_radius", 0.0)))
    return uv_sphere(0.5 * float(diameter))
