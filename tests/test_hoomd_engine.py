"""HOOMD-blue engine: engine choice, exact mapping of the model, agreement with LAMMPS, NVE.

The tests that simulate with HOOMD-blue skip (with the reason shown by ``pytest -ra``) where it
is not installed; the engine-choice tests run everywhere. Engine-neutral physics (hand-over,
equipartition, stages, resume) is covered for HOOMD-blue by the ``engine_name``-parametrized
tests in ``test_engine.py`` and ``test_workflow.py``.
"""

from __future__ import annotations

import freud
import numpy as np
import pytest
import signac
from conftest import needs_lammps

from mesocrystal import engines, products, schema, simulate, workflow
from mesocrystal.engines import get_engine, hoomd, lammps, resolve_name
from mesocrystal.model.interactions import body_pair_energy, random_quaternions
from mesocrystal.model.parameters import normalize, resolve
from mesocrystal.model.system import build_model

HOOMD_ERROR = hoomd.import_error()
needs_hoomd = pytest.mark.skipif(
    HOOMD_ERROR is not None,
    reason=f"HOOMD-blue is not installed (conda-forge only): {HOOMD_ERROR}",
)
needs_gpu = pytest.mark.skipif(
    not hoomd.gpu_available(), reason="no GPU visible to HOOMD-blue (or HOOMD-blue is absent)"
)


def model_of(**kw):
    sp = {
        "shape": "sphere",
        "N": 27,
        "steps": 1000,
        "randomize_steps": 0,
        "epsilon_kT": 0.4,
        "packing_fraction": 0.2,
        "site_spacing": 0.7,
        **kw,
    }
    return build_model(resolve(normalize(sp)))


# -- engine choice (no engine needed) ----------------------------------------------------------
def test_hoomd_requested_but_not_importable(monkeypatch):
    monkeypatch.setattr(hoomd, "import_error", lambda: "ModuleNotFoundError: No module 'hoomd'")
    with pytest.raises(RuntimeError, match="conda-forge"):
        get_engine("hoomd")
    with pytest.raises(ValueError, match="lammps, hoomd"):
        get_engine("gromacs")


@pytest.mark.parametrize(
    ("version", "outcome"),
    [
        ("4.4.1", "refused"),
        ("4.8.2", "ok"),
        ("5.0.0rc1", "ok"),
        ("6.1.1", "ok"),
        ("7.2.2", "ok"),
        ("8.0.0", "warn"),
    ],
)
def test_version_guard(monkeypatch, version, outcome):
    """Versions before 4.5 are refused; a major newer than the checked ones warns."""
    import types
    import warnings

    fake = types.SimpleNamespace(version=types.SimpleNamespace(version=version))
    modules = {"hoomd": fake, "hoomd.md": types.SimpleNamespace()}
    monkeypatch.setattr(hoomd.importlib, "import_module", modules.__getitem__)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if outcome == "refused":
            with pytest.raises(ImportError, match="too old"):
                hoomd.load_hoomd()
            return
        assert hoomd.load_hoomd() is fake
    assert bool(caught) == (outcome == "warn")


def test_auto_prefers_hoomd_on_gpu_only(monkeypatch):
    monkeypatch.setattr(lammps, "available", lambda: True)
    monkeypatch.setattr(hoomd, "available", lambda: True)
    monkeypatch.setattr(hoomd, "gpu_available", lambda: True)
    assert resolve_name("auto") == "hoomd"
    monkeypatch.setattr(hoomd, "gpu_available", lambda: False)
    assert resolve_name("auto") == "lammps"
    monkeypatch.setenv("MESOCRYSTAL_ENGINE", "hoomd")
    assert resolve_name() == "hoomd"
    # CPU only and no LAMMPS: HOOMD-blue on the CPU rather than nothing.
    monkeypatch.setattr(lammps, "available", lambda: False)
    assert resolve_name("auto") == "hoomd"
    monkeypatch.setattr(hoomd, "available", lambda: False)
    with pytest.raises(RuntimeError, match="no engine"):
        resolve_name("auto")
    assert "hoomd" in engines.ENGINE_NAMES


