"""The physical model: shapes, inertia, sites, interactions, units and the mapping."""

import math

import numpy as np
import pytest
from scipy.spatial import cKDTree

from mesocrystal import units
from mesocrystal.model import conditions
from mesocrystal.model.interactions import (
    SitePotential,
    body_pair_energy,
    face_contact_energy,
    reduced_second_virial,
)
from mesocrystal.model.parameters import normalize, resolve
from mesocrystal.model.population import size_classes
from mesocrystal.model.shapes import SITE_ATTRACTIVE, make_shape
from mesocrystal.model.system import build_model

SHELL, SITE, SPACING = 0.75, 1.5, 0.75


def shape(kind, dims, **kw):
    kw = {"shell_thickness": SHELL, "site_diameter": SITE, "site_spacing": SPACING, **kw}
    return make_shape(kind, dims, **kw)


def test_units():
    # Alloy density of Ag57Au27 between Ag (10.49) and Au (19.30 g/cm^3), ideal mixing.
    assert units.alloy_density_g_cm3() == pytest.approx(13.30, abs=0.02)
    assert units.MASS_KG == pytest.approx(2.99e-22, rel=0.01)
    assert units.TIME_S == pytest.approx(2.70e-10, rel=0.01)
    assert units.reduced_kT(25.0) == pytest.approx(1.0)
    assert units.reduced_kT(45.0) == pytest.approx(318.15 / 298.15)


def test_sphere_mass_and_inertia_analytic():
    s = shape("sphere", (3.5,))
    assert s.mass == pytest.approx(1.0, rel=1e-12)  # the mass unit is this core
    # Solid sphere: I = M d^2 / 10.
    np.testing.assert_allclose(s.moment_inertia, 0.1 * 3.5**2, rtol=1e-12)
    big = shape("sphere", (7.0,))
    assert big.mass == pytest.approx(8.0, rel=1e-12)  # mass scales with volume


def test_cuboid_mass_and_inertia_analytic():
    s = shape("cuboid", (3.0, 6.0, 5.0))  # sorted to a >= b >= c: z is the shortest edge
    a, b, c = 6.0, 5.0, 3.0
    assert s.core_dimensions == (a, b, c)
    mass = units.core_mass(a * b * c)
    assert s.mass == pytest.approx(mass, rel=1e-12)
    expected = mass / 12.0 * np.array([b * b + c * c, a * a + c * c, a * a + b * b])
    np.testing.assert_allclose(s.moment_inertia, expected, rtol=1e-10)
    assert np.argmax(s.moment_inertia) == 2  # z, the short axis, has the largest moment


def test_hexagonal_platelet_inertia():
    w, t = 7.0, 2.1
    s = shape("platelet", (w, t), platelet_sides=6)
    area = math.sqrt(3) / 2 * w * w
    mass = units.core_mass(area * t)
    assert s.mass == pytest.approx(mass, rel=1e-12)
    # Regular hexagon (circumradius R): I_z = 5/12 M R^2; I_x = 5/24 M R^2 + M t^2/12.
    r = w / math.sqrt(3)
    np.testing.assert_allclose(
        s.moment_inertia,
        [5 / 24 * mass * r * r + mass * t * t / 12] * 2 + [5 / 12 * mass * r * r],
        rtol=1e-10,
    )


@pytest.mark.parametrize(
    "kind,dims,extra",
    [
        ("sphere", (3.5,), {}),
        ("platelet", (7.0, 2.1), {}),
        ("cuboid", (6, 5, 3), {}),
        ("platelet", (7.0, 2.1), {"platelet_sides": 6}),
    ],
)
def test_site_spacing_and_envelope(kind, dims, extra):
    s = shape(kind, dims, **extra)
    d, _ = cKDTree(s.sites).query(s.sites, k=2)
    nearest = d[:, 1]
    # Neighbouring sites are never farther apart than the spacing (+ lattice slack) and
    # never closer than a third of it: the beads overlap into a smooth surface.
    assert nearest.max() <= SPACING * 1.05
    assert nearest.min() >= SPACING / 3
    # Bead union reaches the steric envelope: outermost bead surface at the envelope.
    half_extent = np.abs(s.sites).max(axis=0) + SITE / 2
    if kind == "sphere":
        assert np.linalg.norm(s.sites, axis=1).max() + SITE / 2 == pytest.approx(
            (dims[0] + SHELL) / 2, rel=1e-9
        )
    else:
        assert half_extent[2] == pytest.approx((s.core_dimensions[2] + SHELL) / 2, rel=1e-9)


def test_patchy_platelet_only_large_faces_attract():
    s = shape("platelet", (7.0, 2.1), patchy=True)
    top = np.isclose(np.abs(s.sites[:, 2]), np.abs(s.sites[:, 2]).max())
    assert np.all((s.site_types == SITE_ATTRACTIVE) == top)
    assert 0 < top.sum() < len(top)


def test_potential_shape():
    pot = SitePotential(site_diameter=1.5, attraction_range=0.75, epsilon=0.4, epsilon_core=1.0)
    # Well depth exactly epsilon at contact, zero at both cut-offs, steep core inside.
    assert pot.energy(np.array([1.5]))[0] == pytest.approx(-0.4, rel=1e-12)
    assert pot.energy(np.array([2.25 - 1e-9]))[0] == pytest.approx(0.0, abs=1e-8)
    assert pot.energy(np.array([2.3]))[0] == 0.0
    assert pot.energy(np.array([1.5]), attractive=False)[0] == pytest.approx(0.0, abs=1e-12)
    sigma = 1.5 / 2 ** (1 / 6)
    wca = 4 * ((sigma / 1.2) ** 12 - (sigma / 1.2) ** 6) + 1.0
    assert pot.energy(np.array([1.2]), attractive=False)[0] == pytest.approx(wca, rel=1e-12)


