"""Create the signac data space of a study.

Usage::

    python init.py                      # the default study (paper conditions, small systems)
    python init.py quick                # tiny systems for tests and a first look
    python init.py paper --replicas 3   # the paper's three conditions, production size
    python init.py grid.yaml            # state points from a YAML/JSON file

A grid file holds either a list of state points or a mapping with ``grid`` (field -> list
of values, expanded as a Cartesian product) and optional ``fixed`` (fields shared by all)::

    fixed: {shape: platelet, N: 128, steps: 100000}
    grid: {epsilon_kT: [0.05, 0.1, 0.2], seed: [0, 1]}

Every state point is validated before anything is written; running twice creates no
duplicates (a state point identifies its job).
"""

import argparse
import itertools
import json
import sys
from pathlib import Path

import signac

from mesocrystal.engines import ENGINE_NAMES
from mesocrystal.model.parameters import StatePointError, normalize

PAPER_CONDITIONS = [
    {"solvent": "toluene", "temperature_C": 45.0},
    {"solvent": "dichloromethane", "temperature_C": 25.0},
    {"solvent": "toluene", "temperature_C": 25.0},
]

PRESETS = {
    # The paper's three microenvironments, small enough for a laptop in minutes.
    "default": [{**c, "N": 64, "steps": 40_000, "seed": 0} for c in PAPER_CONDITIONS],
    # Tiny systems for tests and a first look (seconds).
    "quick": [
        {"shape": "sphere", "N": 16, "steps": 400, "randomize_steps": 100, "epsilon_kT": 0.3},
        {
            "shape": "platelet",
            "N": 16,
            "steps": 400,
            "randomize_steps": 100,
            "epsilon_kT": 0.05,
            "platelet_width_nm": 5.0,
            "packing_fraction": 0.05,
        },
    ],
    # The paper's conditions at production size; replicas differ by seed.
    "paper": [{**c, "N": 512, "steps": 500_000} for c in PAPER_CONDITIONS],
}


def expand_grid(spec) -> list[dict]:
    """State points from a grid file's content (a list, or ``fixed`` + ``grid``)."""
    if isinstance(spec, list):
        return [dict(sp) for sp in spec]
    if not isinstance(spec, dict) or not ({"grid", "fixed"} & spec.keys()):
        raise StatePointError(
            "<grid file>", "must be a list of state points or a mapping with 'grid' and/or 'fixed'"
        )
    fixed, grid = spec.get("fixed", {}), spec.get("grid", {})
    keys = list(grid)
    return [
        {**fixed, **dict(zip(keys, values))}
        for values in itertools.product(*(grid[k] for k in keys))
    ]


def load(source: str, replicas: int) -> list[dict]:
    """State points of a preset name or a grid file, with replica seeds."""
    if source in PRESETS:
        points = [dict(sp) for sp in PRESETS[source]]
    else:
        path = Path(source)
        if not path.exists():
            raise SystemExit(
                f"error: {source!r} is neither a preset ({', '.join(PRESETS)}) nor an existing file"
            )
        import yaml

        text = path.read_text()
        try:
            spec = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
        except (ValueError, yaml.YAMLError) as err:
            raise StatePointError("<grid file>", f"{source} cannot be parsed: {err}") from err
        points = expand_grid(spec)
    if replicas > 1:
        points = [{**sp, "seed": sp.get("seed", 0) + r} for sp in points for r in range(replicas)]
    return points


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "source",
        nargs="?",
        default="default",
        help=f"preset ({', '.join(PRESETS)}) or a YAML/JSON grid file",
    )
    parser.add_argument("--replicas", type=int, default=1, help="seeds per state point")
    parser.add_argument("--engine", choices=ENGINE_NAMES, help="engine for this study")
    parser.add_argument("--frames", type=int, help="trajectory frames per run (default 50)")
    parser.add_argument("--root", default=".", help="project directory (default: here)")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")

    try:
        points = load(args.source, args.replicas)
        statepoints = [normalize(sp) for sp in points]  # validate all before writing
    except StatePointError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    project = signac.init_project(args.root)
    if args.engine:
        project.doc["engine"] = args.engine
    if args.frames:
        project.doc["frames"] = args.frames
    new = 0
    for sp in statepoints:
        job = project.open_job(sp)
        if job not in project:
            new += 1
        job.init()
    print(f"{len(statepoints)} state points ({new} new) in {project.path}/workspace")
    return 0


if __name__ == "__main__":
    sys.exit(main())
