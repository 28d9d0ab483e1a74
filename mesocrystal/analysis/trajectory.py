"""Time series of labels over a trajectory, and the workflow hook.

:func:`classify_trajectory` labels every ``stride``-th frame so that one sees when a crystal
nucleates or an aggregate arrests; :func:`analyze_trajectory` writes the final-frame descriptors
and the time series to a JSON file atomically, for use from workflow operations, and the per-body
results of every analysed frame beside it (:mod:`analysis.perbody`), which the pictures reuse.
"""

from __future__ import annotations

import os
from typing import Any

from mesocrystal.files import write_json_atomic
from mesocrystal.schema import GSDReadError, iter_frames

from . import perbody
from .classify import (
    AGGREGATED_FRACTION,
    DENSE_PACKING,
    LAYER_AMPLITUDE,
    LAYER_SIGNIFICANCE,
    NEMATIC_ORDER,
    SOLID_FRACTION,
    Classification,
    classify,
    classify_frame,
)
from .descriptors import compute_descriptors, to_jsonable

#: Descriptors kept in each row of a time series.
TIMESERIES_FIELDS = (
    "aggregated_fraction",
    "largest_cluster_fraction",
    "solid_fraction",
    "largest_solid_cluster",
    "q6",
    "q6_avg",
    "nematic_order",
    "layer_amplitude",
    "layer_spacing",
    "packing_fraction",
    "mean_coordination",
)

#: Format version of the JSON written by :func:`analyze_trajectory`.
SCHEMA_VERSION = 1


def classify_trajectory(
    path: str | os.PathLike, stride: int = 1, start: int = 0, stop: int | None = None
) -> list[Classification]:
    """Label frames ``start, start + stride, ...`` of a trajectory (always including the last).

    The bond order covers every aggregated body of each frame, also of frames large enough to
    be analysed on a window (see :func:`analysis.compute_descriptors`), so that the largest
    solid-like cluster is found wherever it forms.

    Parameters
    ----------
    path : str or os.PathLike
        HOOMD-schema GSD file.
    stride : int
        Step between analysed frames.
    start, stop : int
        Python-style frame range (negative values count from the end).

    Returns
    -------
    list of Classification
        One entry per analysed frame, in frame order.

    Raises
    ------
    mesocrystal.schema.GSDReadError
        If the file cannot be read.
    """
    return [
        classify_frame(frame, frame_index=i, whole_frame_bond_order=True)
        for i, frame in iter_frames(path, stride, start, stop)
    ]


def timeseries_rows(results: list[Classification]) -> list[dict[str, Any]]:
    """Flat rows (frame, step, label, confidence and :data:`TIMESERIES_FIELDS`) of a series."""
    rows = []
    for c in results:
        row = {
            "frame": c.frame,
            "step": c.step,
            "label": c.label,
            "confidence": c.confidence,
        }
        for name in TIMESERIES_FIELDS:
            row[name] = getattr(c.descriptors, name)
        rows.append(to_jsonable(row))
    return rows


def first_occurrence(results: list[Classification]) -> dict[str, dict[str, int]]:
    """First frame and step at which each label occurs, ``{label: {"frame": i, "step": s}}``."""
    out: dict[str, dict[str, int]] = {}
    for c in results:
        if c.label not in out:
            out[c.label] = {"frame": c.frame, "step": c.step}
    return out


def thresholds() -> dict[str, float]:
    """Decision thresholds in force (see :mod:`analysis.classify`)."""
    return {
        "aggregated_fraction": AGGREGATED_FRACTION,
        "solid_fraction": SOLID_FRACTION,
        "layer_amplitude": LAYER_AMPLITUDE,
        "layer_significance": LAYER_SIGNIFICANCE,
        "nematic_order": NEMATIC_ORDER,
        "dense_packing": DENSE_PACKING,
    }


def analyze_trajectory(
    gsd_path: str | os.PathLike, out_path: str | os.PathLike, stride: int = 10
) -> dict[str, Any]:
    """Label the final frame and a strided time series; write them to a JSON file atomically.

    Parameters
    ----------
    gsd_path : str or os.PathLike
        HOOMD-schema trajectory.
    out_path : str or os.PathLike
        JSON file to write (its directory is created if needed).
    stride : int
        Analyse every ``stride``-th frame (the final frame is always analysed).

    Returns
    -------
    dict
        The written document: ``label``, ``confidence``, ``alternative``, ``margins`` and
        ``descriptors`` of the final frame, plus ``frame``, ``step``, ``timeseries`` (list of
        rows, see :func:`timeseries_rows`), ``first_occurrence``, ``thresholds``, ``source``,
        ``stride`` and ``schema_version``. The per-body results of the analysed frames go to
        :func:`analysis.perbody.per_body_path` of ``out_path``.

    Raises
    ------
    mesocrystal.schema.GSDReadError
        If the trajectory cannot be read (no output file is written).
    """
    results, records = [], {}
    for index, frame in iter_frames(gsd_path, stride):
        desc, per = compute_descriptors(frame, per_body=True, whole_frame_bond_order=True)
        results.append(classify(desc, frame=index))
        records[index] = perbody.frame_record(per, desc.step)
    if not results:
        raise GSDReadError(f"{gsd_path}: no frames to analyse")
    final = results[-1]
    doc = final.to_dict()
    doc.update(
        {
            "schema_version": SCHEMA_VERSION,
            "source": str(gsd_path),
            "stride": stride,
            "timeseries": timeseries_rows(results),
            "first_occurrence": first_occurrence(results),
            "thresholds": thresholds(),
        }
    )
    write_json_atomic(doc, out_path)
    perbody.write_per_body(perbody.per_body_path(out_path), records, gsd_path)
    return doc
