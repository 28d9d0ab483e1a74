"""Classifier on families of imperfect structures, tuned and held-out samples, and calibration.

Each family of ``_references.FAMILIES`` (defective crystals with 5-15 % vacancies and thermal
displacements up to the Lindemann limit, stacking faults, polycrystals, 2-D monolayers, glasses
and jammed packings, lamellar stacks with ligand-filled gaps, dilute fluids) is sampled with two
independent generators: :data:`TUNED_SEED` (the samples the thresholds were checked against while
they were set) and :data:`HELD_OUT_SEED` (drawn once the rules were fixed; parameters and
configurations differ). Both tables, the confusion matrices and the confidence of right and wrong
labels are printed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import _references as refs
import numpy as np
import pytest

from mesocrystal.analysis import LABELS, classify_frame

TUNED_SEED = 1
HELD_OUT_SEED = 2
PER_FAMILY = 3

#: Required accuracy on the held-out samples.
MIN_ACCURACY = 0.95

#: A wrong label must not come with a confidence above this.
MAX_WRONG_CONFIDENCE = 0.5


def _classify(seed):
    return [(ref, classify_frame(ref.frame)) for ref in refs.family_samples(seed, PER_FAMILY)]


def _report(title, results):
    index = {label: k for k, label in enumerate(LABELS)}
    matrix = np.zeros((4, 4), dtype=int)
    lines = ["", title]
    for ref, r in results:
        matrix[index[ref.expected], index[r.label]] += 1
        mark = "ok " if r.label == ref.expected else "BAD"
        d = r.descriptors
        lines.append(
            f"  {mark} {ref.name:<26} {ref.expected:>11} -> {r.label:<11} {r.confidence:4.2f}"
            f"  solid={d.solid_fraction:4.2f} tau={d.layer_amplitude:4.2f}"
            f" S={d.nematic_order:4.2f} agg={d.aggregated_fraction:4.2f}"
            f" condensed={d.condensed_fraction:4.2f}"
        )
    lines.append(" " * 13 + "".join(f"{label:>13}" for label in LABELS))
    for label, row in zip(LABELS, matrix, strict=True):
        lines.append(f"{label:>13}" + "".join(f"{v:>13d}" for v in row))
    right = [r.confidence for ref, r in results if r.label == ref.expected]
    wrong = [r.confidence for ref, r in results if r.label != ref.expected]
    lines.append(
        f"accuracy {len(right)}/{len(results)}; confidence of right labels: median "
        f"{np.median(right):.2f}, min {min(right):.2f}; of wrong labels: "
        + (f"max {max(wrong):.2f}" if wrong else "none")
    )
    return "\n".join(lines), matrix


@pytest.fixture(scope="module")
def tuned():
    return _classify(TUNED_SEED)


@pytest.fixture(scope="module")
def held_out():
    return _classify(HELD_OUT_SEED)


@pytest.mark.slow
def test_tuned_families_are_all_labelled_right(tuned, capsys):
    text, matrix = _report("tuned samples (seed 1):", tuned)
    with capsys.disabled():
        print(text)
    wrong = [
        (ref.name, r.label, round(r.confidence, 2)) for ref, r in tuned if r.label != ref.expected
    ]
    assert not wrong, wrong


@pytest.mark.slow
def test_held_out_accuracy_and_calibration(held_out, capsys):
    text, matrix = _report("held-out samples (seed 2):", held_out)
    with capsys.disabled():
        print(text)
    assert np.trace(matrix) >= MIN_ACCURACY * len(held_out)
    wrong = [r.confidence for ref, r in held_out if r.label != ref.expected]
    assert max(wrong, default=0.0) <= MAX_WRONG_CONFIDENCE


def test_gapped_platelet_stack_is_layered_through_the_command_line(tmp_path):
    """A lamellar platelet stack with ligand-filled gaps between its layers (wider than the
    contact tolerance) is ``layered``, read back from a GSD file with its type_shapes."""
    import gsd.hoomd

    frame = refs.gapped_platelet_stack(np.random.default_rng(5), kind="square", finite=False)
    path = tmp_path / "stack.gsd"
    with gsd.hoomd.open(str(path), "w") as traj:
        traj.append(frame)
    out = subprocess.run(
        [sys.executable, "-m", "mesocrystal.analysis", "classify", str(path), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(out.stdout)
    assert doc["label"] == "layered"
    assert doc["descriptors"]["aggregated_fraction"] < 0.2  # not in contact ...
    assert doc["descriptors"]["layer_basis"] == "condensed"  # ... but condensed and ordered
    assert doc["confidence"] > 0.5


def test_dilute_fluid_stays_dispersed_with_the_near_network():
    frame = refs.platelet_frame(*refs.platelet_gas(400, 0.03, "square", seed=3))
    r = classify_frame(frame)
    assert r.label == "dispersed"
    assert r.descriptors.condensed_nematic_order < 0.43 or np.isnan(
        r.descriptors.condensed_nematic_order
    )


@pytest.mark.parametrize("kind", ["fcc", "hcp", "bcc"])
def test_crystal_at_the_lindemann_limit_with_vacancies_is_crystalline(kind):
    """15 % vacancies and a Lindemann ratio of 0.15 (rms displacement over the nearest-neighbour
    distance; Lindemann 1910, melting at 0.1-0.15)."""
    rng = np.random.default_rng(11)
    box, pos = refs._lattice(kind, 1500, refs.SPHERE_D)
    pos = pos[rng.random(len(pos)) >= 0.15]
    pos = pos + rng.normal(0.0, 0.15 * refs.SPHERE_D / np.sqrt(3), pos.shape)
    frame = refs.make_frame(box, box.wrap(pos), refs.SPHERE_D, type_shapes=refs.sphere_shapes())
    r = classify_frame(frame)
    assert r.label == "crystalline", (r.label, r.descriptors.solid_fraction)
    # clearly so: 96-100 % of the bodies are solid-like (l = 6 and l = 8 tests alone: 54-88 %)
    assert r.descriptors.solid_fraction > 0.9


def test_hexagonal_sphere_monolayer_is_crystalline():
    """Finite hexagonal island with 8 % vacancies and Lindemann ratio 0.1: most bodies have
    fewer than 6 contacts."""
    rng = np.random.default_rng(3)
    xy, lx, ly = refs._hex_layer(20, 20, refs.SPHERE_D)
    pos = np.column_stack([xy - [0.5 * lx, 0.5 * ly], np.zeros(len(xy))])
    pos = pos[np.linalg.norm(pos[:, :2], axis=1) < 0.4 * lx]
    pos = pos[rng.random(len(pos)) >= 0.08]
    pos = pos + rng.normal(0.0, 0.1 * refs.SPHERE_D / np.sqrt(3), pos.shape)
    box = refs.freud.box.Box(1.5 * lx, 1.5 * ly, 6 * refs.SPHERE_D)
    frame = refs.make_frame(box, box.wrap(pos), refs.SPHERE_D, type_shapes=refs.sphere_shapes())
    r = classify_frame(frame)
    assert r.label == "crystalline"
    assert r.confidence > 0.5
