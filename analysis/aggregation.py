"""Contact network and aggregates.

Two bodies are *in contact* when the gap between their surfaces is below a tolerance that scales
with their size:

.. math::

    g_{ij} < \\gamma \\, (d_{v,i} + d_{v,j}) / 2, \\qquad \\gamma = 0.25,

with :math:`d_v` the volume-equivalent diameter. For spheres this is the usual first-shell
cutoff :math:`r_{ij} < 1.25\\,(d_i + d_j)/2`, which keeps the full first shell of thermalised
FCC/HCP (12), BCC (8 + 6) and simple-cubic (6) crystals and excludes their second shells at
:math:`\\sqrt{2}` times the nearest-neighbour distance (FCC, SC). For convex polyhedra the gap is
the separating-axis lower bound on the surface distance (centre line, face normals of both
bodies), so face-to-face stacked platelets are in contact while platelets two layers apart in a
neighbouring column are not.

Aggregates are found in two steps, as in cluster analyses of nucleation (ten Wolde, Ruiz-Montero
and Frenkel, J. Chem. Phys. 104, 9932 (1996)) with a density instead of a crystallinity
criterion: bodies with at least :data:`CORE_COORDINATION` contacts are *condensed*; connected
components of condensed bodies (:class:`freud.cluster.Cluster`) with at least
:data:`MIN_AGGREGATE_CORES` condensed members are *aggregates*; bodies in contact with an
aggregate's condensed members join it as its surface shell. Vapour bodies and small transient
clusters do not form aggregates.
"""

from __future__ import annotations

import dataclasses

import freud
import numpy as np
import rowan

from .io import BodySystem, FrameError, nearest_plane_distance

#: Surface-gap tolerance as a fraction of the mean volume-equivalent diameter of a pair
#: (1.25 x contact for spheres: between the first (1.0) and second (1.41) shells of FCC and SC).
CONTACT_GAP = 0.25

#: Minimum number of contacts of a condensed body. Dense liquids, jammed packings and crystals
#: have 10-14 neighbours within 1.25 d; the (110) surface of FCC has 7 and surfaces of layered
#: stacks 5-7, while hard-sphere fluids at packing fractions 0.05 and 0.15 have on average 0.4 and
#: 1.5 (0.5 % of their bodies reach 5 at 0.15).
CORE_COORDINATION = 5

#: Minimum number of condensed bodies in an aggregate: a central body with a full FCC shell.
MIN_AGGREGATE_CORES = 13

#: Shell allowance of the *near* network: bodies whose surfaces are further apart than the
#: contact tolerance but closer than the contact tolerance plus this fraction of the pair's mean
#: circumsphere diameter are near each other. It leaves room for the ligand shells that keep
#: the cores of a condensed phase apart: lamellar stacks of platelets whose layers are separated
#: by ligand-filled gaps of up to 0.4 platelet widths (0.25 x the circumsphere diameter of a
#: 6 x 6 x 1.5 nm platelet is 2.15 nm, plus the 1.17 nm contact tolerance: 3.3 nm), and
#: superlattices of spheres with gaps of up to half a diameter. Convention; the near network only
#: decides where the order parameters of material that does not touch are measured
#: (:func:`analysis.descriptors.compute_descriptors`), never a label by itself.
SHELL_ALLOWANCE = 0.25

_CHUNK = 200_000


