"""Statistics for the physics tests: means and standard errors of correlated samples."""

from __future__ import annotations

import numpy as np


def block_mean_sem(samples, n_blocks: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error of a time series by block averaging.

    The series is cut into ``n_blocks`` contiguous blocks (a remainder at the start is
    dropped); the standard error is the standard deviation of the block means divided by
    ``sqrt(n_blocks)``. With blocks longer than the correlation time the block means are
    independent and the error is unbiased (Flyvbjerg & Petersen, J. Chem. Phys. 91, 461
    (1989)).

    Parameters
    ----------
    samples : array-like, shape (n,) or (n, k)
        Samples in time order; columns are separate quantities.
    n_blocks : int
        Number of blocks (at least 4).

    Returns
    -------
    mean, sem : numpy.ndarray, shape () or (k,)
    """
    x = np.asarray(samples, dtype=float)
    if n_blocks < 4 or len(x) < n_blocks:
        raise ValueError(f"n_blocks must be >= 4 and <= the number of samples ({len(x)})")
    size = len(x) // n_blocks
    blocks = x[len(x) - size * n_blocks :].reshape(n_blocks, size, *x.shape[1:]).mean(axis=1)
    return blocks.mean(axis=0), blocks.std(axis=0, ddof=1) / np.sqrt(n_blocks)
