"""Pictures of nanocrystal configurations: the figure layout of the two final-frame pictures.

* :func:`render_structure`: the whole box, bodies coloured by aggregate
  (:func:`~mesocrystal.visualize.scene.cluster_colors`).
* :func:`render_aggregate`: a close-up of the largest aggregate, unwrapped across the periodic
  boundaries, coloured by local order
  (:func:`~mesocrystal.visualize.scene.local_order_colors`).

What is drawn comes from :mod:`mesocrystal.visualize.scene`, how it is drawn (camera, shading,
box outline) from :mod:`mesocrystal.visualize.camera`; the movie of a trajectory is
:func:`mesocrystal.visualize.movie.render_movie`.
"""

from __future__ import annotations

import os
from pathlib import Path

import gsd.hoomd
import matplotlib.colors as mcolors
import numpy as np

from mesocrystal import schema
from mesocrystal.analysis.bondorder import SOLID_BONDS
from mesocrystal.files import save_figure

from . import style
from .camera import DEFAULT_VIEW, box_corners, draw_bodies, draw_box, view_perpendicular_to
from .scene import (
    MAX_SOLID_BONDS,
    Bodies,
    Membership,
    _anisotropic,
    _director_of,
    _stored,
    bodies_from_frame,
    cluster_colors,
    local_order_colors,
    membership,
    unwrap,
)


def _new_axes(fig, rect=(0.0, 0.0, 1.0, 0.9)):
    return fig.add_axes(rect, projection="3d", proj_type="ortho", computed_zorder=False)


def _time_text(step: int, dt: float | None) -> str:
    return f"step {step:,}" + (f"  (t = {step * dt:,.0f} τ)" if dt else "")


def draw_structure(
    fig,
    bodies: Bodies,
    member: Membership,
    view: tuple[float, float] = DEFAULT_VIEW,
    dt: float | None = None,
    title: str | None = None,
    compact: bool = False,
) -> None:
    """Whole box coloured by aggregate into ``fig`` (see :func:`render_structure`).

    ``compact`` gives a one-line caption for small pictures (movie frames).
    """
    ax = _new_axes(fig)
    colors = cluster_colors(member)
    draw_box(ax, bodies.box, view)
    corners = box_corners(bodies.box)
    r = max(m.circumradius for m in bodies.meshes)
    limits = (corners.min(axis=0) - 0.3 * r, corners.max(axis=0) + 0.3 * r)
    draw_bodies(
        ax,
        bodies.positions,
        bodies.orientations,
        bodies.typeid,
        bodies.meshes,
        colors,
        view,
        limits,
    )
    lengths = bodies.box.L
    box_text = (
        f"{lengths[0]:.1f} nm"
        if np.allclose(lengths, lengths[0])
        else " × ".join(f"{x:.1f}" for x in lengths) + " nm"
    )
    if member.n_aggregates:
        sizes = np.bincount(member.aggregate_id[member.aggregate_id >= 0])
        plural = "s" if member.n_aggregates > 1 else ""
        colour_text = (
            f"colour: {member.n_aggregates} aggregate{plural} (largest: {sizes[0]} bodies, "
            f"{sizes[0] / bodies.n:.0%}); grey: not in an aggregate"
        )
    else:
        sizes = np.bincount(member.cluster_id)
        colour_text = (
            f"no aggregate; colour: largest contact clusters (largest: {sizes[0]} "
            f"bod{'y' if sizes[0] == 1 else 'ies'}); grey: others"
        )
    if compact:
        largest = f"largest aggregate {sizes[0]} bodies" if member.n_aggregates else "no aggregate"
        caption = f"{_time_text(bodies.step, dt)}; {largest}"
    else:
        caption = f"{_time_text(bodies.step, dt)}, periodic box {box_text}\n{colour_text}"
    fig.text(
        0.5,
        0.975,
        title or f"Final frame: {bodies.n} {bodies.shape_names()}",
        ha="center",
        va="top",
        fontsize=10 if compact else 12,
        weight="bold",
    )
    fig.text(0.5, 0.93, caption, ha="center", va="top", fontsize=8.5, color="#333333")


