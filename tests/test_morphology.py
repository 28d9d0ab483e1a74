"""Principal extents, shape classes and crystallite size of aggregates (analysis.morphology).

Reference solids are blocks of lattice points from :class:`freud.data.UnitCell`, whose extents
and shapes are known exactly.
"""

import json

import freud
import numpy as np
import pytest
import rowan
from _references import SPHERE_D, crystal_positions, jammed, make_frame, sphere_shapes

from mesocrystal.analysis import aggregation, morphology
from mesocrystal.analysis.io import system_from_arrays

D = 4.0  # sphere diameter = lattice spacing of the simple-cubic blocks (nm)


def block(reps, cell=None, scale=D, rotation=None, offset=(0.0, 0.0, 0.0), box_side=None):
    """Touching spheres on the points of ``reps`` unit cells, centred on ``offset``."""
    cell = cell or freud.data.UnitCell.sc()
    _, pts = cell.generate_system(num_replicas=reps, scale=scale)
    pts = np.asarray(pts, dtype=np.float64)
    pts -= pts.mean(axis=0)
    if rotation is not None:
        pts = rowan.rotate(rotation, pts)
    side = box_side or 3 * np.ptp(pts, axis=0).max() + 10 * D
    box = freud.box.Box.cube(side)
    return system_from_arrays(box, box.wrap(pts + np.asarray(offset)), D)


def whole(system):
    network = aggregation.contact_network(system)
    return morphology.morphology_of(system, network, np.ones(system.n, dtype=bool))


@pytest.mark.parametrize(
    ("reps", "shape", "zingg"),
    [
        ((8, 8, 8), "cuboid", "equant"),
        ((12, 12, 3), "sheet", "oblate"),
        ((12, 3, 3), "rod", "prolate"),
        ((12, 6, 2), "blade", "bladed"),
    ],
)
def test_lattice_blocks(reps, shape, zingg):
    """A block of n touching spheres along an axis has extent d sqrt(n^2 - 0.4) (exact)."""
    rotation = rowan.normalize(np.array([0.9, 0.2, -0.3, 0.25]))
    m, idx, _ = whole(block(reps, rotation=rotation))
    expected = D * np.sqrt(np.sort(np.asarray(reps, dtype=float))[::-1] ** 2 - 0.4)
    np.testing.assert_allclose(m.extents, expected, rtol=1e-6)
    assert m.shape == shape
    assert m.zingg == zingg
    assert m.box_fill == pytest.approx(1.0, abs=1e-3)
    assert m.size == pytest.approx(expected[0])
    assert len(idx) == np.prod(reps)
    assert not m.percolating
    edges = sorted(reps)
    if edges[2] > edges[1]:
        # the longest principal axis lies along the block's longest edge
        long_edge = rowan.rotate(rotation, np.eye(3)[int(np.argmax(reps))])
        assert abs(m.axes[0] @ long_edge) == pytest.approx(1.0, abs=1e-6)
    if edges[0] < edges[1]:
        # the box axis it would rest on is normal to the block's largest face
        normal = rowan.rotate(rotation, np.eye(3)[int(np.argmin(reps))])
        assert abs(m.box_axes[2] @ normal) == pytest.approx(1.0, abs=1e-6)


def test_fcc_cube_and_ball():
    """An FCC cube is a cuboid; a ball carved from the same lattice is a blob of equal extents."""
    a = D * np.sqrt(2.0)
    cube, _, _ = whole(block((6, 6, 6), freud.data.UnitCell.fcc(), scale=a))
    assert cube.shape == "cuboid"
    assert cube.box_fill > 0.95
    _, pts = freud.data.UnitCell.fcc().generate_system(num_replicas=10, scale=a)
    pts = np.asarray(pts) - np.asarray(pts).mean(axis=0) + 0.1
    ball_pts = pts[np.linalg.norm(pts, axis=1) < 14.0]
    ball, _, _ = whole(system_from_arrays(freud.box.Box.cube(200.0), ball_pts, D))
    assert ball.shape == "blob"
    # a ball fills pi/6 of its box; a faceted lattice ball a little more
    assert 0.5 < ball.box_fill < morphology.FACETED_BOX_FILL
    np.testing.assert_allclose(ball.extents, ball.extents[0], rtol=0.05)
    # centres fill a ball of radius 14 nm (gyration R^2/5 per axis) and each sphere adds d^2/20:
    # L = sqrt(12 (R^2/5 + d^2/20)), up to the lattice's discreteness
    assert ball.extents[0] == pytest.approx(np.sqrt(12 * (14.0**2 / 5 + D**2 / 20)), rel=0.03)


