"""From the reaction microenvironment (solvent, temperature, concentration) to model parameters.

This is the one documented, adjustable mapping of the model. Every coefficient sits in
:data:`SOLVENTS`, :data:`LIGAND` or :data:`MAPPING` with its source; coefficients marked
*calibrated* are model hypotheses fitted to the three outcomes of the seed paper (Bose et al.,
Nanoscale 2025, 17, 803), not measured quantities. Ligand-shell effects dominate the
interactions of small cores and are set by ligand ordering, not by solubility parameters alone
(Kister et al., ACS Nano 12, 5969 (2018); Monego et al. 2019, 2023), so treat
``epsilon_kT(solvent, T)`` as a hypothesis to vary, not a derived certainty.

The mapping, step by step:

1. **Temperature** sets the thermal energy: ``kT = T / 298.15 K`` in the model's energy unit.
2. **The reaction runs during the simulation.** Parent Ag@PET particles (cores 4.4 +/- 2.3 nm,
   sterically stabilised: steric repulsion only) convert one by one into product AgAu@PET
   particles (cores 3.5 +/- 0.5 nm) that carry the ligand-mediated attraction. The reaction
   between the Ag@PET particles and the [Au25(PET)18]^- clusters is taken as first order in
   the unreacted particles, with half-time :math:`t_{1/2}(s, T)` [days]: a solvent-dependent
   value at 25 C and an Arrhenius temperature dependence,
   :math:`t_{1/2}(s,T) = t_{1/2}(s,25\\,C)\\,\\exp[E_a/R\\,(1/T - 1/T_\\mathrm{ref})]`.
   Days cannot be simulated; :func:`reaction_kinetics` maps them onto simulated time with one
   time-scale-separation parameter :math:`S` (see there). Nothing about the reaction is folded
   into the attraction or the size distribution any more: both follow from which particles
   have converted at each moment of the run.
3. **Size distributions**: the parent and product core diameters (Bose et al. 2025); the
   product's *effective* contact-diameter spread is reduced by the compressible ligand shell
   (:func:`effective_product_cv`, ``docs/mechanism.md``).
4. **Attraction strength** of two attractive sites of *product* particles, in kT:

   .. math:: \\varepsilon/k_BT = (T_\\mathrm{ref}/T)\\,[\\varepsilon_L + b_\\chi\\,\\chi(T)]

   where :math:`\\varepsilon_L` is the ligand-ligand attraction in an ideal solvent (an
   energy, hence the :math:`T_\\mathrm{ref}/T`) and :math:`\\chi` is the Flory-Huggins
   parameter between the PET ligand and the solvent from Hansen solubility parameters
   (Lindvig, Michelsen, Kontogeorgis, Fluid Phase Equilib. 203, 247 (2002)):

   .. math:: \\chi = \\alpha\\,\\frac{V_s}{RT}\\,[(\\delta_D^s-\\delta_D^L)^2
             + \\tfrac14(\\delta_P^s-\\delta_P^L)^2 + \\tfrac14(\\delta_H^s-\\delta_H^L)^2],
             \\quad \\alpha = 0.6.

   A poorer solvent for the ligand (larger :math:`\\chi`) expels solvent from between the
   shells and strengthens the ligand-mediated attraction. Parent particles do not attract.
5. **Concentration** (relative to the paper's reaction mixture, 1.0): the simulation box is a
   fixed volume of the reaction mixture in which the parent particles at the paper's
   concentration fill the packing fraction :math:`\\phi_\\mathrm{ref}`; a state point at
   relative concentration :math:`c` holds :math:`c` times as many particles in the same volume.
6. **Viscosity** sets the Langevin friction (damping time inversely proportional to the
   viscosity, 1 tau in toluene at 25 C) and the mapping of simulated to physical time for
   diffusion (:func:`physical_time_per_tau`).

Calibrated coefficients (:data:`CALIBRATED`) can be overridden per state point (field
``coefficients``) within the ranges given there, for sensitivity studies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mesocrystal import units


@dataclass(frozen=True)
class Solvent:
    """Properties of a solvent used by the mapping.

    Attributes
    ----------
    hansen : tuple of float
        Hansen solubility parameters (dispersion, polar, hydrogen bonding) [MPa^1/2].
    molar_volume : float
        Molar volume [cm^3/mol].
    viscosity_mPas : tuple of (float, float)
        Dynamic viscosity [mPa s] at (0 C, 25 C); interpolated with Andrade's law.
    melting_C, boiling_C : float
        Melting and normal boiling points [C]: the allowed temperature range.
    """

    hansen: tuple[float, float, float]
    molar_volume: float
    viscosity_mPas: tuple[float, float]
    melting_C: float
    boiling_C: float


#: Solvents. Hansen parameters and molar volumes: C. M. Hansen, Hansen Solubility Parameters:
#: A User's Handbook, 2nd ed. (CRC Press, 2007), Table A.1. Viscosities, melting and boiling
#: points: CRC Handbook of Chemistry and Physics, 97th ed., "Viscosity of liquids" and
#: "Physical constants of organic compounds".
SOLVENTS: dict[str, Solvent] = {
    "toluene": Solvent(
        hansen=(18.0, 1.4, 2.0),
        molar_volume=106.8,
        viscosity_mPas=(0.778, 0.560),
        melting_C=-95.0,
        boiling_C=110.6,
    ),
    "dichloromethane": Solvent(
        hansen=(18.2, 6.3, 6.1),
        molar_volume=63.9,
        viscosity_mPas=(0.533, 0.413),
        melting_C=-96.7,
        boiling_C=39.6,
    ),
}

#: Hansen parameters of the surface-bound 2-phenylethanethiolate ligand [MPa^1/2]: group
#: contribution estimate (Hoftyzer-Van Krevelen method, D. W. van Krevelen & K. te Nijenhuis,
#: Properties of Polymers, 4th ed., Elsevier 2009, ch. 7) from phenyl + 2 CH2 + S with the
#: molar volume of 2-phenylethanethiol (138.2 g/mol / 1.032 g/cm^3 = 134 cm^3/mol):
#: delta_D = (1430 + 2*270 + 440)/134 = 18.0, delta_P = 110/134 = 0.8, delta_H ~ 0 (the
#: thiol hydrogen is lost on binding). No tabulated value exists.
LIGAND = {"name": "PET", "hansen": (18.0, 0.8, 0.0)}

#: Coefficients of the mapping (sourced values and model choices; calibrated ones are listed
#: again in :data:`CALIBRATED` with what they were fitted to).
MAPPING = {
    # Lindvig et al. 2002 correction factor for chi from Hansen parameters.
    "hansen_alpha": 0.6,
    # Half-time of the particle-forming reaction at 25 C [days] per solvent (*calibrated*).
    "half_time_toluene_25C_days": 4500.0,
    "half_time_dichloromethane_25C_days": 50.0,
    # Activation energy of the particle-forming reaction [kJ/mol] (*calibrated*).
    "activation_energy_kJmol": 150.0,
    # Ligand-ligand site attraction of product particles in an ideal solvent [kT_ref]
    # (*calibrated*).
    "epsilon_ligand": 0.26,
    # Increase of the site attraction per unit chi [kT_ref] (*calibrated*).
    "epsilon_per_chi": 0.72,
    # Packing fraction of the parent suspension at the paper's concentration (model choice:
    # the simulation box is a region of the mixture where particles meet). The products of
    # the one-to-one conversion fill about 0.36 of that (smaller cores).
    "packing_fraction_ref": 0.10,
    # Langevin damping time in toluene at 25 C [tau] (model choice; statics do not depend
    # on it, dynamics are mapped through physical_time_per_tau).
    "damping_time_ref": 1.0,
    "damping_solvent_ref": "toluene",
    # Core size distributions, mean and standard deviation [nm] (Bose et al. 2025, TEM):
    # reacted AgAu@PET and parent Ag@PET.
    "product_core_nm": (3.5, 0.5),
    "parent_core_nm": (4.4, 2.3),
    # Physical time that the time-scale-separation parameter S refers to [days]: S is the
    # number of product diffusion times tau_D that 100 days of reaction last in the run.
    "time_unit_days": 100.0,
}

#: Calibrated coefficients: allowed override range (a factor 3 either way of the default is
#: far beyond any plausible value) and what the default was fitted to.
CALIBRATED: dict[str, tuple[float, float, str]] = {
    "half_time_toluene_25C_days": (
        100.0,
        1e5,
        "with the activation energy: half-time 100 days in toluene at 45 C (mesocrystals "
        "after ~100 days) and 'nearly no change' at 25 C (Bose et al. 2025)",
    ),
    "half_time_dichloromethane_25C_days": (
        5.0,
        500.0,
        "precipitation after ~50 days in dichloromethane at room temperature (Bose et al. 2025)",
    ),
    "activation_energy_kJmol": (
        30.0,
        300.0,
        "with the toluene half-time: a >40-fold slower reaction at 25 C than at 45 C",
    ),
    "epsilon_ligand": (
        0.05,
        1.0,
        "contact attraction of product pairs in toluene at 45 C inside the crystallisation "
        "window of short-range attraction (B2* below -1.5, contact below ~5 kT)",
    ),
    "epsilon_per_chi": (
        0.1,
        3.0,
        "contact attraction of product pairs in dichloromethane at 25 C beyond the arrest "
        "threshold of short-range attraction (contact >~ 5 kT)",
    ),
    "packing_fraction_ref": (
        0.02,
        0.3,
        "model choice: packing fraction of the parent suspension in the region simulated",
    ),
}


def coefficient(name: str, overrides: dict | None = None) -> float:
    """A coefficient of :data:`MAPPING`, or its override from a state point."""
    if overrides and name in overrides:
        return float(overrides[name])
    return MAPPING[name]


def viscosity(solvent: str, temperature_C: float) -> float:
    """Dynamic viscosity [mPa s] from Andrade's law fitted through the tabulated points.

    :math:`\\ln\\eta = A + B/T` through the values at 0 C and 25 C.
    """
    eta0, eta25 = SOLVENTS[solvent].viscosity_mPas
    t0, t25 = units.celsius_to_kelvin(0.0), units.celsius_to_kelvin(25.0)
    b = math.log(eta0 / eta25) / (1.0 / t0 - 1.0 / t25)
    a = math.log(eta25) - b / t25
    return math.exp(a + b / units.celsius_to_kelvin(temperature_C))


def flory_huggins_chi(solvent: str, temperature_C: float) -> float:
    """Ligand-solvent interaction parameter from Hansen parameters (Lindvig et al. 2002)."""
    s = SOLVENTS[solvent]
    dd, dp, dh = (a - b for a, b in zip(s.hansen, LIGAND["hansen"]))
    distance2 = dd * dd + 0.25 * dp * dp + 0.25 * dh * dh  # MPa = J/cm^3
    rt = units.R_GAS * units.celsius_to_kelvin(temperature_C)  # J/mol
    return MAPPING["hansen_alpha"] * s.molar_volume * distance2 / rt


def reaction_half_time_days(
    solvent: str, temperature_C: float, overrides: dict | None = None
) -> float:
    """Half-time of the first-order particle-forming reaction [days] (Arrhenius in T)."""
    ea = coefficient("activation_energy_kJmol", overrides) * 1e3
    t = units.celsius_to_kelvin(temperature_C)
    t25 = coefficient(f"half_time_{solvent}_25C_days", overrides)
    return t25 * math.exp(ea / units.R_GAS * (1.0 / t - 1.0 / units.T_REF_K))


def effective_product_cv(shell_nm: float) -> float:
    """Coefficient of variation of the product's effective contact diameter.

    The core spread (0.5/3.5 = 0.14) scaled by core/(core + 2 shell): the compressible PET
    shells take up part of the size mismatch between neighbours, so the spread of the
    interaction diameter is the spread of the core *size difference* relative to the whole
    particle, core + 2 shells (``docs/mechanism.md``).
    """
    mean, std = MAPPING["product_core_nm"]
    return std / (mean + 2.0 * shell_nm)


def epsilon_kT(solvent: str, temperature_C: float, overrides: dict | None = None) -> float:
    """Attraction of two attractive sites of product particles, in units of the state's kT."""
    chi = flory_huggins_chi(solvent, temperature_C)
    t_ratio = units.T_REF_K / units.celsius_to_kelvin(temperature_C)
    return t_ratio * (
        coefficient("epsilon_ligand", overrides) + coefficient("epsilon_per_chi", overrides) * chi
    )


