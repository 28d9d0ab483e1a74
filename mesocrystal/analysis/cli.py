"""Command line: ``python -m analysis classify|timeseries PATH.gsd``.

In the project directory (beside ``project.py``) the command is ``python -m analysis``;
anywhere else it is ``python -m mesocrystal.analysis``.

Examples
--------
.. code-block:: console

    $ python -m analysis classify trajectory.gsd              # last frame, readable table
    $ python -m analysis classify trajectory.gsd --frame 0 --json
    $ python -m analysis timeseries trajectory.gsd --stride 10 --csv

Unreadable input (missing, empty, truncated or non-GSD files, frames that cannot be analysed)
gives a one-line message on standard error and exit status 1.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
from collections.abc import Sequence

from mesocrystal.schema import GSDReadError

from .classify import Classification, classify_file
from .io import FrameError
from .trajectory import TIMESERIES_FIELDS, classify_trajectory, first_occurrence, timeseries_rows

_ROWS = (
    ("bodies analysed", "n_bodies", "{:d}"),
    ("size scale (nm)", "size_scale", "{:.3g}"),
    ("size source", "size_source", "{}"),
    ("aggregated fraction", "aggregated_fraction", "{:.3f}"),
    ("largest aggregate fraction", "largest_cluster_fraction", "{:.3f}"),
    ("aggregates", "n_aggregates", "{:d}"),
    ("mean coordination", "mean_coordination", "{:.2f}"),
    ("q4", "q4", "{:.3f}"),
    ("q6", "q6", "{:.3f}"),
    ("q4 averaged (Lechner-Dellago)", "q4_avg", "{:.3f}"),
    ("q6 averaged (Lechner-Dellago)", "q6_avg", "{:.3f}"),
    ("w6 (normalised)", "w6", "{:+.4f}"),
    ("solid-like fraction", "solid_fraction", "{:.3f}"),
    ("  measured on", "solid_fraction_basis", "{}"),
    ("largest solid cluster", "largest_solid_cluster", "{:d}"),
    ("nematic order S", "nematic_order", "{:.3f}"),
    ("director", "director", "{}"),
    ("layer amplitude tau", "layer_amplitude", "{:.3f}"),
    ("  noise floor", "layer_noise_floor", "{:.3f}"),
    ("layer spacing (nm)", "layer_spacing", "{:.3g}"),
    ("layer normal", "layer_direction", "{}"),
    ("  found by", "layer_method", "{}"),
    ("packing fraction (interior)", "packing_fraction", "{:.3f}"),
    ("interior fraction", "interior_fraction", "{:.3f}"),
    ("  tessellation", "packing_method", "{}"),
)


def _fmt(value, spec: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not math.isfinite(value):
        return "-"
    if isinstance(value, tuple):
        return "(" + ", ".join(f"{v:+.3f}" for v in value) + ")"
    return spec.format(value)


def format_classification(result: Classification, path: str = "") -> str:
    """Readable multi-line report of one classification."""
    d = result.descriptors
    lines = []
    if path:
        lines.append(f"file        {path}")
    lines.append(f"frame       {result.frame}  (step {result.step})")
    lines.append(f"label       {result.label}")
    alt = f"  (closest alternative: {result.alternative})" if result.alternative else ""
    lines.append(f"confidence  {result.confidence:.2f}{alt}")
    tests = ", ".join(
        f"{k} {_fmt(v, '{:+.2f}')}" for k, v in result.margins.items() if k != "layer_amplitude"
    )
    lines.append(f"margins     {tests}")
    lines.append("")
    width = max(len(label) for label, _, _ in _ROWS)
    for label, attr, spec in _ROWS:
        lines.append(f"  {label:<{width}}  {_fmt(getattr(d, attr), spec)}")
    dist = d.cluster_size_distribution
    sizes = ", ".join(f"{s}:{c}" for s, c in sorted(dist.items())[:12])
    more = " ..." if len(dist) > 12 else ""
    lines.append(f"  {'contact clusters (size:count)':<{width}}  {sizes}{more}")
    return "\n".join(lines)


_SHORT = {
    "aggregated_fraction": "aggregated",
    "largest_cluster_fraction": "largest",
    "solid_fraction": "solid",
    "largest_solid_cluster": "nucleus",
    "q6": "q6",
    "q6_avg": "q6bar",
    "nematic_order": "S",
    "layer_amplitude": "tau",
    "layer_spacing": "spacing",
    "packing_fraction": "phi",
    "mean_coordination": "z",
}


def format_timeseries(results: list[Classification]) -> str:
    """Readable table of a time series (column names: see :data:`_SHORT`)."""
    header = f"{'frame':>6} {'step':>12} {'label':<12} {'conf':>5} " + " ".join(
        f"{_SHORT.get(name, name)[:10]:>10}" for name in TIMESERIES_FIELDS
    )
    lines = [header]
    for row in timeseries_rows(results):
        cells = []
        for name in TIMESERIES_FIELDS:
            v = row[name]
            cells.append(f"{'-':>10}" if v is None else f"{v:>10.3g}")
        lines.append(
            f"{row['frame']:>6} {row['step']:>12} {row['label']:<12} {row['confidence']:>5.2f} "
            + " ".join(cells)
        )
    firsts = first_occurrence(results)
    lines.append("")
    lines.append(
        "first frame of each label: "
        + ", ".join(f"{k} {v['frame']} (step {v['step']})" for k, v in firsts.items())
    )
    return "\n".join(lines)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of ``python -m analysis``."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Classify nanocrystal assemblies in GSD trajectories as crystalline, "
        "layered, rcp or dispersed.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_cls = sub.add_parser("classify", help="label one frame")
    p_cls.add_argument("path", help="GSD trajectory (HOOMD schema)")
    p_cls.add_argument("--frame", type=int, default=-1, help="frame index (default: last)")
    p_cls.add_argument("--json", action="store_true", help="print JSON")
    p_ts = sub.add_parser("timeseries", help="label every frame of a trajectory")
    p_ts.add_argument("path", help="GSD trajectory (HOOMD schema)")
    p_ts.add_argument("--stride", type=_positive, default=1, help="analyse every n-th frame")
    p_ts.add_argument("--start", type=int, default=0, help="first frame")
    p_ts.add_argument("--stop", type=int, default=None, help="stop before this frame")
    fmt = p_ts.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON")
    fmt.add_argument("--csv", action="store_true", help="print CSV")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "classify":
            result = classify_file(args.path, frame=args.frame)
            if args.json:
                print(json.dumps(result.to_dict(), indent=2))
            else:
                print(format_classification(result, args.path))
        else:
            results = classify_trajectory(args.path, args.stride, args.start, args.stop)
            if not results:
                raise GSDReadError(f"{args.path}: no frames in the selected range")
            if args.json:
                doc = {
                    "source": args.path,
                    "timeseries": timeseries_rows(results),
                    "first_occurrence": first_occurrence(results),
                }
                print(json.dumps(doc, indent=2))
            elif args.csv:
                buf = io.StringIO()
                rows = timeseries_rows(results)
                writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
                sys.stdout.write(buf.getvalue())
            else:
                print(format_timeseries(results))
    except (GSDReadError, FrameError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def run(argv: Sequence[str] | None = None) -> None:
    """Run :func:`main` as the whole process (``python -m analysis``) and end it.

    Everything the command writes goes to standard output and error, which are flushed here;
    the process then ends with the exit status of :func:`main` without the interpreter's
    teardown of the loaded extension modules (numpy, scipy, freud), which on a two-core machine
    takes 0.2-0.3 s, a tenth of the classification of a 10^5-body frame, and has nothing left
    to release. Where the output can no longer be flushed (a closed pipe), the process ends the
    usual way.
    """
    code = main(argv)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(code)
    os._exit(code)
