"""Phase diagram: the structure label of every state point over the swept variables.

Jobs that differ only in the replica seed form one *condition*. Each condition is drawn as a pie
of its replicas' labels (one wedge per replica, coloured by label; replicas not labelled yet are
hatched) at its place over two state-point variables; a condition whose replicas disagree is
annotated with the share of the majority label (e.g. ``2/3``).

The variables are chosen from the state-point keys that vary (:func:`choose_axes`), most telling
first (:data:`AXIS_PRIORITY`): temperature and solvent for microenvironment studies, attraction
strength and packing fraction for model studies. Keys that vary together with a chosen one (for
example the shape and its size in the ``quick`` study) are listed, not given their own axis;
any further independent key gives one panel per value.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mesocrystal.files import save_figure, write_json_atomic

from . import style

#: State-point keys that distinguish replicas of one condition.
REPLICA_KEYS = ("seed",)

#: Preferred axes, most telling first; other varying keys follow alphabetically.
AXIS_PRIORITY = (
    "temperature_C",
    "solvent",
    "concentration",
    "epsilon_kT",
    "packing_fraction",
    "shape",
    "patchy",
    "polydispersity",
    "aspect_ratio",
    "platelet_sides",
    "core_diameter_nm",
    "platelet_width_nm",
    "cuboid_edges_nm",
    "shell_nm",
    "attraction_range_nm",
    "damping_time",
    "N",
)

#: Axis titles of known keys.
AXIS_TITLES = {
    "temperature_C": "temperature (°C)",
    "solvent": "solvent",
    "concentration": "concentration (relative to the paper's)",
    "epsilon_kT": "site attraction ε (kT)",
    "packing_fraction": "packing fraction φ",
    "shape": "shape",
    "patchy": "patchy attraction",
    "polydispersity": "polydispersity (CV of core size)",
    "aspect_ratio": "platelet aspect ratio",
    "platelet_sides": "platelet sides",
    "core_diameter_nm": "core diameter (nm)",
    "platelet_width_nm": "platelet width (nm)",
    "shell_nm": "ligand shell (nm)",
    "attraction_range_nm": "attraction range (nm)",
    "damping_time": "damping time (τ)",
    "N": "bodies N",
}

PENDING = "not labelled yet"


def _freeze(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _priority(key: str) -> tuple:
    return (AXIS_PRIORITY.index(key), "") if key in AXIS_PRIORITY else (len(AXIS_PRIORITY), key)


def varying_keys(statepoints: Sequence[Mapping[str, Any]]) -> list[str]:
    """State-point keys (not replica keys) with more than one value, most telling first.

    A key missing from some state points counts as having the value None there.
    """
    keys = sorted({k for sp in statepoints for k in sp if k not in REPLICA_KEYS}, key=_priority)
    return [k for k in keys if len({_freeze(sp.get(k)) for sp in statepoints}) > 1]


def determined(key: str, by: Sequence[str], statepoints: Sequence[Mapping[str, Any]]) -> bool:
    """Whether ``key`` takes one value among state points that agree on every key of ``by``."""
    seen: dict[tuple, str] = {}
    for sp in statepoints:
        group = tuple(_freeze(sp.get(k)) for k in by)
        value = _freeze(sp.get(key))
        if seen.setdefault(group, value) != value:
            return False
    return True


def choose_axes(
    statepoints: Sequence[Mapping[str, Any]], x: str | None = None, y: str | None = None
) -> dict[str, Any]:
    """The variables of the diagram.

    Parameters
    ----------
    statepoints : sequence of mapping
        State points of all jobs.
    x, y : str, optional
        Keys requested for the horizontal and vertical axes; chosen automatically if omitted.

    Returns
    -------
    dict
        ``x`` and ``y`` (str or None), ``facets`` (keys with one panel per value combination)
        and ``covarying`` (varying keys fixed by those, e.g. a size that changes with the
        shape).

    Raises
    ------
    KeyError
        If a requested key is in no state point.
    """
    known = {k for sp in statepoints for k in sp}
    for requested in (x, y):
        if requested is not None and requested not in known:
            raise KeyError(f"{requested!r} is not a state-point key (known: {sorted(known)})")
    varying = varying_keys(statepoints)
    if x is None:
        x = next((k for k in varying if k != y), None)
    if y is None and x is not None:
        y = next((k for k in varying if k != x and not determined(k, [x], statepoints)), None)
    chosen = [k for k in (x, y) if k is not None]
    facets: list[str] = []
    for k in varying:
        if k not in chosen and not determined(k, chosen + facets, statepoints):
            facets.append(k)
    covarying = [k for k in varying if k not in chosen and k not in facets]
    return {"x": x, "y": y, "facets": facets, "covarying": covarying}


def _majority(counts: Mapping[str, int], confidences: Mapping[str, list]) -> tuple:
    if not counts:
        return None, False
    best = max(counts.values())
    tied = [label for label, c in counts.items() if c == best]

    def mean_conf(label):
        values = [v for v in confidences.get(label, []) if v is not None]
        return sum(values) / len(values) if values else 0.0

    tied.sort(key=lambda lab: (-mean_conf(lab), style.label_sort_key(lab)))
    return tied[0], len(tied) > 1


def combine(rows: Sequence[Mapping[str, Any]], axes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Group jobs into conditions and combine their replicas' labels.

    Parameters
    ----------
    rows : sequence of mapping
        One per job: ``id``, ``statepoint``, ``label`` (None if not labelled yet),
        ``confidence`` and optionally ``regime`` (the pair-thermodynamics prediction).
    axes : mapping
        Output of :func:`choose_axes`.

    Returns
    -------
    list of dict
        One per condition: ``x``, ``y``, ``facet`` (dict), ``condition`` (state point without
        replica keys), ``jobs`` (ids), ``counts`` (label -> replicas), ``pending`` (replicas
        without a label), ``majority`` (label or None), ``tie`` (bool), ``agreement`` (share
        of labelled replicas with the majority label), ``mean_confidence`` (of those replicas)
        and ``regimes`` (predicted regimes present).
    """
    groups: dict[str, list] = {}
    for row in rows:
        condition = {k: v for k, v in row["statepoint"].items() if k not in REPLICA_KEYS}
        groups.setdefault(_freeze(condition), []).append(row)
    points = []
    for members in groups.values():
        sp = members[0]["statepoint"]
        counts: dict[str, int] = {}
        confidences: dict[str, list] = {}
        for r in members:
            if r.get("label"):
                counts[r["label"]] = counts.get(r["label"], 0) + 1
                confidences.setdefault(r["label"], []).append(r.get("confidence"))
        majority, tie = _majority(counts, confidences)
        labelled = sum(counts.values())
        conf = [c for c in confidences.get(majority, []) if c is not None]
        points.append(
            {
                "x": sp.get(axes["x"]) if axes["x"] else None,
                "y": sp.get(axes["y"]) if axes["y"] else None,
                "facet": {k: sp.get(k) for k in axes["facets"]},
                "condition": {k: v for k, v in sp.items() if k not in REPLICA_KEYS},
                "jobs": sorted(r["id"] for r in members),
                "counts": dict(sorted(counts.items(), key=lambda kv: style.label_sort_key(kv[0]))),
                "pending": len(members) - labelled,
                "majority": majority,
                "tie": tie,
                "agreement": counts[majority] / labelled if majority else None,
                "mean_confidence": sum(conf) / len(conf) if conf else None,
                "regimes": sorted({r["regime"] for r in members if r.get("regime")}),
            }
        )
    return points


