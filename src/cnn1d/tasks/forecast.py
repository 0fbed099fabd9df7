"""Forecasting: point and interval metrics, and the baselines every forecast is compared with.

Baselines (each forecasts ``horizon`` steps from the history it is given):
naive (last value), seasonal naive (the value one season earlier), drift (the line through the first and
last values), and statsforecast's automatic ETS, ARIMA and Theta (``pip install cnn1d[forecast]``).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

name = "forecast"
output_activation = "linear"


# -- metrics ------------------------------------------------------------------------------------
def mase_scale(history: np.ndarray, season: int) -> float:
    """Mean absolute in-sample error of the seasonal naive forecast (the MASE denominator)."""
    h = history[~np.isnan(history)]
    m = season if len(h) > season else 1
    diffs = np.abs(h[m:] - h[:-m])
    scale = float(diffs.mean()) if diffs.size else 0.0
    return scale if scale > 0 else 1.0


def forecast_metrics(actual: np.ndarray, point: np.ndarray, scales: np.ndarray,
                     lower: np.ndarray | None = None, upper: np.ndarray | None = None) -> dict[str, float]:
    """MAE, RMSE, MASE, sMAPE (percent) and, with bounds, interval coverage and mean width.

    All arrays are ``(n_forecasts, horizon)``; ``scales`` holds each forecast's MASE denominator. Missing
    actual values are left out.
    """
    ok = ~np.isnan(actual)
    err = (point - actual)[ok]
    denom = (np.abs(actual) + np.abs(point))[ok]
    out = {
        "mae": float(np.abs(err).mean()),
        "rmse": float(np.sqrt((err ** 2).mean())),
        "mase": float((np.abs(point - actual) / scales[:, None])[ok].mean()),
        "smape": float(np.mean(np.where(denom > 0, 200.0 * np.abs(err) / np.where(denom > 0, denom, 1), 0.0))),
        "n": int(ok.sum()),
    }
    if lower is not None and upper is not None:
        out["coverage"] = float(((actual >= lower) & (actual <= upper))[ok].mean())
        out["width"] = float((upper - lower)[ok].mean())
    return out


# -- baselines ----------------------------------------------------------------------------------
def _fill(history: np.ndarray) -> np.ndarray:
    h = np.asarray(history, dtype=np.float64)
    if np.isnan(h).any():
        idx = np.arange(len(h))
        known = ~np.isnan(h)
        h = np.interp(idx, idx[known], h[known])
    return h


def naive(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    return np.repeat(_fill(history)[-1], horizon)


def seasonal_naive(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    h = _fill(history)
    m = season if 1 < season <= len(h) else 1
    last = h[-m:]
    return np.array([last[i % m] for i in range(horizon)])


def drift(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    h = _fill(history)
    slope = (h[-1] - h[0]) / max(len(h) - 1, 1)
    return h[-1] + slope * np.arange(1, horizon + 1)


# Automatic statistical models from statsforecast (``pip install cnn1d[forecast]``). Each sees only recent
# history: a backtest on 8,000 hourly points then takes seconds, and AutoARIMA's seasonal search (25 s on
# 1,040 weekly points, 1.8 s on 260) is the one that needs the shortest window.
STATISTICAL = ("ets", "arima", "theta")
HISTORY_SEASONS = {"ets": 20, "arima": 5, "theta": 20}
HISTORY_MIN_POINTS = {"ets": 400, "arima": 250, "theta": 400}


def statistical(name: str, history: np.ndarray, horizon: int, season: int, level: float):
    """statsforecast's AutoETS, AutoARIMA (stepwise, approximated likelihood) or AutoTheta on the recent
    history: ``(point, lower, upper)`` with the model's own ``level`` interval."""
    import warnings

    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    keep = max(HISTORY_SEASONS[name] * season, HISTORY_MIN_POINTS[name])
    h = _fill(history)[-keep:]
    m = season if 1 < season and len(h) >= 2 * season + 2 else 1
    model = {"ets": lambda: AutoETS(season_length=m),
             "arima": lambda: AutoARIMA(season_length=m, approximation=True),
             "theta": lambda: AutoTheta(season_length=m)}[name]()
    pct = int(round(level * 100))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = model.forecast(y=h, h=horizon, level=[pct])
    return np.asarray(out["mean"]), np.asarray(out[f"lo-{pct}"]), np.asarray(out[f"hi-{pct}"])


