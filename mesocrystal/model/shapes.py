"""Nanocrystal shapes as rigid bodies of surface interaction sites.

A nanocrystal is a metal core (sphere, square or hexagonal platelet, cuboid) wrapped in a
ligand shell. The model represents it as a rigid body:

* the **core** sets the body's mass and principal moments of inertia (solid metal of uniform
  density, computed with :mod:`coxeter`, not guessed);
* the **steric envelope** is the core dilated by half a ligand-shell thickness: two bodies
  touch when their cores are one shell thickness apart, as for interdigitated ligand shells
  in nanoparticle superlattices (Landman & Luedtke, Faraday Discuss. 125, 1 (2004));
* the **interaction sites** are beads of contact diameter ``site_diameter`` whose centres lie
  on the envelope eroded by one bead radius, spaced ``site_spacing`` apart. The union of the
  beads reproduces the envelope as a spheropolyhedron (rounding radius = bead radius), with
  surface ripples much smaller than the bead so that bodies slide rather than interlock.

Conventions: lengths in nm (the model's length unit), masses in the mass unit of
:mod:`mesocrystal.units`. The body frame is the principal frame of the core, and body-frame
**z is the short axis** (the platelet normal); cuboid edges are sorted so that z is shortest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import coxeter
import numpy as np

from mesocrystal import units

#: Half-opening angle of the two polar patches of a patchy sphere [deg].
PATCH_HALF_ANGLE_DEG = 45.0

SITE_ATTRACTIVE = 0
SITE_REPULSIVE = 1
SITE_TYPES = ("A", "R")


@dataclass(frozen=True)
class BodyShape:
    """One body type: core geometry, interaction sites, mass and inertia.

    Attributes
    ----------
    kind : str
        ``"sphere"``, ``"platelet"`` or ``"cuboid"``.
    core_dimensions : tuple of float
        Core size [nm]: ``(d,)`` for a sphere, ``(width, width, thickness)`` for a platelet
        (width across flats for hexagons), ``(a, b, c)`` with ``a >= b >= c`` for a cuboid.
    sites : numpy.ndarray, shape (n_sites, 3)
        Site positions in the body frame [nm].
    site_types : numpy.ndarray, shape (n_sites,)
        ``SITE_ATTRACTIVE`` (0) or ``SITE_REPULSIVE`` (1) per site.
    mass : float
        Body mass (reduced units).
    moment_inertia : numpy.ndarray, shape (3,)
        Principal moments of inertia about the body-frame x, y, z axes (reduced units).
    envelope : coxeter shape
        Steric envelope (``Sphere`` or ``ConvexSpheropolyhedron``) in the body frame.
    core : coxeter shape
        Metal core in the body frame.
    """

    kind: str
    core_dimensions: tuple[float, ...]
    sites: np.ndarray = field(repr=False)
    site_types: np.ndarray = field(repr=False)
    mass: float
    moment_inertia: np.ndarray = field(repr=False)
    envelope: object = field(repr=False)
    core: object = field(repr=False)

    @property
    def n_sites(self) -> int:
        """Number of interaction sites."""
        return len(self.sites)

    @property
    def circumsphere_diameter(self) -> float:
        """Diameter of the sphere circumscribing the steric envelope [nm]."""
        return 2.0 * (np.linalg.norm(self.sites, axis=1).max() + self.site_radius)

    @property
    def site_radius(self) -> float:
        """Bead (rounding) radius of the envelope [nm]."""
        if isinstance(self.envelope, coxeter.shapes.Sphere):
            return self.envelope.radius - float(np.linalg.norm(self.sites[0]))
        return self.envelope.radius

    @property
    def envelope_volume(self) -> float:
        """Volume of the steric envelope [nm^3]; defines the packing fraction."""
        return float(self.envelope.volume)

    @property
    def type_shape(self) -> dict:
        """GSD ``particles/type_shapes`` entry that draws the steric envelope."""
        return dict(self.envelope.gsd_shape_spec)


def _fibonacci_sphere(n: int) -> np.ndarray:
    """``n`` nearly uniform unit vectors (golden-spiral lattice), shape (n, 3)."""
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    phi = math.pi * (1.0 + math.sqrt(5.0)) * i
    r = np.sqrt(1.0 - z * z)
    return np.column_stack([r * np.cos(phi), r * np.sin(phi), z])


def _face_basis(points: np.ndarray, normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u = points[1] - points[0]
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    return u, v


def _polygon_interior_grid(polygon: np.ndarray, normal: np.ndarray, spacing: float) -> list:
    """Interior lattice points of a planar convex polygon (vertices in order, shape (m, 3))."""
    m = len(polygon)
    edges = [polygon[(k + 1) % m] - polygon[k] for k in range(m)]
    is_rectangle = m == 4 and all(
        abs(np.dot(edges[k], edges[(k + 1) % 4])) < 1e-9 * np.dot(edges[k], edges[k])
        for k in range(4)
    )
    if is_rectangle:
        # Grid aligned with the edges and commensurate with the edge subdivisions, so that
        # face and edge sites form one regular lattice.
        lu, lv = np.linalg.norm(edges[0]), np.linalg.norm(edges[1])
        nu, nv = max(1, math.ceil(lu / spacing - 1e-9)), max(1, math.ceil(lv / spacing - 1e-9))
        u, v = edges[0] / lu, edges[1] / lv
        return [
            polygon[0] + u * (i * lu / nu) + v * (j * lv / nv)
            for i in range(1, nu)
            for j in range(1, nv)
        ]
    # General convex polygon: triangular lattice centred on the centroid, aligned with the
    # first edge, keeping points at least half a spacing inside every edge.
    centroid = polygon.mean(axis=0)
    u, v = _face_basis(polygon, normal)
    extent = np.max(np.linalg.norm(polygon - centroid, axis=1))
    n = int(extent / spacing) + 2
    a1 = u * spacing
    a2 = (0.5 * u + math.sqrt(3.0) / 2.0 * v) * spacing
    out = []
    for i in range(-2 * n, 2 * n + 1):
        for j in range(-2 * n, 2 * n + 1):
            p = centroid + i * a1 + j * a2
            inside = True
            for k in range(m):
                inward = np.cross(normal, edges[k])
                inward /= np.linalg.norm(inward)
                if np.dot(p - polygon[k], inward) < 0.5 * spacing:
                    inside = False
                    break
            if inside:
                out.append(p)
    return out


def polyhedron_surface_sites(vertices: np.ndarray, spacing: float) -> np.ndarray:
    """Sites covering the surface of a convex polyhedron at about ``spacing`` apart.

    Vertices, points subdividing every edge, and an interior lattice on every face.

    Parameters
    ----------
    vertices : numpy.ndarray, shape (n, 3)
        Polyhedron vertices [nm].
    spacing : float
        Largest distance between neighbouring sites [nm].

    Returns
    -------
    numpy.ndarray, shape (n_sites, 3)
        Site positions [nm].
    """
    poly = coxeter.shapes.ConvexPolyhedron(vertices)
    verts = np.asarray(poly.vertices, dtype=float)
    pts = [v for v in verts]
    for i, j in np.asarray(poly.edges):
        d = verts[j] - verts[i]
        n = max(1, math.ceil(np.linalg.norm(d) / spacing - 1e-9))
        pts.extend(verts[i] + d * k / n for k in range(1, n))
    for face, normal in zip(poly.faces, poly.normals):
        pts.extend(_polygon_interior_grid(verts[np.asarray(face)], np.asarray(normal), spacing))
    pts = np.asarray(pts)
    # Remove coincident points (shared edges listed twice, grid points on an edge).
    keep = np.ones(len(pts), dtype=bool)
    for k in range(len(pts)):
        if keep[k]:
            close = np.linalg.norm(pts[k + 1 :] - pts[k], axis=1) < 1e-6 * max(spacing, 1.0)
            keep[k + 1 :][close] = False
    return pts[keep]


def _prism_vertices(kind: str, dims: tuple[float, float, float], sides: int) -> np.ndarray:
    """Vertices of a box or a hexagonal prism centred at the origin, shape (n, 3)."""
    if kind == "platelet" and sides == 6:
        width, _, thickness = dims
        circumradius = width / math.sqrt(3.0)  # width is measured across flats
        angles = np.arange(6) * math.pi / 3.0
        ring = np.column_stack([circumradius * np.cos(angles), circumradius * np.sin(angles)])
        return np.vstack(
            [np.column_stack([ring, np.full(6, s * thickness / 2.0)]) for s in (-1.0, 1.0)]
        )
    a, b, c = dims
    return np.array(
        [[x * a / 2, y * b / 2, z * c / 2] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)],
        dtype=float,
    )


def make_shape(
    kind: str,
    core_dimensions: tuple[float, ...],
    *,
    shell_thickness: float,
    site_diameter: float,
    site_spacing: float,
    patchy: bool = False,
    platelet_sides: int = 4,
) -> BodyShape:
    """Build a body type from its core geometry.

    Parameters
    ----------
    kind : str
        ``"sphere"``, ``"platelet"`` or ``"cuboid"``.
    core_dimensions : tuple of float
        ``(d,)`` for a sphere; ``(width, thickness)`` for a platelet (hexagon width across
        flats); ``(a, b, c)`` for a cuboid, in any order (sorted so that z is shortest) [nm].
    shell_thickness : float
        Ligand shell thickness [nm]; the envelope is the core dilated by half of it.
    site_diameter : float
        Contact diameter of a site bead [nm].
    site_spacing : float
        Largest spacing between neighbouring sites [nm].
    patchy : bool
        If true only the two large faces (platelet, cuboid) or two polar caps (sphere) carry
        attractive sites; all other sites are purely repulsive.
    platelet_sides : int
        4 (square) or 6 (hexagonal) platelets.

    Returns
    -------
    BodyShape
    """
    dilation = shell_thickness / 2.0
    bead_radius = site_diameter / 2.0
    inset = dilation - bead_radius  # site-surface offset from the core surface [nm]

    if kind == "sphere":
        (d,) = core_dimensions
        core = coxeter.shapes.Sphere(d / 2.0)
        site_radius = d / 2.0 + inset
        n = max(4, round(4 * math.pi * site_radius**2 / (math.sqrt(3) / 2 * site_spacing**2)))
        normals = _fibonacci_sphere(n)
        sites = site_radius * normals
        envelope = coxeter.shapes.Sphere(site_radius + bead_radius)
        attractive = np.abs(normals[:, 2]) >= math.cos(math.radians(PATCH_HALF_ANGLE_DEG))
        dims = (float(d),)
    else:
        if kind == "platelet":
            width, thickness = core_dimensions
            dims = (float(width), float(width), float(thickness))
        elif kind == "cuboid":
            dims = tuple(sorted((float(x) for x in core_dimensions), reverse=True))
        else:
            raise ValueError(f"unknown shape {kind!r}")
        core_vertices = _prism_vertices(kind, dims, platelet_sides)
        core = coxeter.shapes.ConvexPolyhedron(core_vertices)
        inner_dims = tuple(x + 2 * inset for x in dims)  # faces moved out by ``inset``
        inner_vertices = _prism_vertices(kind, inner_dims, platelet_sides)
        sites = polyhedron_surface_sites(inner_vertices, site_spacing)
        envelope = coxeter.shapes.ConvexSpheropolyhedron(inner_vertices, bead_radius)
        attractive = np.isclose(np.abs(sites[:, 2]), inner_dims[2] / 2.0)

    site_types = np.full(len(sites), SITE_ATTRACTIVE, dtype=np.int32)
    if patchy:
        site_types[~attractive] = SITE_REPULSIVE

    volume = float(core.volume)
    mass = units.core_mass(volume)
    inertia = np.asarray(core.inertia_tensor, dtype=float) * (mass / volume)
    if np.abs(inertia - np.diag(np.diag(inertia))).max() > 1e-8 * np.abs(inertia).max():
        raise RuntimeError("core inertia tensor is not diagonal in the body frame")
    return BodyShape(
        kind=kind,
        core_dimensions=dims,
        sites=np.ascontiguousarray(sites, dtype=float),
        site_types=site_types,
        mass=mass,
        moment_inertia=np.diag(inertia).copy(),
        envelope=envelope,
        core=core,
    )
