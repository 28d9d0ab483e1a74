"""Entry point of ``python -m mesocrystal.analysis`` (``python -m analysis`` in the project
directory runs the same :func:`~mesocrystal.analysis.cli.main`)."""

from .cli import run

run()
