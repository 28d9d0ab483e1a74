"""The reproduction report: every condition of the paper's study beside the paper's numbers.

Jobs whose state points name a microenvironment (``solvent``, ``temperature_C``,
``concentration``; ``stage`` ``"nanoparticles"`` when absent) are grouped into *conditions*
over their replicas (seeds). For each condition the report gives

* the structure labels of the replicas (``job.doc["classification"]``);
* the mesocrystal size, principal extents and shape of the largest aggregate, the size of the
  largest crystallite and the AFM-like RMS roughness of the largest aggregate, as mean and
  standard error over replicas (:func:`mesocrystal.analysis.morphology.measure_frame`, stored per
  job in ``morphology.json`` by :func:`measure`);
* the time to 50 % conversion of the reaction (``job.doc["reaction"]``, else the
  ``log/mesocrystal/conversion`` of the trajectory; null when the run has no reaction) and the
  time to the first crystalline aggregate (first frame of ``analysis.json`` whose largest
  crystallite holds :data:`mesocrystal.analysis.morphology.MIN_CRYSTAL_BODIES` bodies);
* the paper's observations for that condition (:data:`PAPER`);

and lists the coefficients of :mod:`mesocrystal.model.conditions` that were calibrated, with
what they were fitted to (:func:`calibrated_coefficients`). Products, at the project root:
``paper_report.json`` (:data:`REPORT_JSON`), ``paper_report.md`` (tables and the pictures of a
representative replica of each condition) and ``paper_report.png`` (labels, sizes, roughness and
times per condition). See ``docs/report.md`` for the measures and their sources.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import math
import os
import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mesocrystal.files import atomic_output, save_figure, write_json_atomic
from mesocrystal.products import (
    AFM_PNG,
    ANALYSIS_JSON,
    CLASSIFICATION_KEY,
    MEASURE_PRODUCTS,
    MORPHOLOGY_JSON,
    REPORT_JSON,
    REPORT_MD,
    REPORT_PNG,
    STRUCTURE_PNG,
    TRAJECTORY_GSD,
    fresh,
)
from mesocrystal.status_snapshot import job_document

from . import style
from .jobs import _read_json, job_classification
from .phase_diagram import REPLICA_KEYS
from .replicas import mean_error
from .stacks import STACKS_JSON, STACKS_PNG, combine_stacking, stacking_row

#: Format version of ``paper_report.json``.
SCHEMA_VERSION = 1

#: State-point keys that define a condition (replicas differ in ``seed`` only).
CONDITION_KEYS = ("stage", "solvent", "temperature_C", "concentration")

#: Stage of state points without a ``stage`` field.
DEFAULT_STAGE = "nanoparticles"

#: Observations of Bose et al., Nanoscale 17, 803 (2025) (main text, Figs. 2, 4, 5, S7, S11),
#: keyed by (solvent, temperature_C, concentration); they apply to both stages. ``labels``
#: lists the structure labels that match the observed product (a comparison, never an input).
PAPER: dict[tuple, dict[str, Any]] = {
    ("toluene", 45.0, 1.0): {
        "outcome": "cuboidal mesocrystals: platelet-like nanocrystals (~50 nm x 50 nm) stacked "
        "layer by layer; flat facets, steep edges",
        "labels": ["crystalline", "layered"],
        "time_days": 100.0,
        "time_note": "~100 days to full precipitation (45 °C, 250 rpm)",
        "afm_rms_nm": 6.24,
        "afm_height_um": 0.98,
        "size_um": [48.0, 50.0],
        "source": "main text and Fig. 2B (FESEM, AFM); Fig. S7 (AFM)",
    },
    ("toluene", 45.0, 0.1): {
        "outcome": "smaller cuboidal mesocrystals of the same morphology (ten-fold dilution)",
        "labels": ["crystalline", "layered"],
        "time_days": 11.0,
        "time_note": "light scattering (Tyndall) after 1 day, precipitation over the next "
        "10 days (DLS series at ten-fold dilution)",
        "afm_rms_nm": None,
        "afm_height_um": None,
        "size_um": None,
        "source": "Fig. 4A-D (DLS, Tyndall effect, absorption; FESEM, TEM)",
    },
    ("dichloromethane", 25.0, 1.0): {
        "outcome": "random close-packed mesostructures of the original particles; rough surface",
        "labels": ["rcp"],
        "time_days": 50.0,
        "time_note": "~50 days to complete precipitation (room temperature, 250 rpm)",
        "afm_rms_nm": 22.05,
        "afm_height_um": 3.19,
        "size_um": None,
        "source": "main text and Fig. 5B (FESEM, TEM, AFM); Fig. S11 (AFM)",
    },
    ("toluene", 25.0, 1.0): {
        "outcome": "nearly no change (no assembly observed)",
        "labels": ["dispersed"],
        "time_days": None,
        "time_note": "no assembly within the observation",
        "afm_rms_nm": None,
        "afm_height_um": None,
        "size_um": None,
        "source": "main text (results on the temperature dependence)",
    },
}


# -- per job ------------------------------------------------------------------------------------
def measured(job) -> bool:
    """``morphology.json`` and ``afm.png`` exist and are not older than the trajectory."""
    return fresh(job, MEASURE_PRODUCTS, (TRAJECTORY_GSD,))


def measure(job) -> dict[str, Any]:
    """Measure the final frame (``morphology.json``) and draw its height maps (``afm.png``);
    platelet-stage jobs also get their stacks analysed (``stacks.json``, ``stacks.png``)."""
    from mesocrystal.analysis.morphology import measure_file

    from .afm import plot_height_maps
    from .jobs import describe_statepoint
    from .stacks import applies, measure_stacks

    if applies(job.cached_statepoint):
        measure_stacks(job)
    result = measure_file(job.fn(TRAJECTORY_GSD), job.fn(MORPHOLOGY_JSON), with_maps=True)
    plot_height_maps(
        result.pop("_scan"), job.fn(AFM_PNG), title=describe_statepoint(job.cached_statepoint)
    )
    return result


def condition_of(statepoint: Mapping[str, Any]) -> dict[str, Any] | None:
    """The condition of a state point, or None when it does not name a microenvironment."""
    if statepoint.get("solvent") is None:
        return None
    return {
        "stage": str(statepoint.get("stage") or DEFAULT_STAGE),
        "solvent": str(statepoint["solvent"]),
        "temperature_C": float(statepoint.get("temperature_C", 25.0)),
        "concentration": float(statepoint.get("concentration", 1.0)),
    }


def _tau(step: int | None, statepoint: Mapping[str, Any]) -> float | None:
    """Assembly time (tau) of a time step: after the randomisation stage, times ``dt``."""
    if step is None or "dt" not in statepoint:
        return None
    start = int(statepoint.get("randomize_steps", 0) or 0)
    return max(int(step) - start, 0) * float(statepoint["dt"])


def _crossing(series: Any) -> float | None:
    """First time at which a ``[[time, fraction], ...]`` series reaches 0.5 (linear
    interpolation), None if it never does."""
    if not isinstance(series, Sequence) or len(series) < 2:
        return None
    data = np.asarray(series, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] < 2:
        return None
    t, f = data[:, 0], data[:, 1]
    above = np.flatnonzero(f >= 0.5)
    if len(above) == 0:
        return None
    k = int(above[0])
    if k == 0 or f[k] == f[k - 1]:
        return float(t[k])
    return float(t[k - 1] + (0.5 - f[k - 1]) * (t[k] - t[k - 1]) / (f[k] - f[k - 1]))


def half_conversion(reaction: Mapping[str, Any] | None) -> dict[str, Any]:
    """Time to 50 % conversion from a reaction record (``job.doc["reaction"]``).

    The measured time is the first crossing of 0.5 by the ``conversion`` series
    (``[[time_tau, fraction], ...]``, linear interpolation); without a crossing, the record's
    ``half_time_tau`` (from the rate constant) stands in. Days follow from the reaction clock
    (:func:`days_per_tau`), or are the record's ``half_time_days``.

    Returns
    -------
    dict
        ``tau`` and ``days`` (None if unknown) and ``source`` (``"conversion"``, ``"rate"`` or
        None).
    """
    out: dict[str, Any] = {"tau": None, "days": None, "source": None}
    if not isinstance(reaction, Mapping):
        return out
    measured = _crossing(reaction.get("conversion"))
    scale = days_per_tau(reaction)
    if measured is not None:
        out.update(tau=measured, source="conversion")
        if scale is not None:
            out["days"] = measured * scale
    elif reaction.get("half_time_tau") is not None:
        out.update(tau=float(reaction["half_time_tau"]), source="rate")
    if out["days"] is None and reaction.get("half_time_days") is not None:
        out["days"] = float(reaction["half_time_days"])
    return out


def conversion_from_log(gsd_path, statepoint: Mapping[str, Any]) -> list[list[float]] | None:
    """``[[time_tau, fraction], ...]`` from the ``log/mesocrystal/conversion`` of a trajectory.

    Times are ``log/mesocrystal/reaction_time_tau`` when logged, else assembly times
    ``(step - randomize_steps) * dt``; None when the file, the log or ``dt`` is missing or
    unreadable.
    """
    from mesocrystal.schema import read_log

    if "dt" not in statepoint or not os.path.isfile(gsd_path):
        return None
    try:
        logs = read_log(gsd_path)
    except (RuntimeError, OSError, KeyError, ValueError):
        return None
    values = logs.get("conversion")
    if values is None:
        return None
    keep = np.isfinite(values)
    if "reaction_time_tau" in logs:
        # the run's own reaction clock
        times = [float(t) for t in logs["reaction_time_tau"][keep]]
    else:
        times = [_tau(int(step), statepoint) for step in logs["step"][keep]]
    return [[float(t), float(f)] for t, f in zip(times, values[keep])]


def days_per_tau(reaction: Mapping[str, Any] | None) -> float | None:
    """Physical days per simulated tau on the reaction's clock: ``1 / tau_per_day`` when the
    record has it, else ``half_time_days`` over ``half_time_tau`` (or over the measured
    half-conversion time); None when unknown."""
    if not isinstance(reaction, Mapping):
        return None
    if reaction.get("tau_per_day"):
        return 1.0 / float(reaction["tau_per_day"])
    days = reaction.get("half_time_days")
    tau = reaction.get("half_time_tau") or _crossing(reaction.get("conversion"))
    if days is None or not tau:
        return None
    return float(days) / float(tau)


def _plain(value: Any) -> Any:
    """Plain dicts and lists from the synced collections of a signac document."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    return value


