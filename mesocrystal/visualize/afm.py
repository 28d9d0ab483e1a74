"""Pictures of AFM-like height maps (:mod:`mesocrystal.analysis.roughness`).

Each face of the scanned aggregate is drawn as an image of the levelled heights (the surface
whose RMS is :math:`S_q`), on a common colour scale, with the tip radius, the scan size and
:math:`S_q` in the titles.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mesocrystal.files import save_figure

from . import style  # noqa: F401  (selects the Agg backend)


def plot_height_maps(
    scan, path: str | os.PathLike, title: str | None = None, dpi: int = style.DPI
) -> Path:
    """Draw both faces of a scan (levelled heights, nm) into ``path`` atomically.

    Parameters
    ----------
    scan : mesocrystal.analysis.roughness.Roughness or None
        The scan of :func:`mesocrystal.analysis.roughness.scan_aggregate`; None draws an empty
        panel that says there was no aggregate to scan.
    path : str or os.PathLike
        Picture to write (PNG).
    title : str, optional
        Figure title (e.g. the state point).
    dpi : int
        Resolution (dots per inch).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import matplotlib.pyplot as plt

    from mesocrystal.analysis.roughness import level

    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.9), layout="constrained")
    if scan is None:
        for ax in axes:
            ax.set_axis_off()
        axes[0].text(0.5, 0.5, "no aggregate to scan", ha="center", va="center", fontsize=12)
    else:
        levelled = [level(m.heights, m.pixel) for m in scan.maps]
        finite = np.concatenate([x[np.isfinite(x)] for x in levelled] + [np.zeros(1)])
        limit = max(float(np.max(np.abs(finite))), 1e-3)
        image = None
        for ax, residual, name, value, cover, hmap in zip(
            axes, levelled, ("top face", "bottom face"), scan.sq_faces, scan.coverage, scan.maps
        ):
            half = 0.5 * hmap.heights.shape[0] * hmap.pixel
            image = ax.imshow(
                residual.T,
                origin="lower",
                extent=(-half, half, -half, half),
                cmap="copper",
                vmin=-limit,
                vmax=limit,
                interpolation="nearest",
            )
            ax.set_xlabel("x (nm)")
            ax.set_ylabel("y (nm)")
            sq_text = f"{value:.2f} nm" if np.isfinite(value) else "n/a"
            ax.set_title(f"{name}: Sq = {sq_text}, coverage {100 * cover:.0f} %", fontsize=9)
        bar = fig.colorbar(image, ax=list(axes), shrink=0.85)
        bar.set_label("height after plane levelling (nm)")
    heading = title or "AFM-like height maps"
    if scan is not None:
        heading += (
            f"\ntip radius {scan.tip_radius:g} nm, scan {scan.scan_size:g} nm x "
            f"{scan.scan_size:g} nm, pixel {scan.pixel:g} nm; Sq = {scan.sq:.2f} nm"
        )
    fig.suptitle(heading, fontsize=10)
    return save_figure(fig, path, dpi)
