"""The functions behind the operations of ``project.py``, one per operation, plus the
conditions and labels that read the products on disk.

Every product is a file in the job directory (named in :mod:`mesocrystal.products`):
``init.gsd`` (:func:`initialize`), ``trajectory.gsd`` and ``restart.gsd`` (:func:`assemble`),
``analysis.json`` (:func:`analyze`), and the classification in the job document
(:func:`classify`).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from mesocrystal import products, schema, simulate
from mesocrystal.engines import get_engine
from mesocrystal.files import atomic_output
from mesocrystal.status_snapshot import job_document, snapshot

if TYPE_CHECKING:
    from mesocrystal.model.system import Model

logger = logging.getLogger(__name__)


def model_of(job) -> Model:
    """The model system of a job's state point."""
    # Imported here: the model (scipy) is not needed by status, which only reads files.
    from mesocrystal.model.parameters import resolve
    from mesocrystal.model.system import build_model

    cache = None
    project = getattr(job, "project", None)
    if project is not None:
        cache = os.path.join(project.path, products.PAIR_TABLES)
    return build_model(resolve(job.cached_statepoint), table_cache=cache)


def reaction_record(job, model: Model) -> dict | None:
    """``job.doc["reaction"]``: rate, half-times, time-scale separation and the conversion
    against time read from the trajectory log (``log/mesocrystal/conversion``); with
    size-class swaps, their rate and the acceptance against time (frames after a sweep)."""
    p = model.params
    if p.reaction is None:
        return None
    record = {
        "rate_per_tau": float(p.reaction["rate_per_tau"]),
        "half_time_tau": float(p.reaction["half_time_tau"]),
        "half_time_days": float(p.reaction["half_time_days"]),
        "time_scale_separation": float(p.reaction["time_scale_separation"]),
        "tau_per_day": float(p.reaction["tau_per_day"]),
        "diffusion_time_tau": float(p.reaction["diffusion_time_tau"]),
        "conversion": [],
    }
    path = _path(job, products.TRAJECTORY_GSD)
    if path.exists():
        log = schema.read_log(path)
        t = log.get("reaction_time_tau")
        x = log.get("conversion")
        if t is not None and x is not None:
            record["conversion"] = [[float(a), float(b)] for a, b in zip(t, x)]
        acc, tried = log.get("exchange_acceptance"), log.get("exchange_attempts")
        if t is not None and acc is not None and tried is not None:
            record["exchange_acceptance"] = [
                [float(a), float(b)] for a, b, n in zip(t, acc, tried) if n > 0
            ]
    if p.exchange_rate > 0:
        record["exchange_rate_per_tau"] = float(p.exchange_rate)
        record.setdefault("exchange_acceptance", [])
    return record


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
        "type_names": model.type_names,
        "representation": "single particle" if model.single_particle else "rigid sites",
        "total_steps": simulate.total_steps(p),
    }
    if model.single_particle:
        table = model.pair_table
        doc["pair_contact_kT"] = {
            f"{table.types[i]}-{table.types[j]}": float(f.minimum[0] / model.kT)
            for (i, j), f in table.on.items()
        }
    if p.environment:
        from mesocrystal.model import conditions

        d_h = p.environment["product_core_nm"][0] + 2 * p.shell_nm
        doc["seconds_per_tau"] = conditions.physical_time_per_tau(
            p.environment["solvent"], p.environment["temperature_C"], d_h, p.damping_time
        )
    if p.reaction is not None:
        run_tau = p.steps * p.dt
        doc["observed_days"] = run_tau / p.reaction["tau_per_day"]
    job.doc["model"] = doc
    reaction = reaction_record(job, model)
    if reaction is not None:
        job.doc["reaction"] = reaction
    logger.info(
        "job %s: face contact %.2f kT, B2* = %.3g, regime %s",
        job.id,
        report["face_contact_kT"],
        report["B2_star"],
        report["regime"],
    )
    state = model.initial_state()
    schema.write_atomic(_path(job, products.INIT_GSD), schema.make_frame(model, state))


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
        "start_step": int(result.start_step),
        "total_steps": int(result.total_steps),
        "frames": result.frames,
        "tps": float(result.tps),
        "warnings": result.warnings,
    }
    reaction = reaction_record(job, model)
    if reaction is not None:
        job.doc["reaction"] = reaction
    return result


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

    Uses :func:`mesocrystal.analysis.analyze_trajectory`, which reads only the GSD file.
    """
    from mesocrystal import analysis

    return analysis.analyze_trajectory(
        job.fn(products.TRAJECTORY_GSD), job.fn(products.ANALYSIS_JSON), stride=stride
    )


def classify(job) -> dict:
    """Store the label, confidence and key descriptors in ``job.doc["classification"]``."""
    mtime_ns = os.stat(job.fn(products.ANALYSIS_JSON)).st_mtime_ns
    with open(job.fn(products.ANALYSIS_JSON)) as f:
        result = json.load(f)
    descriptors = result.get("descriptors", {})
    job.doc[products.CLASSIFICATION_KEY] = {
        "analysis_mtime_ns": mtime_ns,
        "label": result["label"],
        "confidence": result["confidence"],
        "alternative": result.get("alternative"),
        "step": result.get("step"),
        "first_occurrence": result.get("first_occurrence"),
        "descriptors": {k: descriptors.get(k) for k in KEY_DESCRIPTORS if k in descriptors},
    }
    return job.doc[products.CLASSIFICATION_KEY]


# -- conditions and labels (products on disk) ---------------------------------------------------


@snapshot
def initialized(job) -> bool:
    """``init.gsd`` exists."""
    return products.is_file(job, products.INIT_GSD)


class _CheckpointSteps:
    """Checkpoint steps by job, valid for one version of the file (modification time, size).

    ``status`` asks several conditions per job, and a new command would read every restart
    file again: at 100,000 jobs that is most of its time. The restart file is replaced, never
    modified in place, so its version identifies its step. The steps are kept in memory and,
    between commands, in :data:`products.CHECKPOINT_STEPS_JSON` (written atomically at exit when new
    steps were read; concurrent writers only lose cache entries), each as
    ``[mtime_ns, size, step]`` and, once asked for, the total steps of the job's run.
    """

    def __init__(self):
        self._steps: dict[str, list] = {}
        self._loaded: set[str] = set()
        self._dirty: set[str] = set()
        self._saving = False

    def _load(self, root: str) -> None:
        self._loaded.add(root)
        try:
            with open(os.path.join(root, products.CHECKPOINT_STEPS_JSON)) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return
        if isinstance(data, dict):
            for key, value in data.items():
                self._steps.setdefault(os.path.join(root, key), value)

    def _entry(self, job) -> list | None:
        """``[mtime_ns, size, step, (required steps)]`` of the job's checkpoint, or None."""
        st = products.stat(job, products.RESTART_GSD)
        if st is None:
            return None
        path = job.fn(products.RESTART_GSD)
        root = job.project.path
        if root not in self._loaded:
            self._load(root)
        entry = self._steps.get(path)
        if entry is not None and entry[0] == st.st_mtime_ns and entry[1] == st.st_size:
            return entry
        step = schema.last_step(path)
        entry = self._steps[path] = [st.st_mtime_ns, st.st_size, step]
        if step is not None:
            self._changed(root)
        return entry

    def _changed(self, root: str) -> None:
        self._dirty.add(root)
        if not self._saving:
            self._saving = True
            atexit.register(self.save)

    def step(self, job) -> int | None:
        entry = self._entry(job)
        return None if entry is None else entry[2]

    def step_of_run(self, job) -> tuple[int, int] | None:
        """(step of the checkpoint, total steps of the run), or None without a checkpoint.

        The total (:func:`required_steps`) is kept beside the step: a job's state point
        never changes, and reading it would load the state points of the whole study.
        """
        entry = self._entry(job)
        if entry is None or entry[2] is None:
            return None
        if len(entry) < 4 or not isinstance(entry[3], int):
            del entry[3:]
            entry.append(required_steps(job))
            self._changed(job.project.path)
        return entry[2], entry[3]

    def save(self) -> None:
        """Write the steps of every project read from (atomically; errors are ignored)."""
        for root in self._dirty:
            prefix = root.rstrip(os.sep) + os.sep
            data = {
                path[len(prefix) :]: entry
                for path, entry in self._steps.items()
                if path.startswith(prefix) and entry[2] is not None
            }
            with (
                contextlib.suppress(OSError),
                atomic_output(os.path.join(root, products.CHECKPOINT_STEPS_JSON)) as tmp,
            ):
                tmp.write_text(json.dumps(data, separators=(",", ":")))
        self._dirty.clear()


