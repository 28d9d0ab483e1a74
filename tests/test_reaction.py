"""The particle-forming reaction during the run: first-order law, Arrhenius, checkpoints."""

import math
import os
import shutil
import signal
import subprocess
import sys
import time

import gsd.hoomd
import numpy as np
import pytest
import signac
from conftest import REPO, init_module, run_script

from mesocrystal import products, schema, simulate, units, workflow
from mesocrystal.engines import get_engine
from mesocrystal.model import conditions
from mesocrystal.model.parameters import StatePointError, normalize, resolve
from mesocrystal.model.reaction import INTERVAL, Reaction
from mesocrystal.model.system import build_model

#: A small reaction state point: toluene at 45 C with a fast reaction (S = 1 at half the paper's
#: concentration: the half-time is two product diffusion times, 4.5 tau = 900 steps).
FAST = {
    "solvent": "toluene",
    "temperature_C": 45.0,
    "N": 40,
    "concentration": 0.5,
    "steps": 6_000,
    "randomize_steps": 200,
    "time_scale_separation": 1.0,
}


def _reaction(rate=0.01, n_parent=2, n_product=3, seed=0):
    return Reaction(
        rate_per_tau=rate,
        parent_types=tuple(range(n_parent)),
        product_types=tuple(range(n_parent, n_parent + n_product)),
        product_weights=(0.2, 0.5, 0.3),
        start_step=100,
        dt=0.005,
        seed=seed,
    )


def test_conversion_follows_first_order_law():
    """Mean converted fraction over 16 replicas of 500 particles equals 1 - exp(-kt) at every
    draw within 4 standard errors (binomial: sqrt(f(1-f)/8000))."""
    n, replicas = 500, 16
    fractions = []
    for seed in range(replicas):
        r = _reaction(seed=seed)
        typeid = np.arange(n) % 2
        out = []
        for step in range(r.start_step + INTERVAL, r.start_step + 60 * INTERVAL + 1, INTERVAL):
            index, new = r.draw(typeid, step)
            assert np.all(np.isin(typeid[index], r.parent_types))
            typeid[index] = new
            out.append(r.converted_fraction(typeid))
        fractions.append(out)
    mean = np.mean(fractions, axis=0)
    t = np.arange(1, 61) * INTERVAL * 0.005
    expected = -np.expm1(-0.01 * t)
    se = np.sqrt(expected * (1 - expected) / (n * replicas))
    assert np.all(np.abs(mean - expected) < 4 * se + 1e-12)
    # Product classes are drawn with their weights.
    counts = np.bincount(typeid, minlength=5)[2:] / np.isin(typeid, (2, 3, 4)).sum()
    assert counts == pytest.approx((0.2, 0.5, 0.3), abs=0.1)


def test_draws_depend_only_on_seed_and_step():
    r = _reaction(rate=0.5)
    typeid = np.zeros(300, dtype=np.int64)
    a = r.draw(typeid, 700)
    b = r.draw(typeid, 700)
    c = r.draw(typeid, 900)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert not r.is_draw_step(100) and r.is_draw_step(300) and not r.is_draw_step(301)
    assert r.next_draw_step(0) == 300 and r.next_draw_step(300) == 500


def test_arrhenius_temperature_dependence():
    """ln t_1/2 is linear in 1/T with slope Ea/R (exactly, for the physical half-time), and
    the simulated rate is the physical one scaled by S tau_D / 100 days of each state."""
    ea = conditions.MAPPING["activation_energy_kJmol"] * 1e3
    temps = np.array([10.0, 25.0, 45.0, 60.0, 80.0])
    half = [conditions.reaction_half_time_days("toluene", t) for t in temps]
    inv_t = 1.0 / (temps + units.ZERO_CELSIUS_K)
    slope = np.polyfit(inv_t, np.log(half), 1)[0]
    assert slope == pytest.approx(ea / units.R_GAS, rel=1e-9)
    assert conditions.reaction_half_time_days("toluene", 45.0) == pytest.approx(100.0, rel=0.01)
    assert conditions.reaction_half_time_days("dichloromethane", 25.0) == pytest.approx(50.0)
    for t in (25.0, 45.0):
        p = resolve(normalize({"solvent": "toluene", "temperature_C": t, "N": 100}))
        k = p.reaction["rate_per_tau"]
        days = p.reaction["half_time_days"]
        tau_d = p.reaction["diffusion_time_tau"]
        assert k == pytest.approx(math.log(2) / (days * 200.0 * tau_d / 100.0), rel=1e-12)
    # Overriding the activation energy changes the temperature dependence accordingly.
    over = {"activation_energy_kJmol": 75.0}
    ratio = conditions.reaction_half_time_days(
        "toluene", 25.0, over
    ) / conditions.reaction_half_time_days("toluene", 45.0, over)
    assert ratio == pytest.approx(math.exp(75e3 / units.R_GAS * (1 / 298.15 - 1 / 318.15)))


