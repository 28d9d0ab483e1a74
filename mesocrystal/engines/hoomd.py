"""Production engine: HOOMD-blue (conda-forge ``hoomd``) on a GPU, or on CPUs with MPI.

The model maps onto HOOMD-blue as follows (the same model as
:mod:`mesocrystal.engines.lammps`):

* every body is a central particle of type ``A0``, ``A1``, ... (one type per size class) that
  carries the body's mass, principal moments of inertia, orientation, velocity and angular
  momentum; :class:`hoomd.md.constrain.Rigid` adds its constituent interaction sites (type
  ``A`` = attractive, ``R`` = repulsive) at the model's body-frame positions with
  :meth:`~hoomd.md.constrain.Rigid.create_bodies`. The body frame is the model's, so no
  orientation offset is needed;
* pair forces are :class:`hoomd.md.pair.LJ` (the WCA core: ``epsilon_core``, ``wca_sigma``,
  cut at ``wca_rcut``, ``mode="shift"``) between all site types plus
  :class:`hoomd.md.pair.Morse` between ``A`` sites only (``D0 = morse_D0``, ``alpha``,
  ``r0 = site_diameter``, cut at ``morse_rcut``, ``mode="shift"``); ``D0 = 0`` switches the
  attraction off. Body-centre types have zero cut-offs, and pairs within a body are excluded
  from the neighbour list (``exclusions=("body",)``);
* :class:`hoomd.md.methods.Langevin` integrates the body centres
  (``hoomd.filter.Rigid(("center", "free"))``, ``integrate_rotational_dof=True``) at the
  model's kT with translational friction ``gamma = M / t_damp`` per body type and rotational
  friction ``gamma_r = I_k / t_damp`` per body-frame axis.

Isotropic spheres (:attr:`Model.single_particle <mesocrystal.model.system.Model>`) run in
:class:`HOOMDParticleEngine` instead: one particle per body, :class:`hoomd.md.pair.Table` with
one tabulated potential per type pair (the orientation-averaged site potential, grid
``numpy.linspace(r_min, r_cut, n, endpoint=False)`` as HOOMD defines it) and Langevin dynamics
of the translational degrees of freedom only. The reaction changes particle types with
:meth:`hoomd.State.set_snapshot` (typeid and mass of the converted particles; the whole state
is re-initialised, so neighbour lists and per-type cut-offs follow the new types).

State hand-over: :class:`~mesocrystal.state.BodyState` carries body-frame angular momenta;
HOOMD stores the quaternion conjugate momentum :math:`p = 2\\,q \\otimes (0, \\mathbf{L})`
(:func:`mesocrystal.schema.angmom_to_gsd`). The device is a GPU when one is visible, the CPU
otherwise. With an MPI build and several ranks HOOMD decomposes the box into domains; the
state is gathered on rank 0 (:meth:`hoomd.State.get_snapshot`) and broadcast to all ranks with
:mod:`mpi4py`, so every rank sees the same :class:`~mesocrystal.state.BodyState`.

Supported versions: HOOMD-blue 4.8 to 7.x (:data:`SUPPORTED_MAJORS`; a later major imports with
a warning, before 4.5 is refused). ``environment.yml`` installs 7.x. Only HOOMD-blue 4.8.2 is
verified by running (the tests, on CPUs). 5.x, 6.x and 7.x are verified by reading only: every
call below was checked against the change log of each release from 5.0.0 to 7.1.1 and the
release notes of 7.2.1 and 7.2.2 (those of 7.2.0 were not read), and against the HOOMD-blue
source at 7.0.1 (docs/references.md, *HOOMD-blue versions*, has the call-by-call table). All
calls keep their names and meaning from 4.8 to 7.x except:

* pair type parameters (``params``, ``r_cut``) are set one ``(a, b)`` tuple of type names at a
  time (:func:`type_pairs`). HOOMD-blue 6.0 removed the ``(list, list)`` key that expanded to
  the product of two lists (it raises ``KeyError`` from 6.0 on) and changed what a tuple of two
  pairs sets; the single-pair key means the same in every release;
* the active GPU's description is ``Device.device`` (4.5 and later); ``Device.devices`` was
  removed in 5.0 and is read only as a fallback on 4.x;
* an unavailable GPU raises ``hoomd.error.GPUNotAvailableError`` (4.5 and later; the
  ``hoomd.util`` alias was removed in 5.0). Removed in 5.0 and never used here:
  ``gpu_ids``, ``Device.num_cpu_threads``, ``Snapshot.from_gsd_snapshot``.

Changes that leave this adapter's results unchanged: 5.2 sets the velocities of rigid-body
constituents (only body centres are read here); 6.0 adds an optional ``masses`` argument to
``Rigid.create_bodies`` (not passed: a body's mass and inertia are its central particle's;
constituent masses matter only when rigid bodies couple to MPCD, not used here);
6.1 no longer installs a ``SIGTERM`` handler on import (the run loop installs its own); 7.0
writes GSD schema 2.0 from ``hoomd.write.GSD`` (not used: the run loop writes the project's
files with :mod:`gsd`, 5.0 or later to read files from HOOMD-blue 7) and redefines HPMC's
rotation move size (MD only here); 5.1.1 and 7.1 stop motion along z in 2D boxes (3D
here).

Units are the model's: length nm, energy k_B × 298.15 K, mass of a 3.5 nm AgAu core, time τ.
"""

