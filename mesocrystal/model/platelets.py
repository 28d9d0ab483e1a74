"""The second level: platelet nanocrystals coarse-grained from the nanoparticle level.

In toluene at 45 C the product particles first form platelet-like nanocrystals (about
50 nm x 50 nm; Bose et al., Nanoscale 17, 803 (2025), Fig. 2B d) which then stack layer by
layer into cuboidal mesocrystals. This module builds such a platelet as one rigid body from
the particles of the nanoparticle level (derivation and sources: ``docs/platelets.md``):

* **Particles.** A platelet is a slab of the nanoparticles' face-centred cubic crystal with
  (100) faces: ``n_layers`` square layers stacked along z, layer ``k`` at height
  :math:`k\\,a/\\sqrt2`; even layers hold :math:`n \\times n` particles, odd layers the
  :math:`(n-1) \\times (n-1)` particles in the hollows of the layer below. The lattice spacing
  :math:`a` is the nanoparticle contact distance: the minimum of the nanoparticle pair
  potential :math:`w(r)` of the condition (:mod:`mesocrystal.model.pair_table`).
* **Sites.** Every surface particle (fewer than 12 neighbours in the slab) is one interaction
  site at its own position; interior particles are dropped. :math:`w(r)` vanishes beyond
  :math:`r_c \\approx 1.24\\,a`, below the second-neighbour distance :math:`\\sqrt2\\,a` of
  the crystal, so an interior particle, fully surrounded by its own 12 neighbours, has no
  partner on another body within :math:`r_c`: dropping it changes no contact energy.
* **Site potential.** Two sites of different platelets interact through the nanoparticle
  pair potential :math:`w(r)` of two product particles itself, with its well scaled by
  :math:`\\kappa` (``energy_scale``; :class:`PlateletSitePotential`). With
  :math:`\\kappa = 1` the contact energy of two platelets in any relative position is
  exactly the sum of the particle pair energies across their interface. The face-to-face
  energy of full-size platelets is of order :math:`10^3` kT, far beyond anything a
  simulation can sample, so the CPU preset runs smaller platelets with :math:`\\kappa < 1`
  (``docs/platelets.md`` states the numbers). :math:`\\kappa` multiplies every site pair
  equally, so the ratios between contact types (face to face, edge to face, edge to edge)
  stay those the geometry gives.
* **Mass and inertia** are those of the metal cores (point masses at the particle positions
  plus the spheres' own moments), in the mass unit of :mod:`mesocrystal.units`.

Lengths in nm, energies in the reduced unit (kT at 298.15 K).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import coxeter
import numpy as np
import rowan
from scipy.spatial import ConvexHull, cKDTree

from mesocrystal import units
from mesocrystal.model.interactions import SitePotential
from mesocrystal.model.pair_table import (
    PairFunction,
    PairTable,
    build_pair_table,
    table_key,
)
from mesocrystal.model.shapes import SITE_ATTRACTIVE, BodyShape, make_shape

#: Lateral size of the platelet-like nanocrystals [nm] (FESEM of the fissured cuboid edges;
#: Bose et al. 2025, Fig. 2B d). Their thickness is not reported.
PAPER_PLATELET_NM = 50.0
#: Platelet thickness in particle layers: one FCC (100) bilayer, the thinnest slab whose faces
#: continue the crystal when two platelets stack (model choice; the paper gives no thickness).
DEFAULT_THICKNESS_LAYERS = 2
#: Particles per edge of the platelets simulated on CPUs (model choice: sampling cost, see
#: ``docs/platelets.md``); full size is ``paper_lateral_layers(a)`` = 12.
CPU_LATERAL_LAYERS = 4
#: Scale of the site attraction of the CPU platelets (model choice for sampling, not fitted
#: to a label; ``docs/platelets.md``): the smallest value of the measured sweep (0.1, 0.2,
#: 0.3, 0.5, 1) at which face-to-face contacts form within 6,000 tau. A 4 x 4 x 2 platelet in
#: toluene at 45 C then binds face to face with 64 kT, edge to face with 25 kT and edge to
#: edge with 7 kT (1.8 kT per particle pair).
DEFAULT_ENERGY_SCALE = 0.5
#: Neighbours of a particle inside an FCC crystal.
FCC_COORDINATION = 12


def paper_lateral_layers(spacing_nm: float) -> int:
    """Particles per platelet edge of the paper's 50 nm platelets at lattice spacing ``a``.

    The envelope of ``n`` particles spans :math:`n\\,a` (centres :math:`(n-1)a` apart plus one
    contact diameter), so :math:`n = \\mathrm{round}(50\\,\\mathrm{nm}/a)`.
    """
    return max(2, round(PAPER_PLATELET_NM / spacing_nm))


def fcc100_slab(n_lateral: int, n_layers: int, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Particle centres of an FCC slab with (100) faces, centred on its centre of mass.

    Parameters
    ----------
    n_lateral : int
        Particles per edge of the even (outer) layers, at least 2.
    n_layers : int
        Number of (100) layers, at least 1.
    spacing : float
        Nearest-neighbour distance :math:`a` [nm].

    Returns
    -------
    positions : numpy.ndarray, shape (n, 3)
        Particle centres [nm]; the layers are normal to z, edges along x and y.
    layer : numpy.ndarray, shape (n,)
        Layer index of each particle (0 at the bottom).
    """
    if n_lateral < 2 or n_layers < 1:
        raise ValueError("a platelet needs at least 2 particles per edge and 1 layer")
    h = spacing / math.sqrt(2.0)
    pts, layer = [], []
    for k in range(n_layers):
        m = n_lateral if k % 2 == 0 else n_lateral - 1
        c = (np.arange(m) - 0.5 * (m - 1)) * spacing
        x, y = np.meshgrid(c, c, indexing="ij")
        pts.append(np.column_stack([x.ravel(), y.ravel(), np.full(m * m, k * h)]))
        layer.append(np.full(m * m, k))
    pos = np.vstack(pts)
    pos -= pos.mean(axis=0)  # equal masses: the centroid is the centre of mass
    return pos, np.concatenate(layer)


