"""Stacks of platelets: ``stacks.json`` and ``stacks.png`` of a platelet-stage job.

``stacks.json`` holds :func:`mesocrystal.analysis.stacks.analyse_frame` of the final frame (stacked
fraction, column sizes and, for every mesocrystal, layers, spacing, registry, nematic order
and shape). ``stacks.png`` draws the largest mesocrystal twice, each platelet coloured by its
layer: viewed along the layers (side view, the stacking direction upwards) and down the
stacking direction (top view). Both are written atomically by the ``measure`` operation for
state points with ``"stage": "platelets"``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from mesocrystal.products import STACKS_JSON, STACKS_PNG

#: Colours of successive layers (cycled).
LAYER_COLORS = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#1f78b4",
)


def applies(statepoint: Mapping[str, Any]) -> bool:
    """Whether a state point belongs to the platelet stage."""
    return statepoint.get("stage") == "platelets"


def layer_colors(layer: np.ndarray) -> np.ndarray:
    """``(M, 4)`` RGBA colour of each body by its layer index (cycled through
    :data:`LAYER_COLORS`)."""
    import matplotlib.colors as mcolors

    palette = np.array([mcolors.to_rgba(c) for c in LAYER_COLORS])
    return palette[np.asarray(layer, dtype=np.int64) % len(palette)]


def draw(frame, result: Mapping[str, Any], path: str | os.PathLike, title: str = "") -> None:
    """Draw the largest mesocrystal of ``result`` coloured by layer into ``path`` (PNG).

    Parameters
    ----------
    frame : gsd.hoomd.Frame
        The analysed frame (shapes and orientations).
    result : Mapping
        :func:`mesocrystal.analysis.stacks.analyse_frame` of that frame.
    path : str or os.PathLike
        Output file.
    title : str
        Figure title (the state point).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mesocrystal.files import save_figure

    from .render import bodies_from_frame, draw_bodies, view_perpendicular_to

    bodies = bodies_from_frame(frame)
    largest = result.get("_largest")
    fig = plt.figure(figsize=(8.0, 4.4))
    if largest is None:
        fig.text(0.5, 0.5, "no two platelets in contact", ha="center", va="center")
    else:
        idx = largest.bodies
        colors = layer_colors(largest.layer)
        axis = largest.stacking_direction
        if not np.all(np.isfinite(axis)):
            axis = np.array([0.0, 0.0, 1.0])
        side = view_perpendicular_to(axis)
        top_axis = axis if axis @ [0.0, 0.0, 1.0] >= 0 else -axis
        top = (
            float(np.degrees(np.arcsin(np.clip(top_axis[2], -1.0, 1.0)))),
            float(np.degrees(np.arctan2(top_axis[1], top_axis[0]))),
        )
        for k, (view, caption) in enumerate(((side, "side view"), (top, "down the stack"))):
            ax = fig.add_axes((0.5 * k, 0.0, 0.5, 0.86), projection="3d", computed_zorder=False)
            draw_bodies(
                ax,
                largest.positions,
                bodies.orientations[idx],
                bodies.typeid[idx],
                bodies.meshes,
                colors,
                view,
            )
            ax.set_title(caption, fontsize=9, y=0.98)
        summary = largest.to_dict()
        spacing = summary["layer_spacing_nm"]
        registry = summary["registry_fraction"]
        fig.text(
            0.5,
            0.9,
            f"largest mesocrystal: {summary['n_bodies']} platelets in {summary['n_layers']} "
            f"layers (colour), spacing {spacing:.2f} nm, nematic S = "
            f"{summary['nematic_order']:.2f}, {summary['shape']['shape']}; stacked pairs "
            f"{summary['stacked_pairs']}"
            + (f", {100 * registry:.0f} % in registry" if registry is not None else ""),
            ha="center",
            fontsize=8.5,
        )
    if title:
        fig.suptitle(title, fontsize=10, y=0.995)
    save_figure(fig, path, dpi=110)


