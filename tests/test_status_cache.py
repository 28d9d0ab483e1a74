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
