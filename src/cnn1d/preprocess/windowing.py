"""Sliding windows for direct multi-step forecasting.

Each window covers ``lookback + horizon`` steps. Input channels: the scaled target(s) with the future part
zeroed, a mask (1 = observed past value), then known covariates and calendar features for all steps. The
target is the next ``horizon`` scaled values minus the window level (the mean of its observed past), so
the network learns shape, not level, and a level shift between training and test does not hurt it.
"""

from __future__ import annotations

import numpy as np


def impute_linear(values: np.ndarray) -> np.ndarray:
    """Fill NaNs per column by linear interpolation (nearest value at the edges)."""
    out = values.astype(np.float32).copy()
    steps = np.arange(len(out))
    for j in range(out.shape[1]):
        col = out[:, j]
        known = ~np.isnan(col)
        if known.any() and not known.all():
            col[~known] = np.interp(steps[~known], steps[known], col[known])
    return np.nan_to_num(out)


def window_inputs(scaled_target: np.ndarray, known: np.ndarray, origin: int, lookback: int, horizon: int) -> tuple:
    """One window's input ``(lookback + horizon, channels)`` and its level, for a forecast made at ``origin``.

    ``scaled_target``: ``(T, n_targets)`` with NaN for missing; ``known``: ``(T_total, k)`` covariates and
    calendar features, which must extend ``horizon`` steps past ``origin``.
    """
    past = scaled_target[origin - lookback: origin]
    observed = ~np.isnan(past)
    level = np.where(observed.any(axis=0), np.nanmean(np.where(observed, past, np.nan), axis=0), 0.0)
    filled = impute_linear(past) - level
    n_targets = past.shape[1]
    window = np.zeros((lookback + horizon, 2 * n_targets + known.shape[1]), dtype=np.float32)
    window[:lookback, :n_targets] = filled
    window[:lookback, n_targets: 2 * n_targets] = observed
    window[:, 2 * n_targets:] = known[origin - lookback: origin + horizon]
    return window, level.astype(np.float32)


def training_windows(scaled_target: np.ndarray, known: np.ndarray, lookback: int, horizon: int,
                     origins: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs, targets ``(n, horizon * n_targets)`` and levels for windows at ``origins``; windows whose
    future holds a missing value are skipped (their targets are unknown)."""
    xs, ys, levels = [], [], []
    for o in origins:
        future = scaled_target[o: o + horizon]
        if np.isnan(future).any():
            continue
        x, level = window_inputs(scaled_target, known, o, lookback, horizon)
        xs.append(x)
        ys.append((future - level).reshape(-1))
        levels.append(level)
    if not xs:
        return (np.zeros((0, lookback + horizon, 2 * scaled_target.shape[1] + known.shape[1]), np.float32),
                np.zeros((0, horizon * scaled_target.shape[1]), np.float32), np.zeros((0, scaled_target.shape[1]), np.float32))
    return np.stack(xs), np.stack(ys).astype(np.float32), np.stack(levels)
