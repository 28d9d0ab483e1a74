"""Atomic file output and the up-to-date rule of the products (mesocrystal.files, .products)."""

from __future__ import annotations

import os
import time

import pytest

from mesocrystal import products, workflow
from mesocrystal.files import atomic_output, write_json_atomic


def test_atomic_output_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")
    with atomic_output(path) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".json" and tmp != path
        tmp.write_text("new")
        assert path.read_text() == "old"  # readers see the old file until the block ends
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_atomic_output_keeps_the_old_file_when_the_writer_fails(tmp_path):
    path = tmp_path / "out.png"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(path) as tmp:
        tmp.write_text("half a pict")
        raise RuntimeError("killed")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_write_json_atomic_creates_the_directory(tmp_path):
    out = write_json_atomic({"a": 1}, tmp_path / "sub" / "x.json")
    assert out.read_text() == '{\n  "a": 1\n}\n'


class _Job:
    def __init__(self, path):
        self.path, self.id = str(path), "0" * 32

    def fn(self, name):
        return os.path.join(self.path, name)


def test_analyzed_means_not_older_than_the_trajectory(tmp_path):
    job = _Job(tmp_path)
    assert not workflow.analyzed(job)
    (tmp_path / products.TRAJECTORY_GSD).write_bytes(b"frames")
    (tmp_path / products.ANALYSIS_JSON).write_text("{}")
    assert workflow.analyzed(job)
    later = time.time() + 10
    os.utime(tmp_path / products.TRAJECTORY_GSD, (later, later))  # the run was extended
    assert not workflow.analyzed(job)
