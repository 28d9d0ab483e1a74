"""Classifier against reference structures built by the tests: every one must be labelled right.

The confusion matrix and a table of the deciding descriptors are printed for every run.
"""

from __future__ import annotations

import math

import _references as refs
import freud
import numpy as np
import pytest

from mesocrystal.analysis import LABELS, classify_frame

#: Confidence every reference must reach: they are clear cases by construction.
MIN_CONFIDENCE = 0.5


def _crystal_ball(kind, reps, rotation=None, seed=0):
    box, pos = refs.crystal_positions(kind, reps, seed=seed)
    radius = 0.45 * min(box.Lx, box.Ly, box.Lz)
    return refs.sphere_aggregate_in_vapour(box, pos, radius, seed=seed, rotation=rotation)


def _jammed_frame(n, cv, triclinic=False):
    box, pos, diam, _ = refs.jammed(n, 0.64, cv, triclinic=triclinic)
    return refs.make_frame(box, pos, diam, type_shapes=refs.sphere_shapes())


def _jammed_ball(n, cv, seed):
    box, pos, diam, _ = refs.jammed(n, 0.64, cv)
    return refs.sphere_aggregate_in_vapour(box, pos, 0.55 * box.Lx, diam=diam, seed=seed)


def _lamellar(rotation=None):
    if rotation is None:
        box, pos = refs.lamellar_positions()
        return refs.make_frame(box, pos, refs.SPHERE_D, type_shapes=refs.sphere_shapes())
    box, pos = refs.lamellar_positions(n_layers=12, per_layer=80, seed=1)
    return refs.sphere_aggregate_in_vapour(box, pos, 0.48 * box.Lx, rotation=rotation)


def _platelets(builder, kind, rotation=None, **kw):
    box, pos, quats, verts = builder(kind, **kw)
    if rotation is None:
        return refs.platelet_frame(box, pos, quats, verts)
    radius = 0.5 * min(box.Lx, box.Ly, box.Lz)
    return refs.platelet_aggregate_in_vapour(box, pos, quats, verts, radius, rotation=rotation)


def _fluid(n, phi, seed=0, cv=0.0, triclinic=False):
    box = None
    if triclinic:
        side = (n * math.pi * refs.SPHERE_D**3 / 6 / phi) ** (1 / 3)
        box = freud.box.Box(side, side, side, xy=0.4, xz=-0.2, yz=0.3)
    box, pos = refs.random_fluid(n, phi, seed=seed, box=box)
    diam = refs.SPHERE_D
    if cv > 0:
        rng = np.random.default_rng(seed)
        diam = refs.SPHERE_D * np.clip(rng.normal(1.0, cv, n), 0.7, 1.0)
    return refs.make_frame(box, pos, diam, type_shapes=refs.sphere_shapes())


def _platelet_gas(kind, phi):
    return refs.platelet_frame(*refs.platelet_gas(400, phi, kind))


def reference_cases() -> list:
    """``(name, expected label, builder)`` of every reference structure."""
    rot = refs.random_rotation(3)
    rot2 = refs.random_rotation(11)
    cases = [
        # crystalline: sphere crystals, box-filling and as finite rotated aggregates in a vapour
        ("FCC", "crystalline", lambda: refs.crystal("fcc", 5)),
        ("HCP", "crystalline", lambda: refs.crystal("hcp", (6, 3, 4))),
        ("BCC", "crystalline", lambda: refs.crystal("bcc", 6)),
        ("SC", "crystalline", lambda: refs.crystal("sc", 8)),
        ("FCC rhombohedral box", "crystalline", lambda: refs.fcc_rhombohedral()),
        ("FCC in vapour, rotated", "crystalline", lambda: _crystal_ball("fcc", 6, rot)),
        ("HCP in vapour", "crystalline", lambda: _crystal_ball("hcp", (7, 4, 5))),
        ("BCC in vapour, rotated", "crystalline", lambda: _crystal_ball("bcc", 7, rot2)),
        ("SC in vapour, rotated", "crystalline", lambda: _crystal_ball("sc", 9, rot)),
        # crystalline: platelet mesocrystals (columnar stacks in registry)
        (
            "square platelets columnar",
            "crystalline",
            lambda: _platelets(refs.platelet_columnar, "square"),
        ),
        (
            "hex platelets columnar (triclinic box)",
            "crystalline",
            lambda: _platelets(refs.platelet_columnar, "hex"),
        ),
        (
            "square columnar in vapour, rotated",
            "crystalline",
            lambda: _platelets(refs.platelet_columnar, "square", rot, nxy=7, nz=30),
        ),
        (
            "hex columnar in vapour, rotated",
            "crystalline",
            lambda: _platelets(refs.platelet_columnar, "hex", rot2, nxy=7, nz=30),
        ),
        # layered: stacks with liquid-like layers
        ("lamellar spheres", "layered", lambda: _lamellar()),
        ("lamellar in vapour, rotated", "layered", lambda: _lamellar(rot)),
        (
            "square platelets layered",
            "layered",
            lambda: _platelets(refs.platelet_layered, "square"),
        ),
        (
            "hex platelets layered",
            "layered",
            lambda: _platelets(refs.platelet_layered, "hex"),
        ),
        (
            "square layered in vapour, rotated",
            "layered",
            lambda: _platelets(refs.platelet_layered, "square", rot, n_layers=30, per_layer=40),
        ),
        (
            "hex layered in vapour, rotated",
            "layered",
            lambda: _platelets(refs.platelet_layered, "hex", rot2, n_layers=30, per_layer=40),
        ),
        # rcp: jammed packings from a compression protocol
        ("jammed", "rcp", lambda: _jammed_frame(500, 0.0)),
        ("jammed polydisperse 14 %", "rcp", lambda: _jammed_frame(500, 0.14)),
        ("jammed triclinic box", "rcp", lambda: _jammed_frame(400, 0.0, triclinic=True)),
        ("jammed in vapour", "rcp", lambda: _jammed_ball(500, 0.0, 2)),
        ("jammed polydisperse in vapour", "rcp", lambda: _jammed_ball(500, 0.14, 4)),
        # dispersed: dilute fluids
        ("fluid phi 0.02", "dispersed", lambda: _fluid(600, 0.02)),
        ("fluid phi 0.05", "dispersed", lambda: _fluid(600, 0.05, seed=1)),
        ("fluid phi 0.15", "dispersed", lambda: _fluid(600, 0.15, seed=2)),
        ("polydisperse fluid phi 0.05", "dispersed", lambda: _fluid(600, 0.05, seed=3, cv=0.14)),
        ("fluid triclinic box", "dispersed", lambda: _fluid(500, 0.05, seed=4, triclinic=True)),
        ("platelet gas", "dispersed", lambda: _platelet_gas("square", 0.03)),
        ("hex platelet gas", "dispersed", lambda: _platelet_gas("hex", 0.05)),
    ]
    return cases


