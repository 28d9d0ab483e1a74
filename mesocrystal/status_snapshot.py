"""Conditions evaluated once per job in read-only commands (``status``, ``submit``).

``status`` and ``submit`` ask the same condition of a job many times (once per operation and
group that uses it) while nothing changes on disk. After :func:`take_snapshot`, every function
decorated with :func:`snapshot` (the workflow's conditions and labels) and the project
document (:func:`project_document`) are read once per job. :func:`mesocrystal.scheduler.main`
takes the snapshot for these commands only, never for ``run``, where an operation changes what
its successors see.
"""

from __future__ import annotations

import functools

_snapshot: dict | None = None


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
        if _snapshot is None:
            return func(*jobs)
        key = (func, *(job.id for job in jobs))
        try:
            return _snapshot[key]
        except KeyError:
            value = _snapshot[key] = func(*jobs)
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