def test_reaction_clock_keeps_encounters_per_half_time_at_every_concentration():
    """At relative concentration c the simulated half-time is 1/c times that at c = 1 (the
    Smoluchowski encounter rate is proportional to c), so the paper preset's diluted runs
    cover the same half-times with N c particles in steps / c steps."""
    base = {"solvent": "toluene", "temperature_C": 45.0, "N": 2000, "time_scale_separation": 100}
    full = resolve(normalize(base)).reaction
    for c in (0.1, 0.5, 2.0):
        diluted = resolve(normalize({**base, "concentration": c})).reaction
        assert diluted["half_time_tau"] == pytest.approx(full["half_time_tau"] / c, rel=1e-12)
        assert diluted["half_time_days"] == pytest.approx(full["half_time_days"], rel=1e-12)
    points = [sp for sp in init_module().paper_points() if sp["solvent"] == "toluene"]
    by_c = {sp.get("concentration", 1.0): sp for sp in points if sp["temperature_C"] == 45.0}
    assert by_c[0.1]["steps"] == pytest.approx(10 * by_c[1.0]["steps"], rel=1e-6)


def test_coefficient_overrides_are_validated():
    with pytest.raises(StatePointError, match="coefficients.epsilon_ligand"):
        normalize(
            {"solvent": "toluene", "temperature_C": 45, "coefficients": {"epsilon_ligand": 9}}
        )
    with pytest.raises(StatePointError, match="coefficients.hansen_alpha"):
        normalize({"solvent": "toluene", "temperature_C": 45, "coefficients": {"hansen_alpha": 1}})
    with pytest.raises(StatePointError, match="stage"):
        normalize({"solvent": "toluene", "temperature_C": 45, "stage": "rods"})
    with pytest.raises(StatePointError, match="shape"):
        normalize({"solvent": "toluene", "temperature_C": 45, "stage": "platelets"})
    sp = normalize(
        {"solvent": "toluene", "temperature_C": 45, "coefficients": {"epsilon_ligand": 0.3}}
    )
    assert (
        resolve(sp).epsilon_kT
        > resolve(normalize({"solvent": "toluene", "temperature_C": 45})).epsilon_kT
    )


def test_parents_convert_into_attractive_products():
    model = build_model(resolve(normalize(FAST)))
    r = model.reaction
    assert model.params.N == 20  # concentration 0.5 of 40 in the same volume
    assert set(model.typeid) <= set(r.parent_types)
    assert not any(model.type_attractive[t] for t in r.parent_types)
    assert all(model.type_attractive[t] for t in r.product_types)
    # Products are smaller on average and "highly monodisperse" compared with parents.
    core = np.array([s.core_dimensions[0] for s in model.shapes])
    w = np.array(r.product_weights)
    assert np.dot(w, core[list(r.product_types)]) == pytest.approx(3.5, abs=0.1)


@pytest.fixture(scope="module")
def table_cache(tmp_path_factory):
    """Pair tables of :data:`FAST`, computed once for this module's tests."""
    path = tmp_path_factory.mktemp("pair_tables")
    assert build_model(resolve(normalize(FAST)), table_cache=str(path)).pair_table.on
    return path


def _types_at(path, step):
    with gsd.hoomd.open(path) as traj:
        for frame in traj:
            if frame.configuration.step == step:
                return np.array(frame.particles.typeid)
    raise AssertionError(f"no frame at step {step}")


