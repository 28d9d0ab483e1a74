"""Platelets coarse-grained from the nanoparticle level (mesocrystal/model/platelets.py).

Reference values are exact: the face-to-face contact of two platelets continuing the FCC
stacking puts every facing particle pair at the contact distance a, where the nanoparticle
pair potential w has its minimum w0, so the contact energy is (number of pairs) x w0 with
4 (n-1)^2 pairs for an n x n x 2 platelet ((2n-1)^2 when its two n x n faces meet, (2n-3)^2
for its two (n-1) x (n-1) faces); the edge-to-face contact of :func:`contact_geometries`
has 4 (n-1) + 2 pairs at contact.
"""

import math

import numpy as np
import pytest
from conftest import needs_lammps

from mesocrystal import units
from mesocrystal.model import conditions
from mesocrystal.model import platelets as P
from mesocrystal.model.parameters import StatePointError, normalize, resolve

KT = units.reduced_kT(45.0)


@pytest.fixture(scope="module")
def w_toluene(tmp_path_factory):
    """Nanoparticle pair potential of toluene at 45 C (mean product particle)."""
    on, _ = P.nanoparticle_pair(
        KT,
        conditions.epsilon_kT("toluene", 45.0),
        3.5,
        0.75,
        1.5,
        0.75,
        0.75,
        str(tmp_path_factory.mktemp("tables")),
    )
    return on


def _brute_force(n, layers, w, geometry):
    """Sum of w over all particle pairs of two full slabs (no sites, no scaling)."""
    a = w.minimum[1]
    pos, _ = P.fcc100_slab(n, layers, a)
    sep, q_i, q_j = P.contact_geometries(n, layers, a)[geometry]
    import rowan

    xi = rowan.rotate(q_i, pos)
    xj = rowan.rotate(q_j, pos) + sep
    r = np.linalg.norm(xi[:, None, :] - xj[None, :, :], axis=-1).ravel()
    return float(np.sum(w(r)[0]))


@pytest.mark.parametrize("n,layers", [(4, 2), (5, 2), (4, 3), (5, 1)])
def test_site_model_equals_sum_over_particle_pairs(w_toluene, n, layers):
    # Surface sites with u = w (kappa = 1) reproduce the sum over every particle pair of the
    # two slabs, interior particles included: exact up to round-off (1e-9 relative).
    sp = P.PlateletSitePotential(w_toluene, 1.0)
    sites = P.contact_energies(n, layers, sp)
    for geometry, energy in sites.items():
        expected = _brute_force(n, layers, w_toluene, geometry)
        assert energy == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert energy < 0.0


def test_face_to_face_energy_is_pairs_times_contact_energy(w_toluene):
    w0, a = w_toluene.minimum
    for n in (3, 4, 6, 12):
        counts = P.contact_pair_counts(n, 2, a)
        assert counts["face_to_face"] == 4 * (n - 1) ** 2
        # the two other FCC continuations of a bilayer: its n x n faces, or its
        # (n-1) x (n-1) faces, in contact
        assert counts["outer_to_outer"] == (2 * n - 1) ** 2
        assert counts["inner_to_inner"] == (2 * n - 3) ** 2
        assert counts["edge_to_face"] == 4 * (n - 1) + 2
        assert counts["edge_to_edge"] == n
        e = P.contact_energies(n, 2, P.PlateletSitePotential(w_toluene, 1.0))
        # every facing pair sits exactly at the minimum of w (no pair beyond contact reaches
        # into the well: the second shell is at sqrt(2) a, outside the cut-off)
        for face in P.FACE_CONTACTS:
            assert e[face] == pytest.approx(counts[face] * w0, rel=1e-9)
        # the two n x n faces make the strongest contact
        assert min(e, key=e.get) == "outer_to_outer"


def test_edge_contacts_weaker_by_geometric_ratio(w_toluene):
    # E(edge to face) / E(face to face) = (4(n-1) + 2) / (4(n-1)^2): 14/36 for n = 4, within
    # 1e-3 (the only pairs beyond contact are the second row of the standing platelet,
    # at 1.207 a, where w is 1e-3 of its depth).
    a = w_toluene.minimum[1]
    for n in (4, 12):
        e = P.contact_energies(n, 2, P.PlateletSitePotential(w_toluene, 1.0))
        ratio = (4 * (n - 1) + 2) / (4 * (n - 1) ** 2)
        assert e["edge_to_face"] / e["face_to_face"] == pytest.approx(ratio, rel=1e-3)
        assert e["edge_to_edge"] / e["face_to_face"] == pytest.approx(
            n / (4 * (n - 1) ** 2), rel=1e-9
        )
    assert a == pytest.approx(4.036, abs=0.02)


