"""Plots of one job: how its structure formed, its thermodynamics, its pair correlation.

* :func:`plot_timeseries`: the label of each analysed frame, the fraction of bodies in aggregates
  and in the largest aggregate, and the order parameters (solid fraction, Steinhardt and
  Lechner-Dellago q6, nematic order, layer amplitude) against time, with the classifier's
  thresholds, from the JSON written by :func:`mesocrystal.analysis.analyze_trajectory`;
* :func:`plot_thermo`: potential energy per body and kinetic temperatures against time from the
  GSD logs (``log/mesocrystal/*``), the randomisation stage shaded;
* :func:`plot_rdf`: radial distribution function g(r) of the body centres of the final frame
  (:class:`freud.density.RDF`).

Time is shown in simulation units τ when the time step is known (steps otherwise), with the
physical time on the top axis when the seconds per τ are known (microenvironment state points).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import freud
import numpy as np

from mesocrystal import schema
from mesocrystal.files import save_figure

from . import style
from .scene import bodies_from_frame

#: Series of the order-parameter panel: (key in the time series, legend, colour, threshold key).
ORDER_SERIES = (
    ("solid_fraction", "solid-like fraction", "#0072B2", "solid_fraction"),
    ("q6", "⟨q₆⟩ Steinhardt", "#56B4E9", None),
    ("q6_avg", "⟨q̄₆⟩ Lechner–Dellago", "#009E73", None),
    ("nematic_order", "nematic order S", "#CC79A7", "nematic_order"),
    ("layer_amplitude", "layer amplitude τ", "#E69F00", "layer_amplitude"),
)

#: Series of the aggregation panel.
AGGREGATION_SERIES = (
    ("aggregated_fraction", "in aggregates", "#D55E00", "aggregated_fraction"),
    ("largest_cluster_fraction", "in the largest aggregate", "#000000", None),
)

#: Line style of each series (default solid).
_LINESTYLES = {"largest_cluster_fraction": "--", "q6": "--"}


def _series(rows: Sequence[dict], key: str) -> np.ndarray:
    return np.array(
        [np.nan if r.get(key) is None else float(r[key]) for r in rows], dtype=np.float64
    )


def _time_axis(steps: np.ndarray, dt: float | None) -> tuple[np.ndarray, str]:
    if dt:
        return steps * dt, "time (τ)"
    return steps.astype(np.float64), "time step"


def _physical_axis(ax, dt: float | None, seconds_per_tau: float | None) -> None:
    if not dt or not seconds_per_tau:
        return
    lo, hi = ax.get_xlim()
    span = max(abs(hi), abs(lo)) * seconds_per_tau
    units = ((1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1.0, "s"))
    factor, unit = next((u for u in units if span < 1000 * u[0]), units[-1])
    scale = seconds_per_tau / factor
    top = ax.secondary_xaxis("top", functions=(lambda t: t * scale, lambda p: p / scale))
    top.set_xlabel(f"physical time ({unit})", fontsize=9)
    top.tick_params(labelsize=8)


#: Shorter forms of the labels for narrow stretches of the label strip.
_ABBREVIATIONS = {"crystalline": "cryst.", "layered": "layer.", "dispersed": "disp."}


def _label_strip(ax, times: np.ndarray, labels: Sequence[str | None]) -> None:
    """Colour the time axis by the label of the nearest analysed frame, and name each stretch."""
    if len(times) == 1:
        edges = np.array([times[0] - 0.5, times[0] + 0.5])
    else:
        mid = 0.5 * (times[1:] + times[:-1])
        edges = np.concatenate([[times[0]], mid, [times[-1]]])
    span = max(edges[-1] - edges[0], 1e-12)
    start = 0
    for k in range(1, len(labels) + 1):
        if k < len(labels) and labels[k] == labels[start]:
            continue
        label = labels[start]
        lo, hi = edges[start], edges[k]
        ax.axvspan(lo, hi, color=style.label_color(label), lw=0)
        width = (hi - lo) / span
        text = str(label)
        if width < 0.012 * len(text):
            text = _ABBREVIATIONS.get(text, text)
        if width < 0.012 * len(text):
            text = text[:1].upper()
        if width >= 0.02:
            dark = label in ("crystalline",)
            ax.text(
                0.5 * (lo + hi),
                0.5,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "black",
                transform=ax.get_xaxis_transform(),
            )
        start = k
    ax.set_yticks([])
    ax.set_ylabel("label", rotation=0, ha="right", va="center", fontsize=9)


def _panel(ax, times, rows, series, thresholds: dict[str, float]) -> list[str]:
    missing = []
    marker = "o" if len(times) <= 40 else None
    for key, text, colour, threshold_key in series:
        y = _series(rows, key)
        if not np.any(np.isfinite(y)):
            missing.append(text)
            continue
        ax.plot(
            times,
            y,
            color=colour,
            marker=marker,
            ms=3,
            lw=1.4,
            ls=_LINESTYLES.get(key, "-"),
            label=text,
        )
        if threshold_key and thresholds.get(threshold_key) is not None:
            ax.axhline(float(thresholds[threshold_key]), color=colour, lw=0.8, ls=":")
    return missing


def plot_timeseries(
    analysis_path: str | os.PathLike,
    out_path: str | os.PathLike,
    dt: float | None = None,
    randomize_steps: int | None = None,
    seconds_per_tau: float | None = None,
    title: str | None = None,
    dpi: int = style.DPI,
) -> Path:
    """Label, aggregation and order parameters against time.

    Parameters
    ----------
    analysis_path : str or os.PathLike
        JSON written by :func:`mesocrystal.analysis.analyze_trajectory` (``timeseries`` rows with
        ``step``, ``label`` and descriptors; ``thresholds``; final ``label`` and ``confidence``).
    out_path : str or os.PathLike
        PNG file to write (atomically).
    dt : float, optional
        Time step [τ]; the time axis is in steps without it.
    randomize_steps : int, optional
        Steps of the repulsive randomisation stage, marked by a vertical line where the
        assembly starts.
    seconds_per_tau : float, optional
        Physical duration of τ [s], for a physical time axis on top.
    title : str, optional
        Heading (e.g. the state point).
    dpi : int
        Resolution [dots per inch].

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    import matplotlib.pyplot as plt

    with open(analysis_path) as fh:
        doc: dict[str, Any] = json.load(fh)
    rows = doc.get("timeseries") or [doc]
    thresholds = doc.get("thresholds") or {}
    steps = np.array([int(r["step"]) for r in rows], dtype=np.int64)
    times, xlabel = _time_axis(steps, dt)
    fig, (strip, agg, order) = plt.subplots(
        3,
        1,
        figsize=(7.5, 6.4),
        sharex=True,
        gridspec_kw={"height_ratios": [0.28, 2.0, 2.6], "hspace": 0.12},
    )
    _label_strip(strip, times, [r.get("label") for r in rows])
    missing = _panel(agg, times, rows, AGGREGATION_SERIES, thresholds)
    missing += _panel(order, times, rows, ORDER_SERIES, thresholds)
    for ax, ylabel in ((agg, "fraction of bodies"), (order, "order parameter")):
        ax.set_ylim(-0.03, 1.03)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.25)
        if randomize_steps:
            start = randomize_steps * dt if dt else randomize_steps
            ax.axvline(start, color="#777777", lw=0.9, ls="--")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="best", framealpha=0.85)
    if randomize_steps:
        start = randomize_steps * dt if dt else randomize_steps
        agg.text(
            start,
            0.03,
            " assembly starts",
            transform=agg.get_xaxis_transform(),
            fontsize=7.5,
            color="#555555",
            va="bottom",
        )
    order.set_xlabel(xlabel)
    note = "dotted lines: classifier thresholds"
    if missing:
        note += "; undefined without aggregates: " + ", ".join(missing)
    fig.text(0.01, 0.01, note, ha="left", va="bottom", fontsize=7.5, color="#444444")
    _physical_axis(strip, dt, seconds_per_tau)
    confidence = doc.get("confidence")
    final = f"final label: {doc.get('label', '?')}"
    if confidence is not None:
        final += f" (confidence {float(confidence):.2f})"
    fig.suptitle(f"{title}\n{final}" if title else final, fontsize=11)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.84 if seconds_per_tau else 0.88, bottom=0.11)
    return save_figure(fig, out_path, dpi)


