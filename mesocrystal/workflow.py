"""The functions behind the operations of ``project.py``, one per operation, plus the
conditions and labels that read the products on disk.

Every product is a file in the job directory:

=====================  ===========================================================
``init.gsd``           initial configuration (step 0), written by :func:`initialize`
``trajectory.gsd``     frames of the run (schema: ``docs/gsd_schema.md``)
``restart.gsd``        latest checkpoint; the run is complete when its step reaches
                       ``randomize_steps + steps``
``analysis.json``      descriptors and labels of the final frame and a time series,
                       written by :func:`analyze`
job document           ``classification``: label, confidence and key descriptors,
                       written by :func:`classify`
=====================  ===========================================================
"""

from __future__ import annotations

import functools
import json
import logging
import os
from pathlib import Path

from mesocrystal import schema, simulate
from mesocrystal.engines import get_engine
from mesocrystal.model import conditions
from mesocrystal.model.parameters import resolve
from mesocrystal.model.system import Model, build_model

logger = logging.getLogger(__name__)


def model_of(job) -> Model:
    """The model system of a job's state point."""
    return build_model(resolve(job.cached_statepoint))


def _path(job, name: str) -> Path:
    return Path(job.fn(name))


def initialize(job) -> None:
    """Build the model, record its derived parameters and write ``init.gsd``.

    The job document receives ``model``: the resolved parameters, the pair report
    (face-to-face contact energy in kT, B2*, regime), the box and the unit mapping.
    """
    model = model_of(job)
    report = model.pair_report()
    p = model.params
    doc = {
        "parameters": p.to_dict(),
        "pair": report,
        "box_length_nm": float(model.box_length),
        "size_classes_nm": [[float(x) for x in s.core_dimensions] for s in model.shapes],
        "sites_per_type": [int(s.n_sites) for s in model.shapes],
        "total_steps": simulate.total_steps(p),
    }
    if p.environment:
        d_h = p.environment["core_diameter_nm"] + 2 * p.shell_nm
        doc["seconds_per_tau"] = conditions.physical_time_per_tau(
            p.environment["solvent"], p.environment["temperature_C"], d_h, p.damping_time
        )
    job.doc["model"] = doc
    logger.info(
        "job %s: face contact %.2f kT, B2* = %.3g, regime %s",
        job.id,
        report["face_contact_kT"],
        report["B2_star"],
        report["regime"],
    )
    state = model.initial_state()
    schema.write_atomic(_path(job, simulate.INIT_FILE), schema.make_frame(model, state))


def assemble(
    job,
    engine: str | None = None,
    walltime: float | None = None,
    frames: int | None = None,
) -> simulate.RunResult:
    """Run or resume the randomisation and assembly stages of a job.

    Parameters
    ----------
    job : signac.job.Job
        The job.
    engine : str, optional
        Engine name; default from ``project.doc["engine"]``, ``$MESOCRYSTAL_ENGINE`` or
        ``"auto"``.
    walltime : float, optional
        Seconds this call may run (default: the smaller of ``$MESOCRYSTAL_WALLTIME`` and the
        time left to the scheduler job, :func:`mesocrystal.scheduler.remaining_walltime`;
        unlimited if neither is known).
    frames : int, optional
        Trajectory frames over the run (default ``project.doc["frames"]`` or 50).
    """
    project_doc = job.project.doc if hasattr(job, "project") else {}
    name = engine or project_doc.get("engine") or os.environ.get("MESOCRYSTAL_ENGINE", "auto")
    engine_cls = get_engine(name)
    if walltime is None:
        from mesocrystal.scheduler import remaining_walltime

        limits = [remaining_walltime()]
        if os.environ.get("MESOCRYSTAL_WALLTIME"):
            limits.append(float(os.environ["MESOCRYSTAL_WALLTIME"]))
        walltime = min((t for t in limits if t is not None), default=None)
    frames = frames or int(project_doc.get("frames", 50))
    model = model_of(job)

    def progress(msg: str) -> None:
        print(f"[{job.id[:8]}] {msg}", flush=True)

    result = simulate.run(
        job.path, model, engine_cls, frames=frames, walltime=walltime, progress=progress
    )
    if not simulate.is_root_rank():  # under MPI, rank 0 alone writes the job document
        return result
    job.doc["engine"] = result.engine
    job.doc["assembly"] = {
        "status": result.status,
        "step": int(result.step),
        "total_steps": int(result.total_steps),
        "frames": result.frames,
        "tps": float(result.tps),
        "warnings": result.warnings,
    }
    return result