from __future__ import annotations

import importlib
import itertools
import re
import warnings

import numpy as np

from mesocrystal import schema
from mesocrystal.engines.base import Engine
from mesocrystal.model.shapes import SITE_ATTRACTIVE, SITE_TYPES
from mesocrystal.state import BodyState

#: Site type names in HOOMD (attractive, repulsive), indexed like ``BodyShape.site_types``.
ATTRACTIVE_TYPE, REPULSIVE_TYPE = SITE_TYPES[SITE_ATTRACTIVE], SITE_TYPES[1 - SITE_ATTRACTIVE]
#: Neighbour-list buffer [nm].
NLIST_BUFFER = 0.3
#: Device choices accepted by :class:`HOOMDEngine`.
DEVICES = ("auto", "gpu", "cpu")


#: HOOMD-blue major versions whose API this adapter was checked against.
SUPPORTED_MAJORS = (4, 5, 6, 7)
#: The oldest release that works: ``Device.device``, ``hoomd.error.GPUNotAvailableError``.
MINIMUM_VERSION = (4, 5)


def version_tuple(text: str) -> tuple[int, ...]:
    """``(major, minor, patch)`` of a version string such as ``"7.1.1"`` or ``"5.0.0rc1"``."""
    parts = []
    for piece in text.split(".")[:3]:
        match = re.match(r"\d+", piece)
        if match is None:
            break
        parts.append(int(match.group()))
        if match.end() != len(piece):  # "0rc1", "0-dev": a pre-release, no further parts
            break
    return tuple(parts)


def type_pairs(types) -> list[tuple[str, str]]:
    """Every unordered pair of particle type names, each once, as ``(a, b)`` tuples.

    Pair type parameters (``params``, ``r_cut``) are set one ``(a, b)`` tuple at a time: that key
    means the same pair in every supported release. HOOMD-blue 6.0 removed the key that expanded
    two lists into their product (``lj.params[(["A", "B"], ["A", "B"])]``, a ``KeyError`` since)
    and changed what a tuple of two pairs sets (``lj.params[("A", "B"), ("C", "D")]``: four
    pairs before 6.0, two from 6.0 on).
    """
    return list(itertools.combinations_with_replacement(list(types), 2))


