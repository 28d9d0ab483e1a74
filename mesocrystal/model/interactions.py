"""Site-site interactions between nanocrystals, and what they mean for pairs of bodies.

Sites of *different* bodies interact through the sum of two terms; sites of the same body
do not interact (rigid-body exclusion).

1. **Steric core** between every pair of sites: Weeks-Chandler-Andersen (WCA), i.e. the
   12-6 Lennard-Jones potential cut at its minimum and shifted to zero there,

   .. math:: U_\\mathrm{WCA}(r) = 4\\varepsilon_c[(\\sigma/r)^{12} - (\\sigma/r)^6]
             + \\varepsilon_c, \\quad r < 2^{1/6}\\sigma = d_s,

   with contact diameter :math:`d_s` (``site_diameter``) and :math:`\\varepsilon_c = k_BT` so
   the core is equally hard at every temperature (Weeks, Chandler, Andersen, J. Chem. Phys.
   54, 5237 (1971)).

2. **Ligand-mediated attraction** between pairs of *attractive* sites only: a Morse well
   with its minimum at contact, cut at :math:`r_c = d_s + \\lambda` and shifted to zero there,

   .. math:: U_\\mathrm{M}(r) = D_0[e^{-2\\alpha(r-d_s)} - 2e^{-\\alpha(r-d_s)}]
             - U_\\mathrm{M}^0(r_c),

   with range :math:`\\lambda` about the ligand-shell thickness (``attraction_range``),
   :math:`\\alpha\\lambda = 4`, and :math:`D_0` scaled so the shifted well depth is exactly
   :math:`\\varepsilon` (``epsilon``).

Both engines evaluate exactly these analytic forms (LAMMPS ``lj/cut`` + ``morse`` through
``pair_style hybrid/overlay``; HOOMD ``md.pair.LJ`` + ``md.pair.Morse``, both with
``mode='shift'``).

Energies are in the reduced energy unit :math:`k_BT_\\mathrm{ref}`, lengths in nm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import rowan

from mesocrystal.model.shapes import SITE_ATTRACTIVE, BodyShape

#: Morse stiffness times range: the unshifted well has decayed to 3.6 % of its depth at the
#: cut-off, so the shift changes the well shape only slightly.
ALPHA_RANGE = 4.0
TWO_SIXTH = 2.0 ** (1.0 / 6.0)
#: Site pairs evaluated at once in :func:`body_pair_energy` (bounds memory use).
_PAIR_CHUNK = 2_000_000


@dataclass(frozen=True)
class SitePotential:
    """Parameters of the site-site potential.

    Attributes
    ----------
    site_diameter : float
        Contact diameter :math:`d_s` of two sites [nm] (WCA cut-off, Morse minimum).
    attraction_range : float
        Range :math:`\\lambda` of the attraction beyond contact [nm].
    epsilon : float
        Well depth of an attractive site pair [reduced energy].
    epsilon_core : float
        WCA energy scale [reduced energy]; the model uses :math:`k_BT`.
    """

    site_diameter: float
    attraction_range: float
    epsilon: float
    epsilon_core: float

    @property
    def wca_sigma(self) -> float:
        """Lennard-Jones sigma of the WCA core [nm]."""
        return self.site_diameter / TWO_SIXTH

    @property
    def wca_rcut(self) -> float:
        """Cut-off of the WCA core [nm]."""
        return self.site_diameter

    @property
    def morse_alpha(self) -> float:
        """Morse stiffness :math:`\\alpha` [1/nm]."""
        return ALPHA_RANGE / self.attraction_range

    @property
    def morse_rcut(self) -> float:
        """Cut-off of the attraction [nm]."""
        return self.site_diameter + self.attraction_range

    @property
    def morse_D0(self) -> float:
        """Unshifted Morse depth giving a shifted well of depth ``epsilon``."""
        return self.epsilon / (1.0 - math.exp(-ALPHA_RANGE)) ** 2

    def with_epsilon(self, epsilon: float) -> SitePotential:
        """A copy with another attraction strength."""
        return SitePotential(self.site_diameter, self.attraction_range, epsilon, self.epsilon_core)

    def energy(self, r: np.ndarray, attractive: np.ndarray | bool = True) -> np.ndarray:
        """Pair energy at distances ``r`` [nm].

        Parameters
        ----------
        r : numpy.ndarray
            Site-site distances [nm], any shape.
        attractive : numpy.ndarray or bool
            Whether each pair is an attractive-attractive pair (broadcast against ``r``).

        Returns
        -------
        numpy.ndarray
            Energies [reduced energy], same shape as ``r``.
        """
        r = np.asarray(r, dtype=float)
        u = np.zeros_like(r)
        core = r < self.wca_rcut
        sr6 = (self.wca_sigma / r[core]) ** 6
        u[core] = 4.0 * self.epsilon_core * (sr6 * sr6 - sr6) + self.epsilon_core
        if self.epsilon != 0.0:
            well = (r < self.morse_rcut) & np.asarray(attractive, dtype=bool)
            u[well] += self._morse(r[well]) - self._morse(self.morse_rcut)
        return u

    def _morse(self, r):
        x = np.exp(-self.morse_alpha * (np.asarray(r) - self.site_diameter))
        return self.morse_D0 * (x * x - 2.0 * x)


def random_quaternions(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` unit quaternions uniformly distributed over SO(3), shape (n, 4).

    Normalised 4-D Gaussian vectors are uniform on the 3-sphere, which is the Haar measure
    on rotations (Shoemake, Graphics Gems III, 1992).
    """
    q = rng.normal(size=(n, 4))
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def body_pair_energy(
    shape_i: BodyShape,
    shape_j: BodyShape,
    potential: SitePotential,
    separation: np.ndarray,
    q_i: np.ndarray,
    q_j: np.ndarray,
) -> np.ndarray:
    """Interaction energy of pairs of bodies (all site pairs summed).

    Parameters
    ----------
    shape_i, shape_j : BodyShape
        Body types.
    potential : SitePotential
        Site-site potential.
    separation : numpy.ndarray, shape (M, 3)
        Centre of j minus centre of i [nm].
    q_i, q_j : numpy.ndarray, shape (M, 4)
        Orientations (quaternions w, x, y, z) of the bodies.

    Returns
    -------
    numpy.ndarray, shape (M,)
        Pair energies [reduced energy].
    """
    separation = np.atleast_2d(separation)
    q_i, q_j = np.atleast_2d(q_i), np.atleast_2d(q_j)
    attractive = (shape_i.site_types[:, None] == SITE_ATTRACTIVE) & (
        shape_j.site_types[None, :] == SITE_ATTRACTIVE
    )
    out = np.empty(len(separation))
    rcut = potential.morse_rcut if potential.epsilon != 0.0 else potential.wca_rcut
    rcut2 = rcut * rcut
    chunk = max(1, _PAIR_CHUNK // (shape_i.n_sites * shape_j.n_sites))
    for start in range(0, len(separation), chunk):
        s = slice(start, start + chunk)
        xi = rowan.rotate(q_i[s, None, :], shape_i.sites[None, :, :])
        xj = rowan.rotate(q_j[s, None, :], shape_j.sites[None, :, :]) + separation[s, None, :]
        r2 = (
            (xi * xi).sum(-1)[:, :, None]
            + (xj * xj).sum(-1)[:, None, :]
            - 2.0 * np.matmul(xi, xj.transpose(0, 2, 1))
        )
        m, a, b = np.nonzero(r2 < rcut2)  # only pairs within range contribute
        e = np.zeros(len(xi))
        np.add.at(e, m, potential.energy(np.sqrt(np.maximum(r2[m, a, b], 1e-12)), attractive[a, b]))
        out[s] = e
    return out


def face_contact_energy(
    shape: BodyShape, potential: SitePotential, n_scan: int = 400
) -> tuple[float, float]:
    """Energy of two identical bodies stacked face to face along body z, at the optimum gap.

    The second body is the first translated along z (faces parallel, sites in register);
    the centre distance is scanned and the minimum energy returned. For spheres this is the
    contact energy along the polar axis.

    Returns
    -------
    energy : float
        Minimum pair energy [reduced energy] (negative when attractive).
    distance : float
        Centre-centre distance at the minimum [nm].
    """
    extent = 2.0 * np.abs(shape.sites[:, 2]).max()
    d0 = extent + 0.8 * potential.site_diameter
    d = np.linspace(d0, extent + potential.morse_rcut, n_scan)
    sep = np.column_stack([np.zeros_like(d), np.zeros_like(d), d])
    q = np.tile([1.0, 0.0, 0.0, 0.0], (len(d), 1))
    e = body_pair_energy(shape, shape, potential, sep, q, q)
    k = int(np.argmin(e))
    return float(e[k]), float(d[k])


def second_virial_coefficient(
    shape: BodyShape,
    potential: SitePotential,
    kT: float,
    *,
    n_shells: int = 60,
    n_orientations: int = 200,
    seed: int = 0,
) -> float:
    """Orientation-averaged second virial coefficient of two identical bodies.

    .. math:: B_2 = -2\\pi\\int_0^\\infty \\langle e^{-U(r,\\Omega)/k_BT} - 1\\rangle_\\Omega r^2 dr

    evaluated on radial shells (midpoint rule) with random relative orientations per shell.
    Inside the smallest possible contact distance the Mayer function is -1 exactly.

    Parameters
    ----------
    shape : BodyShape
        Body type.
    potential : SitePotential
        Site-site potential.
    kT : float
        Thermal energy [reduced energy].
    n_shells, n_orientations : int
        Radial and orientational sampling.
    seed : int
        Seed of the orientation sampling.

    Returns
    -------
    float
        :math:`B_2` [nm^3].
    """
    rng = np.random.default_rng(seed)
    r_site = np.linalg.norm(shape.sites, axis=1)
    r_min = max(0.0, 2.0 * r_site.min() - potential.site_diameter)  # below: always overlapping
    r_max = 2.0 * r_site.max() + potential.morse_rcut
    edges = np.linspace(r_min, r_max, n_shells + 1)
    mids = 0.5 * (edges[1:] + edges[:-1])
    b2 = 2.0 * np.pi * r_min**3 / 3.0  # hard overlap region: -2pi int (-1) r^2 dr
    for k, r in enumerate(mids):
        direction = rng.normal(size=(n_orientations, 3))
        sep = r * direction / np.linalg.norm(direction, axis=1, keepdims=True)
        q_i = random_quaternions(rng, n_orientations)
        q_j = random_quaternions(rng, n_orientations)
        e = body_pair_energy(shape, shape, potential, sep, q_i, q_j)
        mayer = np.expm1(-np.minimum(e / kT, 700.0))
        b2 += -2.0 * np.pi * mayer.mean() * r * r * (edges[k + 1] - edges[k])
    return float(b2)


def reduced_second_virial(shape: BodyShape, potential: SitePotential, kT: float, **kwargs) -> float:
    """:math:`B_2^* = B_2 / B_2^\\mathrm{steric}`, relative to the same bodies without attraction.

    Noro & Frenkel (J. Chem. Phys. 113, 2941 (2000)) showed that short-ranged attractive
    particles with equal :math:`B_2^*` behave alike; the metastable critical point lies near
    :math:`B_2^* \\approx -1.2` to :math:`-1.5`. The same orientation samples are used for both
    integrals so sampling noise largely cancels.
    """
    b2 = second_virial_coefficient(shape, potential, kT, **kwargs)
    b2_steric = second_virial_coefficient(shape, potential.with_epsilon(0.0), kT, **kwargs)
    return b2 / b2_steric
