"""Per-body results of analysed frames, stored once and reused by the pictures.

:func:`analysis.analyze_trajectory` writes, beside ``analysis.json``, a NumPy archive
``analysis.bodies.npz`` (:func:`per_body_path`) with, for every analysed frame ``f``:

==========================  ===========  =====================================================
key                         shape        content
==========================  ===========  =====================================================
``f<f>.particle_index``     ``(N,)``     index of each analysed body in the frame's particles
``f<f>.aggregate_id``       ``(N,)``     aggregate (0 = largest), -1 outside aggregates
``f<f>.solid_bonds``        ``(N, 3)``   solid-like bonds (l = 6, l = 8, averaged l = 6);
                                         -1: not measured (outside the analysis window)
``f<f>.solid``              ``(N,)``     solid-like body (:mod:`analysis.bondorder`)
``f<f>.layer_index``        ``(N,)``     layer of the layered aggregate, -1 outside it
``f<f>.bonds``              ``(M, 2)``   contacts ``i < j`` (body indices)
``f<f>.step``               ``()``       time step
==========================  ===========  =====================================================

plus ``frames`` (the analysed frame indices), ``source_size`` and ``source_mtime_ns`` of the
trajectory it was computed from. A trajectory that changed since (extended, rewritten) makes the
archive stale, and :func:`load_frame` then returns ``None`` so that the caller analyses the frame
itself. The archive is written through a temporary file and :func:`os.replace`.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from mesocrystal.files import atomic_output

#: Fields stored per frame.
FIELDS = ("particle_index", "aggregate_id", "solid_bonds", "solid", "layer_index", "bonds", "step")


def per_body_path(json_path: str | os.PathLike) -> Path:
    """Archive that goes with an ``analysis.json`` (``analysis.bodies.npz``)."""
    p = Path(json_path)
    return p.with_name(p.stem + ".bodies.npz")


def frame_record(per: Any, step: int) -> dict[str, np.ndarray]:
    """Arrays to store for one frame from :class:`analysis.descriptors.PerBody`."""
    net = per.network
    half = net.i < net.j
    return {
        "particle_index": np.asarray(per.system.particle_index, dtype=np.int64),
        "aggregate_id": np.asarray(per.aggregation.aggregate_id, dtype=np.int32),
        "solid_bonds": np.asarray(per.bond_order.solid_bonds, dtype=np.int16),
        "solid": np.asarray(per.bond_order.solid, dtype=bool),
        "layer_index": np.asarray(per.layer_index, dtype=np.int32),
        "bonds": np.column_stack([net.i[half], net.j[half]]).astype(np.int32).reshape(-1, 2),
        "step": np.asarray(int(step), dtype=np.int64),
    }


def _source_signature(gsd_path: str | os.PathLike) -> tuple[int, int]:
    st = os.stat(gsd_path)
    return int(st.st_size), int(st.st_mtime_ns)


def write_per_body(
    out_path: str | os.PathLike, records: dict[int, dict], gsd_path: str | os.PathLike
) -> Path:
    """Write per-frame records atomically.

    Parameters
    ----------
    out_path : str or os.PathLike
        Archive to write.
    records : dict of int to dict
        :func:`frame_record` of each analysed frame, by frame index.
    gsd_path : str or os.PathLike
        Trajectory the records come from (its size and modification time are stored).

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    size, mtime = _source_signature(gsd_path)
    arrays: dict[str, np.ndarray] = {
        "frames": np.array(sorted(records), dtype=np.int64),
        "source_size": np.asarray(size, dtype=np.int64),
        "source_mtime_ns": np.asarray(mtime, dtype=np.int64),
    }
    for f, rec in records.items():
        for name in FIELDS:
            arrays[f"f{f}.{name}"] = rec[name]
    with atomic_output(out) as tmp:
        np.savez(tmp, **arrays)
    return out


def stored_frames(path: str | os.PathLike, gsd_path: str | os.PathLike) -> list[int]:
    """Frame indices stored in a fresh archive (empty if missing, unreadable or stale)."""
    try:
        with np.load(path) as data:
            if (int(data["source_size"]), int(data["source_mtime_ns"])) != _source_signature(
                gsd_path
            ):
                return []
            return [int(f) for f in data["frames"]]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError):
        return []


def load_frame(
    path: str | os.PathLike, gsd_path: str | os.PathLike, frame: int
) -> dict[str, np.ndarray] | None:
    """Stored record of ``frame`` (non-negative index), or None if it is not available.

    None when the archive is missing, truncated or unreadable, was computed from another version
    of the trajectory, or does not hold the frame.
    """
    try:
        with np.load(path) as data:
            if (int(data["source_size"]), int(data["source_mtime_ns"])) != _source_signature(
                gsd_path
            ):
                return None
            if f"f{frame}.step" not in data.files:
                return None
            return {name: np.asarray(data[f"f{frame}.{name}"]) for name in FIELDS}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError):
        return None