def fingerprint(rows: Sequence[Mapping[str, Any]], request: Mapping[str, Any] | None = None) -> str:
    """Hash of everything the diagram shows (jobs, state points, labels, requested axes)."""
    content = sorted(
        (
            r["id"],
            _freeze(r["statepoint"]),
            r.get("label"),
            None if r.get("confidence") is None else round(float(r["confidence"]), 6),
        )
        for r in rows
    )
    text = json.dumps([content, dict(request or {})], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class _Axis:
    """Placement of the values of one key along an axis (numeric, logarithmic or categories)."""

    def __init__(self, key: str | None, values: Sequence[Any]):
        self.key = key
        distinct = {_freeze(v): v for v in values}
        plain = [v for v in distinct.values()]
        self.numeric = bool(plain) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in plain
        )
        if self.numeric:
            nums = sorted(float(v) for v in plain)
            self.values = nums
            self.log = nums[0] > 0 and len(nums) > 2 and nums[-1] / nums[0] >= 10
            self.categories: list = []
        else:
            self.log = False
            self.categories = sorted(plain, key=lambda v: (v is None, str(v)))
            self.values = list(range(len(self.categories)))

    def position(self, value: Any) -> float:
        if self.numeric:
            return float(value)
        return float([_freeze(c) for c in self.categories].index(_freeze(value)))

    def apply(self, ax, which: str) -> None:
        set_lim = ax.set_xlim if which == "x" else ax.set_ylim
        set_scale = ax.set_xscale if which == "x" else ax.set_yscale
        set_label = ax.set_xlabel if which == "x" else ax.set_ylabel
        set_ticks = ax.set_xticks if which == "x" else ax.set_yticks
        if self.key is None:
            set_ticks([])
            set_lim(-1, 1)
            return
        set_label(AXIS_TITLES.get(self.key, self.key))
        if self.numeric:
            lo, hi = self.values[0], self.values[-1]
            if self.log:
                from matplotlib.ticker import NullLocator

                set_scale("log")
                (ax.xaxis if which == "x" else ax.yaxis).set_minor_locator(NullLocator())
                pad = (hi / lo) ** 0.12
                set_lim(lo / pad, hi * pad)
            else:
                span = hi - lo or max(abs(lo), 1.0)
                set_lim(lo - 0.15 * span, hi + 0.15 * span)
            if len(self.values) <= 8:
                set_ticks(self.values)
                labels = [f"{v:g}" for v in self.values]
                (ax.set_xticklabels if which == "x" else ax.set_yticklabels)(labels)
        else:
            set_ticks(self.values)
            labels = ["—" if c is None else str(c) for c in self.categories]
            (ax.set_xticklabels if which == "x" else ax.set_yticklabels)(labels)
            set_lim(-0.6, len(self.categories) - 0.4)


