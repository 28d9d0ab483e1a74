"""Reduced units of the model and their mapping to SI, nm, kT and degrees Celsius.

Every number that enters a simulation is in these reduced units; this module is the
single place where they are defined.

========  =====================================  ==========================================
quantity  reduced unit                           physical value
========  =====================================  ==========================================
length    :math:`\\ell` = 1 nm                    1e-9 m (positions in GSD files are in nm)
energy    :math:`k_B T_\\mathrm{ref}`             k_B x 298.15 K = 4.116e-21 J
mass      :math:`M_\\mathrm{ref}`                 metal mass of a 3.5 nm AgAu core (2.99e-22 kg)
time      :math:`\\tau = \\ell\\sqrt{M/(k_BT)}`     0.270 ns (inertial time unit)
========  =====================================  ==========================================

A state point at temperature ``T`` runs at the reduced temperature ``kT = T / T_ref``;
attraction strengths given "in kT" (``epsilon_kT``) are multiplied by that ``kT`` before
they reach an engine, so they keep their meaning in units of the thermal energy.

The inertial time unit is not the time a physical particle takes to move: the simulated
Langevin friction is lower than the solvent's Stokes friction so that the simulation samples
configurations faster (statics do not depend on the friction). Simulated time maps to
physical time by matching the long-time diffusion coefficient, see
:func:`mesocrystal.model.conditions.physical_time_per_tau`.
"""

from __future__ import annotations

import math

#: Boltzmann constant [J/K]; exact since the 2019 SI redefinition (CODATA 2018).
K_B = 1.380649e-23
#: Avogadro constant [1/mol]; exact since the 2019 SI redefinition (CODATA 2018).
N_A = 6.02214076e23
#: Molar gas constant [J/(mol K)].
R_GAS = K_B * N_A
#: Offset between degrees Celsius and kelvin (exact, SI).
ZERO_CELSIUS_K = 273.15
#: Reference temperature that defines the energy unit [K] (25 degrees C).
T_REF_K = 298.15

#: Length unit [m].
LENGTH_M = 1e-9

# --- mass unit: the metal core of the reference AgAu@PET particle -------------------------
#: Reference core diameter [nm]: AgAu@PET cores 3.5 +/- 0.5 nm (Bose et al., Nanoscale 2025,
#: 17, 803).
REFERENCE_CORE_DIAMETER_NM = 3.5
#: Atomic fraction of Ag among the metal atoms: EDS gives Ag 57 at.%, Au 27 at.% (S 16 at.%)
#: in the reacted particles (Bose et al. 2025, Fig. S4).
X_AG = 57.0 / (57.0 + 27.0)
#: Molar masses [g/mol] (IUPAC standard atomic weights 2021).
M_AG, M_AU = 107.8682, 196.96657
#: Bulk densities [g/cm^3] at 20 C (CRC Handbook of Chemistry and Physics, 97th ed.).
RHO_AG, RHO_AU = 10.49, 19.30


def alloy_density_g_cm3(x_ag: float = X_AG) -> float:
    """Density of an Ag-Au alloy assuming ideal mixing of molar volumes (Vegard-like).

    Ag and Au have nearly identical atomic volumes (10.28 vs 10.21 cm^3/mol), so the error of
    the ideal-mixing assumption is below 1 %.

    Parameters
    ----------
    x_ag : float
        Atomic fraction of silver, 0 to 1.

    Returns
    -------
    float
        Density [g/cm^3].
    """
    mass = x_ag * M_AG + (1.0 - x_ag) * M_AU
    volume = x_ag * M_AG / RHO_AG + (1.0 - x_ag) * M_AU / RHO_AU
    return mass / volume


#: Density of the AgAu core [kg/m^3].
CORE_DENSITY_KG_M3 = alloy_density_g_cm3() * 1e3
#: Mass unit [kg]: the metal mass of a sphere of the reference core diameter. The ligand
#: shell's mass (about 10 % of a 3.5 nm particle) is neglected.
MASS_KG = CORE_DENSITY_KG_M3 * math.pi / 6.0 * (REFERENCE_CORE_DIAMETER_NM * LENGTH_M) ** 3
#: Energy unit [J].
ENERGY_J = K_B * T_REF_K
#: Inertial time unit [s].
TIME_S = LENGTH_M * math.sqrt(MASS_KG / ENERGY_J)


def celsius_to_kelvin(temperature_C: float) -> float:
    """Convert degrees Celsius to kelvin."""
    return temperature_C + ZERO_CELSIUS_K


def reduced_kT(temperature_C: float) -> float:
    """Thermal energy at ``temperature_C`` in the reduced energy unit :math:`k_B T_{ref}`."""
    return celsius_to_kelvin(temperature_C) / T_REF_K


def core_mass(volume_nm3: float) -> float:
    """Reduced mass of a metal core of the given volume [nm^3]."""
    return CORE_DENSITY_KG_M3 * volume_nm3 * LENGTH_M**3 / MASS_KG
