"""Colours and figure conventions shared by all pictures.

Colours are from the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies). Structure labels always have the same colour, in the phase diagram, the
time series and the dashboard.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

#: Colour of each structure label (``analysis.LABELS``) and of jobs without a label yet.
LABEL_COLORS = {
    "crystalline": "#0072B2",
    "layered": "#E69F00",
    "rcp": "#009E73",
    "dispersed": "#B8B8B8",
}
UNLABELLED_COLOR = "#FFFFFF"

#: Order in which labels are listed (most to least ordered), then any unknown label.
LABEL_ORDER = ("crystalline", "layered", "rcp", "dispersed")

#: Colours of aggregates / clusters, largest first (cycled).
CLUSTER_COLORS = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#882255",
)

#: Colour of bodies outside any aggregate.
FREE_COLOR = "#C8C8C8"

#: Resolution of saved pictures [dots per inch].
DPI = 110


def label_color(label: str | None) -> str:
    """Colour of a structure label; unknown labels are dark grey, ``None`` white."""
    if label is None:
        return UNLABELLED_COLOR
    return LABEL_COLORS.get(label, "#555555")


def label_sort_key(label: str) -> tuple:
    """Sort key listing labels in :data:`LABEL_ORDER`, unknown labels last (alphabetically)."""
    return (LABEL_ORDER.index(label), "") if label in LABEL_ORDER else (len(LABEL_ORDER), label)
