"""Pictures, plots and the phase diagram (``mesocrystal/visualize/``) on configurations with
known answers."""

from __future__ import annotations

import json
import os
import time

import gsd.hoomd
import matplotlib
import numpy as np
import pytest
import rowan

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from mesocrystal import (
    products,
    schema,  # noqa: E402
)
from mesocrystal.analysis import bondorder  # noqa: E402
from mesocrystal.visualize import (  # noqa: E402
    camera,
    examples,
    jobs,
    meshes,
    movie,
    phase_diagram,
    plots,
    render,
    scene,
    style,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _canvas(fig) -> np.ndarray:
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    plt.close(fig)
    return rgba


def _draw(frame_bodies, colors, view=camera.DEFAULT_VIEW, limits=None) -> np.ndarray:
    """RGB pixels of bodies drawn alone (no text), ``(H, W, 3)``."""
    fig = plt.figure(figsize=(3, 3), dpi=80)
    ax = fig.add_axes((0, 0, 1, 1), projection="3d", proj_type="ortho", computed_zorder=False)
    b = frame_bodies
    camera.draw_bodies(
        ax, b.positions, b.orientations, b.typeid, b.meshes, colors, view, limits=limits
    )
    return _canvas(fig)


def _coloured(pixels: np.ndarray) -> np.ndarray:
    """Mask of saturated (non-grey) pixels: the bodies drawn in a colour."""
    return (pixels.max(axis=-1) - pixels.min(axis=-1)) > 40


def _read_png(path) -> np.ndarray:
    with open(path, "rb") as fh:
        assert fh.read(8) == PNG_MAGIC
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def _platelets(orientations, positions) -> scene.Bodies:
    frame = examples.make_frame(
        np.asarray(positions, dtype=float), 40.0, examples.PLATELET_SHAPE, np.asarray(orientations)
    )
    return scene.bodies_from_frame(frame)


# -- meshes -----------------------------------------------------------------------------------
def test_rounded_platelet_mesh_has_the_envelope_extents_and_outward_planar_faces():
    mesh = meshes.mesh_from_shape(examples.PLATELET_SHAPE)
    # core 4.25 x 4.25 x 0.75 dilated by 0.75 on every side
    np.testing.assert_allclose(np.ptp(mesh.vertices, axis=0), [5.75, 5.75, 2.25], atol=1e-9)
    assert not mesh.smooth
    for face, normal in zip(mesh.faces, mesh.normals):
        pts = mesh.vertices[face]
        # planar, outward, counter-clockwise seen from outside
        assert np.allclose((pts - pts[0]) @ normal, 0.0, atol=1e-9)
        assert pts.mean(axis=0) @ normal > 0
        winding = np.cross(pts[1] - pts[0], pts[2] - pts[0])
        assert winding @ normal > 0
    # the six large faces of the slab are single polygons
    for axis in np.eye(3):
        for sign in (1, -1):
            assert np.any(np.all(np.isclose(mesh.normals, sign * axis), axis=1))


def test_sphere_and_fallback_meshes():
    sphere = meshes.mesh_from_shape({"type": "Sphere", "diameter": 4.0})
    assert sphere.smooth
    np.testing.assert_allclose(np.linalg.norm(sphere.vertices, axis=1), 2.0)
    centres = np.array([sphere.vertices[f].mean(axis=0) for f in sphere.faces])
    assert np.all(np.sum(centres * sphere.normals, axis=1) > 0)
    fallback = meshes.mesh_from_shape({}, diameter=3.0)
    assert fallback.circumradius == pytest.approx(1.5)
    ellipsoid = meshes.mesh_from_shape({"type": "Ellipsoid", "a": 3.0, "b": 2.0, "c": 1.0})
    np.testing.assert_allclose(np.ptp(ellipsoid.vertices, axis=0)[2], 2.0)


# -- rendering --------------------------------------------------------------------------------
def test_culled_faces_match_matplotlibs_camera():
    """Every polygon drawn faces the camera: same on-screen winding, the hidden faces opposite."""
    from mpl_toolkits.mplot3d import proj3d

    mesh = meshes.rounded_polyhedron(examples.PLATELET_SHAPE["vertices"], 0.0)
    for view in ((22.0, -58.0), (60.0, 130.0), (-30.0, 10.0)):
        fig = plt.figure()
        ax = fig.add_subplot(projection="3d", proj_type="ortho")
        ax.set_box_aspect((1, 1, 1))
        for set_lim in (ax.set_xlim, ax.set_ylim, ax.set_zlim):
            set_lim(-4, 4)
        ax.view_init(*view)
        proj = ax.get_proj()

        def screen_winding(poly, proj=proj):
            x, y, _ = proj3d.proj_transform(poly[:, 0], poly[:, 1], poly[:, 2], proj)
            return np.sign((x[1] - x[0]) * (y[2] - y[0]) - (y[1] - y[0]) * (x[2] - x[0]))

        drawn, *_ = camera.body_polygons(
            np.zeros((1, 3)), np.array([[1.0, 0, 0, 0]]), np.zeros(1, int), [mesh],
            np.ones((1, 4)), view,
        )  # fmt: skip
        all_faces = [mesh.vertices[f] for f in mesh.faces]
        signs_drawn = {screen_winding(p) for p in drawn}
        signs_all = [screen_winding(p) for p in all_faces]
        plt.close(fig)
        assert len(drawn) == 3  # a box shows three faces from a generic direction
        assert len(signs_drawn) == 1
        assert signs_all.count(signs_drawn.pop()) == 3


def test_two_platelets_face_to_face_drawn_and_orientation_matters():
    ident = [1.0, 0.0, 0.0, 0.0]
    stacked = _platelets([ident, ident], [[0, 0, -1.15], [0, 0, 1.15]])
    colors = np.array([[0.0, 0.45, 0.7, 1.0], [0.84, 0.37, 0.0, 1.0]])
    top = (90.0, -90.0)
    face_on = _draw(stacked, colors, view=top)
    mask = _coloured(face_on)
    assert mask.mean() > 0.05, "bodies are missing from the picture"
    # seen from above only the upper platelet (second colour) is visible
    blue = (face_on[..., 2] > face_on[..., 0] + 60) & mask
    orange = (face_on[..., 0] > face_on[..., 2] + 60) & mask
    assert orange.sum() > 20 * max(blue.sum(), 1)

    side = rowan.from_axis_angle([1.0, 0.0, 0.0], np.pi / 2)
    turned = _platelets([ident, side], [[0, 0, -1.15], [0, 0, 3.5]])
    edge_on = _draw(turned, colors, view=top, limits=(np.full(3, -4.5), np.full(3, 4.5)))
    reference = _draw(stacked, colors, view=top, limits=(np.full(3, -4.5), np.full(3, 4.5)))
    assert np.mean(np.any(edge_on != reference, axis=-1)) > 0.02
    orange_edge = (edge_on[..., 0] > edge_on[..., 2] + 60) & _coloured(edge_on)
    orange_face = (reference[..., 0] > reference[..., 2] + 60) & _coloured(reference)
    # face on 5.75 x 5.75 nm, edge on 5.75 x 2.25 nm
    ratio = orange_face.sum() / orange_edge.sum()
    assert 1.8 < ratio < 3.5


def test_sphere_pictures_do_not_depend_on_orientation():
    frame_a = examples.make_frame(np.zeros((1, 3)), 20.0, examples.SPHERE_SHAPE)
    q = rowan.from_axis_angle([0.3, 0.5, 0.8], 1.1)
    frame_b = examples.make_frame(np.zeros((1, 3)), 20.0, examples.SPHERE_SHAPE, q[None, :])
    colors = np.array([[0.0, 0.6, 0.45, 1.0]])
    a = _coloured(_draw(scene.bodies_from_frame(frame_a), colors))
    b = _coloured(_draw(scene.bodies_from_frame(frame_b), colors))
    assert a.sum() > 1000
    assert np.mean(a != b) < 0.01


@pytest.fixture(scope="module")
def fcc_trajectory(tmp_path_factory):
    """A 108-body FCC crystallite growing in a 45 nm box, written as a trajectory."""
    rng = np.random.default_rng(3)
    final = examples.fcc_cluster(3) + rng.normal(scale=0.1, size=(108, 3))
    path = tmp_path_factory.mktemp("fcc") / "trajectory.gsd"
    examples.write_trajectory(
        examples.assembly_trajectory(final, 45.0, examples.SPHERE_SHAPE, frames=6), path
    )
    return path


def test_final_frame_pictures_of_a_crystallite(fcc_trajectory, tmp_path):
    structure, aggregate = render.render_final_frame(
        fcc_trajectory, tmp_path / "s.png", tmp_path / "a.png", dt=0.005, title="FCC"
    )
    whole = _read_png(structure)
    close = _read_png(aggregate)
    assert whole.shape[0] > 500 and close.shape[0] > 500
    # whole box: the aggregate in the first cluster colour
    first = np.array(matplotlib.colors.to_rgb(style.CLUSTER_COLORS[0])) * 255
    blueish = np.all(np.abs(whole - first * whole.max(axis=-1, keepdims=True) / 255) < 60, -1)
    assert (blueish & _coloured(whole)).mean() > 0.02
    # close-up: interior bodies are solid-like, i.e. drawn in the upper (yellow-green) colours
    yellow = (close[..., 0] > 120) & (close[..., 1] > 150) & (close[..., 2] < 110)
    assert yellow.mean() > 0.002
    assert _coloured(close).mean() > 0.2


def test_membership_and_unwrapping_across_the_boundary(fcc_trajectory):
    frame = schema.read_last_frame(fcc_trajectory)
    box_length = float(frame.configuration.box[0])
    # move the crystallite onto the periodic boundary
    shifted = frame.particles.position.astype(float) + 0.5 * box_length + 0.1
    frame.particles.position = (
        (shifted + 0.5 * box_length) % box_length - 0.5 * box_length
    ).astype(np.float32)
    bodies = scene.bodies_from_frame(frame)
    member = scene.membership(frame, bodies)
    members, kind = member.largest()
    assert kind == "aggregate" and len(members) == 108
    assert np.ptp(bodies.positions[members], axis=0).max() > 0.8 * box_length
    unwrapped = scene.unwrap(bodies, members, member.bonds)
    assert np.ptp(unwrapped, axis=0).max() < 0.4 * box_length
    assert np.count_nonzero(member.solid_bonds[members] >= bondorder.SOLID_BONDS) > 30


def test_movie_has_the_requested_frames(tmp_path):
    final = examples.platelet_stacks(2, 4)
    traj = examples.write_trajectory(
        examples.assembly_trajectory(final, 30.0, examples.PLATELET_SHAPE, frames=5),
        tmp_path / "t.gsd",
    )
    out = movie.render_movie(traj, tmp_path / "m.gif", max_frames=4, dpi=40, size_in=3)
    with Image.open(out) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == 4
        gif.seek(0)
        first = np.asarray(gif.convert("RGB")).astype(int)
        gif.seek(3)
        last = np.asarray(gif.convert("RGB")).astype(int)
    assert np.mean(np.any(first != last, axis=-1)) > 0.01


def test_empty_trajectory_is_reported(tmp_path):
    path = tmp_path / "empty.gsd"
    with gsd.hoomd.open(os.fspath(path), "w"):
        pass
    with pytest.raises(schema.GSDReadError):
        render.render_final_frame(path, tmp_path / "s.png", tmp_path / "a.png")
    assert not (tmp_path / "s.png").exists()


# -- plots ------------------------------------------------------------------------------------
def test_plots_from_the_analysis_and_the_logs(fcc_trajectory, tmp_path):
    from mesocrystal import analysis

    doc = analysis.analyze_trajectory(fcc_trajectory, tmp_path / "analysis.json", stride=1)
    assert doc["label"] == "crystalline"
    out = plots.plot_timeseries(
        tmp_path / "analysis.json",
        tmp_path / "timeseries.png",
        dt=0.005,
        randomize_steps=100,
        seconds_per_tau=2.7e-10,
        title="FCC",
    )
    thermo = plots.plot_thermo(fcc_trajectory, tmp_path / "thermo.png", dt=0.005)
    rdf = plots.plot_rdf(fcc_trajectory, tmp_path / "rdf.png", contact_nm=4.25)
    for path in (out, thermo, rdf):
        pixels = _read_png(path)
        assert _coloured(pixels).mean() > 0.005
    r, g, info = plots.radial_distribution(fcc_trajectory)
    assert info["n_bodies"] == 108
    assert abs(r[np.argmax(g)] - 4.3) < 0.3  # FCC nearest-neighbour distance


def test_logs_are_read_with_either_key_prefix(tmp_path):
    paths = []
    for prefix in ("mesocrystal/", "log/mesocrystal/"):
        frames = []
        for step in range(3):
            f = examples.make_frame(np.zeros((1, 3)), 10.0, examples.SPHERE_SHAPE, step=step * 10)
            f.log = {prefix + "potential_energy": np.array([-1.0 * step])}
            frames.append(f)
        paths.append(examples.write_trajectory(frames, tmp_path / f"{len(paths)}.gsd"))
    a, b = (schema.read_log(p) for p in paths)
    np.testing.assert_array_equal(a["step"], [0, 10, 20])
    np.testing.assert_array_equal(a["potential_energy"], b["potential_energy"])
    np.testing.assert_array_equal(a["potential_energy"], [0.0, -1.0, -2.0])


# -- phase diagram ----------------------------------------------------------------------------
def _rows(statepoints_labels):
    return [
        {"id": f"{i:032x}", "statepoint": sp, "label": label, "confidence": conf}
        for i, (sp, label, conf) in enumerate(statepoints_labels)
    ]


def test_axes_follow_the_swept_variables():
    env = [
        {"solvent": s, "temperature_C": t, "seed": k, "N": 64}
        for s in ("toluene", "dichloromethane")
        for t in (25.0, 45.0)
        for k in (0, 1)
    ]
    assert phase_diagram.choose_axes(env) == {
        "x": "temperature_C",
        "y": "solvent",
        "facets": [],
        "covarying": [],
    }
    model = [
        {"shape": sh, "epsilon_kT": e, "packing_fraction": p, "platelet_width_nm": w}
        for sh, w in (("sphere", 7.0), ("platelet", 5.0))
        for e in (0.05, 0.3)
        for p in (0.05, 0.1)
    ]
    axes = phase_diagram.choose_axes(model)
    assert (axes["x"], axes["y"]) == ("epsilon_kT", "packing_fraction")
    assert axes["facets"] == ["shape"] and axes["covarying"] == ["platelet_width_nm"]
    # the quick study: everything varies together, so there is one axis
    quick = [
        {"shape": "sphere", "epsilon_kT": 0.3, "packing_fraction": 0.1},
        {"shape": "platelet", "epsilon_kT": 0.05, "packing_fraction": 0.05},
    ]
    axes = phase_diagram.choose_axes(quick)
    assert axes["x"] == "epsilon_kT" and axes["y"] is None and axes["facets"] == []
    assert phase_diagram.choose_axes(model, x="shape", y="epsilon_kT")["facets"] == [
        "packing_fraction"
    ]
    with pytest.raises(KeyError):
        phase_diagram.choose_axes(model, x="no_such_key")


def test_replicas_are_combined_by_majority(tmp_path):
    sp = {"shape": "sphere", "epsilon_kT": 0.3}
    other = {"shape": "sphere", "epsilon_kT": 0.05}
    rows = _rows(
        [
            ({**sp, "seed": 0}, "crystalline", 0.9),
            ({**sp, "seed": 1}, "crystalline", 0.7),
            ({**sp, "seed": 2}, "rcp", 0.8),
            ({**sp, "seed": 3}, None, None),
            ({**other, "seed": 0}, "dispersed", 0.2),
            ({**other, "seed": 1}, "rcp", 0.6),
        ]
    )
    data = phase_diagram.write_phase_diagram(rows, tmp_path / "pd.png", tmp_path / "pd.json")
    assert data == json.loads((tmp_path / "pd.json").read_text())
    assert _coloured(_read_png(tmp_path / "pd.png")).mean() > 0.005
    points = {p["x"]: p for p in data["points"]}
    strong = points[0.3]
    assert strong["counts"] == {"crystalline": 2, "rcp": 1} and strong["pending"] == 1
    assert strong["majority"] == "crystalline" and not strong["tie"]
    assert strong["agreement"] == pytest.approx(2 / 3)
    assert strong["mean_confidence"] == pytest.approx(0.8)
    weak = points[0.05]
    # a tie goes to the more confident label
    assert weak["tie"] and weak["majority"] == "rcp"
    assert data["n_jobs"] == 6


def test_fingerprint_follows_labels_and_jobs():
    rows = _rows([({"epsilon_kT": 0.1, "seed": 0}, "rcp", 0.5)])
    base = phase_diagram.fingerprint(rows)
    assert phase_diagram.fingerprint([dict(rows[0])]) == base
    assert phase_diagram.fingerprint([{**rows[0], "label": "crystalline"}]) != base
    assert phase_diagram.fingerprint(rows + _rows([({"epsilon_kT": 0.2}, None, None)])) != base
    assert phase_diagram.fingerprint(rows, {"x": "seed"}) != base


# -- job products -----------------------------------------------------------------------------
class _Job:
    """The part of signac's Job that visualize.jobs uses."""

    def __init__(self, path, doc=None):
        self.path, self._doc = path, doc or {}
        self.id = "0" * 32

    def fn(self, name):
        return os.path.join(self.path, name)

    def isfile(self, name):
        return os.path.isfile(self.fn(name))

    @property
    def doc(self):
        return self._doc

    def document(self):
        return json.loads(json.dumps(self._doc))


def test_label_comes_from_the_job_document_then_analysis_json(tmp_path):
    job = _Job(tmp_path)
    assert jobs.job_classification(job) is None
    (tmp_path / "analysis.json").write_text(
        json.dumps({"label": "rcp", "confidence": 0.4, "margins": {"aggregated": 0.9}})
    )
    c = jobs.job_classification(job)
    assert (c["label"], c["confidence"], c["source"]) == ("rcp", 0.4, "analysis.json")
    job._doc[products.CLASSIFICATION_KEY] = {"label": "rcp", "confidence": 0.8}
    c = jobs.job_classification(job, details=True)
    assert (c["label"], c["confidence"], c["source"]) == ("rcp", 0.8, "job document")
    assert c["margins"] == {"aggregated": 0.9}
    # the margins of another label do not explain this one
    job._doc[products.CLASSIFICATION_KEY] = {"label": "crystalline", "confidence": 0.7}
    c = jobs.job_classification(job, details=True)
    assert c["label"] == "crystalline" and "margins" not in c


def test_products_are_stale_when_the_trajectory_is_newer(tmp_path):
    job = _Job(tmp_path)
    (tmp_path / "trajectory.gsd").write_bytes(b"x")
    assert not jobs.rendered(job)
    for name in products.RENDER_PRODUCTS:
        (tmp_path / name).write_bytes(b"png")
    assert jobs.rendered(job)
    later = time.time() + 10
    os.utime(tmp_path / "trajectory.gsd", (later, later))
    assert not jobs.rendered(job)


def test_statepoint_headings():
    assert jobs.describe_statepoint({"solvent": "toluene", "temperature_C": 45.0}) == (
        "toluene, 45 °C"
    )
    text = jobs.describe_statepoint(
        {"shape": "platelet", "epsilon_kT": 0.05, "packing_fraction": 0.1, "N": 64, "seed": 2}
    )
    assert text == "platelets, ε = 0.05 kT, φ = 0.1, N = 64, seed 2"
