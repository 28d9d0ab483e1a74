"""Statistics over the replicas (seeds) of one condition, shared by the report's tables."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def mean_error(values: Sequence[float | None]) -> tuple[float | None, float | None, int]:
    """Mean, standard error of the mean (None for fewer than 2 values) and count of values."""
    data = np.array([float(v) for v in values if v is not None and math.isfinite(float(v))])
    if len(data) == 0:
        return None, None, 0
    err = float(data.std(ddof=1) / math.sqrt(len(data))) if len(data) > 1 else None
    return float(data.mean()), err, len(data)
