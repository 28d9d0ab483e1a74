"""Structure classification of nanocrystal assemblies from GSD trajectories.

Reads HOOMD-schema GSD files (body centres of rigid bodies and free particles), computes
descriptors with freud (aggregation, Steinhardt and ten Wolde bond order, nematic order, layering,
Voronoi packing) and labels each frame ``crystalline``, ``layered``, ``rcp`` or ``dispersed``
with a confidence. See ``docs/classifier.md`` for the decision rules.

Examples
--------
>>> from mesocrystal import analysis
>>> result = analysis.classify_file("trajectory.gsd")          # doctest: +SKIP
>>> result.label, result.confidence                            # doctest: +SKIP
('crystalline', 0.93)
>>> analysis.analyze_trajectory("trajectory.gsd", "analysis.json", stride=10)  # doctest: +SKIP
"""

from ._lazy import defer_freud_plotting

defer_freud_plotting()

from mesocrystal.schema import GSDReadError, frame_count, read_frame  # noqa: E402

from .classify import (  # noqa: E402
    LABELS,
    Classification,
    classify,
    classify_file,
    classify_frame,
)
from .descriptors import Descriptors, PerBody, compute_descriptors  # noqa: E402
from .io import BodySystem, FrameError, load_bodies, system_from_arrays  # noqa: E402
from .trajectory import (  # noqa: E402
    analyze_trajectory,
    classify_trajectory,
    first_occurrence,
    timeseries_rows,
    write_json_atomic,
)

__all__ = [
    "LABELS",
    "BodySystem",
    "Classification",
    "Descriptors",
    "FrameError",
    "GSDReadError",
    "PerBody",
    "analyze_trajectory",
    "classify",
    "classify_file",
    "classify_frame",
    "classify_trajectory",
    "compute_descriptors",
    "first_occurrence",
    "frame_count",
    "load_bodies",
    "read_frame",
    "system_from_arrays",
    "timeseries_rows",
    "write_json_atomic",
]
