"""How long ``python project.py status`` and ``submit --pretend`` take with many jobs.

Creates studies of N jobs with state points like ``init.py``'s, without simulating them: a
third of the jobs is fresh, a third has a copy of the ``init.gsd`` of one tiny system, and a
third also a copy of its partial checkpoint ``restart.gsd`` (so the ``progress`` label reads a
GSD file, as in a study in progress). Then it times the commands users run on a login node,
each in a fresh process as a user would:

* ``status``: labels and eligible operations of every job (the first and a second time);
* ``status -d``: the same with the per-job table;
* ``submit --pretend``: render the SLURM job scripts of a submission (one per job: the
  ``study`` group).

The scheduler is a stand-in ``squeue`` with an empty queue, so only the workflow's own cost
is measured. The first ``status`` of a study also reads the step of every checkpoint once
and keeps it (``.checkpoint_steps.json``), as the status of a running study has it; the
second shows a look at it later. Wall time depends on what else the machine runs; CPU time
(user + system) does less.

``--baseline DIR`` times another version of the project (a checkout of an earlier commit, e.g.
``git worktree add /tmp/before <commit>``) on the same studies, each command right before the
current version's, so that both see the same machine. It runs its own ``project.py`` and
package, on the study as its ``init.py`` leaves it (without signac's state point cache when
that ``init.py`` does not write one), and every "first" ``status`` starts without the
checkpoint-step cache. Usage::

    python benchmarks/bench_status.py                  # 100, 1000 and 3000 jobs
    python benchmarks/bench_status.py --jobs 100 300   # other sizes
    python benchmarks/bench_status.py --jobs 10000 --baseline /tmp/before
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

COMMANDS = {
    "status (first)": ["status"],
    "status": ["status"],
    "status -d": ["status", "-d"],
    "submit --pretend": ["submit", "--pretend"],
}


def statepoints(n: int) -> list[dict]:
    """``n`` distinct, validated state points over the model-parameter space.

    Replicas differ by seed only, so each point of the grid is validated once and its
    replicas copy it with their seed.
    """
    from mesocrystal.model.parameters import normalize

    grid = [
        normalize(
            {
                "shape": shape,
                "N": 64,
                "steps": 20_000,
                "epsilon_kT": epsilon,
                "packing_fraction": phi,
                "seed": 0,
            }
        )
        for shape, epsilon, phi in itertools.product(
            ("sphere", "platelet", "cuboid"), (0.05, 0.1, 0.2, 0.3, 0.5), (0.05, 0.1, 0.2)
        )
    ]
    points = []
    for seed in itertools.count():  # replicas until there are enough
        for sp in grid:
            points.append({**sp, "seed": seed})
            if len(points) == n:
                return points
    raise AssertionError("unreachable: the seed axis is unbounded")


def _place(source: Path, target: str) -> None:
    """A hard link to ``source`` (a copy where links are not possible): quick for 100k jobs."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy(source, target)


def make_study(
    root: Path, n: int, initialized: float, started: float, products: dict[str, Path]
) -> None:
    """A project of ``n`` jobs with ``init.gsd`` in a fraction, ``restart.gsd`` in another."""
    import signac

    for name in ("project.py", "init.py"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "templates", root / "templates")
    project = signac.init_project(root)
    project.doc["engine"] = "lammps"
    n_init, n_started = round(initialized * n), round(started * n)
    for i, sp in enumerate(statepoints(n)):
        job = project.open_job(sp).init()
        if i < n_init:
            _place(products["init.gsd"], job.fn("init.gsd"))
        if i < n_started:
            _place(products["restart.gsd"], job.fn("restart.gsd"))
    project.update_cache()  # as init.py leaves a study


def reference_products(workdir: Path) -> dict[str, Path]:
    """``init.gsd`` and ``restart.gsd`` of a tiny system, to copy into jobs."""
    import signac

    from mesocrystal import workflow
    from mesocrystal.model.parameters import normalize

    project = signac.init_project(workdir)
    job = project.open_job(normalize({"shape": "sphere", "N": 16, "steps": 400})).init()
    workflow.initialize(job)
    with contextlib.redirect_stdout(io.StringIO()):  # no progress lines in the table
        workflow.assemble(job, frames=5)  # 2,400 steps: 10 % of a benchmark job's run
    return {name: Path(job.fn(name)) for name in ("init.gsd", "restart.gsd")}


