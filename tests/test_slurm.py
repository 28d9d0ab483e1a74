"""Submission to SLURM: job scripts, remaining walltime, and real jobs on a private cluster.

The scripts are checked with ``submit --pretend`` (a stand-in ``squeue`` answers the queue
query, so no scheduler is needed). The cluster tests start a single-node SLURM with a fake GPU
on loopback (``tests/slurm_cluster.py``) and submit ``python project.py submit`` to it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import signac
from conftest import REPO, needs_lammps, run_script
from flow.environment import ComputeEnvironment, get_environment
from flow.scheduling.slurm import SlurmScheduler
from slurm_cluster import FINISHED, SlurmCluster, unavailable_reason

from mesocrystal import products, scheduler, schema, simulate, workflow
from mesocrystal.engines import get_engine
from mesocrystal.model.parameters import normalize
from mesocrystal.visualize import jobs as visuals

QUEUE_TIMEOUT = 180.0
"""Seconds any wait for the scheduler may take."""

# Small enough for a few seconds of LAMMPS per run, long enough to be cut by a deadline.
LONG_RUN = {
    "shape": "sphere",
    "N": 16,
    "steps": 250_000,
    "randomize_steps": 100,
    "epsilon_kT": 0.3,
    "packing_fraction": 0.08,
    "site_spacing": 0.7,
}


def make_project(path: Path) -> Path:
    """A project directory with the repository's project.py, init.py and templates/."""
    path.mkdir(parents=True, exist_ok=True)
    for name in ("project.py", "init.py"):
        shutil.copy(REPO / name, path / name)
    shutil.copytree(REPO / "templates", path / "templates")
    return path


def submitted(proc: subprocess.CompletedProcess) -> list[str]:
    """Names of the cluster jobs that a ``submit`` run reports as submitted."""
    return re.findall(r"Submitting cluster job '([^']+)'", proc.stderr)


def scripts(stdout: str) -> list[str]:
    """The job scripts in the output of ``submit --pretend``."""
    parts = re.split(r"^# Submit command: .*$", stdout, flags=re.MULTILINE)
    return [p[p.index("#!/bin/bash") :] for p in parts if "#!/bin/bash" in p]


def sbatch_lines(script: str) -> list[str]:
    return [line for line in script.splitlines() if line.startswith("#SBATCH")]


# -- remaining walltime ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5:00", 300.0),
        ("0:07", 7.0),
        ("1:02:03", 3723.0),
        ("2-00:00:10", 172810.0),
        ("UNLIMITED", None),
        ("NOT_SET", None),
        ("INVALID", None),
        ("", None),
    ],
)
def test_parse_time_left(text, seconds):
    assert scheduler.parse_time_left(text) == seconds


def test_remaining_walltime_from_job_end_time():
    env = {"SLURM_JOB_ID": "12", "SLURM_JOB_END_TIME": "1000"}
    assert scheduler.remaining_walltime(env, now=900.0) == pytest.approx(100.0)
    assert scheduler.remaining_walltime(env, now=1100.0) == 0.0
    assert scheduler.remaining_walltime({}, now=900.0) is None  # not in a scheduler job


def test_remaining_walltime_without_squeue_is_none(tmp_path):
    # A job whose scheduler cannot be asked: no limit is invented.
    env = {"SLURM_JOB_ID": "12", "PATH": str(tmp_path)}
    assert scheduler.remaining_walltime(env) is None