def surface_mask(positions: np.ndarray, spacing: float) -> np.ndarray:
    """Particles with fewer than 12 nearest neighbours (the surface of the crystal), shape (n,)."""
    tree = cKDTree(positions)
    counts = np.array([len(n) - 1 for n in tree.query_ball_point(positions, 1.01 * spacing)])
    return counts < FCC_COORDINATION


def stacking_vector(n_layers: int, spacing: float) -> np.ndarray:
    """Translation that puts a second platelet face to face on the first, continuing the FCC
    stacking (its bottom layer in the hollows of the first one's top layer) [nm], shape (3,)."""
    h = spacing / math.sqrt(2.0)
    shift = 0.5 * spacing if n_layers % 2 else 0.0
    return np.array([shift, shift, n_layers * h])


@dataclass
class PlateletSitePotential:
    """Site-site potential of platelet bodies, from the nanoparticle pair potential.

    The nanoparticle potential :math:`w(r)` is split at its minimum :math:`(a, w_0)` into a
    repulsive and an attractive part the way Weeks, Chandler and Andersen split the
    Lennard-Jones potential (J. Chem. Phys. 54, 5237 (1971)),

    .. math:: w_\\mathrm{rep} = w - w_0,\\ w_\\mathrm{att} = w_0 \\ (r < a); \\qquad
              w_\\mathrm{rep} = 0,\\ w_\\mathrm{att} = w \\ (r \\ge a),

    and the site potential is :math:`u = w_\\mathrm{rep} + \\kappa\\,w_\\mathrm{att}`: the same
    wall and contact distance, the well scaled by :math:`\\kappa`. :math:`\\kappa = 1` gives
    :math:`w` itself; the randomisation stage uses :math:`w_\\mathrm{rep}` alone.

    Attributes
    ----------
    nanoparticle : PairFunction
        :math:`w(r)` of two product particles with the ligand attraction [reduced energy].
    energy_scale : float
        :math:`\\kappa`.
    """

    nanoparticle: PairFunction
    energy_scale: float

    @property
    def contact_distance(self) -> float:
        """Nanoparticle contact distance :math:`a`: the minimum of :math:`w` [nm]."""
        return self.nanoparticle.minimum[1]

    @property
    def r_cut(self) -> float:
        """Cut-off of the site potential [nm]."""
        return self.nanoparticle.r_cut

    def _split(self, r: np.ndarray, attraction: bool) -> tuple[np.ndarray, np.ndarray]:
        w, f = self.nanoparticle(r)
        w0, a = self.nanoparticle.minimum
        kappa = self.energy_scale if attraction else 0.0
        inside = r < a
        e = np.where(inside, w - (1.0 - kappa) * w0, kappa * w)
        force = np.where(inside, f, kappa * f)
        return e, force

    def site_function(self, attraction: bool = True) -> PairFunction:
        """The tabulated site potential :math:`u(r)` (``attraction=False``: the wall alone)."""
        r = self.nanoparticle.r.copy()
        e, f = self._split(r, attraction)
        e[-1] = f[-1] = 0.0
        return PairFunction(r, e, f, np.zeros_like(r), self.nanoparticle.r_reliable)

    def energy(self, r: np.ndarray, attraction: bool = True) -> np.ndarray:
        """:math:`u(r)` at distances ``r`` [nm] (zero beyond the cut-off)."""
        r = np.asarray(r, dtype=float)
        return np.where(r < self.r_cut, self._split(r, attraction)[0], 0.0)