def job_row(job, root: Path | None = None) -> dict[str, Any]:
    """Everything the report needs from one job (label, measures, times, pictures)."""
    from mesocrystal.analysis.morphology import first_crystal

    sp = job.cached_statepoint
    classification = job_classification(job)
    measures = _read_json(job.fn(MORPHOLOGY_JSON)) if job.isfile(MORPHOLOGY_JSON) else None
    analysis_doc = _read_json(job.fn(ANALYSIS_JSON)) if job.isfile(ANALYSIS_JSON) else None
    reaction = _plain(job.doc.get("reaction"))
    reaction = reaction if isinstance(reaction, dict) else None
    if not (reaction and (reaction.get("half_time_tau") or reaction.get("conversion"))):
        # no reaction record in the job document: the per-frame log of the trajectory
        series = conversion_from_log(job.fn(TRAJECTORY_GSD), sp)
        if series:
            reaction = {**(reaction or {}), "conversion": series}
    crystal = first_crystal(analysis_doc.get("timeseries") or []) if analysis_doc else None
    first_tau = _tau(crystal["step"], sp) if crystal else None
    scale = days_per_tau(reaction)
    meso = (measures or {}).get("mesocrystal") or {}
    cryst = (measures or {}).get("crystallite") or {}
    rough = (measures or {}).get("roughness") or {}
    root = Path(root) if root is not None else Path(job.project.path)
    pictures = {}
    for key, name in (("structure", STRUCTURE_PNG), ("afm", AFM_PNG), ("stacks", STACKS_PNG)):
        if job.isfile(name):
            pictures[key] = os.path.relpath(job.fn(name), root)
    return {
        "id": job.id,
        "seed": sp.get("seed"),
        "condition": condition_of(sp),
        "statepoint": {k: _plain(v) for k, v in sp.items() if k not in REPLICA_KEYS},
        "label": classification["label"] if classification else None,
        "confidence": classification.get("confidence") if classification else None,
        "measured": measures is not None,
        "mesocrystal_size_nm": meso.get("size_nm") if meso.get("n_bodies") else None,
        "mesocrystal_extents_nm": meso.get("extents_nm") if meso.get("n_bodies") else None,
        "mesocrystal_bodies": meso.get("n_bodies"),
        "mesocrystal_shape": meso.get("shape") if meso.get("n_bodies") else None,
        "percolating": meso.get("percolating"),
        "crystallite_size_nm": cryst.get("size_nm") if measures else None,
        "crystallite_bodies": cryst.get("n_bodies") if measures else None,
        "roughness_nm": rough.get("sq_nm"),
        "roughness_reliable": rough.get("reliable"),
        "time_to_half_conversion": half_conversion(reaction),
        "time_to_first_crystal_tau": first_tau,
        "time_to_first_crystal_days": first_tau * scale
        if first_tau is not None and scale
        else None,
        "pictures": pictures,
        "stacking": stacking_row(job),
    }