@needs_lammps
def test_assemble_defaults_to_the_tighter_walltime(tmp_path, monkeypatch):
    """workflow.assemble takes the smaller of $MESOCRYSTAL_WALLTIME and the job's time left."""
    project = signac.init_project(tmp_path)
    job = project.open_job(normalize({**LONG_RUN, "steps": 50_000})).init()
    workflow.initialize(job)
    monkeypatch.delenv("MESOCRYSTAL_WALLTIME", raising=False)
    monkeypatch.setenv("SLURM_JOB_END_TIME", str(time.time() + 30.0))
    result = workflow.assemble(job, engine="lammps")
    # 30 s left and a 60 s safety margin: it checkpoints and stops at once.
    assert result.status == "interrupted"
    assert workflow.checkpoint_step(job) == 0
    assert workflow.progress_label(job) == "simulating: 0%"
    monkeypatch.setenv("SLURM_JOB_END_TIME", str(time.time() + 3600.0))
    monkeypatch.setenv("MESOCRYSTAL_WALLTIME", "30")
    assert workflow.assemble(job, engine="lammps").status == "interrupted"
    monkeypatch.delenv("MESOCRYSTAL_WALLTIME")
    assert workflow.assemble(job, engine="lammps").status == "complete"
    assert workflow.simulated(job)


def test_simulation_gpus_follow_the_engine(tmp_path, monkeypatch):
    monkeypatch.delenv("MESOCRYSTAL_ENGINE", raising=False)
    project = signac.init_project(tmp_path)
    job = project.open_job(normalize(LONG_RUN)).init()
    assert scheduler.simulation_gpus(job) == 0  # auto: no GPU is requested
    project.doc["engine"] = "hoomd"
    assert scheduler.simulation_gpus(job) == 1
    project.doc["engine"] = "lammps"
    assert scheduler.simulation_gpus(job) == 0
    del project.doc["engine"]
    monkeypatch.setenv("MESOCRYSTAL_ENGINE", "hoomd")
    assert scheduler.simulation_gpus(job) == 1


def test_run_defaults_to_the_study_on_every_core(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert scheduler.local_parallelism("lammps") == 4
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert scheduler.local_parallelism("lammps") == 2  # cores shared by the threads
    assert scheduler.local_parallelism("hoomd") == 1  # simulations would share one GPU
    study = ["-o", "study", "aggregates"]
    assert scheduler.run_arguments(["run"], 4) == ["run", *study, "--parallel", "4"]
    assert scheduler.run_arguments(["run"], 1) == ["run", *study]
    assert scheduler.run_arguments(["run", "-o", "animate"], 2) == [
        "run",
        "-o",
        "animate",
        "--parallel",
        "2",
    ]
    assert scheduler.run_arguments(["run", "-p", "1"], 2) == ["run", "-p", "1", *study]


def test_environment_of_a_generic_or_a_named_cluster(monkeypatch):
    monkeypatch.setattr(SlurmScheduler, "is_present", classmethod(lambda cls: True))
    monkeypatch.delenv("SIGNAC_FLOW_ENVIRONMENT", raising=False)

    class ElsewhereCluster(scheduler.SlurmClusterEnvironment):
        hostname_pattern = r"^no-such-host\.example$"

    try:
        assert get_environment() is scheduler.SlurmClusterEnvironment
        assert not ElsewhereCluster.is_present()
        # On a cluster with an environment of its own, that one is used.
        monkeypatch.setattr(ElsewhereCluster, "hostname_pattern", r".*")
        assert ElsewhereCluster.is_present()
        assert not scheduler.SlurmClusterEnvironment.is_present()
        assert get_environment() is ElsewhereCluster
    finally:
        del ComputeEnvironment.registry["ElsewhereCluster"]
    monkeypatch.setattr(SlurmScheduler, "is_present", classmethod(lambda cls: False))
    assert not scheduler.SlurmClusterEnvironment.is_present()  # no SLURM here


# -- job scripts (submit --pretend) ------------------------------------------------------------
@pytest.fixture(scope="module")
def pretend_project(tmp_path_factory) -> Path:
    """The quick study, initialized, so that ``assemble`` is eligible for submission (10 s of
    pair tables: the tests that use it are marked slow to keep the quick check quick)."""
    path = make_project(tmp_path_factory.mktemp("pretend"))
    run_script(path, "init.py", "quick")
    run_script(path, "project.py", "run", "-o", "initialize")
    return path


@pytest.fixture(scope="module")
def fake_queue(tmp_path_factory) -> dict[str, str]:
    """Environment of a SLURM login node with an empty queue and no scheduler behind it."""
    bin_dir = tmp_path_factory.mktemp("bin")
    squeue = bin_dir / "squeue"
    squeue.write_text("#!/bin/sh\nexit 0\n")
    squeue.chmod(0o755)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "SIGNAC_FLOW_ENVIRONMENT": "SlurmClusterEnvironment",
        "SBATCH_PARTITION": "",
        "SBATCH_ACCOUNT": "",
        "MESOCRYSTAL_GPU_FLAG": "",
        "MESOCRYSTAL_ENGINE": "",
    }