def load_hoomd():
    """Import and return :mod:`hoomd` with its MD component.

    Raises
    ------
    ImportError
        When HOOMD-blue is not installed, was built without the MD component, or is older
        than :data:`MINIMUM_VERSION`.
    """
    hoomd = importlib.import_module("hoomd")
    version = version_tuple(str(hoomd.version.version))
    if version[:2] < MINIMUM_VERSION:
        raise ImportError(
            f"HOOMD-blue {hoomd.version.version} is too old: this adapter needs "
            f"{'.'.join(map(str, MINIMUM_VERSION))} or later (conda install -c conda-forge "
            "'hoomd=7.*')"
        )
    if version and version[0] > max(SUPPORTED_MAJORS):
        warnings.warn(
            f"HOOMD-blue {hoomd.version.version} is newer than the majors this adapter was "
            f"checked against ({', '.join(map(str, SUPPORTED_MAJORS))}); check its change log",
            stacklevel=2,
        )
    importlib.import_module("hoomd.md")
    return hoomd


def import_error() -> str | None:
    """Why HOOMD-blue cannot be used here, or None when it can."""
    try:
        load_hoomd()
    except Exception as err:  # a broken install can raise more than ImportError
        return f"{type(err).__name__}: {err}"
    return None


def available() -> bool:
    """Whether HOOMD-blue with the MD component can be imported."""
    return import_error() is None


def gpu_available() -> bool:
    """Whether HOOMD-blue is importable, built with GPU support, and sees a usable GPU."""
    if not available():
        return False
    hoomd = load_hoomd()
    if not hoomd.version.gpu_enabled:
        return False
    try:
        return len(hoomd.device.GPU.get_available_devices()) > 0
    except Exception:
        return False


def make_device(kind: str = "auto", communicator=None, notice_level: int = 1):
    """A HOOMD device.

    Parameters
    ----------
    kind : {"auto", "gpu", "cpu"}
        ``"auto"`` takes a GPU when one is available (:func:`hoomd.device.auto_select`).
    communicator : hoomd.communicator.Communicator, optional
        MPI communicator; default: all ranks.
    notice_level : int
        HOOMD's verbosity (1: warnings and errors only).

    Raises
    ------
    ValueError
        For an unknown ``kind``.
    RuntimeError
        When ``kind="gpu"`` and no GPU can be used.
    """
    hoomd = load_hoomd()
    if kind not in DEVICES:
        raise ValueError(f"device {kind!r} is unknown; choose one of {', '.join(DEVICES)}")
    if kind == "cpu":
        return hoomd.device.CPU(communicator=communicator, notice_level=notice_level)
    if kind == "gpu":
        if not hoomd.version.gpu_enabled:
            raise RuntimeError("this HOOMD-blue build has no GPU support (a CPU-only build)")
        try:
            return hoomd.device.GPU(communicator=communicator, notice_level=notice_level)
        except hoomd.error.GPUNotAvailableError as err:
            raise RuntimeError(f"no usable GPU: {err}") from err
    return hoomd.device.auto_select(communicator=communicator, notice_level=notice_level)


def device_description(device) -> str:
    """``"GPU (<name>)"`` for a GPU device, ``"CPU"`` otherwise."""
    hoomd = load_hoomd()
    if not isinstance(device, hoomd.device.GPU):
        return "CPU"
    try:
        name = device.device  # HOOMD >= 4.5 (the only spelling in 5.x)
    except AttributeError:
        name = device.devices[0]  # HOOMD < 4.5
    return f"GPU ({name})"


class _Broadcast:
    """Share rank 0's Python objects with all ranks of a HOOMD communicator (:mod:`mpi4py`)."""

    def __init__(self, communicator):
        self.num_ranks = communicator.num_ranks
        self.rank = communicator.rank
        self._comm = None
        if self.num_ranks > 1:
            try:
                from mpi4py import MPI
            except ImportError as err:
                raise RuntimeError(
                    "HOOMD-blue runs on several MPI ranks: install mpi4py so that every rank "
                    "receives the state gathered on rank 0"
                ) from err
            world = MPI.COMM_WORLD
            # One HOOMD simulation per partition: ranks of a partition share its state.
            self._comm = world.Split(color=communicator.partition, key=world.Get_rank())

    def __call__(self, obj):
        return obj if self._comm is None else self._comm.bcast(obj, root=0)


