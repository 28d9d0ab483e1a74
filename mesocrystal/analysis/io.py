"""The body loader: body centres, orientations and sizes from a frame of the HOOMD schema.

Only body centres and free particles are analysed: a particle ``i`` is kept when
``particles/body[i] == i`` (rigid-body centre) or ``particles/body[i] < 0`` (free particle);
rigid-body constituent sites (``body[i]`` = tag of another particle) are dropped.

Sizes come, in order of preference, from ``particles/type_shapes`` (scaled per particle by
``particles/diameter`` when that is set), from ``particles/diameter`` (diameter of the sphere
circumscribing the body), or, when the diameters are absent or all equal to the GSD default 1.0
and clearly inconsistent with the particle spacing, from the nearest-neighbour distances
(see :func:`infer_contact_diameter`).
"""

from __future__ import annotations

import dataclasses

import freud
import gsd.hoomd
import numpy as np

from . import shapes as _shapes

#: Ratio between the size inferred from the particle spacing and the default diameter 1.0 beyond
#: which the default is taken to be absent rather than a real size (a 25 % mismatch).
DEFAULT_DIAMETER_TOLERANCE = 1.25

#: Percentile of the nearest-neighbour distance distribution and the factor above it that bound
#: the inferred contact diameter (see :func:`infer_contact_diameter`).
NN_PERCENTILE = 10.0
NN_PERCENTILE_FACTOR = 1.15

#: Fewest bodies from whose spacing a size is inferred (a central body and its first shell).
MIN_BODIES_TO_INFER = 13


class FrameError(ValueError):
    """A frame cannot be analysed (no particles, invalid box, non-finite positions, 2-D)."""


@dataclasses.dataclass
class BodySystem:
    """Body centres and free particles of one frame, ready for analysis.

    Attributes
    ----------
    box : freud.box.Box
        Periodic (possibly triclinic) simulation box, nm.
    positions : numpy.ndarray
        ``(N, 3)`` float64 centre positions (nm), wrapped into the box.
    orientations : numpy.ndarray
        ``(N, 4)`` unit quaternions (w, x, y, z), body frame to lab frame.
    typeid : numpy.ndarray
        ``(N,)`` type index of each body.
    types : tuple of str
        Type names.
    shapes : tuple of ConvexShape
        Shape of each type at reference scale.
    scale : numpy.ndarray
        ``(N,)`` factor by which each body's type shape is scaled (polydispersity within a type).
    particle_index : numpy.ndarray
        ``(N,)`` index of each body in the frame's particle arrays.
    step : int
        Simulation time step of the frame.
    size_source : str
        Where the sizes came from: ``"type_shapes"``, ``"diameter"`` or ``"inferred"`` (joined
        with ``+`` if types differ).
    has_orientations : bool
        Whether the frame holds non-trivial orientations (not all identity quaternions).
    """

    box: freud.box.Box
    positions: np.ndarray
    orientations: np.ndarray
    typeid: np.ndarray
    types: tuple
    shapes: tuple
    scale: np.ndarray
    particle_index: np.ndarray
    step: int
    size_source: str
    has_orientations: bool

    @property
    def n(self) -> int:
        """Number of bodies."""
        return len(self.positions)

    def per_body(self, attribute: str) -> np.ndarray:
        """Per-body value of a scalar shape attribute scaled as a length or a volume.

        Parameters
        ----------
        attribute : str
            ``"circumsphere_diameter"``, ``"volume_diameter"`` (lengths, nm) or ``"volume"``
            (nm^3).

        Returns
        -------
        numpy.ndarray
            ``(N,)`` values.
        """
        per_type = np.array([getattr(s, attribute) for s in self.shapes], dtype=np.float64)
        power = 3 if attribute == "volume" else 1
        return per_type[self.typeid] * self.scale**power

    @property
    def anisotropic(self) -> bool:
        """Whether any body shape is anisotropic (its orientation matters)."""
        return any(s.is_anisotropic for s in self.shapes)

    def body_axes(self) -> np.ndarray:
        """Body z axes (short axis / platelet normal) in the lab frame, ``(N, 3)``.

        Computed once per system (the third column of each rotation matrix).
        """
        cached = self.__dict__.get("_body_axes")
        if cached is None or len(cached) != self.n:
            w, x, y, z = self.orientations.T
            cached = np.column_stack(
                [2.0 * (x * z + w * y), 2.0 * (y * z - w * x), 1.0 - 2.0 * (x * x + y * y)]
            )
            self.__dict__["_body_axes"] = cached
        return cached


