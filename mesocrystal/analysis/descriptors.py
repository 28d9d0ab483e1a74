"""Per-frame structural descriptors of a nanocrystal assembly.

:func:`compute_descriptors` runs, on the body centres of one frame:

1. the contact network and aggregates (:mod:`analysis.aggregation`);
2. bond-orientational order of the aggregated bodies (:mod:`analysis.bondorder`);
3. nematic order of the body z axes (:mod:`analysis.orientation`);
4. the strongest density wave of the largest aggregate (:mod:`analysis.layering`);
5. the Voronoi packing fraction of the aggregates' interior (:mod:`analysis.packing`).

All averages are over aggregated bodies unless stated otherwise.

*Order before contact.* Condensed material whose bodies are kept apart by ligand shells (a
lamellar stack of platelets with ligand-filled gaps between its layers) does not form contact
aggregates, or forms one per layer. When the contact aggregates hold less than
:data:`CONDENSED_CHECK` of the bodies, or the largest holds less than that share of the
aggregated bodies, the *near* network (contact tolerance plus the shell allowance
:data:`analysis.aggregation.SHELL_ALLOWANCE`) is built as well; its aggregates are the condensed
material, and the layering, nematic order and solid-like fraction are measured on them
(``condensed_*`` descriptors, ``layer_basis = "condensed"``). Otherwise those descriptors are NaN
and the layering is that of the largest contact aggregate.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import freud
import gsd.hoomd
import numpy as np
import rowan

from . import aggregation, bondorder, layering, orientation, packing
from .io import BodySystem, FrameError, load_bodies, nearest_plane_distance

#: Minimum number of interior bodies for the solid fraction to be measured on the interior
#: (otherwise it is measured on all aggregated bodies): with 50 bodies a single body moves the
#: fraction by 2 %, so a few liquid-like bodies that happen to pass the bond test in a thin
#: lamellar aggregate do not make a solid fraction of 10 % or more.
MIN_INTERIOR = 50

#: Nematic order above which the director is taken as the stacking direction: the Maier-Saupe
#: order parameter at the isotropic-nematic transition (Maier and Saupe, Z. Naturforsch. A 14,
#: 882 (1959)).
ORIENTED_NEMATIC_ORDER = 0.43

#: Number of aggregated bodies above which the bond order, the Voronoi packing and the interior
#: (the basis of the solid-like fraction) are measured on an analysis window of
#: :data:`WINDOW_BODIES` bodies around the centre of the largest aggregate instead of on all
#: bodies. Contacts, aggregates, orientational order and layering always cover every body.
WINDOW_THRESHOLD = 10_000

#: Bodies of the analysis window. The bond order of the window is that of the whole frame:
#: its bonds are taken from the window and three contact shells around it
#: (:func:`analysis.bondorder.bond_order`); the spherical harmonics of all bonds were the most
#: expensive step of a large frame after the contacts. freud's Voronoi tessellation, the next
#: one, costs about 90 microseconds per body whatever the structure. The window holds about
#: 2 x 10^3 interior bodies (two surface layers of a ball of 4 x 10^3 are left out), whose
#: solid-like fraction has a binomial standard error below 1.1 % and whose packing fraction a
#: standard error below 10^-3; the mean order parameters of 4 x 10^3 bodies have standard errors
#: below 10^-3.
WINDOW_BODIES = 4_000

#: Share of bodies in contact aggregates (and of aggregated bodies in the largest one) below which
#: the condensed material is looked for with the near network.
CONDENSED_CHECK = 0.5


@dataclasses.dataclass(frozen=True)
class Descriptors:
    """Structural descriptors of one frame.

    Lengths are in nm. Order parameters are means over aggregated bodies (NaN if there is no
    aggregate); above :data:`WINDOW_THRESHOLD` aggregated bodies, the bond-order measures and
    the packing are those of the aggregated bodies of the analysis window
    (:data:`WINDOW_BODIES`).

    Attributes
    ----------
    n_bodies : int
        Number of analysed bodies (body centres and free particles).
    step : int
        Simulation time step.
    size_scale : float
        Median volume-equivalent diameter of the bodies (nm).
    size_source : str
        Where sizes came from (``type_shapes``, ``diameter`` or ``inferred``).
    aggregated_fraction : float
        Fraction of bodies in aggregates.
    largest_cluster_fraction : float
        Fraction of bodies in the largest aggregate.
    n_aggregates : int
        Number of aggregates.
    aggregate_sizes : tuple of int
        Bodies per aggregate, decreasing.
    cluster_size_distribution : dict of int to int
        Number of clusters of the contact network of each size (monomers have size 1).
    mean_coordination : float
        Mean number of contacts of aggregated bodies.
    q4, q6 : float
        Mean Steinhardt :math:`q_4`, :math:`q_6`.
    q4_avg, q6_avg : float
        Mean Lechner-Dellago :math:`\\bar q_4`, :math:`\\bar q_6`.
    w6 : float
        Mean normalised :math:`\\hat w_6`.
    solid_fraction : float
        Fraction of solid-like bodies (ten Wolde) among interior aggregated bodies, or among all
        aggregated bodies when the interior is too small (see ``solid_fraction_basis``).
    solid_fraction_basis : str
        ``"interior"``, ``"aggregate"`` or ``"none"``.
    solid_fraction_aggregate : float
        Fraction of solid-like bodies among all aggregated bodies (of the analysis window).
    largest_solid_cluster : int
        Bodies in the largest cluster of solid-like bodies (crystal nucleus size); in a frame
        analysed on a window, the largest within the window.
    nematic_order : float
        Nematic order :math:`S` of the body z axes of aggregated bodies (all bodies if there
        is no aggregate); NaN when orientations carry no information.
    director : tuple of float or None
        Nematic director.
    orientation_meaningful : bool
        Whether the bodies are anisotropic (or have stored orientations and unknown shape).
    layer_amplitude : float
        Density-wave amplitude :math:`\\tau` of the largest aggregate.
    layer_spacing : float
        Layer spacing (nm).
    layer_direction : tuple of float or None
        Layer normal.
    layer_method : str
        ``"director"``, ``"structure_factor"`` or ``"none"``.
    layer_noise_floor : float
        Amplitude expected from a disordered aggregate of the same size.
    packing_fraction : float
        Voronoi packing fraction of interior aggregated bodies.
    interior_fraction : float
        Fraction of aggregated bodies that are interior.
    packing_method : str
        Tessellation behind the packing fraction (``voronoi``, ``delaunay`` or ``none``).
    layer_basis : str
        Bodies the layering was measured on: ``"aggregate"`` (largest contact aggregate),
        ``"condensed"`` (largest aggregate of the near network) or ``"none"``.
    condensed_fraction : float
        Fraction of bodies in aggregates of the near network (NaN unless it was built).
    condensed_nematic_order : float
        Nematic order of the largest near-network aggregate (NaN unless built or for isotropic
        bodies).
    condensed_solid_fraction : float
        Fraction of solid-like bodies (ten Wolde, on the near network) among the bodies of
        near-network aggregates (NaN unless built).
    """

    n_bodies: int
    step: int
    size_scale: float
    size_source: str
    aggregated_fraction: float
    largest_cluster_fraction: float
    n_aggregates: int
    aggregate_sizes: tuple
    cluster_size_distribution: dict
    mean_coordination: float
    q4: float
    q6: float
    q4_avg: float
    q6_avg: float
    w6: float
    solid_fraction: float
    solid_fraction_basis: str
    solid_fraction_aggregate: float
    largest_solid_cluster: int
    nematic_order: float
    director: tuple | None
    orientation_meaningful: bool
    layer_amplitude: float
    layer_spacing: float
    layer_direction: tuple | None
    layer_method: str
    layer_noise_floor: float
    packing_fraction: float
    interior_fraction: float
    packing_method: str
    layer_basis: str = "aggregate"
    condensed_fraction: float = float("nan")
    condensed_nematic_order: float = float("nan")
    condensed_solid_fraction: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dictionary (NaN becomes ``None``)."""
        out = {}
        for field in dataclasses.fields(self):
            out[field.name] = to_jsonable(getattr(self, field.name))
        return out


