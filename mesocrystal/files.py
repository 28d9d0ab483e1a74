"""Atomic file output, used by every writer of the project.

Each product (GSD checkpoint, JSON, NumPy archive, picture) is written to a temporary file in
the destination's directory, flushed to disk and renamed over the destination with
:func:`os.replace`. A reader (the workflow's conditions, the dashboard) therefore sees either the
old file or the new one, never a partial one, and a run killed at any moment leaves no
half-written product behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it over ``path`` when the block succeeds.

    The temporary file has the suffix of ``path`` (writers such as matplotlib infer the format
    from it) and the usual permissions of a new file. When the block returns, the file is
    flushed to disk (:func:`os.fsync`), renamed over ``path`` and the directory entry is
    flushed as well. On an exception the temporary file is removed and an existing ``path``
    is left untouched.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; its directory is created if needed.

    Yields
    ------
    pathlib.Path
        The temporary file to write (it exists and is empty).
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=out.suffix, dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(out.parent)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_directory(directory: Path) -> None:
    """Flush a directory entry (the rename) to disk where the file system allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_json_atomic(data: Any, path: str | os.PathLike) -> Path:
    """Write ``data`` as indented JSON, atomically.

    Parameters
    ----------
    data : object
        JSON-serialisable data; NaN and infinity are refused (:class:`ValueError`), so every
        file is standard JSON.
    path : str or os.PathLike
        Destination.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    with atomic_output(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def save_figure(fig, path: str | os.PathLike, dpi: int) -> Path:
    """Save a matplotlib figure atomically and close it; returns ``path``."""
    import matplotlib.pyplot as plt

    try:
        with atomic_output(path) as tmp:
            fig.savefig(tmp, dpi=dpi)
    finally:
        plt.close(fig)
    return Path(path)