def nearest_plane_distance(box: freud.box.Box) -> float:
    """Smallest distance (nm) between opposite faces of a (triclinic) box."""
    m = box.to_matrix()
    a1, a2, a3 = m[:, 0], m[:, 1], m[:, 2]
    vol = abs(np.linalg.det(m))
    faces = ((a2, a3), (a3, a1), (a1, a2))
    return float(min(vol / np.linalg.norm(np.cross(b, c)) for b, c in faces))


def _box_from_frame(frame: gsd.hoomd.Frame) -> freud.box.Box:
    dims = int(frame.configuration.dimensions or 3)
    if dims != 3:
        raise FrameError(f"only 3-D frames can be analysed (configuration/dimensions = {dims})")
    raw = np.asarray(frame.configuration.box, dtype=np.float64)
    if raw.shape != (6,) or not np.all(np.isfinite(raw)) or not np.all(raw[:3] > 0):
        raise FrameError(f"invalid configuration/box {raw.tolist()}")
    return freud.box.Box.from_box(raw, dimensions=3)


def infer_contact_diameter(box: freud.box.Box, positions: np.ndarray) -> float:
    """Estimate the contact diameter (nm) of bodies of unknown size from their spacing.

    The estimate is the position of the first peak of the pair distribution g(r) (from the 12
    nearest neighbours of each body), capped at :data:`NN_PERCENTILE_FACTOR` times the
    :data:`NN_PERCENTILE`-th percentile of the nearest-neighbour distances. In dense systems the
    first peak sits at contact (within 5 % for thermalised crystals, jammed packings and
    lamellar stacks); in dilute fluids it is weak and noisy, and the closest approaches, which
    pile up near contact for bodies with a steric core, bound it instead (10th percentile
    within 15 % below contact for crystals at Lindemann ratio 0.06 and 14 % polydisperse
    packings, up to 30 % above contact in hard-sphere fluids at packing fraction 0.03).

    Parameters
    ----------
    box : freud.box.Box
        Simulation box.
    positions : numpy.ndarray
        ``(N, 3)`` positions (nm).

    Returns
    -------
    float
        Estimated contact diameter (nm); 1.0 if fewer than two bodies.
    """
    if len(positions) < 2:
        return 1.0
    k = min(12, len(positions) - 1)
    aq = freud.locality.AABBQuery(box, positions)
    nl = aq.query(positions, {"num_neighbors": k, "exclude_ii": True}).toNeighborList()
    if len(nl.distances) == 0:
        return 1.0
    qi = np.asarray(nl.query_point_indices)
    starts = np.flatnonzero(np.r_[True, qi[1:] != qi[:-1]])
    nearest = np.minimum.reduceat(np.asarray(nl.distances, dtype=np.float64), starts)
    cap = NN_PERCENTILE_FACTOR * float(np.percentile(nearest, NN_PERCENTILE))
    pairs = nl.distances[nl.query_point_indices < nl.point_indices].astype(np.float64)
    edges = np.arange(0.4, 3.0, 0.02) * cap
    counts, _ = np.histogram(pairs, edges)
    mid = 0.5 * (edges[1:] + edges[:-1])
    g = np.convolve(counts / mid**2, np.ones(5) / 5.0, mode="same")
    peak = float(mid[np.argmax(g)]) if counts.sum() > 0 else cap
    return min(peak, cap) if cap > 0 else peak


