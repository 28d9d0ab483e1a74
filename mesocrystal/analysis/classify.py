"""Decision rules: ``crystalline``, ``layered``, ``rcp`` or ``dispersed``.

The rules are applied in order (see ``docs/classifier.md``):

1. **dispersed** unless at least :data:`AGGREGATED_FRACTION` of the bodies are in aggregates;
2. **crystalline** if at least :data:`SOLID_FRACTION` of the interior aggregated bodies are
   solid-like (ten Wolde bond order): 3-D bond-orientational order that is the same from body
   to body, which holds for FCC, HCP, BCC, SC and for columnar stacks of platelets in registry;
3. **layered** if the largest aggregate has a density wave of amplitude at least
   :data:`LAYER_AMPLITUDE` (and at least :data:`LAYER_SIGNIFICANCE` times the noise floor of a
   disordered aggregate of its size) and, for anisotropic bodies, nematic order at least
   :data:`NEMATIC_ORDER`;
4. **rcp** otherwise: a dense aggregate without bond or layer order.

Order before contact: when test 1 fails, the condensed material found with the near network
(contact tolerance plus a ligand-shell allowance, :mod:`analysis.descriptors`) is tested for bond
order and for layering in the same way (``condensed_*`` margins); only material without either
is **dispersed**, and an order parameter of the condensed material that passes its own threshold
caps the confidence of ``dispersed``.

Each test gives a signed margin in [-1, 1]: the distance of the descriptor from its threshold
divided by the distance from the threshold to the reference value on that side (so 1 means "as
clear as the reference structure", 0 "on the threshold"). The confidence of a label is the
smallest absolute margin among the tests that decided it; for ``rcp`` it is further capped by the
margin of the packing fraction above the hard-sphere freezing density (a loose amorphous
aggregate is only weakly ``rcp``).
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any

import gsd.hoomd

from mesocrystal.schema import read_frame

from .descriptors import ORIENTED_NEMATIC_ORDER, Descriptors, compute_descriptors, to_jsonable
from .io import BodySystem

LABELS = ("crystalline", "layered", "rcp", "dispersed")

#: Fraction of bodies in aggregates above which the state is not dispersed (convention: a fifth
#: of the material condensed). Reference anchors: 0 (dilute fluid) and
#: :data:`AGGREGATED_CLEAR` (half of the material condensed counts as clearly aggregated).
AGGREGATED_FRACTION = 0.2
AGGREGATED_CLEAR = 0.5

#: Fraction of solid-like interior bodies of a crystal (majority). Anchors: jammed packing 0.002,
#: FCC 1.0 (docs/classifier.md; ten Wolde et al. 1996).
SOLID_FRACTION = 0.5
SOLID_FRACTION_DISORDERED = 0.002
SOLID_FRACTION_CRYSTAL = 1.0

#: Density-wave amplitude of resolved layers: tau = exp(-2 pi^2 (w/d)^2) = 0.3 at a layer width
#: w = 0.35 d. Anchors: the noise floor of the aggregate (below) and 1 (perfect layers).
LAYER_AMPLITUDE = 0.3

#: Required ratio of the amplitude to the noise floor of a disordered aggregate of the same size
#: (Hansen-Verlet estimate, :mod:`analysis.layering`). Anchors: the noise floor (disordered
#: aggregate) and 1 (perfect layers).
LAYER_SIGNIFICANCE = 2.0

#: Nematic order of aligned anisotropic bodies: Maier-Saupe value at the isotropic-nematic
#: transition. Anchors 0 (isotropic) and 1 (aligned).
NEMATIC_ORDER = ORIENTED_NEMATIC_ORDER

#: Packing fraction below which an amorphous aggregate is liquid-like rather than close packed:
#: hard-sphere freezing, 0.494 (Hoover and Ree 1968). Anchors 0 and random close packing 0.64
#: (Torquato et al., Phys. Rev. Lett. 84, 2064 (2000)).
DENSE_PACKING = 0.494
RCP_PACKING = 0.64


def _margin(value: float, threshold: float, low: float, high: float) -> float:
    """Signed margin of ``value`` against ``threshold`` with reference anchors ``low``/``high``."""
    if not math.isfinite(value):
        return float("nan")
    if value >= threshold:
        m = (value - threshold) / max(high - threshold, 1e-12)
    else:
        m = (value - threshold) / max(threshold - low, 1e-12)
    return float(min(max(m, -1.0), 1.0))


@dataclasses.dataclass(frozen=True)
class Classification:
    """Label of one frame with the evidence behind it.

    Attributes
    ----------
    label : str
        One of :data:`LABELS`.
    confidence : float
        0 (on a decision threshold) to 1 (as clear as the reference structures).
    margins : dict of str to float
        Signed margin of each test (positive = test passed): ``aggregated``, ``crystalline``,
        ``layered``, ``oriented`` (NaN if orientations carry no information), ``dense``.
    alternative : str or None
        Label obtained by flipping the least clear deciding test.
    descriptors : Descriptors
        The descriptors the label was computed from.
    frame : int or None
        Frame index in its trajectory, if known.
    """

    label: str
    confidence: float
    margins: dict
    alternative: str | None
    descriptors: Descriptors
    frame: int | None = None

    @property
    def step(self) -> int:
        """Simulation time step of the frame."""
        return self.descriptors.step

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dictionary with the label, confidence, margins and descriptors."""
        return {
            "frame": self.frame,
            "step": self.step,
            "label": self.label,
            "confidence": to_jsonable(self.confidence),
            "alternative": self.alternative,
            "margins": to_jsonable(self.margins),
            "descriptors": self.descriptors.to_dict(),
        }


