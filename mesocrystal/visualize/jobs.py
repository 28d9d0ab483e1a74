"""What the workflow operations call: products of a job, up-to-date checks, the job's label.

The files are named in :mod:`mesocrystal.products`; a product is up to date when it exists
and is not older than its inputs (:func:`mesocrystal.products.fresh`).

The structure label of a job is read from the job document, key :data:`CLASSIFICATION_KEY`
(``job.doc["classification"]["label"]`` and ``["confidence"]``). Until the classification has
been stored there, the final-frame label of ``analysis.json`` is used and marked as such.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mesocrystal.products import (
    AGGREGATE_PNG,
    ANALYSIS_JSON,
    CLASSIFICATION_KEY,
    MOVIE_GIF,
    PHASE_DIAGRAM_JSON,
    PHASE_DIAGRAM_PNG,
    PLOT_PRODUCTS,
    RDF_PNG,
    RENDER_PRODUCTS,
    STRUCTURE_PNG,
    THERMO_PNG,
    TIMESERIES_PNG,
    TRAJECTORY_GSD,
    fresh,
)


def _read_json(path: str | os.PathLike) -> dict | None:
    try:
        with open(path) as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def job_classification(job, details: bool = False) -> dict[str, Any] | None:
    """The structure label of a job and the evidence behind it.

    Parameters
    ----------
    job : signac.job.Job
        The job.
    details : bool
        Also fill ``descriptors`` and ``first_occurrence`` (and, when the final-frame label of
        ``analysis.json`` is the same label, ``margins``, ``alternative`` and ``confidence``)
        from ``analysis.json`` where the job document does not hold them.

    Returns
    -------
    dict or None
        ``label`` (str), ``confidence`` (float or None) and ``source`` (``"job document"`` or
        ``"analysis.json"``), plus whatever else the source holds; None if the job has no label
        yet.
    """
    stored = job.document().get(CLASSIFICATION_KEY)
    result: dict[str, Any] | None = None
    if isinstance(stored, Mapping) and stored.get("label"):
        result = dict(stored)
        result["source"] = "job document"
    analysis_doc = None
    if result is None or details:
        analysis_doc = _read_json(job.fn(ANALYSIS_JSON)) if job.isfile(ANALYSIS_JSON) else None
    if result is None:
        if not analysis_doc or not analysis_doc.get("label"):
            return None
        result = {
            "label": analysis_doc["label"],
            "confidence": analysis_doc.get("confidence"),
            "source": ANALYSIS_JSON,
        }
    if details and analysis_doc:
        keys = ["descriptors", "first_occurrence"]
        if analysis_doc.get("label") == result["label"]:
            # the tests behind the final-frame label explain this label
            keys += ["confidence", "alternative", "margins"]
        for key in keys:
            if result.get(key) is None and analysis_doc.get(key) is not None:
                result[key] = analysis_doc[key]
    result.setdefault("confidence", None)
    return result


def rendered(job) -> bool:
    """``structure.png`` and ``aggregate.png`` are up to date."""
    return fresh(job, RENDER_PRODUCTS, (TRAJECTORY_GSD,))


def animated(job) -> bool:
    """``trajectory.gif`` is up to date."""
    return fresh(job, (MOVIE_GIF,), (TRAJECTORY_GSD,))


def plotted(job) -> bool:
    """``timeseries.png``, ``thermo.png`` and ``rdf.png`` are up to date."""
    return fresh(job, PLOT_PRODUCTS, (TRAJECTORY_GSD, ANALYSIS_JSON))


def describe_statepoint(sp: Mapping[str, Any]) -> str:
    """Short heading of a state point, e.g. ``"toluene, 45 °C"`` or
    ``"platelets, ε = 0.05 kT, φ = 0.05"``."""
    if sp.get("solvent") is not None:
        text = f"{sp['solvent']}, {float(sp.get('temperature_C', 25.0)):g} °C"
        if float(sp.get("concentration", 1.0)) != 1.0:
            text += f", c = {float(sp['concentration']):g}"
    else:
        text = f"{sp.get('shape', 'sphere')}s"
        if sp.get("epsilon_kT") is not None:
            text += f", ε = {float(sp['epsilon_kT']):g} kT"
        if sp.get("packing_fraction") is not None:
            text += f", φ = {float(sp['packing_fraction']):g}"
        if float(sp.get("polydispersity", 0.0) or 0.0) > 0:
            text += f", CV = {float(sp['polydispersity']):g}"
    if sp.get("patchy"):
        text += ", patchy"
    if "N" in sp:
        text += f", N = {sp['N']}"
    if int(sp.get("seed", 0) or 0):
        text += f", seed {sp['seed']}"
    return text


def _time_info(job) -> dict[str, Any]:
    sp = job.cached_statepoint
    model = job.doc.get("model") or {}
    pair = model.get("pair") or {}
    return {
        "dt": float(sp["dt"]) if "dt" in sp else None,
        "randomize_steps": int(sp["randomize_steps"]) if "randomize_steps" in sp else None,
        "seconds_per_tau": model.get("seconds_per_tau"),
        "contact_nm": pair.get("contact_distance_nm"),
    }


def _per_body(job) -> str | None:
    """Per-body archive written with ``analysis.json`` (reused instead of analysing again)."""
    from mesocrystal.analysis.perbody import per_body_path

    path = per_body_path(job.fn(ANALYSIS_JSON))
    return str(path) if path.exists() else None


def render(job) -> None:
    """Draw ``structure.png`` and ``aggregate.png`` from the last frame of the trajectory."""
    from .render import render_final_frame

    render_final_frame(
        job.fn(TRAJECTORY_GSD),
        job.fn(STRUCTURE_PNG),
        job.fn(AGGREGATE_PNG),
        dt=_time_info(job)["dt"],
        title=describe_statepoint(job.cached_statepoint),
        per_body=_per_body(job),
    )


def animate(job, max_frames: int = 20) -> None:
    """Write ``trajectory.gif``, at most ``max_frames`` frames of the trajectory."""
    from .movie import render_movie

    render_movie(
        job.fn(TRAJECTORY_GSD),
        job.fn(MOVIE_GIF),
        max_frames=max_frames,
        dt=_time_info(job)["dt"],
        per_body=_per_body(job),
    )


def plot(job) -> None:
    """Draw ``timeseries.png``, ``thermo.png`` and ``rdf.png``."""
    from . import plots

    info = _time_info(job)
    heading = describe_statepoint(job.cached_statepoint)
    plots.plot_timeseries(
        job.fn(ANALYSIS_JSON),
        job.fn(TIMESERIES_PNG),
        dt=info["dt"],
        randomize_steps=info["randomize_steps"],
        seconds_per_tau=info["seconds_per_tau"],
        title=heading,
    )
    plots.plot_thermo(
        job.fn(TRAJECTORY_GSD),
        job.fn(THERMO_PNG),
        dt=info["dt"],
        seconds_per_tau=info["seconds_per_tau"],
        title=heading,
    )
    plots.plot_rdf(job.fn(TRAJECTORY_GSD), job.fn(RDF_PNG), contact_nm=info["contact_nm"])


def _project_root(jobs: Sequence) -> Path:
    return Path(jobs[0].project.path)


def phase_diagram_inputs(jobs: Sequence) -> list[dict[str, Any]]:
    """State point, id, label, confidence and predicted regime of each job (for the diagram)."""
    rows = []
    for job in jobs:
        c = job_classification(job)
        pair = (job.doc.get("model") or {}).get("pair") or {}
        rows.append(
            {
                "id": job.id,
                "statepoint": dict(job.cached_statepoint),
                "label": c["label"] if c else None,
                "confidence": c.get("confidence") if c else None,
                "regime": pair.get("regime"),
            }
        )
    return rows


def any_labelled(*jobs) -> bool:
    """At least one of the jobs has a structure label."""
    return any(job_classification(job) is not None for job in jobs)


def _axes_request(jobs: Sequence) -> dict[str, Any]:
    project = jobs[0].project
    request = project.doc.get("phase_diagram") or {}
    return {k: request.get(k) for k in ("x", "y")}


def phase_diagram_current(*jobs) -> bool:
    """``phase_diagram.png`` and ``.json`` exist and were drawn from the jobs' present labels."""
    from .phase_diagram import fingerprint

    root = _project_root(jobs)
    data = _read_json(root / PHASE_DIAGRAM_JSON)
    if data is None or not (root / PHASE_DIAGRAM_PNG).is_file():
        return False
    return data.get("fingerprint") == fingerprint(phase_diagram_inputs(jobs), _axes_request(jobs))


def phase_diagram(*jobs) -> dict[str, Any]:
    """Draw ``phase_diagram.png`` and write ``phase_diagram.json`` in the project directory.

    The two axes are chosen automatically (:func:`mesocrystal.visualize.phase_diagram.choose_axes`)
    unless the project document names them: ``project.doc["phase_diagram"] = {"x": key, "y": key}``.
    """
    from .phase_diagram import write_phase_diagram

    root = _project_root(jobs)
    request = _axes_request(jobs)
    return write_phase_diagram(
        phase_diagram_inputs(jobs),
        root / PHASE_DIAGRAM_PNG,
        root / PHASE_DIAGRAM_JSON,
        x=request["x"],
        y=request["y"],
    )