class HOOMDEngine(Engine):
    """The model in HOOMD-blue (see the module docstring).

    ``HOOMDEngine.for_model(model)`` is :class:`HOOMDParticleEngine` for single-particle
    models.

    Parameters
    ----------
    model : mesocrystal.model.system.Model
        The model (shapes, potential, kT, damping time, time step).
    state : BodyState
        State to start from; its ``step`` becomes HOOMD's timestep.
    seed : int
        Seed of the thermostat noise (HOOMD uses its lowest 16 bits together with the
        timestep, so resumed segments continue with fresh noise).
    device : {"auto", "gpu", "cpu"}
        Hardware: a GPU when one is visible (``"auto"``), or explicitly.
    communicator : hoomd.communicator.Communicator, optional
        MPI communicator for domain decomposition; default: all ranks.
    """

    name = "hoomd"

    @classmethod
    def for_model(cls, model) -> type[Engine]:
        if model.single_particle and not issubclass(cls, HOOMDParticleEngine):
            return HOOMDParticleEngine
        if getattr(model, "site_potential", None) is not None:
            return HOOMDTabulatedSiteEngine
        return cls

    def __init__(
        self,
        model,
        state: BodyState,
        seed: int,
        *,
        device: str = "auto",
        communicator=None,
    ):
        try:
            hoomd = load_hoomd()
        except Exception as err:
            raise RuntimeError(
                f"HOOMD-blue cannot be imported ({err}); install it from conda-forge "
                "(`conda env create -f environment.yml` or `conda install -c conda-forge hoomd`)"
            ) from err
        self._hoomd = hoomd
        self.model = model
        self._attraction = True
        self._device = make_device(device, communicator)
        self._bcast = _Broadcast(self._device.communicator)
        self._sim = hoomd.Simulation(device=self._device, seed=int(seed) & 0xFFFF)
        self._sim.timestep = int(state.step)
        self._n = state.N
        self._build(state)

    # -- construction ------------------------------------------------------------------------
    @property
    def body_types(self) -> list[str]:
        """HOOMD type names of the body centres (one per size class)."""
        return list(self.model.type_names)

    @property
    def types(self) -> list[str]:
        """All HOOMD particle types: body centres, then the ``A`` and ``R`` sites."""
        return [*self.body_types, ATTRACTIVE_TYPE, REPULSIVE_TYPE]

    def _centre_snapshot(self, state: BodyState):
        """A snapshot of the body centres: box, types, positions, images, velocities and
        masses (filled on rank 0 only); :meth:`_snapshot` adds what its bodies need."""
        snap = self._hoomd.Snapshot(self._device.communicator)
        if snap.communicator.rank == 0:
            snap.configuration.box = [*map(float, state.box), 0.0, 0.0, 0.0]
            snap.particles.N = state.N
            snap.particles.types = self.types
            snap.particles.typeid[:] = state.typeid
            snap.particles.position[:] = state.position
            snap.particles.image[:] = state.image
            snap.particles.velocity[:] = state.velocity
            snap.particles.mass[:] = np.array([s.mass for s in self.model.shapes])[state.typeid]
        return snap

    def _snapshot(self, state: BodyState):
        """A snapshot of the rigid body centres with orientations and inertia."""
        snap = self._centre_snapshot(state)
        if snap.communicator.rank == 0:
            shapes = self.model.shapes
            snap.particles.orientation[:] = state.orientation
            snap.particles.angmom[:] = schema.angmom_to_gsd(state.orientation, state.angmom)
            inertia = np.array([s.moment_inertia for s in shapes])
            snap.particles.moment_inertia[:] = inertia[state.typeid]
            snap.particles.body[:] = np.arange(state.N)
        return snap

    def _build(self, state: BodyState) -> None:
        hoomd, model, sim = self._hoomd, self.model, self._sim
        md = hoomd.md
        sim.create_state_from_snapshot(self._snapshot(state))

        rigid = md.constrain.Rigid()
        for name, shape in zip(self.body_types, model.shapes):
            rigid.body[name] = {
                "constituent_types": [
                    ATTRACTIVE_TYPE if t == SITE_ATTRACTIVE else REPULSIVE_TYPE
                    for t in shape.site_types
                ],
                "positions": [tuple(map(float, x)) for x in shape.sites],
                "orientations": [(1.0, 0.0, 0.0, 0.0)] * shape.n_sites,
            }
        rigid.create_bodies(sim.state)
        self._rigid = rigid

        nlist = md.nlist.Cell(buffer=NLIST_BUFFER, exclusions=("body",))
        self._nlist = nlist
        self._lj = self._make_wca(nlist)
        self._morse = self._make_morse(nlist, self._attraction)
        self._method = self._make_method()
        self._integrator = md.Integrator(
            dt=model.params.dt,
            integrate_rotational_dof=True,
            rigid=rigid,
            methods=[self._method],
            forces=[self._lj, self._morse],
        )
        sim.operations.integrator = self._integrator
        sim.run(0)  # attach: validates the bodies and computes the initial forces

    def _make_wca(self, nlist):
        """The WCA core between all site types (zero cut-off for body centres)."""
        pot = self.model.potential
        lj = self._hoomd.md.pair.LJ(nlist=nlist, default_r_cut=0.0, mode="shift")
        sites = (ATTRACTIVE_TYPE, REPULSIVE_TYPE)
        for pair in type_pairs(self.types):
            if pair[0] in sites and pair[1] in sites:
                lj.params[pair] = {"epsilon": pot.epsilon_core, "sigma": pot.wca_sigma}
                lj.r_cut[pair] = pot.wca_rcut
            else:
                lj.params[pair] = {"epsilon": 0.0, "sigma": 1.0}
                lj.r_cut[pair] = 0.0
        return lj

    def _make_morse(self, nlist, on: bool):
        """The Morse attraction between attractive sites (``D0 = 0`` when ``on`` is False)."""
        pot = self.model.potential
        morse = self._hoomd.md.pair.Morse(nlist=nlist, default_r_cut=0.0, mode="shift")
        for pair in type_pairs(self.types):
            if pair == (ATTRACTIVE_TYPE, ATTRACTIVE_TYPE):
                morse.params[pair] = {
                    "D0": pot.morse_D0 if on else 0.0,
                    "alpha": pot.morse_alpha,
                    "r0": pot.site_diameter,
                }
                morse.r_cut[pair] = pot.morse_rcut
            else:
                morse.params[pair] = {"D0": 0.0, "alpha": 1.0, "r0": 1.0}
                morse.r_cut[pair] = 0.0
        return morse

    def _make_method(self):
        """Langevin dynamics of the body centres: ``gamma = M/t_damp``, ``gamma_r = I/t_damp``."""
        hoomd, model = self._hoomd, self.model
        t_damp = model.params.damping_time
        langevin = hoomd.md.methods.Langevin(
            filter=hoomd.filter.Rigid(("center", "free")), kT=model.kT
        )
        for name, shape in zip(self.body_types, model.shapes):
            langevin.gamma[name] = shape.mass / t_damp
            langevin.gamma_r[name] = tuple(float(i) / t_damp for i in shape.moment_inertia)
        for name in (ATTRACTIVE_TYPE, REPULSIVE_TYPE):  # constituents are not integrated
            langevin.gamma[name] = 0.0
            langevin.gamma_r[name] = (0.0, 0.0, 0.0)
        return langevin

    # -- Engine API --------------------------------------------------------------------------
    def set_attraction(self, on: bool) -> None:
        if on == self._attraction:
            return
        self._attraction = on
        # A fresh force object: HOOMD caches forces and energies per timestep, so changing
        # the parameters of the attached one would leave stale energies until the next step.
        forces = self._integrator.forces
        forces.remove(self._morse)
        self._morse = self._make_morse(self._nlist, on)
        forces.append(self._morse)

    def run(self, steps: int) -> None:
        if steps > 0:
            self._sim.run(int(steps))

    def state(self) -> BodyState:
        snap = self._sim.state.get_snapshot()
        data = None
        if snap.communicator.rank == 0:
            n = self._n  # body centres are tags 0..N-1; their sites follow
            p = snap.particles
            q = np.array(p.orientation[:n], dtype=float)
            q /= np.linalg.norm(q, axis=1, keepdims=True)
            data = {
                "step": int(self._sim.timestep),
                "box": np.array(snap.configuration.box[:3], dtype=float),
                "position": np.array(p.position[:n], dtype=float),
                "image": np.array(p.image[:n], dtype=np.int64),
                "orientation": q,
                "velocity": np.array(p.velocity[:n], dtype=float),
                "angmom": schema.angmom_from_gsd(q, np.array(p.angmom[:n], dtype=float)),
                "typeid": np.array(p.typeid[:n], dtype=np.int64),
            }
        st = BodyState(**self._bcast(data))
        st.wrap()
        return st

    def potential_energy(self) -> float:
        # Force.energy sums over all ranks; sites carry the pair energies.
        return float(self._lj.energy + self._morse.energy)

    def close(self) -> None:
        self._sim = None
        self._integrator = self._method = self._lj = self._morse = self._nlist = None
        self._rigid = None

    @property
    def info(self) -> dict:
        return {
            "engine": "hoomd",
            "version": str(self._hoomd.version.version),
            "device": device_description(self._device),
        }


