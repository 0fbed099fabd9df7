"""ONNX export: every kind of bundle exports with its preprocessing in the graph and reproduces the bundle
(checked by export itself and again here), through the numpy + onnxruntime runtime only."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax2onnx")
pytest.importorskip("onnxruntime")

import cnn1d  # noqa: E402
from cnn1d.errors import BundleError, ConfigError, DataError  # noqa: E402
from cnn1d.export import ExportError, export  # noqa: E402
from cnn1d.runtime import load as load_runtime  # noqa: E402

from .conftest import FAST  # noqa: E402

TINY = dict(FAST, epochs=2, n_jobs=1)
TINY_FCN = dict(TINY, model="fcn", model_params={"filters": (8, 8, 8)})  # takes any length


def _export_and_check(estimator, tmp_path, inputs=None):
    bundle = estimator.save(tmp_path / "model.cnn1d")
    report = export(bundle, tmp_path / "model.onnx")
    assert Path(report["path"]).is_file() and Path(report["manifest"]).is_file()
    assert report["scaled_diff"] <= 1e-4  # forecast values in units of the series' std: hundreds carry float32 noise
    assert report["label_agreement"] in (None, 1.0)
    assert all(c["n"] > 0 for c in report["checks"])
    return load_runtime(report["path"]), report


def _gappy(values: np.ndarray) -> np.ndarray:
    x = values.copy()
    x[:, 5:12] = np.nan
    x[0, 0] = np.nan
    return x


def test_classifier_with_gaps_and_calibration_matches_bundle(tmp_path, gunpoint):
    train, test = gunpoint
    X = _gappy(train.values[:, :, 0])  # gaps in training: a mask channel, imputation in the graph
    clf = cnn1d.CNNClassifier(**TINY_FCN).fit(X, train.y)
    clf.temperature_ = 1.7  # as if calibrated: the temperature is part of the graph
    assert clf.preprocessor_.use_mask
    runtime, report = _export_and_check(clf, tmp_path)
    names = [c["inputs"] for c in report["checks"]]
    assert names[0] == "stored samples" and any("never seen" in n for n in names)
    X_test = _gappy(test.values[:, :, 0])
    np.testing.assert_allclose(runtime.predict_proba(X_test), clf.predict_proba(X_test), atol=1e-5)
    assert (runtime.predict(X_test) == clf.predict(X_test)).all()
    # Variable lengths: shorter series (trailing NaN) and a longer one never seen.
    ragged = [test.values[0, :90, 0], test.values[1, :, 0], np.tile(test.values[2, :, 0], 2)]
    np.testing.assert_allclose(runtime.predict_proba(ragged), clf.predict_proba(ragged), atol=1e-5)
    answer = runtime.predictions(X_test[:1])[0]
    assert set(answer) == {"label", "probabilities"} and answer["label"] == clf.predict(X_test[:1])[0]
    manifest = json.loads(Path(report["manifest"]).read_text())
    assert manifest["classes"] == ["1", "2"] and manifest["input"]["min_length"] == 150


def test_parity_failure_is_refused_and_nothing_is_written(tmp_path, gunpoint, monkeypatch):
    train, _ = gunpoint
    bundle = cnn1d.CNNClassifier(**TINY).fit(train).save(tmp_path / "m.cnn1d")
    monkeypatch.setattr("cnn1d.export.PARITY_TOLERANCE", -1.0)
    with pytest.raises(ExportError, match="does not reproduce the bundle"):
        export(bundle, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists() and not (tmp_path / "m.json").exists()
    with pytest.raises(ConfigError, match="not supported"):
        export(bundle, tmp_path / "m.tflite", format="tflite")
    with pytest.raises(ConfigError, match="ends in .onnx"):
        export(bundle, tmp_path / "m.bin")


@pytest.mark.slow
def test_ensemble_regressor_and_multichannel_series_scaling(tmp_path, basicmotions, italy_regression):
    train, test = basicmotions
    ens = cnn1d.CNNClassifier(**dict(TINY, ensemble=2), scaling="series", imputation="mean").fit(train)
    runtime, report = _export_and_check(ens, tmp_path / "ens")
    assert runtime.manifest["n_members"] == 2
    np.testing.assert_allclose(runtime.predict_proba(test), ens.predict_proba(test), atol=1e-5)
    (X, y), (X_test, _) = italy_regression
    reg = cnn1d.CNNRegressor(**TINY).fit(X, y)
    runtime, report = _export_and_check(reg, tmp_path / "reg")
    assert report["label_agreement"] is None
    np.testing.assert_allclose(runtime.predict(X_test), reg.predict(X_test), rtol=1e-5, atol=1e-4)
    assert set(runtime.predictions(X_test[:1])[0]) == {"value"}


@pytest.mark.slow
def test_tagger_text_and_forecaster(tmp_path, gunpoint):
    train, test = gunpoint
    tags = np.stack([train.y == "1", np.arange(len(train)) % 2 == 0], axis=1).astype(int)
    tagger = cnn1d.CNNClassifier(**TINY).fit(train.values, tags)
    runtime, _ = _export_and_check(tagger, tmp_path / "tag")
    assert (runtime.predict(test.values) == tagger.predict(test.values)).all()
    assert set(runtime.predictions(test.values[:1])[0]) == {"tags", "probabilities"}

    texts = ["a fine film", "dull and slow", "great acting", "a boring plot", "loved it", "awful"] * 6
    labels = ["pos", "neg", "pos", "neg", "pos", "neg"] * 6
    # Hashed character n-grams are computed in the graph (NgramEmbedding): the export must carry them.
    text = cnn1d.CNNTextClassifier(seed=0, epochs=1, tokens="char",
                                   model_params={"ngrams": 3, "ngram_buckets": 1024}).fit(texts, labels)
    runtime, report = _export_and_check(text, tmp_path / "text")
    new = ["a great film", "never seen words", ""]
    np.testing.assert_allclose(runtime.predict_proba(new), text.predict_proba(new), atol=1e-5)
    assert runtime.manifest["text"]["tokenizer"]["vocabulary"][:2] == ["<pad>", "<oov>"]

    from cnn1d.forecasting import load_demo

    forecaster = cnn1d.CNNForecaster(horizon=6, **{k: v for k, v in FAST.items()}).fit(load_demo("stocks"))
    runtime, report = _export_and_check(forecaster, tmp_path / "fc")
    expected = forecaster.predict()
    answers = runtime.forecast()
    assert len(answers) == 5 and all(len(a["forecast"]) == 6 for a in answers)
    first = expected[expected["id"] == expected["id"].iloc[0]]
    np.testing.assert_allclose(answers[0]["forecast"], first["forecast"], rtol=1e-4)
    assert answers[0]["timestamps"][0].startswith("2010-04-01")


@pytest.mark.slow
def test_audio_front_end_model(tmp_path):
    from cnn1d.datasets import load_spoken_digits

    train, test = load_spoken_digits()
    clf = cnn1d.CNNClassifier(model="fcn", front_end="log_mel", epochs=1, seed=0, n_jobs=1,
                              model_params={"filters": (8, 8, 8)}).fit(train)
    runtime, report = _export_and_check(clf, tmp_path)
    assert runtime.manifest["audio"]["front_end"] == "log_mel"
    np.testing.assert_allclose(runtime.predict_proba(test), clf.predict_proba(test), atol=1e-5)


def test_runtime_needs_no_training_stack(tmp_path, gunpoint):
    """The exported model predicts, from Python and from `cnn1d predict`, with JAX, Keras and scikit-learn
    unimportable, and gives the bundle's answers."""
    train, test = gunpoint
    clf = cnn1d.CNNClassifier(**TINY).fit(train)
    bundle = clf.save(tmp_path / "gp.cnn1d")
    export(bundle, tmp_path / "gp.onnx")
    csv = tmp_path / "new.csv"
    np.savetxt(csv, test.values[:5, :, 0], delimiter=",")
    blocker = ("import sys\n"
               "for name in ('jax', 'jaxlib', 'keras', 'sklearn', 'tensorflow', 'torch', 'jax2onnx'):\n"
               "    sys.modules[name] = None\n")
    script = blocker + (
        "import json, numpy as np, cnn1d.runtime\n"
        f"m = cnn1d.runtime.load({str(tmp_path / 'gp.onnx')!r})\n"
        f"x = np.loadtxt({str(csv)!r}, delimiter=',')\n"
        "print(json.dumps(m.predict_proba(x).tolist()))\n"
        "from cnn1d.cli import main\n"
        f"sys.argv = ['cnn1d', 'predict', {str(tmp_path / 'gp.onnx')!r}, {str(csv)!r}, '--json']\n"
        "main()\n")
    env = {**os.environ, "PYTHONPATH": str(Path(cnn1d.__file__).parents[1])}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    np.testing.assert_allclose(json.loads(lines[0]), clf.predict_proba(test.values[:5]), atol=1e-5)
    predicted = json.loads("\n".join(lines[1:]))["predictions"]
    assert [p["prediction"] for p in predicted] == clf.predict(test.values[:5]).tolist()