def _decide(passed: dict) -> str:
    if not passed["aggregated"]:
        if passed.get("condensed"):
            if passed.get("condensed_crystalline"):
                return "crystalline"
            if passed.get("condensed_layered"):
                return "layered"
        return "dispersed"
    if passed["crystalline"]:
        return "crystalline"
    if passed["layered"]:
        return "layered"
    return "rcp"


def _layer_margins(d: Descriptors, nematic: float) -> tuple[float, float, float]:
    """Margins of the density-wave amplitude, of the nematic order and of the layered test."""
    tau_threshold, tau_floor = LAYER_AMPLITUDE, 0.0
    if math.isfinite(d.layer_noise_floor):
        tau_floor = min(d.layer_noise_floor, 0.45)
        tau_threshold = max(LAYER_AMPLITUDE, LAYER_SIGNIFICANCE * tau_floor)
    m_tau = _margin(d.layer_amplitude, tau_threshold, tau_floor, 1.0)
    m_nem = _margin(nematic, NEMATIC_ORDER, 0.0, 1.0) if d.orientation_meaningful else math.nan
    m_layer = m_tau if math.isnan(m_nem) else min(m_tau, m_nem)
    return m_tau, m_nem, m_layer


def classify(descriptors: Descriptors, frame: int | None = None) -> Classification:
    """Label a frame from its descriptors.

    Parameters
    ----------
    descriptors : Descriptors
        Output of :func:`analysis.compute_descriptors`.
    frame : int, optional
        Frame index to record.

    Returns
    -------
    Classification
        Label, confidence and margins.
    """
    d = descriptors
    m_agg = _margin(d.aggregated_fraction, AGGREGATED_FRACTION, 0.0, AGGREGATED_CLEAR)
    m_solid = _margin(
        d.solid_fraction, SOLID_FRACTION, SOLID_FRACTION_DISORDERED, SOLID_FRACTION_CRYSTAL
    )
    m_tau, m_nem, m_layer = _layer_margins(d, d.nematic_order)
    m_dense = _margin(d.packing_fraction, DENSE_PACKING, 0.0, RCP_PACKING)
    # order of condensed material that is not in contact (NaN when the near network was not built)
    m_cond = _margin(d.condensed_fraction, AGGREGATED_FRACTION, 0.0, AGGREGATED_CLEAR)
    m_csolid = _margin(
        d.condensed_solid_fraction,
        SOLID_FRACTION,
        SOLID_FRACTION_DISORDERED,
        SOLID_FRACTION_CRYSTAL,
    )
    m_ctau, m_cnem, m_clayer = (
        _layer_margins(d, d.condensed_nematic_order)
        if d.layer_basis == "condensed"
        else (math.nan, math.nan, math.nan)
    )
    margins = {
        "aggregated": m_agg,
        "crystalline": m_solid,
        "layered": m_layer,
        "layer_amplitude": m_tau,
        "oriented": m_nem,
        "dense": m_dense,
        "condensed": m_cond,
        "condensed_crystalline": m_csolid,
        "condensed_layered": m_clayer,
    }

    def ok(m):
        return math.isfinite(m) and m >= 0

    passed = {key: ok(m) for key, m in margins.items()}
    label = _decide(passed)
    if label == "dispersed":
        deciding = ["aggregated"]
        if passed["condensed"]:
            deciding += ["condensed_crystalline", "condensed_layered"]
    elif not passed["aggregated"]:
        deciding = ["condensed", "condensed_crystalline"]
        if label == "layered":
            deciding.append("condensed_layered")
    else:
        deciding = {
            "crystalline": ["aggregated", "crystalline"],
            "layered": ["aggregated", "crystalline", "layered"],
            "rcp": ["aggregated", "crystalline", "layered"],
        }[label]
    weights = {k: abs(margins[k]) if math.isfinite(margins[k]) else 0.0 for k in deciding}
    if passed["aggregated"] and passed["condensed"]:
        # in contact or within the shell allowance: the material is condensed either way
        weights["aggregated"] = max(weights["aggregated"], m_cond)
    if label == "dispersed" and not passed["condensed"]:
        weights = {"aggregated": weights["aggregated"]}
    elif not passed["aggregated"] and label != "dispersed":
        # a test that was not measured does not weaken a label decided by the others
        weights = {k: w for k, w in weights.items() if math.isfinite(margins[k]) or k == label}
    weakest = min(weights, key=lambda k: weights[k])
    confidence = weights[weakest]
    if label == "rcp" and math.isfinite(m_dense):
        confidence = min(confidence, max(m_dense, 0.0))
    if label == "dispersed":
        # dispersed means no order either: any order parameter of the condensed material that
        # passes its own threshold takes confidence away
        for m in (m_ctau, m_cnem, m_csolid):
            if math.isfinite(m) and m > 0:
                confidence = min(confidence, 1.0 - m)
    flipped = dict(passed)
    flipped[weakest] = not flipped[weakest]
    alternative = _decide(flipped)
    return Classification(
        label=label,
        confidence=float(max(confidence, 0.0)),
        margins=margins,
        alternative=alternative if alternative != label else None,
        descriptors=d,
        frame=frame,
    )