def pretend(project_dir: Path, env: dict[str, str], *args: str, engine: str | None = None):
    project = signac.get_project(project_dir)
    if engine is None:
        project.doc.pop("engine", None)
    else:
        project.doc["engine"] = engine
    return run_script(project_dir, "project.py", "submit", "--pretend", *args, env=env)


def check_bash(script: str, tmp_path: Path) -> None:
    path = tmp_path / "script.sh"
    path.write_text(script)
    proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_gpu_script_requests_what_the_directives_say(pretend_project, fake_queue, tmp_path):
    proc = pretend(
        pretend_project,
        fake_queue,
        "-o",
        "assemble",
        "--partition",
        "gpu-a100",
        "--account",
        "mat123",
        engine="hoomd",
    )
    found = scripts(proc.stdout)
    assert len(found) == 2 == len(submitted(proc))
    project = signac.get_project(pretend_project)
    for script in found:
        job_id = re.search(r"run -o assemble -j (\w+)", script).group(1)
        job = project.open_job(id=job_id)
        lines = sbatch_lines(script)
        assert "#SBATCH --gpus=1" in lines
        assert "#SBATCH -t 24:00:00" in lines
        assert "#SBATCH --mem=2G" in lines
        assert "#SBATCH --partition=gpu-a100" in lines
        assert "#SBATCH --account=mat123" in lines
        assert "#SBATCH --ntasks=1" in lines and "#SBATCH --cpus-per-task=1" in lines
        assert f"#SBATCH --output={job.path}/assemble-%j.out" in lines
        assert not any("--gres" in line for line in lines)
        # The operation runs with the interpreter that submitted it, from the project.
        assert f"{sys.executable} {pretend_project}/project.py run -o assemble" in script
        assert f"cd {pretend_project}" in script
        assert "# Software environment (templates/setup.sh)." in script
        assert "CUDA_VISIBLE_DEVICES" not in script  # one GPU job, one GPU: no pinning
        check_bash(script, tmp_path)


@pytest.mark.slow
def test_gres_flag_and_defaults_from_the_environment(pretend_project, fake_queue):
    env = {
        **fake_queue,
        "SBATCH_PARTITION": "gpu",
        "SBATCH_ACCOUNT": "proj42",
        "MESOCRYSTAL_GPU_FLAG": "gres",
    }
    log = "/scratch/me/%x-%j.log"
    proc = pretend(pretend_project, env, "-o", "assemble", "--job-output", log, engine="hoomd")
    (script, *_) = scripts(proc.stdout)
    lines = sbatch_lines(script)
    assert f"#SBATCH --output={log}" in lines
    assert "#SBATCH --gres=gpu:1" in lines
    assert not any(line.startswith("#SBATCH --gpus") for line in lines)
    assert "#SBATCH --partition=gpu" in lines
    assert "#SBATCH --account=proj42" in lines


@pytest.mark.slow
def test_cpu_engine_and_cpu_operations_request_no_gpu(pretend_project, fake_queue, tmp_path):
    project = signac.get_project(pretend_project)
    proc = pretend(pretend_project, fake_queue, "-o", "assemble", engine="lammps")
    found = scripts(proc.stdout)
    assert len(found) == 2
    for script in found:
        lines = sbatch_lines(script)
        assert not any("gpu" in line for line in lines)
        assert "#SBATCH -t 24:00:00" in lines
        assert not any(line.startswith("#SBATCH --partition") for line in lines)
        assert not any(line.startswith("#SBATCH --account") for line in lines)
        check_bash(script, tmp_path)
    # initialize on a fresh job: CPU only, its own walltime and memory.
    fresh = project.open_job(normalize({**LONG_RUN, "seed": 7})).init()
    try:
        proc = pretend(pretend_project, fake_queue, "-o", "initialize", engine="hoomd")
        (script,) = scripts(proc.stdout)
        lines = sbatch_lines(script)
        assert not any("gpu" in line for line in lines)
        assert "#SBATCH -t 00:30:00" in lines and "#SBATCH --mem=1G" in lines
        assert f"#SBATCH --output={fresh.path}/initialize-%j.out" in lines
    finally:
        shutil.rmtree(fresh.path)