def test_energy_scale_multiplies_the_well_only(w_toluene):
    w0, a = w_toluene.minimum
    full = P.contact_energies(4, 2, P.PlateletSitePotential(w_toluene, 1.0))
    scaled = P.contact_energies(4, 2, P.PlateletSitePotential(w_toluene, 0.1))
    for key in full:
        assert scaled[key] == pytest.approx(0.1 * full[key], rel=1e-6)
    sp = P.PlateletSitePotential(w_toluene, 0.1)
    # the wall is unchanged: u(r) - u(a) = w(r) - w(a) inside the contact distance
    r = np.linspace(a - 0.4, a - 0.01, 20)
    assert np.allclose(sp.energy(r) - sp.energy(np.array([a])), w_toluene(r)[0] - w0)
    # without attraction: the repulsive part alone, zero from the contact distance on
    assert np.all(sp.energy(np.linspace(a, sp.r_cut, 10), attraction=False) == 0.0)
    table = sp.site_function(True)
    assert table.minimum[1] == pytest.approx(a)
    assert table.minimum[0] == pytest.approx(0.1 * w0, rel=1e-9)


def test_full_size_face_energy_is_beyond_sampling(w_toluene):
    # 50 nm platelets: 12 particles per edge, face to face ~ 1700 kT (hundreds of kT is the
    # reason for the scaled CPU platelets).
    a = w_toluene.minimum[1]
    n = P.paper_lateral_layers(a)
    assert n == 12
    e = P.contact_energies(n, 2, P.PlateletSitePotential(w_toluene, 1.0))
    assert e["face_to_face"] / KT < -1000.0


def test_platelet_body_mass_inertia_and_sites():
    a = 4.036
    shape, particles = P.platelet_shape(4, 2, a, 3.5)
    assert len(particles) == 16 + 9 and shape.n_sites == 25  # two layers: all surface
    assert shape.mass == pytest.approx(25 * units.core_mass(math.pi / 6 * 3.5**3))
    assert np.allclose(particles.mean(axis=0), 0.0, atol=1e-12)
    # square platelet: in-plane moments equal, the normal's is the largest
    assert shape.moment_inertia[0] == pytest.approx(shape.moment_inertia[1])
    assert shape.moment_inertia[2] > shape.moment_inertia[0]
    thick, _ = P.platelet_shape(4, 3, a, 3.5)
    assert thick.n_sites == 16 + 9 + 16 - 1  # the centre of the middle layer is interior


def test_platelet_state_point_validation():
    base = {"solvent": "toluene", "temperature_C": 45.0, "stage": "platelets"}
    sp = normalize({**base, "shape": "platelet"})
    assert sp["platelet_layers"] == [4, 2]
    assert sp["platelet_energy_scale"] == P.DEFAULT_ENERGY_SCALE
    params = resolve(sp)
    assert params.platelet == {"layers": [4, 2], "energy_scale": P.DEFAULT_ENERGY_SCALE}
    assert params.packing_fraction == pytest.approx(conditions.product_volume_fraction(1.0))
    with pytest.raises(StatePointError, match="platelet_layers"):
        normalize({**base, "shape": "platelet", "platelet_layers": [4, 20]})
    with pytest.raises(StatePointError, match="platelet_energy_scale"):
        normalize({**base, "shape": "platelet", "platelet_energy_scale": 0.0})
    with pytest.raises(StatePointError, match="platelet stage only"):
        normalize({"solvent": "toluene", "temperature_C": 45.0, "platelet_layers": [4, 2]})
    with pytest.raises(StatePointError, match="shape"):
        normalize(base)


def test_product_volume_fraction_scales_with_concentration():
    phi = conditions.product_volume_fraction(1.0)
    # products (3.5 +/- 0.5 nm) replace parents (4.4 +/- 2.3 nm) one to one: about a third
    assert 0.25 * 0.1 < phi < 0.45 * 0.1
    assert conditions.product_volume_fraction(0.1) == pytest.approx(0.1 * phi)


