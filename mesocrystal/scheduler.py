"""What a running job knows about its scheduler, and the project's generic SLURM environment.

:func:`remaining_walltime` tells a simulation how many seconds its scheduler job has left, so
that :func:`mesocrystal.workflow.assemble` can checkpoint and stop before the scheduler kills it.
It reads, in order:

1. ``SLURM_JOB_END_TIME``: the job's end as a UNIX time stamp (set by SLURM 23.02 and later);
2. ``squeue -h -j $SLURM_JOB_ID -o %L``: the time left as SLURM reports it (any version);

and returns None outside a scheduler job or when the job has no time limit.

:func:`simulation_ranks`, :func:`simulation_launch_ranks` and :func:`simulation_gpus` are the
``np``, ``nranks`` and ``ngpu`` directives of a simulation: the study's MPI ranks (launched with
``srun``/``mpiexec`` when more than one), and one GPU per rank when the study's engine is
HOOMD-blue, none for LAMMPS (CPU).

:func:`main` is the command line of ``project.py``: ``submit`` without ``-o`` submits the
``study`` and ``aggregates`` groups, and :func:`check_queue` reads the queue before ``status``
and ``submit``, so that a scheduler that cannot be read ends them with one line
(:class:`SchedulerUnavailableError`) before anything is submitted.

:class:`SlurmClusterEnvironment` is the signac-flow compute environment of a SLURM cluster
that signac-flow does not know by name: its job scripts (``templates/slurm-gpu.sh``) request
GPUs with ``--gpus`` (or ``--gres``), and ``submit`` gains ``--partition`` and ``--account``
(defaults ``$SBATCH_PARTITION`` and ``$SBATCH_ACCOUNT``). Clusters that signac-flow knows by
name (Great Lakes, Expanse, Anvil, ...) keep their own environments. ``docs/cluster.md`` shows
how to add a cluster.
"""

from __future__ import annotations

import gc
import getpass
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping

from flow.environment import DefaultSlurmEnvironment, registered_environments
from flow.scheduling.base import JobStatus
from flow.scheduling.slurm import SlurmJob, SlurmScheduler
from flow.util.template_filters import calc_tasks

GPU_ENGINES = frozenset({"hoomd"})
"""Engines that run a simulation on one GPU."""

SQUEUE_TIMEOUT = 20.0
"""Seconds to wait for ``squeue`` before giving up on the remaining walltime."""

_TIME_LEFT = re.compile(r"^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$")


def parse_time_left(text: str) -> float | None:
    """Seconds in a SLURM duration as ``squeue -o %L`` prints it.

    Parameters
    ----------
    text : str
        ``[days-][hours:]minutes:seconds``, or ``UNLIMITED``, ``NOT_SET``, ``INVALID``.

    Returns
    -------
    float or None
        The duration in seconds, or None for no limit or text that is not a duration.
    """
    match = _TIME_LEFT.match(text.strip())
    if match is None:
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