def nanoparticle_pair(
    kT: float,
    epsilon_kT: float,
    core_nm: float,
    shell_nm: float,
    site_diameter_nm: float,
    site_spacing_nm: float,
    attraction_range_nm: float,
    table_cache: str | None = None,
) -> tuple[PairFunction, PairFunction]:
    """Pair potential of two mean product particles (attraction on, off) of the nanoparticle
    stage: the orientation average of :mod:`mesocrystal.model.pair_table`, cached by content.

    Parameters
    ----------
    kT : float
        Thermal energy [reduced energy].
    epsilon_kT : float
        Site attraction of product particles in kT (``conditions.epsilon_kT``).
    core_nm, shell_nm : float
        Mean product core diameter and ligand shell [nm].
    site_diameter_nm, site_spacing_nm, attraction_range_nm : float
        Site model of the nanoparticle stage [nm].
    table_cache : str, optional
        Directory of cached tables.
    """
    sphere = make_shape(
        "sphere",
        (core_nm,),
        shell_thickness=shell_nm,
        site_diameter=site_diameter_nm,
        site_spacing=site_spacing_nm,
    )
    potential = SitePotential(site_diameter_nm, attraction_range_nm, epsilon_kT * kT, kT)
    key = table_key([sphere], [True], potential, kT)
    path = None
    table = None
    if table_cache:
        os.makedirs(table_cache, exist_ok=True)
        path = os.path.join(table_cache, f"{key}.npz")
        table = PairTable.load(path, key)
    if table is None:
        table = build_pair_table([sphere], ["AgAu"], [True], potential, kT)
        if path:
            table.save(path, key)
    return table.get(0, 0, True), table.get(0, 0, False)


def platelet_shape(
    n_lateral: int, n_layers: int, spacing: float, core_nm: float
) -> tuple[BodyShape, np.ndarray]:
    """The platelet body: sites at its surface particles, mass and inertia of all cores.

    Parameters
    ----------
    n_lateral, n_layers : int
        Particles per edge and (100) layers (:func:`fcc100_slab`).
    spacing : float
        Nanoparticle contact distance :math:`a` [nm].
    core_nm : float
        Metal core diameter of one particle [nm].

    Returns
    -------
    shape : BodyShape
        ``kind="platelet"``; ``core_dimensions = (width, width, thickness)`` of the particle
        envelope [nm]; the steric envelope is the convex hull of the particle centres rounded
        by :math:`a/2` (``ConvexSpheropolyhedron``).
    particles : numpy.ndarray, shape (n, 3)
        All particle centres in the body frame [nm] (sites are the surface ones).
    """
    pos, _ = fcc100_slab(n_lateral, n_layers, spacing)
    sites = pos[surface_mask(pos, spacing)]
    m_core = units.core_mass(math.pi / 6.0 * core_nm**3)
    mass = m_core * len(pos)
    own = 0.1 * m_core * core_nm**2  # solid sphere: 2/5 m r^2 = m d^2 / 10
    inertia = np.array(
        [
            m_core * (pos[:, 1] ** 2 + pos[:, 2] ** 2).sum(),
            m_core * (pos[:, 0] ** 2 + pos[:, 2] ** 2).sum(),
            m_core * (pos[:, 0] ** 2 + pos[:, 1] ** 2).sum(),
        ]
    ) + own * len(pos)
    if n_layers == 1:  # flat: give the hull a small thickness so that it has a volume
        hull = np.vstack([pos, pos + [0.0, 0.0, 1e-3 * spacing]])
    else:
        hull = pos
    hull = hull[ConvexHull(hull).vertices]
    envelope = coxeter.shapes.ConvexSpheropolyhedron(hull, 0.5 * spacing)
    core = coxeter.shapes.ConvexPolyhedron(hull)
    extent = np.ptp(pos, axis=0) + spacing
    shape = BodyShape(
        kind="platelet",
        core_dimensions=(float(extent[0]), float(extent[1]), float(extent[2])),
        sites=np.ascontiguousarray(sites, dtype=float),
        site_types=np.full(len(sites), SITE_ATTRACTIVE, dtype=np.int32),
        mass=float(mass),
        moment_inertia=inertia,
        envelope=envelope,
        core=core,
    )
    return shape, pos


