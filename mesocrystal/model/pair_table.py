"""One particle per isotropic nanocrystal: the site model's orientation-averaged pair potential.

A sphere of surface sites has no orientation that matters for its assembly, yet simulating its
sites costs what ~50 atoms cost per body. Each isotropic body is therefore one particle whose
pair potential is the **potential of mean force between two site bodies averaged over their
orientations** (Boltzmann-weighted, i.e. a free-energy average):

.. math:: w_{ij}(r) = -k_BT \\ln \\left\\langle e^{-U_{ij}(r,\\Omega_i,\\Omega_j)/k_BT}
          \\right\\rangle_{\\Omega_i,\\Omega_j},

where :math:`U_{ij}` is :func:`~mesocrystal.model.interactions.body_pair_energy` (all site
pairs summed). This is the exact pair potential of the orientationally integrated pair: the
second virial coefficient,
:math:`B_2 = -2\\pi\\int\\langle e^{-U/k_BT}-1\\rangle_\\Omega r^2\\,dr`, and the low-density
pair distribution :math:`g(r) = e^{-w(r)/k_BT}` of the single-particle model equal those of
the site model by construction, whereas the plain energy average :math:`\\langle U\\rangle`
counts overlapping orientations with their huge energies and pushes the contact outwards
(see ``docs/mechanism.md``). Beyond the pair level the two models can differ only through
correlations between the orientations of three or more bodies, which are negligible for
spheres whose site corrugation is small compared with kT.

The average is evaluated with one common set of random orientation pairs for every distance,
so :math:`w(r)` is a smooth function of :math:`r` and its derivative (the tabulated force) is
free of sampling noise; the statistical error of :math:`w` is estimated from independent
blocks of orientation pairs. Where the average is dominated by a handful of rare orientations
(:math:`w > ` :data:`W_RELIABLE` kT, deep inside the steric core, never visited at kT) the
table continues as a linear ramp with the slope at the last reliable point.

Lengths in nm, energies in the reduced unit (kT at 298.15 K), forces in energy/nm.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

import numpy as np
import rowan
from scipy.special import logsumexp

from mesocrystal.files import atomic_output
from mesocrystal.model.interactions import SitePotential, random_quaternions
from mesocrystal.model.shapes import BodyShape

#: Beyond this free energy [kT] the orientation average is replaced by a linear ramp.
W_RELIABLE = 25.0
#: Spacing of the distance grid on which the average is evaluated [nm].
GRID_SPACING_NM = 0.008
#: Orientation pairs per type pair (attractive pairs; purely repulsive pairs use half).
N_ORIENTATIONS = 128
#: Independent blocks of orientation pairs for the error estimate.
N_BLOCKS = 8


@dataclass
class PairFunction:
    """Tabulated effective pair potential of one pair of particle types.

    Attributes
    ----------
    r : numpy.ndarray, shape (n,)
        Evenly spaced distances [nm] from ``r[0]`` (inner end of the table) to the cut-off
        ``r[-1]``, where energy and force vanish.
    energy : numpy.ndarray, shape (n,)
        :math:`w(r)` [reduced energy].
    force : numpy.ndarray, shape (n,)
        :math:`-dw/dr` [reduced energy / nm].
    error : numpy.ndarray, shape (n,)
        Standard error of ``energy`` from the orientation sampling (zero on the ramp).
    r_reliable : float
        Smallest distance where the orientation average was used (inside: the ramp) [nm].
    """

    r: np.ndarray
    energy: np.ndarray
    force: np.ndarray
    error: np.ndarray
    r_reliable: float

    @property
    def r_min(self) -> float:
        """Inner end of the table [nm]."""
        return float(self.r[0])

    @property
    def r_cut(self) -> float:
        """Cut-off [nm]."""
        return float(self.r[-1])

    def __call__(self, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Energy and force at distances ``r`` [nm] (zero beyond the cut-off)."""
        r = np.asarray(r, dtype=float)
        inside = r < self.r_cut
        e = np.where(inside, np.interp(r, self.r, self.energy), 0.0)
        f = np.where(inside, np.interp(r, self.r, self.force), 0.0)
        return e, f

    def resample(self, n: int, endpoint: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``n`` evenly spaced points from ``r_min`` to ``r_cut`` (HOOMD: ``endpoint=False``)."""
        r = np.linspace(self.r_min, self.r_cut, n, endpoint=endpoint)
        e, f = self(r)
        if endpoint:
            e[-1] = f[-1] = 0.0
        return r, e, f

    @property
    def minimum(self) -> tuple[float, float]:
        """(energy, distance) of the potential minimum (the contact energy)."""
        k = int(np.argmin(self.energy))
        return float(self.energy[k]), float(self.r[k])


@dataclass
class PairTable:
    """Effective pair potentials of all particle-type pairs, with attraction on and off.

    Attributes
    ----------
    types : list of str
        Particle type names.
    on, off : dict
        ``(i, j) -> PairFunction`` for ``i <= j``: with the ligand attraction (assembly) and
        without it (randomisation stage).
    """

    types: list[str]
    on: dict = field(default_factory=dict)
    off: dict = field(default_factory=dict)

    def get(self, i: int, j: int, attraction: bool = True) -> PairFunction:
        """The pair function of types ``i`` and ``j``."""
        table = self.on if attraction else self.off
        return table[(min(i, j), max(i, j))]

    @property
    def r_cut_max(self) -> float:
        """Largest cut-off of any pair [nm]."""
        return max(f.r_cut for f in self.on.values())

    def save(self, path: str | os.PathLike, key: str) -> None:
        """Write to ``path`` (``.npz``) atomically, tagged with the input ``key``.

        Jobs that share a table may write it at the same time; each writes its own temporary
        file (:func:`mesocrystal.files.atomic_output`) and the last rename wins."""
        arrays = {"key": np.array(key), "types": np.array(self.types)}
        for name, table in (("on", self.on), ("off", self.off)):
            for (i, j), f in table.items():
                arrays[f"{name}_{i}_{j}"] = np.vstack([f.r, f.energy, f.force, f.error])
                arrays[f"{name}_{i}_{j}_rel"] = np.array(f.r_reliable)
        with atomic_output(path) as tmp:
            np.savez(tmp, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike, key: str) -> PairTable | None:
        """Read a table written by :meth:`save`; None if absent, unreadable or stale."""
        try:
            with np.load(path) as data:
                if str(data["key"]) != key:
                    return None
                out = cls(types=[str(t) for t in data["types"]])
                for name in data.files:
                    if name.endswith("_rel") or name in ("key", "types"):
                        continue
                    which, i, j = name.split("_")
                    r, e, f, err = data[name]
                    rel = float(data[f"{name}_rel"])
                    getattr(out, which)[(int(i), int(j))] = PairFunction(r, e, f, err, rel)
                return out
        except (OSError, KeyError, ValueError):
            return None


def site_shell_radius(shape: BodyShape) -> float:
    """Radius of the sphere the sites of a spherical body sit on [nm]."""
    return float(np.linalg.norm(shape.sites, axis=1).max())


def orientation_averaged_potential(
    shape_i: BodyShape,
    shape_j: BodyShape,
    potential: SitePotential,
    kT: float,
    *,
    attractive: bool,
    n_orientations: int = N_ORIENTATIONS,
    spacing: float = GRID_SPACING_NM,
    seed: int = 0,
) -> PairFunction:
    """Boltzmann-weighted orientation average of the site-model pair energy of two spheres.

    Parameters
    ----------
    shape_i, shape_j : BodyShape
        Spherical body types (sites on one sphere each).
    potential : SitePotential
        Site-site potential [reduced energy].
    kT : float
        Thermal energy [reduced energy].
    attractive : bool
        Whether the sites of both bodies attract (ligand attraction); otherwise WCA only.
    n_orientations : int
        Random orientation pairs, a multiple of :data:`N_BLOCKS`.
    spacing : float
        Grid spacing [nm].
    seed : int
        Seed of the orientation samples.

    Returns
    -------
    PairFunction
    """
    pot = potential if attractive else potential.with_epsilon(0.0)
    rc = pot.morse_rcut if pot.epsilon != 0.0 else pot.wca_rcut
    r_i, r_j = site_shell_radius(shape_i), site_shell_radius(shape_j)
    r_lo = r_i + r_j + 0.5 * pot.site_diameter  # sites overlap strongly here: w >> W_RELIABLE
    r_cut = r_i + r_j + rc
    r = np.arange(r_lo, r_cut + 0.5 * spacing, spacing)
    r[-1] = r_cut
    rng = np.random.default_rng(seed)
    n_orientations = max(N_BLOCKS, n_orientations - n_orientations % N_BLOCKS)
    q_i = random_quaternions(rng, n_orientations)
    q_j = random_quaternions(rng, n_orientations)
    energies = np.zeros((n_orientations, len(r)))
    # Body i at the origin, body j at r z. Only sites in the facing caps can come within rc.
    for m in range(n_orientations):
        xi = rowan.rotate(q_i[m], shape_i.sites)
        xj = rowan.rotate(q_j[m], shape_j.sites)
        a = xi[xi[:, 2] > r_lo - rc - r_j]
        b = xj[xj[:, 2] < r_i + rc - r_lo]
        if len(a) == 0 or len(b) == 0:
            continue
        d = a[:, None, :] - b[None, :, :]
        rho2 = (d[..., :2] ** 2).sum(-1)
        dist2 = rho2[..., None] + (d[..., 2, None] - r) ** 2  # (na, nb, n_r)
        close = dist2 < rc * rc
        ia, ib, ir = np.nonzero(close)
        u = pot.energy(np.sqrt(dist2[ia, ib, ir]), True)
        energies[m] = np.bincount(ir, weights=u, minlength=len(r))
    boltz = -energies / kT
    w = -kT * (logsumexp(boltz, axis=0) - np.log(n_orientations))
    blocks = boltz.reshape(N_BLOCKS, -1, len(r))
    w_b = -kT * (logsumexp(blocks, axis=1) - np.log(blocks.shape[1]))
    err = np.std(w_b, axis=0, ddof=1) / np.sqrt(N_BLOCKS)
    w[-1] = 0.0
    # Reliable part: from the last point (going outwards) where w exceeds W_RELIABLE kT.
    high = np.flatnonzero(~np.isfinite(w) | (w > W_RELIABLE * kT))
    k0 = int(high[-1]) + 1 if len(high) else 0
    if k0 >= len(r) - 2:
        raise RuntimeError("orientation average found no accessible contact distance")
    force = -np.gradient(w, r)
    slope = max(force[k0], W_RELIABLE * kT / pot.site_diameter)
    # Inner ramp down to half the contact distance: never reached at kT, keeps engines finite.
    r_inner = 0.5 * (r_i + r_j + pot.site_diameter)
    n_in = int(np.ceil((r[k0] - r_inner) / spacing))
    r_ramp = r[k0] - spacing * np.arange(n_in, 0, -1)
    r_all = np.concatenate([r_ramp, r[k0:]])
    w_all = np.concatenate([w[k0] + slope * (r[k0] - r_ramp), w[k0:]])
    f_all = np.concatenate([np.full(n_in, slope), force[k0:]])
    e_all = np.concatenate([np.zeros(n_in), err[k0:]])
    f_all[-1] = 0.0
    return PairFunction(r_all, w_all, f_all, e_all, float(r[k0]))


def build_pair_table(
    shapes: list[BodyShape],
    type_names: list[str],
    attractive: list[bool],
    potential: SitePotential,
    kT: float,
    *,
    n_orientations: int = N_ORIENTATIONS,
) -> PairTable:
    """Effective pair potentials of every pair of spherical types.

    Parameters
    ----------
    shapes : list of BodyShape
        One spherical body per type.
    type_names : list of str
        Type names (same order).
    attractive : list of bool
        Whether each type carries the ligand attraction; a pair attracts only if both do.
    potential : SitePotential
        Site-site potential with the attraction of attractive pairs [reduced energy].
    kT : float
        Thermal energy [reduced energy].
    n_orientations : int
        Orientation pairs for attractive pairs (repulsive pairs use half as many: their
        potential is a steep wall whose average converges faster).
    """
    table = PairTable(types=list(type_names))
    for i in range(len(shapes)):
        for j in range(i, len(shapes)):
            both = bool(attractive[i] and attractive[j])
            seed = 1000 * i + j
            n_rep = max(N_BLOCKS, n_orientations // 2)
            off = orientation_averaged_potential(
                shapes[i],
                shapes[j],
                potential,
                kT,
                attractive=False,
                n_orientations=n_rep,
                seed=seed,
            )
            table.off[(i, j)] = off
            if both and potential.epsilon != 0.0:
                table.on[(i, j)] = orientation_averaged_potential(
                    shapes[i],
                    shapes[j],
                    potential,
                    kT,
                    attractive=True,
                    n_orientations=n_orientations,
                    seed=seed,
                )
            else:
                table.on[(i, j)] = off
    return table


def table_key(shapes: list[BodyShape], attractive: list[bool], potential, kT: float) -> str:
    """Content hash of everything a pair table depends on (detects stale cached tables)."""
    spec = {
        "sites": [np.round(s.sites, 10).tolist() for s in shapes],
        "attractive": [bool(a) for a in attractive],
        "potential": [
            potential.site_diameter,
            potential.attraction_range,
            potential.epsilon,
            potential.epsilon_core,
        ],
        "kT": kT,
        "n": [N_ORIENTATIONS, N_BLOCKS, GRID_SPACING_NM, W_RELIABLE],
    }
    return hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:32]
