"""The project's GSD schema and the one module that reads and writes GSD files.

The schema is shared by every engine and documented in ``docs/gsd_schema.md``.
``trajectory.gsd`` holds one frame per output interval and ``restart.gsd`` one frame with the
latest checkpoint. Both carry one particle per rigid body (its centre of mass); the interaction
sites are implied by the body type and drawn by viewers from ``particles/type_shapes``.

Writing (the simulation side): :func:`make_frame` turns a :class:`~mesocrystal.state.BodyState`
into a frame; :func:`write_atomic` and :func:`write_frames` write whole files through a
temporary file that is flushed to disk and renamed over the old one
(:func:`mesocrystal.files.atomic_output`), so a kill at any moment leaves either the old or the
new file, never a partial one; :func:`open_for_append` and :func:`truncate_trajectory` keep the
trajectory in step with the checkpoint.

Reading (the run loop, the analysis, the pictures, the workflow's conditions):
:func:`open_trajectory`, :func:`read_frame`, :func:`iter_frames`, :func:`trajectory_steps`,
:func:`last_step` and :func:`read_log`. Every unusable file (missing, empty, truncated, corrupt,
another format) raises the one error :class:`GSDReadError`.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import gsd.fl
import gsd.hoomd
import numpy as np
import rowan

from mesocrystal.files import atomic_output
from mesocrystal.state import BodyState

#: Prefix of the logged quantities in ``Frame.log``; gsd stores them as ``log/mesocrystal/*``.
LOG_PREFIX = "mesocrystal/"


def angmom_to_gsd(orientation: np.ndarray, angmom_body: np.ndarray) -> np.ndarray:
    """Body-frame angular momentum to HOOMD's conjugate quaternion momentum.

    HOOMD stores :math:`p = 2\\,q \\otimes (0, \\mathbf{L}_\\mathrm{body})` in
    ``particles/angmom``.

    Parameters
    ----------
    orientation : numpy.ndarray, shape (N, 4)
    angmom_body : numpy.ndarray, shape (N, 3)

    Returns
    -------
    numpy.ndarray, shape (N, 4)
    """
    pure = np.column_stack([np.zeros(len(angmom_body)), angmom_body])
    return 2.0 * rowan.multiply(orientation, pure)


def angmom_from_gsd(orientation: np.ndarray, angmom: np.ndarray) -> np.ndarray:
    """Inverse of :func:`angmom_to_gsd`, shape (N, 3)."""
    return 0.5 * rowan.multiply(rowan.conjugate(orientation), angmom)[:, 1:]


def frame_from_arrays(
    box,
    position: np.ndarray,
    *,
    step: int = 0,
    types=("A0",),
    typeid: np.ndarray | None = None,
    type_shapes: list | None = None,
    orientation: np.ndarray | None = None,
    image: np.ndarray | None = None,
    velocity: np.ndarray | None = None,
    angmom: np.ndarray | None = None,
    mass: np.ndarray | None = None,
    moment_inertia: np.ndarray | None = None,
    diameter: np.ndarray | None = None,
    body: bool = True,
    log: dict | None = None,
) -> gsd.hoomd.Frame:
    """A 3-D frame of the schema from per-body arrays: the one place frames are built.

    Parameters
    ----------
    box : sequence of float
        ``[Lx, Ly, Lz]`` or ``[Lx, Ly, Lz, xy, xz, yz]`` [nm].
    position : numpy.ndarray, shape (N, 3)
        Body centres [nm], stored as given (wrap them first).
    step : int
        Time step.
    types : sequence of str
        Type names.
    typeid : numpy.ndarray, shape (N,), optional
        Type of each body (default 0).
    type_shapes : list of dict, optional
        ``particles/type_shapes``, one entry per type.
    orientation, image, velocity, angmom, mass, moment_inertia, diameter : numpy.ndarray, optional
        Per-body arrays in the HOOMD schema's shapes and units; left at the GSD defaults when
        omitted.
    body : bool
        Each particle is the centre of its own rigid body (``particles/body[i] = i``); False
        marks free particles (``-1``).
    log : dict, optional
        Scalars to store under ``log/mesocrystal/<name>``.
    """
    n = len(position)
    frame = gsd.hoomd.Frame()
    frame.configuration.step = int(step)
    frame.configuration.dimensions = 3
    box = [float(x) for x in box]
    frame.configuration.box = box + [0.0] * (6 - len(box))
    frame.particles.N = n
    frame.particles.types = list(types)
    if type_shapes is not None:
        frame.particles.type_shapes = list(type_shapes)
    typeid = np.zeros(n) if typeid is None else np.asarray(typeid)
    frame.particles.typeid = typeid.astype(np.uint32)
    frame.particles.position = np.asarray(position).astype(np.float32)
    optional = {
        "orientation": (orientation, np.float32),
        "image": (image, np.int32),
        "velocity": (velocity, np.float32),
        "angmom": (angmom, np.float32),
        "mass": (mass, np.float32),
        "moment_inertia": (moment_inertia, np.float32),
        "diameter": (diameter, np.float32),
    }
    for name, (values, dtype) in optional.items():
        if values is not None:
            setattr(frame.particles, name, np.asarray(values).astype(dtype))
    frame.particles.body = np.arange(n, dtype=np.int32) if body else np.full(n, -1, np.int32)
    for key, value in (log or {}).items():
        frame.log[LOG_PREFIX + key] = np.atleast_1d(np.asarray(value, dtype=np.float64))
    return frame


def make_frame(model, state: BodyState, log: dict | None = None) -> gsd.hoomd.Frame:
    """A GSD frame of the simulation state (:func:`frame_from_arrays`).

    Parameters
    ----------
    model : mesocrystal.model.system.Model
        Supplies types, shapes, masses and inertia.
    state : BodyState
        Body state to write.
    log : dict, optional
        Scalars to store under ``log/mesocrystal/<name>``.
    """
    shapes = model.shapes
    return frame_from_arrays(
        state.box,
        state.position,
        step=state.step,
        types=model.type_names,
        typeid=state.typeid,
        type_shapes=[s.type_shape for s in shapes],
        orientation=state.orientation,
        image=state.image,
        velocity=state.velocity,
        angmom=angmom_to_gsd(state.orientation, state.angmom),
        mass=np.array([s.mass for s in shapes])[state.typeid],
        moment_inertia=np.array([s.moment_inertia for s in shapes])[state.typeid],
        diameter=np.array([s.circumsphere_diameter for s in shapes])[state.typeid],
        log=log,
    )


def state_from_frame(frame: gsd.hoomd.Frame) -> BodyState:
    """Read a body state (float64 copies) from a frame of the schema."""
    box = np.asarray(frame.configuration.box[:3], dtype=float)
    orientation = np.asarray(frame.particles.orientation, dtype=float)
    orientation /= np.linalg.norm(orientation, axis=1, keepdims=True)
    return BodyState(
        step=int(frame.configuration.step),
        box=box,
        position=np.asarray(frame.particles.position, dtype=float),
        image=np.asarray(frame.particles.image, dtype=np.int64),
        orientation=orientation,
        velocity=np.asarray(frame.particles.velocity, dtype=float),
        angmom=angmom_from_gsd(orientation, np.asarray(frame.particles.angmom, dtype=float)),
        typeid=np.asarray(frame.particles.typeid, dtype=np.int64),
    )


class GSDReadError(RuntimeError):
    """A GSD file is missing, empty, truncated, corrupt, or not a HOOMD-schema GSD file.

    The one error of every reader of the project's GSD files (the run loop, the analysis, the
    pictures).
    """


@contextlib.contextmanager
def open_trajectory(path: str | os.PathLike) -> Iterator[gsd.hoomd.HOOMDTrajectory]:
    """Open a GSD file for reading, with clear errors for unusable files.

    Parameters
    ----------
    path : str or os.PathLike
        Path of a HOOMD-schema GSD file.

    Yields
    ------
    gsd.hoomd.HOOMDTrajectory
        The open trajectory (closed on exit). It has at least one frame.

    Raises
    ------
    GSDReadError
        If the file does not exist, is a directory, is empty, is not a GSD file, is corrupt or
        truncated, or holds no frames.
    """
    p = Path(path)
    if not p.exists():
        raise GSDReadError(f"{p}: no such file")
    if p.is_dir():
        raise GSDReadError(f"{p}: is a directory, not a GSD file")
    if p.stat().st_size == 0:
        raise GSDReadError(f"{p}: file is empty")
    try:
        traj = gsd.hoomd.open(p, "r")
    except (RuntimeError, OSError, ValueError, KeyError) as exc:
        raise GSDReadError(
            f"{p}: not a readable HOOMD GSD file (truncated, corrupt or another format: {exc})"
        ) from exc
    try:
        if len(traj) == 0:
            raise GSDReadError(f"{p}: GSD file holds no frames")
        yield traj
    finally:
        traj.close()


def _read(traj: gsd.hoomd.HOOMDTrajectory, index: int, path: str | os.PathLike) -> gsd.hoomd.Frame:
    try:
        frame = traj[index]
        # touch the per-particle chunks so that truncated data fails here, not later
        _ = frame.particles.position, frame.configuration.box
    except (RuntimeError, OSError, ValueError, KeyError, IndexError) as exc:
        raise GSDReadError(
            f"{path}: frame {index} cannot be read (truncated or corrupt: {exc})"
        ) from exc
    if frame.particles.position is None and frame.particles.N > 0:
        raise GSDReadError(f"{path}: frame {index} has no particles/position")
    return frame


def frame_count(path: str | os.PathLike) -> int:
    """Number of frames in a GSD file (raises :class:`GSDReadError` on unusable files)."""
    with open_trajectory(path) as traj:
        return len(traj)


def read_frame(path: str | os.PathLike, frame: int = -1) -> tuple[int, gsd.hoomd.Frame]:
    """Read one frame.

    Parameters
    ----------
    path : str or os.PathLike
        GSD file.
    frame : int
        Frame index; negative values count from the end (``-1`` = last frame).

    Returns
    -------
    tuple of (int, gsd.hoomd.Frame)
        The non-negative frame index and the frame.

    Raises
    ------
    GSDReadError
        On unusable files or an out-of-range frame index.
    """
    with open_trajectory(path) as traj:
        n = len(traj)
        index = frame + n if frame < 0 else frame
        if not 0 <= index < n:
            raise GSDReadError(f"{path}: frame {frame} out of range (file has {n} frames)")
        return index, _read(traj, index, path)


def read_last_frame(path: str | os.PathLike) -> gsd.hoomd.Frame:
    """The last frame of a GSD file (:class:`GSDReadError` if the file cannot be trusted)."""
    return read_frame(path, -1)[1]


def frame_indices(n_frames: int, stride: int = 1, start: int = 0, stop: int | None = None) -> list:
    """Frame indices ``start, start + stride, ...`` below ``stop``, always ending on the last one.

    Parameters
    ----------
    n_frames : int
        Number of frames in the trajectory.
    stride : int
        Step between selected frames (>= 1).
    start, stop : int
        Python-style range bounds (negative values count from the end).

    Returns
    -------
    list of int
        Sorted frame indices; the last frame of the range is always included so that a time
        series ends on the final state.
    """
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    first, last, _ = slice(start, stop).indices(n_frames)
    idx = list(range(first, last, stride))
    if last - 1 >= first and (not idx or idx[-1] != last - 1):
        idx.append(last - 1)
    return idx


def iter_frames(
    path: str | os.PathLike, stride: int = 1, start: int = 0, stop: int | None = None
) -> Iterator[tuple[int, gsd.hoomd.Frame]]:
    """Iterate over ``(index, frame)`` pairs selected by :func:`frame_indices`."""
    with open_trajectory(path) as traj:
        for index in frame_indices(len(traj), stride, start, stop):
            yield index, _read(traj, index, path)


def trajectory_steps(path: str | os.PathLike) -> np.ndarray:
    """Step of every frame of a trajectory (empty if the file does not exist).

    Read with :func:`gsd.hoomd.read_log` (a step the GSD writer left out at the schema's
    default is filled in).
    """
    path = Path(path)
    if not path.exists():
        return np.zeros(0, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No logged data", RuntimeWarning)
        log = gsd.hoomd.read_log(os.fspath(path), scalar_only=True)
    return np.asarray(log["configuration/step"], dtype=np.int64)


def last_step(path: str | os.PathLike) -> int | None:
    """Step of the last frame of a GSD file, reading that one chunk (None if unreadable)."""
    try:
        with gsd.fl.open(os.fspath(path), "r") as f:
            last = f.nframes - 1
            if last < 0:
                return None
            if not f.chunk_exists(last, "configuration/step"):
                return 0  # the GSD HOOMD schema's default step
            return int(f.read_chunk(last, "configuration/step")[0])
    except (OSError, RuntimeError, ValueError, KeyError):
        return None


def read_log(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Per-frame logged scalars of a trajectory, keyed by name without prefix.

    Parameters
    ----------
    path : str or os.PathLike
        HOOMD-schema GSD file with ``log/mesocrystal/<name>`` chunks (any prefix before
        ``mesocrystal/`` is accepted).

    Returns
    -------
    dict of str to numpy.ndarray
        ``"step"`` and each ``<name>``, one value per frame (frames without a value hold NaN).
    """
    raw = gsd.hoomd.read_log(os.fspath(path), scalar_only=True)
    out = {"step": np.asarray(raw["configuration/step"], dtype=np.int64)}
    for key, values in raw.items():
        if LOG_PREFIX in key:
            name = key.rsplit(LOG_PREFIX, 1)[1]
            out[name] = np.asarray(values, dtype=np.float64).reshape(len(out["step"]), -1)[:, 0]
    return out