def test_face_contact_energy_hand_count():
    # Sites far enough apart that only directly opposite sites are within range: the face
    # lattice spacing is 5.75 nm / 7 = 0.821 nm, so lateral neighbours sit at
    # sqrt(d^2 + s^2) = 1.294 nm, beyond the cut-off d + range = 1.25 nm.
    d, spacing, rng = 1.0, 5.75 / 7, 0.25
    s = make_shape(
        "platelet", (6.0, 2.0), shell_thickness=0.75, site_diameter=d, site_spacing=spacing
    )
    eps = 0.3
    pot = SitePotential(site_diameter=d, attraction_range=rng, epsilon=eps, epsilon_core=1.0)
    inner_width = 6.0 + 0.75 - d
    n = math.ceil(inner_width / spacing)
    face_sites = (n + 1) ** 2  # square lattice incl. the face's edges and corners
    assert np.isclose(s.sites[:, 2], s.sites[:, 2].max()).sum() == face_sites
    contact = 2 * s.sites[:, 2].max() + d  # opposite face sites exactly at contact
    q = np.array([[1.0, 0, 0, 0]])
    e = body_pair_energy(s, s, pot, np.array([[0, 0, contact]]), q, q)[0]
    assert e == pytest.approx(-eps * face_sites, rel=1e-9)
    e_min, dist = face_contact_energy(s, pot, n_scan=2001)
    assert e_min == pytest.approx(-eps * face_sites, rel=1e-3)
    assert dist == pytest.approx(contact, abs=0.01)


def test_second_virial():
    s = shape("sphere", (3.5,))
    pot = SitePotential(1.5, 0.75, 0.0, 1.0)
    assert reduced_second_virial(s, pot, 1.0, n_shells=30, n_orientations=50) == 1.0
    # Steric B2 of the bead sphere: an effective hard-sphere diameter a few per cent below
    # the envelope diameter 4.25 nm (the bead surface has gaps and a kT-soft core); measured
    # 4.03 nm.
    from mesocrystal.model.interactions import second_virial_coefficient

    b2 = second_virial_coefficient(s, pot, 1.0)
    d_eff = (3 * b2 / (2 * math.pi)) ** (1 / 3)
    assert 0.92 * 4.25 < d_eff < 4.25
    # Attraction lowers B2*, monotonically.
    b = [
        reduced_second_virial(s, pot.with_epsilon(e), 1.0, n_shells=30, n_orientations=60)
        for e in (0.1, 0.2, 0.3)
    ]
    assert b[0] > b[1] > b[2]


def test_size_classes_reproduce_mean_and_cv():
    for cv in (0.05, 0.14, 0.5):
        scales, counts = size_classes(cv, 103)
        w = counts / counts.sum()
        mean = np.dot(w, scales)
        assert counts.sum() == 103
        assert mean == pytest.approx(1.0, rel=1e-9)
        assert math.sqrt(np.dot(w, (scales - mean) ** 2)) / mean == pytest.approx(cv, rel=1e-6)


def test_paper_conditions_differ_through_attraction_and_reaction_rate():
    """Product pairs crystallise in toluene (both temperatures) and arrest in dichloromethane;
    toluene at 25 C differs from 45 C through its 45-fold slower reaction."""
    regimes, half = {}, {}
    for solvent, t in [("toluene", 25.0), ("toluene", 45.0), ("dichloromethane", 25.0)]:
        model = build_model(resolve(normalize({"solvent": solvent, "temperature_C": t, "N": 64})))
        regimes[(solvent, t)] = model.pair_report(accurate=False)["regime"]
        half[(solvent, t)] = model.params.reaction["half_time_days"]
    assert regimes == {
        ("toluene", 25.0): "crystallising",
        ("toluene", 45.0): "crystallising",
        ("dichloromethane", 25.0): "arrested",
    }
    assert half[("toluene", 25.0)] > 40 * half[("toluene", 45.0)]
    assert half[("dichloromethane", 25.0)] < half[("toluene", 45.0)]


def test_mapping_values():
    # Hansen distance: toluene is a good solvent for PET, dichloromethane a poorer one.
    assert conditions.flory_huggins_chi("toluene", 25) == pytest.approx(0.028, abs=0.002)
    assert conditions.flory_huggins_chi("dichloromethane", 25) == pytest.approx(0.26, abs=0.01)
    assert conditions.viscosity("toluene", 25) == pytest.approx(0.560, rel=1e-9)
    assert conditions.viscosity("toluene", 0) == pytest.approx(0.778, rel=1e-9)
    # Effective product spread: 0.5 nm core spread over core + 2 shells (3.5 + 1.5 nm).
    assert conditions.effective_product_cv(0.75) == pytest.approx(0.1)


def test_initial_state_has_no_overlaps():
    model = build_model(
        resolve(
            normalize({"shape": "platelet", "N": 24, "epsilon_kT": 0.05, "packing_fraction": 0.1})
        )
    )
    st = model.initial_state()
    import rowan

    shape = model.shapes[0]
    world = [st.position[i] + rowan.rotate(st.orientation[i], shape.sites) for i in range(st.N)]
    box = st.box
    dmin = np.inf
    for i in range(st.N):
        for j in range(i):
            d = world[i][:, None, :] - world[j][None, :, :]
            d -= box * np.round(d / box)
            dmin = min(dmin, np.sqrt((d * d).sum(-1)).min())
    assert dmin >= 0.999 * 1.5
    # Reproducible from the seed.
    again = model.initial_state()
    np.testing.assert_array_equal(st.position, again.position)