@pytest.mark.slow
def test_parallel_bundle_shares_one_node(pretend_project, fake_queue, tmp_path):
    args = ("-o", "assemble", "--bundle", "2")
    proc = pretend(pretend_project, fake_queue, *args, "--parallel", engine="hoomd")
    (script,) = scripts(proc.stdout)
    assert len(submitted(proc)) == 1 and submitted(proc)[0].startswith("Project/bundle/")
    lines = sbatch_lines(script)
    assert "#SBATCH --nodes=1" in lines
    assert "#SBATCH --gpus=2" in lines
    assert "#SBATCH --cpus-per-task=2" in lines
    assert "#SBATCH --mem=4G" in lines
    assert "#SBATCH -t 24:00:00" in lines  # parallel: the longest, not the sum
    assert f"#SBATCH --output={pretend_project}/assemble-%j.out" in lines
    # Each simulation is pinned to its own GPU and runs in the background.
    pins = re.findall(r'^export CUDA_VISIBLE_DEVICES=".*\$\(\( (\d) %', script, re.MULTILINE)
    assert pins == ["0", "1"]
    assert len(re.findall(r"run -o assemble -j \w+ &$", script, re.MULTILINE)) == 2
    assert script.rstrip().endswith("wait")
    check_bash(script, tmp_path)
    # A serial bundle needs the sum of the walltimes and one GPU.
    (serial,) = scripts(pretend(pretend_project, fake_queue, *args, engine="hoomd").stdout)
    lines = sbatch_lines(serial)
    assert "#SBATCH -t 48:00:00" in lines and "#SBATCH --gpus=1" in lines
    assert "CUDA_VISIBLE_DEVICES" not in serial


@pytest.mark.slow
def test_submit_without_operations_submits_one_study_script_per_job(
    pretend_project, fake_queue, tmp_path
):
    """The study group: every stage in one script, with its most demanding member's resources."""
    proc = pretend(pretend_project, fake_queue, engine="hoomd")
    found = scripts(proc.stdout)
    assert len(found) == 2 == len(submitted(proc))
    project = signac.get_project(pretend_project)
    for script in found:
        job_id = re.search(r"run -o study -j (\w+)$", script, re.MULTILINE).group(1)
        lines = sbatch_lines(script)
        assert "#SBATCH --gpus=1" in lines  # the simulation's GPU
        assert "#SBATCH -t 24:00:00" in lines  # summed: 21.4 h + 5 x 0.5 h + 0.1 h
        assert "#SBATCH --mem=2G" in lines  # the largest member's memory
        assert f"#SBATCH --output={project.open_job(id=job_id).path}/study-%j.out" in lines
        for stage in ("assemble", "analyze", "classify", "render", "plot"):
            assert f"exec {stage} {job_id}" in script
        # Afterwards the aggregates, which run once every job has its label.
        assert script.rstrip().endswith(
            f"{sys.executable} {pretend_project}/project.py run -o aggregates"
        )
        check_bash(script, tmp_path)
    # A parallel bundle: one GPU per simulation, pinned, and the aggregates after the wait.
    proc = pretend(pretend_project, fake_queue, "--bundle", "2", "--parallel", engine="hoomd")
    (script,) = scripts(proc.stdout)
    assert "#SBATCH --gpus=2" in sbatch_lines(script)
    pins = re.findall(r'^export CUDA_VISIBLE_DEVICES=".*\$\(\( (\d) %', script, re.MULTILINE)
    assert pins == ["0", "1"]
    body = script[script.index("run -o study") :]
    assert body.index("\nwait\n") < body.index("run -o aggregates")
    check_bash(script, tmp_path)


