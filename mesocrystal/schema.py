"""The project's GSD schema, shared by every engine (documented in ``docs/gsd_schema.md``).

``trajectory.gsd`` holds one frame per output interval and ``restart.gsd`` one frame with the
latest checkpoint. Both carry one particle per rigid body (its centre of mass); the interaction
sites are implied by the body type and drawn by viewers from ``particles/type_shapes``.

Frames are written with :mod:`gsd.hoomd`; the restart file is written to a temporary file,
flushed to disk and renamed over the old one, so a kill at any moment leaves either the old or
the new checkpoint, never a partial one.
"""

from __future__ import annotations

import os
from pathlib import Path

import gsd.fl
import gsd.hoomd
import numpy as np
import rowan

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


def make_frame(model, state: BodyState, log: dict | None = None) -> gsd.hoomd.Frame:
    """A GSD frame of the project's schema.

    Parameters
    ----------
    model : mesocrystal.model.system.Model
        Supplies types, shapes, masses and inertia.
    state : BodyState
        Body state to write.
    log : dict, optional
        Scalars to store under ``log/mesocrystal/<name>``.
    """
    frame = gsd.hoomd.Frame()
    frame.configuration.step = int(state.step)
    frame.configuration.dimensions = 3
    frame.configuration.box = [*map(float, state.box), 0.0, 0.0, 0.0]
    n = state.N
    frame.particles.N = n
    frame.particles.types = model.type_names
    frame.particles.type_shapes = [s.type_shape for s in model.shapes]
    frame.particles.typeid = state.typeid.astype(np.uint32)
    frame.particles.position = state.position.astype(np.float32)
    frame.particles.image = state.image.astype(np.int32)
    frame.particles.orientation = state.orientation.astype(np.float32)
    frame.particles.velocity = state.velocity.astype(np.float32)
    frame.particles.angmom = angmom_to_gsd(state.orientation, state.angmom).astype(np.float32)
    shapes = model.shapes
    frame.particles.mass = np.array([s.mass for s in shapes])[state.typeid].astype(np.float32)
    frame.particles.moment_inertia = np.array([s.moment_inertia for s in shapes])[
        state.typeid
    ].astype(np.float32)
    frame.particles.diameter = np.array([s.circumsphere_diameter for s in shapes])[
        state.typeid
    ].astype(np.float32)
    frame.particles.body = np.arange(n, dtype=np.int32)
    for key, value in (log or {}).items():
        frame.log[LOG_PREFIX + key] = np.atleast_1d(np.asarray(value, dtype=np.float64))
    return frame


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


def write_atomic(path: str | os.PathLike, frame: gsd.hoomd.Frame) -> None:
    """Write a one-frame GSD file atomically (temporary file, fsync, rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with gsd.hoomd.open(tmp, "w") as f:
        f.append(frame)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class CorruptFileError(RuntimeError):
    """A GSD file is missing, empty, truncated or not a GSD file."""


def read_last_frame(path: str | os.PathLike) -> gsd.hoomd.Frame:
    """The last frame of a GSD file, with a clear error if the file cannot be trusted."""
    path = Path(path)
    if not path.exists():
        raise CorruptFileError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise CorruptFileError(f"{path}: file is empty")
    try:
        with gsd.hoomd.open(path, "r") as f:
            if len(f) == 0:
                raise CorruptFileError(f"{path}: file has no frames")
            return f[len(f) - 1]
    except CorruptFileError:
        raise
    except (RuntimeError, OSError, ValueError, KeyError) as err:
        raise CorruptFileError(f"{path}: not a readable GSD file ({err})") from err


def trajectory_steps(path: str | os.PathLike) -> np.ndarray:
    """Step of every frame of a trajectory (empty if the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return np.zeros(0, dtype=np.int64)
    name = "configuration/step"
    with gsd.fl.open(path, "r") as f:
        # gsd.hoomd omits a chunk equal to its default (step 0) or to frame 0's value.
        first = int(f.read_chunk(0, name)[0]) if f.nframes and f.chunk_exists(0, name) else 0
        return np.array(
            [
                int(f.read_chunk(k, name)[0]) if f.chunk_exists(k, name) else first
                for k in range(f.nframes)
            ],
            dtype=np.int64,
        )


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
    tmp = path.with_name(f".{path.name}.tmp")
    with gsd.hoomd.open(path, "r") as src, gsd.hoomd.open(tmp, "w") as dst:
        for k in range(keep):
            dst.append(src[k])
    os.replace(tmp, path)
    return len(steps) - keep