def damping_time(solvent: str, temperature_C: float) -> float:
    """Langevin damping time [tau], inversely proportional to the solvent viscosity."""
    ref = viscosity(MAPPING["damping_solvent_ref"], 25.0)
    return MAPPING["damping_time_ref"] * ref / viscosity(solvent, temperature_C)


def physical_time_per_tau(
    solvent: str, temperature_C: float, hydrodynamic_diameter_nm: float, damping: float
) -> float:
    """Physical time [s] that one simulated time unit represents for diffusion.

    Matches the long-time diffusion coefficient of a body in the simulation,
    :math:`D_\\mathrm{sim} = k_BT\\,t_\\mathrm{damp}/M`, to the Stokes-Einstein value
    :math:`D = k_BT/(3\\pi\\eta d_h)`.

    Parameters
    ----------
    solvent : str
        Solvent name.
    temperature_C : float
        Temperature [C].
    hydrodynamic_diameter_nm : float
        Hydrodynamic diameter of the reference body [nm] (core + 2 shells).
    damping : float
        Langevin damping time [tau] of a body of unit mass.
    """
    kT_sim = units.reduced_kT(temperature_C)
    d_sim = kT_sim * damping * units.LENGTH_M**2 / units.TIME_S  # m^2/s, unit mass
    eta = viscosity(solvent, temperature_C) * 1e-3
    d_phys = (
        units.K_B
        * units.celsius_to_kelvin(temperature_C)
        / (3.0 * math.pi * eta * hydrodynamic_diameter_nm * units.LENGTH_M)
    )
    return units.TIME_S * d_sim / d_phys


