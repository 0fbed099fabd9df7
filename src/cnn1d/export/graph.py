"""Keras layers that put a bundle's numeric preprocessing inside the exported graph.

They repeat, in ``keras.ops`` only (so ``jax2onnx`` can trace them with a dynamic batch and series length),
what :class:`~cnn1d.preprocess.series.SeriesPreprocessor` does in NumPy: trailing all-NaN steps are padding,
other NaNs are missing values, filled as the bundle fills them, then scaled, zeroed outside the series, and
marked in a mask channel. The ONNX model therefore takes raw values with NaN, as a user has them.
"""

from __future__ import annotations

import keras
from keras import ops

_EPS = 1e-8
# Prefix-maximum by doubling shifts (Hillis-Steele): 17 rounds reach 131,072 steps. ONNX has no cumulative
# maximum, and a loop over the dynamic length would not export.
_SCAN_ROUNDS = 17
_FAR = 1e9


def _prefix_max(x):
    """Running maximum along axis 1."""
    length = ops.shape(x)[1]
    shift = 1
    for _ in range(_SCAN_ROUNDS):
        shifted = ops.pad(x, [[0, 0], [shift, 0], [0, 0]], constant_values=-_FAR)[:, :length]
        x = ops.maximum(x, shifted)
        shift *= 2
    return x


def _gather_steps(values, index):
    return ops.take_along_axis(values, ops.cast(index, "int32"), axis=1)


def linear_fill(values, observed, steps):
    """Linear interpolation between the nearest observed neighbours of each channel, the nearest observed
    value at the edges, 0 where a channel has none (``numpy.interp`` semantics)."""
    last = ops.cast(ops.shape(values)[1], "float32") - 1.0
    before = _prefix_max(ops.where(observed, steps, -_FAR))
    after = -ops.flip(_prefix_max(ops.flip(ops.where(observed, -steps, -_FAR), axis=1)), axis=1)
    has_before, has_after = before >= 0, after <= last
    left = _gather_steps(values, ops.clip(before, 0.0, last))
    right = _gather_steps(values, ops.clip(after, 0.0, last))
    weight = (steps - before) / ops.maximum(after - before, 1.0)
    between = left + (right - left) * weight
    filled = ops.where(has_before & has_after, between, ops.where(has_before, left, ops.where(has_after, right, 0.0)))
    return ops.where(observed, values, filled)


@keras.saving.register_keras_serializable(package="cnn1d_export")
class SeriesPreprocessing(keras.layers.Layer):
    """Raw series ``(batch, steps, channels)`` with NaN -> the network's input (impute, scale, pad, mask)."""

    def __init__(self, scaling: str, imputation: str, use_mask: bool, channel_mean=None, channel_std=None, **kwargs):
        super().__init__(**kwargs)
        self.scaling, self.imputation, self.use_mask = scaling, imputation, bool(use_mask)
        self.channel_mean = list(channel_mean or [])
        self.channel_std = list(channel_std or [])

    def call(self, x):
        x = ops.cast(x, "float32")
        missing = ops.isnan(x)
        observed = ops.logical_not(missing)
        values = ops.where(missing, 0.0, x)
        steps = ops.cumsum(ops.ones_like(values), axis=1) - 1.0
        # Inside a series: at or before its last step with any observed channel (trailing NaN rows are padding).
        any_observed = ops.cast(ops.any(observed, axis=2, keepdims=True), "float32")
        inside = ops.flip(ops.cumsum(ops.flip(any_observed, axis=1), axis=1), axis=1) > 0.0
        if self.imputation == "linear":
            # Complete batches (the usual case) skip the scans: they cost as much as a small network.
            values = ops.cond(ops.any(missing & inside), lambda: linear_fill(values, observed, steps), lambda: values)
        elif self.imputation == "mean":
            count = ops.sum(ops.cast(observed, "float32"), axis=1, keepdims=True)
            mean = ops.sum(values, axis=1, keepdims=True) / ops.maximum(count, 1.0)
            values = ops.where(observed, values, mean)
        if self.scaling == "series":
            inside_f = ops.cast(inside, "float32")
            count = ops.maximum(ops.sum(inside_f, axis=1, keepdims=True), 1.0)
            mean = ops.sum(values * inside_f, axis=1, keepdims=True) / count
            var = ops.sum(((values - mean) ** 2) * inside_f, axis=1, keepdims=True) / count
            std = ops.sqrt(var)
            values = (values - mean) / ops.where(std < _EPS, 1.0, std)
        elif self.scaling == "global":
            values = (values - ops.convert_to_tensor(self.channel_mean, "float32")) / ops.convert_to_tensor(
                self.channel_std, "float32")
        values = ops.where(inside, values, 0.0)
        if self.use_mask:
            mask = ops.all(observed, axis=2, keepdims=True) & inside
            values = ops.concatenate([values, ops.cast(mask, "float32")], axis=2)
        return values

    def get_config(self):
        return {**super().get_config(), "scaling": self.scaling, "imputation": self.imputation,
                "use_mask": self.use_mask, "channel_mean": self.channel_mean, "channel_std": self.channel_std}


