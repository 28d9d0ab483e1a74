"""Create the signac data space of a study.

Usage::

    python init.py                      # the default study (paper conditions, small systems)
    python init.py quick                # tiny systems for tests and a first look
    python init.py paper                # the reproduction study: 4 conditions x 5 replicas
    python init.py paper --scale gpu    # the same at production size for HOOMD-blue on GPUs
    python init.py paper-platelets      # the platelet stage: toluene 45 C, 2 concentrations x 5
    python init.py sensitivity          # each calibrated coefficient moved by -30 % / +30 %
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
from mesocrystal.model import conditions as _conditions
from mesocrystal.model.parameters import StatePointError, normalize

#: The paper's microenvironments (Bose et al., Nanoscale 2025, 17, 803): mesocrystals in
#: toluene at 45 C, precipitation in dichloromethane at room temperature, nearly no change in
#: toluene at room temperature, and toluene at 45 C at ten-fold dilution.
PAPER_CONDITIONS = [
    {"solvent": "toluene", "temperature_C": 45.0},
    {"solvent": "dichloromethane", "temperature_C": 25.0},
    {"solvent": "toluene", "temperature_C": 25.0},
    {"solvent": "toluene", "temperature_C": 45.0, "concentration": 0.1},
]
PAPER_SEEDS = range(5)

#: Run sizes of the reproduction study. ``cpu``: the whole study (20 jobs) within 45 minutes
#: on 2 CPU cores with LAMMPS; ``gpu``: production size for HOOMD-blue. The run covers six
#: reaction half-times of toluene at 45 C, ``steps = 6 * S * tau_D / dt`` with
#: tau_D = 2.25 tau, and the time-scale separation S is at or beyond the value where the
#: outcome stops changing (docs/mechanism.md).
SCALES = {
    "cpu": {"N": 2000, "time_scale_separation": 100.0, "steps": 270_000},
    "gpu": {"N": 50_000, "time_scale_separation": 400.0, "steps": 1_080_000},
}


def paper_points(scale: str = "cpu") -> list[dict]:
    """State points of the reproduction study (every condition x :data:`PAPER_SEEDS`).

    At relative concentration ``c`` the reaction runs ``1/c`` times longer in simulated time
    (as many encounters per half-time, ``conditions.reaction_kinetics``), so the run covers
    the same six half-times in ``steps / c`` steps with ``N c`` particles: the same cost.
    """
    size = SCALES[scale]
    points = []
    for c in PAPER_CONDITIONS:
        steps = round(size["steps"] / c.get("concentration", 1.0))
        for seed in PAPER_SEEDS:
            points.append(
                {**c, "stage": "nanoparticles", "randomize_steps": 2_000, **size}
                | {"steps": steps, "seed": seed}
            )
    return points


#: The platelet stage of the paper (docs/platelets.md): toluene at 45 C at the paper's
#: concentration and at ten-fold dilution, where the paper finds cuboidal mesocrystals of
#: stacked platelet-like nanocrystals.
PLATELET_CONDITIONS = [
    {"solvent": "toluene", "temperature_C": 45.0, "concentration": 1.0},
    {"solvent": "toluene", "temperature_C": 45.0, "concentration": 0.1},
]

#: Run sizes of the platelet stage (docs/platelets.md). ``cpu``: 64 platelets of 4 x 4 x 2
#: particles with the well of the nanoparticle potential scaled by 0.5 (the smallest value of
#: the measured sweep at which face-to-face contacts form within the run), 6,000 tau;
#: ``gpu``: the paper's 50 nm platelets (12 x 12 x 2 particles) at the nanoparticle level
#: (energy scale 1). Time step 0.02 tau: a platelet is 25 particle masses heavy.
PLATELET_SCALES = {
    "cpu": {
        "N": 64,
        "steps": 300_000,
        "platelet_layers": [4, 2],
        "platelet_energy_scale": 0.5,
        "dt": 0.02,
    },
    "gpu": {
        "N": 4096,
        "steps": 2_000_000,
        "platelet_layers": [12, 2],
        "platelet_energy_scale": 1.0,
        "dt": 0.02,
    },
}


def platelet_points(scale: str = "cpu") -> list[dict]:
    """State points of the platelet stage (every condition x :data:`PAPER_SEEDS`)."""
    return [
        {
            **c,
            "stage": "platelets",
            "shape": "platelet",
            "randomize_steps": 2_000,
            **PLATELET_SCALES[scale],
            "seed": seed,
        }
        for c in PLATELET_CONDITIONS
        for seed in PAPER_SEEDS
    ]


def sensitivity_points(scale: str = "cpu") -> list[dict]:
    """Toluene at 45 C with each calibrated coefficient at 70 % and 130 % of its value."""
    base = {
        "solvent": "toluene",
        "temperature_C": 45.0,
        "stage": "nanoparticles",
        "randomize_steps": 2_000,
        **SCALES[scale],
        "seed": 0,
    }
    points = [dict(base)]
    for name, (low, high, _) in _conditions.CALIBRATED.items():
        for factor in (0.7, 1.3):
            # Kept within the coefficient's allowed range.
            value = round(min(max(_conditions.MAPPING[name] * factor, low), high), 6)
            points.append({**base, "coefficients": {name: value}})
    return points


PRESETS = {
    # The paper's microenvironments, small enough for a first look in minutes.
    "default": [
        {**c, "N": 300, "steps": 60_000, "time_scale_separation": 20.0, "seed": 0}
        for c in PAPER_CONDITIONS[:3]
    ],
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
    "paper": paper_points,
    "paper-platelets": platelet_points,
    "sensitivity": sensitivity_points,
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


def load(source: str, replicas: int, scale: str = "cpu") -> list[dict]:
    """State points of a preset name or a grid file, with replica seeds."""
    if source in PRESETS:
        preset = PRESETS[source]
        points = [dict(sp) for sp in (preset(scale) if callable(preset) else preset)]
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
    parser.add_argument(
        "--scale",
        choices=tuple(SCALES),
        default="cpu",
        help="run size of the paper, paper-platelets and sensitivity presets (default cpu)",
    )
    parser.add_argument("--engine", choices=ENGINE_NAMES, help="engine for this study")
    parser.add_argument("--frames", type=int, help="trajectory frames per run (default 50)")
    parser.add_argument("--root", default=".", help="project directory (default: here)")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")

    try:
        points = load(args.source, args.replicas, args.scale)
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
    # signac's state point cache: status and submit then read one file instead of one per job.
    project.update_cache()
    print(f"{len(statepoints)} state points ({new} new) in {project.path}/workspace")
    return 0


if __name__ == "__main__":
    sys.exit(main())