def _squeue_time_left(job_id: str, environ: Mapping[str, str]) -> float | None:
    try:
        proc = subprocess.run(
            ["squeue", "-h", "-j", job_id, "-o", "%L"],
            capture_output=True,
            text=True,
            timeout=SQUEUE_TIMEOUT,
            env=dict(environ),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0 or not proc.stdout.strip():
        return None
    return parse_time_left(proc.stdout.strip().splitlines()[0])


def remaining_walltime(
    environ: Mapping[str, str] | None = None, now: float | None = None
) -> float | None:
    """Seconds left before the scheduler ends the current job.

    Parameters
    ----------
    environ : mapping, optional
        Environment variables to read (default :data:`os.environ`).
    now : float, optional
        The current UNIX time (default :func:`time.time`).

    Returns
    -------
    float or None
        Seconds until the job's end (0 when it is already past), or None outside a SLURM job,
        for a job without a time limit, or when SLURM cannot be asked.
    """
    env = os.environ if environ is None else environ
    now = time.time() if now is None else now
    end = env.get("SLURM_JOB_END_TIME", "").strip()
    if end:
        try:
            end_time = float(end)
        except ValueError:
            end_time = 0.0
        if end_time > 0:
            return max(0.0, end_time - now)
    job_id = env.get("SLURM_JOB_ID", "").strip()
    if not job_id:
        return None
    return _squeue_time_left(job_id, env)


def _study_setting(job, key: str):
    from mesocrystal.status_snapshot import project_document

    return project_document(job).get(key)


def _study_engine(job) -> str:
    return _study_setting(job, "engine") or os.environ.get("MESOCRYSTAL_ENGINE", "auto")


def simulation_ranks(job) -> int:
    """MPI ranks of one simulation of a job: the ``np`` directive of ``assemble``.

    Read from the study's ``project.doc["ranks"]``, else ``$MESOCRYSTAL_RANKS``, else 1.
    ``docs/cluster.md`` says when more than one rank pays off.

    Parameters
    ----------
    job : signac.job.Job
        The job.

    Returns
    -------
    int
        The number of ranks, at least 1.

    Raises
    ------
    ValueError
        When the setting is not a whole number of at least 1.
    """
    value = _study_setting(job, "ranks") or os.environ.get("MESOCRYSTAL_RANKS") or 1
    try:
        ranks = int(value)
    except (TypeError, ValueError):
        ranks = 0
    if ranks < 1 or str(value).strip() not in (str(ranks), f"{ranks}.0"):
        raise ValueError(
            f"ranks (project document or $MESOCRYSTAL_RANKS) must be a whole number >= 1, "
            f"got {value!r}"
        )
    return ranks


def simulation_launch_ranks(job) -> int:
    """The ``nranks`` directive of ``assemble``: the ranks to launch with MPI, 0 for one.

    With more than one rank, signac-flow starts the simulation with the environment's MPI
    launcher (``srun -n N`` on SLURM clusters, ``mpiexec -n N`` elsewhere).
    """
    ranks = simulation_ranks(job)
    return ranks if ranks > 1 else 0


def simulation_gpus(job) -> int:
    """GPUs for one simulation of a job: the ``ngpu`` directive of ``assemble``.

    Follows the engine that :func:`mesocrystal.workflow.assemble` will use: the study's
    ``project.doc["engine"]``, else ``$MESOCRYSTAL_ENGINE``.

    Parameters
    ----------
    job : signac.job.Job
        The job.

    Returns
    -------
    int
        One per MPI rank (:func:`simulation_ranks`) for a GPU engine (HOOMD-blue), 0
        otherwise (LAMMPS, or ``auto`` that picks one on the compute node).
    """
    return simulation_ranks(job) if _study_engine(job) in GPU_ENGINES else 0


logger = logging.getLogger(__name__)


def controller_reachable(timeout: float = 10.0) -> bool:
    """Whether ``scontrol ping`` reports a responding SLURM controller."""
    try:
        proc = subprocess.run(
            ["scontrol", "ping"], capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and " is UP" in proc.stdout


def standard_environment_without_controller() -> bool:
    """Run without a scheduler where SLURM clients are installed but no controller answers.

    A workstation or CI machine with Debian's ``slurm-wlm`` installed has ``sbatch`` and
    ``squeue`` but no cluster: signac-flow would pick a SLURM environment and every ``status``
    would fail on the queue query. There this selects signac-flow's ``StandardEnvironment``
    (with a warning); an explicit ``SIGNAC_FLOW_ENVIRONMENT`` is always respected. Call it
    before the project is created.

    Returns
    -------
    bool
        Whether the standard environment was selected.
    """
    if os.environ.get("SIGNAC_FLOW_ENVIRONMENT") or shutil.which("sbatch") is None:
        return False
    if controller_reachable():
        return False
    logger.warning(
        "SLURM clients are installed but no SLURM controller answers: running without a "
        "scheduler (set SIGNAC_FLOW_ENVIRONMENT to choose an environment)"
    )
    os.environ["SIGNAC_FLOW_ENVIRONMENT"] = "StandardEnvironment"
    return True


class SchedulerUnavailableError(RuntimeError):
    """The scheduler's queue cannot be read; the message is one line that says what to check."""


QUEUE_TIMEOUT = 60.0
"""Seconds to wait for ``squeue`` when reading the queue for ``status`` and ``submit``."""

_QUEUE_STATES = {
    "PD": JobStatus.queued,
    "R": JobStatus.active,
    "CG": JobStatus.inactive,
    "CD": JobStatus.inactive,
    "CA": JobStatus.inactive,
    "TO": JobStatus.inactive,
    "F": JobStatus.error,
    "NF": JobStatus.error,
}


def read_queue(user: str | None = None, timeout: float = QUEUE_TIMEOUT) -> list[SlurmJob]:
    """The SLURM jobs of ``user`` (default: this user) as signac-flow cluster jobs.

    Raises
    ------
    SchedulerUnavailableError
        When ``squeue`` is missing, fails or does not answer within ``timeout`` seconds.
    """
    user = user or getpass.getuser()
    cmd = ["squeue", "-u", user, "-h", "--format=%2t%100j"]
    hint = (
        "check that the SLURM controller answers (scontrol ping) and that SLURM_CONF names this "
        "cluster's slurm.conf, or choose another environment with SIGNAC_FLOW_ENVIRONMENT"
    )
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise SchedulerUnavailableError(
            f"cannot read the SLURM queue: squeue gave no answer within {timeout:.0f} s; {hint}"
        ) from None
    except OSError as error:
        raise SchedulerUnavailableError(
            f"cannot read the SLURM queue: squeue cannot be run ({error.strerror}); {hint}"
        ) from None
    if proc.returncode != 0:
        said = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()
        reason = f": {said[-1].strip()}" if said else ""
        raise SchedulerUnavailableError(
            f"cannot read the SLURM queue: squeue exited with status {proc.returncode}"
            f"{reason}; {hint}"
        )
    jobs = []
    for line in proc.stdout.decode("utf-8", errors="backslashreplace").splitlines():
        if line.strip():
            state = line[:2].strip()
            jobs.append(SlurmJob(line[2:].rstrip(), _QUEUE_STATES.get(state, JobStatus.registered)))
    return jobs


_checked_queue: list[SlurmJob] | None = None


def check_queue(argv: list[str]) -> None:
    """Read the queue once before ``status`` or ``submit``; exit with one line if it fails.

    Where the project's environment has a SLURM scheduler whose queue cannot be read, the
    command ends here with one line on stderr that says what to check (exit status 2), before
    anything is submitted. ``status --ignore-errors`` is left to show the status without the
    queue. The queue read here is the one that :class:`SlurmQueueScheduler` then reports, so
    the scheduler is asked once.

    Parameters
    ----------
    argv : list of str
        The command line arguments after the program name.
    """
    global _checked_queue
    command = next((a for a in argv if not a.startswith("-")), None)
    if command not in ("status", "submit") or "--ignore-errors" in argv:
        return
    from flow.environment import get_environment

    if not issubclass(get_environment().scheduler_type or type(None), SlurmScheduler):
        return
    try:
        _checked_queue = read_queue()
    except SchedulerUnavailableError as error:
        tail = "; nothing was submitted" if command == "submit" else ""
        sys.exit(f"error: {error}{tail}")


class SlurmQueueScheduler(SlurmScheduler):
    """signac-flow's SLURM scheduler, with a failed queue query reported in one line.

    The queue is read with :func:`read_queue`: when ``squeue`` fails (no controller reachable,
    a client without configuration) or hangs, a :class:`SchedulerUnavailableError` (a
    ``RuntimeError``, as signac-flow expects) says what to check: ``status --ignore-errors``
    shows the status without the queue, and ``submit`` stops before submitting anything.
    """

    def jobs(self):
        """Yield the cluster jobs of the user from ``squeue``.

        Raises
        ------
        SchedulerUnavailableError
            When ``squeue`` fails.
        """
        global _checked_queue
        self._prevent_dos()
        if _checked_queue is not None:
            queue, _checked_queue = _checked_queue, None
        else:
            queue = read_queue(self.user)
        yield from queue


class SlurmClusterEnvironment(DefaultSlurmEnvironment):
    """A SLURM cluster that signac-flow has no environment for, with or without GPUs.

    Selected where ``sbatch`` exists and no signac-flow environment recognises the host.
    Force it with ``SIGNAC_FLOW_ENVIRONMENT=SlurmClusterEnvironment``.
    """

    scheduler_type = SlurmQueueScheduler
    template = "slurm-gpu.sh"
    mpi_cmd = os.environ.get("MESOCRYSTAL_MPI_LAUNCHER") or "srun"

    # signac-flow looks for a ``templates`` folder beside the module of every environment it
    # does not define itself, and logs a warning with every command when there is none. The
    # templates of this one are in the project's ``templates/`` folder, which signac-flow
    # searches first, so it presents itself as a module of signac-flow's.
    __module__ = DefaultSlurmEnvironment.__module__

    @classmethod
    def is_present(cls) -> bool:
        """SLURM is here and no environment of a named cluster matches the host.

        A subclass with a ``hostname_pattern`` (a named cluster) is present where the host
        name matches it.
        """
        if cls.hostname_pattern is not None:
            return super().is_present()
        if not cls.scheduler_type.is_present():
            return False
        return not any(
            env.hostname_pattern is not None and env.is_present()
            for env in registered_environments()
            if env is not cls
        )

    @classmethod
    def add_args(cls, parser) -> None:
        """Add ``--partition``, ``--account`` and ``--gpu-flag`` to ``submit``."""
        super().add_args(parser)
        parser.add_argument(
            "--partition",
            default=os.environ.get("SBATCH_PARTITION") or None,
            help="SLURM partition (default: $SBATCH_PARTITION, else the cluster's default).",
        )
        parser.add_argument(
            "--account",
            default=os.environ.get("SBATCH_ACCOUNT") or None,
            help="SLURM account charged for the jobs (default: $SBATCH_ACCOUNT, else the "
            "signac config value flow.SlurmClusterEnvironment.account, else none).",
        )
        parser.add_argument(
            "--gpu-flag",
            choices=("gpus", "gres"),
            default=os.environ.get("MESOCRYSTAL_GPU_FLAG") or "gpus",
            help="Request GPUs with --gpus=N or --gres=gpu:N "
            "(default: $MESOCRYSTAL_GPU_FLAG, else gpus).",
        )

    @classmethod
    def _get_scheduler_values(cls, context) -> dict:
        """CPU and GPU totals of a script; a generic cluster's node sizes are unknown.

        signac-flow's default checks the request against partition sizes, which for an
        unknown cluster would refuse every GPU request. Here everything runs on one node.
        """
        parallel = context.get("parallel", False)
        force = context.get("force", False)
        operations = context["operations"]
        return {
            "ncpu_tasks": calc_tasks(operations, "np", parallel, force),
            "ngpu_tasks": calc_tasks(operations, "ngpu", parallel, force),
            "num_nodes": 1,
        }


READ_ONLY_GC_THRESHOLDS = (100_000, 50, 100)
"""Thresholds of the garbage collector in ``status`` and ``submit`` (:func:`gc.set_threshold`;
Python's defaults are 700, 10, 10): a collection every 100,000 allocations, a full one
rarely. At 10,000 jobs this saved a fifth of ``submit``'s CPU time at the same peak memory."""

#: The groups that ``submit`` submits and ``run`` runs when no operation is named (see
#: ``project.py``).
DEFAULT_SUBMISSION = ("study", "aggregates")


def local_parallelism(engine: str | None = None) -> int:
    """Jobs that ``python project.py run`` runs at once on this machine by default.

    One job per usable CPU core (``os.sched_getaffinity``), divided by the OpenMP threads of
    each simulation (``OMP_NUM_THREADS``); one job at a time when the simulations run on a GPU
    (engine ``hoomd``, or ``auto`` that finds HOOMD-blue and a GPU), which they would share.

    Parameters
    ----------
    engine : str, optional
        The study's engine (``project.doc["engine"]``); default ``$MESOCRYSTAL_ENGINE``.
    """
    from mesocrystal.engines import resolve_name

    try:
        if resolve_name(engine) in GPU_ENGINES:
            return 1
    except (ValueError, RuntimeError):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = max(1, int(os.environ.get("OMP_NUM_THREADS", "1") or 1))
    return max(1, (cores or 1) // threads)


def run_arguments(argv: list[str], parallel: int) -> list[str]:
    """``run``'s arguments with the defaults of this project added.

    Without ``-o`` the ``study`` and ``aggregates`` groups run (as ``submit`` submits them:
    movies only on request, ``-o animate``); without ``-p``/``--parallel``, ``parallel`` jobs
    run at once (when more than one).
    """
    out = list(argv)
    if not any(a in ("-o", "--operation") or a.startswith("--operation=") for a in out):
        out += ["-o", *DEFAULT_SUBMISSION]
    chosen = any(a in ("-p", "--parallel") or a.startswith("--parallel=") for a in out)
    if not chosen and parallel > 1:
        out += ["--parallel", str(parallel)]
    return out


def main(project_class, argv: list[str] | None = None) -> None:
    """Run the command line of a project: signac-flow's, with four additions.

    * ``submit`` without ``-o`` submits the groups of :data:`DEFAULT_SUBMISSION`: one job
      script per job that carries it through the whole study, then the aggregates;
    * ``run`` without ``-o`` runs the same groups, one job per CPU core at a time unless
      ``--parallel`` says otherwise (:func:`run_arguments`, :func:`local_parallelism`);
    * ``status`` and ``submit`` read the scheduler's queue first and stop with one line that
      says what to check when it cannot be read (:func:`check_queue`);
    * a failure to read the queue later on ends the command with that line, not a traceback;
    * ``status`` and ``submit`` evaluate each condition once per job
      (:func:`mesocrystal.status_snapshot.take_snapshot`) and collect garbage less often
      (:data:`READ_ONLY_GC_THRESHOLDS`).

    Parameters
    ----------
    project_class : type
        The :class:`flow.FlowProject` subclass.
    argv : list of str, optional
        The arguments after the program name (default ``sys.argv[1:]``).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    named = any(a in ("-o", "--operation") or a.startswith("--operation=") for a in argv)
    if command == "submit" and not named:
        argv += ["-o", *DEFAULT_SUBMISSION]
    if command == "run" and not {"-h", "--help"} & set(argv):
        import signac

        try:
            engine = signac.get_project().doc.get("engine")
        except LookupError:
            engine = None
        argv = run_arguments(argv, local_parallelism(engine))
    check_queue(argv)
    if command in ("status", "submit"):  # read-only: each condition once per job
        from mesocrystal.status_snapshot import take_snapshot

        take_snapshot()
        # These commands build many small objects per job that live until the end (the
        # snapshot, signac-flow's job operations): with the default thresholds, the cyclic
        # garbage collector would walk them again and again (a fifth of ``submit``'s time).
        gc.set_threshold(*READ_ONLY_GC_THRESHOLDS)
    sys.argv[1:] = argv
    try:
        project_class().main()
    except SchedulerUnavailableError as error:
        tail = "; nothing was submitted" if command == "submit" else ""
        sys.exit(f"error: {error}{tail}")
