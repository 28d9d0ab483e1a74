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
2. **Reaction extent** :math:`\\xi`: the AgAu@PET particles are the product of an
   interparticle reaction between Ag@PET particles and [Au25(PET)18]^- clusters. Assembly
   happened in toluene at 45 C (about 100 days) and in dichloromethane at room temperature
   (about 50 days) but "nearly no change" was seen in toluene at room temperature. The model
   takes first-order kinetics over the observation window :math:`t_\\mathrm{obs}`,
   :math:`\\xi = 1 - \\exp(-t_\\mathrm{obs}/\\tau_\\mathrm{rxn})`, with an Arrhenius
   temperature dependence of :math:`\\tau_\\mathrm{rxn}` and a solvent-dependent reaction time
   at 25 C (faster in the more polar solvent, which stabilises the charged cluster).
3. **Size distribution**: a fraction :math:`\\xi` of particles are reacted AgAu cores
   (3.5 +/- 0.5 nm), the rest parent Ag cores (4.4 +/- 2.3 nm); the model uses the mean and
   coefficient of variation of that mixture.
4. **Attraction strength** of two attractive sites, in kT:

   .. math:: \\varepsilon/k_BT = \\xi\\,(T_\\mathrm{ref}/T)\\,[\\varepsilon_L + b_\\chi\\,\\chi(T)]

   where :math:`\\varepsilon_L` is the ligand-ligand attraction of reacted particles in an
   ideal solvent (an energy, hence the :math:`T_\\mathrm{ref}/T`) and :math:`\\chi` is the
   Flory-Huggins parameter between the PET ligand and the solvent from Hansen solubility
   parameters (Lindvig, Michelsen, Kontogeorgis, Fluid Phase Equilib. 203, 247 (2002)):

   .. math:: \\chi = \\alpha\\,\\frac{V_s}{RT}\\,[(\\delta_D^s-\\delta_D^L)^2
             + \\tfrac14(\\delta_P^s-\\delta_P^L)^2 + \\tfrac14(\\delta_H^s-\\delta_H^L)^2],
             \\quad \\alpha = 0.6.

   A poorer solvent for the ligand (larger :math:`\\chi`) expels solvent from between the
   shells and strengthens the ligand-mediated attraction. Unreacted particles (:math:`\\xi=0`)
   are sterically stabilised.
