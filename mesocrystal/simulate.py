"""Engine-neutral run loop: stages, trajectory output, checkpoints, resume and walltime.

A run has two stages on one step counter: ``randomize_steps`` with the attraction switched off
(the bodies lose the memory of the insertion), then ``steps`` of assembly. Frames go to
``trajectory.gsd`` every ``frame_period`` steps; after every ``checkpoint_every`` frames the
state is written atomically to ``restart.gsd``. A run that is killed resumes from the restart
file; frames written after the last checkpoint are dropped first, so no frame is lost or
duplicated. A run approaching its walltime, or receiving SIGTERM/SIGINT (as schedulers send
before a job's time limit), checkpoints and returns ``"interrupted"``. Under MPI (domain
decomposition in HOOMD-blue or LAMMPS) only rank 0 touches files and its decisions are broadcast.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mesocrystal import schema
from mesocrystal.products import INIT_GSD, RESTART_GSD, RUN_LOCK, TRAJECTORY_GSD
from mesocrystal.state import BodyState

logger = logging.getLogger(__name__)


class AlreadyRunningError(RuntimeError):
    """Another process is running the same job directory."""


@contextlib.contextmanager
def _exclusive(job_dir: Path, root: bool):
    """Hold an exclusive lock on the job directory (rank 0 only); fail fast if taken."""
    if not root:
        yield
        return
    with open(job_dir / RUN_LOCK, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise AlreadyRunningError(
                f"{job_dir} is being simulated by another process; not starting a second run"
            ) from err
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class RunResult:
    """Outcome of :func:`run`."""

    status: str  # "complete" or "interrupted"
    step: int
    start_step: int  # the step this call started (resumed) from
    total_steps: int
    frames: int
    tps: float
    engine: dict
    warnings: list


def total_steps(params) -> int:
    """Randomisation plus assembly steps."""
    return params.randomize_steps + params.steps


def kinetic_temperatures(state: BodyState, mass: np.ndarray, inertia: np.ndarray) -> tuple:
    """Translational and rotational kinetic temperatures [reduced energy].

    :math:`k_BT_\\mathrm{tr} = \\sum_i M_i v_i^2 / 3N` and
    :math:`k_BT_\\mathrm{rot} = \\sum_{i,k} L_{ik}^2 / I_{ik} / 3N` (body-frame components).
    """
    n = state.N
    t_tr = float((mass[:, None] * state.velocity**2).sum() / (3 * n))
    t_rot = float((state.angmom**2 / inertia).sum() / (3 * n))
    return t_tr, t_rot


class _Ranks:
    """MPI ranks of a run (domain decomposition in HOOMD-blue or LAMMPS): rank 0 reads and
    writes files and decides when to stop; every other rank receives its decisions. A run
    without MPI (or without :mod:`mpi4py`) is a single rank."""

    def __init__(self):
        self._comm = None
        try:
            from mpi4py import MPI
        except ImportError:
            return
        if MPI.COMM_WORLD.Get_size() > 1:
            self._comm = MPI.COMM_WORLD

    @property
    def root(self) -> bool:
        return self._comm is None or self._comm.Get_rank() == 0

    def bcast(self, obj):
        return obj if self._comm is None else self._comm.bcast(obj, root=0)


def is_root_rank() -> bool:
    """Whether this process is rank 0 of its MPI launch (or runs without MPI)."""
    return _Ranks().root


def _segment_seed(seed: int, step: int) -> int:
    return int(np.random.SeedSequence([seed, step]).generate_state(1)[0] % 900_000_000)


class _StopFlag:
    """Set by SIGTERM/SIGINT while a run is in progress."""

    def __init__(self):
        self.signal = None
        self._old = {}

    def __enter__(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not in the main thread
                pass
        return self

    def _handle(self, signum, _frame):
        self.signal = signum

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)


def load_start_state(job_dir: Path, warnings: list) -> BodyState:
    """The state to (re)start from: the restart file; else the last trajectory frame (which
    also replaces the unusable restart file), with a warning; else the initial configuration."""
    restart = job_dir / RESTART_GSD
    if restart.exists():
        try:
            return schema.state_from_frame(schema.read_last_frame(restart))
        except schema.GSDReadError as err:
            warnings.append(f"restart file unusable, falling back to the trajectory: {err}")
            logger.warning(warnings[-1])
    trajectory = job_dir / TRAJECTORY_GSD
    if trajectory.exists():
        try:
            frame = schema.read_last_frame(trajectory)
            schema.write_atomic(restart, frame)  # repair the checkpoint from the frame
            return schema.state_from_frame(frame)
        except schema.GSDReadError as err:
            warnings.append(f"trajectory unusable, starting from the initial state: {err}")
            logger.warning(warnings[-1])
            trajectory.rename(trajectory.with_suffix(".gsd.corrupt"))
    return schema.state_from_frame(schema.read_last_frame(job_dir / INIT_GSD))


def run(job_dir: str | os.PathLike, model, engine_cls, **kwargs) -> RunResult:
    """Run (or resume) the simulation of one job directory; see :func:`_run` for the
    arguments. Only one process may run a job directory at a time
    (:class:`AlreadyRunningError` otherwise)."""
    job_dir = Path(job_dir)
    with _exclusive(job_dir, _Ranks().root):
        return _run(job_dir, model, engine_cls, **kwargs)


def _run(
    job_dir: str | os.PathLike,
    model,
    engine_cls,
    *,
    frames: int = 50,
    checkpoint_every: int = 1,
    walltime: float | None = None,
    margin: float = 60.0,
    progress=None,
    clock=time.monotonic,
) -> RunResult:
    """Run (or resume) the simulation of one job directory.

    The stages: recover the start state from the files (:func:`_recover`), start the engine,
    advance it frame by frame with output and checkpoints (:func:`_advance`, :class:`_Output`),
    and read the step of the final checkpoint.

    Parameters
    ----------
    job_dir : path
        Directory with ``init.gsd``; receives ``trajectory.gsd`` and ``restart.gsd``.
    model : mesocrystal.model.system.Model
        The model of the job.
    engine_cls : type
        An :class:`~mesocrystal.engines.base.Engine` subclass.
    frames : int
        Number of trajectory frames over the whole run (plus the initial frame).
    checkpoint_every : int
        Write the restart file after this many frames.
    walltime : float, optional
        Seconds this call may run; it stops ``margin`` seconds early with a checkpoint.
    margin : float
        Safety margin before the walltime [s].
    progress : callable, optional
        Called with a one-line progress message (default: :mod:`logging` at INFO level).
    clock : callable, optional
        Returns the time in seconds; measures the walltime and the steps per second. The
        default is :func:`time.monotonic`; tests pass a deterministic clock.

    Returns
    -------
    RunResult
    """
    job_dir = Path(job_dir)
    ranks = _Ranks()
    say = (progress or logger.info) if ranks.root else (lambda _msg: None)
    t_start = clock()
    params = model.params
    total = total_steps(params)
    period = max(1, math.ceil(total / max(1, frames)))
    warnings: list[str] = []

    state, steps_on_disk = None, np.zeros(0, dtype=np.int64)
    if ranks.root:
        state, steps_on_disk = _recover(job_dir, period, say, warnings)
    state, steps_on_disk = ranks.bcast((state, steps_on_disk))

    engine = engine_cls.for_model(model)(model, state, _segment_seed(params.seed, state.step))
    budget = None if walltime is None else walltime - margin
    try:
        trajectory = job_dir / TRAJECTORY_GSD
        opened = schema.open_for_append(trajectory) if ranks.root else contextlib.nullcontext()
        with opened as traj, _StopFlag() as stop:
            output = _Output(job_dir, model, engine, traj, ranks, len(steps_on_disk))
            if output.n_frames == 0:
                output.write(engine.state(), 0.0, checkpoint=True)
            tps = _advance(
                engine,
                model,
                state,
                _Schedule(period, checkpoint_every, clock, t_start, budget),
                output,
                ranks,
                stop,
                say,
            )
            output.checkpoint_newest()
        info = engine.info
    finally:
        engine.close()
    final_step = None
    if ranks.root:
        final_step = schema.state_from_frame(schema.read_last_frame(job_dir / RESTART_GSD)).step
    final_step = ranks.bcast(final_step)
    return RunResult(
        status="complete" if final_step >= total else "interrupted",
        step=final_step,
        start_step=state.step,
        total_steps=total,
        frames=output.n_frames,
        tps=tps,
        engine=info,
        warnings=warnings,
    )


def _recover(job_dir: Path, period: int, say, warnings: list) -> tuple[BodyState, np.ndarray]:
    """Start state and the steps of the frames on disk (rank 0).

    Frames written after the start state (after a kill between checkpoints) are dropped, and
    frames lost from a truncated trajectory are reported in ``warnings``.
    """
    trajectory = job_dir / TRAJECTORY_GSD
    state = load_start_state(job_dir, warnings)
    dropped = schema.truncate_trajectory(trajectory, state.step)
    if dropped:
        say(f"dropped {dropped} trajectory frame(s) written after the last checkpoint")
    steps_on_disk = schema.trajectory_steps(trajectory)
    expected = len(range(0, state.step + 1, period)) + (state.step % period != 0)
    if state.step > 0 and len(steps_on_disk) < expected:
        warnings.append(
            f"trajectory has {len(steps_on_disk)} frames up to step {state.step}, "
            f"expected {expected}: frames were lost from a truncated file"
        )
        logger.warning(warnings[-1])
    return state, steps_on_disk


class _Output:
    """Trajectory frames and checkpoints of a run: every rank counts, rank 0 writes.

    Each frame logs the potential energy, the kinetic temperatures, the stage and the steps per
    second (``log/mesocrystal/*``) and, with a reaction, the converted fraction and the
    reaction time; with size-class swaps, the swap attempts since the previous frame and the
    fraction of them accepted (0 when there were none).
    """

    def __init__(self, job_dir: Path, model, engine, traj, ranks: _Ranks, n_frames: int):
        self.job_dir = job_dir
        self.model = model
        self.engine = engine
        self.traj = traj
        self.ranks = ranks
        self.n_frames = n_frames
        self.since_checkpoint = 0
        self.last_frame = None
        self.masses = np.array([s.mass for s in model.shapes])
        self.inertias = np.array([s.moment_inertia for s in model.shapes])
        #: Swap attempts and acceptances since the last frame.
        self.swaps = np.zeros(2, dtype=np.int64)

    def log(self, st: BodyState, tps: float) -> dict:
        """The logged scalars of a frame of state ``st``."""
        model = self.model
        t_tr, t_rot = kinetic_temperatures(st, self.masses[st.typeid], self.inertias[st.typeid])
        pe = self.engine.potential_energy()
        log = {
            "potential_energy": pe,
            "potential_energy_per_body_kT": pe / st.N / model.kT,
            "kinetic_temperature_translational": t_tr,
            "kinetic_temperature_rotational": t_rot,
            "kT": model.kT,
            "stage": 0.0 if st.step < model.params.randomize_steps else 1.0,
            "tps": tps,
        }
        if model.reaction is not None:
            log["conversion"] = model.reaction.converted_fraction(st.typeid)
            log["reaction_time_tau"] = model.reaction.time(st.step)
        if model.exchange is not None:
            tried, accepted = self.swaps
            log["exchange_attempts"] = float(tried)
            log["exchange_acceptance"] = accepted / tried if tried else 0.0
            self.swaps[:] = 0
        return log

    def write(self, st: BodyState, tps: float, checkpoint: bool) -> None:
        """Append a frame of state ``st``; also write it to the restart file if ``checkpoint``."""
        log = self.log(st, tps)
        self.n_frames += 1
        self.since_checkpoint = 0 if checkpoint else self.since_checkpoint + 1
        if not self.ranks.root:
            return
        frame = schema.make_frame(self.model, st, log)
        self.traj.append(frame)
        self.traj.flush()
        self.last_frame = frame
        if checkpoint:
            schema.write_atomic(self.job_dir / RESTART_GSD, frame)

    def checkpoint_newest(self) -> None:
        """Checkpoint the newest frame if frames came after the last checkpoint, so that the
        trajectory and the restart file agree."""
        if self.since_checkpoint and self.ranks.root:
            schema.write_atomic(self.job_dir / RESTART_GSD, self.last_frame)
        self.since_checkpoint = 0


@dataclass
class _Schedule:
    """When a run writes frames and checkpoints, and how long it may run."""

    period: int  # steps between frames
    checkpoint_every: int  # frames between checkpoints
    clock: object  # returns the time [s]
    t_start: float  # clock() at the start of the call
    budget: float | None  # seconds the call may run (walltime minus margin), None: unlimited

    def out_of_time(self, seconds_ahead: float) -> bool:
        """Whether the next ``seconds_ahead`` would overrun the budget."""
        elapsed = self.clock() - self.t_start
        return self.budget is not None and elapsed + seconds_ahead > self.budget


def _advance(engine, model, state: BodyState, plan: _Schedule, output, ranks, stop, say) -> float:
    """Run the engine from ``state`` to the end of the run, or until the walltime or a signal.

    Segments end at frames, at the end of the randomisation (the attraction is switched on)
    and at the reaction's draws (bodies change type). Returns the steps per second of the last
    segment.
    """
    params, reaction, exchange = model.params, model.reaction, model.exchange
    total = total_steps(params)
    step, period, clock = state.step, plan.period, plan.clock
    typeid = np.asarray(state.typeid, dtype=np.int64).copy()
    tps = 0.0
    report = _Progress(say, clock, step, total, reaction)
    while step < total:
        stop_at = min((step // period + 1) * period, total)
        if step < params.randomize_steps:
            stop_at = min(stop_at, params.randomize_steps)
        if reaction is not None:
            stop_at = min(stop_at, reaction.next_draw_step(step))
        if exchange is not None:
            stop_at = min(stop_at, exchange.next_exchange_step(step))
        engine.set_attraction(step >= params.randomize_steps)
        chunk_estimate = (stop_at - step) / tps if tps > 0 else 0.0
        if ranks.bcast(plan.out_of_time(chunk_estimate)):
            break
        t0 = clock()
        engine.run(stop_at - step)
        tps = (stop_at - step) / max(clock() - t0, 1e-9)
        step = stop_at
        if reaction is not None and reaction.is_draw_step(step):
            index, new_type = reaction.draw(typeid, step)
            typeid[index] = new_type
            engine.set_types(index, new_type)
        if exchange is not None and exchange.is_exchange_step(step):
            output.swaps += _exchange_classes(engine, model, typeid, step, ranks)
        if step % period == 0 or step == total:
            checkpoint = output.since_checkpoint + 1 >= plan.checkpoint_every or step == total
            output.write(engine.state(), tps, checkpoint)
            report.frame(step, tps, typeid)
        received = ranks.bcast(stop.signal)
        if received is not None:
            say(f"received signal {received}: checkpointing and stopping")
            break
    return tps


def _exchange_classes(engine, model, typeid: np.ndarray, step: int, ranks) -> np.ndarray:
    """One sweep of size-class swaps (:mod:`mesocrystal.model.exchange`) on the root rank;
    every rank applies the same type changes. Returns ``[attempts, accepted]``."""
    changes = None
    st = engine.state()  # collective: every rank takes part in the gather
    if ranks.root:
        changes = model.exchange.sweep(
            st.position, model.box_length, typeid, model.pair_table, step
        )
    index, new_type, tried, accepted = ranks.bcast(changes)
    typeid[index] = new_type
    engine.set_types(index, new_type)
    return np.array([tried, accepted], dtype=np.int64)


class _Progress:
    """One line of progress (step, percent, steps per second, ETA) every 10 % of the run or
    30 s, and at the end."""

    def __init__(self, say, clock, step: int, total: int, reaction):
        self.say, self.clock, self.total, self.reaction = say, clock, total, reaction
        self.last_report, self.last_step = clock(), step

    def frame(self, step: int, tps: float, typeid: np.ndarray) -> None:
        now, total = self.clock(), self.total
        if not (
            step == total
            or now - self.last_report > 30.0
            or (10 * step // total > 10 * self.last_step // total)
        ):
            return
        eta = (total - step) / tps if tps > 0 else float("nan")
        converted = (
            f", {100.0 * self.reaction.converted_fraction(typeid):.0f} % converted"
            if self.reaction is not None
            else ""
        )
        self.say(
            f"step {step}/{total} ({100.0 * step / total:.0f} %), "
            f"{tps:.0f} steps/s, ETA {eta:.0f} s{converted}"
        )
        self.last_report, self.last_step = now, step
