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

Implementation: one :class:`freud.order.Steinhardt` pass for l = 4, 6, 8 with ``wl=True`` gives
:math:`q_l`, :math:`\\hat w_l` and the per-body :math:`q_{lm}`; :math:`q_4` (a descriptor that
no test uses) and l = 8 are restricted for large systems to the analysis window (see
:mod:`analysis.descriptors`), where the solid-like fraction is measured. The Lechner-Dellago
averages and the solid-like bond products are formed from those :math:`q_{lm}` on the same bond
network; they are identical to ``Steinhardt(average=True)`` and
``SolidLiquid(normalize_q=True)`` (checked in the tests) and avoid recomputing the spherical
harmonics three more times, which dominates the cost for 10^5 bodies.
"""

from __future__ import annotations

import dataclasses
import warnings

import freud
import numpy as np
from scipy import sparse

from .aggregation import ContactNetwork
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


def _lechner_dellago(
    harmonics: np.ndarray, adjacency: sparse.csr_matrix, ell: int
) -> tuple[np.ndarray, np.ndarray]:
    """Averaged :math:`\\bar q_l` and :math:`\\bar q_{lm}` from per-body :math:`q_{lm}` (self
    included in the average)."""
    counts = np.asarray(adjacency.sum(axis=1)).ravel()
    qbar = (adjacency @ harmonics) / np.maximum(counts, 1)[:, None]
    return np.sqrt(4.0 * np.pi / (2 * ell + 1) * np.sum(np.abs(qbar) ** 2, axis=1)), qbar


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
    norm = np.linalg.norm(q, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = (q / norm[:, None]).astype(np.complex64)
    # Re(a . conj(b)) of complex vectors = dot product of their (re, im) components; single
    # precision like freud's own q_lm
    parts = np.ascontiguousarray(unit).view(np.float32)
    half = i < j
    a, b = i[half], j[half]
    product = np.einsum("ij,ij->i", parts[a], parts[b])
    solid = product > threshold
    counts = np.bincount(a[solid], minlength=n) + np.bincount(b[solid], minlength=n)
    return counts.astype(np.int64)


def bond_order(
    system: BodySystem,
    network: ContactNetwork,
    mask: np.ndarray,
    q4_mask: np.ndarray | None = None,
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
    q4_mask : numpy.ndarray, optional
        ``(N,)`` booleans: compute :math:`q_4`, :math:`\\bar q_4` and the l = 8 solid-like bonds
        on the bonds among these bodies only (the analysis window of a large system, see
        :data:`analysis.descriptors.WINDOW_BODIES`); l = 6 and the averaged test cover all bodies.

    Returns
    -------
    BondOrder
        Per-body order parameters (NaN / 0 outside ``mask`` or without bonds).
    """
    n = system.n
    keep = mask[network.i] & mask[network.j]
    bi = network.i[keep].astype(np.int64)
    bj = network.j[keep].astype(np.int64)
    if len(bi) == 0:
        nan = np.full(n, np.nan)
        return BondOrder(nan, nan, nan, nan, nan, np.zeros((n, 3), np.int64), mask & False, 0)
    nlist = network.neighbor_list(mask)
    sys_tuple = (system.box, system.positions)
    detail = mask if q4_mask is None else mask & q4_mask
    with warnings.catch_warnings():
        # bodies without bonds give NaN, which is what we want
        warnings.simplefilter("ignore", RuntimeWarning)
        if q4_mask is None:
            st = freud.order.Steinhardt([4, 6, 8], wl=True, wl_normalize=True)
            st.compute(sys_tuple, neighbors=nlist)
            harm = dict(zip((4, 6, 8), st.particle_harmonics, strict=True))
            q468 = np.asarray(st.ql, dtype=np.float64)
            w6 = np.asarray(st.particle_order).real[:, 1]
        else:
            st6 = freud.order.Steinhardt(6, wl=True, wl_normalize=True)
            st6.compute(sys_tuple, neighbors=nlist)
            st48 = freud.order.Steinhardt([4, 8])
            st48.compute(sys_tuple, neighbors=network.neighbor_list(detail))
            harm = {6: st6.particle_harmonics, 4: st48.particle_harmonics[0]}
            harm[8] = st48.particle_harmonics[1]
            q468 = np.column_stack(
                [
                    np.asarray(st48.ql)[:, 0],
                    np.asarray(st6.ql).reshape(n),
                    np.asarray(st48.ql)[:, 1],
                ]
            )
            w6 = np.asarray(st6.particle_order).real.reshape(n)
    has_bonds = np.bincount(bi, minlength=n) > 0
    has_detail = has_bonds & detail
    q4 = np.where(has_detail, q468[:, 0], np.nan)
    q6 = np.where(has_bonds, q468[:, 1], np.nan)
    w6 = np.where(has_bonds, w6, np.nan)
    harmonics = {ell: np.asarray(h).reshape(n, 2 * ell + 1) for ell, h in harm.items()}
    adjacency = sparse.csr_matrix((np.ones(len(bi)), (bi, bj)), shape=(n, n))
    adjacency = adjacency + sparse.identity(n, format="csr")
    q4_avg, _ = _lechner_dellago(harmonics[4], adjacency, 4)
    q6_avg, q6m_avg = _lechner_dellago(harmonics[6], adjacency, 6)
    q4_avg[~has_detail] = np.nan
    q6_avg[~has_bonds] = np.nan
    in_detail = detail[bi] & detail[bj]
    solid_bonds = np.column_stack(
        [
            solid_bond_counts(harmonics[6], bi, bj, n),
            solid_bond_counts(harmonics[8], bi[in_detail], bj[in_detail], n),
            solid_bond_counts(q6m_avg, bi, bj, n, SOLID_BOND_AVERAGED),
        ]
    )
    coordination = np.bincount(bi, minlength=n)
    required = np.minimum(SOLID_BONDS, np.maximum(coordination - 1, MIN_SOLID_BONDS_2D))
    solid = np.any(solid_bonds >= required[:, None], axis=1) & mask
    largest = 0
    if np.any(solid):
        clusters = freud.cluster.Cluster()
        clusters.compute(sys_tuple, neighbors=network.neighbor_list(solid))
        largest = int(np.bincount(clusters.cluster_idx[solid]).max())
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
