"""AFM-like height maps and RMS roughness (analysis.roughness) on surfaces with known answers."""

import freud
import numpy as np
import pytest
import rowan
from _references import (
    PLATE_T,
    PLATE_W,
    SPHERE_D,
    jammed,
    make_frame,
    platelet_frame,
    square_platelet_vertices,
)

from mesocrystal.analysis import aggregation, morphology, roughness
from mesocrystal.analysis.io import load_bodies, system_from_arrays


def test_single_ball_image_is_the_dilation():
    """One ball of radius a under a tip of radius R: h = sqrt((a + R)^2 - rho^2) - R exactly."""
    a, tip = 2.0, 3.0
    image = roughness.height_map(np.zeros((1, 3)), a, tip_radius=tip, scan_size=16.0, pixel=0.25)
    x = image.coordinates
    rho2 = x[:, None] ** 2 + x[None, :] ** 2
    inside = rho2 < (a + tip) ** 2
    np.testing.assert_allclose(
        image.heights[inside], np.sqrt((a + tip) ** 2 - rho2[inside]) - tip, atol=1e-12
    )
    assert np.all(np.isnan(image.heights[~inside]))
    assert image.coverage == pytest.approx(np.mean(inside))


def test_bad_scan_parameters():
    for name in ("tip_radius", "scan_size", "pixel"):
        with pytest.raises(ValueError, match=name):
            roughness.height_map(np.zeros((1, 3)), 1.0, **{name: 0.0})


def test_levelling_removes_a_tilt():
    """A tilted plane has Sq = 0 after levelling, slope * pixel * sqrt((n^2 - 1)/12) before."""
    n, pixel, slope = 64, 0.25, 0.3
    x = (np.arange(n) - 0.5 * (n - 1)) * pixel
    plane = 1.0 + slope * x[:, None] + 0.0 * x[None, :]
    assert roughness.sq(plane, pixel) == pytest.approx(0.0, abs=1e-12)
    expected = slope * pixel * np.sqrt((n**2 - 1) / 12.0)
    assert roughness.sq(plane, pixel, levelled=False) == pytest.approx(expected, rel=1e-12)
    bumpy = plane.copy()
    bumpy[::2, :] += 0.1
    assert roughness.sq(bumpy, pixel) == pytest.approx(0.05, rel=1e-3)


def slab_body(tilt_deg: float = 0.0):
    """One solid cuboid body, 40 x 40 x 4 nm, rotated by ``tilt_deg`` about x."""
    verts = np.array([[x, y, z] for x in (-20, 20) for y in (-20, 20) for z in (-2, 2)], float)
    quat = rowan.from_axis_angle([1.0, 0.0, 0.0], np.radians(tilt_deg))
    frame = make_frame(
        freud.box.Box.cube(200.0),
        np.zeros((1, 3)),
        2 * np.linalg.norm(verts[0]),
        orientations=quat[None, :],
        type_shapes=[{"type": "ConvexPolyhedron", "vertices": verts.tolist()}],
    )
    return load_bodies(frame)


@pytest.mark.parametrize("tip", [1.0, 4.0, 8.0, 16.0])
def test_flat_face_is_flat_for_any_tip(tip):
    """The face of a cuboid has no roughness whatever the tip (faces are dilated exactly)."""
    system = slab_body(tilt_deg=25.0)
    network = aggregation.contact_network(system)
    m, idx, pos = morphology.morphology_of(system, network, np.ones(1, dtype=bool))
    scan = roughness.scan_aggregate(system, idx, pos, m.box_axes, m.center, tip_radius=tip)
    assert scan.coverage == (1.0, 1.0)
    assert max(scan.sq_faces) < 1e-9
    # both faces sit 2 nm from the centre
    for image in scan.maps:
        assert np.nanmean(image.heights) == pytest.approx(2.0, abs=1e-9)


def test_flat_face_seen_at_an_angle_needs_levelling():
    """Scanned 10 degrees off its normal, the face is a tilted plane: levelling removes it."""
    system = slab_body()
    axes = rowan.rotate(rowan.from_axis_angle([1.0, 0.0, 0.0], np.radians(10.0)), np.eye(3))
    scan = roughness.scan_aggregate(system, np.array([0]), np.zeros((1, 3)), axes)
    assert scan.sq < 1e-9
    image = scan.maps[0]
    n = image.heights.shape[0]
    unlevelled = roughness.sq(image.heights, image.pixel, levelled=False)
    expected = np.tan(np.radians(10.0)) * image.pixel * np.sqrt((n**2 - 1) / 12.0)
    assert unlevelled == pytest.approx(expected, rel=0.01)