def classify_frame(
    frame: gsd.hoomd.Frame | BodySystem,
    frame_index: int | None = None,
    whole_frame_bond_order: bool = False,
) -> Classification:
    """Compute descriptors of a frame and label it.

    Parameters
    ----------
    frame : gsd.hoomd.Frame or BodySystem
        HOOMD-schema frame (or prepared bodies).
    frame_index : int, optional
        Index of the frame in its trajectory, recorded in the result.
    whole_frame_bond_order : bool
        Bond order of every aggregated body of a large frame, not only of the analysis window
        (see :func:`analysis.compute_descriptors`).

    Returns
    -------
    Classification
        Label, confidence, margins and descriptors.
    """
    return classify(
        compute_descriptors(frame, whole_frame_bond_order=whole_frame_bond_order),
        frame=frame_index,
    )


def classify_file(path: str | os.PathLike, frame: int = -1) -> Classification:
    """Label one frame of a GSD file.

    Parameters
    ----------
    path : str or os.PathLike
        HOOMD-schema GSD file.
    frame : int
        Frame index (negative counts from the end; default: last frame).

    Returns
    -------
    Classification
        Label, confidence, margins and descriptors.

    Raises
    ------
    mesocrystal.schema.GSDReadError
        If the file cannot be read.
    analysis.io.FrameError
        If the frame cannot be analysed.
    """
    index, snapshot = read_frame(path, frame)
    return classify_frame(snapshot, frame_index=index)