@pytest.mark.slow
def test_several_ranks_get_a_launcher_line(pretend_project, fake_queue, tmp_path):
    """ranks > 1: the simulation is started with srun (SLURM) on as many tasks."""
    project = signac.get_project(pretend_project)
    project.doc["ranks"] = 4
    try:
        proc = pretend(pretend_project, fake_queue, "-o", "assemble", engine="lammps")
        for script in scripts(proc.stdout):
            job_id = re.search(r"run -o assemble -j (\w+)", script).group(1)
            assert "#SBATCH --ntasks=4" in sbatch_lines(script)
            assert re.search(rf"^# srun -n 4\s+\S+ \S+ exec assemble {job_id}$", script, re.M)
            check_bash(script, tmp_path)
        env = {**fake_queue, "MESOCRYSTAL_MPI_LAUNCHER": "mpirun"}
        (script, *_) = scripts(pretend(pretend_project, env, engine="hoomd").stdout)
        assert re.search(r"^# mpirun -n 4\s+\S+ \S+ exec assemble \w+$", script, re.MULTILINE)
        assert "#SBATCH --gpus=4" in sbatch_lines(script)  # one GPU per rank
        assert "#SBATCH --ntasks=4" in sbatch_lines(script)
    finally:
        del project.doc["ranks"]
    (script, *_) = scripts(pretend(pretend_project, fake_queue, engine="lammps").stdout)
    assert not re.search(r"(srun|mpirun|mpiexec) -n", script)  # one rank: no launcher


@pytest.mark.slow
def test_cpu_template_refuses_gpu_operations(pretend_project, fake_queue):
    project = signac.get_project(pretend_project)
    project.doc["engine"] = "hoomd"
    proc = run_script(
        pretend_project,
        "project.py",
        "submit",
        "--pretend",
        "--template",
        "slurm-cpu.sh",
        env=fake_queue,
        check=False,
    )
    assert proc.returncode != 0
    assert "slurm-gpu.sh" in proc.stderr
    (script, *_) = scripts(
        pretend(pretend_project, fake_queue, "--template", "slurm-cpu.sh", engine="lammps").stdout
    )
    assert not any("gpu" in line for line in sbatch_lines(script))
    assert "# Software environment (templates/setup.sh)." in script