@dataclass(frozen=True)
class ReactionKinetics:
    """The reaction on the simulation's clock (all times in tau unless named otherwise).

    Attributes
    ----------
    half_time_days : float
        Physical half-time of the conversion [days].
    diffusion_time_tau : float
        :math:`\\tau_D = \\sigma^2/(6D)`: time a product particle takes to diffuse its own
        contact diameter :math:`\\sigma` in the simulation, with :math:`D = k_BT\\,t_d/M`.
    time_scale_separation : float
        :math:`S`: 100 days of reaction (:data:`MAPPING` ``time_unit_days``) last
        :math:`S\\,\\tau_D` in the run.
    tau_per_day : float
        Simulated time per physical day of reaction [tau/day] (longer in proportion to
        1/concentration, see :func:`reaction_kinetics`).
    half_time_tau : float
        Simulated half-time [tau].
    rate_per_tau : float
        First-order rate constant :math:`k = \\ln 2 / t_{1/2}` [1/tau].
    """

    half_time_days: float
    diffusion_time_tau: float
    time_scale_separation: float
    tau_per_day: float
    half_time_tau: float
    rate_per_tau: float


def reaction_kinetics(
    solvent: str,
    temperature_C: float,
    time_scale_separation: float,
    contact_diameter_nm: float,
    damping: float,
    overrides: dict | None = None,
    concentration: float = 1.0,
) -> ReactionKinetics:
    """Map the reaction's half-time in days onto the simulation clock.

    Real reactions take days while particles diffuse their own diameter in microseconds
    (:math:`t_{1/2}/\\tau_D \\sim 10^{11}`): a product particle always explores its
    surroundings fully before the next one appears. The simulation keeps that ordering with a
    finite separation: at the paper's concentration 100 days last :math:`S` product diffusion
    times, so every condition's half-time is
    :math:`t_{1/2}^\\mathrm{sim} = S\\,\\tau_D\\,t_{1/2}/(100\\,\\mathrm{d}\\;c)`.
    The factor :math:`1/c` keeps the separation between reaction and *encounters* the same
    at every relative concentration :math:`c`: particles meet at the Smoluchowski rate
    :math:`8\\pi D\\sigma n \\propto c` (M. von Smoluchowski, Z. Phys. Chem. 92, 129 (1917)),
    so at ten-fold dilution each product meets others ten times less often per unit time
    and the reaction is stretched ten-fold to leave it as many encounters per half-time.
    (In the experiment both separations are ~10^11, whatever the dilution.)
    Relative rates between conditions at equal concentration are those of the mapping;
    :math:`S` must be large enough that the outcome no longer depends on it
    (``docs/mechanism.md`` shows the sweep).

    Parameters
    ----------
    solvent, temperature_C
        The microenvironment.
    time_scale_separation : float
        :math:`S`.
    contact_diameter_nm : float
        Mean contact (envelope) diameter of product particles [nm].
    damping : float
        Langevin damping time of a unit-mass particle [tau].
    overrides : dict, optional
        Calibrated-coefficient overrides.
    concentration : float
        Particle concentration relative to the paper's reaction mixture (> 0).
    """
    half_days = reaction_half_time_days(solvent, temperature_C, overrides)
    diffusion = units.reduced_kT(temperature_C) * damping  # D of a unit-mass particle
    tau_d = contact_diameter_nm**2 / (6.0 * diffusion)
    tau_per_day = time_scale_separation * tau_d / (MAPPING["time_unit_days"] * concentration)
    half_tau = half_days * tau_per_day
    return ReactionKinetics(
        half_time_days=half_days,
        diffusion_time_tau=tau_d,
        time_scale_separation=float(time_scale_separation),
        tau_per_day=tau_per_day,
        half_time_tau=half_tau,
        rate_per_tau=math.log(2.0) / half_tau,
    )