# -- conditions ---------------------------------------------------------------------------------
def _counts(values: Sequence[str | None], order=None) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        if v is not None:
            out[v] = out.get(v, 0) + 1
    key = order or (lambda k: k)
    return dict(sorted(out.items(), key=lambda kv: key(kv[0])))


def paper_values(condition: Mapping[str, Any]) -> dict[str, Any] | None:
    """The paper's observations for a condition (:data:`PAPER`), or None."""
    key = (
        condition["solvent"],
        round(float(condition["temperature_C"]), 6),
        round(float(condition["concentration"]), 6),
    )
    entry = PAPER.get(key)
    return dict(entry) if entry else None


def _representative(rows: list[dict[str, Any]], majority: str | None) -> dict[str, Any] | None:
    """The replica with the majority label whose mesocrystal size is closest to the median."""
    pool = [r for r in rows if r["label"] == majority] or rows
    sizes = [r["mesocrystal_size_nm"] for r in pool if r["mesocrystal_size_nm"] is not None]
    if not sizes:
        return pool[0] if pool else None
    median = float(np.median(sizes))
    return min(
        pool,
        key=lambda r: (
            abs(r["mesocrystal_size_nm"] - median)
            if r["mesocrystal_size_nm"] is not None
            else math.inf
        ),
    )


