"""Entry point of ``python -m mesocrystal.analysis`` (``python -m analysis`` in the project
directory runs the same :func:`~mesocrystal.analysis.cli.main`)."""

import sys

from .cli import main

sys.exit(main())
