"""Run an exported model with numpy and onnxruntime only: no JAX, Keras or scikit-learn.

``pip install "cnn1d[runtime]"``, then::

    import cnn1d.runtime
    model = cnn1d.runtime.load("model.onnx")
    model.predict(x)            # labels (classifier), values (regressor), 0/1 rows (tagger)
    model.predict_proba(x)      # class / tag probabilities
    model.predictions(x)        # one JSON-ready dict per instance (what `cnn1d serve` answers)

``x`` is what the bundle takes: an array ``(n, steps)`` or ``(n, steps, channels)`` with NaN for missing
values, a list of series of any length, a :class:`~cnn1d.data.dataset.Dataset`, or for a text model a list of
strings. The manifest (``model.json`` beside the model, also stored in the ONNX metadata) says what the graph
cannot: class names, tokenizer, audio front end, forecast calendar. See docs/deploy.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .errors import BundleError, ConfigError, DataError

SUPPORTED_VERSION = 1
METADATA_KEY = "cnn1d_manifest"
CHUNK = 256


def load(path: str | Path) -> "RuntimeModel":
    """An exported model (``.onnx``, or ``.tflite`` with ``ai-edge-litert``) and its manifest, ready to predict."""
    return LiteRTModel(path) if Path(path).suffix.lower() == ".tflite" else RuntimeModel(path)


def _session(path: Path):
    try:
        import onnxruntime as ort
    except ImportError:
        raise ConfigError('running an ONNX model needs onnxruntime: pip install "cnn1d[runtime]"') from None
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # onnxruntime's worker threads spin between calls by default, burning a core that a server's event loop
    # (or the caller's own work) needs; measured in benchmarks/serve.py.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Batches of every size from 1 to --max-batch arrive; memory patterns are planned per shape and only help
    # when shapes repeat.
    options.enable_mem_pattern = False
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
        raise BundleError(f"{path}: not a readable ONNX model ({str(exc).splitlines()[0][:200]})") from None


def refuse_empty_texts(texts: list[str], where: str = "text model") -> None:
    """An empty (or blank) text has nothing to classify: its answer would be the model's bias alone. For texts
    a person typed (`--text`, a served request); the Python API answers them, as export's parity check does."""
    empty = [i for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise DataError(f"{where}: instance {empty[0]} is an empty text; there is nothing to classify")


class RuntimeModel:
    """An exported cnn1d model (see :func:`load`)."""

    def __init__(self, path: str | Path, manifest: dict[str, Any] | None = None):
        path = Path(path)
        if not path.is_file():
            raise DataError(f"{path}: file not found")
        self.path = path
        self.session = _session(path)
        if manifest is None:
            stored = self.session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
            side = path.with_suffix(".json")
            if stored:
                manifest = json.loads(stored)
            elif side.is_file():
                manifest = json.loads(side.read_text(encoding="utf-8"))
            else:
                raise BundleError(f"{path}: no cnn1d manifest (neither in the ONNX metadata nor {side.name} beside it); "
                                  "export the bundle with `cnn1d export`")
        self._setup(manifest, str(path))
        self._input_names = [i.name for i in self.session.get_inputs()]

    def _setup(self, manifest: dict[str, Any], where: str) -> None:
        if manifest.get("format") != "cnn1d-onnx":
            raise BundleError(f"{where}: the manifest is not a cnn1d ONNX manifest")
        if int(manifest.get("format_version", 0)) > SUPPORTED_VERSION:
            raise BundleError(f"{where}: exported by a newer cnn1d (manifest version {manifest['format_version']}, this "
                              f"runtime reads up to {SUPPORTED_VERSION}); upgrade: pip install -U \"cnn1d[runtime]\"")
        self.manifest = manifest
        self.kind = manifest["kind"]
        self.classes = manifest.get("classes")
        self.thresholds = None if manifest.get("thresholds") is None else np.asarray(manifest["thresholds"])
        self._tokenizer = None
        if self.kind == "text_classifier":
            from .preprocess.text import Tokenizer

            self._tokenizer = Tokenizer.from_dict(manifest["text"]["tokenizer"])

    def run_graph(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """The graph's outputs for its inputs (in the manifest's order), in chunks of 256."""
        parts = [self._run_chunk([a[i: i + CHUNK] for a in inputs]) for i in range(0, len(inputs[0]), CHUNK)]
        return [np.concatenate([p[j] for p in parts]) for j in range(len(parts[0]))]

    def _run_chunk(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """One call of the engine (onnxruntime here; LiteRT and Keras in subclasses)."""
        return self.session.run(None, dict(zip(self._input_names, inputs)))

    # -- inputs ---------------------------------------------------------------------------------
    @property
    def is_text(self) -> bool:
        return self.kind == "text_classifier"

    @property
    def is_audio(self) -> bool:
        return bool(self.manifest.get("audio"))

    def dataset(self, X: Any, where: str = "X"):
        """``X`` as a Dataset of raw series (audio: clips at the model's sample rate)."""
        from .data.dataset import Dataset

        if isinstance(X, Dataset):
            return X
        if X is None or (hasattr(X, "__len__") and len(X) == 0):
            raise DataError(f"{where}: no series given")
        if isinstance(X, np.ndarray) and X.ndim == 1:
            raise DataError(f"{where}: got a 1-D array of {len(X)} values; pass X.reshape(1, -1) for one series")
        if isinstance(X, np.ndarray) and X.dtype.kind not in "fiub":
            raise DataError(f"{where}: values must be numbers, got dtype {X.dtype}")
        meta = {"sample_rate": self.manifest["audio"]["sample_rate"]} if self.is_audio else {}
        return Dataset.from_array(X, source=where, meta=meta)

    def network_input(self, data) -> np.ndarray:
        """A Dataset -> the graph's ``series`` input: values with NaN for missing, NaN-padded to one length."""
        data = self.features(data)
        return self.pad([data.values[i, :n] for i, n in enumerate(data.lengths)], data.source or "input")

    def features(self, data):
        """What the graph's ``series`` input holds: the series, or an audio model's frames of the clips."""
        if not self.is_audio:
            return data
        from .preprocess.audio import prepare

        audio = self.manifest["audio"]
        return prepare(data, front_end_name=audio["front_end"], sample_rate=audio["sample_rate"],
                       duration=audio["duration"], cmn=(audio.get("front_end_params") or {}).get("cmn", False))

    def pad(self, series: list[np.ndarray], where: str) -> np.ndarray:
        """Series ``(steps, channels)`` -> one NaN-padded array at the length the graph takes (the model's fixed
        length, else the longest series and at least the training length (``min_length``), as the bundle pads;
        with ``own_length`` in the manifest, the longest series: give such a model one length at a time)."""
        spec = self.manifest["input"]
        channels = {s.shape[1] for s in series}
        if channels != {spec["channels"]}:
            raise DataError(f"{where}: series have {max(channels - {spec['channels']})} channel(s) but the model was "
                            f"trained on {spec['channels']}")
        longest = max(len(s) for s in series)
        if spec["length"]:
            if longest > spec["length"]:
                raise DataError(f"{where}: series are up to {longest} steps long but this model takes "
                                f"at most {spec['length']}; cnn1d does not truncate series")
            length = spec["length"]
        else:
            length = longest if spec.get("own_length") else max(longest, int(spec["min_length"] or 1))
        x = np.full((len(series), length, spec["channels"]), np.nan, dtype=np.float32)
        for i, s in enumerate(series):
            x[i, : len(s)] = s
        return x

    def outputs(self, X: Any) -> np.ndarray:
        """The graph's output for ``X``: probabilities, or values for a regressor."""
        if self.kind == "forecaster":
            raise ConfigError("a forecaster forecasts from a history: use forecast(...)")
        if self.is_text:
            texts = [X] if isinstance(X, str) else list(X)
            if not texts:
                raise DataError("no texts given")
            bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
            if bad:
                raise DataError(f"text model: instance {bad[0]} is not a string")
            return self.run_graph(self.encode_texts(texts))[0].astype(np.float64)
        data = self.features(self.dataset(X))
        spec = self.manifest["input"]
        # As the bundle predicts: each length on its own (own_length), or the series up to the training length
        # padded to it and each longer length on its own, so no answer depends on the batch (see RuntimeModel.pad).
        groups = [np.arange(len(data))] if spec["length"] else \
            data.length_groups(None if spec.get("own_length") else spec["min_length"])
        inputs = [(rows, self.pad([data.values[i, :data.lengths[i]] for i in rows], data.source or "input"))
                  for rows in groups]
        if len(inputs) == 1:
            return self.run_graph(inputs[0][1])[0].astype(np.float64)
        from .data.dataset import rows_together

        parts = [(rows, self.run_graph(x)[0]) for rows, x in inputs]
        return rows_together(len(data), parts).astype(np.float64)

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        return self._tokenizer.transform(texts)

    def input_warnings(self, data=None, texts: list[str] | None = None) -> list[str]:
        """Warnings about inputs unlike the training data: texts mostly out of vocabulary, series far outside the
        training scale, series shorter than any training series (see preprocess.text.unfamiliar_text_warning,
        preprocess.series.scale_warning and length_warning)."""
        if texts is not None:
            from .preprocess.text import unfamiliar_text_warning

            found = unfamiliar_text_warning(self._tokenizer.oov_rate(texts), self.manifest["text"].get("validation_oov_rate"))
            return [found] if found else []
        if self.is_audio:
            return []
        from .preprocess.series import length_warning, scale_warning

        scale = self.manifest["input"].get("train_scale")
        found = [scale_warning(data, scale["mean"], scale["std"]) if scale else None,
                 length_warning(data, self.manifest["input"].get("train_min_length"))]
        return [w for w in found if w]

    # -- predictions ----------------------------------------------------------------------------
    def predict_proba(self, X: Any) -> np.ndarray:
        if self.classes is None:
            raise ConfigError("a regressor has no class probabilities; use predict")
        return self.outputs(X)

    def predict(self, X: Any) -> np.ndarray:
        out = self.outputs(X)
        if self.classes is None:
            return out
        if self.thresholds is not None:
            return (out >= self.thresholds[None, :]).astype(int)
        return np.asarray(self.classes, dtype=object)[out.argmax(axis=1)]

    def predictions(self, X: Any) -> list[dict[str, Any]]:
        """One JSON-ready answer per instance: ``label`` + ``probabilities`` (classifier), ``tags`` +
        ``probabilities`` (tagger), ``value`` (regressor)."""
        return self.answers(self.outputs(X))

    def answers(self, out: np.ndarray) -> list[dict[str, Any]]:
        """Graph outputs -> one JSON-ready answer per row."""
        if self.classes is None:
            return [{"value": float(v)} for v in out]
        answers = []
        for row in out:
            probabilities = {str(c): round(float(p), 6) for c, p in zip(self.classes, row)}
            if self.thresholds is not None:
                answers.append({"tags": [c for c, p, t in zip(self.classes, row, self.thresholds) if p >= t],
                                "probabilities": probabilities})
            else:
                answers.append({"label": self.classes[int(row.argmax())], "probabilities": probabilities})
        return answers

    # -- forecasting ----------------------------------------------------------------------------
    def forecast_table(self, table) -> dict[str, dict[str, Any]]:
        """Forecast every series of a :class:`~cnn1d.data.timeseries.SeriesTable` from its last observed step:
        ``{id: {"timestamps", "forecast", "lower", "upper"}}`` (arrays ``(horizon, targets)``)."""
        from .data.timeseries import calendar_features, future_index, in_zone
        from .data.timeseries import trim_future

        spec = self.manifest["forecast"]
        lookback, horizon = spec["lookback"], spec["horizon"]
        if list(table.target_names) != spec["targets"]:
            raise DataError(f"targets {table.target_names} differ from the trained {spec['targets']}")
        ends, _ = trim_future(table)
        keys, history, known, means, stds, times = [], [], [], [], [], []
        for key in table.ids:
            end = ends[key]
            if end < lookback:
                raise DataError(f"series {key!r} has {end} steps; the model needs the last {lookback}")
            index = table.index[key][:end]
            future = future_index(index, table.freq, horizon)
            full = index[end - lookback:].append(future)
            # Manifests written before parts were recorded name none: every part that suits the frequency, when calendar features are on.
            cal_parts = spec.get("calendar_parts")
            parts = [calendar_features(full, table.freq, None if cal_parts is None else tuple(cal_parts))
                     if spec["calendar_features"] else np.zeros((len(full), 0))]
            if spec["covariates"]:
                cov = table.covariates[key][end - lookback: end + horizon]
                if len(cov) < lookback + horizon or np.isnan(cov[lookback:]).any():
                    raise DataError(f"series {key!r} needs covariate values for the {horizon} future steps")
                mean, std = spec["covariate_scale"].get(str(key), spec["covariate_scale"]["__global__"])
                parts.append(np.nan_to_num((cov - np.asarray(mean)) / np.asarray(std)))
            mean, std = spec["scale"].get(str(key), spec["scale"]["__global__"])
            keys.append(key)
            history.append(table.targets[key][end - lookback: end])
            known.append(np.concatenate(parts, axis=1))
            means.append(mean)
            stds.append(std)
            times.append([str(t) for t in in_zone(future, spec.get("time_zone"))])
        point, lower, upper = self.run_graph(np.asarray(history, np.float32), np.asarray(known, np.float32),
                                             np.asarray(means, np.float32), np.asarray(stds, np.float32))
        return {key: {"timestamps": times[i], "forecast": point[i], "lower": lower[i], "upper": upper[i]}
                for i, key in enumerate(keys)}

    def stored_table(self, ids: list[str] | None = None):
        """The end of the training history kept in the manifest, as a SeriesTable."""
        import pandas as pd

        from .data.timeseries import SeriesTable

        spec = self.manifest["forecast"]
        stored = spec["series"]
        ids = list(stored) if ids is None else ids
        unknown = [i for i in ids if i not in stored]
        if unknown:
            raise DataError(f"unknown series {unknown[0]!r}; this model knows {list(stored)[:10]}")
        index = {k: (pd.DatetimeIndex(pd.to_datetime(stored[k]["timestamps"])) if spec["freq"]
                     else pd.RangeIndex(stored[k]["timestamps"][0], stored[k]["timestamps"][-1] + 1)) for k in ids}
        targets = {k: np.array([[np.nan if v is None else v for v in row] for row in stored[k]["values"]], np.float32)
                   for k in ids}
        covariates = {k: np.asarray(stored[k]["covariates"], np.float32) for k in ids if "covariates" in stored[k]}
        return SeriesTable(targets=targets, index=index, freq=spec["freq"], target_names=list(spec["targets"]),
                           covariates=covariates, covariate_names=list(spec["covariates"]), source="manifest")

    def series_table(self, values: Any, timestamps: list | None = None, key: str = "series"):
        """One new history (``(T,)`` or ``(T, targets)`` values, NaN for missing) as a SeriesTable."""
        import pandas as pd

        from .data.timeseries import SeriesTable

        spec = self.manifest["forecast"]
        try:
            arr = np.asarray([np.nan if v is None else v for v in values] if np.ndim(values) == 1 else
                             [[np.nan if v is None else v for v in row] for row in values], dtype=np.float32)
        except (TypeError, ValueError):
            raise DataError("history values must be numbers (null for missing)") from None
        arr = arr[:, None] if arr.ndim == 1 else arr
        if arr.ndim != 2 or arr.shape[1] != len(spec["targets"]):
            raise DataError(f"history must have {len(spec['targets'])} value(s) per step ({spec['targets']})")
        if spec["freq"]:
            if timestamps is None or len(timestamps) != len(arr):
                raise DataError(f"this model uses a {spec['freq']!r} calendar: give one timestamp per history value")
            try:
                index = pd.DatetimeIndex(pd.to_datetime(timestamps))
            except (TypeError, ValueError) as exc:
                raise DataError(f"timestamps: {exc}") from None
        else:
            index = pd.RangeIndex(len(arr))
        if spec["covariates"]:
            raise DataError("this model uses covariates; forecast its stored series, or run the bundle with its data")
        return SeriesTable(targets={key: arr}, index={key: index}, freq=spec["freq"],
                           target_names=list(spec["targets"]), source="request")

    def forecast(self, series: str | None = None) -> list[dict[str, Any]]:
        """Forecasts past the end of the stored training history (every series, or ``series``)."""
        result = self.forecast_table(self.stored_table(None if series is None else [series]))
        return [forecast_answer(k, v) for k, v in result.items()]


class LiteRTModel(RuntimeModel):
    """A model exported with ``--format litert``, run by the ``ai-edge-litert`` interpreter (the manifest is
    ``model.json`` beside it)."""

    def __init__(self, path: str | Path, manifest: dict[str, Any] | None = None):
        path = Path(path)
        if not path.is_file():
            raise DataError(f"{path}: file not found")
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise ConfigError('running a LiteRT model needs ai-edge-litert: pip install ai-edge-litert') from None
        self.path = path
        try:
            self.interpreter = Interpreter(model_path=str(path))
        except (ValueError, RuntimeError) as exc:
            raise BundleError(f"{path}: not a readable LiteRT model ({str(exc).splitlines()[0][:200]})") from None
        if manifest is None:
            side = path.with_suffix(".json")
            if not side.is_file():
                raise BundleError(f"{path}: its manifest {side.name} is missing; export the bundle again")
            manifest = json.loads(side.read_text(encoding="utf-8"))
        self._setup(manifest, str(path))
        inputs = self.interpreter.get_input_details()
        names = ["tokens"] if self.is_text else (["history", "known", "mean", "std"] if self.kind == "forecaster"
                                                 else ["series"])
        # The converter names inputs after the Keras inputs (serving_default_<name>:0), in no promised order.
        self._inputs = [next(d for d in inputs if name in d["name"]) for name in names] if len(names) > 1 else inputs
        self._outputs = sorted(self.interpreter.get_output_details(), key=lambda d: d["name"])

    def _run_chunk(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        for detail, array in zip(self._inputs, inputs):
            self.interpreter.resize_tensor_input(detail["index"], array.shape)
        self.interpreter.allocate_tensors()
        for detail, array in zip(self._inputs, inputs):
            self.interpreter.set_tensor(detail["index"], np.ascontiguousarray(array, detail["dtype"]))
        self.interpreter.invoke()
        return [self.interpreter.get_tensor(d["index"]).copy() for d in self._outputs]


def forecast_answer(key, result: dict[str, Any]) -> dict[str, Any]:
    """A forecast as JSON: one list per target when there are several, else plain lists."""
    def column(a):
        a = np.asarray(a, np.float64)
        return [round(float(v), 6) for v in a[:, 0]] if a.shape[1] == 1 else a.round(6).tolist()

    return {"id": str(key), "timestamps": result["timestamps"], "forecast": column(result["forecast"]),
            "lower": column(result["lower"]), "upper": column(result["upper"])}
