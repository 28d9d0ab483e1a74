"""The particle-forming reaction during the run: parents convert into products one by one.

Every unreacted (parent) particle converts, independently of all others, with the first-order
rate constant :math:`k` [1/tau] of :func:`mesocrystal.model.conditions.reaction_kinetics`.
The run loop stops every :data:`INTERVAL` steps of the assembly stage and draws, for each
parent, whether it converted during those :math:`\\Delta t` = ``INTERVAL * dt``: probability
:math:`p = 1 - e^{-k\\Delta t}`. The surviving fraction after :math:`m` draws is then exactly
:math:`e^{-k\\,m\\Delta t}`, whatever the interval, and the expected converted fraction follows
:math:`1 - e^{-kt}`.

A converting particle becomes a product of one of the product size classes, drawn with the
class weights of the product size distribution (the product's size is set by the reaction, not
by its parent's size: ``docs/mechanism.md``). The random numbers of a draw depend only on the
replica seed and the step, ``numpy.random.default_rng([seed, STREAM, step])``, so a run that
is resumed from a checkpoint draws exactly the same conversions as one that was never stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Steps between conversion draws.
INTERVAL = 200
#: Random stream of the reaction (distinct from the initial-state streams 0 and 1).
STREAM = 7


@dataclass(frozen=True)
class Reaction:
    """Conversion of parent types into product types.

    Attributes
    ----------
    rate_per_tau : float
        First-order rate constant [1/tau].
    parent_types : tuple of int
        Type ids of the parent classes.
    product_types : tuple of int
        Type ids of the product classes.
    product_weights : tuple of float
        Probability of each product class for a converting particle (sums to 1).
    start_step : int
        Step at which the reaction clock starts (end of the randomisation stage).
    dt : float
        Time step [tau].
    seed : int
        Replica seed.
    """

    rate_per_tau: float
    parent_types: tuple[int, ...]
    product_types: tuple[int, ...]
    product_weights: tuple[float, ...]
    start_step: int
    dt: float
    seed: int

    @property
    def probability(self) -> float:
        """Conversion probability of a parent per draw."""
        return float(-np.expm1(-self.rate_per_tau * INTERVAL * self.dt))

    def time(self, step: int) -> float:
        """Reaction time at ``step`` [tau] (zero before the assembly stage)."""
        return max(0, step - self.start_step) * self.dt

    def is_draw_step(self, step: int) -> bool:
        """Whether conversions are drawn at the end of ``step``."""
        return step > self.start_step and (step - self.start_step) % INTERVAL == 0

    def next_draw_step(self, step: int) -> int:
        """First draw step after ``step``."""
        if step < self.start_step:
            return self.start_step + INTERVAL
        return self.start_step + ((step - self.start_step) // INTERVAL + 1) * INTERVAL

    def converted_fraction(self, typeid: np.ndarray) -> float:
        """Fraction of particles that are products."""
        return float(np.isin(typeid, self.product_types).mean())

    def draw(self, typeid: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
        """The conversions drawn at ``step`` (a draw step).

        Parameters
        ----------
        typeid : numpy.ndarray, shape (N,)
            Current types (by particle index).
        step : int
            The draw step.

        Returns
        -------
        index : numpy.ndarray, int
            Particles that convert now.
        new_type : numpy.ndarray, int
            Their product types.
        """
        rng = np.random.default_rng([self.seed, STREAM, int(step)])
        u = rng.random(len(typeid))
        klass = rng.choice(len(self.product_types), size=len(typeid), p=self.product_weights)
        parent = np.isin(typeid, self.parent_types)
        index = np.flatnonzero(parent & (u < self.probability))
        return index, np.asarray(self.product_types, dtype=np.int64)[klass[index]]
