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
from conftest import REPO, init_module, run_script

from mesocrystal import products, schema, simulate, workflow
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
    return list(schema.trajectory_steps(job.fn(products.TRAJECTORY_GSD)))


LABELS = ("crystalline", "layered", "rcp", "dispersed")


def _body_blobs(path) -> tuple[int, float]:
    """Number and area fraction of the shaded bodies drawn in a picture.

    Body pixels are neither near-white background nor part of thin lines or text: an opening
    with a 7 x 7 structuring element removes box edges, labels and titles, and what remains
    are the filled silhouettes of bodies.
    """
    from PIL import Image
    from scipy import ndimage

    rgb = np.asarray(Image.open(path).convert("RGB")).astype(int)
    ink = rgb.min(axis=2) < 235
    bodies = ndimage.binary_opening(ink, structure=np.ones((7, 7)))
    labelled, n = ndimage.label(bodies)
    sizes = np.bincount(labelled.ravel())[1:]
    return int(np.count_nonzero(sizes > 100)), float(bodies.mean())


@pytest.mark.slow
def test_init_and_run_end_to_end(project_dir):
    out = run_script(project_dir, "init.py", "quick").stdout
    assert "2 state points (2 new)" in out
    again = run_script(project_dir, "init.py", "quick").stdout
    assert "2 state points (0 new)" in again  # no duplicates
    run_script(project_dir, "project.py", "run")  # the study groups, one job per core
    project = signac.get_project(project_dir)
    assert len(project) == 2
    assert not any(job.isfile("trajectory.gif") for job in project)  # movies on request
    run_script(project_dir, "project.py", "run", "-o", "animate")
    labels = {}
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
        # One label per job, the same in analysis.json and in the job document.
        with open(job.fn("analysis.json")) as fh:
            analysis = json.load(fh)
        label = job.doc["classification"]["label"]
        assert label in LABELS and analysis["label"] == label
        assert analysis["step"] == total
        assert 0.0 <= job.doc["classification"]["confidence"] <= 1.0
        labels[job.id] = label
        # Pictures show the bodies: between one and N separate silhouettes (touching bodies
        # merge into one), covering a visible part of the picture; a blank box fails.
        blobs, area = _body_blobs(job.fn("structure.png"))
        assert 1 <= blobs <= job.sp.N and area > 0.03, (blobs, area)
        blobs, area = _body_blobs(job.fn("aggregate.png"))
        assert blobs >= 1 and area > 0.03, (blobs, area)
        for name in ("timeseries.png", "thermo.png", "rdf.png", "trajectory.gif"):
            assert job.isfile(name), name
    # The phase diagram holds every job once, with the job's own label.
    with open(project_dir / "phase_diagram.json") as fh:
        diagram = json.load(fh)
    seen = {}
    for point in diagram["points"]:
        for job_id in point["jobs"]:
            seen[job_id] = point
    assert set(seen) == set(labels)
    for job_id, point in seen.items():
        assert point["counts"] == {labels[job_id]: 1} and point["majority"] == labels[job_id]
    # The standard (no scheduler) environment: SLURM clients may be installed here without a
    # running controller; submission is tested against a real scheduler in test_slurm.py.
    status = run_script(
        project_dir,
        "project.py",
        "status",
        "-d",
        env={"SIGNAC_FLOW_ENVIRONMENT": "StandardEnvironment"},
    ).stdout
    for job_id, label in labels.items():
        row = next(line for line in status.splitlines() if line.startswith(job_id))
        assert label in row and "simulated" in row


