"""Reference structures for the classifier tests, built from scratch.

Every builder returns a :class:`gsd.hoomd.Frame` in the schema the simulations write (lengths in
nm, body z axis = platelet normal). Sizes follow the experiment (3.5 nm spheres; platelets
6 x 6 x 1.5 nm) so that nothing relies on unit diameters.

* thermalised crystals (FCC, HCP, BCC, SC) with Gaussian displacements at a Lindemann ratio
  (rms displacement / nearest-neighbour distance) of 0.06;
* jammed random packings from a point quench of random soft spheres to packing fraction 0.64
  followed by energy minimisation (O'Hern, Silbert, Liu and Nagel, Phys. Rev. E 68, 011306
  (2003)), monodisperse and with 14 % polydispersity;
* lamellar stacks of liquid-like layers (2-D soft-disk configurations relaxed from random);
* dilute hard-sphere fluids (random sequential addition);
* platelet stacks: columnar crystals in registry (simple tetragonal / simple hexagonal) and
  stacks of liquid-like platelet layers;
* any of these as a finite aggregate in a vapour, optionally rotated with respect to the box.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import freud
import gsd.hoomd
import numpy as np
import rowan
from scipy import optimize

from mesocrystal.analysis.shapes import polyhedron
from mesocrystal.schema import frame_from_arrays

#: Sphere diameter (nm) of the reference structures (AgAu@PET cores, seed paper).
SPHERE_D = 3.5
#: Platelet width and thickness (nm).
PLATE_W = 6.0
PLATE_T = 1.5
#: Lindemann ratio of the thermalised crystals.
LINDEMANN = 0.06


@dataclasses.dataclass
class Reference:
    """A reference structure and the label it must get."""

    name: str
    expected: str
    frame: gsd.hoomd.Frame


# --------------------------------------------------------------------------------------------
# frames


def make_frame(
    box: freud.box.Box,
    positions: np.ndarray,
    diameters: np.ndarray | float | None = SPHERE_D,
    orientations: np.ndarray | None = None,
    type_shapes: list | None = None,
    typeid: np.ndarray | None = None,
    types: list | None = None,
    body_centres: bool = True,
) -> gsd.hoomd.Frame:
    """HOOMD-schema frame of rigid-body centres (or free particles if not ``body_centres``)."""
    n = len(positions)
    return frame_from_arrays(
        [box.Lx, box.Ly, box.Lz, box.xy, box.xz, box.yz],
        box.wrap(np.asarray(positions, np.float64)),
        step=1000,
        types=types or ["A0"],
        typeid=typeid,
        type_shapes=type_shapes,
        orientation=orientations,
        diameter=None if diameters is None else np.broadcast_to(np.asarray(diameters), (n,)),
        body=body_centres,
    )


def sphere_shapes(d: float = SPHERE_D) -> list:
    return [{"type": "Sphere", "diameter": float(d)}]


def square_platelet_vertices(w: float = PLATE_W, t: float = PLATE_T) -> np.ndarray:
    return np.array(
        [[sx * w / 2, sy * w / 2, sz * t / 2] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]
    )


def hex_platelet_vertices(w: float = PLATE_W, t: float = PLATE_T) -> np.ndarray:
    """Hexagonal prism with circumscribed (vertex-to-vertex) width ``w``."""
    ang = np.arange(6) * np.pi / 3
    return np.array(
        [[w / 2 * np.cos(a), w / 2 * np.sin(a), sz * t / 2] for sz in (-1, 1) for a in ang]
    )


def polyhedron_shapes(vertices: np.ndarray) -> list:
    return [
        {
            "type": "ConvexPolyhedron",
            "rounding_radius": 0.0,
            "vertices": np.asarray(vertices).tolist(),
        }
    ]


def circumsphere_diameter(vertices: np.ndarray) -> float:
    return float(2 * np.linalg.norm(vertices, axis=1).max())


# --------------------------------------------------------------------------------------------
# crystals


def _hcp_cell() -> freud.data.UnitCell:
    c = math.sqrt(8 / 3)
    box = freud.box.Box(1, math.sqrt(3), c)
    basis = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 5 / 6, 0.5], [0, 1 / 3, 0.5]]
    return freud.data.UnitCell(box, basis)


def crystal_positions(
    kind: str, reps, nn: float = SPHERE_D, lindemann: float = LINDEMANN, seed: int = 0
):
    """Thermalised crystal with nearest-neighbour distance ``nn`` (nm)."""
    cells = {
        "fcc": (freud.data.UnitCell.fcc, math.sqrt(0.5)),
        "bcc": (freud.data.UnitCell.bcc, math.sqrt(3) / 2),
        "sc": (freud.data.UnitCell.sc, 1.0),
        "hcp": (_hcp_cell, 1.0),
    }
    make, unit_nn = cells[kind]
    box, pos = make().generate_system(reps, scale=nn / unit_nn)
    rng = np.random.default_rng(seed)
    pos = pos + rng.normal(0.0, lindemann * nn / math.sqrt(3), pos.shape)
    return box, box.wrap(pos)


def crystal(kind: str, reps, lindemann: float = LINDEMANN, seed: int = 0) -> gsd.hoomd.Frame:
    box, pos = crystal_positions(kind, reps, SPHERE_D, lindemann, seed)
    return make_frame(box, pos, SPHERE_D, type_shapes=sphere_shapes())


def fcc_rhombohedral(reps: int = 7, lindemann: float = LINDEMANN, seed: int = 0):
    """FCC in its primitive (rhombohedral, 60 degree) cell: a fully triclinic box."""
    prim = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]], dtype=np.float64).T * 0.5
    prim *= SPHERE_D / math.sqrt(0.5)
    cell = freud.data.UnitCell(freud.box.Box.from_matrix(prim), [[0, 0, 0]])
    box, pos = cell.generate_system(reps)
    rng = np.random.default_rng(seed)
    pos = pos + rng.normal(0.0, lindemann * SPHERE_D / math.sqrt(3), pos.shape)
    return make_frame(box, pos, SPHERE_D, type_shapes=sphere_shapes())


# --------------------------------------------------------------------------------------------
# soft-sphere minimisation (jammed packings, 2-D liquid layers)


def _wrap_fn(box: freud.box.Box):
    m = box.to_matrix()
    if box.is2D:
        m = m[:2, :2]
    minv = np.linalg.inv(m)

    def wrap(v):
        s = v @ minv.T
        s -= np.round(s)
        return s @ m.T

    return wrap


def relax_overlaps(
    box: freud.box.Box, pos: np.ndarray, diam: np.ndarray, max_rounds: int = 60
) -> tuple[np.ndarray, float]:
    """Minimise the harmonic overlap energy sum (1 - r/d_ij)^2 / 2 (L-BFGS, pair list with skin).

    Works in 2-D (``pos`` of shape (N, 2), 2-D box) and 3-D. Stops when no overlap exceeds 0.2 %
    of the contact distance, or when the energy has converged (jammed: it changes by less than
    3 % per round of 300 iterations). Returns the positions and the final energy per particle.
    """
    dim = pos.shape[1]
    n = len(pos)
    wrap = _wrap_fn(box)
    skin = 0.4 * diam.max()

    def pairs(x):
        full = np.zeros((n, 3))
        full[:, :dim] = x
        full = box.wrap(full)
        aq = freud.locality.AABBQuery(box, full)
        nl = aq.query(full, {"r_max": diam.max() + skin, "exclude_ii": True}).toNeighborList()
        keep = nl.query_point_indices < nl.point_indices
        return nl.query_point_indices[keep].astype(np.int64), nl.point_indices[keep].astype(
            np.int64
        )

    def energy(flat, i, j, dij):
        x = flat.reshape(n, dim)
        v = wrap(x[j] - x[i])
        r = np.sqrt(np.einsum("ij,ij->i", v, v))
        ov = np.clip(1.0 - r / dij, 0.0, None)
        f = (ov / dij / np.maximum(r, 1e-12))[:, None] * v
        grad = np.stack(
            [np.bincount(i, f[:, k], n) - np.bincount(j, f[:, k], n) for k in range(dim)], axis=1
        )
        return 0.5 * float(ov @ ov), grad.ravel()

    x = pos.copy()
    e = float("inf")
    for _ in range(max_rounds):
        e_prev = e
        i, j = pairs(x)
        dij = 0.5 * (diam[i] + diam[j])
        x0 = x.copy()
        res = optimize.minimize(
            energy,
            x.ravel(),
            args=(i, j, dij),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 300, "gtol": 1e-10, "ftol": 1e-15},
        )
        x = res.x.reshape(n, dim)
        e = res.fun / n
        moved = np.linalg.norm(wrap(x - x0), axis=1).max()
        v = wrap(x[j] - x[i])
        overlap = np.max(1.0 - np.sqrt(np.einsum("ij,ij->i", v, v)) / dij, initial=0.0)
        converged = res.success or overlap < 2e-3 or e > 0.97 * e_prev
        if moved < 0.5 * skin and converged:
            break
    return x, e


@functools.cache
def _jammed_cached(n: int, phi: float, cv: float, seed: int, triclinic: bool):
    rng = np.random.default_rng(seed)
    diam = np.full(n, SPHERE_D)
    if cv > 0:
        diam = SPHERE_D * np.clip(rng.normal(1.0, cv, n), 1 - 2.5 * cv, 1 + 2.5 * cv)
    volume = np.pi / 6 * np.sum(diam**3) / phi
    m = np.eye(3)
    if triclinic:
        m = np.array([[1.0, 0.3, 0.2], [0.0, 1.0, -0.25], [0.0, 0.0, 1.0]])
    m = m * (volume / np.linalg.det(m)) ** (1 / 3)
    box = freud.box.Box.from_matrix(m)
    pos = box.make_absolute(rng.random((n, 3)))
    pos, energy = relax_overlaps(box, pos, diam)
    return box, box.wrap(pos), diam, energy


def jammed(
    n: int = 500, phi: float = 0.64, cv: float = 0.0, seed: int = 1, triclinic: bool = False
):
    """Jammed random packing: point quench of random soft spheres to ``phi`` + minimisation.

    Returns ``(box, positions, diameters, energy_per_particle)``.
    """
    box, pos, diam, energy = _jammed_cached(n, phi, cv, seed, triclinic)
    return box, pos.copy(), diam.copy(), energy


def liquid_layers(n_layers: int, per_layer: int, area_fraction: float, disk: float, seed: int):
    """Independent liquid-like 2-D configurations of ``per_layer`` disks of diameter ``disk``.

    All layers are relaxed in one 3-D minimisation, stacked 1.5 disk diameters apart so that
    disks of different layers never touch (their mutual forces vanish and the layers stay flat).
    Returns the side of the square layers and an ``(n_layers, per_layer, 2)`` array.
    """
    side = math.sqrt(per_layer * math.pi * disk**2 / 4 / area_fraction)
    gap = 1.5 * disk
    box = freud.box.Box(side, side, n_layers * gap)
    rng = np.random.default_rng(seed)
    pos = np.column_stack(
        [
            (rng.random((n_layers * per_layer, 2)) - 0.5) * side,
            np.repeat(np.arange(n_layers) * gap, per_layer) - 0.5 * n_layers * gap,
        ]
    )
    pos, _ = relax_overlaps(box, box.wrap(pos), np.full(len(pos), disk))
    xy = box.wrap(pos)[:, :2]
    return side, xy.reshape(n_layers, per_layer, 2)


# --------------------------------------------------------------------------------------------
# layered and fluid structures


def lamellar_positions(
    n_layers: int = 10,
    per_layer: int = 60,
    spacing: float = SPHERE_D,
    area_fraction: float = 0.6,
    seed: int = 0,
):
    """Stack of liquid-like sphere layers along z (layer width 6 % of the spacing)."""
    rng = np.random.default_rng(seed)
    side, xy = liquid_layers(n_layers, per_layer, area_fraction, SPHERE_D, seed)
    layers = []
    for k in range(n_layers):
        z = k * spacing + rng.normal(0.0, 0.06 * spacing, per_layer)
        layers.append(np.column_stack([xy[k], z]))
    box = freud.box.Box(side, side, n_layers * spacing)
    pos = np.concatenate(layers) - [0.0, 0.0, 0.5 * n_layers * spacing]
    return box, box.wrap(pos)


def random_fluid(
    n: int, phi: float, diam: float = SPHERE_D, seed: int = 0, box: freud.box.Box | None = None
):
    """Hard-sphere fluid by random sequential addition at packing fraction ``phi``."""
    if box is None:
        box = freud.box.Box.cube((n * math.pi * diam**3 / 6 / phi) ** (1 / 3))
    rng = np.random.default_rng(seed)
    pos = rsa(box, np.zeros((0, 3)), n, diam, rng)
    return box, pos


def rsa(
    box: freud.box.Box,
    fixed: np.ndarray,
    n: int,
    min_dist: float,
    rng,
    fixed_min_dist: float | None = None,
) -> np.ndarray:
    """Random sequential addition of ``n`` points at least ``min_dist`` apart and at least
    ``fixed_min_dist`` from the ``fixed`` points."""
    fixed_min_dist = min_dist if fixed_min_dist is None else fixed_min_dist
    placed = np.zeros((0, 3))
    tries = 0
    while len(placed) < n:
        tries += 1
        if tries > 200:
            raise RuntimeError("random sequential addition did not converge")
        cand = box.make_absolute(rng.random((4 * (n - len(placed)) + 8, 3)))
        ok = np.ones(len(cand), dtype=bool)
        if len(fixed):
            aq = freud.locality.AABBQuery(box, fixed)
            nl = aq.query(cand, {"r_max": fixed_min_dist}).toNeighborList()
            ok[nl.query_point_indices] = False
        cand = cand[ok]
        for c in cand:
            if len(placed) >= n:
                break
            if len(placed):
                d = np.linalg.norm(box.wrap(placed - c), axis=1)
                if d.min() < min_dist:
                    continue
            placed = np.vstack([placed, c])
    return placed


# --------------------------------------------------------------------------------------------
# platelets


def _tilted_quats(n: int, rng, tilt_deg: float, spin_deg: float | None) -> np.ndarray:
    """Body z near lab z: tilt about a random in-plane axis, spin about z (None = uniform)."""
    axis = rng.normal(size=(n, 3))
    axis[:, 2] = 0.0
    axis /= np.linalg.norm(axis, axis=1)[:, None]
    tilt = rowan.from_axis_angle(axis, np.deg2rad(rng.normal(0.0, tilt_deg, n)))
    spin_angle = (
        rng.random(n) * 2 * np.pi if spin_deg is None else np.deg2rad(rng.normal(0.0, spin_deg, n))
    )
    spin = rowan.from_axis_angle(np.tile([0.0, 0.0, 1.0], (n, 1)), spin_angle)
    return rowan.multiply(tilt, spin)


def platelet_columnar(kind: str = "square", nxy: int = 6, nz: int = 20, seed: int = 0):
    """Columnar crystal of aligned platelets in registry (simple tetragonal for squares, simple
    hexagonal for hexagons): 5 % lateral and 10 % axial gaps, Lindemann-type noise 0.05."""
    rng = np.random.default_rng(seed)
    c = 1.1 * PLATE_T
    if kind == "square":
        verts = square_platelet_vertices()
        a = 1.05 * PLATE_W
        g = (
            np.stack(np.meshgrid(np.arange(nxy), np.arange(nxy), np.arange(nz), indexing="ij"), -1)
            .reshape(-1, 3)
            .astype(float)
        )
        pos = g * [a, a, c]
        box = freud.box.Box(nxy * a, nxy * a, nz * c)
    else:
        verts = hex_platelet_vertices()
        a = 1.05 * PLATE_W * math.sqrt(3) / 2  # flat-to-flat width
        # triangular lattice of columns in a triclinic box (xy = 1/sqrt(3)); the hexagons are
        # turned by 30 degrees below so that their flat sides face the six lattice neighbours
        box = freud.box.Box(nxy * a, nxy * a * math.sqrt(3) / 2, nz * c, xy=1 / math.sqrt(3))
        cell = (
            np.stack(np.meshgrid(np.arange(nxy), np.arange(nxy), np.arange(nz), indexing="ij"), -1)
            .reshape(-1, 3)
            .astype(float)
        )
        m = box.to_matrix()
        pos = (cell / [nxy, nxy, nz]) @ m.T
    pos = pos - 0.5 * box.to_matrix().sum(axis=1)
    noise = rng.normal(0.0, 0.05 / math.sqrt(3), pos.shape) * [a, a, c]
    pos = pos + noise
    quats = _tilted_quats(len(pos), rng, 3.0, 3.0)
    if kind == "hex":
        quats = rowan.multiply(quats, rowan.from_axis_angle([0, 0, 1.0], np.pi / 6))
    return box, box.wrap(pos), quats, verts


def platelet_layered(
    kind: str = "square",
    n_layers: int = 20,
    per_layer: int = 30,
    area_fraction: float = 0.6,
    seed: int = 0,
):
    """Stack of platelet layers (spacing 1.1 t) that are liquid-like in-plane: positions from
    relaxed 2-D disk configurations, random in-plane rotations, no registry between layers."""
    rng = np.random.default_rng(seed)
    verts = square_platelet_vertices() if kind == "square" else hex_platelet_vertices()
    disk = 2.0 * np.linalg.norm(verts[:, :2], axis=1).max()  # circumscribed in-plane diameter
    c = 1.1 * PLATE_T
    side, xy = liquid_layers(n_layers, per_layer, area_fraction, disk, seed)
    layers = []
    for k in range(n_layers):
        z = k * c + rng.normal(0.0, 0.05 * c, per_layer)
        layers.append(np.column_stack([xy[k], z]))
    box = freud.box.Box(side, side, n_layers * c)
    pos = np.concatenate(layers) - [0.0, 0.0, 0.5 * n_layers * c]
    quats = _tilted_quats(len(pos), rng, 3.0, None)
    return box, box.wrap(pos), quats, verts


def platelet_gas(n: int, phi: float, kind: str = "square", seed: int = 0):
    """Dilute gas of randomly oriented platelets (centres further apart than the circumsphere
    diameter, so bodies never overlap) at volume fraction ``phi``."""
    verts = square_platelet_vertices() if kind == "square" else hex_platelet_vertices()
    volume = polyhedron(verts).volume
    box = freud.box.Box.cube((n * volume / phi) ** (1 / 3))
    rng = np.random.default_rng(seed)
    pos = rsa(box, np.zeros((0, 3)), n, circumsphere_diameter(verts), rng)
    return box, pos, random_quaternions(n, rng), verts


def platelet_frame(box, pos, quats, verts) -> gsd.hoomd.Frame:
    return make_frame(
        box,
        pos,
        circumsphere_diameter(verts),
        orientations=quats,
        type_shapes=polyhedron_shapes(verts),
    )


# --------------------------------------------------------------------------------------------
# finite aggregates in a vapour


def carve_ball(box: freud.box.Box, pos: np.ndarray, radius: float, *extra):
    """Bodies within ``radius`` of the periodic centre of mass (periodic images included).

    ``extra`` per-body arrays (diameters, orientations) are selected alongside.
    """
    centred = box.center(pos)
    m = box.to_matrix()
    shifts = np.array([[a, b, c] for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)])
    images = (centred[None, :, :] + (shifts @ m.T)[:, None, :]).reshape(-1, 3)
    index = np.tile(np.arange(len(pos)), len(shifts))
    sel = np.linalg.norm(images, axis=1) < radius
    out = [images[sel]] + [np.asarray(e)[index[sel]] for e in extra]
    return out


def in_vapour(
    pos: np.ndarray,
    vapour_phi: float,
    diam: float,
    seed: int,
    margin: float = 2.2,
    rotation: np.ndarray | None = None,
):
    """Place an aggregate (positions centred on the origin) in a cubic box with a vapour.

    Returns ``(box, positions, n_vapour, vapour_positions_slice)``; the aggregate comes first.
    """
    rng = np.random.default_rng(seed)
    if rotation is not None:
        pos = rowan.rotate(rotation, pos)
    radius = np.linalg.norm(pos, axis=1).max()
    side = margin * 2 * radius + 4 * diam
    box = freud.box.Box.cube(side)
    vol = side**3 - 4 / 3 * np.pi * (radius + diam) ** 3
    n_vap = max(int(vapour_phi * vol / (np.pi / 6 * diam**3)), 1)
    vap = rsa(box, pos, n_vap, diam, rng, fixed_min_dist=1.5 * diam)
    return box, np.vstack([pos, vap]), n_vap


def sphere_aggregate_in_vapour(
    box, pos, radius, diam=None, seed=0, vapour_phi=0.01, rotation=None
) -> gsd.hoomd.Frame:
    diam = np.full(len(pos), SPHERE_D) if diam is None else diam
    ball, d_ball = carve_ball(box, pos, radius, diam)
    big_box, allpos, n_vap = in_vapour(ball, vapour_phi, SPHERE_D, seed, rotation=rotation)
    d_all = np.concatenate([d_ball, np.full(n_vap, SPHERE_D)])
    return make_frame(big_box, allpos, d_all, type_shapes=sphere_shapes())


def platelet_aggregate_in_vapour(
    box, pos, quats, verts, radius, seed=0, vapour_phi=0.005, rotation=None
) -> gsd.hoomd.Frame:
    ball, q_ball = carve_ball(box, pos, radius, quats)
    circ = circumsphere_diameter(verts)
    big_box, allpos, n_vap = in_vapour(ball, vapour_phi, circ, seed, rotation=rotation)
    if rotation is not None:
        q_ball = rowan.multiply(rotation, q_ball)
    q_vap = random_quaternions(n_vap, np.random.default_rng(seed + 1))
    quats_all = np.vstack([q_ball, q_vap])
    return make_frame(
        big_box, allpos, circ, orientations=quats_all, type_shapes=polyhedron_shapes(verts)
    )


def random_quaternions(n: int, rng) -> np.ndarray:
    """Uniformly random unit quaternions (normalised Gaussian 4-vectors)."""
    q = rng.normal(size=(n, 4))
    return q / np.linalg.norm(q, axis=1)[:, None]


def random_rotation(seed: int) -> np.ndarray:
    """A fixed rotation far from the box axes (quaternion)."""
    rng = np.random.default_rng(seed)
    axis = rng.normal(size=3)
    return rowan.from_axis_angle(axis / np.linalg.norm(axis), 0.9)


# --------------------------------------------------------------------------------------------
# families for calibration: defective crystals, polycrystals, monolayers, glasses, gapped stacks
#
# Each builder takes a random generator and draws its parameters from ranges, so that the same
# family can be sampled twice with different seeds and parameters: one sample set to tune the
# rules on and an independent one held out (see tests/test_analysis_families.py).


def _lattice(kind: str, n_target: int, nn: float):
    """Box and sites of a ``kind`` lattice (fcc, hcp, bcc) with about ``n_target`` sites."""
    per_cell = {"fcc": 4, "bcc": 2, "hcp": 4}[kind]
    reps = max(int(round((n_target / per_cell) ** (1 / 3))), 3)
    if kind == "hcp":
        return crystal_positions("hcp", (reps + 1, reps - 1, reps), nn=nn, lindemann=0.0)
    return crystal_positions(kind, reps, nn=nn, lindemann=0.0)


def defective_crystal(rng, kind: str | None = None, n_target: int = 2000):
    """FCC/HCP/BCC with 5-15 % vacancies and Gaussian displacements at a Lindemann ratio (rms 3-D
    displacement over the nearest-neighbour distance) of 0.05-0.15, up to the melting limit."""
    kind = kind or str(rng.choice(["fcc", "hcp", "bcc"]))
    nn = SPHERE_D * rng.uniform(1.0, 1.06)
    box, pos = _lattice(kind, n_target, nn)
    keep = rng.random(len(pos)) >= rng.uniform(0.05, 0.15)
    pos = pos[keep]
    lind = rng.uniform(0.05, 0.15)
    pos = pos + rng.normal(0.0, lind * nn / math.sqrt(3), pos.shape)
    return make_frame(box, box.wrap(pos), SPHERE_D, type_shapes=sphere_shapes())


def _hex_layer(nx: int, ny: int, nn: float) -> tuple[np.ndarray, float, float]:
    """Sites of a triangular lattice in a rectangular ``nx`` x ``ny`` (ny even) periodic cell."""
    i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    x = (i + 0.5 * (j % 2)) * nn
    y = j * nn * math.sqrt(3) / 2
    return np.column_stack([x.ravel(), y.ravel()]), nx * nn, ny * nn * math.sqrt(3) / 2


def stacking_faulted(rng, n_layers: int | None = None):
    """Close-packed layers stacked A, B, C with random faults: each layer continues the FCC
    sequence with probability 1 - p and reverses it (HCP-like fault) with probability p in
    0.15-0.5; Lindemann ratio 0.04-0.10."""
    nn = SPHERE_D * rng.uniform(1.0, 1.05)
    nx, ny = 10, 12
    xy, lx, ly = _hex_layer(nx, ny, nn)
    n_layers = n_layers or 3 * int(rng.integers(4, 7))
    p = rng.uniform(0.15, 0.5)
    shift = np.array([0.5 * nn, nn / (2 * math.sqrt(3))])
    seq = [0, 1]
    for _ in range(n_layers - 2):
        step = seq[-1] - seq[-2]
        if rng.random() < p:
            step = -step
        seq.append((seq[-1] + step) % 3)
    dz = nn * math.sqrt(2 / 3)
    layers = [
        np.column_stack([xy + s * shift, np.full(len(xy), k * dz)]) for k, s in enumerate(seq)
    ]
    pos = np.concatenate(layers)
    # periodic along z; where the last and first layers coincide the box boundary is a fault
    box = freud.box.Box(lx, ly, n_layers * dz)
    pos = pos - [0.5 * lx, 0.5 * ly, 0.5 * n_layers * dz]
    lind = rng.uniform(0.04, 0.10)
    pos = pos + rng.normal(0.0, lind * nn / math.sqrt(3), pos.shape)
    return make_frame(box, box.wrap(pos), SPHERE_D, type_shapes=sphere_shapes())


def polycrystal(rng, n_grains: int | None = None, n_target: int = 3000):
    """Polycrystal of ``n_grains`` (2 = bicrystal) randomly oriented FCC or BCC grains filling a
    cubic box (Voronoi construction); sites closer than 0.75 nn across a boundary are merged;
    Lindemann ratio 0.03-0.08."""
    n_grains = n_grains or int(rng.integers(2, 7))
    kind = str(rng.choice(["fcc", "bcc"]))
    nn = SPHERE_D * rng.uniform(1.0, 1.04)
    density = {"fcc": math.sqrt(2), "bcc": 3 * math.sqrt(3) / 4}[kind] / nn**3
    side = (n_target / density) ** (1 / 3)
    box = freud.box.Box.cube(side)
    seeds = box.make_absolute(rng.random((n_grains, 3)))
    all_pos = []
    for g in range(n_grains):
        _, sites = _lattice(kind, int(8 * n_target), nn)
        rot = random_quaternions(1, rng)[0]
        sites = rowan.rotate(rot, sites - sites.mean(axis=0))
        sites = sites[np.all(np.abs(sites) < 0.5 * side * 1.0, axis=1)] + seeds[g]
        sites = box.wrap(sites)
        # keep the sites whose nearest grain seed (minimum image) is g
        d = np.stack([np.linalg.norm(box.wrap(sites - s), axis=1) for s in seeds], axis=1)
        all_pos.append(sites[np.argmin(d, axis=1) == g])
    pos = np.concatenate(all_pos)
    aq = freud.locality.AABBQuery(box, pos)
    nl = aq.query(pos, {"r_max": 0.75 * nn, "exclude_ii": True}).toNeighborList()
    drop = np.zeros(len(pos), dtype=bool)
    for a, b in zip(nl.query_point_indices, nl.point_indices, strict=True):
        if a < b and not drop[a] and not drop[b]:
            drop[b] = True
    pos = pos[~drop]
    lind = rng.uniform(0.03, 0.08)
    pos = pos + rng.normal(0.0, lind * nn / math.sqrt(3), pos.shape)
    return make_frame(box, box.wrap(pos), SPHERE_D, type_shapes=sphere_shapes())


def sphere_monolayer(rng, finite: bool | None = None):
    """Hexagonal monolayer of spheres in the xy plane of a box 4-8 diameters high, periodic in
    plane or a finite island; Lindemann ratio 0.03-0.10, 0-8 % vacancies."""
    finite = bool(rng.integers(2)) if finite is None else finite
    nn = SPHERE_D * rng.uniform(1.0, 1.05)
    xy, lx, ly = _hex_layer(int(rng.integers(14, 24)), 2 * int(rng.integers(8, 12)), nn)
    pos = np.column_stack([xy - [0.5 * lx, 0.5 * ly], np.zeros(len(xy))])
    lz = SPHERE_D * rng.uniform(4.0, 8.0)
    box = freud.box.Box(lx, ly, lz)
    if finite:
        pos = pos[np.linalg.norm(pos[:, :2], axis=1) < 0.4 * min(lx, ly)]
        box = freud.box.Box(1.5 * lx, 1.5 * ly, lz)
    pos = pos[rng.random(len(pos)) >= rng.uniform(0.0, 0.08)]
    lind = rng.uniform(0.03, 0.10)
    pos = pos + rng.normal(0.0, lind * nn / math.sqrt(3), pos.shape)
    return make_frame(box, box.wrap(pos), SPHERE_D, type_shapes=sphere_shapes())


def platelet_monolayer(rng, kind: str | None = None):
    """Square (or hexagonal) monolayer of flat-lying platelets: square lattice of square platelets
    or triangular lattice of hexagonal ones, edge gaps 2-10 % of the width, tilts of 2-4
    degrees, in-plane spins of 2-4 degrees, positional noise 3-6 % of the spacing."""
    kind = kind or str(rng.choice(["square", "hex"]))
    n = int(rng.integers(12, 20))
    gap = rng.uniform(1.02, 1.10)
    if kind == "square":
        verts = square_platelet_vertices()
        a = gap * PLATE_W
        i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        xy = np.column_stack([i.ravel() * a, j.ravel() * a])
        lx = ly = n * a
    else:
        verts = hex_platelet_vertices()
        a = gap * PLATE_W * math.sqrt(3) / 2
        xy, lx, ly = _hex_layer(n, 2 * (n // 2), a)
    pos = np.column_stack([xy - [0.5 * lx, 0.5 * ly], np.zeros(len(xy))])
    pos[:, :2] += rng.normal(0.0, rng.uniform(0.03, 0.06) * a / math.sqrt(2), (len(pos), 2))
    pos[:, 2] += rng.normal(0.0, 0.05 * PLATE_T, len(pos))
    quats = _tilted_quats(len(pos), rng, rng.uniform(2, 4), rng.uniform(2, 4))
    if kind == "hex":
        quats = rowan.multiply(quats, rowan.from_axis_angle([0, 0, 1.0], np.pi / 6))
    box = freud.box.Box(lx, ly, rng.uniform(4.0, 8.0) * PLATE_W)
    return platelet_frame(box, box.wrap(pos), quats, verts)


def glass(rng, n: int = 500):
    """Amorphous packings: jammed (phi 0.64) or compressed below jamming (phi 0.58-0.62, the
    glass range of hard spheres), monodisperse, polydisperse (cv 5-15 %) or a 50:50 binary
    mixture with diameter ratio 1.4 (a standard glass former); some with thermal noise."""
    mode = str(rng.choice(["mono", "poly", "binary"]))
    phi = float(rng.choice([0.64, rng.uniform(0.58, 0.62)]))
    seed = int(rng.integers(1 << 30))
    r2 = np.random.default_rng(seed)
    if mode == "mono":
        diam = np.full(n, SPHERE_D)
    elif mode == "poly":
        cv = r2.uniform(0.05, 0.15)
        diam = SPHERE_D * np.clip(r2.normal(1.0, cv, n), 1 - 2.5 * cv, 1 + 2.5 * cv)
    else:
        diam = np.where(r2.random(n) < 0.5, SPHERE_D, 1.4 * SPHERE_D) / 1.2
    side = (np.pi / 6 * np.sum(diam**3) / phi) ** (1 / 3)
    box = freud.box.Box.cube(side)
    pos = box.make_absolute(r2.random((n, 3)))
    pos, _ = relax_overlaps(box, pos, diam, max_rounds=8)
    if rng.random() < 0.5:
        pos = pos + r2.normal(0.0, 0.03 * SPHERE_D, pos.shape)
    return make_frame(box, box.wrap(pos), diam, type_shapes=sphere_shapes())


def gapped_platelet_stack(rng, kind: str | None = None, finite: bool | None = None):
    """Lamellar stack of platelets whose neighbouring layers are separated by a gap of 0.2-0.4
    platelet widths (ligand-filled), liquid-like within each layer, tilts of 4-8 degrees
    (nematic order 0.97-0.99); periodic, or a finite slab tilted in a larger box with a dilute
    vapour."""
    kind = kind or str(rng.choice(["square", "hex"]))
    finite = bool(rng.integers(2)) if finite is None else finite
    verts = square_platelet_vertices() if kind == "square" else hex_platelet_vertices()
    disk = 2.0 * np.linalg.norm(verts[:, :2], axis=1).max()
    gap = rng.uniform(0.2, 0.4) * PLATE_W
    c = PLATE_T + gap
    n_layers = int(rng.integers(8, 14))
    per_layer = int(rng.integers(30, 60))
    side, xy = liquid_layers(
        n_layers, per_layer, rng.uniform(0.5, 0.65), disk, int(rng.integers(1 << 30))
    )
    layers = [
        np.column_stack([xy[k], k * c + rng.normal(0.0, 0.05 * c, per_layer)])
        for k in range(n_layers)
    ]
    pos = np.concatenate(layers) - [0.0, 0.0, 0.5 * (n_layers - 1) * c]
    quats = _tilted_quats(len(pos), rng, rng.uniform(4.0, 8.0), None)
    if not finite:
        box = freud.box.Box(side, side, n_layers * c)
        return platelet_frame(box, box.wrap(pos), quats, verts)
    # finite slab: keep a disc of the stack, tilt it, put it in a larger box with a vapour
    axis = rng.normal(size=3)
    rot = rowan.from_axis_angle(axis / np.linalg.norm(axis), np.deg2rad(rng.uniform(20, 70)))
    pos = rowan.rotate(rot, pos)
    quats = rowan.multiply(rot, quats)
    circ = circumsphere_diameter(verts)
    big = 2.0 * np.abs(pos).max() + 3 * circ
    box = freud.box.Box.cube(big)
    n_vap = int(rng.integers(0, 30))
    vap = rsa(box, pos, n_vap, circ, rng, fixed_min_dist=1.5 * circ)
    pos = np.vstack([pos, vap])
    quats = np.vstack([quats, random_quaternions(n_vap, rng)])
    return platelet_frame(box, box.wrap(pos), quats, verts)


def gapped_sphere_lamellae(rng):
    """Lamellar stack of liquid-like sphere layers with gaps of 0.2-0.4 diameters between
    layers (spacing 1.2-1.4 d), periodic."""
    gap = rng.uniform(0.2, 0.4) * SPHERE_D
    spacing = SPHERE_D + gap
    n_layers = int(rng.integers(8, 12))
    per_layer = int(rng.integers(60, 100))
    side, xy = liquid_layers(
        n_layers, per_layer, rng.uniform(0.55, 0.65), SPHERE_D, int(rng.integers(1 << 30))
    )
    pos = np.concatenate(
        [
            np.column_stack([xy[k], k * spacing + rng.normal(0.0, 0.05 * spacing, per_layer)])
            for k in range(n_layers)
        ]
    )
    box = freud.box.Box(side, side, n_layers * spacing)
    return make_frame(box, box.wrap(pos), SPHERE_D, type_shapes=sphere_shapes())


def dilute_fluid(rng):
    """Hard-sphere fluid (phi 0.01-0.15, some polydisperse) or platelet gas (phi 0.01-0.06)."""
    if rng.random() < 0.6:
        phi = rng.uniform(0.01, 0.15)
        box, pos = random_fluid(int(rng.integers(400, 800)), phi, seed=int(rng.integers(1 << 30)))
        return make_frame(box, pos, SPHERE_D, type_shapes=sphere_shapes())
    kind = str(rng.choice(["square", "hex"]))
    return platelet_frame(
        *platelet_gas(
            int(rng.integers(300, 500)), rng.uniform(0.01, 0.06), kind, int(rng.integers(1 << 30))
        )
    )


#: Families of calibration structures: name -> (expected label, builder(rng) -> Frame).
FAMILIES = {
    "defective crystal": ("crystalline", defective_crystal),
    "stacking faults": ("crystalline", stacking_faulted),
    "polycrystal": ("crystalline", polycrystal),
    "sphere monolayer": ("crystalline", sphere_monolayer),
    "platelet monolayer": ("crystalline", platelet_monolayer),
    "glass / jammed": ("rcp", glass),
    "gapped platelet stack": ("layered", gapped_platelet_stack),
    "gapped sphere lamellae": ("layered", gapped_sphere_lamellae),
    "dilute fluid": ("dispersed", dilute_fluid),
}


def family_samples(seed: int, per_family: int = 3) -> list:
    """``per_family`` references of every family drawn with generator ``seed``."""
    out = []
    for f, (name, (expected, build)) in enumerate(FAMILIES.items()):
        for k in range(per_family):
            rng = np.random.default_rng([seed, f, k])
            out.append(Reference(f"{name} #{k}", expected, build(rng)))
    return out
