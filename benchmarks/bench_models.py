"""Steps per second of the single-particle and the site sphere models, side by side.

Both models describe the same spheres (3.5 nm cores, 0.75 nm PET shell, the attraction of
product particles in toluene at 45 C): the site model as rigid bodies of surface sites, the
single-particle model as one particle per body with the orientation-averaged site potential
tabulated. Usage::

    python benchmarks/bench_models.py [--N 216] [--engine lammps] [--seconds 10]

Prints steps/s and body-steps/s (bodies x steps per second) of each model and their ratio.
Run it on an otherwise idle machine; OpenMP threads follow ``OMP_NUM_THREADS``.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from mesocrystal.engines import get_engine
from mesocrystal.model.parameters import normalize, resolve
from mesocrystal.model.system import build_model


def measure(model, engine_cls, seconds: float) -> float:
    """Steps per second of ``model``, timed over about ``seconds`` after a warm-up."""
    engine = engine_cls.for_model(model)(model, model.initial_state(), seed=1)
    try:
        engine.run(200)  # warm-up: neighbour lists, first forces
        steps, elapsed = 200, 0.0
        while elapsed < seconds:
            t0 = time.perf_counter()
            engine.run(steps)
            elapsed += time.perf_counter() - t0
            total = steps
            steps *= 2
        return (2 * total - 200) / elapsed if elapsed > 0 else float("nan")
    finally:
        engine.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--N", type=int, default=216, help="spheres (default 216)")
    parser.add_argument("--phi", type=float, default=0.1, help="packing fraction (0.1)")
    parser.add_argument("--engine", default="lammps", help="lammps or hoomd (default lammps)")
    parser.add_argument("--seconds", type=float, default=10.0, help="timing per model (10 s)")
    args = parser.parse_args(argv)
    params = resolve(
        normalize(
            {
                "shape": "sphere",
                "N": args.N,
                "epsilon_kT": 0.26,
                "packing_fraction": args.phi,
                "steps": 1000,
            }
        )
    )
    single = build_model(params)
    sites = build_model(dataclasses.replace(params, single_particle=False))
    engine_cls = get_engine(args.engine)
    rows = []
    for name, model in (("single particle", single), ("site bodies", sites)):
        tps = measure(model, engine_cls, args.seconds)
        rows.append((name, tps))
    n_sites = sites.shapes[0].n_sites
    print(f"{args.N} spheres at phi = {args.phi}, engine {args.engine}, {n_sites} sites per body")
    print(f"{'model':<16} {'steps/s':>10} {'body-steps/s':>14}")
    for name, tps in rows:
        print(f"{name:<16} {tps:>10.0f} {tps * args.N:>14.3g}")
    print(f"speed-up of the single-particle model: {rows[0][1] / rows[1][1]:.0f}x")


if __name__ == "__main__":
    main()
