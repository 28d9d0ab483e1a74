"""Time steps per second of every available engine against the number of bodies.

Usage::

    python benchmarks/bench_engines.py                        # N = 64, 216, 512
    python benchmarks/bench_engines.py --sizes 64 216 --steps 2000 --engines lammps hoomd-cpu

System: square platelets (5 nm wide, aspect ratio 0.3) of 50 interaction sites each, packing
fraction 0.2, site attraction 0.25 kT, after a short Langevin run from random insertion.
Engines: ``lammps`` (one process, ``OMP_NUM_THREADS`` threads), ``hoomd-cpu`` (one CPU core
per MPI rank) and ``hoomd-gpu`` (when a GPU is visible). The numbers inform the ``auto``
engine choice (``mesocrystal.engines.resolve_name``): HOOMD-blue on a GPU, LAMMPS otherwise.
Run it on an otherwise idle machine: timings of concurrent jobs are not comparable.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from mesocrystal.engines import hoomd, lammps  # noqa: E402
from mesocrystal.model.parameters import normalize, resolve  # noqa: E402
from mesocrystal.model.system import build_model  # noqa: E402

STATE_POINT = {
    "shape": "platelet",
    "platelet_width_nm": 5.0,
    "site_spacing": 0.8,
    "packing_fraction": 0.2,
    "epsilon_kT": 0.25,
    "steps": 1000,
    "randomize_steps": 0,
}


def available_engines() -> dict:
    """Engine label -> (engine class, keyword arguments), for those that load here."""
    found = {}
    if lammps.available():
        found["lammps"] = (lammps.LAMMPSEngine, {})
    if hoomd.available():
        found["hoomd-cpu"] = (hoomd.HOOMDEngine, {"device": "cpu"})
        if hoomd.gpu_available():
            found["hoomd-gpu"] = (hoomd.HOOMDEngine, {"device": "gpu"})
    return found


def steps_per_second(engine_cls, kwargs: dict, n: int, steps: int, warmup: int) -> tuple:
    """Time ``steps`` steps after ``warmup`` steps.

    Returns
    -------
    tuple
        (steps per second, sites per body, the engine's device description)
    """
    model = build_model(resolve(normalize({**STATE_POINT, "N": n})))
    engine = engine_cls(model, model.initial_state(), seed=1, **kwargs)
    try:
        engine.run(warmup)
        t0 = time.perf_counter()
        engine.run(steps)
        elapsed = time.perf_counter() - t0
        device = str(engine.info["device"])
    finally:
        engine.close()
    return steps / elapsed, model.shapes[0].n_sites, device


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 216, 512])
    parser.add_argument("--steps", type=int, default=2000, help="timed steps per run")
    parser.add_argument("--warmup", type=int, default=500, help="untimed steps first")
    parser.add_argument("--engines", nargs="+", help="subset of lammps, hoomd-cpu, hoomd-gpu")
    args = parser.parse_args(argv)

    engines = available_engines()
    if args.engines:
        missing = sorted(set(args.engines) - set(engines))
        if missing:
            parser.error(f"not available here: {', '.join(missing)}")
        engines = {k: engines[k] for k in args.engines}
    if not engines:
        parser.error("no engine is available")
    threads = os.environ.get("OMP_NUM_THREADS", "1")
    print(f"# platelets, 5 nm, packing fraction 0.2; OMP_NUM_THREADS={threads}")
    print(
        f"{'engine':<10} {'device':<28} {'N':>5} {'sites':>6} {'steps/s':>9} {'body-steps/s':>13}"
    )
    for label, (cls, kwargs) in engines.items():
        for n in args.sizes:
            rate, sites, device = steps_per_second(cls, kwargs, n, args.steps, args.warmup)
            print(f"{label:<10} {device[:28]:<28} {n:>5} {sites:>6} {rate:>9.1f} {rate * n:>13.3g}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