def _pie(ax, x: float, y: float, point: Mapping[str, Any], radius_pt: float) -> None:
    import matplotlib.patches as mpatches
    import matplotlib.transforms as mtransforms

    fig = ax.figure
    transform = (
        mtransforms.Affine2D().scale(radius_pt / 72.0)
        + fig.dpi_scale_trans
        + mtransforms.ScaledTranslation(x, y, ax.transData)
    )
    slices = [(label, n) for label, n in point["counts"].items()]
    if point["pending"]:
        slices.append((None, point["pending"]))
    total = sum(n for _, n in slices)
    start = 90.0
    for label, n in slices:
        sweep = 360.0 * n / total
        wedge = mpatches.Wedge(
            (0, 0),
            1.0,
            start,
            start + sweep,
            facecolor=style.label_color(label),
            edgecolor="#333333",
            hatch="////" if label is None else None,
            lw=0.8,
            transform=transform,
            clip_on=False,
            zorder=3,
        )
        ax.add_patch(wedge)
        start += sweep
    ring = mpatches.Circle(
        (0, 0), 1.0, fill=False, edgecolor="black", lw=1.2, transform=transform, zorder=4
    )
    ax.add_patch(ring)
    labelled = sum(point["counts"].values())
    if len(point["counts"]) > 1 or (point["tie"] and labelled):
        share = point["counts"][point["majority"]]
        ax.annotate(
            f"{share}/{labelled}" + (" tie" if point["tie"] else ""),
            (x, y),
            xytext=(0.8 * radius_pt, -1.25 * radius_pt),
            textcoords="offset points",
            fontsize=7.5,
            ha="left",
            va="top",
            zorder=5,
        )