@needs_hoomd
def test_auto_on_this_machine():
    expected = "hoomd" if hoomd.gpu_available() or not lammps.available() else "lammps"
    assert resolve_name("auto") == expected
    assert get_engine("hoomd") is hoomd.HOOMDEngine


@needs_hoomd
def test_info_records_device():
    import hoomd as hoomd_module

    model = model_of(N=16)
    engine = hoomd.HOOMDEngine(model, model.initial_state(), seed=1, device="cpu")
    try:
        assert engine.info == {
            "engine": "hoomd",
            "version": hoomd_module.version.version,
            "device": "CPU",
        }
    finally:
        engine.close()
    with pytest.raises(ValueError, match="auto, gpu, cpu"):
        hoomd.make_device("tpu")


# -- pair parameter keys (no HOOMD-blue needed) ------------------------------------------------
class _PairParameter(dict):
    """Stands in for a HOOMD-blue pair type parameter (``params``, ``r_cut``).

    It accepts one ``(a, b)`` tuple of type names per key, the only multi-type key that every
    release from 4.5 to 7.x reads the same way: HOOMD-blue 6.0 made ``(list, list)`` keys a
    ``KeyError`` and changed what a tuple of two pairs sets (CHANGELOG 6.0.0, #2157).
    """

    def __setitem__(self, key, value):
        if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, str) for k in key)):
            raise KeyError(f"{key!r} is not one (type, type) pair")
        super().__setitem__(tuple(sorted(key)), value)


class _FakePair:
    def __init__(self, nlist, default_r_cut=None, mode="none"):
        self.mode = mode
        self.params, self.r_cut = _PairParameter(), _PairParameter()


def test_pair_parameters_reach_every_type_pair_one_pair_at_a_time():
    """WCA and Morse parameters are set pair by pair, for every pair of the 7 particle types
    (5 size classes, 2 site types): the model's values between sites, zero cut-offs wherever a
    body centre is involved, and the Morse well between attractive sites only."""
    import itertools
    import types

    model = model_of(polydispersity=0.05)
    engine = hoomd.HOOMDEngine.__new__(hoomd.HOOMDEngine)  # the parameter builders only
    engine.model = model
    pair = types.SimpleNamespace(LJ=_FakePair, Morse=_FakePair)
    engine._hoomd = types.SimpleNamespace(md=types.SimpleNamespace(pair=pair))
    pot, names = model.potential, engine.types
    sites = {hoomd.ATTRACTIVE_TYPE, hoomd.REPULSIVE_TYPE}
    every = {tuple(sorted(p)) for p in itertools.combinations_with_replacement(names, 2)}
    assert len(names) == 7 and len(every) == 28

    lj = engine._make_wca(nlist=None)
    assert lj.mode == "shift" and set(lj.params) == set(lj.r_cut) == every
    for key in every:
        if set(key) <= sites:
            assert lj.params[key] == {"epsilon": pot.epsilon_core, "sigma": pot.wca_sigma}
            assert lj.r_cut[key] == pot.wca_rcut
        else:
            assert lj.params[key]["epsilon"] == 0.0 and lj.r_cut[key] == 0.0

    aa = (hoomd.ATTRACTIVE_TYPE, hoomd.ATTRACTIVE_TYPE)
    for on in (True, False):
        morse = engine._make_morse(None, on)
        assert morse.mode == "shift" and set(morse.params) == set(morse.r_cut) == every
        assert morse.params[aa] == {
            "D0": pot.morse_D0 if on else 0.0,
            "alpha": pot.morse_alpha,
            "r0": pot.site_diameter,
        }
        assert morse.r_cut[aa] == pot.morse_rcut
        for key in every - {aa}:
            assert morse.params[key]["D0"] == 0.0 and morse.r_cut[key] == 0.0


