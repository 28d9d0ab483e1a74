"""The pipeline end to end: init.py, project.py, checkpoints, resume, walltime, bad input."""

import json
import os
import signal
import subprocess
import sys
import time

import gsd.hoomd
import numpy as np
import pytest
import signac
from conftest import REPO, run_script

from mesocrystal import schema, simulate, workflow
from mesocrystal.engines import get_engine
from mesocrystal.model.parameters import normalize

SMALL = {
    "shape": "sphere",
    "N": 16,
    "steps": 600,
    "randomize_steps": 100,
    "epsilon_kT": 0.3,
    "packing_fraction": 0.08,
    "site_spacing": 0.7,
}


def make_job(project_dir, sp=SMALL):
    project = signac.init_project(project_dir)
    job = project.open_job(normalize(sp)).init()
    return project, job


def frame_steps(job):
    return list(schema.trajectory_steps(job.fn(simulate.TRAJECTORY_FILE)))


def test_init_and_run_end_to_end(project_dir):
    out = run_script(project_dir, "init.py", "quick").stdout
    assert "2 state points (2 new)" in out
    again = run_script(project_dir, "init.py", "quick").stdout
    assert "2 state points (0 new)" in again  # no duplicates
    run_script(project_dir, "project.py", "run")
    project = signac.get_project(project_dir)
    assert len(project) == 2
    for job in project:
        assert workflow.simulated(job)
        total = workflow.required_steps(job)
        steps = frame_steps(job)
        assert steps[0] == 0 and steps[-1] == total
        assert np.all(np.diff(steps) > 0)
        assert job.doc["assembly"]["status"] == "complete"
        assert job.doc["engine"]["engine"] in ("lammps", "hoomd")
        pair = job.doc["model"]["pair"]
        assert {"face_contact_kT", "B2_star", "regime"} <= set(pair)
        with gsd.hoomd.open(job.fn("trajectory.gsd")) as traj:
            frame = traj[-1]
            assert frame.particles.N == job.sp.N
            assert frame.particles.type_shapes[0]["type"] in ("Sphere", "ConvexPolyhedron")
            assert "mesocrystal/potential_energy" in frame.log  # chunk log/mesocrystal/...
    # The standard (no scheduler) environment: SLURM clients may be installed here without a
    # running controller; submission is tested against a real scheduler in test_slurm.py.
    status = run_script(
        project_dir,
        "project.py",
        "status",
        "-d",
        env={"SIGNAC_FLOW_ENVIRONMENT": "StandardEnvironment"},
    ).stdout
    assert "simulated" in status


def test_resumed_run_equals_uninterrupted(project_dir, engine_name):
    _, job = make_job(project_dir)
    model = workflow.model_of(job)
    engine_cls = get_engine(engine_name)
    # Uninterrupted reference in a second job directory.
    ref_dir = project_dir / "reference"
    ref_dir.mkdir()
    workflow.initialize(job)
    (ref_dir / simulate.INIT_FILE).write_bytes(open(job.fn(simulate.INIT_FILE), "rb").read())
    ref = simulate.run(ref_dir, model, engine_cls, frames=10)
    ref_steps = list(schema.trajectory_steps(ref_dir / simulate.TRAJECTORY_FILE))
    # Interrupted by the walltime after a few frames, then resumed to the end.
    first = simulate.run(job.path, model, engine_cls, frames=10, walltime=0.0, margin=-1e9)
    assert first.status == "complete"  # negative margin: never stops early
    assert frame_steps(job) == ref_steps
    assert ref.status == "complete" and len(ref_steps) == 11


