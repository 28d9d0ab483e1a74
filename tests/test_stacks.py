"""Stacks of platelets (analysis/stacks.py) on known solids and surfaces.

The bodies are the coarse-grained platelets of the model (4 x 4 x 2 particles, contact distance
4.036 nm): width 4a = 16.14 nm, thickness a (1 + 1/sqrt 2) = 6.89 nm, stacking distance
2 a / sqrt 2 = 5.708 nm. Blocks of them in registry have known layers, spacing, registry,
nematic order and gyration extents; a random packing of the same platelets has none of these.
"""

import math

import numpy as np
import pytest
import rowan

from mesocrystal.analysis import stacks
from mesocrystal.analysis.io import load_bodies
from mesocrystal.model import platelets
from mesocrystal.model.interactions import random_quaternions
from mesocrystal.visualize.examples import make_frame

A = 4.036
SHAPE, _ = platelets.platelet_shape(4, 2, A, 3.5)
SPACING = platelets.stacking_vector(2, A)[2]
WIDTH = 4 * A


def block(columns: tuple[int, int], layers: int, rotation=None, gap: float = 0.05):
    """Platelets in registry: ``columns`` side by side (small gap), ``layers`` stacked."""
    pos = np.array(
        [
            [i * (WIDTH + gap), j * (WIDTH + gap), k * SPACING]
            for i in range(columns[0])
            for j in range(columns[1])
            for k in range(layers)
        ],
        dtype=float,
    )
    pos -= pos.mean(axis=0)
    quat = np.tile([1.0, 0.0, 0.0, 0.0], (len(pos), 1))
    if rotation is not None:
        pos = rowan.rotate(rotation, pos)
        quat = rowan.multiply(rotation, quat)
    return load_bodies(make_frame(pos, 400.0, SHAPE.type_shape, quat))


def random_packing(n: int = 40, seed: int = 1):
    """A compact random packing: random orientations, each platelet added next to a random
    member of the cluster at 0.75 widths from it and at least 0.7 widths from all others."""
    rng = np.random.default_rng(seed)
    pos = [np.zeros(3)]
    while len(pos) < n:
        d = rng.normal(size=3)
        trial = pos[rng.integers(len(pos))] + 0.75 * WIDTH * d / np.linalg.norm(d)
        if min(np.linalg.norm(trial - p) for p in pos) > 0.7 * WIDTH:
            pos.append(trial)
    quat = random_quaternions(rng, n)
    return load_bodies(make_frame(np.array(pos), 400.0, SHAPE.type_shape, quat))


ROTATION = rowan.from_axis_angle([1.0, 2.0, 0.5], 0.7)


@pytest.mark.parametrize(
    "columns,layers,shape",
    [((2, 2), 6, "cuboid"), ((4, 4), 2, "sheet"), ((1, 1), 12, "rod")],
)
def test_known_solids(columns, layers, shape):
    system = block(columns, layers, ROTATION)
    result = stacks.analyse_frame(system)
    largest = result["mesocrystals"][0]
    assert largest["n_bodies"] == columns[0] * columns[1] * layers
    assert largest["shape"]["shape"] == shape
    assert largest["n_layers"] == layers
    assert largest["stacked_pairs"] == columns[0] * columns[1] * (layers - 1)
    assert largest["registry_fraction"] == pytest.approx(1.0)
    assert largest["registry_offset"] == pytest.approx(0.0, abs=1e-4)
    assert largest["nematic_order"] == pytest.approx(1.0, abs=1e-5)
    # exact lattice: the density wave along the stacking direction has the stacking distance
    if layers > 2:
        assert largest["layer_spacing_nm"] == pytest.approx(SPACING, rel=0.01)
        assert largest["layer_amplitude"] > 0.99
    normal = rowan.rotate(ROTATION, np.array([0.0, 0.0, 1.0]))
    assert abs(np.dot(largest["stacking_direction"], normal)) == pytest.approx(1.0, abs=1e-3)
    assert result["stacked_fraction"] == (1.0 if layers > 1 else 0.0)


def test_tiled_layers_stack_only_on_the_platelet_below():
    # Layers of 2 x 2 platelets tiled edge to edge (no gap: the FCC continuation across the
    # platelet borders), displaced by up to 0.5 nm as thermal motion would: a platelet of the
    # next layer that sits beside another, about one width away, touches it but is not stacked
    # on it. Each column of 4 gives 3 stacked pairs, all in registry.
    system = block((2, 2), 4, ROTATION, gap=0.0)
    rng = np.random.default_rng(3)
    pos = system.positions + rng.uniform(-0.5, 0.5, size=system.positions.shape)
    jittered = load_bodies(make_frame(pos, 400.0, SHAPE.type_shape, system.orientations))
    largest = stacks.analyse_frame(jittered)["mesocrystals"][0]
    assert largest["n_bodies"] == 16
    assert largest["stacked_pairs"] == 4 * 3
    assert largest["registry_fraction"] == pytest.approx(1.0)


def test_twist_and_offset_break_registry():
    system = block((1, 1), 4)
    q = system.orientations.copy()
    twist = rowan.from_axis_angle([0.0, 0.0, 1.0], math.radians(30.0))
    q[1::2] = rowan.multiply(twist, q[1::2])
    pos = system.positions.copy()
    twisted = load_bodies(make_frame(pos, 400.0, SHAPE.type_shape, q))
    m = stacks.analyse_frame(twisted)["mesocrystals"][0]
    # 30 degrees folded into [0, 45]: 30; registry lost for every pair
    assert m["registry_twist_deg"] == pytest.approx(30.0, abs=1e-3)
    assert m["registry_fraction"] == 0.0
    pos[1::2, 0] += 0.4 * WIDTH  # shifted by 40 % of a width: faces still touch
    shifted = load_bodies(make_frame(pos, 400.0, SHAPE.type_shape))
    m = stacks.analyse_frame(shifted)["mesocrystals"][0]
    assert m["registry_offset"] == pytest.approx(0.4, abs=1e-3)
    assert m["registry_fraction"] == 0.0


@pytest.mark.slow
def test_flat_facet_is_smoother_than_a_random_packing():
    # AFM-like Sq (tip 8 nm, 16 nm scan, both faces averaged). The faces of a 2 x 2 x 6 block
    # in registry are flat platelet faces with grooves at the platelet borders (the rounded
    # edges and the narrower top layer): measured 0.130 nm. Random packings of the same
    # platelets (three seeds) measured 1.04, 1.59, 1.19 nm: their mean less 4 standard errors
    # stays above three times the facet value.
    flat = stacks.analyse_frame(block((2, 2), 6, ROTATION))["mesocrystals"][0]
    assert flat["roughness"]["sq_nm"] < 0.2
    values = []
    for seed in (1, 2, 3):
        rough = stacks.analyse_frame(random_packing(seed=seed))["mesocrystals"][0]
        assert rough["nematic_order"] < 0.43  # isotropic: below the Maier-Saupe value
        # Chance alignments only: measured 1, 3 and 2 stacked pairs among 40 platelets (a
        # block in registry has 20 among 24).
        assert rough["stacked_pairs"] <= 0.1 * rough["n_bodies"]
        values.append(rough["roughness"]["sq_nm"])
    mean, sem = np.mean(values), np.std(values, ddof=1) / math.sqrt(len(values))
    assert mean - 4.0 * sem > 3.0 * flat["roughness"]["sq_nm"]