# -- the model's energy, evaluated exactly ------------------------------------------------------
def lattice_state(model, spacing: float, seed: int = 0):
    """Bodies on a simple cubic lattice ``spacing`` apart, random orientations."""
    state = model.initial_state()
    n = state.N
    k = int(np.ceil(n ** (1 / 3)))
    grid = np.stack(np.meshgrid(*[np.arange(k)] * 3, indexing="ij"), -1).reshape(-1, 3)[:n]
    state.position = (grid - (k - 1) / 2.0) * spacing
    state.orientation = random_quaternions(np.random.default_rng(seed), n)
    state.wrap()
    return state


def reference_energy(model, state, attraction: bool) -> float:
    """Sum of the model's analytic body-pair energies (minimum image)."""
    pot = model.potential if attraction else model.potential.with_epsilon(0.0)
    total = 0.0
    for i in range(state.N):
        for j in range(i + 1, state.N):
            d = state.position[j] - state.position[i]
            d -= state.box * np.round(d / state.box)
            si, sj = model.shapes[state.typeid[i]], model.shapes[state.typeid[j]]
            total += body_pair_energy(
                si, sj, pot, d[None], state.orientation[i][None], state.orientation[j][None]
            )[0]
    return float(total)


def test_energy_equals_model(engine_name):
    """The engine's potential energy equals the model's site-site sum to 1e-6 (relative).

    27 bodies of five size classes (polydispersity 0.05), 4.1 nm apart with random
    orientations: WCA overlaps (+7.5 kT in all) and Morse wells (-84 kT) of many site pairs.
    The attraction is switched off and on again, each followed by one step, and the energy
    compared with the model's on the state the engine reports.
    """
    model = model_of(epsilon_kT=0.5, polydispersity=0.05)
    state = lattice_state(model, spacing=4.1)
    ref_on, ref_off = reference_energy(model, state, True), reference_energy(model, state, False)
    assert ref_off > 0.0 > ref_on  # both terms contribute
    engine = get_engine(engine_name)(model, state, seed=1)
    try:
        assert engine.potential_energy() == pytest.approx(ref_on, rel=1e-6)
        for on in (False, True):
            engine.set_attraction(on)
            engine.run(1)
            now = engine.state()
            assert engine.potential_energy() == pytest.approx(
                reference_energy(model, now, on), rel=1e-6
            )
    finally:
        engine.close()


@needs_hoomd
def test_hoomd_energy_follows_attraction_switch_without_a_step():
    """HOOMD-blue caches energies per step; switching the attraction must not leave them stale."""
    model = model_of(epsilon_kT=0.5, polydispersity=0.05)
    state = lattice_state(model, spacing=4.1)
    engine = hoomd.HOOMDEngine(model, state, seed=1, device="cpu")
    try:
        engine.set_attraction(False)
        assert engine.potential_energy() == pytest.approx(
            reference_energy(model, state, False), rel=1e-6
        )
        engine.set_attraction(True)
        assert engine.potential_energy() == pytest.approx(
            reference_energy(model, state, True), rel=1e-6
        )
    finally:
        engine.close()


