"""One particle per isotropic body: the tabulated potential reproduces the site model.

The single-particle potential is the Boltzmann-weighted orientation average of the site
model's body-body energy. These tests compare it with the site model evaluated independently
(all site pairs, fresh orientation samples) within the statistical errors of both samplings.
"""

import dataclasses

import numpy as np
import pytest

from mesocrystal.engines import get_engine
from mesocrystal.model.interactions import (
    SitePotential,
    body_pair_energy,
    random_quaternions,
    second_virial_coefficient,
)
from mesocrystal.model.pair_table import PairTable, orientation_averaged_potential
from mesocrystal.model.parameters import normalize, resolve
from mesocrystal.model.shapes import make_shape
from mesocrystal.model.system import build_model, table_second_virial

KT = 318.15 / 298.15  # toluene at 45 C
SHAPE = make_shape("sphere", (3.5,), shell_thickness=0.75, site_diameter=1.5, site_spacing=0.75)
POT = SitePotential(site_diameter=1.5, attraction_range=0.75, epsilon=0.26 * KT, epsilon_core=KT)


def _mean_se(values):
    values = np.asarray(values, dtype=float)
    return values.mean(), values.std(ddof=1) / np.sqrt(len(values))


def test_contact_energy_equals_direct_site_average():
    """w(r) of the table at its minimum and on the repulsive flank equals
    -kT ln <exp(-U/kT)> of the full site model (all site pairs, 4,000 fresh random orientation
    pairs and directions) within 4 combined standard errors."""
    f = orientation_averaged_potential(SHAPE, SHAPE, POT, KT, attractive=True)
    w_min, r_min = f.minimum
    assert w_min / KT < -2.0  # a real attraction is being tested
    rng = np.random.default_rng(11)
    n = 4000
    for r in (r_min, r_min - 0.1, r_min + 0.3):
        direction = rng.normal(size=(n, 3))
        sep = r * direction / np.linalg.norm(direction, axis=1, keepdims=True)
        u = body_pair_energy(
            SHAPE, SHAPE, POT, sep, random_quaternions(rng, n), random_quaternions(rng, n)
        )
        boltz = np.exp(-u / KT)
        w_direct = -KT * np.log(boltz.mean())
        se_direct = KT * boltz.std(ddof=1) / boltz.mean() / np.sqrt(n)
        w_table, _ = f(np.array([r]))
        k = np.searchsorted(f.r, r)
        se = np.hypot(se_direct, f.error[k])
        assert abs(w_table[0] - w_direct) < 4 * se, (r, w_table[0], w_direct, se)


@pytest.mark.slow
def test_second_virial_coefficient_equals_site_model():
    """B2 of the tabulated potential (4 independent tables) equals the site model's
    orientation-averaged B2 (6 independent seeds) within 4 combined standard errors, and
    differs from the purely steric B2 by far more than that."""
    b2_table = [
        table_second_virial(
            orientation_averaged_potential(SHAPE, SHAPE, POT, KT, attractive=True, seed=s), KT
        )
        for s in range(4)
    ]
    b2_site = [
        second_virial_coefficient(SHAPE, POT, KT, n_shells=150, n_orientations=60, seed=s)
        for s in range(6)
    ]
    (m1, e1), (m2, e2) = _mean_se(b2_table), _mean_se(b2_site)
    se = np.hypot(e1, e2)
    assert abs(m1 - m2) < 4 * se, (m1, m2, se)
    steric = table_second_virial(
        orientation_averaged_potential(SHAPE, SHAPE, POT, KT, attractive=False), KT
    )
    assert abs(m1 - steric) > 20 * se


def test_table_files_roundtrip_and_detect_stale_keys(tmp_path):
    model = build_model(
        resolve(normalize({"shape": "sphere", "N": 16, "epsilon_kT": 0.2})),
        table_cache=str(tmp_path),
    )
    table = model.pair_table
    files = list(tmp_path.glob("*.npz"))
    assert len(files) == 1
    key = files[0].stem
    back = PairTable.load(files[0], key)
    np.testing.assert_array_equal(back.get(0, 0).energy, table.get(0, 0).energy)
    np.testing.assert_array_equal(back.get(0, 0, False).force, table.get(0, 0, False).force)
    assert PairTable.load(files[0], "another-key") is None
    files[0].write_bytes(b"truncated")
    assert PairTable.load(files[0], key) is None


def _save_repeatedly(args):
    table, path, key, times = args
    for _ in range(times):
        table.save(path, key)


def test_jobs_sharing_a_table_can_write_it_at_the_same_time(tmp_path):
    # the jobs of a study share pair tables; two of them computing the same table at once must
    # both finish, and the file must be whole afterwards
    import multiprocessing

    model = build_model(resolve(normalize({"shape": "sphere", "N": 16, "epsilon_kT": 0.2})))
    path = tmp_path / "shared.npz"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_save_repeatedly, [(model.pair_table, path, "k", 25)] * 4)
    back = PairTable.load(path, "k")
    np.testing.assert_array_equal(back.get(0, 0).energy, model.pair_table.get(0, 0).energy)
    assert [f.name for f in tmp_path.iterdir()] == ["shared.npz"]