def test_runtime_errors_name_the_problem(tmp_path, gunpoint):
    train, _ = gunpoint
    bundle = cnn1d.CNNClassifier(**TINY).fit(train).save(tmp_path / "m.cnn1d")
    export(bundle, tmp_path / "m.onnx")
    runtime = load_runtime(tmp_path / "m.onnx")
    with pytest.raises(DataError, match="channel"):
        runtime.predict(np.zeros((2, 150, 3)))
    with pytest.raises(DataError, match="1-D"):
        runtime.predict(np.zeros(150))
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(BundleError, match="not a readable ONNX model"):
        load_runtime(tmp_path / "junk.onnx")
    manifest = json.loads((tmp_path / "m.json").read_text())
    manifest["format_version"] = 99
    from cnn1d.runtime import RuntimeModel

    with pytest.raises(BundleError, match="newer cnn1d"):
        RuntimeModel(tmp_path / "m.onnx", manifest)


@pytest.mark.slow
def test_litert_export_matches_bundle(tmp_path, gunpoint):
    """--format litert: converted on the TensorFlow backend in a child process, parity-checked, and run by
    the ai-edge-litert interpreter with the bundle's answers (any length: the length stays dynamic)."""
    pytest.importorskip("tensorflow")
    pytest.importorskip("ai_edge_litert")
    train, test = gunpoint
    X = _gappy(train.values[:, :, 0])
    clf = cnn1d.CNNClassifier(**TINY_FCN).fit(X, train.y)
    bundle = clf.save(tmp_path / "m.cnn1d")
    report = export(bundle, tmp_path / "m.tflite", format="litert")
    assert report["format"] == "litert" and report["max_abs_diff"] <= 1e-4 and report["label_agreement"] == 1.0
    assert any("never seen" in c["inputs"] for c in report["checks"])
    model = load_runtime(tmp_path / "m.tflite")
    x = _gappy(test.values[:10, :, 0])
    np.testing.assert_allclose(model.predict_proba(x), clf.predict_proba(x), atol=1e-5)
    with pytest.raises(ConfigError, match="ends in .tflite"):
        export(bundle, tmp_path / "m.onnx", format="litert")


