"""Engine physics: exact state hand-over, equipartition, stages, continuity.

Parametrized over every engine available here (``engine_name`` fixture).
"""

import numpy as np
import pytest
from _stats import block_mean_sem

from mesocrystal import simulate
from mesocrystal.engines import get_engine
from mesocrystal.model.parameters import normalize, resolve
from mesocrystal.model.system import build_model


def small_model(**kw):
    sp = {
        "shape": "sphere",
        "N": 32,
        "steps": 1000,
        "randomize_steps": 0,
        "epsilon_kT": 0.1,
        "packing_fraction": 0.05,
        "site_spacing": 0.7,
        **kw,
    }
    return build_model(resolve(normalize(sp)))


def test_state_roundtrip(engine_name):
    model = small_model()
    state = model.initial_state()
    engine = get_engine(engine_name)(model, state, seed=1)
    try:
        back = engine.state()
    finally:
        engine.close()
    np.testing.assert_allclose(back.unwrapped(), state.unwrapped(), atol=1e-8)
    # Same rotation (q and -q are the same orientation).
    overlap = np.abs((back.orientation * state.orientation).sum(axis=1))
    np.testing.assert_allclose(overlap, 1.0, atol=1e-10)
    np.testing.assert_allclose(back.velocity, state.velocity, atol=1e-8)
    np.testing.assert_allclose(back.angmom, state.angmom, atol=1e-8)


@pytest.mark.slow
@pytest.mark.parametrize("temperature", [None, 45.0])
def test_equipartition(engine_name, temperature):
    """Translational and rotational kinetic temperatures equal kT within 4 standard errors.

    32 bodies, 120 frames 250 steps (1.25 damping times) apart after 2,000 steps of
    equilibration. Successive frames are correlated, so the standard error comes from 8 block
    averages of 15 frames (measured: about 2 % of kT; the uncorrelated estimate would be
    1.3 %). The error must stay below 3 % of kT, so the test still detects a thermostat that is
    off by 12 %.
    """
    if temperature is None:
        model = small_model()
    else:
        # A microenvironment state point: kT = 318.15/298.15.
        model = build_model(
            resolve(
                normalize(
                    {
                        "solvent": "toluene",
                        "temperature_C": temperature,
                        "N": 32,
                        "steps": 1000,
                        "randomize_steps": 0,
                        "concentration": 0.5,
                        "shape": "sphere",
                        "site_spacing": 0.7,
                    }
                )
            )
        )
    kT = model.kT
    engine = get_engine(engine_name)(model, model.initial_state(), seed=3)
    tr, rot = [], []
    try:
        engine.run(2000)
        for _ in range(120):
            engine.run(250)
            t_tr, t_rot = simulate.kinetic_temperatures(
                engine.state(), model.mass, model.moment_inertia
            )
            tr.append(t_tr)
            rot.append(t_rot)
    finally:
        engine.close()
    mean, sem = block_mean_sem(np.column_stack([tr, rot]), n_blocks=8)
    assert np.all(sem < 0.03 * kT), sem
    np.testing.assert_array_less(np.abs(mean - kT), 4 * sem)


@pytest.mark.slow
def test_equipartition_anisotropic_inertia(engine_name):
    """Rotational temperature of platelets (I_x = I_y != I_z) per axis equals kT.

    200 frames 250 steps apart; the bound is 4 standard errors from 10 block averages per axis
    (measured: 2-3 % of kT with 24 bodies; each must stay below 5 % of kT, so an error of 20 %
    in one axis is always detected).
    """
    model = small_model(
        shape="platelet", platelet_width_nm=4.0, epsilon_kT=0.0, N=24, site_spacing=0.8
    )
    engine = get_engine(engine_name)(model, model.initial_state(), seed=5)
    per_axis = []
    try:
        engine.run(1000)
        for _ in range(200):
            engine.run(250)
            st = engine.state()
            per_axis.append((st.angmom**2 / model.moment_inertia).mean(axis=0))
    finally:
        engine.close()
    mean, sem = block_mean_sem(per_axis, n_blocks=10)
    assert np.all(sem < 0.05 * model.kT), sem
    np.testing.assert_array_less(np.abs(mean - model.kT), 4 * sem)


def test_attraction_switch_and_continuity(engine_name):
    model = small_model(epsilon_kT=0.6, packing_fraction=0.15)
    engine = get_engine(engine_name)(model, model.initial_state(), seed=2)
    try:
        engine.set_attraction(False)
        engine.run(500)
        assert engine.potential_energy() >= 0.0  # purely repulsive stage
        prev = engine.state().unwrapped()
        engine.set_attraction(True)
        jumps = []
        for _ in range(20):
            engine.run(200)
            now = engine.state().unwrapped()
            jumps.append(np.abs(now - prev).max())
            prev = now
        # Bodies bind: strong attraction gives clearly negative energy per body.
        assert engine.potential_energy() / model.params.N < -1.0
    finally:
        engine.close()
    # Unwrapped trajectories are continuous across periodic boundaries: no jump of order L.
    assert max(jumps) < 0.25 * model.box_length