def _assemble_in_background(project_dir, job, engine_name) -> subprocess.Popen:
    """``project.py run -o assemble`` for one job in a session of its own, so that SIGKILL
    hits the whole process group, as a scheduler's kill does (project.py runs the engine in a
    forked child). Its scratch files go to a folder of the test (``TMPDIR``): a killed engine
    cannot remove its own."""
    scratch = project_dir / "scratch"
    scratch.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "MESOCRYSTAL_ENGINE": engine_name,
        "OMP_NUM_THREADS": "1",
        "TMPDIR": str(scratch),
    }
    return subprocess.Popen(
        [sys.executable, "project.py", "run", "-o", "assemble", "-j", job.id],
        cwd=project_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _frames_on_disk(job) -> int:
    """Frames in the trajectory of a running simulation (0 while the file is being created)."""
    try:
        return len(frame_steps(job))
    except (OSError, RuntimeError):
        return 0


def _frames(path):
    with gsd.hoomd.open(path) as traj:
        return [(f.configuration.step, f.particles.position.copy()) for f in traj]


@pytest.mark.slow
def test_killed_runs_resume_to_the_uninterrupted_result(project_dir, engine_name, monkeypatch):
    """SIGKILL a real run three times at random frames, resume each time, and compare with an
    uninterrupted run of the same job.

    The engine is deterministic for a given seed and start state, so every frame up to the
    first kill's checkpoint equals the reference exactly; after a resume the thermostat noise
    is reseeded from (seed, step) and the trajectories part, so the later frames are compared
    by their steps (none lost or duplicated) and the final state by its types and size. Each
    resumed process must start from the last checkpoint, not from the beginning.
    """
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    sp = {**SMALL, "steps": 20_000}
    project, job = make_job(project_dir, sp)
    workflow.initialize(job)
    model = workflow.model_of(job)
    ref_dir = project_dir / "reference"
    ref_dir.mkdir()
    (ref_dir / products.INIT_GSD).write_bytes(open(job.fn(products.INIT_GSD), "rb").read())
    ref = simulate.run(ref_dir, model, get_engine(engine_name), frames=50)
    assert ref.status == "complete"
    reference = _frames(ref_dir / products.TRAJECTORY_GSD)

    seed = int(time.time()) % 10_000
    targets = sorted(np.random.default_rng(seed).choice(np.arange(4, 46), 3, replace=False))
    checkpoints = []
    for target in targets:
        proc = _assemble_in_background(project_dir, job, engine_name)
        deadline = time.time() + 300  # a deadline for waiting, not a speed check
        while time.time() < deadline and proc.poll() is None:
            if _frames_on_disk(job) >= target:
                break
            time.sleep(0.02)
        assert proc.poll() is None, f"the run ended before frame {target} ({proc.returncode})"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not workflow.simulated(job), f"kill at frame {target} came too late (seed {seed})"
        checkpoints.append(workflow.checkpoint_step(job))
    run_script(
        project_dir, "project.py", "run", "-o", "assemble", "-j", job.id,
        env={"MESOCRYSTAL_ENGINE": engine_name, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert workflow.simulated(job)
    assert job.doc["assembly"]["start_step"] == checkpoints[-1] > 0, (checkpoints, seed)

    resumed = _frames(job.fn(products.TRAJECTORY_GSD))
    assert [s for s, _ in resumed] == [s for s, _ in reference], f"seed {seed}"
    for (step, pos), (_, ref_pos) in zip(resumed, reference):
        if step > checkpoints[0]:
            break
        np.testing.assert_array_equal(pos, ref_pos, err_msg=f"step {step}, seed {seed}")
    final = schema.read_last_frame(job.fn(products.RESTART_GSD))
    with gsd.hoomd.open(ref_dir / products.TRAJECTORY_GSD) as traj:
        ref_final = traj[-1]
    assert final.configuration.step == ref_final.configuration.step
    np.testing.assert_array_equal(final.particles.typeid, ref_final.particles.typeid)
    np.testing.assert_allclose(final.configuration.box, ref_final.configuration.box)


class StepClock:
    """A clock that advances one second per reading: the walltime stop then depends on the
    number of loop iterations only, never on the machine's speed."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_walltime_stops_early_and_finishes_next_time(project_dir, engine_name):
    """The walltime stop (deterministic clock) checkpoints mid-run; the next call finishes."""
    sp = {**SMALL, "steps": 6_000}
    project, job = make_job(project_dir, sp)
    workflow.initialize(job)
    model, engine_cls = workflow.model_of(job), get_engine(engine_name)
    total = workflow.required_steps(job)
    first = simulate.run(
        job.path, model, engine_cls, frames=50, walltime=30.0, margin=0.0, clock=StepClock()
    )
    assert first.status == "interrupted"
    assert 0 < first.step == workflow.checkpoint_step(job) < total
    assert workflow.progress_label(job).startswith("simulating")
    n_before = len(frame_steps(job))
    # A second budget of the same size continues from the checkpoint and stops again.
    second = simulate.run(
        job.path, model, engine_cls, frames=50, walltime=30.0, margin=0.0, clock=StepClock()
    )
    assert second.start_step == first.step < second.step < total
    final = simulate.run(job.path, model, engine_cls, frames=50)
    assert final.status == "complete" and final.start_step == second.step
    steps = frame_steps(job)
    assert len(steps) > n_before
    assert steps == list(range(0, total, -(-total // 50))) + [total]


def test_walltime_stop_checkpoints_the_newest_frame(project_dir, engine_name):
    """With a checkpoint every fourth frame, a walltime stop still checkpoints the newest
    frame: the trajectory and the restart file agree, so resuming drops no frame."""
    project, job = make_job(project_dir, {**SMALL, "steps": 6_000})
    workflow.initialize(job)
    model, engine_cls = workflow.model_of(job), get_engine(engine_name)
    result = simulate.run(
        job.path,
        model,
        engine_cls,
        frames=50,
        checkpoint_every=4,
        walltime=30.0,
        margin=0.0,
        clock=StepClock(),
    )
    assert result.status == "interrupted"
    assert (len(frame_steps(job)) - 1) % 4 != 0  # the stop fell between two checkpoints
    assert frame_steps(job)[-1] == result.step == workflow.checkpoint_step(job)


def test_sigterm_checkpoints_and_stops(project_dir, engine_name):
    """SIGTERM (sent by schedulers before the time limit) stops the run with a checkpoint."""
    project, job = make_job(project_dir, {**SMALL, "steps": 6_000})
    workflow.initialize(job)
    sent = []

    def progress(msg):  # first progress line, at 10 % of the run
        if not sent:
            sent.append(msg)
            os.kill(os.getpid(), signal.SIGTERM)

    result = simulate.run(
        job.path, workflow.model_of(job), get_engine(engine_name), frames=50, progress=progress
    )
    assert sent and result.status == "interrupted"
    assert 0 < result.step == workflow.checkpoint_step(job) < workflow.required_steps(job)
    assert frame_steps(job)[-1] == result.step


def test_truncated_restart_is_detected(project_dir, engine_name):
    sp = {**SMALL, "steps": 2000}
    project, job = make_job(project_dir, sp)
    workflow.initialize(job)
    model = workflow.model_of(job)
    engine_cls = get_engine(engine_name)
    simulate.run(job.path, model, engine_cls, frames=10, walltime=1e9)
    restart = job.fn(products.RESTART_GSD)
    data = open(restart, "rb").read()
    with open(restart, "wb") as f:
        f.write(data[: len(data) // 2])  # a torn write
    assert workflow.checkpoint_step(job) is None  # not trusted
    with pytest.raises(schema.GSDReadError):
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
def test_bad_state_points_rejected_before_writing(project_dir, bad, field, capsys):
    grid = project_dir / "grid.json"
    grid.write_text(json.dumps([{"N": 16}, bad]))  # one good point, one bad
    init = init_module()
    assert init.main([str(grid), "--root", str(project_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"'{field}'" in err and len(err.splitlines()) == 1, err
    assert not (project_dir / "workspace").exists()


def test_bad_state_point_from_the_command_line(project_dir):
    """The script itself: exit status 2 and one line on stderr, nothing written."""
    (project_dir / "grid.json").write_text(json.dumps([{"N": 4}]))
    proc = run_script(project_dir, "init.py", "grid.json", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "'N'" in proc.stderr
    assert not (project_dir / "workspace").exists()


def test_grid_file(project_dir):
    (project_dir / "grid.yaml").write_text(
        "fixed: {shape: sphere, N: 16, steps: 200}\ngrid: {epsilon_kT: [0.1, 0.2], seed: [0, 1]}\n"
    )
    init = init_module()
    root = ["--root", str(project_dir)]
    assert init.main([str(project_dir / "grid.yaml"), "--engine", "lammps", *root]) == 0
    project = signac.get_project(project_dir)
    assert sorted((j.sp.epsilon_kT, j.sp.seed) for j in project) == [
        (0.1, 0),
        (0.1, 1),
        (0.2, 0),
        (0.2, 1),
    ]
    assert project.doc["engine"] == "lammps"


def test_malformed_grid_file(project_dir, capsys):
    (project_dir / "grid.yaml").write_text("grid: {epsilon_kT: [0.1,\n")
    init = init_module()
    assert init.main([str(project_dir / "grid.yaml"), "--root", str(project_dir)]) == 2
    assert "cannot be parsed" in capsys.readouterr().err
    assert not (project_dir / "workspace").exists()


def test_second_process_on_same_job_is_refused(project_dir):
    import fcntl

    _, job = make_job(project_dir)
    workflow.initialize(job)
    with open(job.fn(products.RUN_LOCK), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # as a running simulation holds it
        with pytest.raises(simulate.AlreadyRunningError):
            simulate.run(job.path, workflow.model_of(job), get_engine("lammps"), frames=5)
    assert not job.isfile(products.TRAJECTORY_GSD)