def fcc_100_reference_sq(d: float, tip: float, samples: int = 240) -> float:
    """Sq of the image of an infinite FCC (100) facet of touching spheres of diameter ``d``.

    Brute force over one conventional cell (side a = sqrt(2) d): the top layer holds spheres at
    (a/2, 0) and (0, a/2), the layer a/2 below at (0, 0) and (a/2, a/2) (periodic images up to
    two cells away). The image of whole periods needs no levelling: Sq is its standard deviation.
    """
    a = np.sqrt(2.0) * d
    cells = np.arange(-2, 3)
    ii, jj = np.meshgrid(cells, cells, indexing="ij")
    shifts = np.column_stack([ii.ravel(), jj.ravel()]) * a
    top = np.vstack([shifts + [0.5 * a, 0.0], shifts + [0.0, 0.5 * a]])
    second = np.vstack([shifts, shifts + [0.5 * a, 0.5 * a]])
    centres = np.vstack(
        [
            np.column_stack([top, np.zeros(len(top))]),
            np.column_stack([second, np.full(len(second), -0.5 * a)]),
        ]
    )
    u = (np.arange(samples) + 0.5) / samples * a
    x, y = np.meshgrid(u, u, indexing="ij")
    rho2 = (x[..., None] - centres[:, 0]) ** 2 + (y[..., None] - centres[:, 1]) ** 2
    reach2 = (0.5 * d + tip) ** 2
    h = np.where(rho2 < reach2, centres[:, 2] + np.sqrt(np.clip(reach2 - rho2, 0, None)), -np.inf)
    return float(np.std(h.max(axis=-1)))


@pytest.mark.parametrize("tip", [2.0, 8.0])
def test_fcc_100_facet_matches_its_corrugation(tip):
    """The top facet of an FCC slab has the Sq of the infinite (100) facet under the same tip.

    The sphere size makes the 16 nm window hold exactly three conventional cells; the bound
    (2 %) is the error of sampling the periodic image on 64 x 64 pixels.
    """
    d = roughness.SCAN_SIZE_NM / (3 * np.sqrt(2.0))
    _, pts = freud.data.UnitCell.fcc().generate_system(num_replicas=(9, 9, 3), scale=np.sqrt(2) * d)
    pts = np.asarray(pts, dtype=np.float64)
    system = system_from_arrays(freud.box.Box.cube(200.0), pts - pts.mean(axis=0), d)
    network = aggregation.contact_network(system)
    m, idx, pos = morphology.morphology_of(system, network, np.ones(system.n, dtype=bool))
    assert m.shape == "sheet"
    scan = roughness.scan_aggregate(system, idx, pos, m.box_axes, m.center, tip_radius=tip)
    expected = fcc_100_reference_sq(d, tip)
    assert scan.coverage == (1.0, 1.0)
    assert scan.sq_faces[0] == pytest.approx(expected, rel=0.02)
    assert scan.sq_faces[1] == pytest.approx(expected, rel=0.02)
    # the corrugation is a real signal: more than a tenth of a nanometre even for the 8 nm tip
    assert expected > 0.05


def cut_surface(box, pos, diam, z_cut, reps=2):
    """Balls of a periodic packing below the plane z = z_cut, tiled laterally, in scan frame."""
    m = box.to_matrix()
    shifts = np.array(
        [[i, j, k] for i in range(-reps, reps + 1) for j in range(-reps, reps + 1) for k in (-1, 0)]
    )
    images = (pos[None, :, :] + (shifts @ m.T)[:, None, :]).reshape(-1, 3)
    radii = np.tile(0.5 * diam, len(shifts))
    keep = (images[:, 2] <= z_cut) & (images[:, 2] > z_cut - 3 * diam.max())
    local = images[keep] - [0.0, 0.0, z_cut]
    return local, radii[keep]


