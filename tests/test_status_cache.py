"""What makes ``status`` fast at scale: checkpoint steps kept per file version, conditions
evaluated once per job in read-only commands."""

from __future__ import annotations

import json
import os
import shutil

import signac

from mesocrystal import products, schema, status_snapshot, workflow
from mesocrystal.model.parameters import normalize

SPHERES = {"shape": "sphere", "N": 16, "steps": 400, "randomize_steps": 100}


def test_checkpoint_step_is_kept_per_file_version(tmp_path, monkeypatch):
    project = signac.init_project(tmp_path)
    job = project.open_job(normalize(SPHERES)).init()
    workflow.initialize(job)
    restart = job.fn(products.RESTART_GSD)
    shutil.copy(job.fn(products.INIT_GSD), restart)
    assert schema.last_step(restart) == 0
    steps = workflow._CheckpointSteps()
    assert steps.step(job) == 0
    steps.save()
    cache = tmp_path / products.CHECKPOINT_STEPS_JSON
    entries = json.loads(cache.read_text())
    key = os.path.relpath(restart, tmp_path)
    assert entries[key][2] == 0

    # A new command trusts the cache for this version of the file (no read) ...
    entries[key][2] = 123
    cache.write_text(json.dumps(entries))
    monkeypatch.setattr(schema, "last_step", lambda path: 1 / 0)
    assert workflow._CheckpointSteps().step(job) == 123
    monkeypatch.undo()
    # The total steps of the run are kept beside the step: no state point is read for them.
    steps = workflow._CheckpointSteps()
    assert steps.step_of_run(job) == (123, workflow.required_steps(job))
    steps.save()
    monkeypatch.setattr(workflow, "required_steps", lambda job: 1 / 0)
    assert json.loads(cache.read_text())[key][2:] == [123, 500]  # 100 + 400 steps
    assert workflow._CheckpointSteps().step_of_run(job) == (123, 500)
    monkeypatch.undo()
    # ... and reads the step again once the checkpoint is replaced.
    frame = schema.read_last_frame(restart)
    frame.configuration.step = 300
    schema.write_atomic(restart, frame)
    st = os.stat(restart)
    os.utime(restart, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert workflow._CheckpointSteps().step(job) == 300
    # An unreadable checkpoint counts as none.
    with open(restart, "r+b") as f:
        f.truncate(100)
    assert workflow._CheckpointSteps().step(job) is None


def test_snapshot_evaluates_each_condition_once(tmp_path, monkeypatch):
    project = signac.init_project(tmp_path)
    job = project.open_job(normalize(SPHERES)).init()
    calls = []

    @status_snapshot.snapshot
    def probe(job):
        calls.append(job.id)
        return len(calls)

    assert probe(job) == 1 and probe(job) == 2  # without a snapshot: every call
    monkeypatch.setattr(status_snapshot, "_snapshot", {})  # what take_snapshot() sets up
    assert probe(job) == 3 and probe(job) == 3
    assert calls == [job.id] * 3


def _study_in_every_state(tmp_path):
    """Jobs at every stage a condition tells apart, from files and the job document."""
    import time as _time

    from mesocrystal.visualize import jobs as visuals
    from mesocrystal.visualize import paper_report as report

    project = signac.init_project(tmp_path)
    sps = [normalize({**SPHERES, "seed": seed}) for seed in range(7)]
    jobs = [project.open_job(sp).init() for sp in sps]
    workflow.initialize(jobs[1])
    init_gsd = jobs[1].fn(products.INIT_GSD)
    for job in jobs[2:]:
        shutil.copy(init_gsd, job.fn(products.INIT_GSD))
    # jobs[2]: a checkpoint at step 0 (simulating); jobs[3:]: a finished run.
    shutil.copy(init_gsd, jobs[2].fn(products.RESTART_GSD))
    frame = schema.read_last_frame(init_gsd)
    frame.configuration.step = workflow.required_steps(jobs[3])
    for job in jobs[3:]:
        schema.write_atomic(job.fn(products.RESTART_GSD), frame)
        schema.write_atomic(job.fn(products.TRAJECTORY_GSD), frame)
    _time.sleep(0.01)  # products newer than the trajectory
    for job in jobs[4:]:
        with open(job.fn(products.ANALYSIS_JSON), "w") as f:
            json.dump({"label": "rcp", "confidence": 0.9, "step": 1}, f)
    for job in jobs[5:]:
        workflow.classify(job)
        for name in (*products.RENDER_PRODUCTS, *products.PLOT_PRODUCTS):
            open(job.fn(name), "w").close()
    # jobs[6]: the trajectory was extended after its pictures: they are out of date.
    _time.sleep(0.01)
    schema.write_atomic(jobs[6].fn(products.TRAJECTORY_GSD), frame)
    conditions = {
        "initialized": workflow.initialized,
        "simulated": workflow.simulated,
        "analyzed": workflow.analyzed,
        "classified": workflow.classified,
        "structure": workflow.structure_label,
        "progress": workflow.progress_label,
        "rendered": status_snapshot.snapshot(visuals.rendered),
        "plotted": status_snapshot.snapshot(visuals.plotted),
        "measured": status_snapshot.snapshot(report.measured),
    }
    return project, jobs, conditions


def test_snapshot_reads_agree_with_direct_reads(tmp_path, monkeypatch):
    """In ``status`` the conditions read one listing per job directory and the document file
    directly; they must tell every stage apart exactly as the direct reads of ``run`` do."""
    project, jobs, conditions = _study_in_every_state(tmp_path)
    direct = {name: [f(job) for job in jobs] for name, f in conditions.items()}
    # The study tells its stages apart (otherwise this test could not fail).
    assert direct["initialized"] == [False] + [True] * 6
    assert direct["progress"] == [None, None, "simulating: 0%", None, None, None, None]
    assert direct["simulated"] == [False] * 3 + [True] * 4
    assert direct["analyzed"] == [False] * 4 + [True, True, False]
    assert direct["classified"] == [False] * 5 + [True, True]
    assert direct["structure"] == [None] * 5 + ["rcp", "rcp"]
    assert direct["rendered"] == direct["plotted"] == [False] * 5 + [True, False]
    monkeypatch.setattr(status_snapshot, "_snapshot", {})  # what take_snapshot() sets up
    in_snapshot = {name: [f(job) for job in jobs] for name, f in conditions.items()}
    assert in_snapshot == direct
    # One listing per job, and the document only of jobs that have one.
    assert set(status_snapshot._snapshot[status_snapshot._ENTRIES]) == {j.id for j in jobs}
    documents = status_snapshot._snapshot[status_snapshot._DOCUMENTS]
    assert documents[jobs[0].id] == {} and "model" in documents[jobs[1].id]


def test_init_leaves_the_statepoint_cache(tmp_path):
    """``init.py`` writes signac's state point cache, which ``status`` reads instead of one
    file per job."""
    from conftest import init_module

    assert init_module().main(["--root", str(tmp_path)]) == 0
    project = signac.get_project(tmp_path)
    assert os.path.isfile(project.fn(project.FN_CACHE))
    ids = {job.id for job in project}
    assert len(ids) > 1 and set(project._read_cache()) == ids
