"""Engine-neutral state of a system of rigid bodies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def wrap(position: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions wrapped into the box ``[-L/2, L/2)`` and their periodic images.

    The project's boxes are rectangular (edge lengths ``box``); this is the one place positions
    are wrapped, in float64 (freud's :meth:`freud.box.Box.wrap` works in float32, too coarse
    for the simulation state).

    Parameters
    ----------
    position : numpy.ndarray, shape (..., 3)
        Positions [nm].
    box : numpy.ndarray, shape (3,) or float
        Box edge lengths [nm].

    Returns
    -------
    wrapped : numpy.ndarray, shape (..., 3)
        Positions in the box [nm].
    image : numpy.ndarray, shape (..., 3), int
        Periodic images: ``position = wrapped + image * box``.
    """
    image = np.floor((position + 0.5 * box) / box).astype(np.int64)
    return position - image * box, image


def minimum_image(delta: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Separation vectors ``delta`` [nm] replaced by their nearest periodic image (in place)."""
    delta -= box * np.round(delta / box)
    return delta


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
        self.position, shift = wrap(self.position, self.box)
        self.image = self.image + shift
