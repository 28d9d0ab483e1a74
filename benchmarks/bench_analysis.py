"""Time the descriptors and the classification of one frame against the number of bodies.

Usage::

    python benchmarks/bench_analysis.py                 # N = 1e4, 1e5, 1e6
    python benchmarks/bench_analysis.py --skip-large    # N = 1e4, 1e5 (1e6 printed as skipped)
    python benchmarks/bench_analysis.py --sizes 1000 100000 --threads 2 --repeat 3
    python benchmarks/bench_analysis.py --cli           # also: python -m analysis classify on
                                                        # GSD files of 1e5 bodies, import included
    python benchmarks/bench_analysis.py --sizes --cli --baseline /tmp/before --rounds 3 --idle 0.3

``--baseline DIR`` also times the command of another checkout of the project (an earlier commit,
``git worktree add /tmp/before <commit>``) on the same files, each of its runs right before the
current version's, so that both see the same machine. ``--idle LOAD`` waits (up to two minutes)
before each command until the one-minute load average is below LOAD: the block-wise steps choose
their threads from the load average, so on a machine that was just busy (the previous command
included) they run on fewer threads than on an idle one; the load at the start is printed.

Systems (3.5 nm spheres, positions in nm):

* ``crystal``: thermalised FCC filling the box (every body aggregated: the most work);
* ``fluid``: hard-sphere fluid at packing fraction 0.05 (no aggregate);
* ``platelets``: simple-tetragonal stack of 6 x 6 x 1.5 nm square platelets in registry
  (separating-axis contacts, layering along the director);
* ``hex-platelets``: hexagonal columnar stack of hexagonal platelets (6 nm vertex to vertex,
  1.5 nm thick, faces towards the six neighbouring columns) in its natural triclinic box
  (general polyhedron contacts, triclinic pair search).

Goal: descriptors and label of 10^5 bodies within 3 s on two cores, cost linear in N. Wall and
CPU seconds are printed: on a shared machine the CPU time (all threads) is the steadier figure;
on an idle two-core machine the wall time is at most that. With ``--threads 0`` the block-wise
numpy steps use the cores that other work leaves idle (``analysis.aggregation.worker_threads``),
and the nematic and layering stages then run beside the bond order, each timed on its own.
10^6 platelets need several GB of memory for the 3.4 x 10^7 candidate pairs.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time

import freud
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from mesocrystal.analysis import classify, compute_descriptors, system_from_arrays  # noqa: E402
from mesocrystal.analysis.shapes import polyhedron  # noqa: E402

D = 3.5
LINDEMANN = 0.06


def crystal(n: int, rng) -> object:
    reps = max(int(round((n / 4) ** (1 / 3))), 3)
    box, pos = freud.data.UnitCell.fcc().generate_system(reps, scale=D / math.sqrt(0.5))
    pos = box.wrap(pos + rng.normal(0.0, LINDEMANN * D / math.sqrt(3), pos.shape))
    return system_from_arrays(box, pos, D)


def fluid(n: int, rng, phi: float = 0.05) -> object:
    side = (n * math.pi * D**3 / 6 / phi) ** (1 / 3)
    box = freud.box.Box.cube(side)
    pos = box.make_absolute(rng.random((n, 3)))
    return system_from_arrays(box, pos, D)


def platelets(n: int, rng) -> object:
    w, t = 6.0, 1.5
    a, c = 1.05 * w, 1.1 * t
    nz = max(int(round((n * (a / c) ** 2) ** (1 / 3))), 12)
    nxy = max(int(round(math.sqrt(n / nz))), 3)
    g = np.stack(np.meshgrid(np.arange(nxy), np.arange(nxy), np.arange(nz), indexing="ij"), -1)
    pos = g.reshape(-1, 3) * [a, a, c]
    box = freud.box.Box(nxy * a, nxy * a, nz * c)
    pos = box.wrap(pos + rng.normal(0.0, 0.03, pos.shape) * [a, a, c])
    verts = np.array(
        [[sx * w / 2, sy * w / 2, sz * t / 2] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]
    )
    quat = np.tile([1.0, 0.0, 0.0, 0.0], (len(pos), 1))
    return system_from_arrays(box, pos, orientations=quat, shape=polyhedron(verts))


def hex_platelets(n: int, rng) -> object:
    w, t = 6.0, 1.5
    a, c = 1.05 * w * math.sqrt(3) / 2, 1.1 * t  # columns 5 % wider than face to face
    nz = max(int(round((n * (a / c) ** 2) ** (1 / 3))), 12)
    nxy = max(int(round(math.sqrt(n / nz))), 3)
    g = np.stack(np.meshgrid(np.arange(nxy), np.arange(nxy), np.arange(nz), indexing="ij"), -1)
    g = g.reshape(-1, 3).astype(float)
    # lattice vectors (a, 0, 0), (a / 2, a sqrt(3) / 2, 0), (0, 0, c)
    pos = np.column_stack(
        [a * (g[:, 0] + 0.5 * g[:, 1]), a * math.sqrt(3) / 2 * g[:, 1], c * g[:, 2]]
    )
    ly = nxy * a * math.sqrt(3) / 2
    box = freud.box.Box(nxy * a, ly, nz * c, xy=1 / math.sqrt(3))
    pos = box.wrap(pos + rng.normal(0.0, 0.03, pos.shape) * [a, a, c])
    angle = np.arange(6) * np.pi / 3 + np.pi / 6  # face normals along the lattice vectors
    verts = np.array(
        [[w / 2 * math.cos(p), w / 2 * math.sin(p), sz * t / 2] for sz in (-1, 1) for p in angle]
    )
    quat = np.tile([1.0, 0.0, 0.0, 0.0], (len(pos), 1))
    return system_from_arrays(box, pos, orientations=quat, shape=polyhedron(verts))


BUILDERS = {
    "crystal": crystal,
    "fluid": fluid,
    "platelets": platelets,
    "hex-platelets": hex_platelets,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--skip-large", action="store_true", help="skip sizes above 200,000 (printed as skipped)"
    )
    parser.add_argument(
        "--cli", action="store_true", help="time `python -m analysis classify` on 1e5 bodies"
    )
    parser.add_argument("--systems", nargs="+", default=list(BUILDERS), choices=list(BUILDERS))
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="threads of freud and of the block-wise numpy steps (0 = freud: all cores; blocks: "
        "the cores that other work leaves idle)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="timed repetitions (best is shown)")
    parser.add_argument(
        "--baseline",
        help="with --cli: another checkout of the project, timed in turn with this one",
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --cli: rounds of every command")
    parser.add_argument(
        "--idle",
        type=float,
        default=None,
        help="with --cli: wait before each command until the 1-minute load average is below this",
    )
    args = parser.parse_args(argv)
    freud.parallel.set_num_threads(args.threads)
    print(f"freud {freud.__version__}, {os.cpu_count()} cores, threads={args.threads or 'all'}")
    stages = ("contacts", "clusters", "bond_order", "nematic", "layering", "voronoi")
    header = f"{'system':<13} {'N':>8} {'total s':>8} {'cpu s':>7} {'us/body':>8}  " + " ".join(
        f"{s:>10}" for s in stages
    )
    print(header)
    rng = np.random.default_rng(0)
    for name in args.systems:
        for n_target in args.sizes:
            if args.skip_large and n_target > 200_000:
                print(f"{name:<13} {n_target:>8d}  skipped (--skip-large)")
                continue
            system = BUILDERS[name](n_target, rng)
            best, best_cpu, best_timings, label = math.inf, math.inf, {}, ""
            for _ in range(max(args.repeat, 1)):
                timings: dict = {}
                t0, c0 = time.perf_counter(), time.process_time()
                desc = compute_descriptors(system, timings=timings)
                label = classify(desc).label
                elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
                if elapsed < best:
                    best, best_cpu, best_timings = elapsed, cpu, timings
            cells = " ".join(f"{best_timings.get(s, 0.0):>10.3f}" for s in stages)
            print(
                f"{name:<13} {system.n:>8d} {best:>8.2f} {best_cpu:>7.2f} "
                f"{1e6 * best / system.n:>8.1f}  {cells}"
                f"   -> {label}"
            )
    if args.cli:
        time_cli(rng, args.baseline, args.rounds, args.idle)
    return 0


def _frame(system):
    import gsd.hoomd

    frame = gsd.hoomd.Frame()
    box = system.box
    frame.configuration.box = [box.Lx, box.Ly, box.Lz, box.xy, box.xz, box.yz]
    frame.particles.N = system.n
    frame.particles.types = ["A"]
    frame.particles.typeid = np.zeros(system.n, np.uint32)
    frame.particles.position = system.positions.astype(np.float32)
    frame.particles.orientation = system.orientations.astype(np.float32)
    shape = system.shapes[0]
    if shape.kind == "sphere":
        frame.particles.type_shapes = [{"type": "Sphere", "diameter": float(D)}]
    else:
        frame.particles.type_shapes = [
            {
                "type": "ConvexPolyhedron",
                "rounding_radius": 0.0,
                "vertices": shape.vertices.tolist(),
            }
        ]
    return frame


def time_cli(rng, baseline=None, rounds: int = 1, idle: float | None = None) -> None:
    """Wall and CPU time of ``python -m analysis classify FILE --json`` (a new process, import
    included), of this checkout and of ``baseline`` in turn, ``rounds`` times."""
    import gsd.hoomd

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    versions = (
        [("current", root)] if baseline is None else [("baseline", baseline), ("current", root)]
    )
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name in ("crystal", "platelets", "hex-platelets"):
            paths[name] = os.path.join(tmp, f"{name}.gsd")
            with gsd.hoomd.open(paths[name], "w") as traj:
                traj.append(_frame(BUILDERS[name](100_000, rng)))
        for _ in range(max(rounds, 1)):
            for version, cwd in versions:
                for name, path in paths.items():
                    load = _wait_for_idle(idle)
                    t0, c0 = time.perf_counter(), _children_cpu()
                    out = subprocess.run(
                        [sys.executable, "-m", "analysis", "classify", path, "--json"],
                        capture_output=True,
                        text=True,
                        cwd=cwd,
                        check=True,
                    )
                    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
                    label = out.stdout.split('"label": "')[1].split('"')[0]
                    print(
                        f"cli {version:<8} {name:<13} load {load:4.2f} wall {wall:5.2f} s "
                        f"cpu {cpu:5.2f} s -> {label}",
                        flush=True,
                    )


def _wait_for_idle(idle: float | None, limit: float = 120.0) -> float:
    """Wait until the one-minute load average is below ``idle`` (at most ``limit`` seconds);
    returns the load average at the end."""
    start = time.perf_counter()
    load = os.getloadavg()[0]
    while idle is not None and load >= idle and time.perf_counter() - start < limit:
        time.sleep(5.0)
        load = os.getloadavg()[0]
    return load


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    raise SystemExit(main())
