"""Sliding windows for direct multi-step forecasting.

Each window covers ``lookback + horizon`` steps. Input channels: the scaled target(s) minus the window
level (the mean of its observed past), with the future part holding the seasonal-naive anchor; a mask
(1 = observed past value); then known covariates and calendar features for all steps.

The network predicts the correction to the anchor: the seasonal-naive forecast (the value one season
earlier; the last value when the season does not fit in the lookback). An untrained network therefore
already forecasts like seasonal naive, and training can only add what the baseline misses.
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


def seasonal_anchor(filled_past: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Seasonal-naive forecast ``(horizon, n_targets)`` from a gap-free past."""
    m = season if 1 < season <= len(filled_past) else 1
    last = filled_past[-m:]
    return last[np.arange(horizon) % m]


# The smallest window scale (in units of the series' standard deviation): a flat or all-imputed past is not
# blown up into noise.
MIN_WINDOW_SCALE = 0.1


def window_inputs(scaled_target: np.ndarray, known: np.ndarray, origin: int, lookback: int, horizon: int,
                  season: int = 1, normalise: bool = False) -> tuple:
    """One window's input ``(lookback + horizon, channels)``, its anchor ``(horizon, n_targets)`` and its scale
    ``(n_targets,)``.

    ``scaled_target``: ``(T, n_targets)`` with NaN for missing; ``known``: ``(T_total, k)`` covariates and
    calendar features, which must extend ``horizon`` steps past ``origin``. With ``normalise`` the target
    channels are also divided by the standard deviation of the window's past (instance normalisation), and
    the network's corrections are in those units: a model trained on summer's wide daily swings then
    forecasts winter's narrow ones in proportion. Without it the scale is 1.
    """
    past = scaled_target[origin - lookback: origin]
    observed = ~np.isnan(past)
    level = np.where(observed, past, 0.0).sum(axis=0) / np.maximum(observed.sum(axis=0), 1)  # 0 when all missing
    filled = impute_linear(past)
    anchor = seasonal_anchor(filled, horizon, season)
    scale = np.maximum(filled.std(axis=0), MIN_WINDOW_SCALE) if normalise else np.ones(past.shape[1])
    n_targets = past.shape[1]
    window = np.zeros((lookback + horizon, 2 * n_targets + known.shape[1]), dtype=np.float32)
    window[:lookback, :n_targets] = (filled - level) / scale
    window[lookback:, :n_targets] = (anchor - level) / scale
    window[:lookback, n_targets: 2 * n_targets] = observed
    window[:, 2 * n_targets:] = known[origin - lookback: origin + horizon]
    return window, anchor.astype(np.float32), scale.astype(np.float32)


def training_windows(scaled_target: np.ndarray, known: np.ndarray, lookback: int, horizon: int,
                     origins: np.ndarray, season: int = 1, normalise: bool = False) -> tuple:
    """Inputs, targets ``(n, horizon * n_targets)`` (corrections to the anchor, divided by the window scale),
    anchors and window scales for windows at ``origins``. A missing future value stays NaN in the targets (the
    loss leaves it out, and it is never scored); a window is skipped only when more than half its future is
    missing."""
    xs, ys, levels, scales = [], [], [], []
    n_targets = scaled_target.shape[1]
    for o in origins:
        future = scaled_target[o: o + horizon]
        if np.isnan(future).mean() > 0.5:
            continue
        x, anchor, scale = window_inputs(scaled_target, known, o, lookback, horizon, season, normalise)
        xs.append(x)
        ys.append(((future - anchor) / scale).reshape(-1))
        levels.append(anchor)
        scales.append(scale)
    if not xs:
        return (np.zeros((0, lookback + horizon, 2 * n_targets + known.shape[1]), np.float32),
                np.zeros((0, horizon * n_targets), np.float32), np.zeros((0, horizon, n_targets), np.float32),
                np.zeros((0, n_targets), np.float32))
    return np.stack(xs), np.stack(ys).astype(np.float32), np.stack(levels), np.stack(scales)


# Interval half-widths scale with the square root of each window's recent volatility, bounded to a factor of
# two either way of the calibration windows' median (see local_scale).
LOCAL_SCALE_BOUND = 2.0


def local_scale(windows: np.ndarray, lookback: int, n_targets: int, reference: np.ndarray | None = None,
                window_scales: np.ndarray | None = None) -> np.ndarray:
    """``(n, n_targets)``: sqrt of the mean absolute step change of each window's (filled, scaled) past.

    A forecast from a calm stretch gets a narrower interval than one from a volatile stretch. The square root
    is a partial adaptation: on the development series full scaling over-corrected (intervals from calm
    windows too narrow), none left volatile test periods under-covered. With ``reference`` (the
    calibration median) the scale is bounded to within ``LOCAL_SCALE_BOUND`` of it, so a window whose past is
    all imputed (flat) still gets a usable interval.
    """
    past = windows[:, :lookback, :n_targets]
    if window_scales is not None:  # instance-normalised windows: back to the series' scale
        past = past * window_scales[:, None, :]
    scale = np.sqrt(np.abs(np.diff(past, axis=1)).mean(axis=1) + 1e-6)
    if reference is not None:
        scale = np.clip(scale, reference / LOCAL_SCALE_BOUND, reference * LOCAL_SCALE_BOUND)
    return scale.astype(np.float32)
