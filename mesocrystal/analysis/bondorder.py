"""Bond-orientational order of aggregated bodies (Steinhardt, Lechner-Dellago, ten Wolde).

The bond network is the contact network of :mod:`analysis.aggregation` restricted to bonds
between aggregated bodies, so vapour bodies do not enter. This first-shell network gives each
lattice its natural coordination (FCC and HCP 12, BCC 14, simple cubic 6) and therefore the
reference values of freud 3.4 with structure-appropriate neighbour numbers (computed on perfect
lattices; see docs/classifier.md):

==========  ======  ======  =======
structure   q4      q6      w6 (normalised)
==========  ======  ======  =======
FCC (12)    0.191   0.575   -0.013
HCP (12)    0.097   0.485   -0.012
BCC (14)    0.036   0.511   +0.013
SC (6)      0.764   0.354   +0.013
==========  ======  ======  =======

A jammed monodisperse packing at packing fraction 0.64 has :math:`\\langle q_6\\rangle \\approx
0.40` and Lechner-Dellago :math:`\\langle \\bar q_6\\rangle \\approx 0.18` with 12 nearest
neighbours; with the first-shell network (11 neighbours on average) we measure 0.42 and 0.20.

Steinhardt order: Steinhardt, Nelson and Ronchetti, Phys. Rev. B 28, 784 (1983); averaged
:math:`\\bar q_l`: Lechner and Dellago, J. Chem. Phys. 129, 114707 (2008). Solid-like bodies
follow ten Wolde, Ruiz-Montero and Frenkel (Phys. Rev. Lett. 75, 2714 (1995); Faraday Discuss.
104, 93 (1996)) and Filion et al. (J. Chem. Phys. 133, 244115 (2010)): a bond is solid-like
when the normalised :math:`q_{lm}` dot product exceeds 0.7, a body is solid-like with at least 6
solid-like bonds (6 rather than 7-8 so that simple-cubic stacks, with 6 face neighbours,
count); a body with fewer than 7 contacts (two-dimensional crystals, surfaces) needs all but one of
its bonds solid-like, and at least 4 (:data:`MIN_SOLID_BONDS_2D`). Fraction of solid-like bodies
with l = 6: FCC 100 %, jammed packings 0.2 %.

The test is run for l = 6 and l = 8, and for l = 6 on the Lechner-Dellago averaged
:math:`\\bar q_{6m}` with the stricter threshold :data:`SOLID_BOND_AVERAGED` (robust against
thermal noise up to the Lindemann limit); a body is solid-like if it passes any of them.
Environments whose :math:`q_6` is small have a :math:`q_{6m}` vector that is a
near-cancellation of many bond contributions, so its direction changes with every missing or
displaced neighbour: a simple-tetragonal stack of square platelets (26 neighbours) has
:math:`q_6 = 0.10` and only 30-40 % of the interior bodies of a finite stack pass the l = 6 test,
but :math:`q_8 = 0.50` and all pass at l = 8. FCC, HCP, BCC and hexagonal columnar stacks pass
at l = 6; jammed packings, lamellar stacks with liquid-like layers and platelet stacks with
liquid-like layers pass neither (below 1 %).

Implementation: the per-body :math:`q_{lm}` are the means of the spherical harmonics of the
bonds (:func:`bond_harmonics`), evaluated once per unordered bond with the standard Legendre
recurrence; :math:`q_l` and the normalised :math:`\\hat w_l` (Wigner 3j symbols from the Racah
formula) follow from them. They equal freud's ``Steinhardt(l, wl=True, wl_normalize=True)`` to
single precision (tested) at about a third of its CPU time (the 1.2 x 10^6 bonds of 10^5 FCC
bodies: 0.5-0.7 s against 1.9 s on one core), and the harmonics dominated the analysis of 10^5
bodies: freud evaluates every bond twice, once from each end. In large systems every measure
is restricted to the analysis window (see :mod:`analysis.descriptors`), where the solid-like
fraction is measured: the bonds of the window and of three contact shells around it give the
window's bodies the values that all bonds would give them (tested), at a fifth to a tenth of the
cost for 10^5 bodies. The
Lechner-Dellago averages and the solid-like bond products are formed from those :math:`q_{lm}`
on the same bond network; they are identical to ``Steinhardt(average=True)`` and
``SolidLiquid(normalize_q=True)`` (checked in the tests). The largest cluster of solid-like
bodies comes from :func:`scipy.sparse.csgraph.connected_components`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import sparse

from .aggregation import ContactNetwork, bond_graph, graph_components
from .aggregation import map_blocks as _map_blocks
from .io import BodySystem

#: Normalised q6 dot-product threshold of a solid-like bond (ten Wolde 1996; Filion 2010).
SOLID_BOND_Q6 = 0.7

#: Minimum number of solid-like bonds of a solid-like body (ten Wolde et al.; Filion et al.:
#: 6-8).
SOLID_BONDS = 6

#: Bodies with fewer contacts than :data:`SOLID_BONDS` + 1 (two-dimensional crystals: a
#: hexagonal monolayer has 6 contacts, a square one 4-8; crystal surfaces) are solid-like when
#: all but one of their bonds are solid-like, and at least this many. Measured on the references:
#: 82-100 % of the bodies of hexagonal sphere monolayers with vacancies and Lindemann ratio up to
#: 0.1 pass, 3-14 % of the liquid-like layers of lamellar stacks.
MIN_SOLID_BONDS_2D = 4

#: Bonds per block of the harmonics and bond products: the temporaries of a block stay in the
#: processor cache and in memory the allocator reuses (for 10^6 bonds, arrays of the full length
#: cost as much in page faults and cache misses as in arithmetic).
_BOND_BLOCK = 1 << 16

#: Spherical-harmonic degrees of the solid-like bond test.
SOLID_L = (6, 8)

#: Threshold of the same bond test on the Lechner-Dellago averaged :math:`\bar q_{6m}` (mean
#: over a body and its neighbours). Averaging removes most of the thermal noise of the single-body
#: :math:`q_{6m}`, so crystals at the Lindemann melting limit pass it (87-100 % of the bodies of
#: FCC, HCP and BCC with 15 % vacancies and Lindemann ratios up to 0.22), while glasses and jammed
#: packings (0 %), lamellar stacks of liquid layers (1-9 %) and layered platelets (0 %) do not;
#: calibrated on the references of ``tests/_references.py``.
SOLID_BOND_AVERAGED = 0.9


@dataclasses.dataclass
class BondOrder:
    """Per-body bond-orientational order; NaN for bodies without bonds in the network.

    Attributes
    ----------
    q4, q6 : numpy.ndarray
        ``(N,)`` Steinhardt :math:`q_4`, :math:`q_6`.
    q4_avg, q6_avg : numpy.ndarray
        ``(N,)`` Lechner-Dellago averaged :math:`\\bar q_4`, :math:`\\bar q_6`.
    w6 : numpy.ndarray
        ``(N,)`` normalised :math:`\\hat w_6`.
    solid_bonds : numpy.ndarray
        ``(N, 3)`` number of solid-like bonds for l = 6, l = 8 and for the averaged
        :math:`\\bar q_{6m}` (threshold :data:`SOLID_BOND_AVERAGED`).
    solid : numpy.ndarray
        ``(N,)`` whether a body is solid-like (by any of the three tests).
    largest_solid_cluster : int
        Number of bodies in the largest cluster of solid-like bodies in contact (the usual
        measure of a crystal nucleus).
    """

    q4: np.ndarray
    q6: np.ndarray
    q4_avg: np.ndarray
    q6_avg: np.ndarray
    w6: np.ndarray
    solid_bonds: np.ndarray
    solid: np.ndarray
    largest_solid_cluster: int


def spherical_harmonics(ell: int, unit: np.ndarray) -> np.ndarray:
    """Orthonormal spherical harmonics :math:`Y_{lm}` of unit vectors, in freud's layout.

    :math:`Y_{lm} = \\bar P_l^m(z)\\,(x + i y)^m / \\sin^m\\theta` with the normalised
    associated Legendre functions from the standard three-term recurrence in :math:`l` (Condon-
    Shortley phase); :math:`Y_{l,-m} = (-1)^m Y_{lm}^*`. Columns are ordered as freud's
    ``Steinhardt.particle_harmonics``: :math:`m = 0, 1, \\dots, l, -1, \\dots, -l`.

    Parameters
    ----------
    ell : int
        Degree :math:`l`.
    unit : numpy.ndarray
        ``(M, 3)`` unit vectors.

    Returns
    -------
    numpy.ndarray
        ``(M, 2l + 1)`` complex harmonics.
    """
    return _full_layout(_harmonics_m_nonnegative(ell, unit), ell)


def _harmonics_m_nonnegative(ell: int, unit: np.ndarray) -> np.ndarray:
    """``(M, l + 1)`` complex :math:`Y_{lm}` for :math:`m = 0 \\dots l`."""
    return _harmonics_several((ell,), unit)[ell]


def _harmonics_several(ells: tuple, unit: np.ndarray) -> dict[int, np.ndarray]:
    """``{l: (M, l + 1)}`` complex :math:`Y_{lm}`, :math:`m = 0 \\dots l`, of several degrees
    from one pass of the recurrence in the degree (each degree gets the values a pass up to it
    alone gives: the same operations in the same order)."""
    x, y, z = (np.asarray(unit[:, k], dtype=np.float64) for k in range(3))
    top = max(ells)
    out = {ell: np.empty((len(z), ell + 1), dtype=np.complex128) for ell in ells}
    parts = {ell: out[ell].view(np.float64) for ell in ells}
    sin_phase = np.ones(len(z), dtype=np.complex128)  # (x + i y)^m
    w = x + 1j * y
    for m in range(top + 1):
        # normalised P_m^m / sin^m, then P_{m+1}^m and the recurrence up to P_l^m
        pmm = (
            (-1) ** m
            * math.sqrt((2 * m + 1) / (4.0 * math.pi) / math.factorial(2 * m))
            * math.prod(range(1, 2 * m, 2))
        )
        p = np.full(len(z), pmm)
        values = {m: p}
        if m < top:
            p_prev, p = p, z * (math.sqrt(2 * m + 3) * pmm)
            values[m + 1] = p
            for deg in range(m + 2, top + 1):
                a = math.sqrt((4 * deg * deg - 1) / (deg * deg - m * m))
                b = math.sqrt(((deg - 1) ** 2 - m * m) / (4 * (deg - 1) ** 2 - 1))
                p_prev, p = p, a * (z * p - b * p_prev)
                values[deg] = p
        for ell in ells:
            if m <= ell:
                # real times complex, part by part (no complex copy of p)
                np.multiply(values[ell], sin_phase.real, out=parts[ell][:, 2 * m])
                np.multiply(values[ell], sin_phase.imag, out=parts[ell][:, 2 * m + 1])
        if m < top:
            sin_phase *= w
    return out


def _full_layout(nonnegative: np.ndarray, ell: int) -> np.ndarray:
    """freud's column order :math:`m = 0 \\dots l, -1 \\dots -l` from the :math:`m \\ge 0`
    columns, with :math:`Y_{l,-m} = (-1)^m Y_{lm}^*`."""
    sign = (-1.0) ** np.arange(1, ell + 1)
    return np.concatenate([nonnegative, sign * np.conj(nonnegative[:, 1:])], axis=1)


def bond_harmonics(
    i: np.ndarray, j: np.ndarray, vectors: np.ndarray, n: int, ell: int
) -> dict[int, np.ndarray]:
    """Steinhardt :math:`q_{lm}` of every body: the mean of :math:`Y_{lm}` over its bonds.

    Each unordered bond is given once; it counts for both bodies, since :math:`Y_{lm}(-\\hat
    r) = Y_{lm}(\\hat r)` for even :math:`l`, and only :math:`m \\ge 0` is evaluated per bond.
    Equal to freud's ``Steinhardt(l).particle_harmonics`` on the symmetric neighbour list (to
    single precision, tested), at about a third of its CPU time: freud evaluates every bond
    from both ends and every :math:`m`.

    Parameters
    ----------
    i, j : numpy.ndarray
        ``(M,)`` bodies of each unordered bond.
    vectors : numpy.ndarray
        ``(M, 3)`` bond vectors from ``i`` to ``j``.
    n : int
        Number of bodies.
    ell : int
        Even degree :math:`l`.

    Returns
    -------
    dict of int to numpy.ndarray
        ``{l: (N, 2l + 1)}`` complex :math:`q_{lm}` in freud's layout (NaN for bodies without
        bonds).
    """
    return {ell: _full_layout(_bond_harmonics_nonnegative(i, j, vectors, n, ell), ell)}


def _bond_harmonics_nonnegative(
    i: np.ndarray, j: np.ndarray, vectors: np.ndarray, n: int, ell: int
) -> np.ndarray:
    """``(N, l + 1)`` complex :math:`q_{lm}` for :math:`m \\ge 0` (see :func:`bond_harmonics`)."""
    return _bond_harmonics_several(i, j, vectors, n, (ell,))[ell]


def _bond_harmonics_several(
    i: np.ndarray, j: np.ndarray, vectors: np.ndarray, n: int, ells: tuple
) -> dict[int, np.ndarray]:
    """``{l: (N, l + 1)}`` complex :math:`q_{lm}`, :math:`m \\ge 0`, of several even degrees
    from one pass over the bonds (one recurrence and one sum per block for all degrees; the
    values of each degree are those of a pass for it alone)."""
    for ell in ells:
        if ell % 2:
            raise ValueError(
                f"ell must be even (got {ell}): odd harmonics change sign with the bond"
            )
    # sum over the bonds of each body, one block of bonds at a time (blocks that stay in cache:
    # the same sums, a third of the time), blocks on several threads
    m_bonds = len(i)
    widths = [2 * (ell + 1) for ell in ells]

    def block_sums(block: slice) -> tuple[int, np.ndarray]:
        vec = np.asarray(vectors[block], dtype=np.float64)
        y = _harmonics_several(ells, vec / np.linalg.norm(vec, axis=1)[:, None])
        columns = np.concatenate([y[ell].view(np.float64) for ell in ells], axis=1)
        # product with the incidence matrix of the block, restricted to the rows (bodies) that
        # the block touches: the bonds of spatially sorted bodies touch a narrow range of rows
        rows = np.concatenate([i[block], j[block]])
        lo = int(rows.min())
        rows -= lo
        incidence = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, np.tile(np.arange(len(columns)), 2))),
            shape=(int(rows.max()) + 1, len(columns)),
        )
        return lo, incidence @ columns

    sums = np.zeros((n, sum(widths)))
    for lo, part in _map_blocks(block_sums, m_bonds, _BOND_BLOCK):
        sums[lo : lo + len(part)] += part
    counts = np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    out, start = {}, 0
    with np.errstate(invalid="ignore", divide="ignore"):
        for ell, width in zip(ells, widths, strict=True):
            part = np.ascontiguousarray(sums[:, start : start + width])
            out[ell] = part.view(np.complex128) / counts[:, None]
            start += width
    return out


def _m_weights(ell: int) -> np.ndarray:
    """``(l + 1,)`` square roots of the multiplicities of :math:`|q_{lm}|` over :math:`\\pm m`.

    With :math:`q_{l,-m} = (-1)^m q_{lm}^*` (any :math:`q_{lm}` that is a sum of :math:`Y_{lm}`
    of real directions), :math:`\\sum_{m=-l}^{l} a_m b_m^*` has the real part
    :math:`\\mathrm{Re} \\sum_{m \\ge 0} w_m^2 a_m b_m^*`: norms and bond products need only the
    :math:`m \\ge 0` columns scaled by :math:`w = (1, \\sqrt 2, \\dots, \\sqrt 2)`.
    """
    w = np.full(ell + 1, math.sqrt(2.0))
    w[0] = 1.0
    return w


def order_parameter(harmonics: np.ndarray, ell: int) -> np.ndarray:
    """Steinhardt :math:`q_l = \\sqrt{4\\pi/(2l+1) \\sum_m |q_{lm}|^2}`, ``(N,)``."""
    return np.sqrt(4.0 * np.pi / (2 * ell + 1) * np.sum(np.abs(harmonics) ** 2, axis=1))


def _order_parameter_nonnegative(q: np.ndarray, ell: int) -> np.ndarray:
    """:func:`order_parameter` from the ``(N, l + 1)`` columns :math:`m \\ge 0`."""
    power = np.abs(q) ** 2 @ (_m_weights(ell) ** 2)
    return np.sqrt(4.0 * np.pi / (2 * ell + 1) * power)


def _wigner3j(j1: int, j2: int, j3: int, m1: int, m2: int, m3: int) -> float:
    """Wigner 3j symbol from the Racah formula (integer arguments)."""
    if m1 + m2 + m3 != 0 or abs(m1) > j1 or abs(m2) > j2 or abs(m3) > j3:
        return 0.0
    f = math.factorial
    delta = f(j1 + j2 - j3) * f(j1 - j2 + j3) * f(-j1 + j2 + j3) / f(j1 + j2 + j3 + 1)
    pre = math.sqrt(
        delta * f(j1 + m1) * f(j1 - m1) * f(j2 + m2) * f(j2 - m2) * f(j3 + m3) * f(j3 - m3)
    )
    total = 0.0
    for k in range(0, j1 + j2 - j3 + 1):
        args = (j3 - j2 + k + m1, j3 - j1 + k - m2, j1 + j2 - j3 - k, j1 - k - m1, j2 - k + m2)
        if min(args) < 0:
            continue
        total += (-1) ** k / (f(k) * math.prod(f(a) for a in args))
    return (-1) ** (j1 - j2 - m3) * pre * total


def wigner_invariant(harmonics: np.ndarray, ell: int) -> np.ndarray:
    """Normalised third-order invariant :math:`\\hat w_l` (Steinhardt et al. 1983), ``(N,)``.

    :math:`w_l = \\sum_{m_1 + m_2 + m_3 = 0} \\begin{pmatrix} l & l & l \\\\ m_1 & m_2 & m_3
    \\end{pmatrix} q_{lm_1} q_{lm_2} q_{lm_3}`, divided by :math:`(\\sum_m |q_{lm}|^2)^{3/2}`;
    equal to freud's ``Steinhardt(l, wl=True, wl_normalize=True)`` (tested).
    """
    column = {m: m if m >= 0 else ell - m for m in range(-ell, ell + 1)}
    # one contiguous row per m (the columns of an (N, 2l + 1) array are strided)
    rows = np.ascontiguousarray(np.asarray(harmonics).T)
    w = np.zeros(len(harmonics), dtype=np.complex128)
    # the symbol (l l l; m1 m2 m3) is symmetric under permutations of the columns (3l is
    # even): one term per multiset m1 <= m2 <= m3, times its number of distinct orderings
    for m1 in range(-ell, 1):
        for m2 in range(m1, ell + 1):
            m3 = -m1 - m2
            if m3 < m2 or m3 > ell:
                continue
            c = _wigner3j(ell, ell, ell, m1, m2, m3) * len(
                {(m1, m2, m3), (m1, m3, m2), (m2, m1, m3), (m2, m3, m1), (m3, m1, m2), (m3, m2, m1)}
            )
            if c:
                w += c * rows[column[m1]] * rows[column[m2]] * rows[column[m3]]
    norm = np.sum(np.abs(harmonics) ** 2, axis=1) ** 1.5
    return w.real / norm


def _lechner_dellago(
    harmonics: np.ndarray, adjacency: sparse.csr_matrix, ell: int
) -> tuple[np.ndarray, np.ndarray]:
    """Averaged :math:`\\bar q_l` and :math:`\\bar q_{lm}` from per-body :math:`q_{lm}` (self
    included in the average)."""
    counts = np.asarray(adjacency.sum(axis=1)).ravel()
    # the real and imaginary parts summed as real columns (the adjacency entries are real: the
    # same sums without a complex copy of the matrix), then scaled by the reciprocal count as
    # numpy's complex division by a real number does
    summed = adjacency @ np.ascontiguousarray(harmonics).view(np.float64)
    summed *= (1.0 / np.maximum(counts, 1))[:, None]
    qbar = summed.view(np.complex128)
    if harmonics.shape[1] == ell + 1:  # columns m >= 0 only
        return _order_parameter_nonnegative(qbar, ell), qbar
    return np.sqrt(4.0 * np.pi / (2 * ell + 1) * np.sum(np.abs(qbar) ** 2, axis=1)), qbar


def _adjacency_with_self(i: np.ndarray, j: np.ndarray, n: int) -> sparse.csr_matrix:
    """``(N, N)`` sparse matrix of ones at the distinct bonds ``(i, j)`` and on the diagonal.

    The canonical matrix (columns sorted in every row) that scipy builds from these coordinates,
    formed from the sorted codes ``i N + j`` instead of scipy's conversion from coordinates
    (half the temporary memory for 10^6 bonds); the same rows, so products with it add the same
    terms in the same order.
    """
    keys = np.asarray(i).astype(np.int64)
    keys *= n
    keys += j
    keys = np.concatenate([keys, np.arange(n, dtype=np.int64) * (n + 1)])
    keys.sort()
    rows, columns = np.divmod(keys, n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    index = np.int32 if len(keys) < np.iinfo(np.int32).max else np.int64
    return sparse.csr_matrix(
        (np.ones(len(keys)), columns.astype(index), indptr.astype(index)), shape=(n, n)
    )


def solid_bond_counts(
    harmonics: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    n: int,
    threshold: float = SOLID_BOND_Q6,
) -> np.ndarray:
    """Number of solid-like bonds per body (normalised :math:`q_{lm}` dot product > 0.7).

    Parameters
    ----------
    harmonics : numpy.ndarray
        ``(N, 2l + 1)`` complex :math:`q_{lm}` of each body.
    i, j : numpy.ndarray
        ``(M,)`` bonds, each stored in both directions.
    n : int
        Number of bodies.
    threshold : float
        Dot-product threshold of a solid-like bond.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` solid-like bonds of each body (as ``freud.order.SolidLiquid.num_connections``).
    """
    q = np.asarray(harmonics, dtype=np.complex128)
    ell = (q.shape[1] - 1) // 2
    half = i < j
    return _solid_bond_counts_nonnegative(q[:, : ell + 1], i[half], j[half], n, threshold)


def _solid_bond_counts_nonnegative(
    q: np.ndarray, a: np.ndarray, b: np.ndarray, n: int, threshold: float
) -> np.ndarray:
    """:func:`solid_bond_counts` from the ``(N, l + 1)`` columns :math:`m \\ge 0` and the
    unordered bonds ``(a, b)`` (see :func:`_m_weights`): half the data per bond."""
    ell = q.shape[1] - 1
    scaled = q * _m_weights(ell)
    norm = np.sqrt(np.sum(scaled.real**2 + scaled.imag**2, axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = (scaled / norm[:, None]).astype(np.complex64)
    # Re(a . conj(b)) of complex vectors = dot product of their (re, im) components; single
    # precision like freud's own q_lm
    parts = np.ascontiguousarray(unit).view(np.float32)

    def block_products(block: slice) -> np.ndarray:
        return np.einsum("ij,ij->i", parts[a[block]], parts[b[block]])

    products = _map_blocks(block_products, len(a), _BOND_BLOCK)
    product = np.concatenate(products) if products else np.zeros(0, dtype=np.float32)
    solid = product > threshold
    counts = np.bincount(a[solid], minlength=n) + np.bincount(b[solid], minlength=n)
    return counts.astype(np.int64)


def bond_order(
    system: BodySystem,
    network: ContactNetwork,
    mask: np.ndarray,
    window: np.ndarray | None = None,
    contact_clusters: np.ndarray | None = None,
) -> BondOrder:
    """Steinhardt, Lechner-Dellago and ten Wolde order on the bonds among ``mask`` bodies.

    Parameters
    ----------
    system : BodySystem
        Bodies.
    network : ContactNetwork
        Contact network.
    mask : numpy.ndarray
        ``(N,)`` booleans selecting the bodies (aggregated bodies).
    window : numpy.ndarray, optional
        ``(N,)`` booleans: measure only the bodies of this window (the analysis window of a
        large system, see :data:`analysis.descriptors.WINDOW_BODIES`). The bonds used are those
        among the bodies within :data:`WINDOW_SHELLS` contact shells of the window
        (:func:`window_reach`), so every value on the window is the one the whole frame gives;
        outside the window the order parameters are NaN, the solid-like bond counts -1 (not
        measured) and no body is solid-like. The largest solid-like cluster is then the largest
        within the window.
    contact_clusters : numpy.ndarray, optional
        ``(N,)`` connected components of all bonds of ``network``
        (:attr:`analysis.aggregation.Aggregation.contact_cluster`). When every bond of the
        network joins two solid-like bodies (a crystal), the clusters of solid-like bodies are
        these, and the graph search is not repeated.

    Returns
    -------
    BondOrder
        Per-body order parameters (NaN / 0 outside ``mask`` or without bonds).
    """
    if window is not None:
        return _window_bond_order(network, mask, window)
    return _bond_order(network, mask, contact_clusters)


def _bond_order(
    network: ContactNetwork, mask: np.ndarray, contact_clusters: np.ndarray | None
) -> BondOrder:
    """:func:`bond_order` of all ``mask`` bodies of ``network``."""
    n = network.n
    keep = mask[network.i] & mask[network.j]
    every_bond = bool(np.all(keep))
    # unsigned 32-bit body indices as the network stores them (no 64-bit copies of 10^6 bonds)
    bi = network.i if every_bond else network.i[keep]
    bj = network.j if every_bond else network.j[keep]
    if len(bi) == 0:
        nan = np.full(n, np.nan)
        return BondOrder(nan, nan, nan, nan, nan, np.zeros((n, 3), np.int64), mask & False, 0)
    # each unordered bond once: Y_lm(-u) = Y_lm(u) for even l; columns m >= 0 only (the others
    # follow from q_{l,-m} = (-1)^m conj(q_lm), see _m_weights)
    half = bi < bj
    hi, hj = bi[half], bj[half]
    hvec = network.bond_vectors(np.flatnonzero(half) if every_bond else np.flatnonzero(keep)[half])
    harmonics = _bond_harmonics_several(hi, hj, hvec, n, (4, 6, 8))
    with np.errstate(invalid="ignore", divide="ignore"):
        q468 = np.column_stack(
            [_order_parameter_nonnegative(harmonics[ell], ell) for ell in (4, 6, 8)]
        )
        w6 = wigner_invariant(_full_layout(harmonics[6], 6), 6)
    coordination = np.bincount(bi, minlength=n)
    has_bonds = coordination > 0
    q4 = np.where(has_bonds, q468[:, 0], np.nan)
    q6 = np.where(has_bonds, q468[:, 1], np.nan)
    w6 = np.where(has_bonds, w6, np.nan)
    # bonds and the body itself (Lechner-Dellago average), built in one pass
    adjacency = _adjacency_with_self(bi, bj, n)
    q4_avg, _ = _lechner_dellago(harmonics[4], adjacency, 4)
    q6_avg, q6m_avg = _lechner_dellago(harmonics[6], adjacency, 6)
    q4_avg[~has_bonds] = np.nan
    q6_avg[~has_bonds] = np.nan
    solid_bonds = np.column_stack(
        [
            _solid_bond_counts_nonnegative(harmonics[6], hi, hj, n, SOLID_BOND_Q6),
            _solid_bond_counts_nonnegative(harmonics[8], hi, hj, n, SOLID_BOND_Q6),
            _solid_bond_counts_nonnegative(q6m_avg, hi, hj, n, SOLID_BOND_AVERAGED),
        ]
    )
    required = np.minimum(SOLID_BONDS, np.maximum(coordination - 1, MIN_SOLID_BONDS_2D))
    solid = np.any(solid_bonds >= required[:, None], axis=1) & mask
    largest = 0
    if np.any(solid):
        # connected components of the bonds among solid-like bodies (only the largest size is
        # needed: scipy's graph search avoids building a freud neighbour list for it)
        both = solid[bi] & solid[bj]
        if contact_clusters is not None and every_bond and bool(np.all(both)):
            component = contact_clusters
        else:
            # the bonds of both directions among solid-like bodies: a symmetric graph
            _, component = graph_components(bond_graph(bi[both], bj[both], n), symmetric=True)
        largest = int(np.bincount(component[solid]).max())
    return BondOrder(
        q4=q4,
        q6=q6,
        q4_avg=q4_avg,
        q6_avg=q6_avg,
        w6=w6,
        solid_bonds=solid_bonds,
        solid=solid,
        largest_solid_cluster=largest,
    )


#: Contact shells around an analysis window whose bonds enter its bond order. A body's
#: :math:`q_{lm}` needs its own bonds (shell 1); a plain solid-like bond test of a window body
#: needs the :math:`q_{lm}` of its neighbours (shell 2); the averaged test needs the averaged
#: :math:`\\bar q_{6m}` of the neighbours, which average the :math:`q_{6m}` of their own
#: neighbours (shell 3). With three shells every value on the window equals that of the whole
#: frame (tested).
WINDOW_SHELLS = 3


def _rows(indptr: np.ndarray, bodies: np.ndarray) -> np.ndarray:
    """Positions in a network sorted by its first body of the bonds of ``bodies`` (in order)."""
    starts = indptr[bodies]
    counts = indptr[bodies + 1] - starts
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    return offsets + np.arange(int(counts.sum()))


def window_reach(
    network: ContactNetwork, mask: np.ndarray, window: np.ndarray, indptr: np.ndarray | None = None
) -> np.ndarray:
    """``(N,)`` bodies of ``mask`` within :data:`WINDOW_SHELLS` contact shells of ``window``
    (the window included), along the bonds of ``network`` among ``mask`` bodies (``indptr``:
    the network's row pointers, if already formed)."""
    indptr = _row_pointers(network) if indptr is None else indptr
    reach = mask & window
    frontier = np.flatnonzero(reach)
    for _ in range(WINDOW_SHELLS):
        found = network.j[_rows(indptr, frontier)]
        found = found[mask[found] & ~reach[found]]
        reach[found] = True
        frontier = np.unique(found)
    return reach


def _row_pointers(network: ContactNetwork) -> np.ndarray:
    """``(N + 1,)`` start of the bonds of each body in ``network`` (sorted by its first body)."""
    indptr = np.zeros(network.n + 1, dtype=np.int64)
    np.cumsum(np.bincount(network.i, minlength=network.n), out=indptr[1:])
    return indptr


def _window_bond_order(network: ContactNetwork, mask: np.ndarray, window: np.ndarray) -> BondOrder:
    """:func:`bond_order` measured on the ``mask`` bodies of ``window``.

    The bodies within :data:`WINDOW_SHELLS` contact shells of the window are renumbered into a
    network of their own (the bonds among them, in the same order: the map to the new numbers
    preserves the order), whose bond order is computed and put back in place.
    """
    n = network.n
    measured = mask & window
    indptr = _row_pointers(network)
    reach = window_reach(network, mask, window, indptr)
    index = np.flatnonzero(reach)
    local = np.full(n, -1, dtype=np.int64)
    local[index] = np.arange(len(index))
    rows = _rows(indptr, index)
    keep = rows[reach[network.j[rows]]]
    sub = ContactNetwork(
        i=local[network.i[keep]].astype(network.i.dtype),
        j=local[network.j[keep]].astype(network.j.dtype),
        vectors=network.bond_vectors(keep),
        gaps=network.gaps[keep],
        n=len(index),
    )
    part = _bond_order(sub, np.ones(len(index), dtype=bool), None)
    inside = measured[index]
    values = {}
    for name in ("q4", "q6", "q4_avg", "q6_avg", "w6"):
        v = np.full(n, np.nan)
        v[index[inside]] = getattr(part, name)[inside]
        values[name] = v
    solid_bonds = np.full((n, part.solid_bonds.shape[1]), -1, dtype=part.solid_bonds.dtype)
    solid_bonds[index[inside]] = part.solid_bonds[inside]
    solid = np.zeros(n, dtype=bool)
    solid[index[inside]] = part.solid[inside]
    largest = 0
    if np.any(solid):
        # clusters of solid-like bodies of the window, along the bonds among them
        ok = solid[index]
        both = ok[sub.i] & ok[sub.j]
        _, component = graph_components(bond_graph(sub.i[both], sub.j[both], sub.n), symmetric=True)
        largest = int(np.bincount(component[ok]).max())
    return BondOrder(**values, solid_bonds=solid_bonds, solid=solid, largest_solid_cluster=largest)