def combine(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Group job rows (:func:`job_row`) into conditions; mean and standard error per measure.

    Returns
    -------
    list of dict
        One entry per condition, sorted by stage, solvent, temperature and concentration, in
        the schema of ``paper_report.json`` (see ``docs/report.md``).
    """
    groups: dict[str, list] = {}
    for row in rows:
        if row["condition"] is None:
            continue
        # every state-point key but the seed tells conditions apart (e.g. coefficient
        # overrides of a sensitivity study); the variant names those beyond the four fields
        whole = row.get("statepoint") or row["condition"]
        groups.setdefault(json.dumps(whole, sort_keys=True, default=str), []).append(dict(row))
    out = []
    for members in groups.values():
        members.sort(key=lambda r: (r["seed"] is None, r["seed"] or 0, r["id"]))
        cond = members[0]["condition"]
        labels = _counts([r["label"] for r in members], style.label_sort_key)
        majority = max(labels, key=lambda k: (labels[k], -style.label_sort_key(k)[0]), default=None)
        shapes = _counts([r["mesocrystal_shape"] for r in members])
        entry: dict[str, Any] = dict(cond)
        entry["variant"] = {}
        entry.update(
            {
                "replicas": len(members),
                "labelled": sum(labels.values()),
                "labels": labels,
                "majority_label": majority,
                "mesocrystal_shape": max(shapes, key=shapes.get) if shapes else None,
                "mesocrystal_shapes": shapes,
                "percolating_replicas": sum(bool(r["percolating"]) for r in members),
            }
        )
        for name in ("mesocrystal_size_nm", "roughness_nm", "crystallite_size_nm"):
            mean, err, n = mean_error([r[name] for r in members])
            entry[name] = mean
            entry[f"{name}_error"] = err
        extents = [r["mesocrystal_extents_nm"] for r in members if r["mesocrystal_extents_nm"]]
        entry["mesocrystal_extents_nm"] = (
            [float(x) for x in np.mean(np.asarray(extents, dtype=float), axis=0)]
            if extents
            else None
        )
        entry["roughness_reliable_replicas"] = sum(r["roughness_reliable"] is True for r in members)
        for unit in ("tau", "days"):
            mean, err, _ = mean_error([r["time_to_half_conversion"][unit] for r in members])
            entry[f"time_to_half_conversion_{unit}"] = mean
            entry[f"time_to_half_conversion_{unit}_error"] = err
        entry["time_to_half_conversion_source"] = sorted(
            {r["time_to_half_conversion"]["source"] for r in members} - {None}
        )
        for unit in ("tau", "days"):
            mean, err, n = mean_error([r[f"time_to_first_crystal_{unit}"] for r in members])
            entry[f"time_to_first_crystal_{unit}"] = mean
            entry[f"time_to_first_crystal_{unit}_error"] = err
        entry["replicas_with_crystal"] = sum(
            r["time_to_first_crystal_tau"] is not None for r in members
        )
        stacking = combine_stacking([r.get("stacking") for r in members])
        if stacking is not None:
            entry["stacking"] = stacking
        paper = paper_values(cond)
        if paper is not None:
            labelled = entry["labelled"]
            agree = sum(labels.get(x, 0) for x in paper["labels"])
            paper["replicas_matching"] = f"{agree}/{labelled}" if labelled else None
        entry["paper"] = paper
        rep = _representative(members, majority)
        entry["representative"] = rep["id"] if rep else None
        entry["pictures"] = dict(rep["pictures"]) if rep else {}
        entry["jobs"] = [r["id"] for r in members]
        entry["_statepoint"] = members[0].get("statepoint") or dict(cond)
        out.append(entry)
    _name_variants(out)
    known = list(PAPER)

    def rank(e: dict) -> tuple:
        key = (e["solvent"], e["temperature_C"], e["concentration"])
        place = known.index(key) if key in known else len(known)
        return (e["stage"] != DEFAULT_STAGE, e["stage"], place, key)

    out.sort(key=rank)
    return out


def _name_variants(entries: list[dict[str, Any]]) -> None:
    """Fill ``variant`` of conditions that share stage, solvent, temperature and concentration:
    the other state-point keys whose values differ among them."""
    by_field: dict[tuple, list] = {}
    for e in entries:
        by_field.setdefault(tuple(e[k] for k in CONDITION_KEYS), []).append(e)
    for same in by_field.values():
        if len(same) < 2:
            continue
        points = [e.pop("_statepoint") for e in same]
        keys = sorted({k for sp in points for k in sp})
        differing = [
            k
            for k in keys
            if len({json.dumps(sp.get(k), sort_keys=True, default=str) for sp in points}) > 1
        ]
        for e, sp in zip(same, points):
            e["variant"] = {k: sp.get(k) for k in differing}
    for e in entries:
        e.pop("_statepoint", None)


# -- calibrated coefficients --------------------------------------------------------------------
_CALIBRATED = re.compile(r"\*?calibrated\*?", re.IGNORECASE)


def _fitted_to(comment: str) -> str:
    """The text after "*calibrated*" in a comment (up to the closing parenthesis), or all."""
    text = " ".join(comment.split())
    match = re.search(r"\*calibrated\*\s*:?\s*(.*)", text, re.IGNORECASE)
    if not match:
        return text
    rest = match.group(1)
    depth, end = 0, len(rest)
    for k, ch in enumerate(rest):
        depth += ch == "("
        if ch == ")":
            if depth == 0:
                end = k
                break
            depth -= 1
    return rest[:end].strip(" .;:") or text


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        if isinstance(value, tuple | list):
            return [_jsonable(v) for v in value]
        return repr(value)


def _entry(name: str, info: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """One calibrated coefficient from a description: a string, a mapping (``value``,
    ``fitted_to``, ...) or a tuple of numbers (an allowed range) and strings."""
    extra: dict[str, Any] = {}
    if isinstance(info, Mapping):
        fitted = info.get("fitted_to") or info.get("target") or info.get("calibrated") or ""
        value = info.get("value", values.get(name))
        note = info.get("note") or info.get("doc") or ""
        if note:
            extra["note"] = str(note)
    elif isinstance(info, list | tuple):
        fitted = " ".join(str(x) for x in info if isinstance(x, str))
        numbers = [x for x in info if isinstance(x, int | float) and not isinstance(x, bool)]
        if len(numbers) == 2:
            extra["allowed_range"] = [float(x) for x in numbers]
        value = values.get(name)
    else:
        fitted = info if isinstance(info, str) else ""
        value = values.get(name)
    return {
        "name": str(name),
        "value": _jsonable(value),
        "fitted_to": str(fitted) if fitted is not True else "",
        **extra,
    }


def _commented_keys(source: str, target: str) -> list[tuple[str, str]]:
    """``(key, comment)`` of the entries of the dict literal ``target = {...}`` in ``source``
    whose preceding comment lines mention calibration."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found = []
    for node in tree.body:
        names = []
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names = [node.target.id]
        if target not in names or not isinstance(node.value, ast.Dict):
            continue
        previous_end = node.value.lineno
        for key in node.value.keys:
            if not isinstance(key, ast.Constant):
                continue
            block = []
            for k in range(key.lineno - 2, previous_end - 1, -1):
                text = lines[k].strip()
                if not text.startswith("#"):
                    break
                block.append(text.lstrip("#:").strip())
            comment = " ".join(reversed(block))
            previous_end = key.lineno
            if _CALIBRATED.search(comment):
                found.append((str(key.value), comment))
    return found


def calibrated_coefficients(module=None) -> list[dict[str, Any]]:
    """Coefficients of the condition mapping that were calibrated, and what they were fitted to.

    Reads, in order of preference: a module-level ``CALIBRATED`` (or ``CALIBRATION``) mapping
    ``name -> description or {"value", "fitted_to", ...}`` or a sequence of names or such
    mappings; entries of ``MAPPING`` that are mappings or objects with a true ``calibrated``
    field; otherwise the comments marked *calibrated* above the entries of ``MAPPING`` and the
    fields of the solvent table (``SOLVENTS``) whose documentation is marked *calibrated*.

    Parameters
    ----------
    module : module, optional
        The mapping module (default :mod:`mesocrystal.model.conditions`).

    Returns
    -------
    list of dict
        ``name``, ``value`` and ``fitted_to`` of each calibrated coefficient (empty if none is
        marked or the module cannot be read).
    """
    if module is None:
        from mesocrystal.model import conditions as module
    mapping = getattr(module, "MAPPING", {})
    values = dict(mapping) if isinstance(mapping, Mapping) else {}
    for attr in ("CALIBRATED", "CALIBRATION", "CALIBRATIONS"):
        declared = getattr(module, attr, None)
        if isinstance(declared, Mapping) and declared:
            return [_entry(k, v, values) for k, v in declared.items()]
        if isinstance(declared, list | tuple) and declared:
            out = []
            for item in declared:
                if isinstance(item, Mapping) and "name" in item:
                    out.append(_entry(item["name"], item, values))
                else:
                    out.append(_entry(str(item), "", values))
            return out
    out = []
    for key, value in values.items():
        flag = value.get("calibrated") if isinstance(value, Mapping) else None
        flag = getattr(value, "calibrated", flag)
        if flag:
            info = value if isinstance(value, Mapping) else vars(value)
            out.append(_entry(key, info, values))
    if out:
        return out
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return []
    for key, comment in _commented_keys(source, "MAPPING"):
        out.append(
            {"name": key, "value": _jsonable(values.get(key)), "fitted_to": _fitted_to(comment)}
        )
    out.extend(_calibrated_table_fields(module, source))
    return out


def _calibrated_table_fields(module, source: str) -> list[dict[str, Any]]:
    """Fields of the solvent records documented as *calibrated*, one entry per solvent."""
    table = getattr(module, "SOLVENTS", None)
    if not isinstance(table, Mapping) or not table:
        return []
    record = next(iter(table.values()))
    doc = inspect.getdoc(type(record)) or ""
    fields = re.findall(r"^(\w+)\s*:[^\n]*\n((?:[ \t]+[^\n]*\n?)+)", doc, re.MULTILINE)
    marked = [name for name, text in fields if _CALIBRATED.search(text)]
    if not marked:
        return []
    # the comment block above the table says what the fields were fitted to
    match = re.search(r"((?:^#:?[^\n]*\n)+)\s*SOLVENTS\b", source, re.MULTILINE)
    comment = " ".join(
        line.lstrip("#:").strip() for line in (match.group(1).splitlines() if match else [])
    )
    pieces = [p for p in re.split(r"(?<=\.)\s+(?=[A-Z])", comment) if _CALIBRATED.search(p)]
    fitted = _fitted_to(" ".join(pieces)) if pieces else ""
    out = []
    for name in marked:
        for solvent, rec in table.items():
            out.append(
                {
                    "name": f"SOLVENTS[{solvent!r}].{name}",
                    "value": _jsonable(getattr(rec, name, None)),
                    "fitted_to": fitted,
                }
            )
    return out


# -- the report ---------------------------------------------------------------------------------
def _project_root(jobs: Sequence) -> Path:
    return Path(jobs[0].project.path)


def applicable(*jobs) -> bool:
    """Some job names a microenvironment, and every such job is classified (its label is in
    the job document) and measured."""
    relevant = [j for j in jobs if condition_of(j.cached_statepoint) is not None]

    def classified(job) -> bool:
        stored = job_document(job).get(CLASSIFICATION_KEY)
        return isinstance(stored, Mapping) and bool(stored.get("label"))

    return bool(relevant) and all(classified(j) and measured(j) for j in relevant)


def fingerprint(jobs: Sequence) -> str:
    """Hash of the report's inputs: ids, state points, labels, reaction records and the
    modification times of ``morphology.json`` and ``analysis.json``."""
    items = []
    for job in jobs:
        c = job_classification(job)
        stamps = []
        for name in (MORPHOLOGY_JSON, ANALYSIS_JSON, STRUCTURE_PNG, AFM_PNG, STACKS_JSON):
            stamps.append(os.stat(job.fn(name)).st_mtime_ns if job.isfile(name) else None)
        items.append(
            [
                job.id,
                json.dumps(dict(job.cached_statepoint), sort_keys=True),
                c["label"] if c else None,
                json.dumps(_plain(job.doc.get("reaction")), sort_keys=True, default=str),
                stamps,
            ]
        )
    text = json.dumps(sorted(items, key=lambda x: x[0]), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def current(*jobs) -> bool:
    """The report files exist and were written from the jobs' present products."""
    root = _project_root(jobs)
    data = _read_json(root / REPORT_JSON)
    if data is None or not (root / REPORT_MD).is_file() or not (root / REPORT_PNG).is_file():
        return False
    return data.get("fingerprint") == fingerprint(jobs)


def build(jobs: Sequence, root: Path | None = None) -> dict[str, Any]:
    """The content of ``paper_report.json`` for ``jobs`` (nothing is written)."""
    from mesocrystal.analysis import morphology, roughness

    root = _project_root(jobs) if root is None else Path(root)
    rows = [job_row(job, root) for job in jobs]
    return {
        "schema_version": SCHEMA_VERSION,
        "conditions": combine(rows),
        "calibrated": calibrated_coefficients(),
        "measurement": {
            "tip_radius_nm": roughness.TIP_RADIUS_NM,
            "scan_size_nm": roughness.SCAN_SIZE_NM,
            "pixel_nm": roughness.PIXEL_NM,
            "roughness": "ISO 25178-2 Sq after least-squares plane levelling, mean of both "
            "faces normal to the shortest axis of the largest aggregate's oriented box",
            "mesocrystal_size": "largest principal extent sqrt(12 lambda_1) of the largest "
            "aggregate's gyration tensor (nm)",
            "crystallite_size": "largest principal extent of the largest connected set of "
            "solid-like bodies (nm)",
            "first_crystal_min_bodies": morphology.MIN_CRYSTAL_BODIES,
            "errors": "standard error of the mean over replicas (null for one replica)",
        },
        "n_jobs": len(rows),
        "fingerprint": fingerprint(jobs),
    }


def write(*jobs) -> dict[str, Any]:
    """Write ``paper_report.json``, ``.md`` and ``.png`` at the project root (atomically)."""
    root = _project_root(jobs)
    data = build(jobs, root)
    save_figure(draw(data["conditions"]), root / REPORT_PNG, style.DPI)
    with atomic_output(root / REPORT_MD) as tmp:
        tmp.write_text(markdown(data))
    write_json_atomic(data, root / REPORT_JSON)
    return data


# -- pictures and text --------------------------------------------------------------------------
def condition_title(c: Mapping[str, Any]) -> str:
    """Short name of a condition, e.g. ``"nanoparticles: toluene, 45 °C, c = 0.1"``, with its
    variant (``", coefficients: epsilon_ligand 0.34"``)."""
    text = f"{c['stage']}: {c['solvent']}, {c['temperature_C']:g} °C"
    if c["concentration"] != 1.0:
        text += f", c = {c['concentration']:g}"
    for key, value in (c.get("variant") or {}).items():
        if isinstance(value, Mapping):
            shown = ", ".join(
                f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in value.items()
            )
        else:
            shown = "default" if value is None else value
        text += f", {key}: {shown}"
    return text


def _fmt(value, error=None, digits: int = 3) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}g}"
    if error is not None:
        text += f" ± {error:.2g}"
    return text


