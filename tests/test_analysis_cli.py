"""GSD reading, command line, time series and the workflow hook of the analysis package."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import _references as refs
import gsd.hoomd
import numpy as np
import pytest

from mesocrystal import analysis
from mesocrystal.analysis import (
    GSDReadError,
    analyze_trajectory,
    classify_file,
    classify_trajectory,
)
from mesocrystal.analysis.cli import main

REPO = Path(__file__).resolve().parents[1]


def _write(path: Path, frames) -> Path:
    with gsd.hoomd.open(str(path), "w") as traj:
        for step, frame in enumerate(frames):
            frame.configuration.step = 1000 * step
            traj.append(frame)
    return path


@pytest.fixture(scope="module")
def nucleation_gsd(tmp_path_factory) -> Path:
    """Three frames: a dilute fluid, a crystal in its vapour, a box-filling crystal."""
    box, pos = refs.random_fluid(500, 0.05, seed=2)
    fluid = refs.make_frame(box, pos, refs.SPHERE_D, type_shapes=refs.sphere_shapes())
    box, pos = refs.crystal_positions("fcc", 6)
    ball = refs.sphere_aggregate_in_vapour(box, pos, 0.45 * box.Lx)
    solid = refs.crystal("fcc", 5)
    return _write(tmp_path_factory.mktemp("traj") / "trajectory.gsd", [fluid, ball, solid])


def _cli(*args: str) -> subprocess.CompletedProcess:
    """``python -m analysis ARGS`` in a new process, its output piped and block-buffered."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env.pop("PYTHONUNBUFFERED", None)  # output must arrive whole without it
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )


# ------------------------------------------------------------------------------ Python API


def test_classify_file_last_and_first_frame(nucleation_gsd):
    last = classify_file(nucleation_gsd)
    assert (last.label, last.frame, last.step) == ("crystalline", 2, 2000)
    first = classify_file(nucleation_gsd, frame=0)
    assert (first.label, first.frame) == ("dispersed", 0)
    doc = json.loads(json.dumps(last.to_dict(), allow_nan=False))
    assert doc["label"] == "crystalline"
    assert set(doc["margins"]) >= {"aggregated", "crystalline", "layered", "dense"}
    assert doc["descriptors"]["solid_fraction"] == pytest.approx(1.0)


def test_classify_trajectory_shows_when_the_crystal_appears(nucleation_gsd):
    results = classify_trajectory(nucleation_gsd)
    assert [r.label for r in results] == ["dispersed", "crystalline", "crystalline"]
    assert [r.frame for r in results] == [0, 1, 2]
    assert analysis.first_occurrence(results)["crystalline"] == {"frame": 1, "step": 1000}
    rows = analysis.timeseries_rows(results)
    assert rows[0]["aggregated_fraction"] == 0.0 and rows[0]["solid_fraction"] is None
    assert rows[1]["largest_solid_cluster"] > 300
    assert [r.frame for r in classify_trajectory(nucleation_gsd, stride=2)] == [0, 2]


def test_analyze_trajectory_writes_json_atomically(nucleation_gsd, tmp_path):
    out = tmp_path / "sub" / "analysis.json"
    doc = analyze_trajectory(nucleation_gsd, out, stride=2)
    assert doc["label"] == "crystalline" and 0.0 <= doc["confidence"] <= 1.0
    assert doc["descriptors"]["n_bodies"] == 500
    on_disk = json.loads(out.read_text())
    assert on_disk == json.loads(json.dumps(doc))
    assert [row["frame"] for row in on_disk["timeseries"]] == [0, 2]
    assert on_disk["first_occurrence"]["dispersed"]["frame"] == 0
    assert on_disk["thresholds"]["solid_fraction"] == 0.5
    # no temporary files left; the per-body results of the analysed frames beside the JSON
    assert sorted(p.name for p in out.parent.iterdir()) == ["analysis.bodies.npz", "analysis.json"]


@pytest.mark.slow
def test_per_body_results_are_stored_and_reused(nucleation_gsd, tmp_path, monkeypatch):
    import shutil

    from mesocrystal.analysis import perbody
    from mesocrystal.visualize import movie, render, scene

    gsd_path = shutil.copy(nucleation_gsd, tmp_path / "trajectory.gsd")
    out = tmp_path / "analysis.json"
    analyze_trajectory(gsd_path, out, stride=2)
    npz = perbody.per_body_path(out)
    assert perbody.stored_frames(npz, gsd_path) == [0, 2]
    stored = perbody.load_frame(npz, gsd_path, 2)
    _, frame = analysis.read_frame(gsd_path, 2)
    desc, per = analysis.compute_descriptors(frame, per_body=True)
    fresh = perbody.frame_record(per, desc.step)
    for name in perbody.FIELDS:
        np.testing.assert_array_equal(stored[name], fresh[name], err_msg=name)
    assert perbody.load_frame(npz, gsd_path, 1) is None  # not analysed
    # box-filling FCC: one aggregate, every body solid-like, layers along (111)
    assert np.all(stored["aggregate_id"] == 0) and np.all(stored["solid"])
    assert stored["layer_index"].min() == 0 and stored["layer_index"].max() >= 5

    # the pictures use the stored results instead of analysing the frame again
    def no_analysis(*args, **kwargs):
        raise AssertionError("frame analysed again")

    monkeypatch.setattr(analysis, "compute_descriptors", no_analysis)
    bodies = scene.bodies_from_frame(frame)
    member = scene.membership(frame, bodies, stored)
    assert member.n_aggregates == 1 and len(member.bonds) == np.count_nonzero(
        per.network.i < per.network.j
    )
    render.render_final_frame(gsd_path, tmp_path / "s.png", tmp_path / "a.png", per_body=npz)
    movie.render_movie(gsd_path, tmp_path / "m.gif", per_body=npz)
    monkeypatch.undo()

    # a changed trajectory makes the archive stale; a truncated archive is ignored
    with gsd.hoomd.open(str(gsd_path), "a") as traj:
        traj.append(frame)
    assert perbody.load_frame(npz, gsd_path, 2) is None
    analyze_trajectory(gsd_path, out, stride=2)
    assert perbody.load_frame(npz, gsd_path, 2) is not None
    npz.write_bytes(npz.read_bytes()[:200])
    assert perbody.load_frame(npz, gsd_path, 2) is None
    assert perbody.stored_frames(npz, gsd_path) == []