def pair_energy(
    points_i: np.ndarray,
    points_j: np.ndarray,
    energy,
    separation: np.ndarray,
    q_i: np.ndarray,
    q_j: np.ndarray,
) -> float:
    """Sum of a pair potential over all point pairs of two rigid bodies.

    Parameters
    ----------
    points_i, points_j : numpy.ndarray, shape (n, 3), (m, 3)
        Points (sites or particles) in the body frames [nm].
    energy : callable
        ``energy(r)`` of distances [reduced energy], zero beyond its cut-off.
    separation : numpy.ndarray, shape (3,)
        Centre of j minus centre of i [nm].
    q_i, q_j : numpy.ndarray, shape (4,)
        Orientations (w, x, y, z).

    Returns
    -------
    float
        Total energy [reduced energy].
    """
    xi = rowan.rotate(q_i, points_i)
    xj = rowan.rotate(q_j, points_j) + np.asarray(separation, dtype=float)
    r = np.linalg.norm(xi[:, None, :] - xj[None, :, :], axis=-1)
    return float(np.sum(energy(r.ravel())))


#: Identity orientation.
IDENTITY = np.array([1.0, 0.0, 0.0, 0.0])

#: The face-to-face contacts of :func:`contact_geometries`.
FACE_CONTACTS = ("face_to_face", "outer_to_outer", "inner_to_inner")


def contact_geometries(n_lateral: int, n_layers: int, spacing: float) -> dict:
    """Relative placements of two platelets in the three kinds of contact.

    Returns ``{name: (separation (3,), q_i (4,), q_j (4,))}`` with

    * ``face_to_face``: the second platelet on the first continuing the FCC stacking
      (:func:`stacking_vector`);
    * ``edge_to_face`` (slabs of 1 or 2 layers): the second platelet standing on one edge
      (normal along y) on the outer (n x n) face of the first, its bottom row in the grooves
      between the rows of that face (shifted by a/2 along the row) at the height of a
      close-packed layer above it;
    * ``edge_to_edge``: side by side in one plane, the outer layers' edge rows in contact;
    * for an even number of layers, whose two faces differ (n x n and (n-1) x (n-1)
      particles), the two other ways of continuing the FCC stacking: ``outer_to_outer``
      (body i upside down, the two n x n faces in contact, (2n-1)^2 pairs at contact) and
      ``inner_to_inner`` (body j upside down, the two (n-1) x (n-1) faces, (2n-3)^2 pairs).
      ``face_to_face`` puts the (n-1) x (n-1) face on the n x n face (4 (n-1)^2 pairs).
    """
    pos, layer = fcc100_slab(n_lateral, n_layers, spacing)
    h = spacing / math.sqrt(2.0)
    flip = rowan.from_axis_angle([1.0, 0.0, 0.0], math.pi)
    out = {
        "face_to_face": (stacking_vector(n_layers, spacing), IDENTITY, IDENTITY),
        "edge_to_edge": (np.array([n_lateral * spacing, 0.0, 0.0]), IDENTITY, IDENTITY),
    }
    if n_layers % 2 == 0:
        # Both faces' grids are centred, so the half-spacing shift puts the particles of the
        # upper face into the hollows of the lower one (the next layer of the FCC stacking).
        z_bottom, z_top = pos[layer == 0, 2].min(), pos[layer == n_layers - 1, 2].max()
        half = 0.5 * spacing
        out["outer_to_outer"] = (np.array([half, half, h - 2.0 * z_bottom]), flip, IDENTITY)
        out["inner_to_inner"] = (np.array([half, half, h + 2.0 * z_top]), IDENTITY, flip)
    # Body i upside down so that its outer layer 0 (n x n) faces up.
    q_i = flip
    top_i = rowan.rotate(q_i, pos[layer == 0])[:, 2].max()
    # Body j rotated by -90 degrees about x: its layer normal points along +y, its layer 0
    # becomes a vertical sheet whose lowest row lies along x.
    q_j = rowan.from_axis_angle([1.0, 0.0, 0.0], -math.pi / 2.0)
    xj = rowan.rotate(q_j, pos)
    row = xj[layer == 0]
    bottom = row[np.argmin(row[:, 2])]
    # Put that row one close-packed layer spacing above the face, in a groove between two
    # rows of the face (rows at y = (k - (n-1)/2) a) and shifted by a/2 along x, so that each
    # of its particles sits in a hollow of the face.
    groove_y = 0.0 if n_lateral % 2 == 0 else 0.5 * spacing
    sep = np.array([0.5 * spacing, groove_y - bottom[1], top_i + h - bottom[2]])
    if n_layers <= 2:  # thicker slabs put a second bottom row onto the face: not a contact
        out["edge_to_face"] = (sep, q_i, q_j)
    return out


