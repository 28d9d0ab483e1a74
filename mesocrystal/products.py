"""Every file the workflow writes, one name each, and when a product is up to date.

In the job directory:

========================  =========================================================  ===============
file                      content                                                    operation
========================  =========================================================  ===============
``init.gsd``              initial configuration (step 0)                             ``initialize``
``trajectory.gsd``        frames of the run (schema: ``docs/gsd_schema.md``)         ``assemble``
``restart.gsd``           latest checkpoint; the run is complete when its step       ``assemble``
                          reaches ``randomize_steps + steps``
``.run.lock``             held while a process runs the job                          ``assemble``
``analysis.json``         descriptors and labels of the final frame, time series     ``analyze``
``analysis.bodies.npz``   per-body results of the analysed frames (``perbody``)       ``analyze``
``structure.png``         final frame, whole box, coloured by aggregate              ``render``
``aggregate.png``         close-up of the largest aggregate, local order             ``render``
``trajectory.gif``        movie of the trajectory                                    ``animate``
``timeseries.png``        order parameters, aggregation and label against time       ``plot``
``thermo.png``            potential energy and temperatures against time             ``plot``
``rdf.png``               g(r) of the final frame                                    ``plot``
``morphology.json``       mesocrystal size and shape, crystallite size, roughness    ``measure``
``afm.png``               AFM-like height maps of the largest aggregate              ``measure``
job document              ``classification``: label, confidence, key descriptors     ``classify``
========================  =========================================================  ===============

In the project directory: ``phase_diagram.png`` and ``.json`` (``phase_diagram``),
``paper_report.json``, ``.md`` and ``.png`` (``paper_report``), the pair-table cache
``pair_tables/`` and the cache of checkpoint steps ``.checkpoint_steps.json`` (both safe to
delete).

A product is up to date when it exists and is not older than its inputs (:func:`fresh`), so a
trajectory that is extended later is analysed and drawn again.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from mesocrystal.status_snapshot import job_entries

# -- job directory ---------------------------------------------------------------------------
INIT_GSD = "init.gsd"
TRAJECTORY_GSD = "trajectory.gsd"
RESTART_GSD = "restart.gsd"
RUN_LOCK = ".run.lock"
ANALYSIS_JSON = "analysis.json"
STRUCTURE_PNG = "structure.png"
AGGREGATE_PNG = "aggregate.png"
MOVIE_GIF = "trajectory.gif"
TIMESERIES_PNG = "timeseries.png"
THERMO_PNG = "thermo.png"
RDF_PNG = "rdf.png"
MORPHOLOGY_JSON = "morphology.json"
AFM_PNG = "afm.png"
STACKS_JSON = "stacks.json"
STACKS_PNG = "stacks.png"

#: Job-document key of the classification: ``{"label": str, "confidence": float, ...}``.
CLASSIFICATION_KEY = "classification"

RENDER_PRODUCTS = (STRUCTURE_PNG, AGGREGATE_PNG)
PLOT_PRODUCTS = (TIMESERIES_PNG, THERMO_PNG, RDF_PNG)
MEASURE_PRODUCTS = (MORPHOLOGY_JSON, AFM_PNG)

# -- project directory -----------------------------------------------------------------------
PHASE_DIAGRAM_PNG = "phase_diagram.png"
PHASE_DIAGRAM_JSON = "phase_diagram.json"
REPORT_JSON = "paper_report.json"
REPORT_MD = "paper_report.md"
REPORT_PNG = "paper_report.png"
#: Directory where pair tables are cached by content hash, so replicas of a state point
#: compute their single-particle potentials once.
PAIR_TABLES = "pair_tables"
#: Cache of checkpoint steps (a cache only: safe to delete).
CHECKPOINT_STEPS_JSON = ".checkpoint_steps.json"


def stat(job, name: str) -> os.stat_result | None:
    """``os.stat`` of a file in the job directory, or None when there is none.

    In ``status`` and ``submit`` (:func:`mesocrystal.status_snapshot.take_snapshot`) the answer
    comes from one listing of the job directory: a missing product costs no system call and a
    present one is looked at once.
    """
    entries = job_entries(job)
    try:
        if entries is None:
            return os.stat(job.fn(name))
        entry = entries.get(name)
        return None if entry is None else entry.stat()
    except FileNotFoundError:
        return None


def is_file(job, name: str) -> bool:
    """A regular file (or a link to one) of this name is in the job directory."""
    entries = job_entries(job)
    if entries is None:
        return job.isfile(name)
    entry = entries.get(name)
    try:
        return entry is not None and entry.is_file()
    except OSError:
        return False


def _mtime_ns(job, name: str) -> int | None:
    st = stat(job, name)
    return None if st is None else st.st_mtime_ns


def fresh(job, products: Sequence[str], sources: Sequence[str]) -> bool:
    """All ``products`` exist and none is older than a source that exists.

    Parameters
    ----------
    job : signac.job.Job
        The job whose directory holds the files.
    products, sources : sequence of str
        File names in the job directory.
    """
    entries = job_entries(job)
    if entries is not None and not all(name in entries for name in products):
        return False  # one look at the listing of the job directory
    made = [_mtime_ns(job, name) for name in products]
    if None in made:
        return False
    used = [t for t in (_mtime_ns(job, name) for name in sources) if t is not None]
    return not used or min(made) >= max(used)
