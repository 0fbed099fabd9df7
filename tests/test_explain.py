"""Explanations that can fail: the peak lands on the evidence, CAM equals Grad-CAM on a GAP network, and
integrated gradients add up."""

import numpy as np
import pytest

import cnn1d
from cnn1d.evaluation import explain as ex

BUMP = slice(40, 60)


def bump_data(n: int, seed: int):
    """Noise series; class "bump" carries a bump at steps 40-59, class "flat" does not (generated, labelled as such)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 0.4, size=(n, 100))
    y = np.array(["bump", "flat"] * (n // 2), dtype=object)
    shape = np.exp(-0.5 * ((np.arange(100) - 49.5) / 5.0) ** 2)
    X[y == "bump"] += 2.0 * shape
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def bump_model():
    X, y = bump_data(160, 0)
    clf = cnn1d.CNNClassifier(model="fcn", model_params={"filters": (16, 32, 16)}, epochs=40, seed=0).fit(X, y)
    X_test, y_test = bump_data(60, 1)
    assert clf.score(X_test, y_test) > 0.9
    return clf, X_test[y_test == "bump"]


@pytest.mark.parametrize("method", ["cam", "gradcam", "ig"])
def test_attribution_peak_falls_inside_the_bump(bump_model, method):
    clf, X = bump_model
    attributions = clf.explain(X, method=method, target="bump")
    assert attributions.shape == X.shape
    peaks = attributions.argmax(axis=1)
    inside = np.mean((peaks >= BUMP.start) & (peaks < BUMP.stop))
    assert inside >= 0.8, f"{method}: peak inside the bump for {inside:.0%} of series"


def test_cam_equals_gradcam_on_a_gap_network(bump_model):
    clf, X = bump_model
    a, b = clf.explain(X, method="cam"), clf.explain(X, method="gradcam")
    correlations = [np.corrcoef(u, v)[0, 1] for u, v in zip(a, b)]
    assert min(correlations) > 0.99


def test_integrated_gradients_are_complete(bump_model):
    clf, X = bump_model
    x = clf.preprocessor_.transform(cnn1d.Dataset.from_array(X[:8]), length=clf.input_length_)
    target = np.zeros(len(x), dtype=int)
    network = ex._Network(clf.model_)
    baseline = np.zeros_like(x)
    attributions = ex.explain_arrays(clf.model_, x, target, "ig", baseline, steps=128)
    expected = ex.scores(network, x, target) - ex.scores(network, baseline, target)
    error = np.abs(attributions.sum(axis=(1, 2)) - expected) / np.abs(expected)
    assert error.max() < 0.02, error


@pytest.mark.slow
def test_ensembles_average_members_and_multichannel_ig_keeps_channels(basicmotions):
    train, test = basicmotions
    clf = cnn1d.CNNClassifier(model="fcn", model_params={"filters": (8, 8, 8)}, epochs=3, ensemble=2, n_jobs=1,
                              seed=0).fit(train)
    assert len(ex.members(clf.model_)) == 2
    assert clf.explain(test.subset(np.arange(3))).shape == (3, 100)
    assert clf.explain(test.subset(np.arange(3)), method="ig").shape == (3, 100, 6)
    with pytest.raises(cnn1d.errors.DataError, match="not a class"):
        clf.explain(test.subset(np.arange(1)), target="swimming")


def test_flatten_networks_refuse_cam_and_take_gradcam(gunpoint):
    train, test = gunpoint
    clf = cnn1d.CNNClassifier(model="cnn", model_params={"blocks": 1, "filters": 4, "dense": 8}, epochs=2,
                              seed=0).fit(train)
    assert ex.auto_method(clf.model_) == "gradcam"
    with pytest.raises(cnn1d.errors.ConfigError, match="global average pooling"):
        clf.explain(test.subset(np.arange(2)), method="cam")
    assert clf.explain(test.subset(np.arange(2))).shape == (2, 150)


@pytest.mark.slow
def test_text_attributions_per_token():
    texts = ["a truly great film", "a dull awful film", "great acting", "awful plot"] * 15
    labels = ["pos", "neg", "pos", "neg"] * 15
    clf = cnn1d.CNNTextClassifier(epochs=15, seed=0, model_params={"filters": 8}, validation_fraction=0.25).fit(texts, labels)
    pairs = clf.explain_tokens("a truly great film", target="pos")
    assert [w for w, _ in pairs] == ["a", "truly", "great", "film"]
    assert max(pairs, key=lambda p: p[1])[0] in ("great", "truly")


@pytest.mark.slow
def test_cli_explain_writes_a_plot_and_a_matrix(tmp_path, gunpoint):
    import json

    from typer.testing import CliRunner

    from cnn1d.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["train", "--model", "fcn", "--model-params", '{"filters": [8, 8, 8]}', "--epochs", "2",
                              "--seed", "0", "--out", str(tmp_path / "run"), "--quiet"])
    assert res.exit_code == 0, res.output
    bundle = str(tmp_path / "run" / "model.cnn1d")
    res = runner.invoke(app, ["explain", bundle, "gunpoint", "--index", "3", "--out", str(tmp_path / "e.png"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["method"] == "cam" and (tmp_path / "e.png").read_bytes()[:4] == b"\x89PNG"
    res = runner.invoke(app, ["explain", bundle, "gunpoint", "--method", "gradcam", "--out", str(tmp_path / "e.csv")])
    assert res.exit_code == 0, res.output
    import pandas as pd

    matrix = pd.read_csv(tmp_path / "e.csv", dtype={"explained": str})
    assert matrix.shape == (150, 152) and matrix["index"].tolist() == list(range(150))
    # each row says which class its attributions explain: the predicted one (it said nothing)
    model = cnn1d.load(bundle)
    _, test = cnn1d.datasets.load("gunpoint")
    assert matrix["explained"].tolist() == [str(c) for c in model.predict(test)]
    from cnn1d.workflows import _explained

    explained, captions = _explained(model, test.subset(np.arange(2)), target="2")
    assert explained == ["2", "2"] and captions[0].startswith(f"predicted {model.predict(test)[0]!r} (p ")
    assert f"labelled {test.y[0]!r}" in captions[0]
    res = runner.invoke(app, ["explain", bundle, "gunpoint", "--index", "999", "--out", str(tmp_path / "x.png")])
    assert res.exit_code != 0 and "out of range" in res.output
    # a file naming its rows: the CSV carries the names, as predict's does
    named = tmp_path / "named.csv"
    named.write_text("id," + ",".join(f"t{j}" for j in range(150)) + "\n" + "".join(
        f"case{i}," + ",".join(f"{v:.4f}" for v in test.values[i, :, 0]) + "\n" for i in range(3)))
    res = runner.invoke(app, ["explain", bundle, str(named), "--out", str(tmp_path / "n.csv")])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "n.csv")["id"].tolist() == ["case0", "case1", "case2"]


@pytest.mark.slow
def test_forecaster_and_language_model_explain_their_inputs():
    from cnn1d.forecasting import load_demo

    forecaster = cnn1d.CNNForecaster(horizon=4, epochs=2, seed=0,
                                     model_params={"filters": 8, "dilations": (1, 2)}).fit(load_demo("stocks"))
    attributions = forecaster.explain(step=1)
    assert attributions.shape == (5, forecaster.lookback_ + 4) and np.isfinite(attributions).all()
    assert np.abs(attributions).sum() > 0
    with pytest.raises(cnn1d.errors.ConfigError, match="step"):
        forecaster.explain(step=9)
    lm = cnn1d.CNNLanguageModel(context=16, epochs=1, seed=0, model_params={"filters": 8, "dilations": (1, 2)})
    lm.fit("the film was good. the film was bad. " * 20)
    scores = lm.explain(["the film was", "the"])
    assert scores.shape == (2, 12) and np.abs(scores[0]).sum() > 0 and (scores[1, 3:] == 0).all()