@dataclasses.dataclass
class ContactNetwork:
    """Symmetric list of contacts between bodies.

    Attributes
    ----------
    i, j : numpy.ndarray
        ``(M,)`` indices of the bodies of each directed bond (both directions stored, sorted by
        ``i``).
    vectors : numpy.ndarray
        ``(M, 3)`` minimum-image vectors from body ``i`` to body ``j`` (nm).
    gaps : numpy.ndarray
        ``(M,)`` surface-gap estimate (nm); negative for overlapping envelopes.
    n : int
        Number of bodies.
    """

    i: np.ndarray
    j: np.ndarray
    vectors: np.ndarray
    gaps: np.ndarray
    n: int

    @property
    def coordination(self) -> np.ndarray:
        """Number of contacts of each body, ``(N,)``."""
        return np.bincount(self.i, minlength=self.n)

    def neighbor_list(self, mask: np.ndarray | None = None) -> freud.locality.NeighborList:
        """Contacts as a :class:`freud.locality.NeighborList`.

        Parameters
        ----------
        mask : numpy.ndarray, optional
            ``(N,)`` booleans; keep only bonds whose two bodies are selected.
        """
        keep = np.ones(len(self.i), dtype=bool) if mask is None else mask[self.i] & mask[self.j]
        return freud.locality.NeighborList.from_arrays(
            self.n, self.n, self.i[keep], self.j[keep], self.vectors[keep]
        )

    def pair_keys(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Sorted ``i * N + j`` codes of the directed bonds (for fast membership tests)."""
        keep = np.ones(len(self.i), dtype=bool) if mask is None else mask[self.i] & mask[self.j]
        return np.sort(self.i[keep].astype(np.int64) * self.n + self.j[keep])


class LabGeometry:
    """Lab-frame geometry of every body, for fast support functions of many pairs.

    For each type the vertices (polyhedra), quadric :math:`R\\,\\mathrm{diag}(a^2)R^T`
    (ellipsoids) and separating axes are rotated into the lab frame and scaled once per frame,
    so that the support distance of body ``i`` along a lab direction ``n`` is a dot product.

    Parameters
    ----------
    system : BodySystem
        Bodies.
    """

    def __init__(self, system: BodySystem):
        self.system = system
        self.local = np.zeros(system.n, dtype=np.int64)
        self.per_type = []
        for t, shape in enumerate(system.shapes):
            members = np.flatnonzero(system.typeid == t)
            self.local[members] = np.arange(len(members))
            q = system.orientations[members]
            k = system.scale[members]
            entry = {"shape": shape, "radius": shape.rounding_radius * k}
            if shape.kind == "polyhedron":
                verts = rowan.rotate(q[:, None, :], shape.vertices[None, :, :])
                entry["vertices"] = verts * k[:, None, None]
            elif shape.kind == "ellipsoid":
                rot = rowan.to_matrix(q)
                entry["quadric"] = (
                    np.einsum("nab,b,ncb->nac", rot, shape.semi_axes**2, rot)
                    * (k**2)[:, None, None]
                )
            if len(shape.axes):
                entry["axes"] = rowan.rotate(q[:, None, :], shape.axes[None, :, :])
            self.per_type.append(entry)

    def support(self, t: int, bodies: np.ndarray, directions: np.ndarray) -> np.ndarray:
        """Support distances of ``bodies`` (all of type ``t``) along lab ``directions``.

        Parameters
        ----------
        t : int
            Type index.
        bodies : numpy.ndarray
            ``(M,)`` body indices.
        directions : numpy.ndarray
            ``(M, K, 3)`` unit lab-frame directions.

        Returns
        -------
        numpy.ndarray
            ``(M, K)`` support distances (nm).
        """
        entry = self.per_type[t]
        loc = self.local[bodies]
        radius = entry["radius"][loc][:, None]
        kind = entry["shape"].kind
        if kind == "polyhedron":
            proj = directions @ entry["vertices"][loc].transpose(0, 2, 1)
            return proj.max(axis=2) + radius
        if kind == "ellipsoid":
            quad = np.einsum("mkc,mcd,mkd->mk", directions, entry["quadric"][loc], directions)
            return np.sqrt(np.maximum(quad, 0.0)) + radius
        return np.broadcast_to(radius, directions.shape[:2])

    def axes(self, t: int, bodies: np.ndarray) -> np.ndarray | None:
        """``(M, F, 3)`` lab-frame separating axes of ``bodies`` of type ``t`` (None if none)."""
        entry = self.per_type[t]
        if "axes" not in entry:
            return None
        return entry["axes"][self.local[bodies]]


def _gap_block(geom, ta, tb, i, j, vec, full):
    """Gaps of pairs with body ``i`` of type ``ta`` and body ``j`` of type ``tb``."""
    r = np.linalg.norm(vec, axis=1)
    sa, sb = geom.system.shapes[ta], geom.system.shapes[tb]
    if sa.kind == "sphere" and sb.kind == "sphere":
        ki, kj = geom.system.scale[i], geom.system.scale[j]
        return r - ki * sa.rounding_radius - kj * sb.rounding_radius
    u = (vec / np.maximum(r, 1e-12)[:, None])[:, None, :]
    axes = [u]
    if full:
        for t, bodies in ((ta, i), (tb, j)):
            extra = geom.axes(t, bodies)
            if extra is not None:
                axes.append(extra)
    n = np.concatenate(axes, axis=1) if len(axes) > 1 else u
    proj = (n @ vec[:, :, None])[:, :, 0]
    n = n * np.where(proj < 0, -1.0, 1.0)[..., None]
    hi = geom.support(ta, i, n)
    hj = geom.support(tb, j, -n)
    return np.max(np.abs(proj) - hi - hj, axis=1)


def pair_gaps(
    system: BodySystem,
    i: np.ndarray,
    j: np.ndarray,
    vectors: np.ndarray,
    full: bool = True,
    geometry: LabGeometry | None = None,
) -> np.ndarray:
    """Lower bound on the surface gap between bodies ``i`` and ``j`` (separating-axis test).

    Parameters
    ----------
    system : BodySystem
        Bodies.
    i, j : numpy.ndarray
        ``(M,)`` body indices.
    vectors : numpy.ndarray
        ``(M, 3)`` minimum-image vectors from ``i`` to ``j`` (nm).
    full : bool
        Test the face normals of both bodies as well as the centre line. With ``False`` only the
        centre line is tested (cheaper, a looser lower bound).
    geometry : LabGeometry, optional
        Precomputed lab-frame geometry of ``system``.

    Returns
    -------
    numpy.ndarray
        ``(M,)`` gaps (nm): exact for spheres; for other bodies the largest projected gap over
        the tested axes, a lower bound on the true surface distance that is exact for
        face-to-face and edge-to-edge arrangements of polyhedra.
    """
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    out = np.empty(len(i))
    geom = LabGeometry(system) if geometry is None else geometry
    ti, tj = system.typeid[i], system.typeid[j]
    n_types = len(system.shapes)
    for ta in range(n_types):
        for tb in range(n_types):
            idx = np.flatnonzero((ti == ta) & (tj == tb)) if n_types > 1 else np.arange(len(i))
            for start in range(0, len(idx), _CHUNK):
                sel = idx[start : start + _CHUNK]
                out[sel] = _gap_block(geom, ta, tb, i[sel], j[sel], vectors[sel], full)
    return out


def contact_network(
    system: BodySystem, gap: float = CONTACT_GAP, shell: float = 0.0
) -> ContactNetwork:
    """Find all pairs of bodies in contact.

    Parameters
    ----------
    system : BodySystem
        Bodies.
    gap : float
        Gap tolerance as a fraction of the pair's mean volume-equivalent diameter.
    shell : float
        Additional tolerance as a fraction of the pair's mean circumsphere diameter (ligand-shell
        allowance, :data:`SHELL_ALLOWANCE` for the near network; 0 for contacts).

    Returns
    -------
    ContactNetwork
        Symmetric contact list.

    Raises
    ------
    FrameError
        If the box is narrower than twice the largest possible contact distance, or two bodies
        sit at the same position.
    """
    circ = system.per_body("circumsphere_diameter")
    dv = system.per_body("volume_diameter")
    r_max = float(circ.max() * (1.0 + shell) + gap * dv.max())
    if r_max >= 0.5 * nearest_plane_distance(system.box):
        raise FrameError(
            f"box too small: contacts of bodies up to {circ.max():.3g} nm need a box wider "
            f"than {2 * r_max:.3g} nm"
        )
    aq = freud.locality.AABBQuery(system.box, system.positions)
    nl = aq.query(system.positions, {"r_max": r_max, "exclude_ii": True}).toNeighborList()
    qi, pj = nl.query_point_indices, nl.point_indices
    half = qi < pj
    i, j, vec = qi[half], pj[half], nl.vectors[half].astype(np.float64)
    same = np.einsum("ij,ij->i", vec, vec) < (1e-6 * float(dv.min())) ** 2
    if np.any(same):
        k = int(np.flatnonzero(same)[0])
        raise FrameError(f"bodies {i[k]} and {j[k]} sit at the same position")
    tolerance = gap * 0.5 * (dv[i] + dv[j]) + shell * 0.5 * (circ[i] + circ[j])
    geom = LabGeometry(system)
    # the centre-line gap is a cheap lower bound of the full separating-axis gap: screen first
    gaps = pair_gaps(system, i, j, vec, full=False, geometry=geom)
    near = gaps < tolerance
    i, j, vec, tolerance = i[near], j[near], vec[near], tolerance[near]
    if not all(s.kind == "sphere" for s in system.shapes):
        gaps = pair_gaps(system, i, j, vec, full=True, geometry=geom)
    else:
        gaps = gaps[near]
    touching = gaps < tolerance
    i, j, vec, gaps = i[touching], j[touching], vec[touching], gaps[touching]
    ii = np.concatenate([i, j])
    jj = np.concatenate([j, i])
    vv = np.concatenate([vec, -vec])
    gg = np.concatenate([gaps, gaps])
    order = np.lexsort((jj, ii))
    return ContactNetwork(
        i=ii[order].astype(np.uint32),
        j=jj[order].astype(np.uint32),
        vectors=vv[order],
        gaps=gg[order],
        n=system.n,
    )


@dataclasses.dataclass
class Aggregation:
    """Aggregates of condensed bodies.

    Attributes
    ----------
    coordination : numpy.ndarray
        ``(N,)`` number of contacts of each body.
    condensed : numpy.ndarray
        ``(N,)`` whether a body has at least :data:`CORE_COORDINATION` contacts.
    aggregate_id : numpy.ndarray
        ``(N,)`` aggregate index of each body, ``-1`` outside aggregates; aggregates are numbered
        by decreasing size (0 = largest).
    aggregate_sizes : numpy.ndarray
        ``(A,)`` number of bodies in each aggregate, decreasing.
    contact_cluster_sizes : numpy.ndarray
        ``(C,)`` sizes of all connected components of the contact network (monomers included),
        decreasing: the cluster size distribution.
    """

    coordination: np.ndarray
    condensed: np.ndarray
    aggregate_id: np.ndarray
    aggregate_sizes: np.ndarray
    contact_cluster_sizes: np.ndarray

    @property
    def aggregated(self) -> np.ndarray:
        """``(N,)`` whether each body belongs to an aggregate."""
        return self.aggregate_id >= 0

    @property
    def largest(self) -> np.ndarray:
        """``(N,)`` whether each body belongs to the largest aggregate."""
        return self.aggregate_id == 0

    @property
    def aggregated_fraction(self) -> float:
        """Fraction of bodies in aggregates."""
        return float(np.mean(self.aggregated))

    @property
    def largest_fraction(self) -> float:
        """Fraction of bodies in the largest aggregate."""
        return float(np.mean(self.largest))

    def size_distribution(self) -> dict:
        """Number of contact clusters of each size, ``{size: count}`` (monomers have size 1)."""
        sizes, counts = np.unique(self.contact_cluster_sizes, return_counts=True)
        return {int(s): int(c) for s, c in zip(sizes, counts, strict=True)}


def find_aggregates(
    system: BodySystem,
    network: ContactNetwork,
    core_coordination: int = CORE_COORDINATION,
    min_cores: int = MIN_AGGREGATE_CORES,
) -> Aggregation:
    """Group condensed bodies into aggregates and attach their surface shells.

    Parameters
    ----------
    system : BodySystem
        Bodies.
    network : ContactNetwork
        Contacts from :func:`contact_network`.
    core_coordination : int
        Minimum contacts of a condensed body.
    min_cores : int
        Minimum condensed bodies in an aggregate.

    Returns
    -------
    Aggregation
        Aggregate membership and cluster statistics.
    """
    z = network.coordination
    condensed = z >= core_coordination
    sys_tuple = (system.box, system.positions)

    everything = freud.cluster.Cluster()
    everything.compute(sys_tuple, neighbors=network.neighbor_list())
    contact_sizes = np.sort(np.bincount(everything.cluster_idx))[::-1]

    cores = freud.cluster.Cluster()
    cores.compute(sys_tuple, neighbors=network.neighbor_list(condensed))
    core_cluster = cores.cluster_idx.astype(np.int64)
    core_counts = np.bincount(core_cluster[condensed], minlength=cores.num_clusters)
    big = np.flatnonzero(core_counts >= min_cores)
    label = np.full(cores.num_clusters, -1, dtype=np.int64)
    label[big] = np.arange(len(big))
    agg = np.where(condensed, label[core_cluster], -1)

    # shell: non-condensed bodies touching a condensed member of an aggregate
    bi, bj = network.i.astype(np.int64), network.j.astype(np.int64)
    shell_bond = (~condensed[bi]) & (agg[bj] >= 0)
    if np.any(shell_bond):
        si, sj = bi[shell_bond], bj[shell_bond]
        first = np.unique(si, return_index=True)[1]
        agg[si[first]] = agg[sj[first]]

    sizes = np.bincount(agg[agg >= 0], minlength=len(big))
    order = np.argsort(-sizes, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    if len(order):
        agg = np.where(agg >= 0, rank[np.maximum(agg, 0)], -1)
    return Aggregation(
        coordination=z,
        condensed=condensed,
        aggregate_id=agg,
        aggregate_sizes=sizes[order],
        contact_cluster_sizes=contact_sizes,
    )
