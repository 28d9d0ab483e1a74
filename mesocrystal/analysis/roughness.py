"""Surface roughness of an aggregate, measured the way an AFM measures it.

**The image.** A contact or tapping AFM with a tip of apex radius :math:`R` records, at each
lateral position :math:`(x, y)`, the height of the tip apex when the tip touches the sample from
above. For a spherical tip this image is the morphological dilation of the sample surface by
the tip (Villarrubia, J. Res. Natl. Inst. Stand. Technol. 102, 425 (1997)): with the sample
written as a union of balls of centres :math:`\\mathbf c_k` and radii :math:`r_k`,

.. math::

    h(x, y) = \\max_k \\left[ z_k + \\sqrt{(r_k + R)^2 - \\rho_k^2} \\right] - R,
    \\qquad \\rho_k^2 = (x - x_k)^2 + (y - y_k)^2 < (r_k + R)^2,

which is exact for spheres. A (sphero)polyhedron of rounding radius :math:`r` dilated by the
tip is bounded by its faces moved out by :math:`r + R` along their normals (taken exactly),
cylinders around its edges and balls on its vertices; the cylinders are written as rows of balls
spaced :math:`s = (r + R)/16`, which dents them by at most :math:`s^2/(8(r + R)) < (r +
R)/2000`. Ellipsoids are written as points sampled over their upward-facing surface at that
spacing. A finite tip cannot enter gaps narrower than itself, so the image is smoother than the
sample and roughness values compare only at equal tip and scan size (ISO 25178-2:2012;
Villarrubia 1997).

**The scan.** The aggregate lies on its largest face, as a crystal drop-cast on a wafer does:
the scan looks along the shortest axis of its oriented bounding box (the normal of the face it
rests on, :func:`analysis.morphology.oriented_box`). The square window of side
:data:`SCAN_SIZE_NM`, sampled every :data:`PIXEL_NM`, is placed as an operator places a scan on
the object: where the tip touches the aggregate over the largest share of the window, and among
equals nearest to the centre of mass (:func:`place_window`). Which face lies up is random, so
both faces normal to that axis are scanned and the result is their mean. Pixels where the tip
touches nothing (the window overhangs the aggregate) are left out; their share is reported as
``1 - coverage``.

**The roughness.** ISO 25178-2 :math:`S_q` (the areal form of ISO 4287 :math:`R_q`): the
root-mean-square height of the scale-limited surface, here after removing the least-squares
plane (first-order levelling, as AFM software does before quoting an RMS roughness):

.. math:: S_q = \\sqrt{\\frac{1}{A}\\iint_A [h(x, y) - (a + b x + c y)]^2\\,dx\\,dy}.

**Constants** (the same for every condition): tip radius :data:`TIP_RADIUS_NM` = 8 nm, a
typical nominal radius of new silicon AFM probes (manufacturers quote 7-10 nm); scan size
:data:`SCAN_SIZE_NM` = 16 nm, four particle diameters, small enough to fit on the top face of
the simulated aggregates (a few tens of nm). The paper's scans cover micrometres of
micrometre-sized mesocrystals (6.24 nm and 22.05 nm RMS, Bose et al., Nanoscale 17, 803 (2025),
Figs. S7 and S11), so simulated and measured values compare in order (random packings
rougher than mesocrystals), not in magnitude.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import rowan
from scipy.spatial import ConvexHull

from .io import BodySystem

#: Radius of the AFM tip apex (nm).
TIP_RADIUS_NM = 8.0

#: Side of the square scan window (nm).
SCAN_SIZE_NM = 16.0

#: Pixel size of the height map (nm): 64 x 64 pixels over the scan window.
PIXEL_NM = 0.25

#: Share of covered pixels below which a roughness is flagged as unreliable (the window
#: overhangs the aggregate).
MIN_COVERAGE = 0.5

_CHUNK = 4096
_PRUNE_BLOCK = 2048
_BLOCK = 8


@dataclasses.dataclass(frozen=True)
class HeightMap:
    """An AFM-like image.

    Attributes
    ----------
    heights : numpy.ndarray
        ``(n, n)`` tip-apex heights (nm) above the window's reference plane; NaN where the tip
        touches nothing. Index ``[i, j]`` is the pixel at ``(x_i, y_j)``.
    pixel : float
        Pixel size (nm).
    tip_radius : float
        Tip radius (nm).
    """

    heights: np.ndarray
    pixel: float
    tip_radius: float

    @property
    def coverage(self) -> float:
        """Share of pixels where the tip touches the sample."""
        return float(np.mean(np.isfinite(self.heights)))

    @property
    def coordinates(self) -> np.ndarray:
        """``(n,)`` pixel-centre coordinates along x and y (nm), centred on 0."""
        n = self.heights.shape[0]
        return (np.arange(n) - 0.5 * (n - 1)) * self.pixel


@dataclasses.dataclass(frozen=True)
class Roughness:
    """Roughness of both faces of an aggregate normal to a viewing axis.

    Attributes
    ----------
    sq : float
        Mean of the two faces' :math:`S_q` (nm); NaN when neither face has covered pixels.
    sq_faces : tuple of float
        :math:`S_q` of the face towards ``+axis`` and of the face towards ``-axis`` (nm).
    coverage : tuple of float
        Share of covered pixels of each face.
    maps : tuple of HeightMap
        The two height maps (the ``-axis`` face seen from below).
    offsets : tuple of tuple
        Centre of each face's window relative to the centre of mass, in its scan frame (nm).
    axis : numpy.ndarray
        ``(3,)`` viewing axis (lab frame).
    tip_radius, scan_size, pixel : float
        Tip radius, scan size and pixel size (nm).
    """

    sq: float
    sq_faces: tuple
    coverage: tuple
    maps: tuple
    offsets: tuple
    axis: np.ndarray
    tip_radius: float
    scan_size: float
    pixel: float

    @property
    def reliable(self) -> bool:
        """Both faces are covered on at least :data:`MIN_COVERAGE` of the window."""
        return min(self.coverage) >= MIN_COVERAGE

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (NaN becomes ``None``; maps left out)."""

        def num(x):
            return float(x) if np.isfinite(x) else None

        return {
            "sq_nm": num(self.sq),
            "sq_faces_nm": [num(x) for x in self.sq_faces],
            "coverage": [float(x) for x in self.coverage],
            "window_offsets_nm": [[float(x) for x in o] for o in self.offsets],
            "reliable": self.reliable,
            "axis": [float(x) for x in self.axis],
            "tip_radius_nm": self.tip_radius,
            "scan_size_nm": self.scan_size,
            "pixel_nm": self.pixel,
        }