def _label_panel(ax, conditions: Sequence[Mapping[str, Any]], x: np.ndarray) -> None:
    """Stacked bars of the structure labels of each condition (unlabelled replicas hatched)."""
    bottom = np.zeros(len(conditions))
    present = sorted({label for c in conditions for label in c["labels"]}, key=style.label_sort_key)
    for label in present:
        counts = np.array([c["labels"].get(label, 0) for c in conditions], dtype=float)
        ax.bar(
            x,
            counts,
            bottom=bottom,
            color=style.label_color(label),
            label=label,
            edgecolor="#333333",
        )
        bottom += counts
    pending = np.array([c["replicas"] - c["labelled"] for c in conditions], dtype=float)
    if np.any(pending):
        ax.bar(
            x,
            pending,
            bottom=bottom,
            color="white",
            hatch="////",
            edgecolor="#333333",
            label="not labelled",
        )
    ax.set_ylabel("replicas")
    ax.set_title("structure labels")
    if present or np.any(pending):
        ax.legend(fontsize=8, frameon=False)


def _bars(conditions, x, ax, keys, colors, title, ylabel, paper_key=None) -> None:
    """Bars of the per-condition values ``c[key]`` (error bars ``c[key + "_error"]``), with the
    paper's value ``c["paper"][paper_key]`` written above each condition when given."""
    width = 0.8 / len(keys)
    for k, (key, color) in enumerate(zip(keys, colors)):
        values = [c[key] if c[key] is not None else np.nan for c in conditions]
        errors = [c.get(f"{key}_error") or 0.0 for c in conditions]
        ax.bar(
            x + (k - 0.5 * (len(keys) - 1)) * width,
            values,
            width,
            yerr=errors,
            color=color,
            edgecolor="#333333",
            capsize=3,
            label=key.replace("_", " ").replace(" nm", "").replace(" tau", ""),
        )
    if paper_key:
        for i, c in enumerate(conditions):
            value = (c.get("paper") or {}).get(paper_key)
            if value is not None:
                ax.annotate(
                    f"paper: {value:g} nm",
                    (x[i], 0),
                    xytext=(0, 4),
                    textcoords="offset points",
                    ha="center",
                    fontsize=7.5,
                    rotation=90,
                    va="bottom",
                    color="#7a0000",
                )
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if len(keys) > 1:
        ax.legend(fontsize=8, frameon=False)