def build_references() -> list:
    """All reference structures with their expected labels."""
    return [refs.Reference(name, expected, build()) for name, expected, build in reference_cases()]


@pytest.fixture(scope="module")
def classified():
    out = []
    for ref in build_references():
        out.append((ref, classify_frame(ref.frame)))
    return out


def confusion_matrix(results) -> np.ndarray:
    index = {label: k for k, label in enumerate(LABELS)}
    matrix = np.zeros((len(LABELS), len(LABELS)), dtype=int)
    for ref, result in results:
        matrix[index[ref.expected], index[result.label]] += 1
    return matrix


def format_report(results) -> str:
    lines = ["", "reference structures (expected -> label, confidence):"]
    for ref, r in results:
        d = r.descriptors
        mark = "ok " if r.label == ref.expected else "BAD"
        lines.append(
            f"  {mark} {ref.name:<40} {ref.expected:>11} -> {r.label:<11} {r.confidence:4.2f}"
            f"  N={d.n_bodies:4d} agg={d.aggregated_fraction:4.2f} solid={d.solid_fraction:4.2f}"
            f" q6={d.q6:5.3f} q6bar={d.q6_avg:5.3f} tau={d.layer_amplitude:4.2f}"
            f" S={d.nematic_order:4.2f} phi={d.packing_fraction:5.3f}"
        )
    matrix = confusion_matrix(results)
    lines.append("")
    lines.append("confusion matrix (rows: expected, columns: classified):")
    lines.append(" " * 13 + "".join(f"{label:>13}" for label in LABELS))
    for label, row in zip(LABELS, matrix, strict=True):
        lines.append(f"{label:>13}" + "".join(f"{v:>13d}" for v in row))
    return "\n".join(lines)


@pytest.mark.slow
def test_confusion_matrix(classified, capsys):
    with capsys.disabled():
        print(format_report(classified))
    matrix = confusion_matrix(classified)
    assert np.all(matrix.sum(axis=1) > 0), "every label needs reference structures"
    wrong = [(ref.name, ref.expected, r.label) for ref, r in classified if r.label != ref.expected]
    assert not wrong, f"mislabelled references: {wrong}"
    assert np.trace(matrix) == len(classified)


@pytest.mark.slow
def test_reference_confidence(classified):
    weak = [(ref.name, round(r.confidence, 2)) for ref, r in classified]
    weak = [(name, c) for name, c in weak if c < MIN_CONFIDENCE]
    assert not weak, f"references labelled with low confidence: {weak}"


@pytest.mark.slow
def test_descriptor_ranges_by_label(classified):
    """Literature anchors hold on the references (docs/classifier.md)."""
    for ref, r in classified:
        d = r.descriptors
        if ref.expected == "dispersed":
            assert d.aggregated_fraction < 0.05, ref.name
        elif ref.expected == "rcp":
            # jammed: <q6bar> ~ 0.18, ten Wolde solid fraction ~ 0.2 %, phi ~ 0.64
            assert d.solid_fraction < 0.02, ref.name
            assert 0.12 < d.q6_avg < 0.26, ref.name
            assert 0.58 < d.packing_fraction < 0.67, ref.name
        elif ref.expected == "crystalline":
            assert d.solid_fraction > 0.75, ref.name
        elif ref.expected == "layered":
            assert d.solid_fraction < 0.05, ref.name
            assert d.layer_amplitude > 0.8, ref.name