def contact_pair_counts(n_lateral: int, n_layers: int, spacing: float) -> dict:
    """Particle pairs at the contact distance (within 1 %) across each interface of
    :func:`contact_geometries`: the geometric weight of each kind of contact."""
    pos, _ = fcc100_slab(n_lateral, n_layers, spacing)
    out = {}
    for name, (sep, q_i, q_j) in contact_geometries(n_lateral, n_layers, spacing).items():
        xi = rowan.rotate(q_i, pos)
        xj = rowan.rotate(q_j, pos) + sep
        r = np.linalg.norm(xi[:, None, :] - xj[None, :, :], axis=-1)
        out[name] = int(np.count_nonzero(np.abs(r - spacing) < 0.01 * spacing))
    return out


def contact_energies(
    n_lateral: int, n_layers: int, potential: PlateletSitePotential, *, sites_only: bool = True
) -> dict:
    """Energies of the contacts of :func:`contact_geometries` [reduced energy].

    Parameters
    ----------
    n_lateral, n_layers : int
        Platelet size in particle layers.
    potential : PlateletSitePotential
        Site potential (its ``energy_scale`` applies).
    sites_only : bool
        Sum over the surface sites of the bodies (the coarse-grained model, default) or over
        every particle of both slabs (the nanoparticle level).
    """
    a = potential.contact_distance
    pos, _ = fcc100_slab(n_lateral, n_layers, a)
    pts = pos[surface_mask(pos, a)] if sites_only else pos
    return {
        name: pair_energy(pts, pts, potential.energy, sep, q_i, q_j)
        for name, (sep, q_i, q_j) in contact_geometries(n_lateral, n_layers, a).items()
    }


def stokes_diameter(width_nm: float) -> float:
    """Stokes diameter of a thin square plate of edge ``width`` [nm].

    The orientation-averaged translational friction of a thin disc of radius R is
    :math:`f = 12\\eta R` (broadside :math:`16\\eta R`, edgewise :math:`32\\eta R/3`, averaged as
    mobilities; Happel and Brenner, *Low Reynolds Number Hydrodynamics*, 1965, sec. 4-26);
    the plate is taken as the disc of equal area, :math:`R = w/\\sqrt\\pi`, and the sphere
    of equal friction has :math:`d = f/(3\\pi\\eta) = 4R/\\pi`.
    """
    return 4.0 * (width_nm / math.sqrt(math.pi)) / math.pi


def platelet_damping_time(
    particle_damping: float,
    particle_mass: float,
    platelet_mass: float,
    d_particle: float,
    d_platelet: float,
) -> float:
    """Langevin damping time of a platelet [tau] that keeps Stokes-Einstein diffusion.

    A body of mass M with damping time t diffuses with :math:`D = k_BT\\,t/M`. The particle
    stage gives particles of mass m the damping time :math:`t_p` (the solvent mapping); a
    platelet of Stokes diameter :math:`d_P` diffuses :math:`d_p/d_P` times as fast as a
    particle of Stokes diameter :math:`d_p`, so :math:`t_P = t_p\\,(M/m)\\,(d_p/d_P)`.
    """
    return particle_damping * (platelet_mass / particle_mass) * (d_particle / d_platelet)