def draw(conditions: Sequence[Mapping[str, Any]]):
    """Figure: label counts, mesocrystal and crystallite sizes, roughness and times."""
    import matplotlib.pyplot as plt

    n = max(len(conditions), 1)
    fig, axes = plt.subplots(2, 2, figsize=(max(9.0, 1.6 * n + 4), 7.6), layout="constrained")
    names = ["\n".join(textwrap.wrap(condition_title(c), 18)) for c in conditions]
    x = np.arange(len(conditions))

    _label_panel(axes[0, 0], conditions, x)
    _bars(
        conditions,
        x,
        axes[0, 1],
        ["mesocrystal_size_nm", "crystallite_size_nm"],
        ["#0072B2", "#56B4E9"],
        "largest aggregate and crystallite (L1)",
        "size (nm)",
    )
    _bars(
        conditions,
        x,
        axes[1, 0],
        ["roughness_nm"],
        ["#D55E00"],
        "AFM-like RMS roughness Sq (simulated scan)",
        "Sq (nm)",
        paper_key="afm_rms_nm",
    )
    _bars(
        conditions,
        x,
        axes[1, 1],
        ["time_to_first_crystal_tau", "time_to_half_conversion_tau"],
        ["#009E73", "#CC79A7"],
        "time to first crystal and to 50 % conversion",
        "time (τ)",
    )
    times = [
        c[k]
        for c in conditions
        for k in ("time_to_first_crystal_tau", "time_to_half_conversion_tau")
        if c[k] is not None and c[k] > 0
    ]
    if times and max(times) / min(times) > 30:
        axes[1, 1].set_yscale("log")
    for ax in axes.ravel():
        ax.set_xticks(x)
        ax.set_xticklabels(names, fontsize=7.5)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    fig.suptitle(
        "Reproduction of Bose et al., Nanoscale 17, 803 (2025): all conditions", fontsize=12
    )
    return fig