@dataclasses.dataclass
class PerBody:
    """Per-body results behind :class:`Descriptors` (arrays of shape ``(N,)``).

    ``layer_index`` numbers the layers of the aggregate whose density wave was measured (0 = the
    first along the layer normal), -1 for other bodies; see :func:`layer_indices`.
    """

    system: BodySystem
    network: aggregation.ContactNetwork
    aggregation: aggregation.Aggregation
    bond_order: bondorder.BondOrder
    packing: packing.Packing
    layer_index: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int32))


def layer_indices(system: BodySystem, mask: np.ndarray, layers: layering.Layering) -> np.ndarray:
    """Layer of each body of ``mask`` from the density wave ``layers`` (-1 elsewhere).

    The phase :math:`k \\cdot r` of each unwrapped body, less the phase of the density wave,
    divided by :math:`2\\pi` and rounded, counts layers; they are renumbered from 0.
    """
    out = np.full(system.n, -1, dtype=np.int32)
    if layers.method == "none" or not np.any(mask):
        return out
    points = system.box.center(system.positions[mask]).astype(np.float64)
    phase = points @ layers.wavevector
    phase0 = np.angle(np.mean(np.exp(1j * phase)))
    index = np.round((phase - phase0) / (2.0 * np.pi)).astype(np.int64)
    out[mask] = (index - index.min()).astype(np.int32)
    return out


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars, tuples and arrays to JSON types; non-finite floats to ``None``."""
    if isinstance(value, float | np.floating):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list | np.ndarray):
        return [to_jsonable(v) for v in value]
    return value


def _mean(values: np.ndarray, mask: np.ndarray) -> float:
    sel = values[mask]
    sel = sel[np.isfinite(sel)]
    return float(sel.mean()) if len(sel) else float("nan")


def _vec(v: np.ndarray) -> tuple | None:
    return tuple(float(x) for x in v) if np.all(np.isfinite(v)) else None


def _largest_aggregate_layering(
    system, agg, nematic_largest, allowance: float = 0.0
) -> layering.Layering:
    """Density wave of the largest aggregate; spacings searched up to ``allowance`` (nm) wider."""
    mask = agg.largest
    n = int(np.count_nonzero(mask))
    if n < aggregation.MIN_AGGREGATE_CORES:
        return layering.Layering.none(n)
    points = system.box.center(system.positions[mask]).astype(np.float64)
    if nematic_largest.meaningful and nematic_largest.order >= ORIENTED_NEMATIC_ORDER:
        director = nematic_largest.director
        # extent of each body along the director, in its body frame
        rot_dirs = _body_frame(system.orientations[mask], director)
        ext = np.empty(n)
        tid = system.typeid[mask]
        scale = system.scale[mask]
        for t, shape in enumerate(system.shapes):
            sel = tid == t
            if np.any(sel):
                width = shape.support(rot_dirs[sel]) + shape.support(-rot_dirs[sel])
                ext[sel] = width * scale[sel]
        e = float(np.mean(ext))
        lo, hi = layering.DIRECTOR_SPACING_RANGE
        # layers of thin bodies may be kept apart by ligand shells: always search spacings up to
        # the shell allowance wider than face-to-face stacking
        shell = aggregation.SHELL_ALLOWANCE * float(
            np.median(system.per_body("circumsphere_diameter")[mask])
        )
        return layering.layering_along(points, director, (lo * e, hi * e + max(allowance, shell)))
    d = float(np.median(system.per_body("volume_diameter")[mask]))
    lo, hi = layering.SPACING_RANGE
    return layering.layering_search(points, (lo * d, hi * d + allowance))


def _window(system: BodySystem, agg: aggregation.Aggregation) -> np.ndarray | None:
    """``(N,)`` mask of the :data:`WINDOW_BODIES` bodies nearest the centre of the largest
    aggregate (None if the ball would wrap around the periodic box)."""
    centre = system.box.center_of_mass(system.positions[agg.largest])
    dist = np.linalg.norm(system.box.wrap(system.positions - centre), axis=1)
    nearest = np.argpartition(dist, WINDOW_BODIES)[:WINDOW_BODIES]
    reach = float(dist[nearest].max()) + 2.0 * float(system.per_body("circumsphere_diameter").max())
    if reach >= 0.5 * nearest_plane_distance(system.box):
        return None
    window = np.zeros(system.n, dtype=bool)
    window[nearest] = True
    return window


def _window_packing(
    system: BodySystem, aggregated: np.ndarray, window: np.ndarray
) -> packing.Packing:
    """Voronoi packing of the bodies in ``window``, tessellated on their own.

    The window is placed, unwrapped, in a cubic box with a margin of 2.5 circumsphere diameters,
    so that its boundary is an open surface: boundary cells face empty space and are not interior
    by the rule of :func:`analysis.packing.voronoi_packing`.
    """
    idx = np.flatnonzero(window)
    pos = system.positions[idx]
    # unwrapped about the window's own (periodic) centre: about one of its bodies, a window wider
    # than half the box would be cut in two by the minimum image
    centre = system.box.center_of_mass(pos)
    local = np.asarray(system.box.wrap(pos - centre), dtype=np.float64)
    margin = 2.5 * float(system.per_body("circumsphere_diameter").max())
    side = float(np.ptp(local, axis=0).max()) + 2.0 * margin
    local = local - 0.5 * (local.max(axis=0) + local.min(axis=0))
    sub = dataclasses.replace(
        system,
        box=freud.box.Box.cube(side),
        positions=local,
        orientations=system.orientations[idx],
        typeid=system.typeid[idx],
        scale=system.scale[idx],
        particle_index=system.particle_index[idx],
    )
    part = packing.voronoi_packing(sub, aggregated[idx])
    local_fraction = np.full(system.n, np.nan)
    local_fraction[idx] = part.local_fraction
    interior = np.zeros(system.n, dtype=bool)
    interior[idx] = part.interior
    return packing.Packing(local_fraction, interior, part.packing_fraction, part.method)


@dataclasses.dataclass
class Condensed:
    """Aggregates of the near network and the order measured on them."""

    network: aggregation.ContactNetwork
    aggregation: aggregation.Aggregation
    layering: layering.Layering
    nematic: orientation.NematicOrder
    solid_fraction: float


def _condensed(system: BodySystem) -> Condensed | None:
    """Near network (contacts plus shell allowance) and order of its aggregates."""
    try:
        near = aggregation.contact_network(system, shell=aggregation.SHELL_ALLOWANCE)
    except FrameError:
        return None
    agg = aggregation.find_aggregates(system, near)
    if not np.any(agg.aggregated):
        return Condensed(
            near,
            agg,
            layering.Layering.none(0),
            orientation.NematicOrder(
                float("nan"), np.full(3, np.nan), orientation.orientation_is_meaningful(system)
            ),
            float("nan"),
        )
    nem = orientation.nematic_order(system, agg.largest)
    allowance = float(
        np.median(
            aggregation.CONTACT_GAP * system.per_body("volume_diameter")[agg.largest]
            + aggregation.SHELL_ALLOWANCE * system.per_body("circumsphere_diameter")[agg.largest]
        )
    )
    layers = _largest_aggregate_layering(system, agg, nem, allowance)
    bo = bondorder.bond_order(system, near, agg.aggregated)
    return Condensed(near, agg, layers, nem, float(np.mean(bo.solid[agg.aggregated])))


def _body_frame(quats: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Lab ``direction`` expressed in the body frame of each quaternion, ``(N, 3)``."""
    return rowan.rotate(rowan.conjugate(quats), np.broadcast_to(direction, (len(quats), 3)))


