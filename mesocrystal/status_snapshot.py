"""Conditions evaluated once per job in read-only commands (``status``, ``submit``).

``status`` and ``submit`` ask the same condition of a job many times (once per operation and
group that uses it) while nothing changes on disk. After :func:`take_snapshot`, every function
decorated with :func:`snapshot` (the workflow's conditions and labels) and the project
document (:func:`project_document`) are read once per job, and the conditions that look at
files read one listing of the job directory (:func:`job_entries`, a single ``os.scandir``) and
the job document as one JSON file (:func:`job_document`) instead of a ``stat`` per product.
:func:`mesocrystal.scheduler.main` takes the snapshot for these commands only, never for
``run``, where an operation changes what its successors see.
"""

from __future__ import annotations

import functools
import json
import os

_snapshot: dict | None = None

#: Keys of the per-job listings and documents in the snapshot (beside the functions).
_ENTRIES = "job directory entries"
_DOCUMENTS = "job documents"
_MISSING = object()


def take_snapshot() -> None:
    """Evaluate every condition and label once per job from now on (for read-only commands).

    ``status`` and ``submit`` ask the same condition of a job many times (once per operation
    and group that uses it) while nothing changes on disk; :func:`mesocrystal.scheduler.main`
    calls this for them.
    Never for ``run``, where an operation changes what its successors see.
    """
    global _snapshot
    _snapshot = {}


def snapshot(func):
    """Decorator: within a :func:`take_snapshot`, ``func(*jobs)`` is evaluated once."""

    @functools.wraps(func)
    def wrapper(*jobs):
        snap = _snapshot
        if snap is None:
            return func(*jobs)
        values = snap.get(func)
        if values is None:
            values = snap[func] = {}
        key = jobs[0].id if len(jobs) == 1 else tuple(job.id for job in jobs)
        value = values.get(key, _MISSING)
        if value is _MISSING:
            value = values[key] = func(*jobs)
        return value

    return wrapper


def project_document(job) -> dict:
    """The project document of a job's study as a plain dict (read once in a snapshot)."""
    if _snapshot is None:
        return job.project.doc()
    key = ("project document", job.project.path)
    if key not in _snapshot:
        _snapshot[key] = job.project.doc()
    return _snapshot[key]


def job_entries(job) -> dict[str, os.DirEntry] | None:
    """The entries of a job's directory by file name, listed once per job in a snapshot.

    Returns None outside a snapshot: then every check asks the file system itself. The
    entries keep the ``stat`` result of their first :meth:`os.DirEntry.stat` call, so that
    each product is looked at once however many conditions name it.

    Parameters
    ----------
    job : signac.job.Job
        The job.

    Returns
    -------
    dict or None
        ``{name: os.DirEntry}`` of the job directory (empty when it does not exist).
    """
    if _snapshot is None:
        return None
    listings = _snapshot.setdefault(_ENTRIES, {})
    job_id = job.id
    entries = listings.get(job_id)
    if entries is None:
        try:
            with os.scandir(job.path) as it:
                entries = {entry.name: entry for entry in it}
        except FileNotFoundError:
            entries = {}
        listings[job_id] = entries
    return entries


def job_document(job) -> dict:
    """A job's document as a plain dict (read once per job in a snapshot).

    In a snapshot the document file is parsed directly, and a job without one (a fresh job)
    costs no read; outside a snapshot this is ``job.doc()``.
    """
    if _snapshot is None:
        return job.doc()
    documents = _snapshot.setdefault(_DOCUMENTS, {})
    job_id = job.id
    document = documents.get(job_id)
    if document is None:
        entries = job_entries(job)
        if job.FN_DOCUMENT not in entries:
            document = {}
        else:
            try:
                with open(entries[job.FN_DOCUMENT].path, "rb") as f:
                    document = json.loads(f.read())
            except (OSError, ValueError):
                document = job.doc()  # signac reports what is wrong with the file
        documents[job_id] = document
    return document