5. **Concentration** (relative to the paper's reaction mixture, 1.0) sets the packing
   fraction of the simulated region: :math:`\\phi = \\phi_\\mathrm{ref}\\,c`.
6. **Viscosity** sets the Langevin friction (damping time inversely proportional to the
   viscosity, 1 tau in toluene at 25 C) and the mapping of simulated to physical time
   (:func:`physical_time_per_tau`).
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
    reaction_time_days : float
        Time constant of the particle-forming reaction at 25 C [days] (*calibrated*).
    """

    hansen: tuple[float, float, float]
    molar_volume: float
    viscosity_mPas: tuple[float, float]
    melting_C: float
    boiling_C: float
    reaction_time_days: float


#: Solvents. Hansen parameters and molar volumes: C. M. Hansen, Hansen Solubility Parameters:
#: A User's Handbook, 2nd ed. (CRC Press, 2007), Table A.1 (also SCIENCE.md). Viscosities,
#: melting and boiling points: CRC Handbook of Chemistry and Physics, 97th ed., "Viscosity of
#: liquids" and "Physical constants of organic compounds". Reaction times: *calibrated* so
#: that toluene at 25 C reacts little within the observation window and dichloromethane
#: completes (Bose et al. 2025: "nearly no change" vs. precipitation in ~50 days).
SOLVENTS: dict[str, Solvent] = {
    "toluene": Solvent(
        hansen=(18.0, 1.4, 2.0),
        molar_volume=106.8,
        viscosity_mPas=(0.778, 0.560),
        melting_C=-95.0,
        boiling_C=110.6,
        reaction_time_days=1000.0,
    ),
    "dichloromethane": Solvent(
        hansen=(18.2, 6.3, 6.1),
        molar_volume=63.9,
        viscosity_mPas=(0.533, 0.413),
        melting_C=-96.7,
        boiling_C=39.6,
        reaction_time_days=10.0,
    ),
}

#: Hansen parameters of the surface-bound 2-phenylethanethiolate ligand [MPa^1/2]: group
#: contribution estimate (Hoftyzer-Van Krevelen method, D. W. van Krevelen & K. te Nijenhuis,
#: Properties of Polymers, 4th ed., Elsevier 2009, ch. 7) from phenyl + 2 CH2 + S with the
#: molar volume of 2-phenylethanethiol (138.2 g/mol / 1.032 g/cm^3 = 134 cm^3/mol):
#: delta_D = (1430 + 2*270 + 440)/134 = 18.0, delta_P = 110/134 = 0.8, delta_H ~ 0 (the
#: thiol hydrogen is lost on binding). No tabulated value exists (SCIENCE.md).
LIGAND = {"name": "PET", "hansen": (18.0, 0.8, 0.0)}

#: Coefficients of the mapping.
MAPPING = {
    # Lindvig et al. 2002 correction factor for chi from Hansen parameters.
    "hansen_alpha": 0.6,
    # Observation window [days]: mesocrystallisation took ~100 days (Bose et al. 2025).
    "observation_days": 100.0,
    # Activation energy of the particle-forming reaction [kJ/mol] (*calibrated*: toluene
    # reacts ~10 % at 25 C and ~99 % at 45 C within the window).
    "activation_energy_kJmol": 150.0,
    # Ligand-ligand site attraction of reacted particles in an ideal solvent [kT_ref]
    # (*calibrated*: toluene at 45 C lands in the crystallisation window of B2*).
    "epsilon_ligand": 0.26,
    # Increase of the site attraction per unit chi [kT_ref] (*calibrated*: dichloromethane at
    # 25 C lands beyond the arrest threshold, contact energy >~ 5 kT).
    "epsilon_per_chi": 0.72,
    # Packing fraction of the simulated region at the paper's concentration (model choice:
    # the simulation box represents a region where particles meet, not the bulk solution).
    "packing_fraction_ref": 0.10,
    # Langevin damping time in toluene at 25 C [tau] (model choice; statics do not depend
    # on it, dynamics are mapped through physical_time_per_tau).
    "damping_time_ref": 1.0,
    "damping_solvent_ref": "toluene",
    # Core size distributions [nm] (Bose et al. 2025): reacted AgAu@PET and parent Ag@PET.
    "product_core_nm": (3.5, 0.5),
    "parent_core_nm": (4.4, 2.3),
}


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


def reaction_extent(solvent: str, temperature_C: float) -> float:
    """Fraction of particles converted to AgAu@PET within the observation window."""
    ea = MAPPING["activation_energy_kJmol"] * 1e3
    t = units.celsius_to_kelvin(temperature_C)
    tau = SOLVENTS[solvent].reaction_time_days * math.exp(
        ea / units.R_GAS * (1.0 / t - 1.0 / units.T_REF_K)
    )
    return -math.expm1(-MAPPING["observation_days"] / tau)


def core_size_distribution(extent: float) -> tuple[float, float]:
    """Mean core diameter [nm] and coefficient of variation of the product/parent mixture."""
    (m1, s1), (m2, s2) = MAPPING["product_core_nm"], MAPPING["parent_core_nm"]
    mean = extent * m1 + (1.0 - extent) * m2
    second = extent * (s1 * s1 + m1 * m1) + (1.0 - extent) * (s2 * s2 + m2 * m2)
    return mean, math.sqrt(max(second - mean * mean, 0.0)) / mean


def epsilon_kT(solvent: str, temperature_C: float) -> float:
    """Attraction of two attractive sites in units of the state point's kT."""
    xi = reaction_extent(solvent, temperature_C)
    chi = flory_huggins_chi(solvent, temperature_C)
    t_ratio = units.T_REF_K / units.celsius_to_kelvin(temperature_C)
    return xi * t_ratio * (MAPPING["epsilon_ligand"] + MAPPING["epsilon_per_chi"] * chi)


def damping_time(solvent: str, temperature_C: float) -> float:
    """Langevin damping time [tau], inversely proportional to the solvent viscosity."""
    ref = viscosity(MAPPING["damping_solvent_ref"], 25.0)
    return MAPPING["damping_time_ref"] * ref / viscosity(solvent, temperature_C)


def physical_time_per_tau(
    solvent: str, temperature_C: float, hydrodynamic_diameter_nm: float, damping: float
) -> float:
    """Physical time [s] that one simulated time unit represents.

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
class Microenvironment:
    """Model parameters derived from a microenvironment (all in model units)."""

    solvent: str
    temperature_C: float
    concentration: float
    kT: float
    chi: float
    reaction_extent: float
    epsilon_kT: float
    core_diameter_nm: float
    polydispersity: float
    packing_fraction: float
    damping_time: float
    viscosity_mPas: float


def map_microenvironment(
    solvent: str, temperature_C: float, concentration: float
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
    """
    xi = reaction_extent(solvent, temperature_C)
    mean, cv = core_size_distribution(xi)
    return Microenvironment(
        solvent=solvent,
        temperature_C=float(temperature_C),
        concentration=float(concentration),
        kT=units.reduced_kT(temperature_C),
        chi=flory_huggins_chi(solvent, temperature_C),
        reaction_extent=xi,
        epsilon_kT=epsilon_kT(solvent, temperature_C),
        core_diameter_nm=mean,
        polydispersity=cv,
        packing_fraction=MAPPING["packing_fraction_ref"] * concentration,
        damping_time=damping_time(solvent, temperature_C),
        viscosity_mPas=viscosity(solvent, temperature_C),
    )