def _layering(system: BodySystem, agg, nem_largest):
    """Layering of the largest aggregate, or of the largest condensed region when that is
    larger (see :data:`CONDENSED_CHECK`).

    Returns
    -------
    tuple
        The layering, its basis (``"aggregate"``, ``"condensed"`` or ``"none"``) and the
        condensed-region analysis (None when it was not needed).
    """
    n_agg = int(np.count_nonzero(agg.aggregated))
    layers = _largest_aggregate_layering(system, agg, nem_largest)
    layer_basis = "aggregate" if layers.method != "none" else "none"
    condensed = None
    if (
        n_agg < CONDENSED_CHECK * system.n
        or np.count_nonzero(agg.largest) < CONDENSED_CHECK * n_agg
    ):
        condensed = _condensed(system)
    if condensed is not None and np.count_nonzero(condensed.aggregation.largest) > np.count_nonzero(
        agg.largest
    ):
        layers, layer_basis = condensed.layering, "condensed"
    return layers, layer_basis, condensed


def _packing(system: BodySystem, aggregated: np.ndarray, window: np.ndarray | None):
    """Voronoi packing of the aggregates (of the analysis window, :data:`WINDOW_BODIES`, of a
    large system) and the number of bodies probed."""
    if window is None:
        return packing.voronoi_packing(system, aggregated), int(np.count_nonzero(aggregated))
    pack = _window_packing(system, aggregated, window)
    return pack, int(np.count_nonzero(aggregated & window))


