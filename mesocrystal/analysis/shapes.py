"""Body shapes: support functions, separating axes, volumes and size scales.

The classifier needs a size scale per body and a contact criterion that works for spheres and for
anisotropic bodies (platelets, cuboids). Shapes are read from the HOOMD ``particles/type_shapes``
convention (``{"type": "Sphere", "diameter": D}``, ``{"type": "ConvexPolyhedron", "vertices":
[[x, y, z], ...], "rounding_radius": r}``, ``{"type": "Ellipsoid", "a": a, "b": b, "c": c}``);
all lengths are in the body frame, in nm.

Size scales used in the package:

* circumsphere diameter: diameter of the sphere centred on the body that encloses it (this is what
  ``particles/diameter`` stores);
* volume-equivalent diameter :math:`d_v = (6 V / \\pi)^{1/3}`: the size scale of contact
  tolerances and of the layer-spacing search range, because it is the same for a body of a given
  volume whatever its aspect ratio (for a 4 x 4 x 1 nm platelet :math:`d_v` = 3.13 nm while the
  circumsphere diameter is 5.74 nm and the thickness 1 nm);
* extent along a direction :math:`n`: :math:`h(n) + h(-n)` with the support function
  :math:`h(n) = \\max_{x \\in \\text{body}} x \\cdot n`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.spatial import ConvexHull, QhullError, cKDTree

#: Ratio of largest to smallest extent above which a body counts as anisotropic (its orientation
#: is meaningful). A cube has ratio 1, the platelets of the project 3-10.
ANISOTROPY_THRESHOLD = 1.2

#: Distance below which two folded unit axes are the same axis (a face normal and the normal of
#: the opposite, parallel face are one separating axis).
AXIS_TOLERANCE = 1e-6


@dataclasses.dataclass(frozen=True)
class ConvexShape:
    """Convex body shape in its body frame, as the analysis sees it (contacts and sizes).

    Built from ``particles/type_shapes`` (:func:`shape_from_spec`); the model's rigid body with
    its interaction sites is :class:`mesocrystal.model.shapes.BodyShape`.

    Attributes
    ----------
    kind : str
        ``"sphere"``, ``"polyhedron"`` or ``"ellipsoid"``.
    vertices : numpy.ndarray or None
        ``(V, 3)`` vertices of the polyhedral core (nm, body frame); ``None`` otherwise.
    semi_axes : numpy.ndarray or None
        ``(3,)`` ellipsoid semi-axes (nm) along body x, y, z; ``None`` otherwise.
    rounding_radius : float
        Radius (nm) of the sphere swept over the core (sphere: its radius, core = a point).
    axes : numpy.ndarray
        ``(F, 3)`` unit vectors (body frame) used as candidate separating axes: face normals of a
        polyhedron with antiparallel pairs merged, principal axes of an ellipsoid; ``(0, 3)`` for
        a sphere.
    volume : float
        Volume (nm^3).
    circumsphere_diameter : float
        Diameter (nm) of the enclosing sphere centred on the body origin.
    """

    kind: str
    vertices: np.ndarray | None
    semi_axes: np.ndarray | None
    rounding_radius: float
    axes: np.ndarray
    volume: float
    circumsphere_diameter: float

    @property
    def volume_diameter(self) -> float:
        """Volume-equivalent sphere diameter :math:`(6V/\\pi)^{1/3}` (nm)."""
        return (6.0 * self.volume / math.pi) ** (1.0 / 3.0)

    @property
    def extents(self) -> np.ndarray:
        """Widths (nm) along the body x, y, z axes and along each separating axis, ``(3 + F,)``."""
        dirs = np.concatenate([np.eye(3), self.axes])
        return self.support(dirs) + self.support(-dirs)

    @property
    def anisotropy(self) -> float:
        """Ratio of the largest to the smallest width (1 for a sphere or a cube)."""
        ext = self.extents
        return float(ext.max() / ext.min())

    @property
    def is_anisotropic(self) -> bool:
        """Whether the orientation of the body matters (anisotropy above 1.2)."""
        return self.anisotropy > ANISOTROPY_THRESHOLD

    def support(self, directions: np.ndarray) -> np.ndarray:
        """Support function :math:`h(n) = \\max_{x \\in \\text{body}} x \\cdot n`.

        Parameters
        ----------
        directions : numpy.ndarray
            ``(..., 3)`` unit vectors in the body frame.

        Returns
        -------
        numpy.ndarray
            ``(...)`` support distances (nm).
        """
        directions = np.asarray(directions, dtype=np.float64)
        if self.kind == "polyhedron":
            core = np.max(directions @ self.vertices.T, axis=-1)
        elif self.kind == "ellipsoid":
            core = np.sqrt(np.sum((directions * self.semi_axes) ** 2, axis=-1))
        else:
            core = np.zeros(directions.shape[:-1])
        return core + self.rounding_radius

    def scaled(self, factor: float) -> ConvexShape:
        """Return the shape uniformly scaled by ``factor``."""
        f = float(factor)
        return ConvexShape(
            kind=self.kind,
            vertices=None if self.vertices is None else self.vertices * f,
            semi_axes=None if self.semi_axes is None else self.semi_axes * f,
            rounding_radius=self.rounding_radius * f,
            axes=self.axes,
            volume=self.volume * f**3,
            circumsphere_diameter=self.circumsphere_diameter * f,
        )


def sphere(diameter: float) -> ConvexShape:
    """Sphere of the given diameter (nm)."""
    d = float(diameter)
    if not d > 0:
        raise ValueError(f"sphere diameter must be positive, got {d}")
    return ConvexShape(
        kind="sphere",
        vertices=None,
        semi_axes=None,
        rounding_radius=0.5 * d,
        axes=np.zeros((0, 3)),
        volume=math.pi * d**3 / 6.0,
        circumsphere_diameter=d,
    )


def _unique_axes(normals: np.ndarray) -> np.ndarray:
    """Unit normals with antiparallel and duplicate vectors merged, ``(F, 3)``.

    Vectors closer than :data:`AXIS_TOLERANCE` after folding ``n`` and ``-n`` together are one
    axis (pairs found with :meth:`scipy.spatial.cKDTree.query_pairs`); the first of each is
    kept, in input order.
    """
    n = np.asarray(normals, dtype=np.float64)
    n = n / np.linalg.norm(n, axis=1)[:, None]
    # fold n and -n onto one representative: make the first non-zero component positive
    lead = np.argmax(np.abs(n) > 1e-8, axis=1)
    sign = np.sign(n[np.arange(len(n)), lead])
    n = n * sign[:, None]
    pairs = cKDTree(n).query_pairs(AXIS_TOLERANCE, output_type="ndarray")
    duplicate = np.zeros(len(n), dtype=bool)
    duplicate[pairs.max(axis=1)] = True
    return n[~duplicate]


def polyhedron(vertices: np.ndarray, rounding_radius: float = 0.0) -> ConvexShape:
    """Convex (sphero)polyhedron, or a rounded convex polygon if the vertices are coplanar.

    Parameters
    ----------
    vertices : numpy.ndarray
        ``(V, 3)`` vertices (nm) in the body frame, body centre at the origin.
    rounding_radius : float
        Radius (nm) of the sphere swept over the polyhedron.
    """
    v = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    r = float(rounding_radius)
    if len(v) == 0 or not np.all(np.isfinite(v)) or r < 0:
        raise ValueError("polyhedron needs finite vertices and a non-negative rounding radius")
    circ = 2.0 * (np.linalg.norm(v, axis=1).max() + r)
    centred = v - v.mean(axis=0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=True)
    scale = max(sv[0], 1e-12)
    rank = int(np.sum(sv > 1e-9 * scale))
    if rank == 3:
        import coxeter  # deferred: its import costs more than a classification of 10^4 bodies

        try:
            poly = coxeter.shapes.ConvexPolyhedron(v)
        except QhullError as exc:  # pragma: no cover - rank test above catches degenerate input
            raise ValueError(f"invalid polyhedron vertices: {exc}") from exc
        if r > 0:
            volume = coxeter.shapes.ConvexSpheropolyhedron(v, r).volume
        else:
            volume = poly.volume
        axes = _unique_axes(poly.normals)
    elif rank == 2:
        if r <= 0:
            raise ValueError("coplanar vertices describe a body only with a rounding radius > 0")
        # in-plane basis and the plane normal
        e1, e2, normal = vt[0], vt[1], vt[2]
        planar = np.column_stack([centred @ e1, centred @ e2])
        hull = ConvexHull(planar)
        area = hull.volume  # 2-D hull: "volume" is the area, "area" the perimeter
        perimeter = hull.area
        # Steiner formula of a convex set in a plane swept by a sphere of radius r
        volume = 2.0 * r * area + 0.5 * math.pi * r**2 * perimeter + 4.0 / 3.0 * math.pi * r**3
        edge_normals_2d = hull.equations[:, :2]
        edge_normals = edge_normals_2d[:, :1] * e1 + edge_normals_2d[:, 1:2] * e2
        axes = _unique_axes(np.vstack([normal[None, :], edge_normals]))
    else:
        if r <= 0:
            raise ValueError("collinear vertices describe a body only with a rounding radius > 0")
        # spherocylinder-like body: separating axes are not needed beyond the centre line
        length = 2.0 * np.abs(centred @ vt[0]).max()
        volume = math.pi * r**2 * length + 4.0 / 3.0 * math.pi * r**3
        axes = np.zeros((0, 3))
    return ConvexShape(
        kind="polyhedron",
        vertices=v,
        semi_axes=None,
        rounding_radius=r,
        axes=axes,
        volume=float(volume),
        circumsphere_diameter=float(circ),
    )


def ellipsoid(a: float, b: float, c: float) -> ConvexShape:
    """Ellipsoid with semi-axes ``a``, ``b``, ``c`` (nm) along the body x, y, z axes."""
    semi = np.array([a, b, c], dtype=np.float64)
    if not np.all(semi > 0):
        raise ValueError("ellipsoid semi-axes must be positive")
    return ConvexShape(
        kind="ellipsoid",
        vertices=None,
        semi_axes=semi,
        rounding_radius=0.0,
        axes=np.eye(3),
        volume=float(4.0 / 3.0 * math.pi * np.prod(semi)),
        circumsphere_diameter=float(2.0 * semi.max()),
    )


def shape_from_spec(spec: Mapping[str, Any] | None) -> ConvexShape | None:
    """Build a shape from one entry of HOOMD ``particles/type_shapes``.

    Parameters
    ----------
    spec : dict or None
        Shape specification (HOOMD GSD shape visualisation convention).

    Returns
    -------
    ConvexShape or None
        ``None`` when the entry is empty or describes a shape that is not a 3-D convex body
        (e.g. 2-D polygons); callers then fall back to ``particles/diameter``.
    """
    if not spec:
        return None
    kind = str(spec.get("type", "")).lower()
    try:
        if kind == "sphere":
            return sphere(float(spec["diameter"]))
        if kind in ("convexpolyhedron", "convexspheropolyhedron"):
            return polyhedron(
                np.asarray(spec["vertices"], dtype=np.float64),
                float(spec.get("rounding_radius", 0.0)),
            )
        if kind == "ellipsoid":
            return ellipsoid(float(spec["a"]), float(spec["b"]), float(spec["c"]))
    except (KeyError, TypeError, ValueError):
        return None
    return None
