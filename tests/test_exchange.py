"""Size-class swap moves: exact energy changes, detailed balance, and their place in a run."""

import itertools

import gsd.hoomd
import numpy as np
import pytest

from mesocrystal import products, schema, simulate
from mesocrystal.engines import get_engine
from mesocrystal.model.exchange import INTERVAL, ClassExchange, _ClassEnergies
from mesocrystal.model.pair_table import PairFunction, PairTable
from mesocrystal.model.parameters import normalize, resolve
from mesocrystal.model.system import build_model

#: Type 0 is a spectator (parent-like, not exchanged); types 1-3 are product classes.
N_TYPES = 4
R_CUT = 2.0


def _well(depth: float, sigma: float) -> PairFunction:
    """A smooth short-range pair function: repulsive core at ``sigma`` and a well of ``depth``."""
    r = np.linspace(0.5, R_CUT, 400)
    e = 4 * ((sigma / r) ** 12 - (sigma / r) ** 6)
    e = depth * (e - e[-1]) / abs(e.min())
    f = -np.gradient(e, r)
    return PairFunction(r, e, f, np.zeros_like(r), 0.5)


def _table() -> PairTable:
    """Pair functions whose depth and size differ for every type pair."""
    table = PairTable(types=[f"T{k}" for k in range(N_TYPES)])
    for i in range(N_TYPES):
        for j in range(i, N_TYPES):
            depth = 0.3 + 0.4 * i + 0.25 * j
            table.on[(i, j)] = _well(depth, 0.9 + 0.05 * (i + j))
            table.off[(i, j)] = _well(0.0 + 1e-12, 0.9)
    return table


def _total_energy(position, box, typeid, table) -> float:
    """Potential energy summed over every pair from scratch [reduced energy]."""
    a, b = np.triu_indices(len(position), 1)
    d = position[b] - position[a]
    d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=1)
    u = 0.0
    for ti, tj in set(zip(typeid[a].tolist(), typeid[b].tolist())):
        sel = (typeid[a] == ti) & (typeid[b] == tj)
        u += float(table.get(ti, tj)(r[sel])[0].sum())
    return u