@pytest.mark.slow
def test_run_logs_conversion_that_follows_first_order_law(tmp_path, engine_name, table_cache):
    """The run loop converts particles: the logged fraction equals the product types in each
    frame and follows 1 - exp(-kt) within 4 binomial standard errors (one run, 20 particles,
    every frame checked)."""
    model = build_model(resolve(normalize(FAST)), table_cache=str(table_cache))
    schema.write_atomic(
        tmp_path / products.INIT_GSD, schema.make_frame(model, model.initial_state())
    )
    simulate.run(tmp_path, model, get_engine(engine_name), frames=20)
    r = model.reaction
    with gsd.hoomd.open(tmp_path / products.TRAJECTORY_GSD) as traj:
        for frame in traj:
            x = float(frame.log["mesocrystal/conversion"][0])
            t = float(frame.log["mesocrystal/reaction_time_tau"][0])
            assert x == pytest.approx(np.isin(frame.particles.typeid, r.product_types).mean())
            # Conversions happen at draw steps only: the expected fraction at the last draw.
            step = int(frame.configuration.step)
            drawn = max(0, (step - r.start_step) // INTERVAL) * INTERVAL * r.dt
            assert t >= drawn
            f = -math.expm1(-r.rate_per_tau * drawn)
            se = math.sqrt(max(f * (1 - f), 1e-12) / model.params.N)
            assert abs(x - f) <= 4 * se + 1e-9
    assert x > 0.9  # the run spans > 6 half-times


@pytest.mark.slow
def test_sigkill_mid_reaction_resumes_same_conversion_state(project_dir, engine_name, table_cache):
    """A run killed with SIGKILL mid-reaction resumes from its checkpoint with the same
    particle types, frame by frame, as an uninterrupted run of the same state point."""
    sp = {**FAST, "steps": 30_000, "time_scale_separation": 10.0}
    project = signac.init_project(project_dir)
    job = project.open_job(normalize(sp)).init()
    shutil.copytree(table_cache, project_dir / products.PAIR_TABLES)
    workflow.initialize(job)
    model = workflow.model_of(job)
    ref_dir = project_dir / "reference"
    ref_dir.mkdir()
    (ref_dir / products.INIT_GSD).write_bytes(open(job.fn(products.INIT_GSD), "rb").read())
    simulate.run(ref_dir, model, get_engine(engine_name), frames=50)

    scratch = project_dir / "scratch"  # a killed engine cannot remove its scratch files
    scratch.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "MESOCRYSTAL_ENGINE": engine_name,
        "TMPDIR": str(scratch),
    }
    proc = subprocess.Popen(
        [sys.executable, "project.py", "run", "-o", "assemble", "-j", job.id],
        cwd=project_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 300
    steps = []
    while time.time() < deadline:
        steps = list(schema.trajectory_steps(job.fn(products.TRAJECTORY_GSD)))
        if len(steps) >= 12:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = schema.state_from_frame(schema.read_last_frame(job.fn(products.RESTART_GSD)))
    total = workflow.required_steps(job)
    assert 0 < killed.step < total, "the run should have been killed mid-way"
    converted = np.isin(killed.typeid, model.reaction.product_types).mean()
    assert 0.0 < converted < 1.0, "the kill should hit mid-reaction"
    ref_types = _types_at(ref_dir / products.TRAJECTORY_GSD, killed.step)
    np.testing.assert_array_equal(killed.typeid, ref_types)
    run_script(
        project_dir,
        "project.py",
        "run",
        "-o",
        "assemble",
        "-j",
        job.id,
        env={"MESOCRYSTAL_ENGINE": engine_name},
    )
    assert workflow.simulated(job)
    for step in schema.trajectory_steps(ref_dir / products.TRAJECTORY_GSD):
        np.testing.assert_array_equal(
            _types_at(job.fn(products.TRAJECTORY_GSD), step),
            _types_at(ref_dir / products.TRAJECTORY_GSD, step),
        )
    record = job.doc["reaction"]
    assert set(record) >= {
        "rate_per_tau",
        "half_time_tau",
        "half_time_days",
        "time_scale_separation",
        "conversion",
    }
    times = [t for t, _ in record["conversion"]]
    assert times == sorted(times) and record["conversion"][-1][1] > converted