def _default_or_inferred_diameter(box: freud.box.Box, positions: np.ndarray) -> tuple:
    """``(diameter, source)`` for bodies without stored sizes (default 1.0 or inferred)."""
    if len(positions) < MIN_BODIES_TO_INFER:
        return 1.0, "diameter"
    estimate = infer_contact_diameter(box, positions)
    if not 1.0 / DEFAULT_DIAMETER_TOLERANCE <= estimate <= DEFAULT_DIAMETER_TOLERANCE:
        # contacts must fit in the periodic box (contact range 1.25 d < half the box width)
        limit = 0.39 * nearest_plane_distance(box)
        if 0 < estimate:
            return min(estimate, limit), "inferred"
    return 1.0, "diameter"


def load_bodies(frame: gsd.hoomd.Frame) -> BodySystem:
    """Extract body centres, orientations and sizes from a HOOMD-schema frame.

    Parameters
    ----------
    frame : gsd.hoomd.Frame
        One frame, e.g. from :func:`mesocrystal.schema.read_frame`.

    Returns
    -------
    BodySystem
        Bodies to analyse (rigid-body constituents removed).

    Raises
    ------
    FrameError
        If the frame has no particles, a 2-D or invalid box, or non-finite positions.
    """
    box = _box_from_frame(frame)
    p = frame.particles
    n_all = int(p.N or 0)
    if n_all == 0 or p.position is None:
        raise FrameError("frame has no particles")
    pos = np.asarray(p.position, dtype=np.float64).reshape(n_all, 3)
    if not np.all(np.isfinite(pos)):
        raise FrameError("particles/position holds non-finite values")

    def per_particle(values, default, width=None):
        if values is None:
            return np.full((n_all,) if width is None else (n_all, width), default)
        arr = np.asarray(values)
        return arr.reshape((n_all,) if width is None else (n_all, width))

    body = per_particle(p.body, -1).astype(np.int64)
    keep = (body < 0) | (body == np.arange(n_all))
    if not np.any(keep):
        raise FrameError("frame has no body centres or free particles")
    index = np.flatnonzero(keep)

    types = tuple(p.types) if p.types is not None and len(p.types) > 0 else ("A",)
    typeid = per_particle(p.typeid, 0).astype(np.int64)[index]
    if typeid.min() < 0 or typeid.max() >= len(types):
        raise FrameError("particles/typeid refers to an undefined type")

    quat = _unit_quaternions(per_particle(p.orientation, 0.0, 4).astype(np.float64)[index])
    if p.orientation is None:
        quat[:, 0] = 1.0
    positions = box.wrap(pos[index])
    diam = per_particle(p.diameter, 1.0).astype(np.float64)[index]
    shapes, scale, size_source = _sizes(box, positions, typeid, types, p.type_shapes, diam)
    return BodySystem(
        box=box,
        positions=positions,
        orientations=quat,
        typeid=typeid,
        types=types,
        shapes=shapes,
        scale=scale,
        particle_index=index,
        step=int(frame.configuration.step or 0),
        size_source=size_source,
        has_orientations=bool(np.any(np.abs(np.abs(quat[:, 0]) - 1.0) > 1e-6)),
    )


def _unit_quaternions(quat: np.ndarray) -> np.ndarray:
    """``(N, 4)`` quaternions normalised in place; zero or non-finite ones become the identity."""
    norm = np.linalg.norm(quat, axis=1)
    bad = ~np.isfinite(norm) | (norm < 1e-12)
    quat[bad] = (1.0, 0.0, 0.0, 0.0)
    norm[bad] = 1.0
    quat /= norm[:, None]
    return quat