def stacking_lines(s: Mapping[str, Any]) -> list[str]:
    """Markdown table of a condition's stacking numbers (platelet stage)."""
    rows = [
        ("platelets with a face-to-face contact (fraction)", "stacked_fraction", 3),
        ("largest column (platelets)", "largest_stack", 3),
        ("largest mesocrystal (platelets)", "n_bodies", 3),
        ("its layers", "n_layers", 3),
        ("layer spacing (nm)", "layer_spacing_nm", 3),
        ("density-wave amplitude", "layer_amplitude", 3),
        ("nematic order S", "nematic_order", 3),
        ("stacked pairs in registry (fraction)", "registry_fraction", 3),
        ("AFM-like Sq of its faces (nm)", "roughness_nm", 3),
    ]
    lines = [
        f"Stacks (largest mesocrystal of each replica; {s['replicas']} replicas):",
        "",
        "| quantity | mean ± s.e. |",
        "|---|---|",
    ]
    for caption, key, digits in rows:
        lines.append(f"| {caption} | {_fmt(s.get(key), s.get(key + '_error'), digits)} |")
    shapes = ", ".join(f"{k} {v}" for k, v in (s.get("shapes") or {}).items()) or "–"
    extents = s.get("extents_nm")
    lines.append(f"| shape of the largest mesocrystal (replicas) | {shapes} |")
    if extents:
        lines.append(
            "| its principal extents L1, L2, L3 (nm) | "
            + ", ".join(f"{x:.1f}" for x in extents)
            + " |"
        )
    return [*lines, ""]