def height_map(
    points: np.ndarray,
    radii: np.ndarray | float,
    tip_radius: float = TIP_RADIUS_NM,
    scan_size: float = SCAN_SIZE_NM,
    pixel: float = PIXEL_NM,
    triangles: np.ndarray | None = None,
) -> HeightMap:
    """AFM image of a union of balls and flat faces under a spherical tip (see module docs).

    Parameters
    ----------
    points : numpy.ndarray
        ``(M, 3)`` ball centres in the scan frame (nm): ``x, y`` lateral with the window
        centred on 0, ``z`` up (towards the tip).
    radii : numpy.ndarray or float
        ``(M,)`` ball radii (nm), 0 for points.
    tip_radius : float
        Tip apex radius :math:`R` (nm), > 0.
    scan_size : float
        Side of the square window (nm).
    pixel : float
        Pixel size (nm); the window holds ``round(scan_size / pixel)`` pixels per side.
    triangles : numpy.ndarray, optional
        ``(T, 3, 3)`` upward-facing flat faces of the dilated sample (scan frame, nm): each
        body face already moved out along its normal by its rounding radius plus the tip
        radius. Over its lateral projection a face sets the tip apex on its plane.

    Returns
    -------
    HeightMap
        Heights of the tip apex minus :math:`R` (nm); NaN where the tip touches nothing.

    Raises
    ------
    ValueError
        If the tip radius, scan size or pixel size is not positive.
    """
    for name, value in (("tip_radius", tip_radius), ("scan_size", scan_size), ("pixel", pixel)):
        if not value > 0:
            raise ValueError(f"{name} must be > 0 nm, got {value}")
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    rad = np.broadcast_to(np.asarray(radii, dtype=np.float64), (len(pts),))
    n = max(int(round(scan_size / pixel)), 1)
    coords = (np.arange(n) - 0.5 * (n - 1)) * pixel
    flat = np.full(n * n, -np.inf)
    reach = rad + tip_radius
    half = 0.5 * (n - 1) * pixel
    near = (np.abs(pts[:, 0]) <= half + reach) & (np.abs(pts[:, 1]) <= half + reach)
    pts, rad, reach = pts[near], rad[near], reach[near]
    image = flat.reshape(n, n)
    if triangles is not None and len(triangles):
        _raise_to_faces(image, coords, np.asarray(triangles, float), tip_radius)
    # highest balls first; skip balls that lie below the image everywhere within their reach
    top = pts[:, 2] + rad
    order = np.argsort(-top)
    pts, reach, top = pts[order], reach[order], top[order]
    span = int(np.ceil(reach.max() / pixel)) + 1 if len(pts) else 0
    di, dj = np.meshgrid(np.arange(-span, span + 1), np.arange(-span, span + 1), indexing="ij")
    disk = di**2 + dj**2 <= span**2
    di, dj = di[disk], dj[disk]
    chunk = max(1, _CHUNK * 64 // max(len(di), 1))
    ci_all = np.rint(pts[:, 0] / pixel + 0.5 * (n - 1)).astype(np.int64)
    cj_all = np.rint(pts[:, 1] / pixel + 0.5 * (n - 1)).astype(np.int64)
    for block_start in range(0, len(pts), _PRUNE_BLOCK):
        sel = np.arange(block_start, min(block_start + _PRUNE_BLOCK, len(pts)))
        # a ball raises a pixel at most to its own top z + r
        sel = sel[top[sel] > _floor_near(image, ci_all[sel], cj_all[sel], span)]
        for start in range(0, len(sel), chunk):
            k = sel[start : start + chunk]
            p, reach_c = pts[k], reach[k]
            gi = ci_all[k, None] + di[None, :]
            gj = cj_all[k, None] + dj[None, :]
            inside = (gi >= 0) & (gi < n) & (gj >= 0) & (gj < n)
            dx = coords[np.clip(gi, 0, n - 1)] - p[:, 0, None]
            dy = coords[np.clip(gj, 0, n - 1)] - p[:, 1, None]
            under = reach_c[:, None] ** 2 - dx * dx - dy * dy
            ok = inside & (under >= 0)
            h = p[:, 2, None] + np.sqrt(np.where(ok, under, 0.0)) - tip_radius
            np.maximum.at(flat, (gi * n + gj)[ok], h[ok])
    heights = np.where(np.isfinite(flat), flat, np.nan).reshape(n, n)
    return HeightMap(heights=heights, pixel=float(pixel), tip_radius=float(tip_radius))


def _floor_near(image: np.ndarray, ci: np.ndarray, cj: np.ndarray, span: int) -> np.ndarray:
    """Lowest image height within ``span`` pixels of each pixel ``(ci, cj)`` (a lower bound from
    blocks of :data:`_BLOCK` pixels; ``-inf`` where a pixel in reach is still empty)."""
    n = image.shape[0]
    nb = -(-n // _BLOCK)
    padded = np.full((nb * _BLOCK, nb * _BLOCK), np.inf)
    padded[:n, :n] = image
    coarse = padded.reshape(nb, _BLOCK, nb, _BLOCK).min(axis=(1, 3))
    lo_i = np.clip((ci - span) // _BLOCK, 0, nb - 1)
    hi_i = np.clip((ci + span) // _BLOCK, 0, nb - 1)
    lo_j = np.clip((cj - span) // _BLOCK, 0, nb - 1)
    hi_j = np.clip((cj + span) // _BLOCK, 0, nb - 1)
    floor = np.full(len(ci), np.inf)
    width = 2 * span // _BLOCK + 2
    for a in range(width):
        for b in range(width):
            i, j = lo_i + a, lo_j + b
            valid = (i <= hi_i) & (j <= hi_j)
            value = coarse[np.minimum(i, nb - 1), np.minimum(j, nb - 1)]
            floor = np.where(valid, np.minimum(floor, value), floor)
    return floor


def _raise_to_faces(
    image: np.ndarray, coords: np.ndarray, triangles: np.ndarray, tip_radius: float
) -> None:
    """Raise ``image`` (``(n, n)``, in place) to the planes of ``triangles`` over their shadows."""
    n = len(coords)
    pixel = coords[1] - coords[0] if n > 1 else 1.0
    edge1 = triangles[:, 1] - triangles[:, 0]
    edge2 = triangles[:, 2] - triangles[:, 0]
    normal = np.cross(edge1, edge2)
    normal *= np.where(normal[:, 2] < 0, -1.0, 1.0)[:, None]
    steep = normal[:, 2] <= 1e-9 * np.linalg.norm(normal, axis=1)
    lo = np.clip(np.ceil((triangles[:, :, :2].min(axis=1) - coords[0]) / pixel), 0, n)
    hi = np.clip(np.floor((triangles[:, :, :2].max(axis=1) - coords[0]) / pixel) + 1, 0, n)
    lo, hi = lo.astype(np.int64), hi.astype(np.int64)
    for t in np.flatnonzero(~steep & np.all(hi > lo, axis=1)):
        xs, ys = coords[lo[t, 0] : hi[t, 0]], coords[lo[t, 1] : hi[t, 1]]
        px, py = np.meshgrid(xs, ys, indexing="ij")
        a, b, c = triangles[t, :, :2]
        # barycentric test in the lateral plane
        det = (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])
        u = ((px - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (py - a[1])) / det
        v = ((b[0] - a[0]) * (py - a[1]) - (px - a[0]) * (b[1] - a[1])) / det
        inside = (u >= -1e-12) & (v >= -1e-12) & (u + v <= 1 + 1e-12)
        nx, ny, nz = normal[t]
        z = triangles[t, 0, 2] - (nx * (px - a[0]) + ny * (py - a[1])) / nz
        block = image[lo[t, 0] : hi[t, 0], lo[t, 1] : hi[t, 1]]
        np.maximum(block, np.where(inside, z - tip_radius, -np.inf), out=block)


def level(heights: np.ndarray, pixel: float = 1.0) -> np.ndarray:
    """Subtract the least-squares plane :math:`a + bx + cy` from the covered pixels.

    Parameters
    ----------
    heights : numpy.ndarray
        ``(n, n)`` heights (nm), NaN where not covered.
    pixel : float
        Pixel size (nm).

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` residual heights (nm), NaN where not covered.
    """
    n = heights.shape[0]
    x, y = np.meshgrid(np.arange(n) * pixel, np.arange(heights.shape[1]) * pixel, indexing="ij")
    ok = np.isfinite(heights)
    out = np.full(heights.shape, np.nan)
    if np.count_nonzero(ok) < 3:
        return out
    design = np.column_stack([np.ones(np.count_nonzero(ok)), x[ok], y[ok]])
    coef, *_ = np.linalg.lstsq(design, heights[ok], rcond=None)
    out[ok] = heights[ok] - design @ coef
    return out


def sq(heights: np.ndarray, pixel: float = 1.0, levelled: bool = True) -> float:
    """ISO 25178-2 :math:`S_q` of a height map (nm), over covered pixels.

    Parameters
    ----------
    heights : numpy.ndarray
        ``(n, n)`` heights (nm), NaN where not covered.
    pixel : float
        Pixel size (nm), for the levelling plane.
    levelled : bool
        Remove the least-squares plane first (default); otherwise the mean height.

    Returns
    -------
    float
        Root-mean-square residual height (nm); NaN with fewer than 3 covered pixels.
    """
    if levelled:
        residual = level(heights, pixel)
    else:
        residual = heights - np.nanmean(heights) if np.any(np.isfinite(heights)) else heights
    ok = np.isfinite(residual)
    if np.count_nonzero(ok) < 3:
        return float("nan")
    return float(np.sqrt(np.mean(residual[ok] ** 2)))


# -- bodies as balls ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _polyhedron_surface(key: bytes, n: int, spacing: float) -> tuple:
    """Hull triangles ``(F, 3, 3)``, outward normals ``(F, 3)``, points along each edge
    (list of ``(P, 3)``, ends included, spacing at most ``spacing``) and the two triangles of
    each edge ``(E, 2)`` of a convex polyhedron."""
    verts = np.frombuffer(key, dtype=np.float64).reshape(n, 3)
    hull = ConvexHull(verts)
    tris = verts[hull.simplices]
    normals = hull.equations[:, :3].copy()
    owners: dict[tuple, list] = {}
    for f, simplex in enumerate(hull.simplices):
        for a, b in ((0, 1), (1, 2), (2, 0)):
            key_ab = tuple(sorted((int(simplex[a]), int(simplex[b]))))
            owners.setdefault(key_ab, []).append(f)
    edge_pts, edge_of = [], []
    for (a, b), fs in owners.items():
        m = max(int(np.ceil(np.linalg.norm(verts[b] - verts[a]) / spacing)), 1)
        u = np.linspace(0.0, 1.0, m + 1)[:, None]
        edge_pts.append(verts[a] + u * (verts[b] - verts[a]))
        edge_of.append((fs[0], fs[-1]))
    return tris, normals, edge_pts, np.array(edge_of, dtype=np.int64)


def _ellipsoid_surface(semi_axes: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Fibonacci samples ``(P, 3)`` of an ellipsoid surface and their outward normals."""
    a = np.asarray(semi_axes, dtype=np.float64)
    # Knud Thomsen's approximation of the surface area
    area = 4.0 * np.pi * (((a[0] * a[1]) ** 1.6 + (a[0] * a[2]) ** 1.6 + (a[1] * a[2]) ** 1.6) / 3)
    area = area ** (1 / 1.6)
    m = max(int(2 * area / spacing**2), 64)
    k = np.arange(m) + 0.5
    z = 1 - 2 * k / m
    phi = np.pi * (1 + 5**0.5) * k
    unit = np.column_stack([np.sqrt(1 - z * z) * np.cos(phi), np.sqrt(1 - z * z) * np.sin(phi), z])
    normals = unit / a**2
    normals /= np.linalg.norm(normals, axis=1)[:, None]
    return unit * a, normals


def body_surface(
    system: BodySystem,
    indices: np.ndarray,
    positions: np.ndarray,
    up: np.ndarray,
    tip_radius: float = TIP_RADIUS_NM,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The selected bodies as balls and dilated flat faces, for the image seen from ``up``.

    Spheres are balls. A (sphero)polyhedron of rounding radius :math:`r` contributes its faces
    that face ``up``, moved out along their normals by :math:`r + R` (exact), and balls of
    radius :math:`r` along its edges, spaced :math:`(r + R)/16` (the cylinders around the
    edges). Ellipsoids are sampled over their upward-facing surface at that spacing.

    Parameters
    ----------
    system : BodySystem
        Bodies (shapes, scales, orientations).
    indices : numpy.ndarray
        ``(M,)`` body indices.
    positions : numpy.ndarray
        ``(M, 3)`` their (unwrapped) centres (nm).
    up : numpy.ndarray
        ``(3,)`` unit vector towards the tip.
    tip_radius : float
        Tip radius (nm).

    Returns
    -------
    tuple of numpy.ndarray
        Ball centres ``(K, 3)`` (lab frame, nm), ball radii ``(K,)`` (nm) and dilated faces
        ``(T, 3, 3)`` (lab frame, nm).
    """
    indices = np.asarray(indices, dtype=np.int64)
    positions = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    up = np.asarray(up, dtype=np.float64)
    centres, radii, faces = [], [], []
    tid = system.typeid[indices]
    for t, shape in enumerate(system.shapes):
        sel = np.flatnonzero(tid == t)
        if len(sel) == 0:
            continue
        k = system.scale[indices[sel]]
        r = shape.rounding_radius * k
        if shape.kind == "sphere":
            centres.append(positions[sel])
            radii.append(r)
            continue
        rot = rowan.to_matrix(system.orientations[indices[sel]])
        # spacing (r + R)/16 in lab units for the smallest body of the type
        spacing = (shape.rounding_radius * float(k.min()) + tip_radius) / 16.0 / float(k.max())
        if shape.kind == "ellipsoid":
            local, normals = _ellipsoid_surface(shape.semi_axes, spacing)
            facing = np.einsum("mab,pb,a->mp", rot, normals, up) >= -1e-9
            lab = np.einsum("mab,pb->mpa", rot, local) * k[:, None, None] + positions[sel, None]
            centres.append(lab[facing])
            radii.append(np.zeros(int(np.count_nonzero(facing))))
            continue
        verts = np.ascontiguousarray(shape.vertices, dtype=np.float64)
        tris, normals, edge_pts, edge_of = _polyhedron_surface(
            verts.tobytes(), len(verts), round(spacing, 6)
        )
        lab_normals = np.einsum("mab,fb->mfa", rot, normals)
        facing = lab_normals @ up >= -1e-9
        body, tri = np.nonzero(facing & (lab_normals @ up > 1e-9))
        moved = np.einsum("mab,mvb->mva", rot[body], tris[tri]) * k[body, None, None]
        moved += positions[sel][body, None, :]
        moved += ((r[body] + tip_radius)[:, None] * lab_normals[body, tri])[:, None, :]
        faces.append(moved)
        # edges of faces that face up (or sideways): cylinders as rows of balls
        body, tri = np.nonzero(facing)
        if len(body):
            use = np.zeros((len(sel), len(normals) + 1), dtype=bool)
            use[body, tri] = True
            for e in range(edge_of.shape[0]):
                bodies = np.flatnonzero(use[:, edge_of[e, 0]] | use[:, edge_of[e, 1]])
                if len(bodies) == 0:
                    continue
                pts = edge_pts[e]
                lab = np.einsum("mab,pb->mpa", rot[bodies], pts) * k[bodies, None, None]
                centres.append((lab + positions[sel][bodies, None, :]).reshape(-1, 3))
                radii.append(np.repeat(r[bodies], len(pts)))
    empty = np.zeros((0, 3))
    return (
        np.concatenate(centres) if centres else empty,
        np.concatenate(radii) if radii else np.zeros(0),
        np.concatenate(faces) if faces else np.zeros((0, 3, 3)),
    )


def place_window(covered: np.ndarray, n: int) -> tuple[int, int]:
    """Corner of the ``n x n`` window with the most covered pixels, nearest to the centre.

    Parameters
    ----------
    covered : numpy.ndarray
        ``(N, N)`` booleans, N >= n: pixels where the tip touches the sample.
    n : int
        Window side (pixels).

    Returns
    -------
    tuple of int
        Row and column of the window's first pixel. Among windows with equal coverage the one
        whose centre is nearest to the centre of ``covered`` wins.
    """
    big = covered.shape[0]
    table = np.zeros((big + 1, big + 1), dtype=np.int64)
    table[1:, 1:] = np.cumsum(np.cumsum(covered, axis=0), axis=1)
    counts = table[n:, n:] - table[:-n, n:] - table[n:, :-n] + table[:-n, :-n]
    best = counts == counts.max()
    i, j = np.nonzero(best)
    middle = 0.5 * (big - n)
    k = int(np.argmin((i - middle) ** 2 + (j - middle) ** 2))
    return int(i[k]), int(j[k])


def scan_frame(axis: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """Right-handed orthonormal frame ``(3, 3)`` (rows x, y, z) with z along ``axis``.

    ``reference`` (default: the lab axis least aligned with ``axis``) sets the x direction.
    """
    z = np.asarray(axis, dtype=np.float64)
    z = z / np.linalg.norm(z)
    ref = np.eye(3)[int(np.argmin(np.abs(z)))] if reference is None else np.asarray(reference)
    x = ref - (ref @ z) * z
    if np.linalg.norm(x) < 1e-9:
        x = np.eye(3)[int(np.argmin(np.abs(z)))] - z * z[int(np.argmin(np.abs(z)))]
    x /= np.linalg.norm(x)
    return np.vstack([x, np.cross(z, x), z])


def scan_aggregate(
    system: BodySystem,
    indices: np.ndarray,
    positions: np.ndarray,
    axes: np.ndarray,
    center: np.ndarray | None = None,
    tip_radius: float = TIP_RADIUS_NM,
    scan_size: float = SCAN_SIZE_NM,
    pixel: float = PIXEL_NM,
) -> Roughness:
    """Scan both faces of an aggregate normal to its minor principal axis.

    Parameters
    ----------
    system : BodySystem
        Bodies.
    indices : numpy.ndarray
        ``(M,)`` indices of the aggregate's bodies.
    positions : numpy.ndarray
        ``(M, 3)`` their unwrapped centres (nm), e.g. from :func:`analysis.morphology.unwrap`.
    axes : numpy.ndarray
        ``(3, 3)`` orthonormal axes (rows), e.g. the oriented box of
        :class:`analysis.morphology.Morphology`; the scan looks along ``axes[2]`` and its x axis
        is ``axes[0]``.
    center : numpy.ndarray, optional
        ``(3,)`` centre of mass (default: mean of ``positions``): the preferred window centre.
    tip_radius, scan_size, pixel : float
        Tip radius, scan size and pixel size (nm).

    Returns
    -------
    Roughness
        :math:`S_q` of both faces and their height maps.
    """
    positions = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    center = positions.mean(axis=0) if center is None else np.asarray(center, dtype=np.float64)
    axes = np.asarray(axes, dtype=np.float64)
    indices = np.asarray(indices, dtype=np.int64)
    n = max(int(round(scan_size / pixel)), 1)
    values, maps, cover, offsets = [], [], [], []
    for sign in (1.0, -1.0):
        frame = scan_frame(sign * axes[2], axes[0])
        balls, radii, faces = body_surface(system, indices, positions, frame[2], tip_radius)
        local = (balls - center) @ frame.T
        tri = (faces - center) @ frame.T
        # where the tip touches the face, on pixels four times coarser; then the window
        coarse = 4 if n % 4 == 0 else 1
        cp, cn = coarse * pixel, n // coarse
        lateral = np.abs(np.concatenate([local[:, :2].ravel(), tri[..., :2].ravel()]))
        reach = tip_radius + float(radii.max(initial=0.0))
        whole_n = max(cn, int(np.ceil(2 * (lateral.max(initial=0.0) + reach) / cp)) + 1)
        whole_n += (whole_n - cn) % 2
        whole = height_map(local, radii, tip_radius, whole_n * cp, cp, tri)
        i0, j0 = place_window(np.isfinite(whole.heights), cn)
        shift = np.zeros(3)
        shift[:2] = (np.array([i0, j0]) - 0.5 * (whole_n - cn)) * cp
        # refine on the fine pixels within one coarse pixel of that window
        margin = coarse if coarse > 1 else 0
        fine = height_map(
            local - shift, radii, tip_radius, (n + 2 * margin) * pixel, pixel, tri - shift
        )
        i1, j1 = place_window(np.isfinite(fine.heights), n)
        image = HeightMap(fine.heights[i1 : i1 + n, j1 : j1 + n], float(pixel), float(tip_radius))
        shift[:2] += (np.array([i1, j1]) - margin) * pixel
        offsets.append((float(shift[0]), float(shift[1])))
        maps.append(image)
        cover.append(image.coverage)
        values.append(sq(image.heights, pixel))
    finite = [v for v in values if np.isfinite(v)]
    return Roughness(
        sq=float(np.mean(finite)) if finite else float("nan"),
        sq_faces=tuple(values),
        coverage=tuple(cover),
        maps=tuple(maps),
        offsets=tuple(offsets),
        axis=axes[2].copy(),
        tip_radius=float(tip_radius),
        scan_size=float(scan_size),
        pixel=float(pixel),
    )
