"""Series preprocessing fitted on training data only and saved with the model (as JSON, no pickle).

Order of operations for each series: impute missing values -> scale -> pad to a common length ->
optionally append a mask channel (1 = observed, 0 = missing or padding), so the network can tell real
zeros from filled gaps and padding.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..data.dataset import Dataset
from ..errors import DataError

_EPS = 1e-8


@dataclass
class SeriesPreprocessor:
    """Impute, scale, pad and mask series.

    Args:
        scaling: ``series`` (z-normalise each series and channel), ``global`` (per-channel mean and
            standard deviation of the training set) or ``none``.
        imputation: ``linear`` (interpolate between observed neighbours, nearest value at the edges),
            ``mean`` (the series' own channel mean) or ``zero``.
        mask_channel: ``auto`` (only if training data has gaps or unequal lengths), ``yes`` or ``no``.
    """

    scaling: str = "global"
    imputation: str = "linear"
    mask_channel: str = "auto"
    # fitted state
    n_channels: int | None = None
    train_length: int | None = None
    train_min_length: int | None = None  # None in bundles saved before it was recorded
    use_mask: bool = False
    channel_mean: list[float] = field(default_factory=list)
    channel_std: list[float] = field(default_factory=list)

    def fit(self, data: Dataset) -> "SeriesPreprocessor":
        self.n_channels = data.n_channels
        self.train_length = data.max_length
        self.train_min_length = int(data.lengths.min())
        self.use_mask = self.mask_channel == "yes" or (
            self.mask_channel == "auto" and (data.has_missing or not data.equal_length)
        )
        if self.scaling == "global":
            filled = self._impute(data)
            inside = data.padding_mask()
            # float64: squares of values near 1e20 overflow float32 and would store an infinite std.
            per_channel = filled[inside].astype(np.float64)  # (n_observed_steps, channels)
            mean, std = per_channel.mean(axis=0), per_channel.std(axis=0)
            if not (np.isfinite(mean).all() and np.isfinite(std).all()):
                raise DataError(f"{data.source or 'training data'}: the per-channel mean or standard deviation is not "
                                "finite; rescale the values")
            self.channel_mean = mean.tolist()
            self.channel_std = np.maximum(std, _EPS).tolist()
        return self

    @property
    def output_channels(self) -> int:
        self._check_fitted()
        return self.n_channels + int(self.use_mask)

    def transform(self, data: Dataset, length: int | None = None) -> np.ndarray:
        """Return a float32 array ``(n, length, output_channels)``.

        ``length`` defaults to the longest of the training length and this data's length. A series is
        never truncated: a longer one than ``length`` raises :class:`DataError`.
        """
        self._check_fitted()
        where = data.source or "data"
        if data.n_channels != self.n_channels:
            raise DataError(
                f"{where}: series have {data.n_channels} channel(s) but the model was trained on {self.n_channels}"
            )
        length = length or max(self.train_length, data.max_length)
        if data.max_length > length:
            raise DataError(
                f"{where}: series are up to {data.max_length} steps long but this model takes at most {length}; "
                "cnn1d does not truncate series: resample them or retrain with a model that accepts any length "
                "(fcn, resnet, inception)"
            )
        values = self._impute(data).astype(np.float64)  # float64: squares of large values overflow float32
        inside = data.padding_mask()[:, :, None]
        if self.scaling == "series":
            count = np.maximum(data.lengths, 1)[:, None, None].astype(np.float64)
            mean = np.where(inside, values, 0).sum(axis=1, keepdims=True) / count
            var = np.where(inside, (values - mean) ** 2, 0).sum(axis=1, keepdims=True) / count
            std = np.sqrt(var)
            values = (values - mean) / np.where(std < _EPS, 1.0, std)
        elif self.scaling == "global":
            values = (values - np.asarray(self.channel_mean)) / np.asarray(self.channel_std)
        values = np.where(inside, values, 0.0)
        if not np.isfinite(values).all():
            raise DataError(f"{where}: values overflow after scaling (far outside the training range?); rescale them")
        values = values.astype(np.float32)
        out = np.zeros((len(data), length, self.output_channels), dtype=np.float32)
        out[:, : data.max_length, : self.n_channels] = values
        if self.use_mask:
            out[:, : data.max_length, -1] = data.observed_mask().all(axis=2)
        return out

    @property
    def train_scale(self) -> dict[str, list[float]] | None:
        """The training data's per-channel mean and std that new data are compared with (global scaling only:
        series scaling is immune to units, and ``none`` keeps no statistics)."""
        if self.scaling != "global" or not self.channel_std:
            return None
        return {"mean": list(self.channel_mean), "std": list(self.channel_std)}

    def input_warnings(self, data: Dataset) -> list[str]:
        """Warnings when ``data`` is on another scale than the training series, or holds series shorter than any
        of them (see :func:`scale_warning` and :func:`length_warning`)."""
        scale = self.train_scale
        found = [None if scale is None else scale_warning(data, scale["mean"], scale["std"]),
                 length_warning(data, self.train_min_length)]
        return [w for w in found if w]

    def _impute(self, data: Dataset) -> np.ndarray:
        values = data.values.copy()
        missing = np.isnan(values) & data.padding_mask()[:, :, None]
        if not missing.any():
            return np.nan_to_num(values, nan=0.0)
        for i, c in zip(*np.nonzero(missing.any(axis=1))):
            n = int(data.lengths[i])
            series = values[i, :n, c]
            known = ~np.isnan(series)
            if not known.any():
                series[:] = 0.0
            elif self.imputation == "linear":
                steps = np.arange(n)
                series[~known] = np.interp(steps[~known], steps[known], series[known])
            elif self.imputation == "mean":
                series[~known] = series[known].mean()
            else:
                series[~known] = 0.0
        return np.nan_to_num(values, nan=0.0)

    def _check_fitted(self) -> None:
        if self.n_channels is None:
            raise DataError("the preprocessor is not fitted; call fit on training data first")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> "SeriesPreprocessor":
        return cls(**state)


# Median |value - training mean| / training std above which data to predict is on another scale than the training
# data. Training data sits near 0.7 (a normal distribution's median |z|); a quiet or shifted class stays within a
# few; values in millivolts for a model trained in volts sit near 1,000.
FOREIGN_SCALE = 20.0
SCALE_SAMPLE = 1_000_000


def length_warning(data: Dataset, train_min_length: int | None) -> str | None:
    """Say so when some series are shorter than every training series: they cover part of what the model learnt
    from (GunPoint's test series cut to their first 100 of 150 steps: accuracy 0.993 -> 0.953, exit 0)."""
    if not train_min_length or not len(data):
        return None
    short = data.lengths < train_min_length
    if not short.any():
        return None
    return (f"{int(short.sum())} of {len(data)} series are shorter than every training series ({int(data.lengths.min())} "
            f"steps at the shortest, against at least {train_min_length} in training); predictions on them may be "
            "less reliable (a cut-off recording, or a file holding only part of each series?)")


def scale_warning(data: Dataset, mean: list[float], std: list[float]) -> str | None:
    """Say so when the observed values of ``data`` are, per channel, a median of more than FOREIGN_SCALE training
    standard deviations from the training mean: another unit or unscaled data, on which a model trained with
    global scaling predicts with exit 0 and no meaning."""
    inside = data.padding_mask()
    worst = None
    for c in range(min(data.n_channels, len(mean))):
        values = data.values[:, :, c][inside]
        values = values[np.isfinite(values)]
        if not len(values):
            continue
        if len(values) > SCALE_SAMPLE:  # a median needs no more than this; a large file holds 10^8 values
            values = values[:: len(values) // SCALE_SAMPLE]
        z = float(np.median(np.abs(values.astype(np.float64) - mean[c]) / std[c]))
        if z > FOREIGN_SCALE and (worst is None or z > worst[1]):
            worst = (c, z)
    if worst is None:
        return None
    c, z = worst
    where = f" (channel {c})" if data.n_channels > 1 else ""
    return (f"the values are on another scale than the training data{where}: their median lies {z:,.0f} training "
            f"standard deviations from the training mean {mean[c]:.4g} (std {std[c]:.4g}); another unit, or "
            "values scaled differently from training? The predictions are unlikely to mean anything")