@pytest.mark.slow
def test_unreadable_queue_submits_nothing(pretend_project, fake_queue, tmp_path):
    """Where squeue fails, submit stops before sbatch: nothing can be submitted twice."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "sbatch-calls"
    for name, body in (("squeue", "exit 1"), ("sbatch", f'echo "$@" >> {calls}')):
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    env = {**fake_queue, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    proc = run_script(pretend_project, "project.py", "submit", env=env, check=False)
    assert proc.returncode != 0
    assert "cannot read the SLURM queue" in proc.stderr
    assert not calls.exists()
    # status still works, without the queue, when asked to ignore the error.
    status = run_script(pretend_project, "project.py", "status", "--ignore-errors", env=env)
    assert "initialized" in status.stdout


@pytest.mark.slow
@needs_lammps
def test_study_group_stops_at_the_walltime_and_resumes(tmp_path):
    """A study script stops cleanly at its walltime; the next run goes on from there."""
    project_dir = make_project(tmp_path / "resume")
    run_script(project_dir, "init.py", "quick", "--engine", "lammps")
    job = next(iter(signac.get_project(project_dir)))
    # 30 s of budget and the 60 s safety margin: the simulation checkpoints at once and stops.
    env = {"MESOCRYSTAL_WALLTIME": "30"}
    run_script(project_dir, "project.py", "run", "-o", "study", "-j", job.id, env=env)
    assert workflow.initialized(job) and workflow.checkpoint_step(job) == 0
    assert job.doc["assembly"]["status"] == "interrupted"
    assert not workflow.analyzed(job) and workflow.structure_label(job) is None
    status = run_script(project_dir, "project.py", "status", "-d").stdout
    assert "simulating: 0%" in status
    run_script(project_dir, "project.py", "run", "-o", "study", "-j", job.id)
    assert workflow.simulated(job) and workflow.classified(job)
    assert visuals.rendered(job) and visuals.plotted(job)
    steps = list(schema.trajectory_steps(job.fn(products.TRAJECTORY_GSD)))
    assert steps[0] == 0 and steps[-1] == workflow.required_steps(job)
    assert np.all(np.diff(steps) > 0)  # resumed, no frame twice


# -- a real scheduler --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def slurm_cluster():
    """A private single-node SLURM with one fake GPU, for the tests of this module."""
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"cannot start a SLURM cluster here: {reason}")
    cluster = SlurmCluster(gpus=1)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def slurm(slurm_cluster):
    """The cluster, with an empty queue before and after the test."""
    slurm_cluster.cancel_all()
    yield slurm_cluster
    slurm_cluster.cancel_all()


@pytest.mark.slow
def test_remaining_walltime_inside_a_slurm_job(slurm, tmp_path):
    out = tmp_path / "left.txt"
    code = (
        "import os; os.environ.pop('SLURM_JOB_END_TIME', None); "
        "from mesocrystal.scheduler import remaining_walltime; print(remaining_walltime())"
    )
    proc = slurm.client(
        ["sbatch", "-t", "5", "-o", str(out), "--wrap", f'{sys.executable} -c "{code}"'],
        env={"PYTHONPATH": str(REPO)},
    )
    job_id = proc.stdout.split()[-1]
    slurm.wait_for_state(job_id, FINISHED, QUEUE_TIMEOUT)
    assert slurm.job_info(job_id)["JobState"] == "COMPLETED", out.read_text()
    # squeue's time left, 5 minutes minus the few seconds the job has run.
    assert 240.0 < float(out.read_text().split()[-1]) <= 300.0


def steps_per_second(path: Path) -> float:
    """Speed of a LONG_RUN system here and now (a 3 s run of a throwaway job)."""
    project = signac.init_project(path)
    job = project.open_job(normalize({**LONG_RUN, "steps": 10**8})).init()
    workflow.initialize(job)
    engine = get_engine("lammps")
    result = simulate.run(
        job.path, workflow.model_of(job), engine, frames=10**4, walltime=3.0, margin=0.0
    )
    assert result.status == "interrupted" and result.tps > 0
    return result.tps


def submit(project_dir: Path, slurm: SlurmCluster, *args: str, env=None):
    return run_script(project_dir, "project.py", "submit", *args, env={**slurm.env, **(env or {})})


@pytest.mark.slow
def test_submit_runs_the_study_without_duplicates(slurm, tmp_path):
    project_dir = make_project(tmp_path / "study")
    run_script(project_dir, "init.py", "quick")
    project = signac.get_project(project_dir)
    jobs = list(project)
    assert len(jobs) == 2

    # Round 1, held in the queue: a second submit finds both and adds nothing.
    first = submit(project_dir, slurm, "-o", "initialize", "--hold")
    assert len(submitted(first)) == 2
    queued = slurm.queue()
    assert sorted(j["name"] for j in queued) == sorted(submitted(first))
    assert all(j["state"] == "PENDING" for j in queued)
    again = submit(project_dir, slurm, "-o", "initialize")
    assert submitted(again) == []
    assert len(slurm.queue()) == 2
    ids = [j["id"] for j in queued]
    slurm.client(["scontrol", "release", *ids])
    slurm.wait_for_empty_queue(QUEUE_TIMEOUT)
    for job_id in ids:
        info = slurm.job_info(job_id)
        assert (info["JobState"], info["ExitCode"]) == ("COMPLETED", "0:0"), info
        assert info["TimeLimit"] == "00:30:00"
    assert all(workflow.initialized(job) for job in jobs)
    for job in jobs:  # the log of each job lies in its directory
        assert list(Path(job.path).glob("initialize-*.out"))

    # Round 2: both simulations in one bundle on one node, side by side.
    second = submit(project_dir, slurm, "-o", "assemble", "--bundle", "2", "--parallel")
    assert len(submitted(second)) == 1
    again = submit(project_dir, slurm, "-o", "assemble")  # queued, running or done: once
    assert submitted(again) == []
    assert len(slurm.queue()) <= 1
    slurm.wait_for_empty_queue(QUEUE_TIMEOUT)
    for job in jobs:
        assert workflow.simulated(job)
        assert job.doc["assembly"]["status"] == "complete"
        steps = list(schema.trajectory_steps(job.fn(products.TRAJECTORY_GSD)))
        assert steps[0] == 0 and steps[-1] == workflow.required_steps(job)
        assert np.all(np.diff(steps) > 0)
    (log,) = project_dir.glob("assemble-*.out")
    text = log.read_text()
    for job in jobs:
        assert f"[{job.id[:8]}] step" in text

    # Nothing is left to simulate: a third submit submits no simulation.
    assert submitted(submit(project_dir, slurm, "-o", "initialize", "assemble")) == []


@pytest.mark.slow
def test_one_submit_completes_study(slurm, tmp_path):
    """One ``submit`` carries every job from nothing to its label, pictures and phase diagram.

    Each job gets one script (the ``study`` group: initialize ... plot) with the walltime of
    its members summed; the script that finishes last also draws the phase diagram.
    """
    project_dir = make_project(tmp_path / "whole")
    run_script(project_dir, "init.py", "quick", "--engine", "lammps")
    project = signac.get_project(project_dir)
    jobs = list(project)
    assert len(jobs) == 2 and not any(workflow.initialized(job) for job in jobs)

    first = submit(project_dir, slurm)
    names = submitted(first)
    assert len(names) == 2 and all(name.endswith(tuple("0123456789abcdef")) for name in names)
    assert "Group: study(" in first.stderr
    assert submitted(submit(project_dir, slurm)) == []  # queued or running: once
    queued = slurm.queue()
    assert len(queued) == 2
    slurm.wait_for_empty_queue(QUEUE_TIMEOUT)
    for entry in queued:
        info = slurm.job_info(entry["id"])
        assert (info["JobState"], info["ExitCode"]) == ("COMPLETED", "0:0"), info
        assert info["TimeLimit"] == "1-00:00:00"  # 21.4 h of simulation + the other stages

    for job in jobs:
        assert workflow.simulated(job) and workflow.classified(job)
        assert workflow.structure_label(job) in {"crystalline", "layered", "rcp", "dispersed"}
        assert visuals.rendered(job) and visuals.plotted(job)
        (log,) = Path(job.path).glob("study-*.out")  # one scheduler job, its log beside the data
        assert f"[{job.id[:8]}] step" in log.read_text()
    assert (project_dir / products.PHASE_DIAGRAM_PNG).is_file()
    assert visuals.phase_diagram_current(*jobs)
    status = run_script(project_dir, "project.py", "status", "-d", env=slurm.env).stdout
    for job in jobs:
        assert workflow.structure_label(job) in status
    # Nothing is left: a second submission submits nothing.
    assert submitted(submit(project_dir, slurm)) == []


@pytest.mark.slow
def test_walltime_stop_and_resume_through_the_scheduler(slurm, tmp_path):
    """A job that reaches its deadline checkpoints, exits cleanly and resumes on resubmission.

    The deadline reaches the run as ``SLURM_JOB_END_TIME`` in the submitting environment,
    which sbatch passes on to the job (SLURM 22.05 does not set that variable itself). The run
    is about four times longer than the time the deadline leaves it, so it stops early on any
    machine; nothing is asserted about how fast it ran.
    """
    if slurm.version() >= (23, 2):
        pytest.skip(
            "SLURM 23.02 and later set SLURM_JOB_END_TIME in every job, so the test cannot give "
            "a job an earlier deadline; test_remaining_walltime_inside_a_slurm_job covers it"
        )
    # A run of about 120 s on this machine now; ~30 s of running cuts it early.
    steps = max(20_000, 1000 * round(120.0 * steps_per_second(tmp_path / "speed") / 1000))
    project_dir = make_project(tmp_path / "long")
    project = signac.init_project(project_dir)
    job = project.open_job(normalize({**LONG_RUN, "steps": steps})).init()
    run_script(project_dir, "project.py", "run", "-o", "initialize")
    total = workflow.required_steps(job)

    # 60 s safety margin + about 30 s of running: several frames (one per 2.4 s of the
    # nominal run) even when other work slows this machine several-fold.
    deadline = time.time() + 90.0
    end_time = {"SLURM_JOB_END_TIME": str(int(deadline))}
    first = submit(project_dir, slurm, "-o", "assemble", env=end_time)
    assert len(submitted(first)) == 1
    (queued,) = slurm.queue()
    slurm.wait_for_state(queued["id"], {"RUNNING"} | FINISHED, QUEUE_TIMEOUT)
    assert submitted(submit(project_dir, slurm, "-o", "assemble")) == []  # running: once
    slurm.wait_for_empty_queue(QUEUE_TIMEOUT)
    info = slurm.job_info(queued["id"])
    assert (info["JobState"], info["ExitCode"]) == ("COMPLETED", "0:0"), info
    step = workflow.checkpoint_step(job)
    assert 0 < step < total
    assert job.doc["assembly"]["status"] == "interrupted"
    status = run_script(project_dir, "project.py", "status", "-d", env=slurm.env).stdout
    assert f"simulating: {100 * step // total}%" in status

    # The next submission resumes from the checkpoint and completes the run.
    second = submit(project_dir, slurm, "-o", "assemble")
    assert len(submitted(second)) == 1
    slurm.wait_for_empty_queue(10 * QUEUE_TIMEOUT)  # the rest of a ~120 s run
    assert workflow.simulated(job)
    assert job.doc["assembly"]["status"] == "complete"
    steps = list(schema.trajectory_steps(job.fn(products.TRAJECTORY_GSD)))
    assert steps == list(range(0, total, -(-total // 50))) + [total]
    logs = sorted(Path(job.path).glob("assemble-*.out"))
    assert len(logs) == 2  # one per scheduler job, next to the data
    assert "step" in logs[-1].read_text()  # progress lines of the run that finished


@pytest.mark.slow
def test_forced_slurm_without_controller_fails_in_one_line(pretend_project, fake_queue, tmp_path):
    """The SLURM environment forced, no controller: one line on stderr, no traceback, no sbatch."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "sbatch-calls"
    squeue = "echo 'slurm_load_jobs error: Unable to contact slurm controller' >&2; exit 1"
    for name, body in (("squeue", squeue), ("sbatch", f'echo "$@" >> {calls}')):
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    env = {**fake_queue, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    for args in (("submit", "--pretend"), ("submit",), ("status",)):
        proc = run_script(pretend_project, "project.py", *args, env=env, check=False)
        assert proc.returncode != 0
        (line,) = proc.stderr.strip().splitlines()
        assert line.startswith("error: cannot read the SLURM queue")
        assert "Unable to contact slurm controller" in line and "scontrol ping" in line
        assert line.endswith("nothing was submitted") == (args[0] == "submit")
        assert proc.stdout == ""
    assert not calls.exists()


@pytest.mark.slow
def test_clients_without_controller_fall_back_to_no_scheduler(pretend_project, tmp_path):
    """SLURM clients without a reachable controller: status works, without a queue."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("sbatch", "squeue", "scontrol"):
        (bin_dir / name).write_text("#!/bin/sh\necho 'no controller' >&2\nexit 1\n")
        (bin_dir / name).chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env_clean = {k: v for k, v in os.environ.items() if k != "SIGNAC_FLOW_ENVIRONMENT"}
    proc = subprocess.run(
        [sys.executable, "project.py", "status", "-d"],
        cwd=pretend_project,
        env={**env_clean, **env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "no SLURM controller answers" in proc.stderr
    assert "initialized" in proc.stdout