def _cluster(n: int, box: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` particles at random positions without overlaps, with random types."""
    rng = np.random.default_rng(seed)
    pos = []
    while len(pos) < n:
        x = rng.uniform(-box / 2, box / 2, 3)
        d = np.array(pos) - x if pos else np.zeros((0, 3))
        d -= box * np.round(d / box)
        if len(pos) == 0 or np.min(np.linalg.norm(d, axis=1)) > 0.95:
            pos.append(x)
    return np.array(pos), rng.integers(0, N_TYPES, n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_swap_energy_equals_total_energy_difference(seed):
    """The local energy change of a swap equals the difference of the total potential energy
    (all pairs summed from scratch), for neighbouring and distant pairs, and the class
    energies stay exact after a chain of applied swaps."""
    box = 4.0
    pos, typeid = _cluster(24, box, seed)
    table = _table()
    classes = (1, 2, 3)
    energies = _ClassEnergies(pos, box, typeid.copy(), table, classes)
    types = typeid.copy()
    movable = np.flatnonzero(np.isin(types, classes))
    rng = np.random.default_rng(seed)
    n_checked = n_neighbours = 0
    for _ in range(60):
        i, j = rng.choice(movable, 2, replace=False)
        if types[i] == types[j]:
            continue
        du = energies.swap_energy(i, j, types)
        swapped = types.copy()
        swapped[i], swapped[j] = types[j], types[i]
        exact = _total_energy(pos, box, swapped, table) - _total_energy(pos, box, types, table)
        assert du == pytest.approx(exact, abs=1e-9)
        n_neighbours += (int(i), int(j)) in energies.pair_of
        energies.apply_swap(i, j, types)
        n_checked += 1
    assert n_checked > 20 and n_neighbours > 0
    fresh = _ClassEnergies(pos, box, types, table, classes)
    np.testing.assert_allclose(energies.E, fresh.E, atol=1e-9)


def test_swaps_sample_the_boltzmann_distribution_of_class_permutations():
    """Detailed balance: on fixed positions, the sweeps visit every arrangement of the classes
    with its Boltzmann probability exp(-U/kT)/Z. Five particles (two of class 1, two of 2, one
    of 3) have 30 arrangements; the visit frequencies over 1,500 sweeps agree with the exact
    probabilities within 4 binomial standard errors (with 20 swap attempts per sweep,
    successive sweeps are nearly independent)."""
    box = 6.0
    pos = np.array([[0, 0, 0], [1.05, 0, 0], [0, 1.1, 0], [1.0, 1.0, 0.3], [2.0, 0.5, 0]], float)
    types0 = np.array([1, 1, 2, 2, 3])
    table = _table()
    kT = 1.0
    arrangements = sorted(set(itertools.permutations(types0.tolist())))
    u = np.array([_total_energy(pos, box, np.array(a), table) for a in arrangements])
    p_exact = np.exp(-(u - u.min()) / kT)
    p_exact /= p_exact.sum()
    assert u.max() - u.min() > 1.0  # the arrangements differ by more than kT
    ex = ClassExchange(rate_per_tau=4.0, types=(1, 2, 3), start_step=0, dt=0.001, kT=kT, seed=3)
    assert ex.attempts(5) == 20
    types = types0.copy()
    index_of = {a: k for k, a in enumerate(arrangements)}
    counts = np.zeros(len(arrangements))
    n_sweeps = 1500
    for s in range(n_sweeps):
        index, new_type, tried, _ = ex.sweep(pos, box, types, table, step=(s + 1) * INTERVAL)
        assert tried == 20
        types[index] = new_type
        counts[index_of[tuple(types.tolist())]] += 1
    freq = counts / n_sweeps
    se = np.sqrt(p_exact * (1 - p_exact) / n_sweeps)
    assert np.all(np.abs(freq - p_exact) <= 4 * se + 1e-3)
    assert np.sort(types).tolist() == np.sort(types0).tolist()  # composition kept


def test_spectators_never_change_and_draws_depend_only_on_seed_and_step():
    box = 5.0
    pos, typeid = _cluster(30, box, 7)
    table = _table()
    ex = ClassExchange(rate_per_tau=2.0, types=(1, 2, 3), start_step=0, dt=0.005, kT=1.0, seed=1)
    a = ex.sweep(pos, box, typeid, table, step=4000)
    b = ex.sweep(pos, box, typeid, table, step=4000)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[3] > 0 and a[2] == ex.attempts(int(np.count_nonzero(typeid > 0)))
    assert not np.any(typeid[a[0]] == 0) and not np.any(a[1] == 0)
    after = typeid.copy()
    after[a[0]] = a[1]
    np.testing.assert_array_equal(np.bincount(after), np.bincount(typeid))  # composition kept


def test_exchange_rate_is_validated_and_reaches_the_model():
    sp = {"solvent": "toluene", "temperature_C": 45.0, "N": 40, "exchange_rate": 2.5}
    assert resolve(normalize(sp)).exchange_rate == 2.5
    with pytest.raises(Exception, match="exchange_rate"):
        normalize({**sp, "exchange_rate": -1.0})
    assert resolve(normalize({**sp, "exchange_rate": 0.0})).exchange_rate == 0.0
    older = {k: v for k, v in normalize(sp).items() if k != "exchange_rate"}
    assert resolve(older).exchange_rate == 0.0  # jobs created before the field existed


@pytest.mark.slow
def test_run_swaps_classes_but_converts_exactly_as_without_swaps(tmp_path, engine_name):
    """In a run the swaps only permute the classes of the products: frame by frame the number
    of particles of every type equals that of the same run without swaps (the reaction's
    draws depend only on seed and step), while the arrangement differs, and the logged
    acceptance lies in (0, 1] once products exist."""
    sp = {
        "solvent": "toluene",
        "temperature_C": 45.0,
        "N": 60,
        "steps": 6_000,
        "randomize_steps": 200,
        "time_scale_separation": 1.0,
    }
    counts, arrangements = {}, {}
    for rate in (0.0, 20.0):
        run_dir = tmp_path / f"rate{rate}"
        run_dir.mkdir()
        model = build_model(resolve(normalize({**sp, "exchange_rate": rate})), str(tmp_path))
        assert (model.exchange is None) == (rate == 0.0)
        schema.write_atomic(
            run_dir / products.INIT_GSD, schema.make_frame(model, model.initial_state())
        )
        simulate.run(run_dir, model, get_engine(engine_name), frames=5)
        with gsd.hoomd.open(run_dir / products.TRAJECTORY_GSD) as traj:
            counts[rate] = [np.bincount(f.particles.typeid, minlength=8) for f in traj]
            arrangements[rate] = [np.array(f.particles.typeid) for f in traj]
            if rate:
                acc = [float(f.log["mesocrystal/exchange_acceptance"][0]) for f in traj]
                tried = [float(f.log["mesocrystal/exchange_attempts"][0]) for f in traj]
                assert all(0.0 < a <= 1.0 for a in acc[1:]), acc
                assert all(n > 0 for n in tried[1:]), tried
    np.testing.assert_array_equal(counts[0.0], counts[20.0])
    assert any(np.any(a != b) for a, b in zip(arrangements[0.0], arrangements[20.0]))