#: Points of each HOOMD-blue pair table.
TABLE_POINTS = 2000


class HOOMDParticleEngine(HOOMDEngine):
    """One particle per body with tabulated pair potentials (see the module docstring)."""

    @property
    def types(self) -> list[str]:
        """HOOMD particle types: one per model type (size class, parent or product)."""
        return list(self.model.type_names)

    def _snapshot(self, state: BodyState):
        """One point particle per body: the centres alone."""
        return self._centre_snapshot(state)

    def _build(self, state: BodyState) -> None:
        hoomd, model, sim = self._hoomd, self.model, self._sim
        md = hoomd.md
        sim.create_state_from_snapshot(self._snapshot(state))
        self._nlist = md.nlist.Cell(buffer=NLIST_BUFFER)
        self._table = self._make_table(self._attraction)
        self._method = self._make_method()
        self._integrator = md.Integrator(
            dt=model.params.dt, methods=[self._method], forces=[self._table]
        )
        sim.operations.integrator = self._integrator
        sim.run(0)

    def _make_table(self, on: bool):
        table = self._hoomd.md.pair.Table(nlist=self._nlist, default_r_cut=0.0)
        pairs = self.model.pair_table
        names = self.types
        for i in range(len(names)):
            for j in range(i, len(names)):
                f = pairs.get(i, j, on)
                r, u, force = f.resample(TABLE_POINTS, endpoint=False)
                table.params[(names[i], names[j])] = {
                    "r_min": float(f.r_min),
                    "U": np.ascontiguousarray(u, dtype=np.float64),
                    "F": np.ascontiguousarray(force, dtype=np.float64),
                }
                table.r_cut[(names[i], names[j])] = float(f.r_cut)
        return table

    def _make_method(self):
        """Langevin dynamics, ``gamma = M / t_damp`` per type."""
        hoomd, model = self._hoomd, self.model
        t_damp = model.params.damping_time
        langevin = hoomd.md.methods.Langevin(filter=hoomd.filter.All(), kT=model.kT)
        for name, shape in zip(self.types, model.shapes):
            langevin.gamma[name] = shape.mass / t_damp
        return langevin

    def set_attraction(self, on: bool) -> None:
        if on == self._attraction:
            return
        self._attraction = on
        forces = self._integrator.forces
        forces.remove(self._table)
        self._table = self._make_table(on)
        forces.append(self._table)

    def set_types(self, index, new_type) -> None:
        index = np.asarray(index, dtype=np.int64)
        if len(index) == 0:
            return
        snap = self._sim.state.get_snapshot()
        if snap.communicator.rank == 0:
            masses = np.array([s.mass for s in self.model.shapes])
            new_type = np.asarray(new_type, dtype=np.int64)
            snap.particles.typeid[index] = new_type
            snap.particles.mass[index] = masses[new_type]
        self._sim.state.set_snapshot(snap)

    def state(self) -> BodyState:
        snap = self._sim.state.get_snapshot()
        data = None
        if snap.communicator.rank == 0:
            p = snap.particles
            n = p.N
            data = {
                "step": int(self._sim.timestep),
                "box": np.array(snap.configuration.box[:3], dtype=float),
                "position": np.array(p.position, dtype=float),
                "image": np.array(p.image, dtype=np.int64),
                "orientation": np.tile([1.0, 0.0, 0.0, 0.0], (n, 1)),
                "velocity": np.array(p.velocity, dtype=float),
                "angmom": np.zeros((n, 3)),
                "typeid": np.array(p.typeid, dtype=np.int64),
            }
        st = BodyState(**self._bcast(data))
        st.wrap()
        return st

    def potential_energy(self) -> float:
        return float(self._table.energy)

    def close(self) -> None:
        self._sim = None
        self._integrator = self._method = self._table = self._nlist = None

    @property
    def info(self) -> dict:
        return {**super().info, "representation": "single particle (md.pair.Table)"}