def _solid_fraction(
    bo, pack, aggregated: np.ndarray, probed: np.ndarray, network
) -> tuple[str, float]:
    """Solid-like fraction on the interior of the aggregates when it holds
    :data:`MIN_INTERIOR` bodies, else on the whole aggregates; returns ``(basis, fraction)``.
    ``probed``: the aggregated bodies of the analysis window (all of them without a window),
    where every test of :mod:`analysis.bondorder` is made.

    The interior (:func:`analysis.packing.voronoi_packing`) leaves out surface bodies, which are
    not solid-like even in a perfect crystal; but it also favours dense regions, so a small
    crystalline core inside a loose amorphous aggregate can make up most of it. The interior
    fraction is therefore capped by the *crystal share*: the fraction of the probed aggregated
    bodies that are solid-like or in contact with a solid-like body (a crystal with its surface
    layer). A finite crystal, with or without vacancies, has a crystal share near 1; an
    amorphous aggregate grown around a crystalline core of a twentieth of its bodies has about
    0.1.
    """
    if int(np.count_nonzero(pack.interior)) >= MIN_INTERIOR:
        interior = float(np.mean(bo.solid[pack.interior]))
        crystal = bo.solid.copy()
        crystal[network.i[bo.solid[network.j]]] = True
        return "interior", min(interior, float(np.mean(crystal[probed])))
    if np.any(probed):
        return "aggregate", float(np.mean(bo.solid[probed]))
    return "none", float("nan")