@keras.saving.register_keras_serializable(package="cnn1d_export")
class Temperature(keras.layers.Layer):
    """Temperature scaling of probabilities (the bundle's ``calibrate``): softmax(log p / T)."""

    def __init__(self, temperature: float, **kwargs):
        super().__init__(**kwargs)
        self.temperature = float(temperature)

    def call(self, proba):
        return ops.softmax(ops.log(ops.clip(proba, 1e-12, 1.0)) / self.temperature, axis=-1)

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}


@keras.saving.register_keras_serializable(package="cnn1d_export")
class Affine(keras.layers.Layer):
    """``x * scale + shift``: a regressor's standardised output back in target units."""

    def __init__(self, scale: float, shift: float, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.shift = float(scale), float(shift)

    def call(self, x):
        return x[:, 0] * self.scale + self.shift

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "shift": self.shift}


@keras.saving.register_keras_serializable(package="cnn1d_export")
class ForecastWindow(keras.layers.Layer):
    """History in data units -> the forecaster's window (scaled past minus its level, seasonal anchor in the
    future part, the observed mask, then the known calendar/covariate features), the anchor itself and the
    window scale (the standard deviation of the filled past with ``normalise``, else 1).

    Mirrors :func:`cnn1d.preprocess.windowing.window_inputs`.
    """

    def __init__(self, horizon: int, season: int, normalise: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.horizon, self.season, self.normalise = int(horizon), int(season), bool(normalise)

    def call(self, history, known, mean, std):
        from ..preprocess.windowing import MIN_WINDOW_SCALE

        scaled = (history - mean[:, None, :]) / std[:, None, :]
        missing = ops.isnan(scaled)
        observed = ops.logical_not(missing)
        values = ops.where(missing, 0.0, scaled)
        observed_f = ops.cast(observed, "float32")
        count = ops.sum(observed_f, axis=1, keepdims=True)
        level = ops.where(count > 0, ops.sum(values, axis=1, keepdims=True) / ops.maximum(count, 1.0), 0.0)
        filled = linear_fill(values, observed, ops.cumsum(ops.ones_like(values), axis=1) - 1.0)
        lookback = history.shape[1]
        m = self.season if 1 < self.season <= lookback else 1
        last = filled[:, lookback - m:]
        anchor = ops.concatenate([last] * (self.horizon // m + 1), axis=1)[:, : self.horizon]
        if self.normalise:
            centred = filled - ops.mean(filled, axis=1, keepdims=True)
            scale = ops.maximum(ops.sqrt(ops.mean(centred * centred, axis=1, keepdims=True)), MIN_WINDOW_SCALE)
        else:
            scale = ops.ones_like(level)
        past = ops.concatenate([(filled - level) / scale, observed_f], axis=2)
        future = ops.concatenate([(anchor - level) / scale, ops.zeros_like(anchor)], axis=2)
        window = ops.concatenate([ops.concatenate([past, future], axis=1), known], axis=2)
        return window, anchor, scale

    def get_config(self):
        return {**super().get_config(), "horizon": self.horizon, "season": self.season, "normalise": self.normalise}


@keras.saving.register_keras_serializable(package="cnn1d_export")
class ForecastOutput(keras.layers.Layer):
    """The network's corrections to the anchor -> forecast, lower and upper bounds in data units.

    The split-conformal half-widths per horizon step and target are constants of the graph; with a
    ``reference`` they are multiplied by each window's local scale, as
    :func:`cnn1d.preprocess.windowing.local_scale` computes it. ``window_scale``: ForecastWindow's.
    """

    def __init__(self, horizon: int, n_targets: int, interval, reference=None, lookback: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.horizon, self.n_targets = int(horizon), int(n_targets)
        self.interval = [[float(v) for v in row] for row in interval]
        self.reference = None if reference is None else [float(v) for v in reference]
        self.lookback = None if lookback is None else int(lookback)

    def call(self, correction, anchor, mean, std, window, window_scale):
        from ..preprocess.windowing import LOCAL_SCALE_BOUND

        scaled = ops.reshape(correction, (-1, self.horizon, self.n_targets)) * window_scale + anchor
        point = scaled * std[:, None, :] + mean[:, None, :]
        half = ops.convert_to_tensor(self.interval, "float32")[None] * std[:, None, :]
        if self.reference is not None:
            past = window[:, : self.lookback, : self.n_targets] * window_scale
            local = ops.sqrt(ops.mean(ops.abs(past[:, 1:] - past[:, :-1]), axis=1) + 1e-6)
            reference = ops.convert_to_tensor(self.reference, "float32")[None]
            local = ops.clip(local, reference / LOCAL_SCALE_BOUND, reference * LOCAL_SCALE_BOUND)
            half = half * local[:, None, :]
        return point, point - half, point + half

    def get_config(self):
        return {**super().get_config(), "horizon": self.horizon, "n_targets": self.n_targets, "interval": self.interval,
                "reference": self.reference, "lookback": self.lookback}