ANALYSIS_FILE = "analysis.json"
#: Descriptors copied into the job document next to the label.
KEY_DESCRIPTORS = (
    "aggregated_fraction",
    "largest_cluster_fraction",
    "solid_fraction",
    "q6_avg",
    "nematic_order",
    "layer_amplitude",
    "layer_spacing",
    "packing_fraction",
)


def analyze(job, stride: int = 5) -> dict:
    """Classify the final frame and every ``stride``-th frame; write ``analysis.json``.

    Uses :func:`analysis.analyze_trajectory`, which reads only the GSD file.
    """
    import analysis

    return analysis.analyze_trajectory(
        job.fn(simulate.TRAJECTORY_FILE), job.fn(ANALYSIS_FILE), stride=stride
    )


def classify(job) -> dict:
    """Store the label, confidence and key descriptors in ``job.doc["classification"]``."""
    mtime_ns = os.stat(job.fn(ANALYSIS_FILE)).st_mtime_ns
    with open(job.fn(ANALYSIS_FILE)) as f:
        result = json.load(f)
    descriptors = result.get("descriptors", {})
    job.doc["classification"] = {
        "analysis_mtime_ns": mtime_ns,
        "label": result["label"],
        "confidence": result["confidence"],
        "alternative": result.get("alternative"),
        "step": result.get("step"),
        "first_occurrence": result.get("first_occurrence"),
        "descriptors": {k: descriptors.get(k) for k in KEY_DESCRIPTORS if k in descriptors},
    }
    return job.doc["classification"]


# -- conditions and labels (products on disk) ---------------------------------------------------
def initialized(job) -> bool:
    """``init.gsd`` exists."""
    return job.isfile(simulate.INIT_FILE)


@functools.lru_cache(maxsize=65536)
def _checkpoint_step(path: str, mtime_ns: int, size: int) -> int | None:
    try:
        return int(schema.read_last_frame(path).configuration.step)
    except schema.CorruptFileError:
        return None


def checkpoint_step(job) -> int | None:
    """Step of the latest checkpoint, or None when there is none (or it is unreadable).

    Cached per file version (path, modification time, size): ``status`` asks several
    conditions per job and the restart file is rewritten, never modified in place.
    """
    path = job.fn(simulate.RESTART_FILE)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return _checkpoint_step(path, st.st_mtime_ns, st.st_size)


def required_steps(job) -> int:
    """Total steps of the job's run (randomisation + assembly)."""
    sp = job.cached_statepoint
    return int(sp["randomize_steps"]) + int(sp["steps"])


def simulated(job) -> bool:
    """The checkpoint has reached the end of the run."""
    step = checkpoint_step(job)
    return step is not None and step >= required_steps(job)


def analyzed(job) -> bool:
    """``analysis.json`` exists and is newer than the trajectory."""
    if not (job.isfile(ANALYSIS_FILE) and job.isfile(simulate.TRAJECTORY_FILE)):
        return False
    return os.path.getmtime(job.fn(ANALYSIS_FILE)) >= os.path.getmtime(
        job.fn(simulate.TRAJECTORY_FILE)
    )


@functools.lru_cache(maxsize=65536)
def _analysis_step(path: str, mtime_ns: int, size: int):
    with open(path) as f:
        return json.load(f).get("step")


def classified(job) -> bool:
    """The job document holds the label of the current ``analysis.json``.

    The label records the modification time of the ``analysis.json`` it was read from, so
    that this check needs a ``stat`` and no read of the file; a label without it (or after
    the file was copied) is compared by the analysed step instead.
    """
    classification = job.doc.get("classification")
    if not classification:
        return False
    try:
        st = os.stat(job.fn(ANALYSIS_FILE))
    except FileNotFoundError:
        return False
    if classification.get("analysis_mtime_ns") == st.st_mtime_ns:
        return True
    return classification.get("step") == _analysis_step(
        job.fn(ANALYSIS_FILE), st.st_mtime_ns, st.st_size
    )


def all_classified(*jobs) -> bool:
    """Every job of an aggregate is classified (the aggregates wait for the whole study)."""
    return all(classified(job) for job in jobs)


def structure_label(job) -> str | None:
    """The structure label (``crystalline``, ``layered``, ``rcp``, ``dispersed``)."""
    classification = job.doc.get("classification")
    return classification["label"] if classification else None


def progress_label(job) -> str | None:
    """``"simulating: 40%"`` for a started, unfinished run."""
    step = checkpoint_step(job)
    if step is None or step >= required_steps(job):
        return None
    return f"simulating: {100 * step // required_steps(job)}%"
