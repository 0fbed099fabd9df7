import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import cnn1d
from cnn1d import CNNClassifier, CNNRegressor
from cnn1d.errors import BundleError

from .conftest import FAST


@pytest.fixture(scope="module")
def fitted(gunpoint):
    return CNNClassifier(**FAST).fit(gunpoint[0])


def test_round_trip_predicts_exactly(tmp_path, fitted, gunpoint):
    test = gunpoint[1]
    path = fitted.save(tmp_path / "gp", metrics={"test": {"accuracy": 1.0}})
    assert path.suffix == ".cnn1d" and [p.name for p in tmp_path.iterdir()] == ["gp.cnn1d"]  # no temp files left
    loaded = cnn1d.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(test), fitted.predict_proba(test))
    assert loaded.classes_.tolist() == fitted.classes_.tolist()
    assert loaded.metrics_["test"]["accuracy"] == 1.0
    assert loaded.get_params() == fitted.get_params()
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["bundle.json", "model.keras"]  # no pickle inside
        meta = json.loads(z.read("bundle.json"))
    for key in ("cnn1d_version", "keras_version", "backend", "config", "state", "metrics"):
        assert key in meta
    assert {"preprocessor", "classes", "params", "epochs_", "history_"} <= set(meta["state"])


def test_regressor_round_trip(tmp_path, italy_regression):
    (X, y), (X_test, _) = italy_regression
    reg = CNNRegressor(**FAST).fit(X, y)
    loaded = cnn1d.load(reg.save(tmp_path / "reg.cnn1d"))
    np.testing.assert_array_equal(loaded.predict(X_test), reg.predict(X_test))


def test_corrupt_truncated_and_foreign_files(tmp_path, fitted):
    path = fitted.save(tmp_path / "ok.cnn1d")
    data = path.read_bytes()
    (tmp_path / "trunc.cnn1d").write_bytes(data[: len(data) // 2])
    with pytest.raises(BundleError, match="truncated or corrupt"):
        cnn1d.load(tmp_path / "trunc.cnn1d")
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0xFF
    (tmp_path / "flip.cnn1d").write_bytes(bytes(flipped))
    with pytest.raises(BundleError):
        cnn1d.load(tmp_path / "flip.cnn1d")
    (tmp_path / "text.cnn1d").write_text("hello")
    with pytest.raises(BundleError, match="not a cnn1d bundle"):
        cnn1d.load(tmp_path / "text.cnn1d")
    with zipfile.ZipFile(tmp_path / "other.cnn1d", "w") as z:
        z.writestr("readme.txt", "x")
    with pytest.raises(BundleError, match="no bundle.json"):
        cnn1d.load(tmp_path / "other.cnn1d")
    with pytest.raises(BundleError, match="not found"):
        cnn1d.load(tmp_path / "missing.cnn1d")


def test_newer_format_is_refused(tmp_path, fitted):
    path = fitted.save(tmp_path / "ok.cnn1d")
    with zipfile.ZipFile(path) as z:
        meta = json.loads(z.read("bundle.json"))
        model = z.read("model.keras")
    meta["format_version"] = 99
    meta["cnn1d_version"] = "9.0.0"
    with zipfile.ZipFile(tmp_path / "new.cnn1d", "w") as z:
        z.writestr("bundle.json", json.dumps(meta))
        z.writestr("model.keras", model)
    with pytest.raises(BundleError, match="format 99.*Upgrade"):
        cnn1d.load(tmp_path / "new.cnn1d")


DATA = Path(__file__).parent / "data"


def test_bundles_written_by_cnn1d_0_1_still_load_and_predict_alike(gunpoint):
    clf = cnn1d.load(DATA / "legacy-v0.1-classifier.cnn1d")
    assert np.allclose(clf.predict_proba(gunpoint[1])[:10], np.load(DATA / "legacy-v0.1-classifier-proba.npy"), atol=1e-6)
    assert clf.get_params()["model"] == "cnn" and clf.n_members_ == 1
    text = cnn1d.load(DATA / "legacy-v0.1-text.cnn1d")
    assert text.tokens == "char"  # the parameter was called `level` then
    assert np.allclose(text.predict_proba(["good plot", "awful film"]), np.load(DATA / "legacy-v0.1-text-proba.npy"), atol=1e-6)


def _members(path):
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("bundle.json")), z.read("model.keras")


def _assemble(path, meta, model_bytes):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("bundle.json", json.dumps(meta))
        z.writestr("model.keras", model_bytes)
    return path


def test_edited_bundle_json_is_refused(tmp_path):
    clf = cnn1d.load(DATA / "legacy-v0.1-classifier.cnn1d")
    meta, model = _members(clf.save(tmp_path / "m.cnn1d"))
    swapped = dict(meta, state={**meta["state"], "classes": meta["state"]["classes"][::-1]})
    with pytest.raises(BundleError, match="was changed after saving"):  # it would invert every prediction
        cnn1d.load(_assemble(tmp_path / "swapped.cnn1d", swapped, model))
    last = clf.model_.get_layer(index=-1)
    last.set_weights([w * 2 for w in last.get_weights()])
    _, other_model = _members(clf.save(tmp_path / "other.cnn1d"))
    with pytest.raises(BundleError, match="does not match the digest"):
        cnn1d.load(_assemble(tmp_path / "mixed.cnn1d", meta, other_model))


def test_bundle_format_module_does_not_import_the_estimators():
    import ast

    source = (Path(cnn1d.__file__).parent / "bundle.py").read_text()
    imported = {node.module or "" for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
    assert not any("estimators" in m for m in imported), imported


def test_bundles_leave_the_optimizer_state_out(tmp_path):
    import io

    from cnn1d import bundle
    from cnn1d._backend import keras

    k = keras()
    model = k.Sequential([k.Input((50,)), k.layers.Dense(200), k.layers.Dense(2)])
    model.compile("adam", "mse")
    x, y = np.ones((8, 50), "float32"), np.zeros((8, 2), "float32")
    model.fit(x, y, epochs=1, verbose=0)
    path = bundle.write(tmp_path / "m", {"state": {}}, model)
    with zipfile.ZipFile(path) as outer, zipfile.ZipFile(io.BytesIO(outer.read("model.keras"))) as inner:
        weights = inner.read("model.weights.h5")
    # Adam's two moment tensors would triple the file; the weights alone are 42 KB
    assert b"optimizer" not in weights and len(weights) < 2 * (50 * 200 + 200 + 200 * 2 + 2) * 4
    _, loaded = bundle.read(path)
    np.testing.assert_allclose(loaded.predict(x[:1], verbose=0), model.predict(x[:1], verbose=0), rtol=1e-6)
    assert model.optimizer is not None  # the fitted model keeps its optimizer and trains on
    model.fit(x, y, epochs=1, verbose=0)