@pytest.mark.slow
@pytest.mark.parametrize("model", ["minirocket", "hydra"])
def test_litert_exports_the_closed_form_models(tmp_path, gunpoint, model):
    """The default model (MiniRocket) and Hydra failed to export to LiteRT: ellipsis and new-axis slices became
    TensorFlow (Flex) ops, which the LiteRT interpreter does not run ('internal error ... FlexStridedSlice')."""
    pytest.importorskip("tensorflow")
    pytest.importorskip("ai_edge_litert")
    train, _ = gunpoint
    params = {"n_features": 168} if model == "minirocket" else {"groups": 8}
    clf = cnn1d.CNNClassifier(model=model, model_params=params, seed=0).fit(_gappy(train.values[:, :, 0]), train.y)
    report = export(clf.save(tmp_path / "m.cnn1d"), tmp_path / "m.tflite", format="litert")
    assert report["max_abs_diff"] <= 1e-4 and report["label_agreement"] == 1.0


@pytest.mark.slow
def test_litert_exports_the_default_text_model(tmp_path):
    """The default text model hashes n-grams in its graph for the linear path: a bitwise AND, which LiteRT runs
    only as a TensorFlow Flex op ('internal error ... FlexBitwiseAnd'); on TensorFlow it is a modulo now."""
    pytest.importorskip("tensorflow")
    pytest.importorskip("ai_edge_litert")
    texts = ["a fine film", "dull and slow", "great acting", "a boring plot", "loved it", "awful"] * 6
    labels = ["pos", "neg", "pos", "neg", "pos", "neg"] * 6
    text = cnn1d.CNNTextClassifier(seed=0, epochs=1).fit(texts, labels)
    assert text.linear_ngrams_
    report = export(text.save(tmp_path / "t.cnn1d"), tmp_path / "t.tflite", format="litert")
    assert report["max_abs_diff"] <= 1e-4 and report["label_agreement"] == 1.0
