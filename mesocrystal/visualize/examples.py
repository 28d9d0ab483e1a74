"""Known configurations in the project's GSD schema, for examples and tests.

Each function returns HOOMD-schema frames (``docs/gsd_schema.md``) of nanocrystals with the
default envelope sizes of the model (3.5 nm spheres and square platelets, 0.75 nm ligand shell),
so pictures, plots and the classifier can be checked on structures whose answer is known:
a face-centred cubic crystallite, a columnar stack of platelets, a dilute gas.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import gsd.hoomd
import numpy as np
import rowan

from mesocrystal import schema
from mesocrystal.state import minimum_image, wrap

#: Steric envelope of a 3.5 nm sphere with half a 0.75 nm shell on each side [nm].
SPHERE_SHAPE = {"type": "Sphere", "diameter": 4.25}

#: Square platelet core 4.25 x 4.25 x 0.75 nm, rounded by 0.75 nm (envelope 5.75 x 5.75 x 2.25).
PLATELET_SHAPE = {
    "type": "ConvexPolyhedron",
    "vertices": [
        [x, y, z] for x in (-2.125, 2.125) for y in (-2.125, 2.125) for z in (-0.375, 0.375)
    ],
    "rounding_radius": 0.75,
}


def _circumscribed_diameter(shape: dict) -> float:
    """Diameter of the sphere around a ``type_shapes`` entry [nm]."""
    if shape["type"] == "Sphere":
        return float(shape["diameter"])
    v = np.asarray(shape["vertices"], dtype=np.float64)
    return 2.0 * (float(np.linalg.norm(v, axis=1).max()) + float(shape.get("rounding_radius", 0)))


def make_frame(
    positions: np.ndarray,
    box_length: float,
    shape: dict,
    orientations: np.ndarray | None = None,
    step: int = 0,
    log: dict[str, float] | None = None,
) -> gsd.hoomd.Frame:
    """One frame of the schema: bodies of a single type in a cubic periodic box.

    Parameters
    ----------
    positions : numpy.ndarray
        ``(N, 3)`` body centres [nm]; wrapped into ``[-L/2, L/2)``.
    box_length : float
        Box edge ``L`` [nm].
    shape : dict
        ``particles/type_shapes`` entry of the body type.
    orientations : numpy.ndarray, optional
        ``(N, 4)`` quaternions (w, x, y, z), body frame to box frame; default identity.
    step : int
        Time step.
    log : dict of str to float, optional
        Scalars stored as ``log/mesocrystal/<name>``.

    Returns
    -------
    gsd.hoomd.Frame
        The frame.
    """
    pos = np.asarray(positions, dtype=np.float64)
    n = len(pos)
    wrapped, image = wrap(pos, box_length)
    if orientations is None:
        orientations = np.tile([1.0, 0.0, 0.0, 0.0], (n, 1))
    return schema.frame_from_arrays(
        [box_length] * 3,
        wrapped,
        step=step,
        types=["A0"],
        type_shapes=[shape],
        orientation=rowan.normalize(np.asarray(orientations)),
        image=image,
        mass=np.ones(n),
        diameter=np.full(n, _circumscribed_diameter(shape)),
        log=log,
    )


def fcc_cluster(n_cells: int = 3, spacing: float = 4.3) -> np.ndarray:
    """Centres of a cubic FCC crystallite of ``4 n_cells^3`` bodies, centred at the origin.

    Parameters
    ----------
    n_cells : int
        Conventional cells along each edge.
    spacing : float
        Nearest-neighbour distance [nm].

    Returns
    -------
    numpy.ndarray
        ``(4 n_cells^3, 3)`` positions [nm].
    """
    import freud

    cell = freud.data.UnitCell.fcc()  # conventional cubic cell of edge 1, four sites
    _, pos = cell.generate_system(num_replicas=n_cells, scale=spacing * np.sqrt(2.0))
    pos = np.asarray(pos, dtype=np.float64)
    return pos - pos.mean(axis=0)


def platelet_stacks(
    columns: int = 3, layers: int = 6, lateral: float = 5.9, stacking: float = 2.35
):
    """Centres of a square array of ``columns x columns`` platelet stacks along z.

    Parameters
    ----------
    columns : int
        Stacks along x and along y.
    layers : int
        Platelets per stack.
    lateral : float
        Distance between neighbouring stacks [nm].
    stacking : float
        Distance between stacked platelets [nm] (face to face).

    Returns
    -------
    numpy.ndarray
        ``(columns^2 layers, 3)`` positions [nm], centred at the origin.
    """
    grid = np.array(
        [
            [i * lateral, j * lateral, k * stacking]
            for i in range(columns)
            for j in range(columns)
            for k in range(layers)
        ]
    )
    return grid - grid.mean(axis=0)


def random_gas(
    n: int,
    box_length: float,
    min_distance: float,
    seed: int = 0,
    max_trials: int = 200_000,
    avoid: np.ndarray | None = None,
) -> np.ndarray:
    """``(n, 3)`` random positions [nm] in the box, at least ``min_distance`` apart (periodic)
    and from every point of ``avoid`` (``(M, 3)``, e.g. a crystallite).

    Raises
    ------
    ValueError
        If ``max_trials`` random insertions do not place all bodies (the box is too full).
    """
    rng = np.random.default_rng(seed)
    fixed = [] if avoid is None else list(np.asarray(avoid, dtype=np.float64).reshape(-1, 3))
    out: list[np.ndarray] = []
    for _ in range(max_trials):
        if len(out) == n:
            break
        trial = rng.uniform(-0.5 * box_length, 0.5 * box_length, 3)
        if out or fixed:
            d = minimum_image(np.asarray(fixed + out) - trial, box_length)
            if np.min(np.linalg.norm(d, axis=1)) < min_distance:
                continue
        out.append(trial)
    if len(out) < n:
        raise ValueError(f"placed {len(out)} of {n} bodies {min_distance} nm apart")
    return np.asarray(out)


def assembly_trajectory(
    final: np.ndarray,
    box_length: float,
    shape: dict,
    frames: int = 6,
    final_orientations: np.ndarray | None = None,
    steps_per_frame: int = 100,
    seed: int = 0,
) -> list[gsd.hoomd.Frame]:
    """Frames of a nucleus growing from a gas into the configuration ``final``.

    In frame ``f`` the first ``n f / (frames - 1)`` bodies sit at their final places and the
    others at random, non-overlapping gas positions with random orientations; energies and
    temperatures are logged as a simulation would (the potential energy decreasing with the
    number of placed bodies).

    Parameters
    ----------
    final : numpy.ndarray
        ``(N, 3)`` final positions [nm].
    box_length : float
        Box edge [nm].
    shape : dict
        ``particles/type_shapes`` entry.
    frames : int
        Number of frames (at least 2).
    final_orientations : numpy.ndarray, optional
        ``(N, 4)`` final quaternions; default identity.
    steps_per_frame : int
        Time steps between frames.
    seed : int
        Seed of the gas positions and orientations.

    Returns
    -------
    list of gsd.hoomd.Frame
        The frames, step 0 first.
    """
    n = len(final)
    rng = np.random.default_rng(seed)
    size = _circumscribed_diameter(shape)
    gas = random_gas(n, box_length, 1.05 * size, seed=seed, avoid=final)
    gas_q = rowan.normalize(rng.normal(size=(n, 4)))
    if final_orientations is None:
        final_orientations = np.tile([1.0, 0.0, 0.0, 0.0], (n, 1))
    out = []
    for f in range(frames):
        placed = int(round(n * f / (frames - 1)))
        pos = np.concatenate([final[:placed], gas[placed:]])
        q = np.concatenate([final_orientations[:placed], gas_q[placed:]])
        log = {
            "potential_energy": -3.0 * placed,
            "potential_energy_per_body_kT": -3.0 * placed / n,
            "kinetic_temperature_translational": 1.0 + 0.05 * rng.normal(),
            "kinetic_temperature_rotational": 1.0 + 0.05 * rng.normal(),
            "kT": 1.0,
            "stage": 0.0 if f == 0 else 1.0,
            "tps": 1000.0,
        }
        out.append(make_frame(pos, box_length, shape, q, step=f * steps_per_frame, log=log))
    return out


def write_trajectory(frames: Sequence[gsd.hoomd.Frame], path: str | os.PathLike) -> Path:
    """Write frames to a new GSD file (atomically, :func:`mesocrystal.schema.write_frames`)."""
    return schema.write_frames(frames, path)
