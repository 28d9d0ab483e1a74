"""Layering: the strongest density wave of an aggregate.

For a set of centres :math:`r_j` the amplitude of the density wave with wave vector :math:`k` is

.. math::

    \\tau(k) = \\Big| \\frac{1}{N} \\sum_j e^{i k \\cdot r_j} \\Big|,

the smectic order parameter when :math:`k` is normal to the layers and :math:`|k| = 2\\pi/d`
(layer spacing :math:`d`; see docs/classifier.md). Layers whose centres scatter
about their mid-plane with a Gaussian of width :math:`w` give
:math:`\\tau = \\exp(-2\\pi^2 w^2 / d^2)`; :math:`\\tau = 0.3` corresponds to :math:`w = 0.35 d`,
where neighbouring layers start to merge.

The wave vector is searched in two ways:

* bodies with orientational order (nematic :math:`S` above 0.43): along the director, the
  stacking direction of platelets, then refined in 3-D (the layer normal may differ slightly
  from the mean body axis);
* otherwise, over all directions: the peak of the structure factor of the aggregate on an FFT
  grid (so stacks that are not aligned with the box are found), refined in 3-D.

The aggregate is unwrapped about its periodic centre of mass (:meth:`freud.box.Box.center`); an
aggregate spanning the periodic box is a periodic structure and its unwrapped image is one of
its unit cells, so the search works for both finite and box-spanning aggregates and for
triclinic boxes.

A finite aggregate of :math:`N` disordered bodies has density-wave amplitudes of order
:math:`\\sqrt{S(k)/N}`; the largest of :math:`M` independent wave vectors is about
:math:`\\sqrt{S(k) \\ln M / N}`. With the peak of the liquid structure factor at freezing,
:math:`S(k) = 2.85` (Hansen-Verlet criterion, Hansen and Verlet, Phys. Rev. 184, 151 (1969)),
this gives the noise floor reported with each result.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import optimize

#: Layer spacings searched by the structure-factor method, in units of the median
#: volume-equivalent diameter of the aggregate: FCC (111) planes are 0.82 d apart, SC (100)
#: planes 1.0 d, lamellae of liquid-like layers 0.85-1.2 d; 0.6 excludes second harmonics.
SPACING_RANGE = (0.6, 1.6)

#: Layer spacings searched along the director, in units of the mean body extent along it
#: (platelet thickness for face-to-face stacks).
DIRECTOR_SPACING_RANGE = (0.6, 1.6)

#: Peak height of the structure factor of a liquid at freezing (Hansen-Verlet criterion).
HANSEN_VERLET_PEAK = 2.85

_MAX_SAMPLE = 8_000
_MAX_VOXELS = 1 << 24
_N_CANDIDATES = 4

#: Wave numbers per block of the director search (:func:`_amplitudes_on_grid`).
_K_BLOCK = 64


@dataclasses.dataclass
class Layering:
    """Strongest density wave of an aggregate.

    Attributes
    ----------
    amplitude : float
        :math:`\\tau` at the best wave vector (0-1); NaN if not computed.
    spacing : float
        Layer spacing :math:`2\\pi/|k|` (nm).
    direction : numpy.ndarray
        ``(3,)`` unit layer normal.
    wavevector : numpy.ndarray
        ``(3,)`` best wave vector (1/nm).
    method : str
        ``"director"``, ``"structure_factor"`` or ``"none"``.
    noise_floor : float
        Amplitude expected from a disordered aggregate of the same size (see module docstring).
    n_bodies : int
        Number of bodies used.
    """

    amplitude: float
    spacing: float
    direction: np.ndarray
    wavevector: np.ndarray
    method: str
    noise_floor: float
    n_bodies: int

    @classmethod
    def none(cls, n_bodies: int = 0) -> Layering:
        """Result for an aggregate too small to analyse."""
        nan3 = np.full(3, np.nan)
        return cls(float("nan"), float("nan"), nan3, nan3, "none", float("nan"), n_bodies)


def density_wave_amplitude(positions: np.ndarray, wavevectors: np.ndarray) -> np.ndarray:
    """Amplitude :math:`|\\langle e^{i k \\cdot r} \\rangle|` of density waves.

    Parameters
    ----------
    positions : numpy.ndarray
        ``(N, 3)`` positions (nm), unwrapped.
    wavevectors : numpy.ndarray
        ``(3,)`` or ``(K, 3)`` wave vectors (1/nm).

    Returns
    -------
    numpy.ndarray
        ``()`` or ``(K,)`` amplitudes in [0, 1].
    """
    k = np.asarray(wavevectors, dtype=np.float64)
    phase = positions @ k.T
    return np.abs(np.mean(np.exp(1j * phase), axis=0))


def _noise_floor(n: int, n_wavevectors: int) -> float:
    """Largest amplitude expected among ``n_wavevectors`` waves of a disordered aggregate."""
    return math.sqrt(HANSEN_VERLET_PEAK * math.log(max(n_wavevectors, 2)) / max(n, 1))


def _refine(sample: np.ndarray, k0: np.ndarray, step: float) -> np.ndarray:
    """Local maximisation of the density-wave amplitude around ``k0`` (Nelder-Mead)."""
    simplex = np.vstack([k0, k0 + step * np.eye(3)])
    res = optimize.minimize(
        lambda k: -density_wave_amplitude(sample, k),
        k0,
        method="Nelder-Mead",
        options={"initial_simplex": simplex, "xatol": 1e-3 * step, "fatol": 1e-4, "maxfev": 150},
    )
    return res.x if -res.fun >= density_wave_amplitude(sample, k0) else k0


def _result(points, k, method, n_wavevectors):
    """Layering result for wave vector ``k`` with the exact amplitude over all ``points``."""
    amp = float(density_wave_amplitude(points, k))
    kn = float(np.linalg.norm(k))
    direction = k / kn
    # report the normal in the hemisphere of its largest component (sign is arbitrary)
    direction = direction * np.sign(direction[np.argmax(np.abs(direction))])
    return Layering(
        amplitude=amp,
        spacing=2.0 * math.pi / kn,
        direction=direction,
        wavevector=np.asarray(k, dtype=np.float64),
        method=method,
        noise_floor=_noise_floor(len(points), n_wavevectors),
        n_bodies=len(points),
    )


def layering_along(points: np.ndarray, direction: np.ndarray, spacing_range: tuple) -> Layering:
    """Strongest density wave with wave vector close to ``direction``.

    Parameters
    ----------
    points : numpy.ndarray
        ``(N, 3)`` unwrapped positions (nm).
    direction : numpy.ndarray
        ``(3,)`` search direction (e.g. the nematic director).
    spacing_range : tuple of float
        ``(d_min, d_max)`` layer spacings searched (nm).

    Returns
    -------
    Layering
        Best density wave (``method="director"``).
    """
    n = np.asarray(direction, dtype=np.float64)
    n /= np.linalg.norm(n)
    sample = _subsample(points)
    x = sample @ n
    extent = max(float(np.ptp(x)), spacing_range[1])
    k_lo, k_hi = 2.0 * math.pi / spacing_range[1], 2.0 * math.pi / spacing_range[0]
    dk = 2.0 * math.pi / (4.0 * extent)
    ks = np.arange(k_lo, k_hi + dk, dk)
    amps = _amplitudes_on_grid(x, ks[0], dk, len(ks))
    best = ks[np.argmax(amps)] * n
    # refine in 3-D with an initial step of half the peak width 2 pi / extent
    k = _refine(sample, best, math.pi / extent)
    # the k grid oversamples the peak width four times: len(ks) / 4 independent wave vectors
    return _result(points, k, "director", max(len(ks) // 4, 2))


def _amplitudes_on_grid(x: np.ndarray, k0: float, dk: float, n_k: int) -> np.ndarray:
    """``(n_k,)`` amplitudes :math:`|\\langle e^{i k x} \\rangle|` at ``k = k0 + m dk``.

    With :math:`e^{i (k_s + m\\,dk) x} = e^{i k_s x} e^{i m\\,dk\\,x}`, the phases of one block
    of :data:`_K_BLOCK` wave numbers are shared by all blocks: each block is one complex
    matrix-vector product instead of ``len(x) * _K_BLOCK`` complex exponentials. Equal to
    :func:`density_wave_amplitude` on the same grid to round-off (tested).
    """
    x = np.asarray(x, dtype=np.float64)
    steps = np.exp(1j * np.outer(x, dk * np.arange(min(_K_BLOCK, n_k))))
    out = np.empty(n_k)
    for s in range(0, n_k, _K_BLOCK):
        width = min(_K_BLOCK, n_k - s)
        base = np.exp(1j * (k0 + s * dk) * x)
        out[s : s + width] = np.abs(base @ steps[:, :width]) / len(x)
    return out


def _subsample(points: np.ndarray) -> np.ndarray:
    """At most ``_MAX_SAMPLE`` points (fixed random subset) for the search and refinement."""
    if len(points) <= _MAX_SAMPLE:
        return points
    rng = np.random.default_rng(0)
    return points[rng.choice(len(points), _MAX_SAMPLE, replace=False)]


def layering_search(points: np.ndarray, spacing_range: tuple) -> Layering:
    """Strongest density wave over all directions (structure-factor peak, then refined).

    Parameters
    ----------
    points : numpy.ndarray
        ``(N, 3)`` unwrapped positions (nm).
    spacing_range : tuple of float
        ``(d_min, d_max)`` layer spacings searched (nm).

    Returns
    -------
    Layering
        Best density wave (``method="structure_factor"``).
    """
    d_min, d_max = spacing_range
    k_lo, k_hi = 2.0 * math.pi / d_max, 2.0 * math.pi / d_min
    lo = points.min(axis=0)
    extent = points.max(axis=0) - lo
    # voxel size: Nyquist wavenumber pi/h above k_hi with a 10 % margin
    h = d_min / 2.2
    dims = np.maximum(np.ceil(extent / h).astype(int) + 2, 4)
    while np.prod(dims.astype(np.float64)) > _MAX_VOXELS:
        h *= 1.25
        dims = np.maximum(np.ceil(extent / h).astype(int) + 2, 4)
    k_hi = min(k_hi, 0.95 * math.pi / h)
    edges = [lo[a] - h + h * np.arange(dims[a] + 1) for a in range(3)]
    grid, _ = np.histogramdd(points, bins=edges)
    import scipy.fft  # only this search needs it: imported on first use (start-up time)

    amp = np.abs(scipy.fft.rfftn(grid, workers=-1)) / len(points)
    kx = 2.0 * math.pi * np.fft.fftfreq(dims[0], d=h)
    ky = 2.0 * math.pi * np.fft.fftfreq(dims[1], d=h)
    kz = 2.0 * math.pi * np.fft.rfftfreq(dims[2], d=h)
    kmag2 = kx[:, None, None] ** 2 + ky[None, :, None] ** 2 + kz[None, None, :] ** 2
    # undo the nearest-grid-point assignment window
    window = (
        np.sinc(kx * h / (2 * math.pi))[:, None, None]
        * np.sinc(ky * h / (2 * math.pi))[None, :, None]
        * np.sinc(kz * h / (2 * math.pi))[None, None, :]
    )
    shell = (kmag2 >= k_lo**2) & (kmag2 <= k_hi**2)
    n_shell = int(np.count_nonzero(shell))
    if n_shell == 0:
        return Layering.none(len(points))
    score = np.where(shell, amp / np.abs(window), -1.0)
    flat = np.argpartition(score.ravel(), -_N_CANDIDATES)[-_N_CANDIDATES:]
    sample = _subsample(points)
    best_k, best_amp = None, -1.0
    step = 0.5 * 2.0 * math.pi / float(np.max(dims * h))
    for f in flat:
        a, b, c = np.unravel_index(f, score.shape)
        k0 = np.array([kx[a], ky[b], kz[c]])
        k = _refine(sample, k0, step)
        if not k_lo <= np.linalg.norm(k) <= 2.0 * math.pi / d_min:
            k = k0
        amp_k = float(density_wave_amplitude(sample, k))
        if amp_k > best_amp:
            best_k, best_amp = k, amp_k
    return _result(points, best_k, "structure_factor", n_shell)
