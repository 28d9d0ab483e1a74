"""A private single-node SLURM cluster on loopback, for tests that submit real jobs.

:class:`SlurmCluster` starts ``munged`` (as the ``munge`` user), ``slurmctld`` and ``slurmd`` in
the foreground from a temporary directory: its own ``slurm.conf`` (``SLURM_CONF``), MUNGE key
and socket, free TCP ports on 127.0.0.1, and one node with the machine's CPUs and ``gpus`` fake
GPUs (character devices that point at ``/dev/null``), so that ``--gpus``/``--gres`` jobs are
accepted and run. Nothing under ``/etc`` or ``/run`` is touched. :meth:`SlurmCluster.stop`
cancels the jobs left and ends the three daemons by their PIDs.

Clients reach the cluster through :attr:`SlurmCluster.env` (``SLURM_CONF``); jobs inherit the
environment of the submitting process, as with ``sbatch``'s default ``--export=ALL``.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BINARIES = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "sinfo")
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin"])
FINISHED = frozenset(
    {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED"}
)
"""Job states of a job that has ended."""
CLIENT_TIMEOUT = 30.0
"""Seconds any SLURM client command may take."""


def unavailable_reason() -> str | None:
    """Why a private SLURM cluster cannot be started here, or None when it can."""
    missing = [b for b in BINARIES if _which(b) is None]
    if missing:
        return (
            f"SLURM/MUNGE binaries not found: {', '.join(missing)} "
            "(apt-get install slurm-wlm munge)"
        )
    if os.geteuid() != 0:
        return "starting slurmd and munged needs root"
    try:
        pwd.getpwnam("munge")
    except KeyError:
        return "the 'munge' user does not exist (installed with the munge package)"
    return None


def _which(name: str) -> str | None:
    return shutil.which(name, path=SEARCH_PATH)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory_mb() -> int:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    raise RuntimeError("MemAvailable missing from /proc/meminfo")


class SlurmCluster:
    """A single-node SLURM cluster with fake GPUs, private to one test session.

    Parameters
    ----------
    gpus : int
        Fake GPUs of the node (``Gres=gpu:N``).
    cpus : int, optional
        CPUs of the node (default: those of this machine).
    """

    def __init__(self, gpus: int = 1, cpus: int | None = None) -> None:
        self.gpus = gpus
        self.cpus = cpus or os.cpu_count() or 1
        self.root: Path | None = None
        self.conf: Path | None = None
        self.host = socket.gethostname().split(".")[0]
        self._procs: dict[str, subprocess.Popen] = {}
        self._logs: list = []

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> None:
        """Write the configuration, start the daemons and wait for an idle node.

        Raises
        ------
        RuntimeError
            When a daemon exits or the node is not idle within ``timeout`` seconds; the
            message holds the ends of the daemons' logs.
        """
        self.root = Path(tempfile.mkdtemp(prefix="slurm-test-"))
        self.root.chmod(0o755)  # the munge user must reach its own subdirectory
        try:
            self._start_munge()
            self._write_config()
            self._start_daemon("slurmctld", [_which("slurmctld"), "-D", "-f", str(self.conf)])
            self._start_daemon("slurmd", [_which("slurmd"), "-D", "-f", str(self.conf)])
            self._wait_idle_node(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Cancel the jobs left, stop the daemons by PID and delete the directory."""
        if "slurmctld" in self._procs and self._procs["slurmctld"].poll() is None:
            try:
                self.cancel_all()
            except (RuntimeError, TimeoutError, subprocess.TimeoutExpired):
                pass  # the daemons are stopped below in any case
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self._procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for handle in self._logs:
            handle.close()
        self._logs.clear()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> SlurmCluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- clients ----------------------------------------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point SLURM clients at this cluster."""
        return {"SLURM_CONF": str(self.conf)}

    def client(
        self, args: list[str], check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        """Run a SLURM client command against this cluster (bounded by a timeout).

        ``env`` adds to the environment, which ``sbatch`` passes on to its job.
        """
        proc = subprocess.run(
            [_which(args[0]) or args[0], *args[1:]],
            env={**os.environ, **(env or {}), **self.env},
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
            check=False,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {proc.stdout}{proc.stderr}")
        return proc

    def queue(self) -> list[dict[str, str]]:
        """Jobs in the queue: ``id``, ``state`` (PENDING, RUNNING, ...), ``name``, ``reason``."""
        out = self.client(["squeue", "-h", "-o", "%i|%T|%r|%j"], check=False).stdout
        jobs = []
        for line in out.splitlines():
            if line.strip():
                job_id, state, reason, name = line.split("|", 3)
                jobs.append({"id": job_id, "state": state, "reason": reason, "name": name})
        return jobs

    def version(self) -> tuple[int, int]:
        """SLURM's (major, minor) version, e.g. (22, 5)."""
        out = self.client(["sbatch", "--version"]).stdout
        match = re.search(r"(\d+)\.(\d+)", out)
        if match is None:
            raise RuntimeError(f"unexpected sbatch --version: {out!r}")
        return int(match.group(1)), int(match.group(2))

    def cancel_all(self, timeout: float = 30.0) -> None:
        """Cancel every job of this user and wait until the queue is empty."""
        if self.queue():
            self.client(["scancel", "--user", str(os.getuid())], check=False)
            self.wait_for_empty_queue(timeout)

    def job_info(self, job_id: str) -> dict[str, str]:
        """``scontrol show job`` of a job as a dict (JobState, ExitCode, TimeLimit, ...)."""
        out = self.client(["scontrol", "-o", "show", "job", job_id]).stdout
        return dict(re.findall(r"(\w+)=(\S*)", out))

    def wait_for_empty_queue(self, timeout: float, poll: float = 0.5) -> None:
        """Wait until no job is pending or running.

        Raises
        ------
        TimeoutError
            With the queue, when jobs are left after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            jobs = self.queue()
            if not jobs:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"jobs left after {timeout} s: {jobs}")
            time.sleep(poll)

    def wait_for_state(self, job_id: str, states: set[str], timeout: float) -> str:
        """Wait until a job is in one of ``states`` and return that state."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.job_info(job_id).get("JobState", "")
            if state in states:
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {state} after {timeout} s")
            time.sleep(0.2)

    def logs(self) -> str:
        """The ends of the daemons' logs, for error messages."""
        if self.root is None:
            return ""
        parts = []
        for path in sorted((self.root / "log").glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()[-15:]
            parts.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(parts)

    # -- setup ------------------------------------------------------------------------------
    def _start_munge(self) -> None:
        munge_dir = self.root / "munge"
        munge_dir.mkdir()
        munge_dir.chmod(0o755)  # clients need to reach the socket
        key = munge_dir / "munge.key"
        subprocess.run(
            [_which("mungekey"), "--create", "--keyfile", str(key)],
            check=True,
            capture_output=True,
            timeout=CLIENT_TIMEOUT,
        )
        user = pwd.getpwnam("munge")
        for path in (munge_dir, key):
            os.chown(path, user.pw_uid, user.pw_gid)
        key.chmod(0o400)
        self.munge_socket = munge_dir / "munge.socket"
        self._procs["munged"] = subprocess.Popen(
            [
                _which("munged"),
                "--foreground",
                f"--socket={self.munge_socket}",
                f"--key-file={key}",
                f"--log-file={munge_dir / 'munged.log'}",
                f"--pid-file={munge_dir / 'munged.pid'}",
                f"--seed-file={munge_dir / 'munged.seed'}",
            ],
            user=user.pw_uid,
            group=user.pw_gid,
            extra_groups=[],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 20
        while not self.munge_socket.exists():
            proc = self._procs["munged"]
            if proc.poll() is not None:
                raise RuntimeError(f"munged exited: {proc.stderr.read()}")
            if time.monotonic() > deadline:
                raise RuntimeError("munged did not create its socket within 20 s")
            time.sleep(0.05)

    def _write_config(self) -> None:
        root = self.root
        for sub in ("state", "spool", "log", "fakedev"):
            (root / sub).mkdir()
        for i in range(self.gpus):
            (root / "fakedev" / f"nvidia{i}").symlink_to("/dev/null")
        memory = max(1024, int(0.8 * _memory_mb()))
        self.conf = root / "slurm.conf"
        self.conf.write_text(
            f"""ClusterName=mesotest
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
KillWait=10
MinJobAge=30
StateSaveLocation={root / "state"}
SlurmdSpoolDir={root / "spool"}
SlurmctldLogFile={root / "log" / "slurmctld.log"}
SlurmdLogFile={root / "log" / "slurmd.log"}
SlurmctldPidFile={root / "slurmctld.pid"}
SlurmdPidFile={root / "slurmd.pid"}
GresTypes=gpu
NodeName={self.host} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={memory} """
            f"""Gres=gpu:{self.gpus} State=UNKNOWN
PartitionName=debug Nodes={self.host} Default=YES MaxTime=INFINITE State=UP
"""
        )
        gpu_files = (
            f"{root / 'fakedev'}/nvidia[0-{self.gpus - 1}]"
            if self.gpus > 1
            else f"{root / 'fakedev'}/nvidia0"
        )
        (root / "gres.conf").write_text(
            f"AutoDetect=off\nNodeName={self.host} Name=gpu File={gpu_files}\n"
        )

    def _start_daemon(self, name: str, args: list[str]) -> None:
        stderr = open(self.root / "log" / f"{name}.stderr.log", "w")  # noqa: SIM115
        self._logs.append(stderr)
        self._procs[name] = subprocess.Popen(
            args, env={**os.environ, **self.env}, stdout=subprocess.DEVNULL, stderr=stderr
        )

    def _wait_idle_node(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited ({proc.returncode}):\n{self.logs()}")
            proc = self.client(["sinfo", "-h", "-o", "%T"], check=False)
            state = proc.stdout.strip()
            if proc.returncode == 0 and state == "idle":
                return
            time.sleep(0.3)
        raise RuntimeError(f"node not idle after {timeout} s (state {state!r}):\n{self.logs()}")