@pytest.mark.parametrize("phi", [0.55, pytest.param(0.64, marks=pytest.mark.slow)])
def test_random_packing_is_rougher_than_a_facet(phi):
    """Cuts through a random loose (phi = 0.55; Onoda and Liniger, Phys. Rev. Lett. 64, 2727
    (1990)) or jammed (phi = 0.64) packing are rougher than a cut along an FCC (100) plane of
    the same spheres.

    Six cuts about a diameter apart give the mean Sq and its standard error; the facet's Sq must
    lie more than 4 standard errors below the mean.
    """
    box, pos, diam, _ = jammed(n=300, phi=phi, seed=3)
    values = []
    for k in range(6):
        z_cut = -0.5 * box.Lz + k * box.Lz / 6
        local, radii = cut_surface(box, box.wrap(pos), diam, z_cut)
        values.append(roughness.sq(roughness.height_map(local, radii).heights, roughness.PIXEL_NM))
    values = np.array(values)
    mean, err = values.mean(), values.std(ddof=1) / np.sqrt(len(values))

    a = np.sqrt(2.0) * SPHERE_D
    cbox, cpos = freud.data.UnitCell.fcc().generate_system(num_replicas=(4, 4, 4), scale=a)
    cpos = cbox.wrap(np.asarray(cpos, dtype=np.float64) + 0.01)
    z_top = cpos[:, 2].max()
    local, radii = cut_surface(cbox, cpos, np.full(len(cpos), SPHERE_D), z_top + 1e-6)
    facet = roughness.sq(roughness.height_map(local, radii).heights, roughness.PIXEL_NM)
    assert facet < mean - 4 * err, (facet, mean, err)


def platelet_stack(tilt_deg: float, n: int = 3, layers: int = 6, seed: int = 0):
    """Square platelets (6 x 6 x 1.5 nm) in registry: n x n columns of ``layers`` platelets,
    5 % lateral and 10 % axial gaps, each tilted by ``tilt_deg`` about a random in-plane axis."""
    verts = square_platelet_vertices()
    a, c = 1.05 * PLATE_W, 1.1 * PLATE_T
    grid = np.stack(np.meshgrid(np.arange(n), np.arange(n), np.arange(layers), indexing="ij"), -1)
    pos = grid.reshape(-1, 3).astype(float) * [a, a, c]
    pos -= pos.mean(axis=0)
    rng = np.random.default_rng(seed)
    axis = rng.normal(size=(len(pos), 3))
    axis[:, 2] = 0.0
    axis /= np.linalg.norm(axis, axis=1)[:, None]
    quats = rowan.from_axis_angle(axis, np.radians(tilt_deg))
    return load_bodies(platelet_frame(freud.box.Box.cube(120.0), pos, quats, verts)), a, c


@pytest.mark.slow
def test_platelet_stack_facets():
    """A stack of aligned platelets is a sheet with the gyration extents of its lattice and flat
    faces (Sq below 0.01 nm); platelets tilted by 8 degrees roughen them (Sq above 0.1 nm)."""
    flat, a, c = platelet_stack(0.0)
    result = morphology.measure_frame(flat)
    meso = result["mesocrystal"]
    assert meso["n_bodies"] == 54 and meso["shape"] == "sheet"
    # centres on a 3 x 3 x 6 lattice plus each platelet's own gyration (edges 6, 6, 1.5 nm)
    expected = [
        np.sqrt(a**2 * 8 + PLATE_W**2),
        np.sqrt(a**2 * 8 + PLATE_W**2),
        np.sqrt(c**2 * 35 + PLATE_T**2),
    ]
    np.testing.assert_allclose(meso["extents_nm"], expected, rtol=1e-5)
    assert max(result["roughness"]["sq_faces_nm"]) < 0.01
    tilted, _, _ = platelet_stack(8.0)
    rough = morphology.measure_frame(tilted)["roughness"]
    assert min(rough["sq_faces_nm"]) > 0.1


def test_window_goes_where_the_tip_touches():
    """The window covers the most touched pixels; among equal windows the most central."""
    covered = np.zeros((12, 12), dtype=bool)
    covered[0:5, 7:12] = True  # a 5 x 5 patch off centre
    assert roughness.place_window(covered, 4) == (1, 7)  # fully inside, nearest to the centre
    assert roughness.place_window(np.ones((12, 12), dtype=bool), 4) == (4, 4)
    # an aggregate whose centre of mass lies in a hole: two balls 12 nm either side of it
    balls = np.array([[-12.0, 0.0, 0.0], [12.0, 0.0, 0.0]])
    system = system_from_arrays(freud.box.Box.cube(100.0), balls, 4.0)
    scan = roughness.scan_aggregate(
        system, np.arange(2), balls, np.eye(3), center=np.zeros(3), tip_radius=2.0, scan_size=4.0
    )
    assert scan.coverage == (1.0, 1.0)
    # on a ball, as near to the centre of mass as full coverage allows
    assert 10.0 <= abs(scan.offsets[0][0]) <= 12.0
