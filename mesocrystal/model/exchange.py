"""Size exchange between product classes: swap Monte Carlo of the product size classes.

The experiment gives every aggregate ~10^11 diffusion times to exchange particles with the
solution: a product that fits its site badly detaches, and one that fits better attaches.
A simulation with a finite time-scale separation (``docs/mechanism.md``, section 2) can follow
only a few hundred diffusion times, too few for such exchanges at attractions of a few kT per
contact. Swap moves give the same exchange without waiting for it: two product particles of
different size classes exchange their classes (their positions stay), accepted with the
Metropolis probability :math:`\\min(1, e^{-\\Delta U/k_BT})` of the potential-energy change.

The move is symmetric (both particles are drawn uniformly among the products) and keeps the
composition, so it samples the same canonical distribution of the mixture as the dynamics:
every equilibrium average is unchanged, only the approach to equilibrium is faster (Grigera &
Parisi, Phys. Rev. E 63, 045102 (2001); Ninarello, Berthier & Coslovich, Phys. Rev. X 7,
021039 (2017), who also observed that swaps let polydisperse mixtures fractionate and
crystallise). The masses of the classes differ, so a swap changes the kinetic energy of the
two particles; the Langevin thermostat restores the Maxwell distribution within a few damping
times, and the configurational distribution, which the move targets, is not affected.

Rate: ``exchange_rate`` attempts per product particle per tau, drawn every :data:`INTERVAL`
steps of the assembly stage. The random numbers depend only on (seed, step), so a resumed run
draws the same proposals. Energies come from the tabulated pair potentials of the model
(:mod:`mesocrystal.model.pair_table`), the same functions both engines integrate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

#: Steps between exchange sweeps.
INTERVAL = 1000
#: Random stream of the exchange moves (the reaction uses 7, initial states 0 and 1).
STREAM = 11


@dataclass(frozen=True)
class ClassExchange:
    """Swap moves between the size classes of the product particles.

    Attributes
    ----------
    rate_per_tau : float
        Swap attempts per product particle per tau.
    types : tuple of int
        Type ids whose particles exchange classes (the product classes).
    start_step : int
        First step of the assembly stage (no swaps before it).
    dt : float
        Time step [tau].
    kT : float
        Thermal energy [reduced energy].
    seed : int
        Replica seed.
    """

    rate_per_tau: float
    types: tuple[int, ...]
    start_step: int
    dt: float
    kT: float
    seed: int

    def is_exchange_step(self, step: int) -> bool:
        """Whether a sweep is made at the end of ``step``."""
        return step > self.start_step and (step - self.start_step) % INTERVAL == 0

    def next_exchange_step(self, step: int) -> int:
        """First sweep step after ``step``."""
        if step < self.start_step:
            return self.start_step + INTERVAL
        return self.start_step + ((step - self.start_step) // INTERVAL + 1) * INTERVAL

    def attempts(self, n_exchangeable: int) -> int:
        """Swap attempts in one sweep over ``n_exchangeable`` particles."""
        return int(round(self.rate_per_tau * INTERVAL * self.dt * n_exchangeable))

    def sweep(
        self, position: np.ndarray, box_length: float, typeid: np.ndarray, table, step: int
    ) -> tuple[np.ndarray, np.ndarray, int, int]:
        """Attempt the swaps of one sweep.

        Parameters
        ----------
        position : numpy.ndarray, shape (N, 3)
            Particle positions [nm] in a cubic periodic box.
        box_length : float
            Box edge [nm].
        typeid : numpy.ndarray, shape (N,), int
            Current types.
        table : mesocrystal.model.pair_table.PairTable
            Pair potentials of all type pairs (the assembly-stage functions are used).
        step : int
            The sweep step (seeds the random numbers).

        Returns
        -------
        index : numpy.ndarray, int
            Particles whose type changed.
        new_type : numpy.ndarray, int
            Their new types.
        attempted : int
            Swap attempts (:meth:`attempts` of the exchangeable particles).
        accepted : int
            Accepted swaps.
        """
        typeid = np.asarray(typeid, dtype=np.int64)
        movable = np.flatnonzero(np.isin(typeid, self.types))
        n_try = self.attempts(len(movable))
        if len(movable) < 2 or n_try == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), n_try, 0
        new = typeid.copy()
        energies = _ClassEnergies(position, box_length, new, table, self.types)
        rng = np.random.default_rng([self.seed, STREAM, int(step)])
        pick = movable[rng.integers(len(movable), size=(n_try, 2))]
        log_u = np.log(rng.random(n_try))
        accepted = 0
        for (i, j), lu in zip(pick, log_u):
            if new[i] == new[j]:
                continue
            du = energies.swap_energy(i, j, new)
            if -du / self.kT >= lu:
                energies.apply_swap(i, j, new)
                accepted += 1
        changed = np.flatnonzero(new != typeid)
        return changed, new[changed], n_try, accepted


class _ClassEnergies:
    """Energy of every particle with every exchangeable class, given its neighbours' types.

    ``E[i, k]`` is the summed pair energy of particle ``i`` with its neighbours if ``i`` had
    class ``k``; a swap changes the rows of the two particles' neighbours only.
    """

    def __init__(self, position, box_length: float, typeid, table, classes):
        n_types = len(table.types)
        self.classes = np.asarray(classes, dtype=np.int64)
        self.slot = np.full(n_types, -1, dtype=np.int64)
        self.slot[self.classes] = np.arange(len(self.classes))
        box = float(box_length)
        tree = cKDTree(np.mod(position, box), boxsize=box)
        pairs = tree.query_pairs(table.r_cut_max, output_type="ndarray")
        d = position[pairs[:, 1]] - position[pairs[:, 0]]
        d -= box * np.round(d / box)
        r = np.linalg.norm(d, axis=1)
        self.src = np.concatenate([pairs[:, 0], pairs[:, 1]])
        self.dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
        r = np.concatenate([r, r])
        # w[p, k, t]: energy of pair p if its source has class k and its destination type t
        self.w = np.zeros((len(r), len(self.classes), n_types))
        for a, k in enumerate(self.classes):
            for t in range(n_types):
                self.w[:, a, t] = table.get(int(k), t, True)(r)[0]
        self.E = np.zeros((len(position), len(self.classes)))
        np.add.at(self.E, self.src, self.w[np.arange(len(r)), :, typeid[self.dst]])
        order = np.argsort(self.dst, kind="stable")
        self.by_dst = order
        self.dst_start = np.searchsorted(self.dst[order], np.arange(len(position) + 1))
        self.pair_of = {(int(a), int(b)): p for p, (a, b) in enumerate(zip(self.src, self.dst))}

    def swap_energy(self, i: int, j: int, typeid: np.ndarray) -> float:
        """Potential-energy change [reduced energy] if ``i`` and ``j`` exchange types."""
        ki, kj = self.slot[typeid[i]], self.slot[typeid[j]]
        du = self.E[i, kj] - self.E[i, ki] + self.E[j, ki] - self.E[j, kj]
        p = self.pair_of.get((int(i), int(j)))
        if p is not None:
            # E[i, kj] counted the pair with j still of type kj; after the swap j has type ki
            # and the pair energy w(ki, kj) is unchanged: remove the miscounted terms.
            q = self.pair_of[(int(j), int(i))]
            ti, tj = typeid[i], typeid[j]
            du -= self.w[p, kj, tj] - self.w[p, ki, tj]
            du -= self.w[q, ki, ti] - self.w[q, kj, ti]
        return float(du)

    def apply_swap(self, i: int, j: int, typeid: np.ndarray) -> None:
        """Exchange the types of ``i`` and ``j`` in ``typeid`` and update the energies."""
        ti, tj = typeid[i], typeid[j]
        typeid[i], typeid[j] = tj, ti
        for m, old, new in ((i, ti, tj), (j, tj, ti)):
            ps = self.by_dst[self.dst_start[m] : self.dst_start[m + 1]]
            self.E[self.src[ps]] += self.w[ps, :, new] - self.w[ps, :, old]