def platelet_model_fields(params, table_cache: str | None = None) -> dict:
    """The fields of the model of a platelet-stage state point (one platelet type, no
    reaction); :func:`mesocrystal.model.system.build_model` makes the ``Model`` of them, so
    this module does not import the system module.

    The box holds ``N`` platelets whose particles fill ``params.packing_fraction`` of it
    (the product volume fraction of the condition): volume
    :math:`N\\,n_p\\,\\pi(d+L)^3/6\\,/\\,\\phi`, with :math:`n_p` particles per platelet and the
    particle envelope diameter core + shell.

    Parameters
    ----------
    params : mesocrystal.model.parameters.ModelParameters
        Resolved parameters with ``platelet`` set.
    table_cache : str, optional
        Directory of cached nanoparticle pair tables.

    Returns
    -------
    dict
        Keyword arguments of :class:`mesocrystal.model.system.Model`.
    """
    from dataclasses import replace

    kT = params.kT
    core = params.core_dimensions_nm[0]
    on, _ = nanoparticle_pair(
        kT,
        params.epsilon_kT,
        core,
        params.shell_nm,
        params.site_diameter_nm,
        params.site_spacing_nm,
        params.attraction_range_nm,
        table_cache,
    )
    site_potential = PlateletSitePotential(on, params.platelet["energy_scale"])
    a = site_potential.contact_distance
    n_lateral, n_layers = params.platelet["layers"]
    shape, particles = platelet_shape(n_lateral, n_layers, a, core)
    particle_mass = units.core_mass(math.pi / 6.0 * core**3)
    damping = platelet_damping_time(
        params.damping_time,
        particle_mass,
        shape.mass,
        core + 2.0 * params.shell_nm,
        stokes_diameter(shape.core_dimensions[0]),
    )
    params = replace(params, damping_time=float(damping))
    envelope = math.pi / 6.0 * (core + params.shell_nm) ** 3
    volume = params.N * len(particles) * envelope / params.packing_fraction
    geometry = SitePotential(
        site_diameter=a, attraction_range=site_potential.r_cut - a, epsilon=0.0, epsilon_core=kT
    )
    return dict(
        params=params,
        shapes=[shape],
        typeid=np.zeros(params.N, dtype=np.int64),
        potential=geometry,
        box_length=volume ** (1.0 / 3.0),
        names=["platelet"],
        attractive=[True],
        table_cache=table_cache,
        site_potential=site_potential,
    )


def pair_report(model) -> dict:
    """Contact energies of the model's platelets and of full-size ones (job document).

    Returns
    -------
    dict
        ``face_contact_kT`` (the strongest face-to-face contact), ``edge_to_face_kT`` and
        ``edge_to_edge_kT`` of the simulated platelets with their energy scale; the same at the
        nanoparticle level (:math:`\\kappa = 1`) for the simulated size and for the paper's
        50 nm platelets (``full_size_*``); the contact distance ``a`` and the platelet's
        particle and site counts. ``B2_star`` is not computed for platelets (NaN) and the
        ``regime`` is ``"platelets"``.
    """
    sp = model.site_potential
    kT = model.kT
    a = sp.contact_distance
    n_lateral, n_layers = model.params.platelet["layers"]
    scaled = contact_energies(n_lateral, n_layers, sp)
    unscaled = contact_energies(n_lateral, n_layers, PlateletSitePotential(sp.nanoparticle, 1.0))
    n_full = paper_lateral_layers(a)
    full = contact_energies(n_full, n_layers, PlateletSitePotential(sp.nanoparticle, 1.0))
    shape = model.shapes[0]
    report = {
        "face_contact_kT": min(scaled[k] for k in FACE_CONTACTS if k in scaled) / kT,
        "contact_distance_nm": float(a),
        "nanoparticle_contact_kT": float(sp.nanoparticle.minimum[0] / kT),
        "energy_scale": float(sp.energy_scale),
        "layers": [int(n_lateral), int(n_layers)],
        "particles_per_body": int(
            round(
                shape.mass
                / units.core_mass(math.pi / 6.0 * model.params.core_dimensions_nm[0] ** 3)
            )
        ),
        "sites_per_body": int(shape.n_sites),
        "sites_per_body_site_model": int(shape.n_sites),
        "width_nm": float(shape.core_dimensions[0]),
        "thickness_nm": float(shape.core_dimensions[2]),
        "full_size_layers": [int(n_full), int(n_layers)],
        "B2_star": float("nan"),
        "regime": "platelets",
        "representation": "rigid sites",
    }
    for name in scaled:
        report[f"{name}_kT"] = scaled[name] / kT
        report[f"{name}_unscaled_kT"] = unscaled[name] / kT
        report[f"full_size_{name}_kT"] = full[name] / kT
    return report