_checkpoint_steps = _CheckpointSteps()


def checkpoint_step(job) -> int | None:
    """Step of the latest checkpoint, or None when there is none (or it is unreadable).

    Cached per file version (modification time, size) in memory and in the project's
    :data:`products.CHECKPOINT_STEPS_JSON`, so that ``status`` needs one ``stat`` per job.
    """
    return _checkpoint_steps.step(job)


def required_steps(job) -> int:
    """Total steps of the job's run (randomisation + assembly)."""
    sp = job.cached_statepoint
    return int(sp["randomize_steps"]) + int(sp["steps"])


@snapshot
def simulated(job) -> bool:
    """The checkpoint has reached the end of the run."""
    run = _checkpoint_steps.step_of_run(job)
    return run is not None and run[0] >= run[1]


@snapshot
def analyzed(job) -> bool:
    """``analysis.json`` exists and is not older than the trajectory."""
    return products.fresh(job, (products.ANALYSIS_JSON,), (products.TRAJECTORY_GSD,))


@functools.lru_cache(maxsize=65536)
def _analysis_step(path: str, mtime_ns: int, size: int):
    with open(path) as f:
        return json.load(f).get("step")


@snapshot
def classified(job) -> bool:
    """The job document holds the label of the current ``analysis.json``.

    The label records the modification time of the ``analysis.json`` it was read from, so
    that this check needs a ``stat`` and no read of the file; a label without it (or after
    the file was copied) is compared by the analysed step instead.
    """
    st = products.stat(job, products.ANALYSIS_JSON)
    if st is None:
        return False
    classification = _classification(job)
    if not classification:
        return False
    if classification.get("analysis_mtime_ns") == st.st_mtime_ns:
        return True
    return classification.get("step") == _analysis_step(
        job.fn(products.ANALYSIS_JSON), st.st_mtime_ns, st.st_size
    )


@snapshot
def all_labelled(*jobs) -> bool:
    """Every job of an aggregate has a structure label (the aggregates wait for the study)."""
    return all(structure_label(job) is not None for job in jobs)


@snapshot
def _classification(job) -> dict | None:
    return job_document(job).get(products.CLASSIFICATION_KEY)


@snapshot
def structure_label(job) -> str | None:
    """The structure label (``crystalline``, ``layered``, ``rcp``, ``dispersed``)."""
    classification = _classification(job)
    return classification["label"] if classification else None


@snapshot
def progress_label(job) -> str | None:
    """``"simulating: 40%"`` for a started, unfinished run."""
    run = _checkpoint_steps.step_of_run(job)
    if run is None or run[0] >= run[1]:
        return None
    return f"simulating: {100 * run[0] // run[1]}%"