class HOOMDTabulatedSiteEngine(HOOMDEngine):
    """Rigid site bodies whose ``A`` sites interact through a tabulated potential
    (:class:`hoomd.md.pair.Table`): the platelets built from nanoparticles
    (:mod:`mesocrystal.model.platelets`), with the attraction on, or the repulsive wall alone
    during the randomisation stage. The WCA force of the base class is kept with zero
    strength, so the force list and its energies keep the base class's layout."""

    def _make_wca(self, nlist):
        lj = self._hoomd.md.pair.LJ(nlist=nlist, default_r_cut=0.0, mode="none")
        types = self.types
        lj.params[(types, types)] = {"epsilon": 0.0, "sigma": 1.0}
        lj.r_cut[(types, types)] = 0.0
        return lj

    def _make_morse(self, nlist, on: bool):
        """The site table between ``A`` sites (name kept: the base class swaps this force)."""
        f = self.model.site_potential.site_function(on)
        table = self._hoomd.md.pair.Table(nlist=nlist, default_r_cut=0.0)
        types = self.types
        table.params[(types, types)] = {"r_min": 0.0, "U": np.zeros(2), "F": np.zeros(2)}
        table.r_cut[(types, types)] = 0.0
        _, u, force = f.resample(TABLE_POINTS, endpoint=False)
        table.params[(ATTRACTIVE_TYPE, ATTRACTIVE_TYPE)] = {
            "r_min": float(f.r_min),
            "U": np.ascontiguousarray(u, dtype=np.float64),
            "F": np.ascontiguousarray(force, dtype=np.float64),
        }
        table.r_cut[(ATTRACTIVE_TYPE, ATTRACTIVE_TYPE)] = float(f.r_cut)
        return table

    @property
    def info(self) -> dict:
        return {**super().info, "representation": "rigid site bodies (md.pair.Table)"}