def test_sigkill_and_resume(project_dir, engine_name):
    """A run killed with SIGKILL resumes from its checkpoint; no frame lost or duplicated."""
    sp = {**SMALL, "steps": 40_000}
    project, job = make_job(project_dir, sp)
    workflow.initialize(job)
    env = {**os.environ, "PYTHONPATH": str(REPO), "MESOCRYSTAL_ENGINE": engine_name}
    # A session of its own: SIGKILL hits the whole process group, as a scheduler's kill does
    # (project.py runs the engine in a forked child).
    proc = subprocess.Popen(
        [sys.executable, "project.py", "run", "-o", "assemble", "-j", job.id],
        cwd=project_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        if len(frame_steps(job)) >= 8:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = frame_steps(job)
    assert 8 <= len(killed_at) < 51, "the run should have been killed mid-way"
    assert not workflow.simulated(job)
    run_script(
        project_dir,
        "project.py",
        "run",
        "-o",
        "assemble",
        "-j",
        job.id,
        env={"MESOCRYSTAL_ENGINE": engine_name},
    )
    steps = frame_steps(job)
    total = workflow.required_steps(job)
    period = -(-total // 50)
    assert steps == list(range(0, total, period)) + [total]
    assert workflow.simulated(job)


def test_walltime_stops_early_and_finishes_next_time(project_dir, engine_name):
    sp = {**SMALL, "steps": 60_000}
    project, job = make_job(project_dir, sp)
    run_script(project_dir, "project.py", "run", "-o", "initialize")
    t0 = time.time()
    # 3 s budget with a 1 s margin: stops well before the end of a ~20 s run.
    result = simulate.run(
        job.path,
        workflow.model_of(job),
        get_engine(engine_name),
        frames=50,
        walltime=3.0,
        margin=1.0,
    )
    assert time.time() - t0 < 3.0 + 2.0
    assert result.status == "interrupted"
    assert 0 < workflow.checkpoint_step(job) < workflow.required_steps(job)
    assert workflow.progress_label(job).startswith("simulating")
    n_before = len(frame_steps(job))
    result = simulate.run(job.path, workflow.model_of(job), get_engine(engine_name), frames=50)
    assert result.status == "complete"
    steps = frame_steps(job)
    total = workflow.required_steps(job)
    assert len(steps) > n_before
    assert steps == list(range(0, total, -(-total // 50))) + [total]


def test_truncated_restart_is_detected(project_dir, engine_name):
    sp = {**SMALL, "steps": 2000}
    project, job = make_job(project_dir, sp)
    workflow.initialize(job)
    model = workflow.model_of(job)
    engine_cls = get_engine(engine_name)
    simulate.run(job.path, model, engine_cls, frames=10, walltime=1e9)
    restart = job.fn(simulate.RESTART_FILE)
    data = open(restart, "rb").read()
    with open(restart, "wb") as f:
        f.write(data[: len(data) // 2])  # a torn write
    assert workflow.checkpoint_step(job) is None  # not trusted
    with pytest.raises(schema.CorruptFileError):
        schema.read_last_frame(restart)
    result = simulate.run(job.path, model, engine_cls, frames=10)
    assert result.status == "complete"
    assert any("restart file unusable" in w for w in result.warnings)
    assert len(frame_steps(job)) == 11


@pytest.mark.parametrize(
    "bad,field",
    [
        ({"solvent": "water", "temperature_C": 25}, "solvent"),
        ({"solvent": "dichloromethane", "temperature_C": 45}, "temperature_C"),
        ({"epsilon_kT": -1.0}, "epsilon_kT"),
        ({"packing_fraction": 0.5}, "packing_fraction"),
        ({"shape": "platelet", "packing_fraction": 0.36}, "packing_fraction"),
        ({"N": 4}, "N"),
        ({"shape": "pyramid"}, "shape"),
        ({"patchy": "yes"}, "patchy"),
        ({"epsilon": 1.0}, "epsilon"),
        ({"solvent": "toluene", "temperature_C": 25, "epsilon_kT": 1.0}, "epsilon_kT"),
        (
            {
                "shape": "platelet",
                "aspect_ratio": 0.1,
                "platelet_width_nm": 3.0,
                "site_diameter_nm": 2.0,
            },
            "site_diameter_nm",
        ),
    ],
)
def test_bad_state_points_rejected_before_writing(project_dir, bad, field):
    grid = project_dir / "grid.json"
    grid.write_text(json.dumps([{"N": 16}, bad]))  # one good point, one bad
    proc = run_script(project_dir, "init.py", "grid.json", check=False)
    assert proc.returncode == 2
    assert f"'{field}'" in proc.stderr
    assert not (project_dir / "workspace").exists()


def test_grid_file(project_dir):
    (project_dir / "grid.yaml").write_text(
        "fixed: {shape: sphere, N: 16, steps: 200}\ngrid: {epsilon_kT: [0.1, 0.2], seed: [0, 1]}\n"
    )
    run_script(project_dir, "init.py", "grid.yaml", "--replicas", "1", "--engine", "lammps")
    project = signac.get_project(project_dir)
    assert sorted((j.sp.epsilon_kT, j.sp.seed) for j in project) == [
        (0.1, 0),
        (0.1, 1),
        (0.2, 0),
        (0.2, 1),
    ]
    assert project.doc["engine"] == "lammps"


def test_malformed_grid_file(project_dir):
    (project_dir / "grid.yaml").write_text("grid: {epsilon_kT: [0.1,\n")
    proc = run_script(project_dir, "init.py", "grid.yaml", check=False)
    assert proc.returncode == 2 and "cannot be parsed" in proc.stderr
    assert not (project_dir / "workspace").exists()


def test_second_process_on_same_job_is_refused(project_dir):
    import fcntl

    _, job = make_job(project_dir)
    workflow.initialize(job)
    with open(job.fn(simulate.LOCK_FILE), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # as a running simulation holds it
        with pytest.raises(simulate.AlreadyRunningError):
            simulate.run(job.path, workflow.model_of(job), get_engine("lammps"), frames=5)
    assert not job.isfile(simulate.TRAJECTORY_FILE)