def test_analyze_trajectory_failure_leaves_previous_output(tmp_path):
    bad = tmp_path / "trajectory.gsd"
    bad.write_text("not a gsd file\n")
    out = tmp_path / "analysis.json"
    out.write_text('{"label": "old"}')
    with pytest.raises(GSDReadError):
        analyze_trajectory(bad, out)
    assert json.loads(out.read_text()) == {"label": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analysis.json", "trajectory.gsd"]


def test_write_json_atomic_rejects_nan_and_cleans_up(tmp_path):
    out = tmp_path / "x.json"
    with pytest.raises(ValueError):
        analysis.write_json_atomic({"x": math.nan}, out)
    assert list(tmp_path.iterdir()) == []


def test_frame_out_of_range(nucleation_gsd):
    with pytest.raises(GSDReadError, match="out of range"):
        classify_file(nucleation_gsd, frame=3)
    assert classify_file(nucleation_gsd, frame=-3).frame == 0


def test_gsd_without_frames(tmp_path):
    path = tmp_path / "empty_traj.gsd"
    with gsd.hoomd.open(str(path), "w"):
        pass
    with pytest.raises(GSDReadError, match="no frames"):
        analysis.frame_count(path)


# ------------------------------------------------------------------------------ command line


def test_cli_classify_table(nucleation_gsd, capsys):
    assert main(["classify", str(nucleation_gsd)]) == 0
    out = capsys.readouterr().out
    assert "label       crystalline" in out
    assert "solid-like fraction" in out and "q6 averaged" in out


def test_cli_classify_json(nucleation_gsd, capsys):
    assert main(["classify", str(nucleation_gsd), "--frame", "0", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["label"] == "dispersed" and doc["frame"] == 0
    assert doc["descriptors"]["aggregated_fraction"] == 0.0


def test_cli_timeseries_formats(nucleation_gsd, capsys):
    assert main(["timeseries", str(nucleation_gsd), "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["label"] for r in rows] == ["dispersed", "crystalline", "crystalline"]
    assert rows[2]["step"] == "2000"
    assert main(["timeseries", str(nucleation_gsd), "--json", "--stride", "2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["frame"] for r in doc["timeseries"]] == [0, 2]
    assert main(["timeseries", str(nucleation_gsd)]) == 0
    table = capsys.readouterr().out
    assert "first frame of each label: dispersed 0 (step 0), crystalline 1 (step 1000)" in table


def _bad_files(tmp_path: Path, good: Path) -> dict:
    data = good.read_bytes()
    files = {
        "missing": tmp_path / "missing.gsd",
        "empty": tmp_path / "empty.gsd",
        "truncated": tmp_path / "truncated.gsd",
        "text": tmp_path / "notes.gsd",
        "directory": tmp_path,
    }
    files["empty"].write_bytes(b"")
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["text"].write_text("step,energy\n0,1.0\n")
    return files


@pytest.mark.parametrize("kind", ["missing", "empty", "truncated", "text", "directory"])
def test_cli_rejects_unreadable_files_in_process(kind, nucleation_gsd, tmp_path, capsys):
    path = _bad_files(tmp_path, nucleation_gsd)[kind]
    assert main(["classify", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(path) in err
    assert main(["timeseries", str(path)]) == 1


@pytest.mark.slow
def test_cli_process_exit_status_and_no_traceback(nucleation_gsd, tmp_path):
    files = _bad_files(tmp_path, nucleation_gsd)
    for kind in ("missing", "empty", "truncated", "text"):
        proc = _cli("classify", str(files[kind]))
        assert proc.returncode == 1, kind
        assert proc.stdout == "", kind
        assert proc.stderr.startswith("error: "), kind
        assert "Traceback" not in proc.stderr, kind
    proc = _cli("classify", str(nucleation_gsd), "--frame", "7")
    assert proc.returncode == 1 and "out of range" in proc.stderr
    proc = _cli("classify", str(nucleation_gsd), "--json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["label"] == "crystalline"


def test_cli_usage_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["timeseries", "x.gsd", "--stride", "0"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main([])
    capsys.readouterr()


def test_unanalysable_frame_is_reported(tmp_path, capsys):
    frame = refs.crystal("sc", 3)
    frame.configuration.dimensions = 2
    path = _write(tmp_path / "flat.gsd", [frame])
    assert main(["classify", str(path)]) == 1
    assert "3-D" in capsys.readouterr().err