def write_atomic(path: str | os.PathLike, frame: gsd.hoomd.Frame) -> None:
    """Write a one-frame GSD file atomically (temporary file, fsync, rename)."""
    write_frames([frame], path)


def write_frames(frames: Iterable[gsd.hoomd.Frame], path: str | os.PathLike) -> Path:
    """Write frames (read lazily from any iterable) to a new GSD file atomically.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_output(path) as tmp, gsd.hoomd.open(tmp, "w") as traj:
        for frame in frames:
            traj.append(frame)
    return Path(path)


def open_for_append(path: str | os.PathLike) -> gsd.hoomd.HOOMDTrajectory:
    """Open a trajectory to append frames to (created if missing); close it after use."""
    return gsd.hoomd.open(path, "a")


def truncate_trajectory(path: str | os.PathLike, last_step: int) -> int:
    """Drop trailing frames written after ``last_step`` (after a kill between checkpoints).

    The kept frames are copied to a temporary file that atomically replaces the original.

    Returns
    -------
    int
        Number of frames dropped.
    """
    path = Path(path)
    steps = trajectory_steps(path)
    keep = int(np.searchsorted(steps, last_step, side="right"))
    if keep == len(steps):
        return 0
    with gsd.hoomd.open(path, "r") as src:
        write_frames((src[k] for k in range(keep)), path)
    return len(steps) - keep
