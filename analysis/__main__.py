"""``python -m analysis`` from the project directory.

The analysis package is :mod:`mesocrystal.analysis`, and only the ``mesocrystal`` namespace is
installed. This folder is not installed and has no ``__init__.py``: it only keeps the short
command working where users run the workflow (beside ``project.py``). Anywhere else the same
command is ``python -m mesocrystal.analysis``.
"""

from mesocrystal.analysis.cli import run

run()
