"""The interface every engine adapter implements.

An engine adapter turns a :class:`~mesocrystal.model.system.Model` and a
:class:`~mesocrystal.state.BodyState` into a running simulation of rigid bodies with Langevin
dynamics at the model's kT. The run loop, checkpoints and output live in
:mod:`mesocrystal.simulate` and never touch an engine's own API.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from mesocrystal.state import BodyState


class Engine(ABC):
    """A simulation of one model, advanced in chunks of steps.

    Parameters
    ----------
    model : mesocrystal.model.system.Model
        The model (shapes, potential, kT, damping, time step).
    state : BodyState
        State to start from (its ``step`` is the engine's starting step).
    seed : int
        Seed of the thermostat noise for this segment of the run.
    """

    #: Engine name as used in the ``engine`` setting.
    name: str = ""

    @classmethod
    def for_model(cls, model) -> type[Engine]:
        """The adapter class that simulates ``model`` (rigid site bodies, or one particle per
        body with tabulated pair potentials); engines override this to dispatch."""
        return cls

    def set_types(self, index, new_type) -> None:
        """Change the type (size class and interactions) of particles ``index`` to
        ``new_type`` (both int arrays); the reaction does this during the run.

        Raises
        ------
        NotImplementedError
            For rigid site bodies: a change of body type would change its sites.
        """
        raise NotImplementedError(
            f"{type(self).__name__} cannot change body types during a run; the reaction "
            "needs one particle per body (isotropic spheres)"
        )

    @abstractmethod
    def __init__(self, model, state: BodyState, seed: int):
        """Build the simulation."""

    @abstractmethod
    def set_attraction(self, on: bool) -> None:
        """Switch the site attraction on (assembly) or off (randomisation stage)."""

    @abstractmethod
    def run(self, steps: int) -> None:
        """Advance by ``steps`` time steps."""

    @abstractmethod
    def state(self) -> BodyState:
        """Current body state (positions wrapped, body-frame angular momenta)."""

    @abstractmethod
    def potential_energy(self) -> float:
        """Total potential energy [reduced energy]."""

    @abstractmethod
    def close(self) -> None:
        """Release the engine's resources."""

    @property
    @abstractmethod
    def info(self) -> dict:
        """``{"engine", "version", "device"}`` for the job document."""