def test_force_integrates_to_the_energy():
    """The tabulated force integrated inwards from the cut-off gives back the tabulated
    energy within 0.05 kT wherever the energy is below 10 kT (consistent energy and force:
    MD with the table conserves energy)."""
    f = orientation_averaged_potential(SHAPE, SHAPE, POT, KT, attractive=True)
    r, force = f.r[::-1], f.force[::-1]
    w = np.concatenate([[0.0], np.cumsum(0.5 * (force[1:] + force[:-1]) * -np.diff(r))])[::-1]
    reach = f.energy < 10 * KT
    assert reach.sum() > 50
    np.testing.assert_allclose(w[reach], f.energy[reach], atol=0.05 * KT)


def _coordination(engine, n_samples, every, r_c):
    counts = []
    for _ in range(n_samples):
        engine.run(every)
        st = engine.state()
        d = st.position[:, None, :] - st.position[None, :, :]
        d -= st.box * np.round(d / st.box)
        r = np.linalg.norm(d, axis=-1)
        np.fill_diagonal(r, np.inf)
        counts.append((r < r_c).sum(1).mean())
    return np.array(counts)


@pytest.mark.slow
def test_pair_structure_equals_site_model_in_md():
    """Mean number of neighbours within the attraction range (the first peak of g(r)) of 64
    spheres at phi = 0.1 with a -2.8 kT contact: single particles (pair table) vs rigid site
    bodies (48 sites each), LAMMPS, 100 samples 250 steps apart after 5,000 steps each; the
    means agree within 4 combined standard errors from 5 block averages."""
    sp = normalize(
        {
            "shape": "sphere",
            "N": 64,
            "epsilon_kT": 0.22,
            "packing_fraction": 0.1,
            "steps": 30_000,
            "randomize_steps": 0,
        }
    )
    params = resolve(sp)
    single = build_model(params)
    sites = build_model(dataclasses.replace(params, single_particle=False))
    r_c = single.pair_table.get(0, 0).r_cut
    results = []
    engine_cls = get_engine("lammps")
    for model in (single, sites):
        engine = engine_cls.for_model(model)(model, model.initial_state(), seed=5)
        try:
            engine.run(5000)
            c = _coordination(engine, 100, 250, r_c)
        finally:
            engine.close()
        blocks = c.reshape(5, -1).mean(1)
        results.append(_mean_se(blocks))
    (m1, e1), (m2, e2) = results
    assert m1 > 0.3  # pairs do form: the test probes the attraction
    assert abs(m1 - m2) < 4 * np.hypot(e1, e2), results


@pytest.fixture(scope="module")
def table_dir(tmp_path_factory):
    """One pair-table cache for the engine tests of this module."""
    return tmp_path_factory.mktemp("pair_tables")


@pytest.mark.slow
def test_engine_energy_equals_table_sum(engine_name, table_dir):
    """The engine's potential energy of 27 product particles of several classes in a jittered
    cubic cluster, before and after converting some to other classes with ``set_types``,
    equals the sum of the tabulated pair potentials over all pairs within 0.1 % (the engine
    interpolates its own copy of the tables)."""
    model = build_model(
        resolve(normalize({"solvent": "toluene", "temperature_C": 45.0, "N": 27})),
        table_cache=str(table_dir),
    )
    products = np.array(model.reaction.product_types)
    rng = np.random.default_rng(4)
    state = model.initial_state()
    grid = np.stack(np.meshgrid(*[np.arange(3)] * 3, indexing="ij"), -1).reshape(-1, 3)
    state.position = (grid - 1) * 4.6 + rng.normal(scale=0.08, size=(27, 3))
    state.image[:] = 0
    state.typeid = products[rng.integers(len(products), size=27)]

    def table_sum(st):
        d = st.position[:, None, :] - st.position[None, :, :]
        d -= st.box * np.round(d / st.box)
        r = np.linalg.norm(d, axis=-1)
        total = 0.0
        for i in range(st.N):
            for j in range(i + 1, st.N):
                e, _ = model.pair_table.get(st.typeid[i], st.typeid[j])(np.array([r[i, j]]))
                total += e[0]
        return total

    engine = get_engine(engine_name).for_model(model)(model, state, seed=2)
    try:
        first = engine.potential_energy()
        st = engine.state()
        assert first < -20 * model.kT  # many attractive contacts are being tested
        assert first == pytest.approx(table_sum(st), rel=1e-3)
        index = np.arange(0, 27, 3)
        engine.set_types(index, np.full(len(index), products[-1]))
        second = engine.potential_energy()
        st = engine.state()
    finally:
        engine.close()
    assert (st.typeid[index] == products[-1]).all()
    assert second != pytest.approx(first, rel=1e-3)
    assert second == pytest.approx(table_sum(st), rel=1e-3)