def draw(points: Sequence[Mapping[str, Any]], axes: Mapping[str, Any], title: str | None = None):
    """Figure of the phase diagram (see the module docstring); returns the figure."""
    import matplotlib.patches as mpatches
    import matplotlib.pyplot as plt

    facet_values = sorted({_freeze(p["facet"]) for p in points})
    n_panels = len(facet_values)
    ncols = min(3, n_panels)
    nrows = math.ceil(n_panels / ncols)
    has_y = axes["y"] is not None
    panel_w, panel_h = 5.0, 4.2 if has_y else 1.8
    fig, grid = plt.subplots(
        nrows,
        ncols,
        figsize=(max(panel_w * ncols, 5.5) + 1.6, panel_h * nrows + 1.3),
        squeeze=False,
        sharex=True,
        sharey=True,
        layout="constrained",
    )
    x_axis = _Axis(axes["x"], [p["x"] for p in points])
    y_axis = _Axis(axes["y"], [p["y"] for p in points])
    busiest = max(len(x_axis.values), len(y_axis.values) if has_y else 1)
    radius = float(np.clip(130.0 / busiest, 5.0, 14.0))
    for k, facet in enumerate(facet_values):
        ax = grid[k // ncols][k % ncols]
        x_axis.apply(ax, "x")
        y_axis.apply(ax, "y")
        ax.grid(alpha=0.25, zorder=0)
        ax.set_axisbelow(True)
        for p in points:
            if _freeze(p["facet"]) != facet:
                continue
            xv = x_axis.position(p["x"]) if axes["x"] else 0.0
            yv = y_axis.position(p["y"]) if has_y else 0.0
            _pie(ax, xv, yv, p, radius)
        if axes["facets"]:
            values = json.loads(facet)
            ax.set_title(", ".join(f"{key} = {values[key]}" for key in axes["facets"]), fontsize=9)
    for k in range(n_panels, nrows * ncols):
        grid[k // ncols][k % ncols].set_visible(False)
    present = sorted({label for p in points for label in p["counts"]}, key=style.label_sort_key)
    handles = [
        mpatches.Patch(facecolor=style.label_color(x), edgecolor="#333333", label=x)
        for x in present
    ]
    if any(p["pending"] for p in points):
        handles.append(
            mpatches.Patch(facecolor="white", edgecolor="#333333", hatch="////", label=PENDING)
        )
    fig.legend(
        handles=handles,
        loc="outside right upper",
        frameon=False,
        fontsize=9,
        title="label",
        title_fontsize=9,
    )
    fig.suptitle(title or "Structure labels", fontsize=12)
    n_jobs = sum(len(p["jobs"]) for p in points)
    notes = [
        f"{n_jobs} jobs in {len(points)} conditions. Each pie: the replicas (seeds) of a "
        "condition; n/m: replicas with the majority label."
    ]
    if axes["covarying"]:
        notes.append("Varying with the axes: " + ", ".join(axes["covarying"]) + ".")
    width_chars = int(fig.get_figwidth() * 15)
    fig.supxlabel(textwrap.fill(" ".join(notes), width_chars), fontsize=7.5, color="#444444")
    return fig


def write_phase_diagram(
    rows: Sequence[Mapping[str, Any]],
    png_path: str | os.PathLike,
    json_path: str | os.PathLike,
    x: str | None = None,
    y: str | None = None,
    dpi: int = style.DPI,
) -> dict[str, Any]:
    """Draw the phase diagram and write its data.

    Parameters
    ----------
    rows : sequence of mapping
        One per job: ``id``, ``statepoint``, ``label`` (None if not labelled yet),
        ``confidence`` and optionally ``regime``.
    png_path, json_path : str or os.PathLike
        Picture and data files to write (atomically).
    x, y : str, optional
        State-point keys of the axes (default: :func:`choose_axes`).
    dpi : int
        Resolution [dots per inch].

    Returns
    -------
    dict
        The data written: ``axes`` (:func:`choose_axes`), ``points`` (:func:`combine`),
        ``labels`` (label -> colour), ``n_jobs`` and ``fingerprint``.
    """
    statepoints = [r["statepoint"] for r in rows]
    axes = choose_axes(statepoints, x=x, y=y)
    points = combine(rows, axes)
    points.sort(
        key=lambda p: (
            _freeze(p["facet"]),
            _freeze(p["y"]) if axes["y"] else "",
            _freeze(p["x"]) if axes["x"] else "",
        )
    )
    fig = draw(points, axes, title=_title(axes))
    save_figure(fig, png_path, dpi)
    data = {
        "axes": axes,
        "points": points,
        "labels": {label: style.label_color(label) for label in style.LABEL_ORDER},
        "n_jobs": len(rows),
        "fingerprint": fingerprint(rows, {"x": x, "y": y}),
    }
    write_json_atomic(data, json_path)
    return data


def _title(axes: Mapping[str, Any]) -> str:
    names = [AXIS_TITLES.get(k, k).split(" (")[0] for k in (axes["x"], axes["y"]) if k]
    if not names:
        return "Structure labels (no swept variable)"
    return "Structure labels over " + " and ".join(names)


def load(path: str | os.PathLike) -> dict[str, Any] | None:
    """The data of a written phase diagram, or None if the file is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