# -- statistical agreement with LAMMPS ------------------------------------------------------------
def sample(engine_name, model, *, seed, equilibrate, frames, every, **engine_kw):
    """Observables of one Langevin run, one row per frame ``every`` steps apart.

    Returns a dict of per-frame arrays: potential energy per body [kT], translational and
    rotational kinetic temperatures [reduced energy], translational MSD and mean squared
    rotation angle over one frame interval [nm^2, rad^2], and the g(r) of body centres.
    """
    engine = get_engine(engine_name)(model, model.initial_state(), seed=seed, **engine_kw)
    n = model.params.N
    box = freud.box.Box.cube(model.box_length)
    rdf = freud.density.RDF(bins=R_BINS, r_max=R_MAX)
    out = {k: [] for k in ("pe", "t_tr", "t_rot", "msd", "rot2", "gr")}
    try:
        engine.run(equilibrate)
        prev = engine.state()
        for _ in range(frames):
            engine.run(every)
            st = engine.state()
            t_tr, t_rot = simulate.kinetic_temperatures(st, model.mass, model.moment_inertia)
            out["pe"].append(engine.potential_energy() / n / model.kT)
            out["t_tr"].append(t_tr)
            out["t_rot"].append(t_rot)
            out["msd"].append(((st.unwrapped() - prev.unwrapped()) ** 2).sum(1).mean())
            overlap = np.abs((st.orientation * prev.orientation).sum(1)).clip(0.0, 1.0)
            out["rot2"].append(((2.0 * np.arccos(overlap)) ** 2).mean())
            out["gr"].append(rdf.compute((box, st.position), reset=True).rdf.copy())
            prev = st
    finally:
        engine.close()
    return {k: np.asarray(v) for k, v in out.items()}


