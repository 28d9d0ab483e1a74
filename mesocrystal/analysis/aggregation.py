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
components of condensed bodies (:func:`connected_clusters`) with at least
:data:`MIN_AGGREGATE_CORES` condensed members are *aggregates*; bodies in contact with an
aggregate's condensed members join it as its surface shell. Vapour bodies and small transient
clusters do not form aggregates.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time

import freud
import numpy as np
import rowan
from scipy import sparse
from scipy.sparse import csgraph

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

#: Pairs per block of the contact tests: the temporaries of a block stay in the processor cache
#: and in memory the allocator reuses (arrays of 10^6 pairs cost as much in page faults and cache
#: misses as in arithmetic).
_BLOCK = 1 << 16


class ContactNetwork:
    """Symmetric list of contacts between bodies.

    Attributes
    ----------
    i, j : numpy.ndarray
        ``(M,)`` indices of the bodies of each directed bond (both directions stored, sorted by
        ``i``).
    vectors : numpy.ndarray
        ``(M, 3)`` minimum-image vectors from body ``i`` to body ``j`` (nm); formed on first use
        when the network was built with ``source`` (see :meth:`bond_vectors`).
    gaps : numpy.ndarray
        ``(M,)`` surface-gap estimate (nm); negative for overlapping envelopes: the exact gap for
        spheres, the separating-axis gap (a lower bound) for other bodies, except for pairs of
        polyhedra whose contact is certain from the centre line alone, which get the distance
        between the surface points on their centre line (an upper bound of the surface distance;
        negative, and then below the separating-axis gap, when the bodies overlap).
    n : int
        Number of bodies.

    Parameters
    ----------
    i, j, gaps, n, vectors
        As above; give ``vectors`` or ``source``.
    source : tuple, optional
        ``(unordered, order, sign)``: the ``(P, 3)`` vectors of the ``P = M / 2`` unordered
        pairs, the ``(M,)`` position of each directed bond in ``[pairs, reversed pairs]``, and
        the factor (+1 or -1) of the vectors of the first half. The vectors of all ``M`` bonds
        (24 bytes each) are then formed only when asked for; an analysis that needs only some
        of them (the bond order of a window of a large frame) forms only those.
    """

    def __init__(
        self,
        i: np.ndarray,
        j: np.ndarray,
        gaps: np.ndarray,
        n: int,
        vectors: np.ndarray | None = None,
        source: tuple | None = None,
    ):
        if (vectors is None) == (source is None):
            raise ValueError("ContactNetwork needs either vectors or source")
        self.i, self.j, self.gaps, self.n = i, j, gaps, n
        self._vectors = vectors
        self._source = source
        self._nlist: freud.locality.NeighborList | None = None

    @property
    def vectors(self) -> np.ndarray:
        """``(M, 3)`` minimum-image vectors from body ``i`` to body ``j`` (nm)."""
        if self._vectors is None:
            self._vectors = self.bond_vectors(slice(None))
            self._source = None
        return self._vectors

    def bond_vectors(self, index: np.ndarray | slice) -> np.ndarray:
        """``(K, 3)`` vectors of the bonds ``index`` (nm), without forming those of all bonds.

        Parameters
        ----------
        index : numpy.ndarray or slice
            Bond indices (``(K,)`` integers or booleans over the ``M`` bonds), or a slice.
        """
        if self._vectors is not None:
            return self._vectors[index]
        unordered, order, sign = self._source
        m = len(unordered)
        src = order[index]
        reverse = src >= m
        src = np.where(reverse, src - m, src)
        # x * 1.0 is x and x * -1.0 is -x exactly: the reversed vectors, without a masked copy
        factor = np.where(reverse, -sign, sign)
        return unordered[src] * factor[:, None]

    @property
    def coordination(self) -> np.ndarray:
        """Number of contacts of each body, ``(N,)``."""
        return np.bincount(self.i, minlength=self.n)

    def neighbor_list(self, mask: np.ndarray | None = None) -> freud.locality.NeighborList:
        """Contacts as a :class:`freud.locality.NeighborList`.

        The list of all contacts is built once and returned again whenever ``mask`` keeps every
        bond (building a list of 10^6 bonds costs as much as a cluster analysis).

        Parameters
        ----------
        mask : numpy.ndarray, optional
            ``(N,)`` booleans; keep only bonds whose two bodies are selected.
        """
        keep = None if mask is None else mask[self.i] & mask[self.j]
        if keep is None or bool(np.all(keep)):
            if self._nlist is None:
                self._nlist = freud.locality.NeighborList.from_arrays(
                    self.n, self.n, self.i, self.j, self.vectors
                )
            return self._nlist
        return freud.locality.NeighborList.from_arrays(
            self.n, self.n, self.i[keep], self.j[keep], self.bond_vectors(keep)
        )

    def pair_keys(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Sorted ``i * N + j`` codes of the directed bonds (for fast membership tests)."""
        keep = np.ones(len(self.i), dtype=bool) if mask is None else mask[self.i] & mask[self.j]
        return np.sort(self.i[keep].astype(np.int64) * self.n + self.j[keep])


class LabGeometry:
    """Orientation and scale of every body, for fast support functions of many pairs.

    The support distance of body ``i`` along a lab direction :math:`n` is that of its type shape
    along the body-frame direction :math:`R_i^T n`, times its scale. Only the rotation matrix of
    each body is gathered per pair; the vertices of a type are shared, so the projections are
    one matrix product per block of pairs.

    Parameters
    ----------
    system : BodySystem
        Bodies.
    """

    def __init__(self, system: BodySystem):
        self.system = system
        self.rotation = (
            rowan.to_matrix(system.orientations)
            if any(s.kind != "sphere" for s in system.shapes)
            else None
        )
        self._columns: list | None = None
        self._tables: list | None = None

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
        shape = self.system.shapes[t]
        k = self.system.scale[bodies][:, None]
        radius = shape.rounding_radius * k
        if shape.kind == "sphere":
            return np.broadcast_to(radius, directions.shape[:2])
        # body-frame directions R^T n (rows n^T R), then one matrix product with the vertices
        local = np.einsum("mka,mab->mkb", directions, self.rotation[bodies])
        if shape.kind == "polyhedron":
            proj = np.einsum("mka,va->mkv", local, shape.vertices)
            return proj.max(axis=2) * k + radius
        quad = np.einsum("mkc,mkc->mk", local * shape.semi_axes**2, local)
        return np.sqrt(np.maximum(quad, 0.0)) * k + radius

    def body_frame(self, bodies: np.ndarray, vectors: list) -> list:
        """Components :math:`(R^T d)_b = \\sum_a R_{ab} d_a` of lab vectors in the body frames.

        The nine rotation-matrix entries are gathered one at a time from ``(N,)`` columns, so
        no ``(M, 3, 3)`` block of matrices is copied per pair.

        Parameters
        ----------
        bodies : numpy.ndarray
            ``(M,)`` body indices.
        vectors : list of numpy.ndarray
            The three ``(M,)`` lab components of one vector per body.

        Returns
        -------
        list of numpy.ndarray
            The three ``(M,)`` body-frame components.
        """
        col = self.columns()
        out = []
        for b in range(3):
            u = col[0][b][bodies] * vectors[0]
            u += col[1][b][bodies] * vectors[1]
            u += col[2][b][bodies] * vectors[2]
            out.append(u)
        return out

    def columns(self) -> list:
        """The nine ``(N,)`` columns ``R[:, a, b]`` of the rotation matrices, as ``[a][b]``."""
        if self._columns is None:
            self._columns = [
                [np.ascontiguousarray(self.rotation[:, a, b]) for b in range(3)] for a in range(3)
            ]
        return self._columns

    def polyhedron_tables(self) -> list:
        """The :class:`_PolyhedronTables` of each shape (all polyhedra), built once."""
        if self._tables is None:
            self._tables = [_PolyhedronTables.of(s) for s in self.system.shapes]
        return self._tables

    def axes(self, t: int, bodies: np.ndarray) -> np.ndarray | None:
        """``(M, F, 3)`` lab-frame separating axes of ``bodies`` of type ``t`` (None if none)."""
        shape = self.system.shapes[t]
        if not len(shape.axes):
            return None
        return (self.rotation[bodies] @ shape.axes.T).transpose(0, 2, 1)


def _box_half_extents(shape) -> np.ndarray | None:
    """Half extents along the body axes if ``shape`` is a cuboid aligned with them, else None."""
    if shape.kind != "polyhedron" or len(shape.vertices) != 8:
        return None
    half = np.abs(shape.vertices).max(axis=0)
    corners = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) * half
    # every corner must be a vertex (to round-off)
    dist = np.linalg.norm(corners[:, None, :] - shape.vertices[None, :, :], axis=2).min(axis=1)
    if np.all(dist < 1e-9 * max(float(half.max()), 1e-300)):
        return half
    return None


def _polyhedra_gap_block(geom, ta, tb, i, j, vec, full=True):
    """Full separating-axis gaps of pairs of polyhedra (centre line and face normals of both).

    Works in the body frames: the support of body ``i`` along its own face normals is a constant
    of its type, so only the support of the other body is projected, through the relative
    rotation :math:`Q = R_j^T R_i`; for cuboids the support is the closed form
    :math:`\\sum_a |n_a| h_a`. Gives the same values as :func:`_gap_block`.
    """
    sys_ = geom.system
    sa, sb = sys_.shapes[ta], sys_.shapes[tb]
    box_a, box_b = _box_half_extents(sa), _box_half_extents(sb)
    if box_a is not None and box_b is not None:
        return _cuboid_gap_block(geom, box_a, box_b, sa, sb, i, j, vec, full)
    ri, rj = geom.rotation[i], geom.rotation[j]
    ki, kj = sys_.scale[i], sys_.scale[j]
    rad = sa.rounding_radius * ki + sb.rounding_radius * kj
    vi = np.einsum("mab,ma->mb", ri, vec)  # R_i^T d
    vj = np.einsum("mab,ma->mb", rj, vec)  # R_j^T d
    r = np.linalg.norm(vec, axis=1)
    # centre line
    u_i = vi / np.maximum(r, 1e-12)[:, None]
    u_j = vj / np.maximum(r, 1e-12)[:, None]
    # small matrix products as einsum: a multithreaded BLAS call per block costs more than it
    # computes for an inner dimension of 3
    best = (
        r
        - ki * np.einsum("ma,va->mv", u_i, sa.vertices).max(axis=1)
        + kj * np.einsum("ma,va->mv", u_j, sb.vertices).min(axis=1)
    )
    if not full:
        return best - rad
    q = np.einsum("mba,mbc->mac", rj, ri)  # R_j^T R_i: body frame of i -> body frame of j
    for own, k_own, k_other, v_own, rot, axes_shape, other_shape in (
        (sa, ki, kj, vi, q, sa.axes, sb.vertices),
        (sb, kj, ki, -vj, q.transpose(0, 2, 1), sb.axes, sa.vertices),
    ):
        if not len(axes_shape):
            continue
        proj = np.einsum("ma,fa->mf", v_own, axes_shape)  # d . (R a_f) = (R^T d) . a_f
        sign = np.where(proj < 0, -1.0, 1.0)
        h_plus = own.support(axes_shape) - own.rounding_radius
        h_minus = own.support(-axes_shape) - own.rounding_radius
        h_own = np.where(sign > 0, h_plus, h_minus) * k_own[:, None]
        # the axes in the other body's frame: rot @ a_f
        dirs = np.einsum("mab,fb->mfa", rot, axes_shape)
        p = np.einsum("mfa,va->mfv", dirs, other_shape)
        # support of the other body along -sign * axis
        h_other = np.where(sign > 0, -p.min(axis=2), p.max(axis=2)) * k_other[:, None]
        best = np.maximum(best, (np.abs(proj) - h_own - h_other).max(axis=1))
    return best - rad


def _cuboid_gap_block(geom, box_a, box_b, sa, sb, i, j, vec, full):
    """Separating-axis gaps of pairs of cuboids of half extents ``box_a`` and ``box_b``.

    Closed-form supports :math:`h(n) = \\sum_a |n_a| h_a` in the body frames. Along the centre
    line :math:`d`: :math:`|d| - k_i h_i(R_i^T \\hat d) - k_j h_j(R_j^T \\hat d)`; along face
    normal :math:`f` of body :math:`i`: :math:`|(R_i^T d)_f| - k_i h_{i,f} - k_j \\sum_b
    |Q_{bf}| h_{j,b}` with :math:`Q = R_j^T R_i`, and the same with the roles exchanged. All
    products are formed from ``(M,)`` columns (no ``(M, 3, 3)`` blocks); the same values as the
    general polyhedron test of :func:`_gap_block` (tested).
    """
    sys_ = geom.system
    ki, kj = sys_.scale[i], sys_.scale[j]
    rad = sa.rounding_radius * ki + sb.rounding_radius * kj
    d = [np.ascontiguousarray(vec[:, a]) for a in range(3)]
    r = np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    vi = geom.body_frame(i, d)  # R_i^T d
    vj = geom.body_frame(j, d)  # R_j^T d
    inv_r = 1.0 / np.maximum(r, 1e-12)
    support_i = sum(np.abs(vi[b]) * box_a[b] for b in range(3)) * inv_r
    support_j = sum(np.abs(vj[b]) * box_b[b] for b in range(3)) * inv_r
    best = r - ki * support_i - kj * support_j
    if not full:
        return best - rad
    col = geom.columns()
    # |Q_bc| = |sum_a R_j[a, b] R_i[a, c]|: the face normal c of body i in the frame of body j
    aq = [[None] * 3 for _ in range(3)]
    ri = [[col[a][c][i] for c in range(3)] for a in range(3)]
    rj = [[col[a][b][j] for b in range(3)] for a in range(3)]
    for b in range(3):
        for c in range(3):
            q = rj[0][b] * ri[0][c]
            q += rj[1][b] * ri[1][c]
            q += rj[2][b] * ri[2][c]
            aq[b][c] = np.abs(q, out=q)
    for f in range(3):
        g_i = np.abs(vi[f]) - ki * box_a[f]
        g_i -= kj * (aq[0][f] * box_b[0] + aq[1][f] * box_b[1] + aq[2][f] * box_b[2])
        np.maximum(best, g_i, out=best)
        g_j = np.abs(vj[f]) - kj * box_b[f]
        g_j -= ki * (aq[f][0] * box_a[0] + aq[f][1] * box_a[1] + aq[f][2] * box_a[2])
        np.maximum(best, g_j, out=best)
    return best - rad


def _cuboid_contact_gaps(geom, i, j, vec, tol):
    """Separating-axis gaps of pairs of cuboids of one type where they are below ``tol``.

    The gap is the largest of seven projected gaps (centre line, three face normals of each
    body) less the rounding radii, so a pair whose gap along any one axis reaches ``tol`` is not
    in contact whatever the other axes give. The axes are tested one after the other, thinnest
    faces first (the stacking direction of platelets, along which most candidates next to a
    contact are separated), and each test keeps only the pairs it has not separated. Pairs left
    after all seven get the same value as :func:`_cuboid_gap_block` (the same expressions, and
    a maximum does not depend on the order of its terms); separated pairs get ``inf``.

    Parameters
    ----------
    geom : LabGeometry
        Geometry of a system whose only shape is a cuboid.
    i, j : numpy.ndarray
        ``(M,)`` body indices.
    vec : numpy.ndarray
        ``(M, 3)`` minimum-image vectors from ``i`` to ``j`` (nm).
    tol : numpy.ndarray
        ``(M,)`` contact tolerances (nm).

    Returns
    -------
    numpy.ndarray
        ``(M,)`` gaps (nm) of the pairs in contact (below ``tol``), ``inf`` for the others.
    """
    sys_ = geom.system
    shape = sys_.shapes[0]
    h = _box_half_extents(shape)
    ki, kj = sys_.scale[i], sys_.scale[j]
    rad = shape.rounding_radius * ki + shape.rounding_radius * kj
    d = [np.ascontiguousarray(vec[:, a]) for a in range(3)]
    r = np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    vi = [np.abs(v) for v in geom.body_frame(i, d)]  # |R_i^T d|
    vj = [np.abs(v) for v in geom.body_frame(j, d)]  # |R_j^T d|
    inv_r = 1.0 / np.maximum(r, 1e-12)
    support_i = sum(vi[b] * h[b] for b in range(3)) * inv_r
    support_j = sum(vj[b] * h[b] for b in range(3)) * inv_r
    best = r - ki * support_i - kj * support_j
    out = np.full(len(i), np.inf)
    active = np.arange(len(i))
    col = geom.columns()

    def q_abs(a_bodies, b_bodies, b, c):
        # |Q_bc| = |sum_a R_j[a, b] R_i[a, c]| (the expression of _cuboid_gap_block)
        q = col[0][b][b_bodies] * col[0][c][a_bodies]
        q += col[1][b][b_bodies] * col[1][c][a_bodies]
        q += col[2][b][b_bodies] * col[2][c][a_bodies]
        return np.abs(q, out=q)

    for f in np.argsort(h, kind="stable"):
        for own_i in (True, False):
            sel = np.flatnonzero(best - rad < tol)
            if len(sel) < len(best):
                active, best, rad, tol, ki, kj = (x[sel] for x in (active, best, rad, tol, ki, kj))
                vi = [v[sel] for v in vi]
                vj = [v[sel] for v in vj]
            if not len(active):
                return out
            bi, bj = i[active], j[active]
            if own_i:  # face normal f of body i
                g = vi[f] - ki * h[f]
                g -= kj * (
                    q_abs(bi, bj, 0, f) * h[0]
                    + q_abs(bi, bj, 1, f) * h[1]
                    + q_abs(bi, bj, 2, f) * h[2]
                )
            else:  # face normal f of body j
                g = vj[f] - kj * h[f]
                g -= ki * (
                    q_abs(bi, bj, f, 0) * h[0]
                    + q_abs(bi, bj, f, 1) * h[1]
                    + q_abs(bi, bj, f, 2) * h[2]
                )
            np.maximum(best, g, out=best)
    keep = best - rad < tol
    out[active[keep]] = best[keep] - rad[keep]
    return out


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
        Precomputed geometry of ``system``.

    Returns
    -------
    numpy.ndarray
        ``(M,)`` gaps (nm): exact for spheres; for other bodies the largest projected gap over
        the tested axes, a lower bound on the true surface distance that is exact for
        face-to-face and edge-to-edge arrangements of polyhedra.
    """
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    vectors = np.asarray(vectors, dtype=np.float64)
    out = np.empty(len(i))
    geom = LabGeometry(system) if geometry is None else geometry
    n_types = len(system.shapes)
    kinds = [shape.kind for shape in system.shapes]
    if n_types > 1:
        ti, tj = system.typeid[i], system.typeid[j]
    for ta in range(n_types):
        for tb in range(n_types):
            idx = np.flatnonzero((ti == ta) & (tj == tb)) if n_types > 1 else None
            count = len(i) if idx is None else len(idx)
            for start in range(0, count, _CHUNK):
                sel = slice(start, start + _CHUNK) if idx is None else idx[start : start + _CHUNK]
                if kinds[ta] == kinds[tb] == "polyhedron":
                    out[sel] = _polyhedra_gap_block(
                        geom, ta, tb, i[sel], j[sel], vectors[sel], full
                    )
                else:
                    out[sel] = _gap_block(geom, ta, tb, i[sel], j[sel], vectors[sel], full)
    return out


def candidate_pairs(
    box: freud.box.Box, positions: np.ndarray, r_max: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unordered pairs of points closer than ``r_max``, each once, sorted by ``(i, j)``.

    Orthorhombic boxes use :class:`scipy.spatial.cKDTree` with periodic ``boxsize``, which
    returns each unordered pair once and costs several times less than a freud query of the
    same pairs in both directions (3.4 x 10^6 pairs around 10^5 platelets: 0.6 s against 4 s of
    CPU time); triclinic boxes search the same tree on periodic images
    (:func:`_triclinic_pair_codes`). Vectors and distances are
    computed in double precision from the positions (freud's lists are single precision: the
    two agree to 2 x 10^-5 nm).

    Parameters
    ----------
    box : freud.box.Box
        Periodic box.
    positions : numpy.ndarray
        ``(N, 3)`` positions wrapped into the box (nm).
    r_max : float
        Cutoff (nm), less than half the nearest-plane distance of the box.

    Returns
    -------
    i, j : numpy.ndarray
        ``(M,)`` int64 indices with ``i < j``, sorted by ``i``, then ``j``.
    vectors : numpy.ndarray
        ``(M, 3)`` minimum-image vectors from ``i`` to ``j`` (nm).
    distances : numpy.ndarray
        ``(M,)`` lengths of ``vectors`` (nm).
    """
    search = _PairSearch(box, positions, r_max)
    i, j = search.block_pairs(slice(None))
    if search.vectors is None:
        vectors = np.empty((len(i), 3))
        for start in range(0, len(i), _BLOCK):
            block = slice(start, start + _BLOCK)
            vectors[block] = search.block_vectors(block, i[block], j[block])
    else:
        vectors = search.vectors
    distances = np.sqrt(np.einsum("ma,ma->m", vectors, vectors))
    keep = distances < r_max
    if bool(np.all(keep)):  # no copies of 10^6 pairs when the search kept nothing further out
        return i, j, vectors, distances
    return i[keep], j[keep], vectors[keep], distances[keep]


#: Bodies above which the periodic pair search of an orthorhombic box is split into two halves
#: of the box searched on two threads (scipy's k-d tree search releases the interpreter lock).
SPLIT_SEARCH_BODIES = 20_000


def _split_pair_codes(
    points: np.ndarray, side: np.ndarray | None, r_max: float, threads: int = 1
) -> np.ndarray:
    """Codes ``i N + j`` (``i < j``, int64, unsorted) of the pairs of ``points`` closer than
    ``r_max`` in the periodic orthorhombic box ``[0, side)``, or in open space (``side`` None).

    With two or more threads, at least :data:`SPLIT_SEARCH_BODIES` points and a box longer than
    four ``r_max`` along its longest axis, the box is cut in two halves along that axis: the
    pairs within each half and the pairs across the two cuts (among the points within ``r_max``
    of a cut) are searched on two threads. The halves are shorter than half the box minus
    ``r_max`` apart through the periodic boundary, so a search within one half, periodic like
    the whole box, finds no pair that is not one of the box; the pairs are those of one search
    of all points (tested), found by the same k-d tree distance. In open space there is only
    the one cut, at the middle of the points' extent.
    """
    n = len(points)
    if side is None:
        low = points.min(axis=0) if n else np.zeros(3)
        extent = (points.max(axis=0) if n else np.zeros(3)) - low
        axis = int(np.argmax(extent))
        x = points[:, axis] - low[axis]
    else:
        extent = side
        axis = int(np.argmax(side))
        x = points[:, axis]
    length = float(extent[axis])
    if threads < 2 or n < SPLIT_SEARCH_BODIES or length <= 4.0 * r_max:
        return _pair_codes(_search_tree(points, side), None, r_max, n)
    upper = x >= 0.5 * length
    near_cut = np.abs(x - 0.5 * length) < r_max
    if side is not None:  # the second cut, through the periodic boundary
        near_cut |= (x < r_max) | (x > length - r_max)
    halves = [np.flatnonzero(~upper), np.flatnonzero(upper)]
    cut = np.flatnonzero(near_cut)

    def search(index: np.ndarray, across: bool) -> np.ndarray:
        codes = _pair_codes(_search_tree(points[index], side), index, r_max, n)
        if across:  # only the pairs with one point in each half
            i, j = np.divmod(codes, n)
            codes = codes[upper[i] != upper[j]]
        return codes

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        parts = list(pool.map(search, [*halves, cut], [False, False, True]))
    return np.concatenate(parts)


def _search_tree(points: np.ndarray, side: np.ndarray | None):
    """scipy k-d tree of ``points`` for a pair search (periodic in ``[0, side)`` unless None).

    Split at the midpoints of the cells (``balanced_tree=False``) and without shrinking the
    cells to their points (``compact_nodes=False``): a quicker build, and the pair search of the
    10^5-body frames of the benchmark finds the same pairs in 10-30 % less time (FCC 0.24 s
    instead of 0.26 s, simple-tetragonal platelets 0.44 s instead of 0.61 s; one thread,
    medians of five runs).
    """
    from scipy.spatial import cKDTree

    return cKDTree(points, boxsize=side, balanced_tree=False, compact_nodes=False)


def _pair_codes(tree, index: np.ndarray | None, r_max: float, n: int) -> np.ndarray:
    """Codes ``i N + j`` (``i < j``) of the pairs of ``tree`` within ``r_max``, in the increasing
    numbering ``index`` of its points (None: their own). The search gives ``i < j`` in the
    tree's numbering, which an increasing numbering keeps."""
    pairs = tree.query_pairs(r_max, output_type="ndarray")
    first, second = pairs[:, 0], pairs[:, 1]
    if index is not None:
        first, second = index[first], index[second]
    codes = first.astype(np.int64)
    codes *= n
    codes += second
    return codes


def _triclinic_pair_codes(box: freud.box.Box, positions: np.ndarray, r_max: float) -> np.ndarray:
    """Sorted codes ``i N + j`` (``i < j``) of the pairs closer than ``r_max`` in a periodic
    triclinic box, from one k-d tree search of the points and of periodic images of some.

    scipy's k-d tree is periodic only in orthorhombic boxes. Each point within ``r_max`` of
    the upper faces of the box (fractional coordinate above ``1 - r_max / d``, ``d`` the
    distance between the two faces) gets an image shifted down by the box vector of each face
    it is near, and of each combination of them. The minimum image of a pair then joins two of
    these points: it is ``q + n . a - p`` with every ``n_k`` in ``{-1, 0, 1}`` (``r_max`` below
    half of every face distance); the shifts with ``n_k = -1`` make an image of ``q`` and those
    with ``n_k = +1`` an image of ``p``, and each point is near the faces of its shifts. The
    search of all points and images, without periodic boundaries, finds every pair; pairs of
    images that repeat a pair are merged. The pairs are freud's (tested). On two or more
    threads the search is split in two (:func:`_split_pair_codes` in open space).
    """
    n = len(positions)
    matrix = np.asarray(box.to_matrix(), dtype=np.float64)
    frac = np.linalg.solve(matrix, np.asarray(positions, dtype=np.float64).T).T + 0.5
    frac -= np.floor(frac)
    normals = np.linalg.inv(matrix)  # rows: face normals over the face distances
    spacing = 1.0 / np.linalg.norm(normals, axis=1)
    near = frac > 1.0 - r_max / spacing
    points, index = [frac @ matrix.T], [np.arange(n)]
    for shift in range(1, 8):
        axes = [k for k in range(3) if shift >> k & 1]
        sel = np.flatnonzero(np.all(near[:, axes], axis=1))
        if len(sel):
            offset = np.zeros(3)
            offset[axes] = 1.0
            points.append((frac[sel] - offset) @ matrix.T)
            index.append(sel)
    index = np.concatenate(index)
    points = np.concatenate(points)
    first, second = np.divmod(_split_pair_codes(points, None, r_max, worker_threads()), len(points))
    first, second = index[first], index[second]
    low = np.minimum(first, second).astype(np.int64)
    low *= n
    low += np.maximum(first, second)
    low = low[first != second]
    low.sort()
    keep = np.empty(len(low), dtype=bool)
    keep[:1] = True
    np.not_equal(low[1:], low[:-1], out=keep[1:])
    return low[keep]


class _PairSearch:
    """Unordered pairs ``i < j`` of points closer than ``r_max``, sorted by ``(i, j)``, whose
    minimum-image vectors are formed block by block (:meth:`block_vectors`).

    The pairs of :func:`candidate_pairs` before the final distance cut (the search may return
    pairs up to round-off beyond ``r_max``). For orthorhombic boxes the vectors are not stored:
    :func:`contact_network` forms them one block at a time and keeps only the pairs in contact,
    so no arrays of all candidates' indices, vectors and distances are allocated (for 10^5
    platelets, 3.3 x 10^6 candidates: about 200 MB of memory that the process would have to
    fault in); only the sorted codes ``i N + j`` are kept. For triclinic boxes ``vectors`` holds
    all of them.
    """

    def __init__(self, box: freud.box.Box, positions: np.ndarray, r_max: float):
        n = len(positions)
        pos = np.asarray(positions, dtype=np.float64)
        self.vectors = None
        if box.xy == 0 and box.xz == 0 and box.yz == 0:
            side = np.asarray(box.L, dtype=np.float64)
            shifted = np.mod(pos + 0.5 * side, side)
            shifted = np.where(shifted >= side, shifted - side, shifted)
            keys = _split_pair_codes(shifted, side, r_max, worker_threads())
            # the pairs come in no particular order: sort the codes i * N + j in place
            keys.sort()
            self._keys, self._n = keys, n
            self._side = side
            self._columns = [np.ascontiguousarray(pos[:, a]) for a in range(3)]
        else:
            self._keys = None
            self._i, self._j = np.divmod(_triclinic_pair_codes(box, pos, r_max), n)
            # minimum image in double precision (freud's Box.wrap returns single precision);
            # einsum, not a BLAS call, for the 3 x 3 products
            matrix = np.asarray(box.to_matrix(), dtype=np.float64)
            frac = np.einsum("ab,mb->ma", np.linalg.inv(matrix), pos[self._j] - pos[self._i])
            frac -= np.round(frac)
            self.vectors = np.einsum("ab,mb->ma", matrix, frac)

    def __len__(self) -> int:
        return len(self._i) if self._keys is None else len(self._keys)

    def block_pairs(self, block: slice) -> tuple[np.ndarray, np.ndarray]:
        """``(M,)`` int64 indices ``i`` and ``j`` of the pairs in ``block``."""
        if self._keys is None:
            return self._i[block], self._j[block]
        return np.divmod(self._keys[block], self._n)

    @property
    def i(self) -> np.ndarray:
        """``(M,)`` first body of every pair."""
        return self.block_pairs(slice(None))[0]

    @property
    def j(self) -> np.ndarray:
        """``(M,)`` second body of every pair."""
        return self.block_pairs(slice(None))[1]

    def block_vectors(self, block: slice, bi=None, bj=None) -> np.ndarray:
        """``(M, 3)`` minimum-image vectors of the pairs in ``block`` (whose indices
        ``bi``, ``bj`` may be given)."""
        if self.vectors is not None:
            return self.vectors[block]
        # minimum image one axis at a time: with r_max below half the box, a difference of
        # wrapped positions needs at most one box length added or taken away (the same vectors
        # as d - L round(d / L), at a quarter of the cost for 10^6 pairs)
        if bi is None:
            bi, bj = self.block_pairs(block)
        vectors = np.empty((len(bi), 3))
        for a in range(3):
            d = self._columns[a][bj] - self._columns[a][bi]
            d[d > 0.5 * self._side[a]] -= self._side[a]
            d[d < -0.5 * self._side[a]] += self._side[a]
            vectors[:, a] = d
        return vectors


def _cuboid_centre_line_bounds(
    geom: LabGeometry, i: np.ndarray, j: np.ndarray, vectors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds on the separating-axis gap of pairs of cuboids, ``(M,)`` each.

    Along the unit centre line :math:`u` (body frame of each body), a cuboid of half extents
    :math:`h` reaches out to its support :math:`\\sum_a |u_a| h_a` and its surface crosses the
    line at the radial distance :math:`1 / \\max_a (|u_a| / h_a)`. The centre distance less the
    two supports is the centre-line gap, which the full separating-axis gap is never below (the
    same value as ``pair_gaps(..., full=False)``); the centre distance less the two radial
    distances is the distance between two surface points, which the true surface distance, and
    with it the separating-axis gap (a lower bound of it), is never above. When the upper bound
    is negative the two bodies overlap and their separating-axis gap is negative too; so a pair
    whose upper bound is below a positive tolerance is in contact without the full test.

    The body-frame components come from :meth:`LabGeometry.body_frame` (a third of the cost of
    copying a rotation matrix per pair, for 10^6 pairs).
    """
    sys_ = geom.system
    half = np.array([_box_half_extents(s) for s in sys_.shapes])
    rounding = np.array([s.rounding_radius for s in sys_.shapes])
    single = len(sys_.shapes) == 1
    lower = np.empty(len(i))
    upper = np.empty(len(i))
    for start in range(0, len(i), _CHUNK):
        sel = slice(start, start + _CHUNK)
        bi, bj, vec = i[sel], j[sel], vectors[sel]
        ki, kj = sys_.scale[bi], sys_.scale[bj]
        if single:
            h_a = h_b = half[0]
            rad = rounding[0] * (ki + kj)
        else:
            ta, tb = sys_.typeid[bi], sys_.typeid[bj]
            h_a, h_b = half[ta].T, half[tb].T
            rad = rounding[ta] * ki + rounding[tb] * kj
        d = [np.ascontiguousarray(vec[:, a]) for a in range(3)]
        r = np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
        inv_r = 1.0 / np.maximum(r, 1e-12)
        low = r - rad
        up = low.copy()
        for body, k, h in ((bi, ki, h_a), (bj, kj, h_b)):
            support = np.zeros(len(body))
            reach = np.zeros(len(body))
            for b, u in enumerate(geom.body_frame(body, d)):
                np.abs(u, out=u)
                u *= inv_r
                support += u * h[b]
                np.maximum(reach, u / h[b], out=reach)
            low -= k * support
            with np.errstate(divide="ignore"):
                up -= k / reach
        lower[sel] = low
        upper[sel] = up
    return lower, upper


def _polyhedron_planes(shape) -> np.ndarray:
    """``(2F, 3)`` face planes of a convex polyhedron (unrounded) as ``n / h``: its face
    normals ``n`` (both signs of its separating axes, which hold every face normal) over their
    supports ``h``, so that the body is the set of points ``x`` with ``x . n / h <= 1``."""
    normals = np.concatenate([shape.axes, -shape.axes])
    supports = np.einsum("fa,va->fv", normals, shape.vertices).max(axis=1)
    return normals / supports[:, None]


@dataclasses.dataclass(frozen=True)
class _PointSet:
    """Points whose largest projection on a direction is wanted many times, ``(P, 3)``.

    For a centrosymmetric set (every point ``p`` has ``-p`` in the set) only one point of each
    antipodal pair is kept and the projection is taken in absolute value: half the work, and
    the same maximum for either sign of the direction.
    """

    points: np.ndarray
    symmetric: bool

    @classmethod
    def of(cls, points: np.ndarray) -> _PointSet:
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        scale = max(float(np.abs(points).max(initial=0.0)), 1e-300)
        if len(points) and len(points) % 2 == 0:
            dist = np.linalg.norm(points[:, None, :] + points[None, :, :], axis=2)
            partner = dist.argmin(axis=1)
            if np.all(dist[np.arange(len(points)), partner] < 1e-12 * scale):
                keep = np.flatnonzero(np.arange(len(points)) < partner)
                if 2 * len(keep) == len(points):
                    return cls(points[keep], True)
        return cls(points, False)

    def max_projection(self, w: list) -> np.ndarray:
        """:math:`\\max_p w \\cdot p` for ``(M,)`` components ``w`` of ``M`` directions."""
        out = None
        for p in self.points:
            s = None
            for a in range(3):
                if p[a] != 0.0:
                    term = w[a] * p[a]
                    s = term if s is None else np.add(s, term, out=s)
            if s is None:
                s = np.zeros(len(w[0]))
            if self.symmetric:
                np.abs(s, out=s)
            out = s if out is None else np.maximum(out, s, out=out)
        return out


@dataclasses.dataclass(frozen=True)
class _PolyhedronTables:
    """What the contact tests of one convex polyhedron use, computed once per shape.

    Attributes
    ----------
    vertices : _PointSet
        Vertices (nm): the support along ``u`` is their largest projection.
    planes : _PointSet or None
        Face planes as ``n / h`` (:func:`_polyhedron_planes`): the surface crosses the ray along
        unit ``u`` at the radial distance :math:`1 / \\max_f u \\cdot n_f / h_f`. None for flat
        or collinear bodies (no interior: radial distance 0).
    axes : numpy.ndarray
        ``(F, 3)`` separating axes (face normals, one sign).
    support_plus, support_minus : numpy.ndarray
        ``(F,)`` supports (nm, without rounding) along ``+axes`` and ``-axes``.
    rounding : float
        Rounding radius (nm).
    """

    vertices: _PointSet
    planes: _PointSet | None
    axes: np.ndarray
    support_plus: np.ndarray
    support_minus: np.ndarray
    rounding: float

    @classmethod
    def of(cls, shape) -> _PolyhedronTables:
        plus = shape.support(shape.axes) - shape.rounding_radius
        minus = shape.support(-shape.axes) - shape.rounding_radius
        flat = len(shape.axes) == 0 or not np.all(np.minimum(plus, minus) > 0)
        planes = None if flat else _PointSet.of(_polyhedron_planes(shape))
        return cls(
            _PointSet.of(shape.vertices),
            planes,
            shape.axes,
            plus,
            minus,
            float(shape.rounding_radius),
        )


def _polyhedron_centre_line_bounds(
    geom: LabGeometry, i: np.ndarray, j: np.ndarray, vectors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds on the separating-axis gap of pairs of convex polyhedra, as
    :func:`_cuboid_centre_line_bounds` gives them for cuboids, ``(M,)`` each.

    Along the unit centre line :math:`u` (body frame), a polyhedron reaches out to its support
    :math:`\\max_v u \\cdot v` over its vertices, and its surface crosses the line at the radial
    distance :math:`1 / \\max_f (u \\cdot n_f / h_f)` over its face planes
    (:func:`_polyhedron_planes`; 0 for a flat or collinear body); a rounding radius adds to both.
    The centre distance less the two supports is the centre-line gap; less the two radial
    distances, it is the distance of two surface points, never below the separating-axis gap.
    The projections are taken one vertex and one plane at a time on ``(M,)`` columns, and on
    half of them for centrosymmetric bodies (:class:`_PointSet`).
    """
    sys_ = geom.system
    tables = geom.polyhedron_tables()
    single = len(tables) == 1
    lower = np.empty(len(i))
    upper = np.empty(len(i))
    for start in range(0, len(i), _CHUNK):
        sel = slice(start, start + _CHUNK)
        bi, bj, vec = i[sel], j[sel], vectors[sel]
        d = [np.ascontiguousarray(vec[:, a]) for a in range(3)]
        r = np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
        inv_r = 1.0 / np.maximum(r, 1e-12)
        low = r.copy()
        up = r.copy()
        for body, factor in ((bi, inv_r), (bj, -inv_r)):
            u = geom.body_frame(body, d)
            for c in u:
                c *= factor
            support = np.empty(len(body))
            reach = np.empty(len(body))
            for t, tab in enumerate(tables):
                m = slice(None) if single else np.flatnonzero(sys_.typeid[body] == t)
                ut = u if single else [c[m] for c in u]
                support[m] = tab.vertices.max_projection(ut) + tab.rounding
                if tab.planes is None:
                    reach[m] = tab.rounding
                else:
                    reach[m] = 1.0 / tab.planes.max_projection(ut) + tab.rounding
            k = sys_.scale[body]
            low -= k * support
            up -= k * reach
        lower[sel] = low
        upper[sel] = up
    return lower, upper


def _polyhedron_contact_gaps(geom, i, j, vec, tol):
    """Separating-axis gaps of pairs of convex polyhedra where they are below ``tol``.

    The general form of :func:`_cuboid_contact_gaps`: the gap is the largest of the projected
    gaps along the centre line and the face normals of both bodies, less the rounding radii, so
    the axes are tested one after the other, thinnest widths first (the stacking direction of
    platelets), each on the pairs that no earlier axis has separated. Along the face normal
    :math:`a_f` of body :math:`i`, with :math:`p = (R_i^T d) \\cdot a_f`, the gap is
    :math:`|p| - k_i h_i(\\pm a_f) - k_j h_j(\\mp R_j^T R_i a_f)`; the direction in the frame of
    body :math:`j` is formed from ``(M,)`` columns of the rotation matrices. Pairs left after all
    axes get the value of :func:`pair_gaps` (``full=True``) to round-off; separated pairs get
    ``inf``. Systems of one cuboid type keep the closed-form supports of
    :func:`_cuboid_contact_gaps`, which takes 0.12-0.18 s against 0.19-0.28 s for this test on
    the 3.1 x 10^5 undecided pairs of 10^6 candidates of 10^5 square platelets (same contacts,
    gaps equal to 4 x 10^-15 nm).

    Parameters
    ----------
    geom : LabGeometry
        Geometry of a system whose shapes are all polyhedra.
    i, j : numpy.ndarray
        ``(M,)`` body indices.
    vec : numpy.ndarray
        ``(M, 3)`` minimum-image vectors from ``i`` to ``j`` (nm).
    tol : numpy.ndarray
        ``(M,)`` contact tolerances (nm).

    Returns
    -------
    numpy.ndarray
        ``(M,)`` gaps (nm) of the pairs in contact (below ``tol``), ``inf`` for the others.
    """
    sys_ = geom.system
    n_types = len(sys_.shapes)
    if n_types == 1:
        return _typed_contact_gaps(geom, 0, 0, i, j, vec, tol)
    out = np.full(len(i), np.inf)
    ti, tj = sys_.typeid[i], sys_.typeid[j]
    for ta in range(n_types):
        for tb in range(n_types):
            idx = np.flatnonzero((ti == ta) & (tj == tb))
            if len(idx):
                out[idx] = _typed_contact_gaps(geom, ta, tb, i[idx], j[idx], vec[idx], tol[idx])
    return out


def _typed_contact_gaps(geom, ta, tb, i, j, vec, tol):
    """:func:`_polyhedron_contact_gaps` of pairs with body ``i`` of type ``ta`` and body ``j``
    of type ``tb``."""
    sys_ = geom.system
    tables = geom.polyhedron_tables()
    shape_i, shape_j = tables[ta], tables[tb]
    col = geom.columns()
    ki, kj = sys_.scale[i], sys_.scale[j]
    rad = shape_i.rounding * ki + shape_j.rounding * kj
    d = [np.ascontiguousarray(vec[:, a]) for a in range(3)]
    r = np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    inv_r = 1.0 / np.maximum(r, 1e-12)
    vi = geom.body_frame(i, d)  # R_i^T d
    vj = [-c for c in geom.body_frame(j, d)]  # R_j^T (-d): body i seen from body j
    best = r - ki * shape_i.vertices.max_projection([c * inv_r for c in vi])
    best -= kj * shape_j.vertices.max_projection([c * inv_r for c in vj])
    best -= rad
    out = np.full(len(i), np.inf)
    active = np.arange(len(i))
    tests = [(True, f) for f in range(len(shape_i.axes))]
    tests += [(False, f) for f in range(len(shape_j.axes))]
    widths = [
        (shape_i if own_i else shape_j).support_plus[f]
        + (shape_i if own_i else shape_j).support_minus[f]
        for own_i, f in tests
    ]
    for k in np.argsort(widths, kind="stable"):
        own_i, f = tests[k]
        sel = np.flatnonzero(best < tol)
        if len(sel) < len(best):
            active, best, rad, tol, ki, kj = (x[sel] for x in (active, best, rad, tol, ki, kj))
            vi = [v[sel] for v in vi]
            vj = [v[sel] for v in vj]
        if not len(active):
            return out
        own, other = (shape_i, shape_j) if own_i else (shape_j, shape_i)
        own_b, other_b = (i[active], j[active]) if own_i else (j[active], i[active])
        k_own, k_other = (ki, kj) if own_i else (kj, ki)
        v = vi if own_i else vj
        a = own.axes[f]
        proj = v[0] * a[0] + v[1] * a[1] + v[2] * a[2]
        # the face normal in the lab frame (R_own a_f), then in the frame of the other body
        lab = [sum(col[x][c][own_b] * a[c] for c in range(3) if a[c] != 0.0) for x in range(3)]
        w = geom.body_frame(other_b, lab)
        # the other body's support along -sign(p) a_f
        away = np.where(proj < 0, 1.0, -1.0)
        for c in w:
            c *= away
        h_own = np.where(proj < 0, own.support_minus[f], own.support_plus[f])
        g = np.abs(proj) - k_own * h_own - k_other * other.vertices.max_projection(w) - rad
        np.maximum(best, g, out=best)
    keep = best < tol
    out[active[keep]] = best[keep]
    return out


#: Volume fraction (body volumes over the box volume) below which the contact search also
#: collects the candidate pairs of the near network. The near network is built when contact
#: aggregates hold less than half of the bodies, as in dilute fluids (0.05-0.15) and ligand-
#: separated phases; the search at the wider radius costs little more there, and the second
#: search, a full pass over the bodies, is saved. Above it (crystals, dense aggregates) the wider
#: search would collect twice the pairs for a network that is rarely needed. Convention; it
#: changes no result, only which search finds the pairs.
DILUTE_VOLUME_FRACTION = 0.2


def _shared_candidate_pairs(system: BodySystem, r_max: float, gap: float):
    """Candidate pairs within ``r_max`` for :func:`contact_network`, from one search shared by
    the contact and near networks of a dilute system.

    The pairs of a search at a radius at least ``r_max`` are kept on the system (only for systems
    below :data:`DILUTE_VOLUME_FRACTION`, where they are few) and filtered by distance: the same
    pairs, in the same order, as a search at ``r_max`` (tested). Returns a :class:`_PairSearch`
    (dense systems) or a :class:`_StoredPairs` (dilute systems).
    """
    cached = system.__dict__.get("_candidate_pairs")
    if cached is not None and cached[0] is system.positions and cached[1] >= r_max:
        i, j, vec, dist = cached[2:]
        keep = dist < r_max
        return _StoredPairs(i[keep], j[keep], vec[keep])
    circ = system.per_body("circumsphere_diameter")
    dilute = float(np.sum(system.per_body("volume"))) < DILUTE_VOLUME_FRACTION * system.box.volume
    if not dilute:
        return _PairSearch(system.box, system.positions, r_max)
    r_query = r_max
    r_near = float(circ.max() * (1.0 + SHELL_ALLOWANCE)) + gap * float(
        system.per_body("volume_diameter").max()
    )
    if max(r_max, r_near) < 0.5 * nearest_plane_distance(system.box):
        r_query = max(r_max, r_near)
    pairs = candidate_pairs(system.box, system.positions, r_query)
    system.__dict__["_candidate_pairs"] = (system.positions, r_query, *pairs)
    i, j, vec, dist = pairs
    keep = dist < r_max
    return _StoredPairs(i[keep], j[keep], vec[keep])


@dataclasses.dataclass
class _StoredPairs:
    """Candidate pairs with all their vectors in memory (the interface of :class:`_PairSearch`)."""

    i: np.ndarray
    j: np.ndarray
    vectors: np.ndarray

    def __len__(self) -> int:
        return len(self.i)

    def block_pairs(self, block: slice) -> tuple[np.ndarray, np.ndarray]:
        """``(M,)`` indices ``i`` and ``j`` of the pairs in ``block``."""
        return self.i[block], self.j[block]

    def block_vectors(self, block: slice, bi=None, bj=None) -> np.ndarray:
        """``(M, 3)`` vectors of the pairs in ``block``."""
        return self.vectors[block]


#: Largest number of threads of the block-wise contact tests. numpy releases the interpreter
#: lock inside its array operations, so blocks of pairs run in parallel; beyond a few threads
#: the Python code between the operations, which holds the lock, limits the gain.
MAX_THREADS = 4


def worker_threads() -> int:
    """Threads for block-wise numpy work.

    freud's thread setting when one was made (:func:`freud.parallel.set_num_threads` with a
    positive number); inside :func:`fixed_threads`, the number it fixed; otherwise, like ``make
    --load-average``, the usable cores that other work leaves idle, at least one. Other work is
    the number of tasks the kernel counts as running or waiting for a core now
    (:func:`_other_running_tasks`), or, where that count is not available, the one-minute load
    average. Threads that share a core with other processes only add lock hand-overs: on a
    two-core machine running two other jobs a classification of 10^5 platelets on two threads
    took 14 % more CPU time and 13 % more wall time than on one. At most :data:`MAX_THREADS`.

    The one-minute load average alone lags: it still counts an analysis that ended a minute
    ago, so a second ``python -m analysis classify`` started right after a first one ran on one
    thread on an idle two-core machine.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = int(cores or 1)
    n = int(freud.parallel.get_num_threads())
    if _FIXED_THREADS is not None and n <= 0:
        n = _FIXED_THREADS
    if n <= 0:
        others = _other_running_tasks()
        if others is None:
            try:
                others = int(os.getloadavg()[0] + 0.5)
            except (AttributeError, OSError):  # pragma: no cover - no load average
                others = 0
        n = cores - others
    return max(1, min(n, MAX_THREADS))


#: Threads fixed for the duration of one analysis by :func:`fixed_threads` (None: chosen anew).
_FIXED_THREADS: int | None = None


@contextlib.contextmanager
def fixed_threads():
    """Choose :func:`worker_threads` once, on entry, for everything inside the block.

    Inside an analysis the threads of the analysis itself are running: counted anew at a later
    step, they would look like other work. Nested blocks keep the outer choice.
    """
    global _FIXED_THREADS
    if _FIXED_THREADS is not None:
        yield _FIXED_THREADS
        return
    _FIXED_THREADS = worker_threads()
    try:
        yield _FIXED_THREADS
    finally:
        _FIXED_THREADS = None


def _other_running_tasks(readings: int = 3) -> int | None:
    """Tasks of other processes running or waiting for a core now; None where unknown.

    The fourth field of Linux's ``/proc/loadavg`` counts the runnable tasks (threads) of the
    system, the reading one included; the least of ``readings`` readings 1 ms apart, less the
    reader, so that a task that runs for an instant is not taken for a busy core.
    """
    counts = []
    try:
        for k in range(readings):
            if k:
                time.sleep(0.001)
            with open("/proc/loadavg") as f:
                counts.append(int(f.read().split()[3].split("/")[0]))
    except (OSError, ValueError, IndexError):
        return None
    return max(min(counts) - 1, 0)


def map_blocks(func, n_items: int, block: int) -> list:
    """``[func(slice) for each block of n_items]``, in order, on :func:`worker_threads` threads.

    Results are the same as a serial loop: every block is computed by the same code and the
    results are returned in block order.
    """
    blocks = [slice(start, start + block) for start in range(0, n_items, block)]
    threads = min(worker_threads(), len(blocks))
    if threads <= 1:
        return [func(b) for b in blocks]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(func, blocks))


def contact_network(
    system: BodySystem, gap: float = CONTACT_GAP, shell: float = 0.0
) -> ContactNetwork:
    """Find all pairs of bodies in contact.

    Candidate pairs come from :func:`candidate_pairs` within the largest possible contact
    distance (shared with the near network of a dilute system, see
    :func:`_shared_candidate_pairs`). For spheres the gap follows from the centre distance. For
    polyhedra, the centre-line bounds of :func:`_cuboid_centre_line_bounds` (cuboids) or
    :func:`_polyhedron_centre_line_bounds` decide most pairs and only the pairs between the two
    bounds get the full separating-axis test; other bodies are
    screened with the centre-line gap (a cheap lower bound of the separating-axis gap) and the
    survivors get the full test. Each unordered pair is tested once, block by block
    (:data:`_BLOCK` pairs, on :func:`worker_threads` threads): the vectors of the candidates are
    formed per block and only the pairs in contact are kept.

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
    pairs = _shared_candidate_pairs(system, r_max, gap)
    half_tol = 0.5 * gap * dv + 0.5 * shell * circ
    same_place = 1e-6 * float(dv.min())
    spheres = all(s.kind == "sphere" for s in system.shapes)
    cuboids = not spheres and all(_box_half_extents(s) is not None for s in system.shapes)
    radius = 0.5 * dv
    geom = None if spheres else LabGeometry(system)
    polyhedra = not spheres and all(s.kind == "polyhedron" for s in system.shapes)
    if polyhedra:
        geom.columns()  # built once, before the threads share it
        geom.polyhedron_tables()

    def block_contacts(block: slice):
        bi, bj = pairs.block_pairs(block)
        vec = pairs.block_vectors(block, bi, bj)
        dist = np.sqrt(np.einsum("ma,ma->m", vec, vec))
        keep = dist < r_max
        if not bool(np.all(keep)):
            bi, bj, vec, dist = bi[keep], bj[keep], vec[keep], dist[keep]
        too_close = np.flatnonzero(dist < same_place)
        if len(too_close):
            return (int(bi[too_close[0]]), int(bj[too_close[0]]))
        tol = half_tol[bi] + half_tol[bj]
        if spheres:
            # exact gaps from the centre distances
            gaps = dist - radius[bi] - radius[bj]
            touching = gaps < tol
        elif polyhedra:
            gaps, touching = _bounded_block_gaps(system, geom, bi, bj, vec, tol, cuboids)
        else:
            bi, bj, vec, gaps, touching = _screened_block_gaps(system, geom, bi, bj, vec, tol)
        if bool(np.all(touching)):  # in a crystal every candidate touches: no copies
            return bi, bj, vec, gaps
        touching = np.flatnonzero(touching)
        return bi[touching], bj[touching], vec[touching], gaps[touching]

    parts = map_blocks(block_contacts, len(pairs), _BLOCK)
    pairs = None  # the candidates are no longer needed: free them before the network is built
    i, j, vec, gaps = _joined_blocks(parts)
    del parts
    if spheres:
        # both directions, sorted by (i, j): the pairs (j, i) with j > i of a body come first
        return _both_directions(j, i, vec, gaps, system.n, negate=True)
    return _both_directions(i, j, vec, gaps, system.n)


def _bounded_block_gaps(system: BodySystem, geom, bi, bj, vec, tol, cuboids: bool):
    """Gaps and contact mask of candidate pairs of polyhedra (one block of
    :func:`contact_network`).

    The centre-line gap bounds the separating-axis gap from below, the distance between the
    points where the centre line leaves the two bodies bounds it from above
    (:func:`_cuboid_centre_line_bounds`, :func:`_polyhedron_centre_line_bounds`); only the pairs
    between the two bounds get the full test. Returns ``(gaps, touching)``, shape ``(m,)``.
    """
    bounds = _cuboid_centre_line_bounds if cuboids else _polyhedron_centre_line_bounds
    lower, upper = bounds(geom, bi, bj, vec)
    sure = upper < tol
    open_ = (lower < tol) & ~sure
    gaps = upper
    if cuboids and len(system.shapes) == 1:
        gaps[open_] = _cuboid_contact_gaps(geom, bi[open_], bj[open_], vec[open_], tol[open_])
    else:
        gaps[open_] = _polyhedron_contact_gaps(geom, bi[open_], bj[open_], vec[open_], tol[open_])
    return gaps, (sure | open_) & (gaps < tol)


def _screened_block_gaps(system: BodySystem, geom, bi, bj, vec, tol):
    """Full separating-axis gaps of the candidate pairs that the centre-line gap (a cheap lower
    bound) leaves; returns the kept ``(bi, bj, vec, gaps, touching)``."""
    gaps = pair_gaps(system, bi, bj, vec, full=False, geometry=geom)
    near = np.flatnonzero(gaps < tol)
    bi, bj, vec, tol = bi[near], bj[near], vec[near], tol[near]
    gaps = pair_gaps(system, bi, bj, vec, full=True, geometry=geom)
    return bi, bj, vec, gaps, gaps < tol


def _joined_blocks(parts: list) -> tuple:
    """Concatenate the per-block contacts ``(bi, bj, vec, gaps)`` of :func:`contact_network`.

    Raises
    ------
    FrameError
        If a block reported two bodies at the same position.
    """
    for part in parts:
        if len(part) == 2:
            raise FrameError(f"bodies {part[0]} and {part[1]} sit at the same position")
    if not parts:
        return (
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.zeros((0, 3)),
            np.zeros(0),
        )
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def _both_directions(i, j, vec, gaps, n, negate: bool = False) -> ContactNetwork:
    """Contact network holding the bonds ``(i, j)`` with vectors ``vec`` and the reversed bonds
    ``(j, i)`` with ``-vec``, stably sorted by the first body.

    The order is that of a stable sort of ``concatenate([i, j])``; the second bodies and gaps
    are gathered block by block, and the vectors of the bonds are left to be formed from
    ``vec`` when they are used (:meth:`ContactNetwork.bond_vectors`). With ``negate`` the bonds
    ``(i, j)`` get ``-vec`` and the reversed bonds ``vec`` (the same values as passing ``-vec``,
    without its copy).
    """
    m = len(i)
    first = np.concatenate([i, j]).astype(np.uint32)
    order = np.argsort(first, kind="stable")
    second = np.empty(2 * m, dtype=np.uint32)
    both_gaps = np.empty(2 * m)
    i32, j32 = i.astype(np.uint32), j.astype(np.uint32)

    def gather(block: slice) -> None:
        src = order[block]
        reverse = src >= m
        src = np.where(reverse, src - m, src)
        second[block] = np.where(reverse, i32[src], j32[src])
        both_gaps[block] = gaps[src]

    map_blocks(gather, 2 * m, _BLOCK)  # each block writes its own rows
    return ContactNetwork(
        i=first[order],
        j=second,
        gaps=both_gaps,
        n=n,
        source=(vec, order, -1.0 if negate else 1.0),
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
    contact_cluster : numpy.ndarray or None
        ``(N,)`` connected component of each body in the contact network
        (:func:`connected_clusters`); None when not computed.
    """

    coordination: np.ndarray
    condensed: np.ndarray
    aggregate_id: np.ndarray
    aggregate_sizes: np.ndarray
    contact_cluster_sizes: np.ndarray
    contact_cluster: np.ndarray | None = None

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


def bond_graph(i: np.ndarray, j: np.ndarray, n: int) -> sparse.csr_matrix:
    """``(N, N)`` sparse matrix with a non-zero entry for every bond ``(i, j)``.

    When ``i`` is sorted (the bonds of a :class:`ContactNetwork` and subsets of them) the row
    pointers are counted directly; otherwise the entries are sorted by scipy's conversion.
    Duplicate bonds are kept as repeated entries: a graph search does not see them.
    """
    i = np.asarray(i)
    j = np.asarray(j)
    if len(i) and bool(np.all(i[1:] >= i[:-1])):
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(i, minlength=n), out=indptr[1:])
        return sparse.csr_matrix(
            (np.ones(len(i), dtype=np.int8), j.astype(np.int64), indptr), shape=(n, n)
        )
    return sparse.csr_matrix(
        (np.ones(len(i), dtype=np.int8), (i.astype(np.int64), j.astype(np.int64))), shape=(n, n)
    )


def graph_components(graph: sparse.csr_matrix, symmetric: bool) -> tuple[int, np.ndarray]:
    """Connected components of ``graph`` (:func:`scipy.sparse.csgraph.connected_components`);
    for a symmetric graph the strongly connected ones, which are the same components."""
    if symmetric:
        return csgraph.connected_components(graph, directed=True, connection="strong")
    return csgraph.connected_components(graph, directed=False)


def connected_clusters(i: np.ndarray, j: np.ndarray, n: int, symmetric: bool = False) -> np.ndarray:
    """Cluster index of every body: connected components of the bonds ``(i, j)``.

    Numbered as :class:`freud.cluster.Cluster` numbers them (by decreasing size, clusters of
    equal size by their smallest body index; bodies without bonds are clusters of one), so the
    two give identical indices (tested); :func:`scipy.sparse.csgraph.connected_components`
    needs no freud neighbour list, whose construction costs as much as the search for 10^6
    bonds.

    Parameters
    ----------
    i, j : numpy.ndarray
        ``(M,)`` bonds (one or both directions).
    n : int
        Number of bodies.
    symmetric : bool
        Whether every bond is given in both directions (a :class:`ContactNetwork` and subsets
        of it selected by body). The components are then the strongly connected components of
        the directed graph, found without the transposed copy of the graph that an undirected
        search builds (a third of the time).

    Returns
    -------
    numpy.ndarray
        ``(N,)`` int64 cluster indices, 0 for the largest cluster.
    """
    n_comp, component = graph_components(bond_graph(i, j, n), symmetric)
    sizes = np.bincount(component, minlength=n_comp)
    first = np.full(n_comp, n, dtype=np.int64)
    np.minimum.at(first, component, np.arange(n))
    order = np.lexsort((first, -sizes))
    rank = np.empty(n_comp, dtype=np.int64)
    rank[order] = np.arange(n_comp)
    return rank[component]


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

    everything = connected_clusters(network.i, network.j, system.n, symmetric=True)
    contact_sizes = np.sort(np.bincount(everything))[::-1]

    if np.all(condensed[network.i]):
        # every body with a contact is condensed: the core network is the contact network
        core_cluster = everything
    else:
        core_bond = condensed[network.i] & condensed[network.j]
        core_cluster = connected_clusters(
            network.i[core_bond], network.j[core_bond], system.n, symmetric=True
        )
    n_clusters = int(core_cluster.max()) + 1
    core_counts = np.bincount(core_cluster[condensed], minlength=n_clusters)
    big = np.flatnonzero(core_counts >= min_cores)
    label = np.full(n_clusters, -1, dtype=np.int64)
    label[big] = np.arange(len(big))
    agg = np.where(condensed, label[core_cluster], -1)

    # shell: non-condensed bodies touching a condensed member of an aggregate
    bi, bj = network.i, network.j
    shell_bond = (~condensed[bi]) & (agg[bj] >= 0)
    if np.any(shell_bond):
        si, sj = bi[shell_bond].astype(np.int64), bj[shell_bond].astype(np.int64)
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
        contact_cluster=everything,
    )
