"""Regression: numeric targets, linear head, mean-squared-error loss, mean baseline and metrics."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DataError

name = "regress"
output_activation = "linear"
loss = "mean_squared_error"


def as_targets(y: Any, where: str = "targets") -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(f"{where}: regression targets must be one number per series, got shape {y.shape}")
    try:
        out = y.astype(np.float64)
    except (TypeError, ValueError):
        bad = next(v for v in y.tolist() if not _is_number(v))
        raise DataError(f"{where}: target {bad!r} is not a number; use --task classify for class labels") from None
    if not np.isfinite(out).all():
        raise DataError(f"{where}: targets contain NaN or infinity at position {int(np.flatnonzero(~np.isfinite(out))[0])}")
    return out


def _is_number(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False