@dataclass(frozen=True)
class Microenvironment:
    """Model parameters derived from a microenvironment (all in model units)."""

    solvent: str
    temperature_C: float
    concentration: float
    kT: float
    chi: float
    epsilon_kT: float
    product_core_nm: tuple[float, float]
    parent_core_nm: tuple[float, float]
    product_effective_cv: float
    packing_fraction: float
    damping_time: float
    viscosity_mPas: float
    reaction_half_time_days: float
    coefficients: dict


def map_microenvironment(
    solvent: str,
    temperature_C: float,
    concentration: float,
    shell_nm: float = 0.75,
    overrides: dict | None = None,
) -> Microenvironment:
    """Apply the mapping (inputs must already be validated).

    Parameters
    ----------
    solvent : str
        A key of :data:`SOLVENTS`.
    temperature_C : float
        Temperature [C], between the solvent's melting and boiling points.
    concentration : float
        Particle concentration relative to the paper's reaction mixture.
    shell_nm : float
        Ligand shell thickness [nm].
    overrides : dict, optional
        Calibrated coefficients to replace (:data:`CALIBRATED`).
    """
    return Microenvironment(
        solvent=solvent,
        temperature_C=float(temperature_C),
        concentration=float(concentration),
        kT=units.reduced_kT(temperature_C),
        chi=flory_huggins_chi(solvent, temperature_C),
        epsilon_kT=epsilon_kT(solvent, temperature_C, overrides),
        product_core_nm=tuple(MAPPING["product_core_nm"]),
        parent_core_nm=tuple(MAPPING["parent_core_nm"]),
        product_effective_cv=effective_product_cv(shell_nm),
        packing_fraction=coefficient("packing_fraction_ref", overrides) * concentration,
        damping_time=damping_time(solvent, temperature_C),
        viscosity_mPas=viscosity(solvent, temperature_C),
        reaction_half_time_days=reaction_half_time_days(solvent, temperature_C, overrides),
        coefficients={k: coefficient(k, overrides) for k in CALIBRATED},
    )


