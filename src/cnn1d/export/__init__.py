"""Export a bundle to ONNX: one graph that takes what a user has (raw series values with NaN, audio features,
or token ids), a JSON manifest beside it for what a graph cannot hold (class names, tokenizer, audio front
end, forecast calendar), and a parity check of the ONNX model against the bundle before anything is kept.

The route is Keras's own ``model.export(path, format="onnx")`` on the JAX backend (jax2onnx; no TensorFlow):
``pip install "cnn1d[export]"``. Running the result needs only :mod:`cnn1d.runtime` (numpy + onnxruntime).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import ConfigError, Cnn1dError

FORMATS = ("onnx", "litert")
MANIFEST_FORMAT = "cnn1d-onnx"
MANIFEST_VERSION = 1
# Largest difference between the bundle's and the ONNX model's outputs that passes (probabilities, or
# regression/forecast values in units of the target's standard deviation).
PARITY_TOLERANCE = 1e-4
METADATA_KEY = "cnn1d_manifest"


class ExportError(Cnn1dError):
    """The exported model does not reproduce the bundle, or cannot be written."""


def manifest_path(model_path: str | Path) -> Path:
    """Where the manifest of ``model.onnx`` lives: ``model.json`` beside it."""
    return Path(model_path).with_suffix(".json")


def export(bundle: str | Path, out: str | Path | None = None, *, format: str = "onnx",
           log: Callable[[str], None] = lambda message: None) -> dict[str, Any]:
    """Write ``bundle`` as an ONNX model plus manifest and check parity; returns the report printed by
    ``cnn1d export --json``: ``path``, ``manifest``, ``max_abs_diff``, ``label_agreement``, ``checks``."""
    from .. import _backend

    if format not in FORMATS:
        raise ConfigError(f"--format {format!r} is not supported; choose one of: {', '.join(FORMATS)}")
    if format == "litert":
        from .litert import export_litert

        return export_litert(bundle, out, log=log)
    _require_export_stack()
    _backend.ensure_backend()
    import keras

    if keras.backend.backend() != "jax":
        raise ConfigError(f"ONNX export runs on the JAX backend (jax2onnx); KERAS_BACKEND is "
                          f"{keras.backend.backend()!r}. Run it with KERAS_BACKEND=jax (the bundle loads on any backend)")
    from ..bundle import bundle_file

    bundle = bundle_file(bundle)
    out = Path(out) if out else bundle.with_suffix(".onnx")
    if out.suffix != ".onnx":
        raise ConfigError(f"--out {out}: an ONNX model's file name ends in .onnx")
    estimator, kind, graph, manifest = from_bundle(bundle)
    log(f"exporting {kind} ({manifest['model']}) to {out}")
    with tempfile.TemporaryDirectory(prefix="cnn1d-export-") as tmp:
        raw = Path(tmp) / "model.onnx"
        try:
            _export_onnx(graph, raw)
        except _FixedShapeNeeded as exc:
            # Some networks compute paddings from the length (M5's strided front); they export at the training
            # length, which the runtime pads shorter series to, as the bundle does.
            graph, fixed = build_graph(estimator, kind, fixed_length=True)
            manifest["input"] = fixed["input"]
            manifest["input"]["fixed_because"] = str(exc)
            log(f"the network needs a constant length: exported at {manifest['input']['length']} steps")
            _export_onnx(graph, raw)
        manifest["parity"] = check_parity(estimator, kind, raw, manifest)
        return write_export(out, _with_metadata(raw, manifest), manifest, "onnx")


def from_bundle(bundle: Path):
    """``(estimator, kind, graph, manifest)`` for a bundle: what every exporter and the Keras serving engine
    start from (the manifest already names the bundle and carries its metrics)."""
    from ..bundle import read_meta
    from ..estimators.bundled import load

    estimator = load(bundle)
    kind = bundle_kind(estimator)
    graph, manifest = build_graph(estimator, kind)
    meta = read_meta(bundle)
    manifest.update({"source_bundle": bundle.name, "metrics": meta.get("metrics") or {},
                     "cnn1d_version": meta.get("cnn1d_version")})
    return estimator, kind, graph, manifest


def write_export(out: Path, model_bytes: bytes, manifest: dict[str, Any], format: str) -> dict[str, Any]:
    """Write the model and its manifest beside it (each atomically); the report `cnn1d export --json` prints."""
    from ..io_utils import atomic_path, atomic_write_text

    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as target:
        Path(target).write_bytes(model_bytes)
    atomic_write_text(manifest_path(out), json.dumps(manifest, indent=1, allow_nan=False))
    parity = manifest["parity"]
    return {"path": str(out), "manifest": str(manifest_path(out)), "kind": manifest["kind"], "format": format,
            "max_abs_diff": parity["max_abs_diff"], "scaled_diff": parity["scaled_diff"],
            "label_agreement": parity["label_agreement"],
            "checks": parity["checks"], "size_bytes": out.stat().st_size}


def call_once(graph) -> None:
    """Keras exports only a model that has been called: one call on zeros of the input shapes."""
    dummies = [np.zeros([1] + [1 if d is None else d for d in i.shape[1:]], dtype=i.dtype) for i in graph.inputs]
    graph(dummies if len(dummies) > 1 else dummies[0])


def _require_export_stack() -> None:
    import importlib.util

    missing = [name for name in ("jax2onnx", "onnx", "onnxruntime") if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(f"ONNX export needs {', '.join(missing)}: pip install \"cnn1d[export]\"")


def bundle_kind(estimator) -> str:
    name = type(estimator).__name__
    if name == "CNNLanguageModel":
        raise ConfigError("a language model generates text token by token; ONNX export covers classifiers, "
                          "regressors, taggers, forecasters, text classifiers and audio models")
    if name == "CNNTextClassifier":
        return "text_classifier"
    if name == "CNNForecaster":
        return "forecaster"
    if name == "CNNRegressor":
        return "regressor"
    return "tagger" if getattr(estimator, "multilabel_", False) else "classifier"


class _FixedShapeNeeded(Exception):
    pass


def build_graph(estimator, kind: str, fixed_length: bool = False):
    """The Keras model to export (preprocessing + network + output mapping) and its manifest.

    ``fixed_length``: a variable-length network taken at its training length (the runtime pads to it)."""
    import keras

    from . import graph as layers

    network = estimator.model_
    manifest: dict[str, Any] = {"format": MANIFEST_FORMAT, "format_version": MANIFEST_VERSION, "kind": kind,
                                "model": estimator.to_config().model, "n_members": getattr(estimator, "n_members_", 1)}
    if kind == "text_classifier":
        tokenizer = estimator.tokenizer_
        tokens = keras.Input((tokenizer.sequence_length,), dtype="int32", name="tokens")
        outputs = network(tokens)
        manifest["input"] = {"name": "tokens", "dtype": "int32", "shape": ["batch", tokenizer.sequence_length],
                             "what": "token ids from the manifest's tokenizer (0 pads, 1 is out of vocabulary)"}
        manifest["text"] = {"tokenizer": tokenizer.to_dict(),
                            "validation_oov_rate": getattr(estimator, "validation_oov_rate_", None)}
        text_column = getattr(getattr(estimator, "config_", None), "text_column", None)
        if text_column:  # `cnn1d predict MODEL.onnx table.csv` and served uploads find the column by this name
            manifest["text"]["text_column"] = text_column
        manifest["classes"] = plain_values(estimator.classes_)
        manifest["outputs"] = ["probabilities"]
        if estimator.multilabel_:
            manifest["thresholds"] = [float(t) for t in estimator.thresholds_]
        return keras.Model(tokens, outputs), manifest
    if kind == "forecaster":
        return _forecast_graph(estimator, manifest)
    pre = estimator.preprocessor_
    length = estimator.input_length_ or (int(pre.train_length) if fixed_length else None)
    series = keras.Input((length, pre.n_channels), dtype="float32", name="series")
    x = layers.SeriesPreprocessing(pre.scaling, pre.imputation, pre.use_mask, pre.channel_mean, pre.channel_std)(series)
    outputs = network(x)
    if kind == "regressor":
        outputs = layers.Affine(estimator.target_std_, estimator.target_mean_)(outputs)
        manifest["outputs"] = ["value"]
    else:
        temperature = getattr(estimator, "temperature_", 1.0)
        if temperature != 1.0:
            outputs = layers.Temperature(temperature)(outputs)
        manifest["classes"] = plain_values(estimator.classes_)
        manifest["outputs"] = ["probabilities"]
        if kind == "tagger":
            manifest["thresholds"] = [float(t) for t in estimator.thresholds_]
    own_length = bool(estimator.predicts_at_own_length)
    manifest["input"] = {
        "name": "series", "dtype": "float32", "shape": ["batch", length or "steps", pre.n_channels],
        "channels": pre.n_channels, "length": length,
        "min_length": None if length else int(pre.train_length), "own_length": own_length,
        "what": ("raw values; NaN marks a missing value; trailing all-NaN steps are padding (shorter series). "
                 + (f"Pad every series to {length} steps with NaN." if length else
                    "Run each series at its own length (the network never saw padding): batch series of one "
                    "length together, as the bundle does" if own_length else
                    f"Series shorter than {pre.train_length} steps are padded with NaN to {pre.train_length}, as "
                    "the bundle does; series are batched with others of the same length")),
    }
    if pre.train_scale and not getattr(estimator, "audio_", False):
        # What `cnn1d predict MODEL.onnx` compares new data with (data on another scale gets a warning).
        manifest["input"]["train_scale"] = pre.train_scale
    if pre.train_min_length and not getattr(estimator, "audio_", False):
        manifest["input"]["train_min_length"] = int(pre.train_min_length)  # shorter series get a warning
    if getattr(estimator, "value_columns_", None):
        # A wide table with a header is read by these step names (`cnn1d predict MODEL.onnx table.csv`).
        manifest["input"]["value_columns"] = list(estimator.value_columns_)
    id_column = getattr(getattr(estimator, "config_", None), "id_column", None)
    if id_column and not getattr(estimator, "audio_", False):
        manifest["input"]["id_column"] = id_column  # the column that named each series (long tables need it)
    if getattr(estimator, "audio_", False):
        from ..preprocess.audio import front_end

        features = front_end(estimator.front_end, estimator.sample_rate, getattr(estimator, "cmn_", False))
        manifest["audio"] = {"front_end": estimator.front_end, "sample_rate": int(estimator.sample_rate),
                             "duration": estimator.duration, "channels": estimator.channels,
                             "input_channels": int(estimator.input_channels_),
                             "front_end_params": features.to_dict() if features is not None else None}
        if features is not None:
            manifest["input"]["what"] = f"{estimator.front_end} frames computed from the clip (the runtime does it); " + \
                manifest["input"]["what"]
    return keras.Model(series, outputs), manifest


def _forecast_graph(estimator, manifest: dict[str, Any]):
    import keras

    from . import graph as layers
    from .samples import stored_series

    n_targets = len(estimator.target_names_)
    lookback, horizon = int(estimator.lookback_), int(estimator.horizon)
    n_known = int(estimator.n_inputs_) - 2 * n_targets
    history = keras.Input((lookback, n_targets), dtype="float32", name="history")
    known = keras.Input((lookback + horizon, n_known), dtype="float32", name="known")
    mean = keras.Input((n_targets,), dtype="float32", name="mean")
    std = keras.Input((n_targets,), dtype="float32", name="std")
    window, anchor, window_scale = layers.ForecastWindow(horizon, estimator.anchor_season_, estimator.instance_norm_)(
        history, known, mean, std)
    correction = estimator.model_(window)
    point, lower, upper = layers.ForecastOutput(horizon, n_targets, estimator.interval_, estimator.interval_reference_,
                                                lookback)(correction, anchor, mean, std, window, window_scale)
    manifest["input"] = {
        "name": "history", "dtype": "float32", "shape": ["batch", lookback, n_targets],
        "what": (f"the last {lookback} values of each target (NaN where missing), plus 'known' "
                 f"(batch, {lookback + horizon}, {n_known}): calendar features and scaled covariates for those steps "
                 "and the horizon, and 'mean'/'std' (batch, targets): the series' training scale (the manifest's)"),
    }
    manifest["forecast"] = {
        "horizon": horizon, "lookback": lookback, "season": int(estimator.season_), "level": float(estimator.level),
        "freq": estimator.freq_, "time_zone": estimator.table_.time_zone, "targets": list(estimator.target_names_), "covariates": list(estimator.covariate_names_),
        "calendar_features": bool(estimator.calendar_features), "calendar_parts": list(estimator.calendar_parts_),
        "n_known": n_known,
        "scale": {k: [list(map(float, v[0])), list(map(float, v[1]))] for k, v in estimator.scale_.items()},
        "covariate_scale": {k: [list(map(float, v[0])), list(map(float, v[1]))] for k, v in estimator.cov_scale_.items()},
        "series": stored_series(estimator),
    }
    manifest["outputs"] = ["forecast", "lower", "upper"]
    return keras.Model([history, known, mean, std], [point, lower, upper]), manifest


def plain_values(values) -> list:
    """Array values as plain Python ones (JSON-ready): numpy scalars unwrapped."""
    return [v.item() if isinstance(v, np.generic) else v for v in np.asarray(values).tolist()]


def _export_onnx(graph, path: Path) -> None:
    import contextlib
    import io
    import logging

    call_once(graph)
    import os

    # Keras's export module imports TensorFlow where it is installed (the litert extra); keep its C++ start-up
    # notes off the user's terminal.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    quiet = logging.getLogger("onnx_ir.serde")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "value type ... is not known" notes about dynamic shapes, harmless
    try:
        from ..models.rocket import portable_graph

        with contextlib.redirect_stdout(io.StringIO()), portable_graph():
            graph.export(str(path), format="onnx", verbose=False)
    except Exception as exc:  # jax2onnx raises plain errors naming the JAX primitive it cannot map
        if type(exc).__name__ == "InconclusiveDimensionOperation" and graph.inputs[0].shape[1] is None:
            raise _FixedShapeNeeded(str(exc).splitlines()[0][:200]) from None
        raise ExportError(f"ONNX conversion failed: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}") from exc
    finally:
        quiet.setLevel(level)


def _with_metadata(path: Path, manifest: dict[str, Any]) -> bytes:
    """The ONNX file with the manifest also stored in its metadata, so the model file alone is enough."""
    import onnx

    model = onnx.load(str(path))
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(manifest, allow_nan=False)
    return model.SerializeToString()


def check_parity(estimator, kind: str, path: Path, manifest: dict[str, Any], runtime=None) -> dict[str, Any]:
    """Run the bundle and the exported model (through :mod:`cnn1d.runtime`, or ``runtime``) on the bundle's
    stored samples, on the same with gaps, and on a length never seen and a batch of shorter series of several
    lengths (where lengths are dynamic); refuse any
    label flip or a difference above :data:`PARITY_TOLERANCE`."""
    from ..runtime import RuntimeModel
    from .samples import parity_inputs

    runtime = runtime or RuntimeModel(path, manifest)
    checks = []
    dynamic = kind == "forecaster" or kind == "text_classifier" or not manifest["input"]["length"]
    for name, inputs in parity_inputs(estimator, kind, dynamic_length=dynamic):
        checks.append({"inputs": name, **_compare(estimator, kind, runtime, inputs)})
    worst = max(c["max_abs_diff"] for c in checks)
    agreements = [c["label_agreement"] for c in checks if c["label_agreement"] is not None]
    agreement = min(agreements) if agreements else None
    # scaled_diff is what the tolerance applies to: regression and forecast values in units of the target's std
    report = {"max_abs_diff": worst, "scaled_diff": max(c["scaled_diff"] for c in checks),
              "label_agreement": agreement, "tolerance": PARITY_TOLERANCE, "checks": checks}
    failed = [c for c in checks if c["scaled_diff"] > PARITY_TOLERANCE or (c["label_agreement"] or 1.0) < 1.0]
    if failed:
        lines = "; ".join(f"{c['inputs']}: max abs diff {c['max_abs_diff']:.3g}, label agreement {c['label_agreement']}"
                          for c in failed)
        raise ExportError(f"the exported model does not reproduce the bundle ({lines}); nothing was written. "
                          "Please report this with the bundle")
    return report


def _compare(estimator, kind: str, runtime, inputs) -> dict[str, Any]:
    if kind == "forecaster":
        expected = estimator.forecast_at(inputs)
        got = runtime.forecast_table(inputs)
        diffs, scaled = [], []
        for key, (point, lower, upper) in expected.items():
            mine = got[key]
            std = np.asarray(estimator.scale_.get(str(key), estimator.scale_["__global__"])[1])
            for a, b in zip((point, lower, upper), (mine["forecast"], mine["lower"], mine["upper"])):
                d = np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))
                diffs.append(d.max())
                scaled.append((d / std).max())
        return {"n": len(expected), "max_abs_diff": float(max(diffs)), "scaled_diff": float(max(scaled)),
                "label_agreement": None}
    if kind == "regressor":
        a, b = estimator.predict(inputs), runtime.predict(inputs)
        d = float(np.abs(a - b).max())
        return {"n": len(a), "max_abs_diff": d, "scaled_diff": d / max(estimator.target_std_, 1e-12),
                "label_agreement": None}
    a, b = estimator.predict_proba(inputs), runtime.predict_proba(inputs)
    d = float(np.abs(a - b).max())
    if kind == "tagger" or getattr(estimator, "multilabel_", False):
        thresholds = np.asarray(estimator.thresholds_)[None, :]
        agreement = float(((a >= thresholds) == (b >= thresholds)).all(axis=1).mean())
    else:
        agreement = float((a.argmax(axis=1) == b.argmax(axis=1)).mean())
    return {"n": len(a), "max_abs_diff": d, "scaled_diff": d, "label_agreement": agreement}