def measure_stacks(job) -> dict[str, Any]:
    """Analyse the final frame of a platelet-stage job: ``stacks.json`` and ``stacks.png``."""
    from mesocrystal.analysis.stacks import analyse_frame
    from mesocrystal.files import write_json_atomic
    from mesocrystal.products import TRAJECTORY_GSD
    from mesocrystal.schema import read_frame

    from .jobs import describe_statepoint

    index, frame = read_frame(job.fn(TRAJECTORY_GSD))
    result = analyse_frame(frame)
    draw(frame, result, job.fn(STACKS_PNG), title=describe_statepoint(job.cached_statepoint))
    out = {k: v for k, v in result.items() if not k.startswith("_")}
    out.update({"frame": index, "step": int(frame.configuration.step)})
    write_json_atomic(out, job.fn(STACKS_JSON))
    return out


#: Numbers of the largest mesocrystal carried into the report (``stacks.json`` keys).
REPORT_KEYS = (
    "n_bodies",
    "n_layers",
    "layer_spacing_nm",
    "layer_amplitude",
    "nematic_order",
    "registry_fraction",
    "registry_offset",
)


def stacking_row(job) -> dict[str, Any] | None:
    """The stacking numbers of one job from ``stacks.json`` (None when absent): the stacked
    fraction, the largest column and the :data:`REPORT_KEYS` of the largest mesocrystal."""
    import json

    if not job.isfile(STACKS_JSON):
        return None
    try:
        with open(job.fn(STACKS_JSON)) as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    largest = (data.get("mesocrystals") or [{}])[0]
    sizes = [int(k) for k in (data.get("stack_sizes") or {})]
    row = {key: largest.get(key) for key in REPORT_KEYS}
    row["stacked_fraction"] = data.get("stacked_fraction")
    row["largest_stack"] = max(sizes) if sizes else None
    shape = largest.get("shape") or {}
    row["shape"] = shape.get("shape")
    row["extents_nm"] = shape.get("extents_nm")
    rough = largest.get("roughness") or {}
    row["roughness_nm"] = rough.get("sq_nm")
    row["roughness_reliable"] = rough.get("reliable")
    return row


def combine_stacking(rows) -> dict[str, Any] | None:
    """Mean and standard error over replicas of every stacking number (None without any).

    Returns
    -------
    dict or None
        ``{name: value, name + "_error": error}`` for ``stacked_fraction``, ``largest_stack``,
        ``roughness_nm`` (AFM-like Sq of the largest mesocrystal) and :data:`REPORT_KEYS`;
        ``shape`` (the most frequent shape class of the largest mesocrystal), ``shapes``
        (their counts), ``extents_nm`` (mean principal extents), ``roughness_reliable_replicas``
        and ``replicas`` (the replicas with a ``stacks.json``).
    """
    from .replicas import mean_error

    rows = [r for r in rows if r]
    if not rows:
        return None
    out: dict[str, Any] = {"replicas": len(rows)}
    shapes: dict[str, int] = {}
    for r in rows:
        if r.get("shape"):
            shapes[r["shape"]] = shapes.get(r["shape"], 0) + 1
    out["shapes"] = shapes
    out["shape"] = max(shapes, key=shapes.get) if shapes else None
    extents = [r["extents_nm"] for r in rows if r.get("extents_nm")]
    out["extents_nm"] = (
        [float(x) for x in np.mean(np.asarray(extents, dtype=float), axis=0)] if extents else None
    )
    out["roughness_reliable_replicas"] = sum(r.get("roughness_reliable") is True for r in rows)
    for name in ("stacked_fraction", "largest_stack", "roughness_nm", *REPORT_KEYS):
        mean, err, _ = mean_error([r.get(name) for r in rows])
        out[name] = mean
        out[f"{name}_error"] = err
    return out