def markdown(data: Mapping[str, Any]) -> str:
    """``paper_report.md``: a table per quantity, the paper beside it, pictures, calibration."""
    m = data["measurement"]
    lines = [
        "# Reproduction report",
        "",
        "Simulated conditions beside the observations of Bose et al., Nanoscale 17, 803 (2025). "
        "Values are means ± standard errors over replicas. Measures and sources: "
        "`docs/report.md`.",
        "",
        f"AFM-like scans: tip radius {m['tip_radius_nm']:g} nm, scan {m['scan_size_nm']:g} nm × "
        f"{m['scan_size_nm']:g} nm, pixel {m['pixel_nm']:g} nm, the same for every condition. "
        "The paper's scans cover micrometre-sized mesocrystals: compare the order of the "
        "roughness values, not their magnitude.",
        "",
        "![summary](" + REPORT_PNG + ")",
        "",
        "| condition | replicas | labels | paper | matching | mesocrystal size (nm) | shape "
        "| crystallite (nm) | Sq (nm) | paper Sq (nm) | first crystal (τ) | 50 % conversion "
        "(τ) | (days) | paper time (days) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in data["conditions"]:
        paper = c.get("paper") or {}
        labels = ", ".join(f"{k} {v}" for k, v in c["labels"].items()) or "–"
        lines.append(
            "| "
            + " | ".join(
                [
                    condition_title(c),
                    str(c["replicas"]),
                    labels,
                    paper.get("outcome", "–"),
                    paper.get("replicas_matching") or "–",
                    _fmt(c["mesocrystal_size_nm"], c["mesocrystal_size_nm_error"]),
                    c["mesocrystal_shape"] or "–",
                    _fmt(c["crystallite_size_nm"], c["crystallite_size_nm_error"]),
                    _fmt(c["roughness_nm"], c["roughness_nm_error"]),
                    _fmt(paper.get("afm_rms_nm"), digits=4),
                    _fmt(c["time_to_first_crystal_tau"], c["time_to_first_crystal_tau_error"])
                    + f" ({c['replicas_with_crystal']}/{c['replicas']})",
                    _fmt(c["time_to_half_conversion_tau"], c["time_to_half_conversion_tau_error"]),
                    _fmt(c["time_to_half_conversion_days"]),
                    _fmt(paper.get("time_days"), digits=4),
                ]
            )
            + " |"
        )
    lines += ["", "## Conditions", ""]
    for c in data["conditions"]:
        paper = c.get("paper") or {}
        lines += [f"### {condition_title(c)}", ""]
        if paper:
            lines.append(f"Paper: {paper['outcome']} ({paper['source']}); {paper['time_note']}.")
            if paper.get("afm_rms_nm") is not None:
                lines.append(
                    f"AFM: {paper['afm_rms_nm']:g} nm RMS, maximum height "
                    f"{paper['afm_height_um']:g} µm."
                )
            lines.append("")
        lines.append(
            f"Representative replica `{c['representative']}` of jobs "
            + ", ".join(f"`{j[:8]}`" for j in c["jobs"])
            + "."
        )
        lines.append("")
        if c.get("stacking"):
            lines += stacking_lines(c["stacking"])
        for key, caption in (
            ("structure", "final frame"),
            ("afm", "AFM-like height maps"),
            ("stacks", "largest mesocrystal coloured by layer"),
        ):
            if key in c["pictures"]:
                lines.append(f"![{caption}]({c['pictures'][key]})")
        lines.append("")
    lines += ["## Calibrated coefficients", ""]
    if data["calibrated"]:
        lines += ["| coefficient | value | fitted to |", "|---|---|---|"]
        for item in data["calibrated"]:
            lines.append(f"| `{item['name']}` | {item['value']} | {item['fitted_to']} |")
    else:
        lines.append("No coefficient of the condition mapping is marked as calibrated.")
    lines.append("")
    return "\n".join(lines)