def _sizes(
    box: freud.box.Box,
    positions: np.ndarray,
    typeid: np.ndarray,
    types: tuple,
    type_shapes,
    diam: np.ndarray,
) -> tuple[tuple, np.ndarray, str]:
    """Shape of each type, scale of each body and where the sizes came from.

    Parameters
    ----------
    box : freud.box.Box
        Simulation box.
    positions : numpy.ndarray
        ``(N, 3)`` body positions (nm).
    typeid : numpy.ndarray
        ``(N,)`` type of each body.
    types : tuple of str
        Type names.
    type_shapes : list of dict or None
        ``particles/type_shapes`` of the frame.
    diam : numpy.ndarray
        ``(N,)`` ``particles/diameter`` of each body (the GSD default is 1.0).

    Returns
    -------
    shapes : tuple of ConvexShape
    scale : numpy.ndarray
        ``(N,)`` factor by which each body's type shape is scaled.
    size_source : str
        See :attr:`BodySystem.size_source`.
    """
    diam_default = bool(np.all(diam == 1.0)) or not np.all(np.isfinite(diam) & (diam > 0))
    specs = list(type_shapes) if type_shapes is not None else []
    specs += [{}] * (len(types) - len(specs))
    scale = np.ones(len(positions))
    sources = set()
    shape_list = []
    inferred = None
    for t, shape in enumerate(_shapes.shape_from_spec(s) for s in specs[: len(types)]):
        members = typeid == t
        if shape is not None:
            if not diam_default:
                ratio = diam[members] / shape.circumsphere_diameter
                ratio[np.abs(ratio - 1.0) < 1e-3] = 1.0
                scale[members] = ratio
            shape_list.append(shape)
            if np.any(members):
                sources.add("type_shapes")
            continue
        shape_list.append(_shapes.sphere(1.0))
        if not diam_default:
            scale[members] = diam[members]
            if np.any(members):
                sources.add("diameter")
            continue
        if inferred is None:
            inferred = _default_or_inferred_diameter(box, positions)
        scale[members] = inferred[0]
        if np.any(members):
            sources.add(inferred[1])
    return tuple(shape_list), scale, "+".join(sorted(sources))


def system_from_arrays(
    box: freud.box.Box | tuple | list | np.ndarray,
    positions: np.ndarray,
    diameters: np.ndarray | float = 1.0,
    orientations: np.ndarray | None = None,
    shape: _shapes.ConvexShape | None = None,
) -> BodySystem:
    """Build a :class:`BodySystem` from arrays (no GSD file needed).

    Parameters
    ----------
    box : freud.box.Box or array-like
        Box, or ``[Lx, Ly, Lz, xy, xz, yz]`` (nm).
    positions : numpy.ndarray
        ``(N, 3)`` positions (nm).
    diameters : numpy.ndarray or float
        ``(N,)`` circumsphere diameters (nm), used when ``shape`` is ``None``.
    orientations : numpy.ndarray, optional
        ``(N, 4)`` quaternions; identity if omitted.
    shape : ConvexShape, optional
        Common body shape of all particles.
    """
    if not isinstance(box, freud.box.Box):
        box = freud.box.Box.from_box(np.asarray(box, dtype=np.float64), dimensions=3)
    pos = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    n = len(pos)
    quat = (
        np.tile([1.0, 0.0, 0.0, 0.0], (n, 1))
        if orientations is None
        else np.asarray(orientations, dtype=np.float64).reshape(n, 4)
    )
    if shape is None:
        shape_t = _shapes.sphere(1.0)
        scale = np.broadcast_to(np.asarray(diameters, dtype=np.float64), (n,)).copy()
        source = "diameter"
    else:
        shape_t = shape
        scale = np.ones(n)
        source = "type_shapes"
    return BodySystem(
        box=box,
        positions=box.wrap(pos),
        orientations=quat / np.linalg.norm(quat, axis=1)[:, None],
        typeid=np.zeros(n, dtype=np.int64),
        types=("A",),
        shapes=(shape_t,),
        scale=scale,
        particle_index=np.arange(n),
        step=0,
        size_source=source,
        has_orientations=bool(np.any(np.abs(np.abs(quat[:, 0]) - 1.0) > 1e-6)),
    )