def product_volume_fraction(
    concentration: float, shell_nm: float = 0.75, overrides: dict | None = None
) -> float:
    """Volume fraction of the product particles' envelopes once every parent has converted.

    The parents fill :math:`\\phi_\\mathrm{ref}\\,c` (``packing_fraction_ref`` times the relative
    concentration); the one-to-one reaction replaces each by a product, so the products fill
    that times the ratio of the mean envelope volumes,
    :math:`\\langle(d+L)^3\\rangle_\\mathrm{product}/\\langle(d+L)^3\\rangle_\\mathrm{parent}`
    (envelope diameter = core diameter + shell thickness :math:`L`), with the moments of
    log-normal core sizes, :math:`\\langle d^k\\rangle = m^k (1 + v^2)^{k(k-1)/2}` for mean
    :math:`m` and coefficient of variation :math:`v`. The platelet stage is made of these
    particles (``docs/platelets.md``).
    """

    def mean_envelope_cube(mean: float, std: float) -> float:
        v2 = (std / mean) ** 2
        moment = [mean**k * (1.0 + v2) ** (k * (k - 1) / 2) for k in range(4)]
        return sum(math.comb(3, k) * moment[k] * shell_nm ** (3 - k) for k in range(4))

    ratio = mean_envelope_cube(*MAPPING["product_core_nm"]) / mean_envelope_cube(
        *MAPPING["parent_core_nm"]
    )
    return coefficient("packing_fraction_ref", overrides) * concentration * ratio