def test_extents_of_a_row_with_body_gyration():
    """n collinear spheres: L1 = d sqrt(n^2 - 0.4), L2 = L3 = d sqrt(12/20) (one sphere)."""
    n = 7
    pts = np.column_stack([np.arange(n) * D, np.zeros(n), np.zeros(n)])
    system = system_from_arrays(freud.box.Box.cube(100.0), pts, D)
    gyr = morphology.body_gyration(system, np.arange(n))
    extents, axes, center = morphology.principal_extents(pts, gyr)
    np.testing.assert_allclose(extents, D * np.sqrt([n**2 - 0.4, 0.6, 0.6]), rtol=1e-12)
    np.testing.assert_allclose(center, [0.5 * (n - 1) * D, 0, 0], atol=1e-12)
    assert abs(axes[0, 0]) == pytest.approx(1.0)


def test_polyhedron_gyration_is_exact():
    """A solid cuboid body with edges (2, 1, 4) nm has gyration diag(4, 1, 16)/12 nm^2."""
    verts = np.array([[x, y, z] for x in (-1, 1) for y in (-0.5, 0.5) for z in (-2, 2)], float)
    frame = make_frame(
        freud.box.Box.cube(50.0),
        np.zeros((1, 3)),
        np.full(1, np.linalg.norm(verts[0]) * 2),
        type_shapes=[{"type": "ConvexPolyhedron", "vertices": verts.tolist()}],
    )
    from mesocrystal.analysis.io import load_bodies

    system = load_bodies(frame)
    g = morphology.body_gyration(system, np.array([0]))[0]
    np.testing.assert_allclose(g, np.diag([4.0, 1.0, 16.0]) / 12.0, atol=1e-12)


def test_unwrap_across_the_boundary():
    """A block split by the periodic boundary has the extents of the whole block."""
    reps = (6, 4, 3)
    centred, _, _ = whole(block(reps, box_side=60.0))
    side = 60.0
    split, idx, pos = whole(block(reps, offset=(0.5 * side, 0.5 * side, 0.0), box_side=side))
    np.testing.assert_allclose(split.extents, centred.extents, rtol=1e-6)
    assert np.ptp(pos[:, 0]) == pytest.approx((reps[0] - 1) * D)
    assert not split.percolating
    assert split.shape == centred.shape


def test_percolating_slab_is_flagged():
    """A slab that spans the periodic box in x and y wraps around it."""
    _, pts = freud.data.UnitCell.sc().generate_system(num_replicas=(6, 6, 2), scale=D)
    box = freud.box.Box(6 * D, 6 * D, 40.0)
    system = system_from_arrays(box, np.asarray(pts), D)
    m, _, _ = whole(system)
    assert m.percolating


def test_empty_selection():
    system = block((3, 3, 3))
    network = aggregation.contact_network(system)
    m, idx, _ = morphology.morphology_of(system, network, np.zeros(system.n, dtype=bool))
    assert m.shape == "none" and m.size == 0.0 and len(idx) == 0
    assert json.dumps(m.to_dict())


def test_crystallite_of_crystal_and_random_packing():
    """All of an FCC ball is one crystallite; a random packing holds none of 13 bodies."""
    box, pos = crystal_positions("fcc", (8, 8, 8), seed=2)
    centred = box.center(pos)
    ball = centred[np.linalg.norm(centred, axis=1) < 3.2 * SPHERE_D]
    frame = make_frame(freud.box.Box.cube(120.0), ball, np.full(len(ball), SPHERE_D))
    frame.particles.type_shapes = sphere_shapes()
    result = morphology.measure_frame(frame)
    meso, cryst = result["mesocrystal"], result["crystallite"]
    assert cryst["n_bodies"] >= 0.5 * meso["n_bodies"]
    assert cryst["size_nm"] > 0.8 * meso["size_nm"]

    jbox, jpos, jd, _ = jammed(n=300, phi=0.55, seed=3)
    frame = make_frame(jbox, jpos, jd, type_shapes=sphere_shapes())
    result = morphology.measure_frame(frame)
    assert result["crystallite"]["n_bodies"] < morphology.MIN_CRYSTAL_BODIES
    assert result["mesocrystal"]["percolating"]
    assert json.dumps(result)


def test_first_crystal():
    rows = [
        {"frame": 0, "step": 0, "largest_solid_cluster": 0},
        {"frame": 5, "step": 500, "largest_solid_cluster": 12},
        {"frame": 10, "step": 1000, "largest_solid_cluster": 13},
        {"frame": 15, "step": 1500, "largest_solid_cluster": 40},
    ]
    assert morphology.first_crystal(rows) == {"frame": 10, "step": 1000}
    assert morphology.first_crystal(rows, min_bodies=41) is None
    unknown = [{"frame": 0, "step": 0, "largest_solid_cluster": None}]
    assert morphology.first_crystal(unknown) is None