def plot_thermo(
    gsd_path: str | os.PathLike,
    out_path: str | os.PathLike,
    dt: float | None = None,
    seconds_per_tau: float | None = None,
    title: str | None = None,
    dpi: int = style.DPI,
) -> Path:
    """Potential energy per body and kinetic temperatures against time.

    Energies are in units of the state point's kT (``potential_energy_per_body_kT``);
    temperatures are divided by the target ``kT``, so equilibrium fluctuates about 1. The
    repulsive randomisation stage (``stage`` 0) is shaded.

    Parameters
    ----------
    gsd_path : str or os.PathLike
        HOOMD-schema trajectory with ``log/mesocrystal/*`` scalars.
    out_path : str or os.PathLike
        PNG file to write (atomically).
    dt : float, optional
        Time step [τ]; the time axis is in steps without it.
    seconds_per_tau : float, optional
        Physical duration of τ [s], for a physical time axis on top.
    title : str, optional
        Heading.
    dpi : int
        Resolution [dots per inch].

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    import matplotlib.pyplot as plt

    logs = schema.read_log(gsd_path)
    times, xlabel = _time_axis(logs["step"], dt)
    fig, (ax_e, ax_t) = plt.subplots(
        2, 1, figsize=(7.5, 5.6), sharex=True, gridspec_kw={"hspace": 0.1}
    )
    marker = "o" if len(times) <= 40 else None
    if "potential_energy_per_body_kT" in logs:
        ax_e.plot(times, logs["potential_energy_per_body_kT"], color="#0072B2", marker=marker, ms=3)
        ax_e.set_ylabel("potential energy\nper body (kT)")
    elif "potential_energy" in logs:
        ax_e.plot(times, logs["potential_energy"], color="#0072B2", marker=marker, ms=3)
        ax_e.set_ylabel("potential energy (k_B T_ref)")
    kt = logs.get("kT", np.ones(len(times)))
    for name, text, colour in (
        ("kinetic_temperature_translational", "translational", "#D55E00"),
        ("kinetic_temperature_rotational", "rotational", "#009E73"),
    ):
        if name in logs:
            ax_t.plot(times, logs[name] / kt, color=colour, marker=marker, ms=3, label=text)
    ax_t.axhline(1.0, color="k", lw=0.8, ls=":", label="target")
    ax_t.set_ylabel("kinetic temperature / kT")
    ax_t.set_xlabel(xlabel)
    if len(logs) == 1:
        ax_e.text(
            0.5, 0.5, "no logged quantities in this file", ha="center", transform=ax_e.transAxes
        )
    if "stage" in logs and np.any(logs["stage"] == 0) and len(times) > 1:
        randomising = times[logs["stage"] == 0]
        end = times[min(np.flatnonzero(logs["stage"] == 0)[-1] + 1, len(times) - 1)]
        for ax in (ax_e, ax_t):
            ax.axvspan(randomising[0], end, color="#EEEEEE", lw=0, zorder=0)
        ax_e.text(
            randomising[0],
            1.0,
            " randomisation",
            transform=ax_e.get_xaxis_transform(),
            va="top",
            fontsize=7.5,
            color="#666666",
        )
    for ax in (ax_e, ax_t):
        ax.grid(alpha=0.25)
    ax_t.legend(fontsize=8, loc="best", framealpha=0.85)
    _physical_axis(ax_e, dt, seconds_per_tau)
    fig.suptitle(f"Energy and temperature: {title}" if title else "Energy and temperature")
    fig.subplots_adjust(left=0.13, right=0.97, top=0.86 if seconds_per_tau else 0.92, bottom=0.09)
    return save_figure(fig, out_path, dpi)


def radial_distribution(
    gsd_path: str | os.PathLike, frames: int = 1, bins: int = 120, r_max: float | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """g(r) of the body centres, averaged over the last ``frames`` frames.

    Parameters
    ----------
    gsd_path : str or os.PathLike
        HOOMD-schema trajectory.
    frames : int
        Number of final frames averaged.
    bins : int
        Histogram bins.
    r_max : float, optional
        Largest distance [nm]; default (and at most) just below half the smallest box edge.

    Returns
    -------
    r : numpy.ndarray
        ``(bins,)`` bin centres [nm].
    g : numpy.ndarray
        ``(bins,)`` g(r).
    info : dict
        ``n_bodies``, ``step`` (last frame), ``frames`` averaged.
    """
    with schema.open_trajectory(gsd_path) as traj:
        n = len(traj)
        picks = range(max(0, n - frames), n)
        bodies = [bodies_from_frame(traj[i]) for i in picks]
    half = 0.5 * min(float(np.min(b.box.L)) for b in bodies)
    r_max = min(r_max or half, half) * 0.999
    rdf = freud.density.RDF(bins=bins, r_max=r_max)
    for b in bodies:
        rdf.compute((b.box, b.positions), reset=False)
    info = {"n_bodies": bodies[-1].n, "step": bodies[-1].step, "frames": len(bodies)}
    return np.asarray(rdf.bin_centers), np.asarray(rdf.rdf), info


def plot_rdf(
    gsd_path: str | os.PathLike,
    out_path: str | os.PathLike,
    contact_nm: float | None = None,
    frames: int = 1,
    bins: int = 120,
    dpi: int = style.DPI,
) -> Path:
    """Plot g(r) of the body centres of the final frame(s).

    Parameters
    ----------
    gsd_path : str or os.PathLike
        HOOMD-schema trajectory.
    out_path : str or os.PathLike
        PNG file to write (atomically).
    contact_nm : float, optional
        Centre distance at contact [nm] (``job.doc["model"]["pair"]["contact_distance_nm"]``):
        marked, and used for a top axis in units of it.
    frames : int
        Number of final frames averaged (1: the final frame only).
    bins : int
        Histogram bins.
    dpi : int
        Resolution [dots per inch].

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    import matplotlib.pyplot as plt

    r, g, info = radial_distribution(gsd_path, frames=frames, bins=bins)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    ax.plot(r, g, color="#0072B2", lw=1.4)
    ax.axhline(1.0, color="k", lw=0.8, ls=":")
    ax.set_xlim(0, r[-1] + 0.5 * (r[1] - r[0]))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("centre distance r (nm)")
    ax.set_ylabel("g(r)")
    ax.grid(alpha=0.25)
    if contact_nm:
        ax.axvline(
            contact_nm, color="#D55E00", lw=1.0, ls="--", label=f"contact {contact_nm:.2f} nm"
        )
        ax.legend(fontsize=8, loc="upper right")
        top = ax.secondary_xaxis(
            "top", functions=(lambda x: x / contact_nm, lambda s: s * contact_nm)
        )
        top.set_xlabel("r / contact distance", fontsize=9)
        top.tick_params(labelsize=8)
    which = "final frame" if info["frames"] == 1 else f"last {info['frames']} frames"
    fig.suptitle(
        f"Radial distribution of body centres, {which} (step {info['step']:,}, "
        f"{info['n_bodies']} bodies)",
        fontsize=10.5,
    )
    fig.subplots_adjust(left=0.1, right=0.97, top=0.8 if contact_nm else 0.9, bottom=0.12)
    return save_figure(fig, out_path, dpi)