def _order(system: BodySystem, network, agg, window, clock: dict):
    """Bond order, orientational order and layering of the aggregates (one stage of
    :func:`compute_descriptors`); fills ``clock`` with the wall time of each.

    On more than one thread (:func:`analysis.aggregation.worker_threads`) the orientational
    order and the layering, both mostly numpy (which releases the interpreter lock), run on a
    second thread during the bond order.

    Returns
    -------
    tuple
        ``(bond order, nematic order of the aggregates, (layering, its basis, condensed))``.
    """
    aggregated = agg.aggregated

    def orientation_and_layers():
        start = time.perf_counter()
        nem = orientation.nematic_order(system, aggregated if np.any(aggregated) else ~aggregated)
        nem_largest = orientation.nematic_order(system, agg.largest)
        middle = time.perf_counter()
        layered = _layering(system, agg, nem_largest)
        clock["nematic"], clock["layering"] = middle - start, time.perf_counter() - middle
        return nem, layered

    def bond_order():
        start = time.perf_counter()
        bo = bondorder.bond_order(
            system, network, aggregated, window=window, contact_clusters=agg.contact_cluster
        )
        clock["bond_order"] = time.perf_counter() - start
        return bo

    if aggregation.worker_threads() > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            side = pool.submit(orientation_and_layers)
            bo = bond_order()
            nem, layered = side.result()
    else:
        bo = bond_order()
        nem, layered = orientation_and_layers()
    return bo, nem, layered


