"""Animated GIF of a trajectory, every body coloured by aggregate in each frame."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mesocrystal import schema
from mesocrystal.files import atomic_output

from .camera import DEFAULT_VIEW
from .render import draw_structure
from .scene import _stored, bodies_from_frame, membership


def render_movie(
    gsd_path: str | os.PathLike,
    out_path: str | os.PathLike,
    max_frames: int = 20,
    fps: float = 4.0,
    dt: float | None = None,
    size_in: float = 4.5,
    dpi: int = 80,
    view: tuple[float, float] = DEFAULT_VIEW,
    per_body: str | os.PathLike | None = None,
) -> Path:
    """Animated GIF of a trajectory, every body coloured by aggregate in each frame.

    When a per-body archive of :func:`mesocrystal.analysis.analyze_trajectory` is given and fresh,
    the movie shows (up to ``max_frames`` of) the frames it holds, which are not analysed again;
    otherwise frames evenly spaced over the trajectory are analysed one by one.

    Parameters
    ----------
    gsd_path : str or os.PathLike
        HOOMD-schema trajectory.
    out_path : str or os.PathLike
        GIF file to write (atomically).
    max_frames : int
        Most frames in the movie, evenly spaced over the trajectory (first and last included).
    fps : float
        Frames per second.
    dt : float, optional
        Time step [τ], to print the time.
    size_in : float
        Width and height [inch].
    dpi : int
        Resolution [dots per inch].
    view : tuple of float
        Camera elevation and azimuth [degrees].
    per_body : str or os.PathLike, optional
        Per-body archive (``analysis.bodies.npz``).

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import PillowWriter

    with schema.open_trajectory(gsd_path) as traj:
        n = len(traj)
        picks = np.unique(np.linspace(0, n - 1, min(max_frames, n)).round().astype(int))
        stored_frames: list[int] = []
        if per_body is not None:
            from mesocrystal.analysis import perbody

            stored_frames = [f for f in perbody.stored_frames(per_body, gsd_path) if f < n]
        if len(stored_frames) >= 2:
            keep = np.linspace(0, len(stored_frames) - 1, min(max_frames, len(stored_frames)))
            picks = np.unique(np.asarray(stored_frames)[keep.round().astype(int)])
        fig = plt.figure(figsize=(size_in, size_in))
        writer = PillowWriter(fps=fps)
        try:
            with atomic_output(out_path) as tmp:
                with writer.saving(fig, os.fspath(tmp), dpi):
                    for k in picks:
                        frame = traj[int(k)]
                        bodies = bodies_from_frame(frame)
                        fig.clf()
                        draw_structure(
                            fig,
                            bodies,
                            membership(frame, bodies, _stored(per_body, gsd_path, int(k))),
                            view,
                            dt,
                            title=f"{bodies.n} {bodies.shape_names()}",
                            compact=True,
                        )
                        writer.grab_frame()
        finally:
            plt.close(fig)
    return Path(out_path)