BASELINES: dict[str, Callable[..., np.ndarray]] = {"naive": naive, "seasonal_naive": seasonal_naive, "drift": drift}


def statistical_available() -> bool:
    try:
        import statsforecast  # noqa: F401
    except ImportError:
        return False
    return True


# The automatic models' forecasts by (model, history, horizon, season, level): a tune trains the best and the
# default configuration on the same backtest, and a benchmark repeats it per seed; AutoARIMA alone takes
# 0.45 s per origin on the monthly stocks. Bounded: each entry is three arrays of `horizon` values.
_STATISTICAL_CACHE: OrderedDict = OrderedDict()
STATISTICAL_CACHE_SIZE = 4096


def timed_baseline_forecast(name: str, history: np.ndarray, horizon: int, season: int, level: float):
    """``(point, lower, upper, seconds)`` of any baseline: the simple ones with intervals from their own
    in-sample errors, the automatic statistical models with their model intervals. ``seconds`` is what the
    forecast took to compute, also when an automatic model's forecast comes from the cache."""
    started = time.perf_counter()
    if name in STATISTICAL:
        history = np.ascontiguousarray(history, dtype=np.float64)
        key = (name, hashlib.sha1(history.tobytes()).hexdigest(), horizon, season, level)
        if key not in _STATISTICAL_CACHE:
            point, lower, upper = statistical(name, history, horizon, season, level)
            _STATISTICAL_CACHE[key] = (point, lower, upper, time.perf_counter() - started)
            while len(_STATISTICAL_CACHE) > STATISTICAL_CACHE_SIZE:
                _STATISTICAL_CACHE.popitem(last=False)
        _STATISTICAL_CACHE.move_to_end(key)
        point, lower, upper, seconds = _STATISTICAL_CACHE[key]
        return point.copy(), lower.copy(), upper.copy(), seconds
    method = BASELINES[name]
    point = method(history, horizon, season)
    half = empirical_interval(history, method, horizon, season, level)
    return point, point - half, point + half, time.perf_counter() - started


def best_statistical(baselines: dict[str, dict]) -> str | None:
    """The automatic statistical model with the lowest MASE (the yardstick a forecaster must beat)."""
    scored = [name for name in STATISTICAL if name in baselines]
    return min(scored, key=lambda n: baselines[n]["mase"]) if scored else None


def empirical_interval(history: np.ndarray, method: Callable, horizon: int, season: int, level: float,
                       max_origins: int = 200) -> np.ndarray:
    """Half-widths per horizon step from a baseline's own in-sample errors (quantile of |error|)."""
    h = _fill(history)
    start = max(season + 1, 2)
    origins = np.unique(np.linspace(start, len(h) - horizon, num=min(max_origins, max(len(h) - horizon - start, 1))).astype(int))
    errors = [np.abs(method(h[:o], horizon, season) - h[o: o + horizon]) for o in origins if o + horizon <= len(h) and o >= 2]
    if not errors:
        return np.full(horizon, np.nan)
    return conformal_quantile(np.array(errors), level)


def conformal_quantile(abs_errors: np.ndarray, level: float) -> np.ndarray:
    """Split-conformal half-width per column: the ceil((n+1) level)/n empirical quantile."""
    n = len(abs_errors)
    q = min(1.0, np.ceil((n + 1) * level) / n)
    return np.nanquantile(abs_errors, q, axis=0, method="higher")


def summary(results: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in results.items() if k in ("mae", "rmse", "mase", "smape", "coverage", "width", "n")}
