"""Sample inputs kept in a bundle at fit time, and the inputs export's parity check runs on."""

from __future__ import annotations

from typing import Any

import numpy as np

N_SAMPLES = 8
MAX_SAMPLE_VALUES = 200_000  # keeps bundle.json small: ~8 one-second clips at 16 kHz, or 8 series of 25,000 steps


def capture_series(data) -> dict[str, Any]:
    """Up to 8 training series as the user gave them (before any audio front end), spread over the set."""
    picks = np.unique(np.linspace(0, len(data) - 1, min(N_SAMPLES, len(data))).astype(int))
    budget = max(1, MAX_SAMPLE_VALUES // (len(picks) * data.n_channels))
    series = []
    for i in picks:
        values = data.values[i, : min(int(data.lengths[i]), budget)]
        series.append([[None if np.isnan(v) else float(v) for v in row] for row in values])
    return {"series": series, "sample_rate": data.meta.get("sample_rate")}


def capture_texts(texts: list[str]) -> list[str]:
    picks = np.unique(np.linspace(0, len(texts) - 1, min(N_SAMPLES, len(texts))).astype(int))
    return [str(texts[i]) for i in picks]


def _dataset(series: list[np.ndarray], sample_rate):
    from ..data.dataset import Dataset

    meta = {"sample_rate": sample_rate} if sample_rate else {}
    return Dataset.from_series(series, source="parity samples", meta=meta)


def parity_inputs(estimator, kind: str, dynamic_length: bool = True):
    """``(name, inputs)`` pairs: the stored samples, the same with gaps, a longer length never seen and a batch
    of shorter series of several lengths."""
    if kind == "forecaster":
        yield "stored history", estimator.table_
        return
    stored = getattr(estimator, "samples_", None)
    if kind == "text_classifier":
        texts = stored or ["a text the model has never seen"]
        yield "stored samples", texts
        yield "unseen words", [t + " zqxj wvvk" for t in texts] + [""]
        return
    if stored:
        series = [np.array([[np.nan if v is None else v for v in row] for row in s], np.float32) for s in stored["series"]]
        rate = stored.get("sample_rate")
        name = "stored samples"
    else:  # bundles written before samples were kept: values drawn from the training scale
        pre = estimator.preprocessor_
        rng = np.random.default_rng(0)
        length = estimator.input_length_ or pre.train_length
        mean = np.asarray(pre.channel_mean or [0.0] * pre.n_channels)
        std = np.asarray(pre.channel_std or [1.0] * pre.n_channels)
        series = [(rng.normal(size=(length, pre.n_channels)) * std + mean).astype(np.float32) for _ in range(N_SAMPLES)]
        rate, name = None, "synthetic series (this bundle keeps no samples)"
    yield name, _dataset(series, rate)
    audio = getattr(estimator, "audio_", False)
    if not audio:
        gappy = []
        for s in series:
            s = s.copy()
            n = len(s)
            s[n // 3: n // 3 + max(1, n // 10)] = np.nan  # a gap inside
            s[0, 0] = np.nan  # a missing first value (filled from its neighbour)
            gappy.append(s)
        yield "stored samples with gaps", _dataset(gappy, rate)
    if dynamic_length and not getattr(estimator, "duration", None):
        longer = [np.concatenate([s, s[: max(1, len(s) // 2)]]) for s in series]
        yield f"length never seen ({max(len(s) for s in longer)} steps)", _dataset(longer, rate)
        if not audio:  # one batch of several lengths, shorter than training: padded, or each at its own length
            cut = [s[: max(2, len(s) * (3 + i % 3) // 6)] for i, s in enumerate(series)]
            yield f"shorter series of {len({len(s) for s in cut})} lengths", _dataset(cut, rate)


def stored_series(estimator) -> dict[str, Any]:
    """Each fitted series' last ``lookback`` steps and its timestamps, so the runtime forecasts from the end of
    the training history without the bundle."""
    from ..data.timeseries import trim_future

    table = estimator.table_
    ends, _ = trim_future(table)
    out = {}
    for key in table.ids:
        end = ends[key]
        start = max(0, end - int(estimator.lookback_))
        rows = table.targets[key][start:end]
        index = table.index[key][start:end]
        entry = {"values": [[None if np.isnan(v) else float(v) for v in row] for row in rows],
                 "timestamps": [str(t) for t in index] if table.freq else [int(t) for t in index]}
        if table.covariates.get(key) is not None and len(table.covariates[key]):
            entry["covariates"] = np.asarray(table.covariates[key][start:], np.float64).tolist()
        out[str(key)] = entry
    return out
