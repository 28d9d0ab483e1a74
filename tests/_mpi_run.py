"""Run (or resume) the simulation of one job directory, on as many MPI ranks as launched.

Usage: ``[mpiexec -n N] python _mpi_run.py PROJECT JOB_ID FRAMES [--stop-early]``. With
``--stop-early``, rank 0 sends itself SIGTERM at the first progress report, as a scheduler does
before a time limit: the run checkpoints and stops at that step on every rank. Rank 0 prints
the outcome as one JSON line.
"""

from __future__ import annotations

import json
import os
import signal
import sys

import signac

from mesocrystal import simulate, workflow
from mesocrystal.engines import get_engine


def main() -> None:
    root, job_id, frames = sys.argv[1], sys.argv[2], int(sys.argv[3])
    stop_early = "--stop-early" in sys.argv[4:]
    job = signac.get_project(root).open_job(id=job_id)

    def progress(message: str) -> None:
        if stop_early and message.startswith("step "):
            os.kill(os.getpid(), signal.SIGTERM)

    result = simulate.run(
        job.path, workflow.model_of(job), get_engine("lammps"), frames=frames, progress=progress
    )
    ranks = simulate._Ranks()
    if ranks.root:
        print(json.dumps({"status": result.status, "step": result.step, **result.engine}))


if __name__ == "__main__":
    main()
