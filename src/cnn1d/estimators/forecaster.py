"""CNNForecaster: direct multi-step forecasting with a 1D CNN, split-conformal prediction intervals,
one global model over many series, known-future covariates and calendar features."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from sklearn.base import BaseEstimator

from ..data.timeseries import SeriesTable, future_index, in_zone, season_for, trim_future  # noqa: F401 (re-exported)
from ..data.timeseries import calendar_features as calendar_matrix
from ..data.timeseries import calendar_parts
from ..errors import ConfigError, DataError
from ..preprocess.windowing import local_scale, training_windows, window_inputs
from ..tasks import forecast as ftask
from .bundled import FittedStateMixin

MIN_WINDOWS = 8
# A lighter TCN than the classification default: forecasting windows are short and plentiful. Layer
# normalisation is kept although its 10 layers take 55% of a training step: without it (model_params
# norm="none", epochs 2.2x faster) mean backtest MASE over 3 seeds got worse on 3 of the 4 small development
# series (stocks 0.979 -> 0.993, weather-gaps 0.852 -> 0.861, seattle-weather 0.541 -> 0.551).
FORECAST_TCN = {"filters": 32, "dilations": (1, 2, 4, 8, 16), "dropout": 0.0}
FORECAST_BATCH = 128
# Networks averaged when a time budget leaves room after the first (each from its own seed); on the small
# development series one network trains in ~10 s of a 180 s budget.
MAX_MEMBERS = 5
# Intervals are calibrated on the latest out-of-sample windows before each forecast origin: at least this many
# per series, or two horizons' worth. Over 7 development series and 3 seeds this kept backtest coverage of a
# 90% interval within 5 points more often than calibrating once on every validation window
# (docs/forecasting.md, "Intervals").
RECENT_CALIBRATION = 50
# Fewer recent residuals than this: the interval calibrated at fit time is used instead.
MIN_RECENT_RESIDUALS = 20
# The validation share of a long series stops at this many windows per series: held back, the latest 20% of
# a year of hourly values (64 days, autumn before a winter test) never trains the ridge or the networks. Over
# 40 hourly backtest folds in November-December, San Francisco's ridge alone scored MASE 0.98 with 20%
# held back and 0.68 with 5% (Seattle 0.37 either way); a few hundred windows still stop training early.
MAX_VALIDATION_WINDOWS = 500
# Without a --lookback, windows of 1 and 2 times the default length are tried and the ridge start's
# forward-chaining error picks one.
LOOKBACK_MULTIPLES = (1, 2)


def step_label(index, position: int) -> str | int:
    """The time stamp (ISO text) or integer position of ``index[position]``, as a bundle can store it."""
    value = index[position]
    return value.isoformat() if hasattr(value, "isoformat") else int(value)


def position_after(index, label: str | int) -> int:
    """How many steps of ``index`` are at or before ``label`` (a :func:`step_label`)."""
    import pandas as pd

    if isinstance(label, str):
        stamp = pd.Timestamp(label)
        if getattr(index, "tz", None) is not None and stamp.tz is None:
            stamp = stamp.tz_localize(index.tz)
        elif getattr(index, "tz", None) is None and stamp.tz is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return int(index.searchsorted(stamp, side="right"))
    return int(np.searchsorted(np.asarray(index), label, side="right"))


def network_params(model: str, given: dict | None = None) -> dict:
    """Builder arguments of a forecasting network: ``given`` over the forecasting defaults (for the TCN,
    FORECAST_TCN, not the classification TCN's settings) and a head that keeps the window's order."""
    from .. import models

    params = {**(FORECAST_TCN if model == "tcn" else {}), **(given or {})}
    if "head" in models.get(model).hparams and "head" not in params:
        params["head"] = "last" if model == "tcn" else "flatten"
    return params


def _timestamps_as_column(frame, where: str):
    """``(frame, time column)`` when the timestamps of ``frame`` are text in its index (``read_csv(...,
    index_col="date")`` without ``parse_dates``: the forecasts came out at integer steps) or one non-numeric
    column beside numeric targets; None when the index is a DatetimeIndex or the rows are plain steps."""
    import pandas as pd

    import warnings

    def dates(values) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas warns when it guesses a format per value
            return bool(pd.to_datetime(pd.Series(values).astype(str), errors="coerce", format="mixed").notna().all())

    if isinstance(frame.index, pd.DatetimeIndex):
        return None
    other = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if not other and frame.index.dtype == object and dates(frame.index):
        column = str(frame.index.name or "time")
        return frame.rename_axis(column).reset_index(), column
    if len(other) == 1 and len(other) < frame.shape[1] and dates(frame[other[0]]):
        return frame.rename(columns={c: str(c) for c in frame.columns}), str(other[0])
    if other:
        raise DataError(f"{where}: columns {[str(c) for c in other]} are not numeric; forecast one DataFrame of numeric "
                        "target columns with a DatetimeIndex (y.set_index('date')[['sales']]), or a CSV with --target")
    return None


def as_table(y: Any, X: Any = None, *, where: str = "y") -> SeriesTable:
    """A SeriesTable from a SeriesTable, a pandas Series/DataFrame (DatetimeIndex) or an array."""
    import pandas as pd

    if isinstance(y, SeriesTable):
        return y
    if isinstance(y, (pd.Series, pd.DataFrame)):
        frame = y.to_frame(name=y.name if y.name is not None else "y") if isinstance(y, pd.Series) else y
        timed = _timestamps_as_column(frame, where)
        if timed is not None:  # dates as text, or in a column: read as a CSV's time column is
            if X is not None:
                raise DataError(f"{where}: give y with a DatetimeIndex when passing covariates X (y.set_index(...))")
            from ..data.timeseries import from_frame

            frame, time_column = timed
            return from_frame(frame, [str(c) for c in frame.columns if c != time_column], time_column=time_column,
                              source=where, name=where)
        names = [str(c) for c in frame.columns]
        index = frame.index
        values = frame.to_numpy(dtype=np.float32) if all(np.issubdtype(d, np.number) for d in frame.dtypes) else None
        if values is None:
            raise DataError(f"{where}: forecasting targets must be numeric")
        freq = None
        if isinstance(index, pd.DatetimeIndex):
            freq = index.freqstr or pd.infer_freq(index)
            if freq is None:
                raise DataError(f"{where}: the DatetimeIndex has no regular frequency; resample it first")
        else:
            index = pd.RangeIndex(len(frame))
    else:
        try:
            values = np.asarray(y, dtype=np.float32)
        except (TypeError, ValueError):
            raise DataError(f"{where}: forecasting targets must be numeric") from None
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2:
            raise DataError(f"{where}: expected shape (steps,) or (steps, targets), got {values.shape}")
        names = [f"y{i}" if values.shape[1] > 1 else "y" for i in range(values.shape[1])]
        index, freq = pd.RangeIndex(len(values)), None
    if np.isinf(values).any():
        raise DataError(f"{where}: targets hold infinite values")
    table = SeriesTable({"series": values}, {"series": index}, freq, names, source=where,
                        report={"gaps": {}, "missing": {"series": int(np.isnan(values).sum())}})
    if X is not None:
        cov = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X, dtype=np.float32)
        cov = cov[:, None] if cov.ndim == 1 else cov
        if len(cov) != len(values):
            raise DataError(f"X has {len(cov)} rows but y has {len(values)}; covariates must align with y")
        table.covariates["series"] = cov
        table.covariate_names = [str(c) for c in getattr(X, "columns", range(cov.shape[1]))]
    return table


def with_linear_path(network):
    """The network with the whole input window joined to its features before the output layer.

    The output is then the network's forecast plus a linear map of the window: an autoregression over the
    window is what ARIMA and ETS forecast with, and learning it through convolutions alone is slow and noisy
    (measured: a ridge over the window alone beat the TCN on weekly CO2 and hourly temperatures). One Dense
    output layer keeps the network explainable like every other (``cnn1d.evaluation.explain``).
    """
    from .._backend import keras

    k = keras()
    output = network.layers[-1]  # the Dense "output" layer every zoo builder ends in
    window = k.layers.Flatten(name="window")(network.input)
    joined = k.layers.Concatenate(name="features_and_window")([output.input, window])
    forecast = k.layers.Dense(output.units, activation=output.activation, name="output")(joined)
    return k.Model(network.input, forecast, name=network.name)


RIDGE_PENALTIES = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)
RIDGE_BLOCKS = 5  # forward-chaining blocks of each series' training windows
RIDGE_MAX_WEIGHTS = 4096  # wider windows (long lookbacks times many channels) start from random weights
RIDGE_MAX_VALUES = 20_000_000


class RidgeStart(NamedTuple):
    weights: np.ndarray  # (flattened window, outputs)
    bias: np.ndarray
    score: float  # mean absolute error relative to the anchor's over the forward-chaining tests (below 1)
    validation: float  # the same on the validation windows, fitted on every block: what chooses penalty and lookback


def ridge_start(X_train: np.ndarray, y_train: np.ndarray, blocks: np.ndarray, X_val: np.ndarray,
                y_val: np.ndarray, train_scales: np.ndarray | None = None, val_scales: np.ndarray | None = None,
                channels: np.ndarray | None = None) -> RidgeStart | None:
    """Least-squares weights and bias of the linear path over the window, or None where it does not forecast
    better than the anchor out of sample.

    Training then starts from this autoregression instead of from random weights, and the convolutions learn
    a correction to it. Measured (seed 0): the ridge alone scored MASE 0.43 on seattle-temps and 0.57 on
    sf-temps-local, where networks trained from random weights in the same budget scored 0.53 and 0.73; on
    monthly stock prices (a random walk) a ridge chosen on the validation windows alone learned momentum that
    was not there (1.32 against 1.01). So the ridge is kept by forward chaining: for each later block of
    ``blocks`` (position of a window within its series' training windows) the ridge is fitted on the earlier
    ones, and finally on all of them against the validation windows. It is kept when its mean absolute error,
    relative to the anchor's (the model's zero), averages below 1 over those tests. The penalty is the one
    whose fit on all blocks (the ridge that is kept) forecasts the validation windows best: the fits on 1-4
    fifths of the windows favour heavier penalties than all of them need (weekly CO2: 1.0 by the mean of the
    tests, 0.1 by validation; backtest MASE 0.298 -> 0.291). Missing future values (windows across a gap)
    count as the anchor.

    ``train_scales`` / ``val_scales`` (each window's instance-normalisation scale) weigh every window's error in
    the series' units; ``channels`` are the input channels the ridge reads (the others get zero weight in the
    returned weights, which keep the window's flattened layout).
    """
    full_shape = X_train.shape[1:]
    if channels is not None:
        X_train, X_val = X_train[:, :, channels], X_val[:, :, channels]
    width = int(np.prod(X_train.shape[1:]))
    if width > RIDGE_MAX_WEIGHTS or not len(X_val):
        return None
    # at most ~160 MB of float64 windows: evenly spaced windows keep every block (a fit, not a forecast, uses them)
    keep = np.unique(np.linspace(0, len(X_train) - 1, min(len(X_train), RIDGE_MAX_VALUES // width)).astype(int))
    X_train, y_train, blocks = X_train[keep], y_train[keep], blocks[keep]
    n_targets = 1 if train_scales is None else train_scales.shape[1]
    kept_scales = None if train_scales is None else train_scales[keep]
    # each window's error counts in the series' units: squared window scale as the row weight
    row_weight = np.ones(len(X_train)) if kept_scales is None else (kept_scales.astype(np.float64) ** 2).mean(1)
    Z = np.nan_to_num(X_train.reshape(len(X_train), -1).astype(np.float64))
    Y = np.nan_to_num(y_train.astype(np.float64))
    # Sufficient statistics of blocks 0..k for every k (running sums): a fit on the first k blocks is one solve.
    # Not models.rocket.ridge_loo: leave-one-out would score a window with its overlapping neighbours in the
    # fit, and its dual form suits more weights than rows (here thousands of windows, at most 4,096 weights).
    upto_block, running = [], None
    for b in range(RIDGE_BLOCKS):
        zb, yb, wb = Z[blocks == b], Y[blocks == b], row_weight[blocks == b]
        wz = zb * wb[:, None]
        stats = (wb.sum(), wz.sum(0), (yb * wb[:, None]).sum(0), wz.T @ zb, wz.T @ yb)
        running = stats if running is None else tuple(a + c for a, c in zip(running, stats))
        upto_block.append(running)
    n_all, sum_z, _, zz, _ = upto_block[-1]
    # penalties in units of the mean feature variance, so the grid fits any window length and scale
    unit = max(float(np.trace(zz - np.outer(sum_z, sum_z) / n_all)) / Z.shape[1] / n_all, 1e-12)

    def fit(upto: int, penalty: float):
        n, sz, sy, zz, zy = upto_block[upto - 1]
        gram = zz - np.outer(sz, sz) / n
        weights = np.linalg.solve(gram + penalty * unit * np.eye(len(gram)), zy - np.outer(sz, sy) / n)
        return weights, (sy - sz @ weights) / n

    def in_units(errors, scales):
        return errors if scales is None else errors * np.tile(scales, errors.shape[1] // n_targets)

    def relative_error(weights, bias, z, y, scales):
        return float(np.nanmean(in_units(np.abs(z @ weights + bias - y), scales))
                     / max(float(np.nanmean(in_units(np.abs(y), scales))), 1e-12))

    Zv = np.nan_to_num(X_val.reshape(len(X_val), -1).astype(np.float64))
    tests = [(k, Z[blocks == k], y_train[blocks == k], None if kept_scales is None else kept_scales[blocks == k])
             for k in range(1, RIDGE_BLOCKS) if (blocks == k).any()]
    best = None
    for penalty in RIDGE_PENALTIES:
        errors = [relative_error(*fit(k, penalty), z, y, sc) for k, z, y, sc in tests]
        weights, bias = fit(RIDGE_BLOCKS, penalty)
        errors.append(relative_error(weights, bias, Zv, y_val, val_scales))
        # The penalty that forecasts the validation windows best, fitted on every block as the kept ridge is;
        # the earlier tests fit on 1-4 fifths of the windows and favour a heavier penalty than all of them need.
        if best is None or errors[-1] < best[0]:
            best = (errors[-1], float(np.mean(errors)), weights, bias)
    validation, score, weights, bias = best
    if score >= 1.0:  # kept only where it beats the anchor over all the tests (stocks: momentum that was not there)
        return None
    if channels is not None:  # zero weight for the channels left out, in the window's flattened layout
        full = np.zeros((*full_shape, weights.shape[1]))
        full[:, channels] = weights.reshape(*X_train.shape[1:], -1)
        weights = full.reshape(-1, weights.shape[1])
    return RidgeStart(weights.astype(np.float32), bias.astype(np.float32), score, validation)


def start_linear_path(network, ridge: RidgeStart | None):
    """``network`` (from with_linear_path) with its output layer set to the ridge: features weigh zero at first."""
    if ridge is None:
        return network
    output = network.get_layer("output")
    kernel, _ = output.get_weights()
    weights, bias = ridge.weights, ridge.bias
    features = np.zeros((kernel.shape[0] - weights.shape[0], kernel.shape[1]), np.float32)
    output.set_weights([np.concatenate([features, weights]), bias])
    return network


# A trained network replaces its ridge start only when its validation error is lower by more than this share:
# a tie goes to the simpler forecast. Hourly Seattle temperatures, seeds 0-2: the network tied the ridge on
# validation (0.0290 against 0.0289-0.0291) and forecast the backtests worse (MASE 0.402-0.419 against 0.372)
# once it trained to convergence instead of to the time budget; the networks that are kept elsewhere beat their
# start by 2.5-13% (docs/forecasting.md).
START_MARGIN = 0.01


def validation_error(network, X: np.ndarray, y: np.ndarray) -> float:
    """Mean absolute error of ``network`` on the validation windows, leaving out missing targets."""
    pred = np.asarray(network.predict(X, batch_size=512, verbose=0))
    return float(np.nanmean(np.abs(pred - y)))


def average_of(networks):
    """One Keras model whose forecast is the mean of the trained ``networks`` (one file, one export graph)."""
    from .._backend import keras
    from ..training.ensemble import average_models

    named = [keras().Model(n.input, n.output, name=f"member_{i}") for i, n in enumerate(networks)]
    return average_models(named, networks[0].input.shape[1:])


class CNNForecaster(FittedStateMixin, BaseEstimator):
    """Forecast ``horizon`` steps of one or many series with one 1D CNN.

    Example::

        f = CNNForecaster(horizon=24, season=24, seed=0).fit(hourly_series)   # pandas Series
        f.predict()         # DataFrame: id, time, target, forecast, lower, upper
        f.score(next_24)    # -MASE of the forecast against what happened

    Args:
        horizon: steps to forecast (direct multi-step output).
        lookback: past steps the network sees (default: max(2 * horizon, season + horizon, 16) or twice that,
            whichever window's ridge start forecasts better out of sample; capped by the data).
        season: seasonal period m for seasonal naive, MASE and ETS (default: from the frequency).
        level: prediction-interval level: split-conformal per horizon step on the latest out-of-sample
            windows before the forecast origin (validation windows, then any observed after training), scaled
            by each window's local volatility.
        model: registered network (``tcn`` by default; any zoo model works with a forecasting head).
        ensemble: networks to train and average (each from its own seed). Default: as many as ``max_time``
            has room for, up to 5 (the budget covers them all); 1 without a budget.
        validation_fraction: share of the latest window origins held back for early stopping and calibration
            (at most MAX_VALIDATION_WINDOWS, 500, per series).
        Other arguments as for :class:`~cnn1d.CNNClassifier`.

    Every window is divided by the standard deviation of its past (instance normalisation: the network sees
    each stretch of the series at one scale), and a linear path maps the window to the forecast beside the
    network (see :func:`with_linear_path`).
    """

    task = "forecast"

    def __init__(self, horizon: int = 12, lookback: int | None = None, season: int | None = None, level: float = 0.9,
                 model: str = "tcn", model_params: dict | None = None, epochs: int = 100, batch_size: int | None = None,
                 learning_rate: float = 1e-3, validation_fraction: float = 0.2, patience: int = 15,
                 lr_patience: int = 8, min_learning_rate: float = 1e-5, max_time: float | None = None,
                 calendar_features: bool = True, ensemble: int | None = None, seed: int | None = None,
                 verbose: int = 0, out: str | None = None, devices: int = 1, resume: bool = False):
        self.horizon = horizon
        self.devices = devices
        self.lookback = lookback
        self.season = season
        self.level = level
        self.model = model
        self.model_params = model_params
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.lr_patience = lr_patience
        self.min_learning_rate = min_learning_rate
        self.max_time = max_time
        self.calendar_features = calendar_features
        self.ensemble = ensemble
        self.seed = seed
        self.verbose = verbose
        self.out = out
        self.resume = resume

    # -- helpers --------------------------------------------------------------------------------
    def _known(self, table: SeriesTable, key, index, covariates: np.ndarray | None) -> np.ndarray:
        cal = calendar_matrix(index, table.freq, tuple(self.calendar_parts_))
        parts = [cal]
        if covariates is not None and covariates.shape[1]:
            mean, std = self.cov_scale_.get(str(key), self.cov_scale_["__global__"])
            parts.append(np.nan_to_num((covariates - np.asarray(mean)) / np.asarray(std)))
        return np.concatenate(parts, axis=1).astype(np.float32)

    def _scale(self, key, values: np.ndarray) -> np.ndarray:
        mean, std = self.scale_.get(str(key), self.scale_["__global__"])
        return (values - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)

    def _unscale(self, key, values: np.ndarray) -> np.ndarray:
        mean, std = self.scale_.get(str(key), self.scale_["__global__"])
        return values * np.asarray(std, np.float32) + np.asarray(mean, np.float32)

    def _choose_anchor(self, table: SeriesTable, ends: dict, lookback: int, horizon: int, season: int) -> int:
        """Seasonal naive or naive as the anchor, whichever forecast the training data better.

        Stock prices have no season and seasonal naive is a poor start there; hourly temperatures are the
        opposite. Errors are pooled over series in scaled units, on the training part only.
        """
        from ..preprocess.windowing import impute_linear

        if season <= 1 or season > lookback:
            return 1
        errors = {1: [], season: []}
        for key in table.ids:
            s = impute_linear(self._scale(key, table.targets[key][: ends[key]]))
            origins = np.arange(lookback, len(s) - horizon + 1, max(1, horizon // 2))
            for o in origins:
                future = s[o: o + horizon]
                errors[1].append(np.abs(future - s[o - 1]).mean())
                errors[season].append(np.abs(future - s[o - season:][np.arange(horizon) % season]).mean())
        return season if np.mean(errors[season]) < np.mean(errors[1]) else 1

    def _windows(self, table: SeriesTable, ends: dict, lookback: int, H: int, anchor_season: int) -> dict:
        """Training and validation windows of every series for one lookback, and the ridge start over them."""
        train_parts, val_parts, trained_through = [], [], {}
        for key in table.ids:
            end = ends[key]
            scaled = self._scale(key, table.targets[key][:end])
            known = self._known(table, key, table.index[key][:end], table.covariates[key][:end] if table.covariates else None)
            origins = np.arange(lookback, end - H + 1)
            n_val = (min(int(round(len(origins) * self.validation_fraction)), MAX_VALIDATION_WINDOWS)
                     if len(origins) >= 2 * MIN_WINDOWS else 0)
            # Validation origins are the latest; training windows end before the first validation target.
            val_origins = origins[len(origins) - n_val:] if n_val else origins[:0]
            # the last step whose value the networks trained on (as a timestamp: a later table may start elsewhere)
            trained_through[key] = step_label(table.index[key], (int(val_origins[0]) if n_val else end) - 1)
            train_origins = origins[origins + H <= (val_origins[0] if n_val else end)]
            train_parts.append(training_windows(scaled, known, lookback, H, train_origins, anchor_season, True))
            val_parts.append(training_windows(scaled, known, lookback, H, val_origins, anchor_season, True))
        out = {"X_train": np.concatenate([p[0] for p in train_parts]), "y_train": np.concatenate([p[1] for p in train_parts]),
               "X_val": np.concatenate([p[0] for p in val_parts]), "y_val": np.concatenate([p[1] for p in val_parts]),
               "train_scales": np.concatenate([p[3] for p in train_parts]),
               "val_scales": np.concatenate([p[3] for p in val_parts]), "trained_through": trained_through}
        # each training window's block: its position among its own series' training windows, in fifths
        blocks = np.concatenate([np.arange(len(p[0])) * RIDGE_BLOCKS // max(len(p[0]), 1) for p in train_parts])
        # The ridge reads the targets, their mask and covariates, not the calendar: fitted on the first fifth of a
        # year, a linear map of day-of-year terms extrapolates wildly into the next (hourly San Francisco: relative
        # error 1.6 against the anchor with them, 0.88 without, on that block).
        width = out["X_train"].shape[2]
        n_calendar = width - 2 * table.n_targets - len(table.covariate_names)
        channels = np.r_[0: 2 * table.n_targets, 2 * table.n_targets + n_calendar: width]
        out["ridge"] = (ridge_start(out["X_train"], out["y_train"], blocks, out["X_val"], out["y_val"],
                                    out["train_scales"], out["val_scales"], channels)
                        if len(out["X_train"]) >= MIN_WINDOWS else None)
        return out

    # -- fit ------------------------------------------------------------------------------------
    def _max_members(self) -> int:
        """``ensemble`` if set; else up to MAX_MEMBERS while a --max-time budget has room, 1 without one."""
        if self.ensemble is not None:
            if not isinstance(self.ensemble, int) or self.ensemble < 1:
                raise ConfigError(f"ensemble must be a positive integer, got {self.ensemble!r}")
            return self.ensemble
        return MAX_MEMBERS if self.max_time is not None else 1

    def fit(self, y: Any, X: Any = None) -> "CNNForecaster":
        from .. import models
        from .._backend import backend_name, seed_everything
        from ..config import RunConfig
        from ..training import trainer

        table = as_table(y, X)
        if not isinstance(self.horizon, int) or self.horizon < 1:
            raise ConfigError(f"horizon must be a positive integer, got {self.horizon!r}")
        if not (0 < self.level < 1):
            raise ConfigError(f"level must be between 0 and 1, got {self.level!r}")
        if self.seed is not None:
            seed_everything(self.seed)
        H = self.horizon
        season = self.season or season_for(table.freq)
        ends, _ = trim_future(table)
        shortest = min(ends.values())
        longest_allowed = max(shortest - H - MIN_WINDOWS, 0)
        base = min(self.lookback or max(2 * H, season + H, 16), longest_allowed)
        if base < 2:
            raise DataError(
                f"{table.source}: the shortest series has {shortest} observed steps; a horizon of {H} needs at least "
                f"{H + MIN_WINDOWS + 2} (lookback + horizon + {MIN_WINDOWS} training windows). Shorten --horizon or add data"
            )
        self.scale_, self.cov_scale_ = {}, {}
        all_obs = np.concatenate([table.targets[k][: ends[k]] for k in table.ids])
        self.scale_["__global__"] = (np.nanmean(all_obs, 0).tolist(), np.maximum(np.nanstd(all_obs, 0), 1e-6).tolist())
        for key in table.ids:
            past = table.targets[key][: ends[key]]
            self.scale_[str(key)] = (np.nanmean(past, 0).tolist(), np.maximum(np.nanstd(past, 0), 1e-6).tolist())
            if table.covariates:
                cov = table.covariates[key][: ends[key]]
                self.cov_scale_[str(key)] = (np.nanmean(cov, 0).tolist(), np.maximum(np.nanstd(cov, 0), 1e-6).tolist())
        if table.covariates:
            all_cov = np.concatenate([table.covariates[k][: ends[k]] for k in table.ids])
            self.cov_scale_["__global__"] = (np.nanmean(all_cov, 0).tolist(), np.maximum(np.nanstd(all_cov, 0), 1e-6).tolist())
        # The span of the longest series decides which calendar features the global model gets.
        longest = max(table.ids, key=lambda k: ends[k])
        self.calendar_parts_ = list(calendar_parts(table.index[longest][: ends[longest]], table.freq)
                                    if self.calendar_features else ())
        anchor_season = self._choose_anchor(table, ends, base, H, season)
        # A lookback the user gave is kept; otherwise longer ones are tried and the ridge over each window decides
        # (its error on the validation windows relative to the anchor's; the anchor is the same for all). Only where
        # the default window's ridge beats the anchor: monthly stock prices have no ridge at 18 months and one
        # at 54 (0.93), momentum that was not there when tried before (see ridge_start).
        candidates = [base] if self.lookback else sorted({min(base * m, longest_allowed) for m in LOOKBACK_MULTIPLES})
        started = time.perf_counter()  # the ridge fits below count against --max-time, as the networks do
        self.lookback_scores_, windows = [], None  # [lookback, ridge validation error or None (no ridge)] each
        for tried in candidates:
            trial = self._windows(table, ends, tried, H, anchor_season)
            score = None if trial["ridge"] is None else trial["ridge"].validation
            self.lookback_scores_.append([int(tried), None if score is None else round(float(score), 4)])
            if windows is None or (score is not None and score < windows["ridge"].validation):
                windows, lookback = trial, tried
            if windows["ridge"] is None:  # the default window's ridge does not beat the anchor: no longer one tried
                break
        ridge = windows["ridge"]
        X_train, y_train, X_val, y_val = windows["X_train"], windows["y_train"], windows["X_val"], windows["y_val"]
        train_scales, val_scales = windows["train_scales"], windows["val_scales"]
        trained_through = windows["trained_through"]
        if len(X_train) < MIN_WINDOWS:
            raise DataError(f"{table.source}: only {len(X_train)} complete training windows; need {MIN_WINDOWS}. "
                            "Shorten --horizon or --lookback, or add data")
        config = RunConfig(task="classify", model=self.model, model_params=dict(self.model_params or {}),
                           epochs=self.epochs, batch_size=self.batch_size or FORECAST_BATCH,
                           learning_rate=self.learning_rate, validation_fraction=0.0, patience=self.patience, lr_patience=self.lr_patience,
                           min_learning_rate=self.min_learning_rate, max_time=self.max_time, seed=self.seed,
                           verbose=self.verbose, out=self.out, devices=self.devices)
        n_out = H * table.n_targets
        params = network_params(self.model, config.model_params)
        from ..models.layers import masked_mean_absolute_error  # NaN targets (windows across a gap) left out
        from ..training.distributed import fit_on_devices

        self.linear_start_ = "ridge" if ridge is not None else "random"
        members, results = [], []
        start_error = None  # validation error of the ridge alone: the started network's forecast before training
        if ridge is not None:
            start_error = float(np.nanmean(np.abs(X_val.reshape(len(X_val), -1) @ ridge.weights + ridge.bias - y_val)))
        self.members_at_start_ = 0
        self.validation_errors_ = []  # per network: the validation MAE of its ridge start and of the trained network
        for i in range(self._max_members()):
            elapsed = time.perf_counter() - started
            if i and self.max_time is not None and elapsed + 1.2 * elapsed / i > self.max_time:
                break  # another member would overrun the budget: stop at the members that fit
            member_seed = None if self.seed is None else self.seed + i
            if i and member_seed is not None:
                seed_everything(member_seed)
            member_config = config.replace(seed=member_seed, max_time=None if self.max_time is None
                                           else self.max_time - elapsed)
            run_dir = Path(self.out) / (f"member-{i}" if i else "") if self.out else None
            result = fit_on_devices(
                self.devices, lambda: start_linear_path(with_linear_path(
                    models.build(self.model, (lookback + H, X_train.shape[2]), n_out, "linear", **params)), ridge),
                lambda network, devices: trainer.train(
                    network, X_train, y_train, validation=(X_val, y_val) if len(X_val) else None, config=member_config,
                    loss=masked_mean_absolute_error, metrics=[], run_dir=run_dir, resume=self.resume, devices=devices))
            results.append(result)
            trained_error = validation_error(result.model, X_val, y_val) if start_error is not None else None
            if trained_error is not None:
                self.validation_errors_.append({"ridge_start": round(start_error, 6), "trained": round(trained_error, 6)})
            if trained_error is not None and trained_error >= start_error * (1 - START_MARGIN):
                # Training did not clearly improve on the ridge it started from: keep that start (its convolutions
                # weigh zero). Hourly temperatures, 40 backtest days: ridge alone 0.374 / 0.720, trained 0.396 / 0.785.
                start_linear_path(result.model, ridge)
                self.members_at_start_ += 1
            members.append(result.model)
            if self.members_at_start_ and self.ensemble is None:
                # More networks from other seeds fared no better where one did not (weekly CO2: 5 of 5 and 2 of 2
                # kept at the start, San Francisco 2 of 2): averaging copies of the start changes nothing but the time.
                break
        result = results[0]
        self.n_members_ = len(members)
        self.instance_norm_ = self.linear_path_ = True
        self.model_ = members[0] if len(members) == 1 else average_of(members)
        self.lookback_, self.season_, self.freq_ = lookback, season, table.freq
        self.anchor_season_ = anchor_season
        self.target_names_, self.covariate_names_ = list(table.target_names), list(table.covariate_names)
        self.n_inputs_ = int(X_train.shape[2])
        calib_x, calib_y, calib_scale = (X_val, y_val, val_scales) if len(X_val) else (X_train, y_train, train_scales)
        scales = local_scale(calib_x, lookback, table.n_targets, window_scales=calib_scale)
        self.interval_reference_ = np.median(scales, axis=0).tolist()
        # Windows forecasting what comes after these steps were never trained on: the recent calibration draws on them.
        self.trained_through_ = {str(key): label for key, label in trained_through.items()}
        # (H, n_targets) in units of the scaled target per unit of local scale (see windowing.local_scale): what a
        # forecast from the end of the training data uses, and what export bakes in
        recent = self._recent_interval(table, ends)
        if recent is None:  # too few validation windows: all calibration windows (training ones without any)
            recent = (ftask.conformal_quantile(self._normalised_residuals(calib_x, calib_y, calib_scale), self.level),
                      int(len(calib_y)))
        self.interval_, self.n_calibration_ = recent[0].tolist(), recent[1]
        trainer.record_training(self, result)  # the first member's history; the time is all members'
        self.train_seconds_ = float(sum(r.seconds for r in results))
        self.fit_seconds_ = time.perf_counter() - started
        self.n_params_ = int(self.model_.count_params())
        self.backend_ = backend_name()
        self.n_windows_ = int(len(X_train))
        self.data_report_ = table.report
        self.table_ = table
        self.config_ = self.to_config()
        return self

    # -- forecasting ----------------------------------------------------------------------------

    def forecast_at(self, table: SeriesTable, origins: dict | None = None, horizon: int | None = None):
        """Forecast each series from ``origins[id]`` (default: its last observed step).

        Returns ``{id: (point, lower, upper)}`` arrays of shape ``(horizon, n_targets)`` in data units.
        Covariates (if the model uses them) must cover ``horizon`` steps past each origin.
        """
        self._check_fitted()
        if horizon is not None and int(horizon) < 1:
            raise ConfigError(f"horizon {horizon}: give a number of steps ahead from 1 to {self.horizon}")
        H = horizon or self.horizon
        if H > self.horizon:
            raise ConfigError(f"horizon {H} is longer than the {self.horizon} steps this model was trained to forecast; "
                              "retrain with a longer --horizon")
        if table.target_names != self.target_names_:
            raise DataError(f"{table.source}: targets {table.target_names} differ from the trained {self.target_names_}")
        trained = getattr(self, "freq_", None)
        if trained and table.freq and table.freq != trained:
            # The network knows one step: a weekly history given to a business-day model was forecast as if
            # each week were a day, at weekly timestamps.
            raise DataError(f"{table.source}: the history's steps are {table.freq}, but this model was trained on "
                            f"{trained} steps; give the history at {trained}, as in training (or train a model on "
                            f"{table.freq} data)")
        keys, batch, levels, window_scales = self._windows_at(table, origins)
        out = {}
        windows = np.stack(batch)
        pred = np.asarray(self.model_.predict_on_batch(windows))
        if self.interval_reference_ is None:  # a bundle from before local scaling: one width per step
            scales = np.ones((len(windows), len(self.target_names_)), np.float32)
        else:
            scales = local_scale(windows, self.lookback_, len(self.target_names_), np.asarray(self.interval_reference_),
                                 np.stack(window_scales))
        ends, _ = trim_future(table)
        recent = self._recent_interval(table, {key: (origins or {}).get(key, ends[key]) for key in keys})
        interval = np.asarray(self.interval_ if recent is None else recent[0], np.float32)
        for key, p, level, scale, window_scale in zip(keys, pred, levels, scales, window_scales):
            point_scaled = p.reshape(self.horizon, -1) * window_scale + level  # level: the seasonal-naive anchor
            mean, std = self.scale_.get(str(key), self.scale_["__global__"])
            half = interval * scale * np.asarray(std, np.float32)
            point = self._unscale(key, point_scaled)[:H]
            out[key] = (point, point - half[:H], point + half[:H])
        return out

    def _normalised_residuals(self, X: np.ndarray, y: np.ndarray, window_scales: np.ndarray) -> np.ndarray:
        """``(n, horizon, n_targets)`` absolute errors of the windows ``X`` in the scaled target's units (the
        window scale of instance normalisation undone), per unit of each window's local scale: the units of
        ``interval_``."""
        n_targets = len(self.target_names_)
        # Padded to a power of two (at most 512 per batch): each new batch shape would compile the network again.
        size = min(512, 1 << max(len(X) - 1, 1).bit_length())
        padded = np.concatenate([X, np.zeros((-len(X) % size, *X.shape[1:]), X.dtype)])
        pred = np.concatenate([np.asarray(self.model_.predict_on_batch(padded[i: i + size]))
                               for i in range(0, len(padded), size)])[: len(X)]
        residual = np.abs(pred - y).reshape(len(y), self.horizon, n_targets) * window_scales[:, None, :]
        scales = local_scale(X, self.lookback_, n_targets, np.asarray(self.interval_reference_), window_scales)
        return residual / scales[:, None, :]

    def _recent_interval(self, table: SeriesTable, origins: dict) -> tuple[np.ndarray, int] | None:
        """``(half-widths (horizon, n_targets), n windows)`` calibrated on the latest windows of each series that
        the networks never trained on and whose whole future is observed before its origin in ``origins``;
        None where there are too few (a bundle from before this calibration, a history of ``lookback`` steps).

        A forecast from a calm stretch after a volatile validation period gets a narrower interval, and one after
        a run of surprises a wider one; a series the model was not trained on is out-of-sample throughout.
        """
        trained_through = getattr(self, "trained_through_", None)
        if not trained_through or self.interval_reference_ is None:
            return None
        H = self.horizon
        per_series = max(2 * H, RECENT_CALIBRATION)
        xs, ys, window_scales = [], [], []
        for key in table.ids:
            origin = origins[key]
            index = table.index[key]
            unseen = position_after(index, trained_through[str(key)]) if str(key) in trained_through else 0
            first = max(unseen, origin - H - per_series + 1, self.lookback_)
            if origin - H < first:
                continue
            # Only the steps these windows read (a window sees lookback steps before its origin), not the whole
            # history: this runs on every forecast, and a long hourly series would be re-featurised each time.
            start = first - self.lookback_
            covariates = table.covariates[key][start:origin] if self.covariate_names_ else None
            known = self._known(table, key, index[start:origin], covariates)
            X, y, _, s = training_windows(self._scale(key, table.targets[key][start:origin]), known, self.lookback_, H,
                                          np.arange(first, origin - H + 1) - start, self.anchor_season_,
                                          self.instance_norm_)
            xs.append(X)
            ys.append(y)
            window_scales.append(s)
        n = sum(len(x) for x in xs)
        if n < MIN_RECENT_RESIDUALS:
            return None
        residuals = self._normalised_residuals(np.concatenate(xs), np.concatenate(ys), np.concatenate(window_scales))
        return ftask.conformal_quantile(residuals, self.level), n

    def _windows_at(self, table: SeriesTable, origins: dict | None = None):
        """``(ids, network inputs, anchor levels, window scales)`` of the window ending at each series' origin."""
        ends, _ = trim_future(table)
        batch, keys, levels, scales = [], [], [], []
        for key in table.ids:
            origin = (origins or {}).get(key, ends[key])
            if origin < self.lookback_:
                raise DataError(f"{table.source}: series {key!r} has {origin} steps before the forecast origin; "
                                f"the model needs {self.lookback_}")
            index = table.index[key]
            full_index = index[:origin].append(future_index(index[:origin], table.freq, self.horizon))
            cov = None
            if self.covariate_names_:
                cov = table.covariates[key][: origin + self.horizon]
                if len(cov) < origin + self.horizon or np.isnan(cov[origin:]).any():
                    raise DataError(f"{table.source}: series {key!r} needs covariate values for the {self.horizon} "
                                    "future steps: add rows with the covariates and empty targets")
            known = self._known(table, key, full_index, cov)
            scaled = self._scale(key, table.targets[key][:origin])
            x, level, window_scale = window_inputs(scaled, known, origin, self.lookback_, self.horizon,
                                                   self.anchor_season_, self.instance_norm_)
            batch.append(x)
            levels.append(level)
            scales.append(window_scale)
            keys.append(key)
        return keys, batch, levels, scales

    def explain(self, table: SeriesTable | None = None, method: str = "auto", step: int | None = None,
                target: str | None = None) -> np.ndarray:
        """Which steps of each series' last window drove its forecast ``step`` steps ahead (default: the last
        of the horizon) of ``target`` (default: the first): ``(n_series, lookback + horizon)``, the lookback's
        history followed by the future steps whose calendar/covariate inputs the model also sees."""
        from ..evaluation.explain import check_method, explain_arrays

        self._check_fitted()
        check_method(method)
        step = self.horizon if step is None else step
        if not 1 <= step <= self.horizon:
            raise ConfigError(f"step must be between 1 and the horizon {self.horizon}, got {step}")
        column = 0 if target is None else (self.target_names_.index(target) if target in self.target_names_ else -1)
        if column < 0:
            raise DataError(f"target {target!r} is not forecast by this model; targets: {self.target_names_}")
        _, batch, _, _ = self._windows_at(table or self.table_)
        x = np.stack(batch)
        index = np.full(len(x), (step - 1) * len(self.target_names_) + column)
        attributions = explain_arrays(self.model_, x, index, method, np.zeros_like(x))  # "auto" resolved inside
        return attributions.sum(axis=-1) if attributions.ndim == 3 else attributions

    def predict(self, horizon: int | None = None, table: SeriesTable | None = None):
        """Forecast past the end of the fitted series (or of ``table``) as a tidy DataFrame."""
        import pandas as pd

        self._check_fitted()
        table = table or self.table_
        forecasts = self.forecast_at(table, horizon=horizon)
        H = horizon or self.horizon
        ends, _ = trim_future(table)
        rows = []
        for key, (point, lower, upper) in forecasts.items():
            times = in_zone(future_index(table.index[key][: ends[key]], table.freq, H), table.time_zone)
            for j, target in enumerate(self.target_names_):
                rows.append(pd.DataFrame({"id": key, "time": times, "target": target, "forecast": point[:, j],
                                          "lower": lower[:, j], "upper": upper[:, j]}))
        return pd.concat(rows, ignore_index=True)

    def score(self, y_future: Any, X: Any = None) -> float:
        """Negative MASE of ``predict()`` against the values that followed the fitted series (higher is better)."""
        self._check_fitted()
        actual = np.asarray(y_future, dtype=np.float64)
        actual = actual[:, None] if actual.ndim == 1 else actual
        key = self.table_.ids[0]
        point = self.forecast_at(self.table_, horizon=len(actual))[key][0]
        history = self.table_.targets[key][:, 0]
        scale = ftask.mase_scale(history, self.season_)
        return -float(np.nanmean(np.abs(point - actual)) / scale)

    def to_config(self):
        """The parameters as a RunConfig (what the bundle records and ``cnn1d train --config`` replays)."""
        from ..config import config_of

        return config_of(self, "forecast")

    _RENAMED_PARAMS = {"calendar": "calendar_features"}

    _STATE = ("lookback_", "season_", "anchor_season_", "freq_", "calendar_parts_", "target_names_", "covariate_names_",
              "n_inputs_", "interval_", "interval_reference_", "trained_through_", "n_members_", "instance_norm_", "linear_path_",
              "linear_start_", "members_at_start_", "validation_errors_", "lookback_scores_", "n_calibration_", "scale_", "cov_scale_", "epochs_", "best_epoch_", "train_seconds_",
              "stopped_because_", "batch_size_", "monitor_", "n_params_", "n_windows_", "history_")

    @classmethod
    def _upgrade_state(cls, state: dict[str, Any], config) -> dict[str, Any]:
        if "calendar_parts_" not in state:  # written before parts were recorded: every part that suits the frequency
            from ..data.timeseries import frequency_parts

            wanted = state["params"].get("calendar_features", state["params"].get("calendar", True))
            state = {**state, "calendar_parts_": list(frequency_parts(state["freq_"])) if wanted else []}
        if "n_members_" not in state:
            state = {**state, "n_members_": 1}
        if "interval_reference_" not in state:
            state = {**state, "interval_reference_": None}  # constant half-widths per horizon step
        if "trained_through_" not in state:  # which windows were out-of-sample is unknown: the fitted interval only
            state = {**state, "trained_through_": None}
        if "members_at_start_" not in state:  # every network was the trained one
            state = {**state, "members_at_start_": 0}
        if "validation_errors_" not in state:  # not recorded before 2026-11-29
            state = {**state, "validation_errors_": []}
        if "lookback_scores_" not in state:  # one lookback, not chosen among others
            state = {**state, "lookback_scores_": None}
        if "linear_start_" not in state:  # trained before the ridge start (the weights were random)
            state = {**state, "linear_start_": "random"}
        for name in ("instance_norm_", "linear_path_"):  # the network has neither
            state = {**state, name: state.get(name, False)}
        return state

    def _extra_state(self) -> dict[str, Any]:
        # The fitted history travels with the bundle (targets as lists, NaN as null) so predict() works alone.
        table = self.table_
        return {"data_report": self.data_report_, "history_data": {
            "freq": table.freq, "ids": [str(k) for k in table.ids], "time_zone": table.time_zone,
            "index": {str(k): [str(t) for t in table.index[k]] for k in table.ids},
            "targets": {str(k): [[None if np.isnan(v) else float(v) for v in row] for row in table.targets[k]]
                        for k in table.ids},
            "covariates": {str(k): table.covariates[k].tolist() for k in table.covariates},
        }}

    def _restore_extra(self, state: dict[str, Any]) -> None:
        import pandas as pd

        self.scale_ = {k: tuple(v) for k, v in self.scale_.items()}
        self.cov_scale_ = {k: tuple(v) for k, v in self.cov_scale_.items()}
        data = state["history_data"]
        index = {}
        for k in data["ids"]:
            raw = data["index"][k]
            index[k] = pd.DatetimeIndex(pd.to_datetime(raw)) if data["freq"] else pd.RangeIndex(len(raw))
        self.table_ = SeriesTable(
            targets={k: np.array([[np.nan if v is None else v for v in row] for row in data["targets"][k]], np.float32)
                     for k in data["ids"]},
            index=index, freq=data["freq"], target_names=list(self.target_names_),
            covariates={k: np.asarray(v, np.float32) for k, v in data["covariates"].items()},
            covariate_names=list(self.covariate_names_), source="bundle", time_zone=data.get("time_zone"))
        self.data_report_ = state.get("data_report", {})