def fake_queue(bin_dir: Path) -> dict[str, str]:
    """Environment with an empty-queue ``squeue`` and the project's SLURM environment."""
    bin_dir.mkdir()
    squeue = bin_dir / "squeue"
    squeue.write_text("#!/bin/sh\nexit 0\n")
    squeue.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = f"{REPO}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["SIGNAC_FLOW_ENVIRONMENT"] = "SlurmClusterEnvironment"
    return env


class Version:
    """A version of the project to time: its ``project.py``, package and ``init.py``."""

    def __init__(self, label: str, repo: Path, env: dict[str, str]):
        self.label = label
        self.repo = Path(repo).resolve()
        self.env = dict(env)
        self.env["PYTHONPATH"] = f"{self.repo}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
        init_py = (self.repo / "init.py").read_text()
        #: Whether its ``init.py`` leaves signac's state point cache behind.
        self.writes_statepoint_cache = "update_cache()" in init_py

    @contextlib.contextmanager
    def study(self, root: Path):
        """The study as this version's ``init.py`` would have left it, during the block."""
        cache = root / ".signac" / "statepoint_cache.json.gz"
        aside = cache.with_name(cache.name + ".aside")
        hide = cache.exists() and not self.writes_statepoint_cache
        if hide:
            cache.rename(aside)
        try:
            yield
        finally:
            if hide:
                aside.rename(cache)


def time_command(
    root: Path, args: list[str], version: Version, first: bool = False
) -> tuple[float, float, str]:
    """Wall and CPU (user + system) seconds of ``python project.py <args>`` of ``version``,
    and what it printed; ``first`` starts without the checkpoint-step cache."""
    if first:
        with contextlib.suppress(FileNotFoundError):
            os.remove(root / ".checkpoint_steps.json")
    script = root / f"project-{version.label}.py"
    shutil.copy(version.repo / "project.py", script)
    with version.study(root):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, script.name, *args],
            cwd=root,
            env=version.env,
            capture_output=True,
            text=True,
            timeout=7200,
        )
        elapsed = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"project.py {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    output = proc.stdout.replace(script.name, "project.py")
    return elapsed, cpu, output


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument(
        "--initialized",
        type=float,
        default=2 / 3,
        help="fraction of jobs with init.gsd, i.e. with assemble eligible (default 2/3)",
    )
    parser.add_argument(
        "--started",
        type=float,
        default=1 / 3,
        help="fraction of jobs with a partial restart.gsd (default 1/3)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout of the project to time before this one, command by command",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-status-") as tmp:
        tmp = Path(tmp)
        env = fake_queue(tmp / "bin")
        products = reference_products(tmp / "reference")
        versions = [Version("current", REPO, env)]
        if args.baseline is not None:
            versions.insert(0, Version("baseline", args.baseline, env))
        header = f"{'jobs':>7}  {'create':>7}  {'version':>8}"
        header += "".join(f"  {c:>21}" for c in COMMANDS)
        print(header + f"  {'scripts':>8}")
        unit = "wall / CPU [s]"
        print(f"{'':>7}  {'[s]':>7}  {'':>8}" + "".join(f"  {unit:>21}" for _ in COMMANDS))
        for n in args.jobs:
            root = tmp / f"study-{n}"
            root.mkdir()
            t0 = time.perf_counter()
            make_study(root, n, args.initialized, min(args.started, args.initialized), products)
            created = time.perf_counter() - t0
            rows = {v.label: f"{n:>7}  {created:>7.0f}  {v.label:>8}" for v in versions}
            scripts, differ = {}, []
            for name, command in COMMANDS.items():
                outputs = set()
                for version in versions:  # one command after the other: the same machine
                    elapsed, cpu, output = time_command(
                        root, command, version, first=name == "status (first)"
                    )
                    rows[version.label] += f"  {f'{elapsed:.1f} / {cpu:.1f}':>21}"
                    outputs.add(output)
                    if name == "submit --pretend":
                        scripts[version.label] = output.count("#!/bin/bash")
                if len(outputs) > 1:
                    differ.append(name)
            for version in versions:
                print(f"{rows[version.label]}  {scripts[version.label]:>8}", flush=True)
            if len(versions) > 1:
                print(f"{'':>7}  output of the versions: ", end="")
                print(f"differs in {', '.join(differ)}" if differ else "the same", flush=True)
            shutil.rmtree(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
