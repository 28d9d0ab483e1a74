"""Decision rules, margins and confidence on controlled descriptor values."""

from __future__ import annotations

import dataclasses
import math

import _references as refs
import pytest

from mesocrystal.analysis import classify, compute_descriptors
from mesocrystal.analysis.classify import (
    AGGREGATED_FRACTION,
    DENSE_PACKING,
    NEMATIC_ORDER,
    SOLID_FRACTION,
)


@pytest.fixture(scope="module")
def sphere_aggregate():
    """Descriptors of a box-filling aggregate of spheres (values replaced per test)."""
    return compute_descriptors(refs.crystal("fcc", 3))


@pytest.fixture(scope="module")
def platelet_aggregate():
    return compute_descriptors(refs.platelet_frame(*refs.platelet_layered("square", n_layers=16)))


def _with(desc, **values):
    return dataclasses.replace(desc, **values)


def test_dispersed_below_the_aggregation_threshold(sphere_aggregate):
    r = classify(_with(sphere_aggregate, aggregated_fraction=0.1))
    assert r.label == "dispersed"
    assert r.confidence == pytest.approx((AGGREGATED_FRACTION - 0.1) / AGGREGATED_FRACTION)
    assert r.alternative == "crystalline"
    assert classify(_with(sphere_aggregate, aggregated_fraction=0.0)).confidence == 1.0


def test_crystalline_margin_is_measured_from_the_threshold(sphere_aggregate):
    r = classify(_with(sphere_aggregate, solid_fraction=0.75))
    assert r.label == "crystalline"
    assert r.margins["crystalline"] == pytest.approx((0.75 - SOLID_FRACTION) / 0.5)
    assert r.confidence == pytest.approx(0.5)
    on_threshold = classify(_with(sphere_aggregate, solid_fraction=SOLID_FRACTION))
    assert on_threshold.label == "crystalline" and on_threshold.confidence == 0.0


def test_layered_needs_a_significant_density_wave(sphere_aggregate):
    base = _with(sphere_aggregate, solid_fraction=0.0, layer_noise_floor=0.1)
    assert classify(_with(base, layer_amplitude=0.9)).label == "layered"
    # amplitude above 0.3 but below twice a noise floor of 0.2: not significant
    r = classify(_with(base, layer_amplitude=0.35, layer_noise_floor=0.2))
    assert r.label == "rcp" and r.alternative == "layered"
    r = classify(_with(base, layer_amplitude=0.25))
    assert r.label == "rcp"
    assert r.margins["layered"] == pytest.approx((0.25 - 0.3) / (0.3 - 0.1))


def test_layered_platelets_need_orientational_order(platelet_aggregate):
    assert classify(platelet_aggregate).label == "layered"
    r = classify(_with(platelet_aggregate, nematic_order=0.2))
    assert r.label == "rcp"
    assert r.margins["oriented"] == pytest.approx((0.2 - NEMATIC_ORDER) / NEMATIC_ORDER)
    assert r.alternative == "layered"


def test_rcp_confidence_is_capped_by_packing(sphere_aggregate):
    base = _with(sphere_aggregate, solid_fraction=0.0, layer_amplitude=0.05, layer_noise_floor=0.1)
    dense = classify(_with(base, packing_fraction=0.64))
    assert dense.label == "rcp" and dense.confidence > 0.9
    loose = classify(_with(base, packing_fraction=0.45))
    assert loose.label == "rcp" and loose.confidence == 0.0
    assert loose.margins["dense"] == pytest.approx((0.45 - DENSE_PACKING) / DENSE_PACKING)
    unknown = classify(_with(base, packing_fraction=math.nan))
    assert unknown.label == "rcp" and unknown.confidence > 0.9
