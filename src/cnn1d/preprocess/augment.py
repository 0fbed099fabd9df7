"""Training-set augmentation for series and audio: random time shift, gain, additive noise and speed.

Copies are made once, before any front end (so log-mel features are computed from augmented audio),
from a seeded generator; the validation split never contains augmented copies of its own series.
"""

from __future__ import annotations

import numpy as np

from ..data.dataset import Dataset


def augment_copies(data: Dataset, copies: int, seed: int | None = None, *, max_shift: float = 0.1,
                   gain_db: float = 6.0, snr_db: float = 30.0, speed: float = 0.1) -> Dataset:
    """``data`` plus ``copies`` perturbed copies of every series (labels repeated).

    Each copy: speed change by a factor in [1 - speed, 1 + speed] (linear-interpolation resampling), a
    circular shift of up to ``max_shift`` of its length, a gain of +/- ``gain_db`` dB and white noise at
    ``snr_db`` dB below the series' power.
    """
    if copies < 1:
        return data
    rng = np.random.default_rng(seed)
    series, labels = [], []
    for i in range(len(data)):
        original = np.nan_to_num(data.values[i, : data.lengths[i]])
        series.append(original)
        labels.append(data.y[i])
        for _ in range(copies):
            x = original
            factor = rng.uniform(1 - speed, 1 + speed)
            n = max(2, int(round(len(x) / factor)))
            grid = np.linspace(0, len(x) - 1, n)
            x = np.stack([np.interp(grid, np.arange(len(x)), x[:, c]) for c in range(x.shape[1])], axis=1)
            x = np.roll(x, int(rng.integers(-int(max_shift * len(x)), int(max_shift * len(x)) + 1)), axis=0)
            x = x * 10 ** (rng.uniform(-gain_db, gain_db) / 20)
            power = float(np.mean(x ** 2)) or 1e-12
            x = x + rng.normal(0, np.sqrt(power / 10 ** (snr_db / 10)), size=x.shape)
            series.append(x.astype(np.float32))
            labels.append(data.y[i])
    return Dataset.from_series(series, np.array(labels, dtype=data.y.dtype), source=data.source, name=data.name,
                               class_names=data.class_names, task=data.task, meta=dict(data.meta))