def render_structure(
    frame: gsd.hoomd.Frame,
    out_path: str | os.PathLike,
    view: tuple[float, float] = DEFAULT_VIEW,
    dt: float | None = None,
    title: str | None = None,
    size_in: float = 6.4,
    dpi: int = style.DPI,
    member: Membership | None = None,
) -> Path:
    """Picture of the whole box: body shapes in their orientations, coloured by aggregate.

    Parameters
    ----------
    frame : gsd.hoomd.Frame
        HOOMD-schema frame.
    out_path : str or os.PathLike
        PNG file to write (atomically).
    view : tuple of float
        Camera elevation and azimuth [degrees].
    dt : float, optional
        Time step [τ], to print the time.
    title : str, optional
        Heading (default: the number and kind of bodies).
    size_in : float
        Figure width and height [inch].
    dpi : int
        Resolution [dots per inch].
    member : Membership, optional
        Precomputed :func:`membership` of the frame.

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    import matplotlib.pyplot as plt

    bodies = bodies_from_frame(frame)
    member = member or membership(frame, bodies)
    fig = plt.figure(figsize=(size_in, size_in))
    draw_structure(fig, bodies, member, view, dt, title)
    return save_figure(fig, out_path, dpi)


def render_aggregate(
    frame: gsd.hoomd.Frame,
    out_path: str | os.PathLike,
    dt: float | None = None,
    size_in: float = 6.4,
    dpi: int = style.DPI,
    member: Membership | None = None,
) -> Path:
    """Close-up of the largest aggregate coloured by local order (solid-like bonds).

    The aggregate is unwrapped across the periodic boundaries and centred. Stacks of
    anisotropic bodies are seen side-on (the camera looks at right angles to their director).
    Without any aggregate the largest contact cluster is shown in its cluster colour.

    Parameters
    ----------
    frame : gsd.hoomd.Frame
        HOOMD-schema frame.
    out_path : str or os.PathLike
        PNG file to write (atomically).
    dt : float, optional
        Time step [τ], to print the time.
    size_in : float
        Figure height [inch] (the width adds a colour bar).
    dpi : int
        Resolution [dots per inch].
    member : Membership, optional
        Precomputed :func:`membership` of the frame.

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable

    bodies = bodies_from_frame(frame)
    member = member or membership(frame, bodies)
    members, kind = member.largest()
    pos = unwrap(bodies, members, member.bonds)
    pos -= pos.mean(axis=0)
    orient = bodies.orientations[members]
    view = DEFAULT_VIEW
    if _anisotropic(bodies.meshes) and len(members) > 1:
        view = view_perpendicular_to(_director_of(orient))
    ordered = kind == "aggregate"
    fig = plt.figure(figsize=(size_in * (1.18 if ordered else 1.0), size_in))
    rect = (0.0, 0.0, 0.84, 0.88) if ordered else (0.0, 0.0, 1.0, 0.88)
    ax = _new_axes(fig, rect)
    if ordered:
        colors, cmap = local_order_colors(member.solid_bonds[members])
    else:
        colors = cluster_colors(member)[members]
        colors[:, 3] = 1.0
    draw_bodies(ax, pos, orient, bodies.typeid[members], bodies.meshes, colors, view)
    n_solid = int(np.count_nonzero(member.solid_bonds[members] >= SOLID_BONDS))
    fig.text(
        0.5,
        0.975,
        f"Largest {kind}: {len(members)} of {bodies.n} bodies",
        ha="center",
        va="top",
        fontsize=12,
        weight="bold",
    )
    detail = (
        f"{_time_text(bodies.step, dt)}; colour: solid-like bonds per body "
        f"({n_solid} solid-like bodies, ≥ {SOLID_BONDS} bonds)"
        if ordered
        else f"{_time_text(bodies.step, dt)}; no aggregate (bond order is measured in aggregates)"
    )
    fig.text(0.5, 0.935, detail, ha="center", va="top", fontsize=8.5, color="#333333")
    if ordered:
        cax = fig.add_axes((0.86, 0.15, 0.025, 0.6))
        norm = mcolors.BoundaryNorm(np.arange(-0.5, MAX_SOLID_BONDS + 1.5), cmap.N)
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax)
        bar.set_ticks([0, 2, 4, SOLID_BONDS, 8, 10, MAX_SOLID_BONDS])
        bar.set_ticklabels(["0", "2", "4", f"{SOLID_BONDS}", "8", "10", f"≥{MAX_SOLID_BONDS}"])
        bar.ax.axhline(SOLID_BONDS - 0.5, color="k", lw=1.2)
        bar.set_label("solid-like bonds (ten Wolde; ≥ 6: solid-like)", fontsize=8.5)
        bar.ax.tick_params(labelsize=8)
    return save_figure(fig, out_path, dpi)


def render_final_frame(
    gsd_path: str | os.PathLike,
    structure_path: str | os.PathLike,
    aggregate_path: str | os.PathLike,
    dt: float | None = None,
    title: str | None = None,
    per_body: str | os.PathLike | None = None,
) -> tuple[Path, Path]:
    """Both pictures of the last frame of a trajectory (analysed once, or not at all when its
    per-body results are stored).

    Parameters
    ----------
    gsd_path : str or os.PathLike
        HOOMD-schema trajectory.
    structure_path, aggregate_path : str or os.PathLike
        PNG files of :func:`render_structure` and :func:`render_aggregate`.
    dt : float, optional
        Time step [τ].
    title : str, optional
        Heading of the whole-box picture.
    per_body : str or os.PathLike, optional
        Per-body archive of :func:`mesocrystal.analysis.analyze_trajectory`
        (``analysis.bodies.npz``); used when it holds the last frame of this version of the
        trajectory.

    Returns
    -------
    tuple of pathlib.Path
        The two files.
    """
    last, frame = schema.read_frame(gsd_path, -1)
    bodies = bodies_from_frame(frame)
    member = membership(frame, bodies, _stored(per_body, gsd_path, last))
    return (
        render_structure(frame, structure_path, dt=dt, title=title, member=member),
        render_aggregate(frame, aggregate_path, dt=dt, member=member),
    )
