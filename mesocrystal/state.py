"""Engine-neutral state of a system of rigid bodies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class BodyState:
    """Positions, orientations and momenta of N rigid bodies in a cubic periodic box.

    Attributes
    ----------
    step : int
        Time step counter (counts the randomisation and assembly stages together).
    box : numpy.ndarray, shape (3,)
        Box edge lengths [nm]; the box spans ``[-L/2, L/2)`` in each dimension.
    position : numpy.ndarray, shape (N, 3)
        Body centres (centres of mass), wrapped into the box [nm].
    image : numpy.ndarray, shape (N, 3), int
        Periodic image counters: unwrapped = position + image * box.
    orientation : numpy.ndarray, shape (N, 4)
        Unit quaternions (w, x, y, z) rotating the body frame into the box frame.
    velocity : numpy.ndarray, shape (N, 3)
        Centre-of-mass velocities [nm/tau].
    angmom : numpy.ndarray, shape (N, 3)
        Angular momenta in the body frame [M nm^2/tau].
    typeid : numpy.ndarray, shape (N,), int
        Body type (size class) of every body.
    """

    step: int
    box: np.ndarray
    position: np.ndarray
    image: np.ndarray
    orientation: np.ndarray
    velocity: np.ndarray
    angmom: np.ndarray
    typeid: np.ndarray

    @property
    def N(self) -> int:
        """Number of bodies."""
        return len(self.position)

    def unwrapped(self) -> np.ndarray:
        """Unwrapped centre positions [nm], shape (N, 3)."""
        return self.position + self.image * self.box

    def wrap(self) -> None:
        """Wrap positions into the box, updating the image counters (in place)."""
        shift = np.floor((self.position + 0.5 * self.box) / self.box).astype(np.int64)
        self.position = self.position - shift * self.box
        self.image = self.image + shift