def block_mean(x: np.ndarray, blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error from ``blocks`` contiguous block averages (axis 0)."""
    b = x[: len(x) // blocks * blocks].reshape(blocks, -1, *x.shape[1:]).mean(1)
    return b.mean(0), b.std(0, ddof=1) / np.sqrt(blocks)


R_MAX, R_BINS = 9.0, 30
#: Agreement bound in standard errors of the difference.
Z_MAX = 4.0
#: Bound on chi^2 per bin of the g(r) difference (bins where both g(r) have data).
CHI2_MAX = 3.0


def assert_engines_agree(a: dict, b: dict, kT: float, blocks: int = 8) -> dict:
    """Compare two runs' observables; returns {name: (mean_a, err_a, mean_b, err_b)}."""
    report = {}
    for key in ("pe", "t_tr", "t_rot", "msd", "rot2"):
        ma, ea = block_mean(a[key], blocks)
        mb, eb = block_mean(b[key], blocks)
        report[key] = (float(ma), float(ea), float(mb), float(eb))
        assert abs(ma - mb) < Z_MAX * np.hypot(ea, eb), (key, report[key])
    for key in ("t_tr", "t_rot"):
        for m, e in (report[key][:2], report[key][2:]):
            assert abs(m - kT) < Z_MAX * e + 0.02 * kT, (key, report[key])
    ga, gea = block_mean(a["gr"], blocks)
    gb, geb = block_mean(b["gr"], blocks)
    var = gea**2 + geb**2
    used = var > 0.0
    chi2 = float(((ga - gb)[used] ** 2 / var[used]).mean())
    report["gr_chi2_per_bin"] = chi2
    report["gr_peak"] = (float(ga.max()), float(gb.max()))
    assert ga.max() > 1.5 and gb.max() > 1.5  # a real contact peak is being compared
    assert chi2 < CHI2_MAX, report
    return report


AGREEMENT_STATE = {"N": 64, "epsilon_kT": 0.4, "packing_fraction": 0.25}


def _agreement(**hoomd_kw) -> dict:
    model = model_of(**AGREEMENT_STATE)
    run = {"equilibrate": 5000, "frames": 200, "every": 200}
    ref = sample("lammps", model, seed=11, **run)
    new = sample("hoomd", model, seed=11, **run, **hoomd_kw)
    return assert_engines_agree(new, ref, model.kT)


@needs_hoomd
@needs_lammps
def test_agrees_with_lammps():
    """HOOMD-blue (CPU) and LAMMPS sample the same ensemble and the same dynamics.

    64 spheres of 25 sites at packing fraction 0.25, site attraction 0.4 kT (face contact
    -1.6 kT, B2* = -0.14: an attractive fluid that equilibrates within the equilibration
    run), from the same initial state with the same thermostat seed. Each engine runs 5,000
    steps, then 200 frames 200 steps (1 tau = one damping time) apart. Compared from 8 block
    averages per engine: mean potential energy per body (about -1.9 kT, standard error about
    0.03 kT), translational and rotational kinetic temperatures (standard error about 0.5 %),
    the translational mean squared displacement and mean squared rotation angle over 1 tau
    (both set by the Langevin frictions ``M/t_damp`` and ``I/t_damp``); each difference must
    lie within 4 standard errors of the difference, and both temperatures within 4 standard
    errors + 2 % of kT. The g(r) of body centres (30 bins to 9 nm) must agree with chi^2 per
    bin below 3 (the expectation is 1).
    """
    _agreement(device="cpu")


@pytest.mark.gpu
@needs_gpu
@needs_lammps
def test_agrees_with_lammps_on_gpu():
    """The agreement of :func:`test_agrees_with_lammps`, with HOOMD-blue on a GPU."""
    _agreement(device="gpu")


# -- NVE: energy conservation ------------------------------------------------------------------
class HOOMDNVE(hoomd.HOOMDEngine):
    """HOOMD-blue engine integrating the body centres at constant energy (no thermostat)."""

    def _make_method(self):
        hoomd_module = self._hoomd
        return hoomd_module.md.methods.ConstantVolume(
            filter=hoomd_module.filter.Rigid(("center", "free")), thermostat=None
        )


class LAMMPSNVE(lammps.LAMMPSEngine):
    """LAMMPS engine with ``fix rigid/small`` at constant energy (its Langevin part dropped)."""

    def _setup(self, state, seed):
        commands_list = self.lmp.commands_list

        def without_thermostat(commands):
            changed = []
            for c in commands:
                if c.startswith("fix rig "):
                    head, _, tail = c.partition(" langevin ")
                    c = head + " " + tail.split(" ", 4)[4]  # drop: T0 T1 damp seed
                changed.append(c)
            return commands_list(changed)

        self.lmp.commands_list = without_thermostat
        try:
            super()._setup(state, seed)
        finally:
            self.lmp.commands_list = commands_list


def total_energy(engine, model) -> float:
    st = engine.state()
    kinetic = 0.5 * (model.mass[:, None] * st.velocity**2).sum()
    kinetic += 0.5 * (st.angmom**2 / model.moment_inertia).sum()
    return engine.potential_energy() + kinetic


#: Bound on the energy drift [kT per step per body] of NVE runs of rigid bodies.
NVE_DRIFT_MAX = 2e-6


def nve_drift(engine_cls, model, state, steps: int = 20_000, every: int = 500) -> tuple:
    """Energy drift (slope of a linear fit) and r.m.s. fluctuation of the total energy, and
    the r.m.s. fluctuation of the potential energy, per body, in kT."""
    engine = engine_cls(model, state, seed=1)
    energies, potential = [], []
    try:
        for _ in range(steps // every + 1):
            energies.append(total_energy(engine, model))
            potential.append(engine.potential_energy())
            engine.run(every)
    finally:
        engine.close()
    e = np.asarray(energies) / model.params.N / model.kT
    u = np.asarray(potential) / model.params.N / model.kT
    t = np.arange(len(e)) * every
    slope, intercept = np.polyfit(t, e, 1)
    return float(slope), float(np.std(e - (slope * t + intercept))), float(np.std(u))


def thermalised_state(model, engine_name: str):
    """A state thermalised by a Langevin run of the same engine."""
    engine = get_engine(engine_name)(model, model.initial_state(), seed=4)
    try:
        engine.run(3000)
        return engine.state()
    finally:
        engine.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    "engine_cls,engine_name",
    [
        pytest.param(HOOMDNVE, "hoomd", id="hoomd", marks=needs_hoomd),
        pytest.param(LAMMPSNVE, "lammps", id="lammps", marks=needs_lammps),
    ],
)
def test_nve_conserves_energy(engine_cls, engine_name):
    """Rigid bodies without thermostat conserve energy: |drift| < 2e-6 kT per step per body.

    27 spheres of 25 sites with attraction (0.4 kT per site pair), packing fraction 0.2,
    thermalised by a Langevin run, then 20,000 steps at dt = 0.005 tau; the total energy
    (potential + translational + rotational kinetic) is sampled every 500 steps. Measured with
    HOOMD-blue 4.8.2 and LAMMPS 2025.7: drift about -2e-7 kT per step per body, r.m.s.
    fluctuation about 0.001 kT per body. The r.m.s. fluctuation about the linear fit must stay
    below 0.01 kT per body: a thermostat left on gives about 0.3 kT, a potential whose energy
    jumps at its cut-off (WCA without the shift) about 0.1 kT. Each engine thermalises its own
    start state. Energy must flow between its kinetic and potential parts while the total stays
    put: the potential energy fluctuates at least ten times more than the total (a potential
    energy that is not evaluated afresh, or bodies that do not move, fail this).
    """
    model = model_of()
    slope, fluctuation, u_rms = nve_drift(engine_cls, model, thermalised_state(model, engine_name))
    assert abs(slope) < NVE_DRIFT_MAX, (slope, fluctuation)
    assert fluctuation < 0.01, (slope, fluctuation)
    assert u_rms > 10 * fluctuation, (u_rms, fluctuation)


# -- the job document --------------------------------------------------------------------------
@needs_hoomd
def test_job_document_records_device(tmp_path):
    import hoomd as hoomd_module

    project = signac.init_project(tmp_path)
    sp = {**{"shape": "sphere", "site_spacing": 0.7}, "N": 16, "steps": 200}
    job = project.open_job(normalize({**sp, "randomize_steps": 100})).init()
    workflow.initialize(job)
    result = workflow.assemble(job, engine="hoomd", frames=3)
    assert result.status == "complete"
    device = job.doc["engine"]["device"]
    assert job.doc["engine"]["engine"] == "hoomd"
    assert job.doc["engine"]["version"] == hoomd_module.version.version
    if hoomd.gpu_available():
        assert device.startswith("GPU (") and device.endswith(")")
    else:
        assert device == "CPU"
    assert list(schema.trajectory_steps(job.fn(products.TRAJECTORY_GSD))) == [
        0,
        100,
        200,
        300,
    ]


@needs_hoomd
@needs_lammps
def test_platelet_sites_agree_with_lammps(tmp_path):
    # The tabulated platelet sites give the same contact energies in both engines, within
    # 2e-3 relative (linear interpolation of the two engines' tables near the minimum).
    import dataclasses

    from mesocrystal.model import platelets
    from mesocrystal.state import BodyState

    sp = normalize(
        {"solvent": "toluene", "temperature_C": 45.0, "stage": "platelets", "shape": "platelet"}
    )
    model = build_model(resolve(sp), str(tmp_path))
    model = dataclasses.replace(
        model, typeid=np.zeros(2, dtype=np.int64), params=dataclasses.replace(model.params, N=2)
    )
    a = model.site_potential.contact_distance
    assert hoomd.HOOMDEngine.for_model(model) is hoomd.HOOMDTabulatedSiteEngine
    for sep, q_i, q_j in platelets.contact_geometries(4, 2, a).values():
        state = BodyState(
            step=0,
            box=np.full(3, model.box_length),
            position=np.array([[0.0, 0.0, 0.0], sep]),
            image=np.zeros((2, 3), dtype=np.int64),
            orientation=np.array([q_i, q_j]),
            velocity=np.zeros((2, 3)),
            angmom=np.zeros((2, 3)),
            typeid=np.zeros(2, dtype=np.int64),
        )
        energies = []
        for cls in (hoomd.HOOMDEngine, lammps.LAMMPSEngine):
            engine = cls.for_model(model)(model, state, 1)
            try:
                energies.append(engine.potential_energy())
            finally:
                engine.close()
        assert energies[0] == pytest.approx(energies[1], rel=2e-3)