def compute_descriptors(
    frame: gsd.hoomd.Frame | BodySystem,
    *,
    per_body: bool = False,
    timings: dict | None = None,
    whole_frame_bond_order: bool = False,
) -> Descriptors | tuple[Descriptors, PerBody]:
    """Compute the structural descriptors of one frame.

    Parameters
    ----------
    frame : gsd.hoomd.Frame or BodySystem
        HOOMD-schema frame, or bodies prepared with :func:`analysis.io.load_bodies`.
    per_body : bool
        Also return the per-body arrays.
    timings : dict, optional
        If given, filled with the wall time (s) of each stage. On more than one thread
        (:func:`analysis.aggregation.worker_threads`) the nematic order and the layering run
        during the bond order, and each reports its own duration.
    whole_frame_bond_order : bool
        Measure the bond order on every aggregated body even above :data:`WINDOW_THRESHOLD`,
        so that ``largest_solid_cluster`` finds a crystal nucleus anywhere in the frame (the
        time series of :mod:`analysis.trajectory` do); the label is the same either way.

    Returns
    -------
    Descriptors or tuple of (Descriptors, PerBody)
        Frame descriptors (and per-body results if ``per_body``).
    """
    # the threads are chosen once, before the analysis starts threads of its own
    with aggregation.fixed_threads():
        return _compute_descriptors(frame, per_body, timings, whole_frame_bond_order)


def _compute_descriptors(frame, per_body, timings, whole_frame_bond_order):
    """:func:`compute_descriptors` on the threads already chosen."""
    clock = {} if timings is None else timings
    t0 = time.perf_counter()

    def lap(name):
        nonlocal t0
        t1 = time.perf_counter()
        clock[name] = t1 - t0
        t0 = t1

    system = frame if isinstance(frame, BodySystem) else load_bodies(frame)
    lap("load")
    network = aggregation.contact_network(system)
    lap("contacts")
    agg = aggregation.find_aggregates(system, network)
    lap("clusters")
    aggregated = agg.aggregated
    n_agg = int(np.count_nonzero(aggregated))
    window = _window(system, agg) if n_agg > WINDOW_THRESHOLD else None
    bo, nem, (layers, layer_basis, condensed) = _order(
        system, network, agg, None if whole_frame_bond_order else window, clock
    )
    t0 = time.perf_counter()
    pack, n_probe = _packing(system, aggregated, window)
    lap("voronoi")
    n_int = int(np.count_nonzero(pack.interior))
    probed = aggregated if window is None else aggregated & window
    basis, solid = _solid_fraction(bo, pack, aggregated, probed, network)

    desc = Descriptors(
        n_bodies=system.n,
        step=system.step,
        size_scale=float(np.median(system.per_body("volume_diameter"))),
        size_source=system.size_source,
        aggregated_fraction=agg.aggregated_fraction,
        largest_cluster_fraction=agg.largest_fraction,
        n_aggregates=len(agg.aggregate_sizes),
        aggregate_sizes=tuple(int(s) for s in agg.aggregate_sizes),
        cluster_size_distribution=agg.size_distribution(),
        mean_coordination=_mean(agg.coordination.astype(np.float64), aggregated),
        q4=_mean(bo.q4, aggregated),
        q6=_mean(bo.q6, aggregated),
        q4_avg=_mean(bo.q4_avg, aggregated),
        q6_avg=_mean(bo.q6_avg, aggregated),
        w6=_mean(bo.w6, aggregated),
        solid_fraction=solid,
        solid_fraction_basis=basis,
        solid_fraction_aggregate=float(np.mean(bo.solid[probed])) if n_agg else float("nan"),
        largest_solid_cluster=bo.largest_solid_cluster,
        nematic_order=nem.order,
        director=_vec(nem.director),
        orientation_meaningful=nem.meaningful,
        layer_amplitude=layers.amplitude,
        layer_spacing=layers.spacing,
        layer_direction=_vec(layers.direction),
        layer_method=layers.method,
        layer_noise_floor=layers.noise_floor,
        packing_fraction=pack.packing_fraction,
        interior_fraction=n_int / n_probe if n_probe else float("nan"),
        packing_method=pack.method,
        layer_basis=layer_basis,
        condensed_fraction=(
            condensed.aggregation.aggregated_fraction if condensed else float("nan")
        ),
        condensed_nematic_order=condensed.nematic.order if condensed else float("nan"),
        condensed_solid_fraction=condensed.solid_fraction if condensed else float("nan"),
    )
    lap("summary")
    if per_body:
        layer_mask = condensed.aggregation.largest if layer_basis == "condensed" else agg.largest
        return desc, PerBody(
            system, network, agg, bo, pack, layer_indices(system, layer_mask, layers)
        )
    return desc
