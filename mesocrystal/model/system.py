"""A complete model system: body types (size classes), box, potential and initial state."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import rowan
from scipy.integrate import trapezoid

from mesocrystal.model.exchange import ClassExchange
from mesocrystal.model.interactions import (
    SitePotential,
    face_contact_energy,
    random_quaternions,
    reduced_second_virial,
)
from mesocrystal.model.pair_table import (
    N_ORIENTATIONS,
    PairTable,
    build_pair_table,
    orientation_averaged_potential,
    table_key,
)
from mesocrystal.model.parameters import ModelParameters
from mesocrystal.model.population import (
    N_PARENT_CLASSES,
    shape_for,
    size_classes,
)
from mesocrystal.model.reaction import Reaction
from mesocrystal.model.shapes import BodyShape
from mesocrystal.state import BodyState, minimum_image

#: Regime thresholds for the pair thermodynamics of spheres (reported per job).
#: Noro & Frenkel, J. Chem. Phys. 113, 2941 (2000): the metastable critical point of
#: short-ranged attraction lies at B2* ~ -1.2 to -1.5; above it the suspension stays
#: dispersed at low concentration.
B2_DISPERSED = -1.2
#: Lu et al., Nature 453, 499 (2008): for ranges of 0.1-0.2 diameters, contact attractions
#: beyond ~5 kT arrest phase separation into gels/glasses instead of crystallising.
ARREST_CONTACT_KT = 5.0


@dataclass
class Model:
    """Everything an engine needs to simulate one state point.

    Attributes
    ----------
    params : ModelParameters
        Resolved parameters.
    shapes : list of BodyShape
        One body type per size class; type names are ``"A0"``, ``"A1"``, ...
    typeid : numpy.ndarray, shape (N,)
        Size class of each body (shuffled reproducibly with the seed).
    potential : SitePotential
        Site-site potential in reduced energy units (already multiplied by kT).
    box_length : float
        Edge of the cubic box [nm].
    names : list of str
        Type names (``A0``, ``A1``, ... or, with the reaction, ``Ag0``... for parents and
        ``AgAu0``... for products).
    attractive : list of bool
        Whether each type carries the ligand attraction.
    reaction : Reaction or None
        The conversion of parents into products during the run.
    exchange : ClassExchange or None
        Size-class swap moves between product particles during the run.
    table_cache : str, optional
        Directory where pair tables are cached by content hash (shared by replicas).
    """

    params: ModelParameters
    shapes: list[BodyShape]
    typeid: np.ndarray
    potential: SitePotential
    box_length: float
    names: list[str] | None = None
    attractive: list[bool] | None = None
    reaction: Reaction | None = None
    exchange: ClassExchange | None = None
    table_cache: str | None = None
    _table: PairTable | None = None
    #: Platelet stage: the tabulated site potential built from the nanoparticle pair potential
    #: (:class:`mesocrystal.model.platelets.PlateletSitePotential`); ``potential`` then only
    #: carries the site contact distance and cut-off for insertion and neighbour ranges.
    site_potential: object | None = None

    @property
    def type_names(self) -> list[str]:
        """Body type names, one per type (size class, parent or product)."""
        return list(self.names) if self.names else [f"A{k}" for k in range(len(self.shapes))]

    @property
    def single_particle(self) -> bool:
        """One particle per body with a tabulated pair potential (isotropic spheres)."""
        return bool(self.params.single_particle)

    @property
    def type_attractive(self) -> list[bool]:
        """Whether each type carries the ligand attraction."""
        return list(self.attractive) if self.attractive else [True] * len(self.shapes)

    @property
    def pair_table(self) -> PairTable:
        """Effective pair potentials of all type pairs (computed once, cached on disk)."""
        if self._table is None:
            key = table_key(self.shapes, self.type_attractive, self.potential, self.kT)
            path = None
            if self.table_cache:
                os.makedirs(self.table_cache, exist_ok=True)
                path = os.path.join(self.table_cache, f"{key}.npz")
                self._table = PairTable.load(path, key)
            if self._table is None:
                self._table = build_pair_table(
                    self.shapes, self.type_names, self.type_attractive, self.potential, self.kT
                )
                if path:
                    self._table.save(path, key)
        return self._table

    def _reference_pair(self):
        """Pair functions (attraction on, off) of the reference type with itself; from the
        full table when it exists, else computed alone (a report needs only this pair)."""
        t = self.reference_type
        if self._table is None and self.table_cache is None:
            args = (self.shapes[t], self.shapes[t], self.potential, self.kT)
            attract = self.type_attractive[t] and self.potential.epsilon != 0.0
            seed = 1001 * t
            n = N_ORIENTATIONS
            return (
                orientation_averaged_potential(*args, attractive=attract, seed=seed),
                orientation_averaged_potential(
                    *args, attractive=False, n_orientations=max(8, n // 2), seed=seed
                ),
            )
        return self.pair_table.get(t, t, True), self.pair_table.get(t, t, False)

    @property
    def reference_type(self) -> int:
        """The type that characterises the pair thermodynamics: the median product class."""
        if self.reaction is not None:
            return self.reaction.product_types[len(self.reaction.product_types) // 2]
        return len(self.shapes) // 2

    @property
    def kT(self) -> float:
        """Thermal energy [reduced energy]."""
        return self.params.kT

    @property
    def mass(self) -> np.ndarray:
        """Body masses, shape (N,)."""
        return np.array([s.mass for s in self.shapes])[self.typeid]

    @property
    def moment_inertia(self) -> np.ndarray:
        """Principal moments of inertia, shape (N, 3)."""
        return np.array([s.moment_inertia for s in self.shapes])[self.typeid]

    @property
    def diameter(self) -> np.ndarray:
        """Circumsphere diameters of the steric envelopes [nm], shape (N,)."""
        return np.array([s.circumsphere_diameter for s in self.shapes])[self.typeid]

    def pair_report(self, accurate: bool = True) -> dict:
        """What the interactions mean for a pair of mean-size bodies.

        Returns
        -------
        dict
            ``face_contact_kT`` (face-to-face contact energy in kT, negative = attractive),
            ``contact_distance_nm``, ``B2_star`` (reduced second virial coefficient) and the
            pair-thermodynamics ``regime`` (``dispersed``, ``crystallising``, ``arrested``)
            from the thresholds above. For non-spherical bodies the regime uses the same
            thresholds and is indicative only.
        """
        if self.site_potential is not None:
            from mesocrystal.model.platelets import pair_report

            return pair_report(self)
        t = self.reference_type
        shape = self.shapes[t]
        if self.single_particle:
            on, off = self._reference_pair()
            energy, distance = on.minimum
            b2 = table_second_virial(on, self.kT) / table_second_virial(off, self.kT)
        else:
            energy, distance = face_contact_energy(shape, self.potential)
            n = (60, 200) if accurate else (30, 60)
            b2 = reduced_second_virial(
                shape, self.potential, self.kT, n_shells=n[0], n_orientations=n[1], seed=7
            )
        contact_kT = energy / self.kT
        if b2 > B2_DISPERSED:
            regime = "dispersed"
        elif -contact_kT >= ARREST_CONTACT_KT:
            regime = "arrested"
        else:
            regime = "crystallising"
        return {
            "face_contact_kT": float(contact_kT),
            "contact_distance_nm": float(distance),
            "B2_star": float(b2),
            "regime": regime,
            "sites_per_body": 1 if self.single_particle else shape.n_sites,
            "sites_per_body_site_model": shape.n_sites,
            "representation": "single particle" if self.single_particle else "rigid sites",
        }

    def initial_state(self, max_attempts: int = 2000) -> BodyState:
        """Random non-overlapping bodies with Maxwell-Boltzmann momenta at kT.

        Random sequential insertion with a cell list: a trial body is rejected when any of its
        sites is closer than one site diameter to a site of an already placed body.

        Parameters
        ----------
        max_attempts : int
            Trial insertions allowed per body before giving up.

        Returns
        -------
        BodyState
            State at step 0.

        Raises
        ------
        RuntimeError
            When the packing fraction is too high for random insertion.
        """
        rng = np.random.default_rng([self.params.seed, 1])
        n = self.params.N
        box = np.full(3, self.box_length)
        radius = np.array([0.5 * s.circumsphere_diameter for s in self.shapes])
        cell = 2.0 * radius.max()
        ncell = max(1, int(self.box_length // cell))
        cells: dict[tuple, list[int]] = {}
        pos = np.zeros((n, 3))
        quat = np.zeros((n, 4))
        world_sites: list[np.ndarray | None] = [None] * n  # placed bodies' sites [nm]
        dmin2 = (0.999 * self.potential.site_diameter) ** 2
        # Insert large bodies first: they are the hardest to place.
        order = np.argsort(-radius[self.typeid], kind="stable")
        for count, i in enumerate(order):
            shape = self.shapes[self.typeid[i]]
            for _attempt in range(max_attempts):
                p = (rng.random(3) - 0.5) * box
                q = random_quaternions(rng, 1)[0]
                c = tuple(((p + 0.5 * box) / box * ncell).astype(int) % ncell)
                if ncell >= 3:
                    neigh = [
                        j
                        for dx in (-1, 0, 1)
                        for dy in (-1, 0, 1)
                        for dz in (-1, 0, 1)
                        for j in cells.get(
                            ((c[0] + dx) % ncell, (c[1] + dy) % ncell, (c[2] + dz) % ncell), ()
                        )
                    ]
                else:
                    neigh = list(order[:count])
                ok = True
                if neigh:
                    neigh = np.asarray(neigh)
                    d = minimum_image(pos[neigh] - p, box)
                    close = (d * d).sum(1) < (
                        radius[self.typeid[i]] + radius[self.typeid[neigh]]
                    ) ** 2
                    if close.any() and self.single_particle:
                        ok = False  # envelopes overlap
                    elif close.any():
                        mine = rowan.rotate(q, shape.sites)
                        for j, dj in zip(neigh[close], d[close]):
                            other = world_sites[j] + dj
                            diff = mine[:, None, :] - other[None, :, :]
                            if ((diff * diff).sum(-1) < dmin2).any():
                                ok = False
                                break
                if ok:
                    break
            else:
                raise RuntimeError(
                    f"could not place body {count + 1} of {n} after {max_attempts} random "
                    f"trials: packing fraction {self.params.packing_fraction} is too high for "
                    "random insertion of this shape; lower packing_fraction"
                )
            pos[i], quat[i] = p, q
            cells.setdefault(c, []).append(i)
            world_sites[i] = rowan.rotate(q, shape.sites)
        mass = self.mass
        inertia = self.moment_inertia
        vel = rng.normal(size=(n, 3)) * np.sqrt(self.kT / mass)[:, None]
        vel -= (mass[:, None] * vel).sum(0) / mass.sum()
        angmom = rng.normal(size=(n, 3)) * np.sqrt(self.kT * inertia)
        if self.single_particle:  # no rotational degrees of freedom
            quat = np.tile([1.0, 0.0, 0.0, 0.0], (n, 1))
            angmom = np.zeros((n, 3))
        return BodyState(
            step=0,
            box=box,
            position=pos,
            image=np.zeros((n, 3), dtype=np.int64),
            orientation=quat,
            velocity=vel,
            angmom=angmom,
            typeid=self.typeid.copy(),
        )


def table_second_virial(f, kT: float) -> float:
    """:math:`B_2 = -2\\pi\\int (e^{-w/k_BT}-1) r^2 dr` of a tabulated pair potential [nm^3].

    Inside the table's inner end the Mayer function is -1 (the ramp is far above kT there).
    """
    mayer = np.expm1(-np.minimum(f.energy / kT, 700.0))
    r = f.r
    inner = 2.0 * np.pi * r[0] ** 3 / 3.0
    return float(inner - 2.0 * np.pi * trapezoid(mayer * r * r, r))


def reaction_classes(params: ModelParameters) -> tuple:
    """Parent and product size classes of a reaction model.

    Returns
    -------
    parent_cores : numpy.ndarray
        Parent core diameters [nm] (log-normal classes of the parent distribution).
    parent_counts : numpy.ndarray
        Parents per class (sums to ``params.N``).
    product_cores : numpy.ndarray
        Product core diameters [nm]: classes whose *contact* diameters (core + shell) have
        the effective coefficient of variation of the product (``params.polydispersity``).
    product_weights : numpy.ndarray
        Probability of each product class.
    """
    env = params.environment
    mean_p, std_p = env["parent_core_nm"]
    p_scales, p_counts = size_classes(std_p / mean_p, params.N, N_PARENT_CLASSES)
    mean_r = env["product_core_nm"][0]
    contact = mean_r + params.shell_nm
    r_scales, r_counts = size_classes(params.polydispersity, 10_000)
    return (
        mean_p * p_scales,
        p_counts,
        contact * r_scales - params.shell_nm,
        r_counts / r_counts.sum(),
    )


def build_model(params: ModelParameters, table_cache: str | None = None) -> Model:
    """Build the model system of a state point.

    Parameters
    ----------
    params : ModelParameters
        Resolved parameters (see :func:`mesocrystal.model.parameters.resolve`).
    table_cache : str, optional
        Directory for cached pair tables (single-particle models).

    Returns
    -------
    Model
    """
    if params.platelet is not None:
        from mesocrystal.model.platelets import platelet_model_fields

        return Model(**platelet_model_fields(params, table_cache))
    kT = params.kT
    potential = SitePotential(
        site_diameter=params.site_diameter_nm,
        attraction_range=params.attraction_range_nm,
        epsilon=params.epsilon_kT * kT,
        epsilon_core=kT,
    )
    rng = np.random.default_rng([params.seed, 0])
    if params.reaction is not None:
        parent_cores, parent_counts, product_cores, weights = reaction_classes(params)
        shapes = [shape_for(params, d / params.core_dimensions_nm[0]) for d in parent_cores]
        shapes += [shape_for(params, d / params.core_dimensions_nm[0]) for d in product_cores]
        n_par = len(parent_cores)
        names = [f"Ag{k}" for k in range(n_par)] + [f"AgAu{k}" for k in range(len(product_cores))]
        attractive = [False] * n_par + [True] * len(product_cores)
        typeid = rng.permutation(np.repeat(np.arange(n_par), parent_counts)).astype(np.int64)
        # The box is a fixed volume of the reaction mixture in which the parents fill
        # packing_fraction (= packing_fraction_ref x concentration).
        parent_volume = float(np.dot(parent_counts, [s.envelope_volume for s in shapes[:n_par]]))
        volume = parent_volume / params.packing_fraction
        reaction = Reaction(
            rate_per_tau=params.reaction["rate_per_tau"],
            parent_types=tuple(range(n_par)),
            product_types=tuple(range(n_par, len(shapes))),
            product_weights=tuple(float(w) for w in weights),
            start_step=params.randomize_steps,
            dt=params.dt,
            seed=params.seed,
        )
        return Model(
            params=params,
            shapes=shapes,
            typeid=typeid,
            potential=potential,
            box_length=volume ** (1.0 / 3.0),
            names=names,
            attractive=attractive,
            reaction=reaction,
            exchange=ClassExchange(
                rate_per_tau=params.exchange_rate,
                types=reaction.product_types,
                start_step=params.randomize_steps,
                dt=params.dt,
                kT=params.kT,
                seed=params.seed,
            )
            if params.exchange_rate > 0
            else None,
            table_cache=table_cache,
        )
    scales, counts = size_classes(params.polydispersity, params.N)
    shapes = [shape_for(params, s) for s in scales]
    typeid = rng.permutation(np.repeat(np.arange(len(scales)), counts)).astype(np.int64)
    volume = sum(c * s.envelope_volume for c, s in zip(counts, shapes))
    return Model(
        params=params,
        shapes=shapes,
        typeid=typeid,
        potential=potential,
        box_length=(volume / params.packing_fraction) ** (1.0 / 3.0),
        table_cache=table_cache,
    )