def test_stokes_damping_keeps_einstein_diffusion():
    # D = kT t / M: a platelet of Stokes diameter d_P diffuses d_p / d_P times as fast as a
    # particle of Stokes diameter d_p
    t = P.platelet_damping_time(1.25, 1.0, 25.0, 5.0, P.stokes_diameter(16.1))
    d_particle, d_platelet = 1.25 / 1.0, t / 25.0
    assert d_platelet / d_particle == pytest.approx(5.0 / P.stokes_diameter(16.1))
    assert P.stokes_diameter(16.1) == pytest.approx(4 * 16.1 / math.pi**1.5)


@needs_lammps
def test_lammps_contact_energy_equals_particle_sum(tmp_path):
    # The engine's energy of two platelets in each contact equals the sum over particle pairs
    # (kappa = 1) within 2e-3 relative: the error of the linear interpolation of the
    # 4000-point LAMMPS table near the minimum of w (measured 6e-4).
    import dataclasses

    from mesocrystal.engines import lammps
    from mesocrystal.model.system import build_model
    from mesocrystal.state import BodyState

    sp = normalize(
        {
            "solvent": "toluene",
            "temperature_C": 45.0,
            "stage": "platelets",
            "shape": "platelet",
            "N": 16,
            "platelet_energy_scale": 1.0,
        }
    )
    model = build_model(resolve(sp), str(tmp_path))
    model = dataclasses.replace(
        model,
        typeid=np.zeros(2, dtype=np.int64),
        params=dataclasses.replace(model.params, N=2),
    )
    w = model.site_potential.nanoparticle
    a = model.site_potential.contact_distance
    engine_cls = lammps.LAMMPSEngine.for_model(model)
    assert engine_cls is lammps.LAMMPSTabulatedSiteEngine
    for geometry, (sep, q_i, q_j) in P.contact_geometries(4, 2, a).items():
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
        engine = engine_cls(model, state, 1)
        try:
            energy = engine.potential_energy()
            engine.set_attraction(False)
            wall = engine.potential_energy()
        finally:
            engine.close()
        assert energy == pytest.approx(_brute_force(4, 2, w, geometry), rel=2e-3)
        # randomisation stage: the wall alone, zero from the contact distance on (up to the
        # table interpolation across the kink at a)
        assert abs(wall) < 0.01 * abs(energy)


def test_paper_platelets_preset(tmp_path):
    # toluene 45 C at the paper's concentration and at ten-fold dilution, five seeds each;
    # the two conditions differ in the concentration alone, and through the mapping only in
    # the box (same platelets, same potential, same friction)
    import importlib.util
    from pathlib import Path

    from mesocrystal.model.system import build_model

    path = Path(__file__).resolve().parents[1] / "init.py"
    spec = importlib.util.spec_from_file_location("mesocrystal_init", path)
    init = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(init)
    points = [normalize(p) for p in init.load("paper-platelets", 1)]
    assert len(points) == 10
    by_c = {}
    for p in points:
        assert p["stage"] == "platelets" and p["solvent"] == "toluene"
        assert p["temperature_C"] == 45.0
        by_c.setdefault(p["concentration"], []).append(p["seed"])
        rest = {k: v for k, v in p.items() if k not in ("concentration", "seed")}
        assert rest == {k: v for k, v in points[0].items() if k not in ("concentration", "seed")}
    assert {c: sorted(s) for c, s in by_c.items()} == {1.0: [0, 1, 2, 3, 4], 0.1: [0, 1, 2, 3, 4]}
    m1, m01 = (
        build_model(resolve({**points[0], "concentration": c}), str(tmp_path)) for c in (1.0, 0.1)
    )
    assert m01.box_length**3 == pytest.approx(10 * m1.box_length**3)
    assert m01.params.damping_time == m1.params.damping_time
    assert m01.site_potential.site_function().energy.tolist() == (
        m1.site_potential.site_function().energy.tolist()
    )
    # the job document reports the strongest face contact: the two n x n faces
    report = m1.pair_report()
    assert report["face_contact_kT"] == report["outer_to_outer_kT"]
    assert report["face_contact_kT"] < report["face_to_face_kT"] < report["edge_to_face_kT"]
