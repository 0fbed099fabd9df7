"""MiniRocket as a zoo network: the transform matches the paper's definition, the ridge head matches
scikit-learn, and the model trains, saves, explains and refuses what it cannot do."""

import numpy as np
import pytest

import cnn1d
from cnn1d.errors import ConfigError
from cnn1d.models import rocket
from cnn1d.models.registry import build


def reference_ppv(series: np.ndarray, taps, dilation: int, bias: float, inner: bool) -> float:
    """PPV of one kernel written out as in the paper: -1 at every tap, +3 added at three taps, zero padding."""
    L = len(series)
    padded = np.concatenate([np.zeros(4 * dilation), series, np.zeros(4 * dilation)])
    weights = np.full(9, -1.0)
    weights[list(taps)] = 2.0
    conv = np.array([sum(weights[g] * padded[t + g * dilation] for g in range(9)) for t in range(L)])
    if inner:
        conv = conv[4 * dilation: L - 4 * dilation]
    return float(np.mean(conv > bias))


def test_features_match_the_definition_of_minirocket():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 60, 1)).astype(np.float32)
    net = build("minirocket", (60, 1), 2, "softmax", n_features=84 * 6)
    layer = net.get_layer("minirocket")
    layer.fit_biases(X)
    features = rocket.features_of(net, X)
    assert features.shape == (6, layer.output_features)
    assert layer.dilations == [1, 2, 3, 4, 7] and layer.counts == [2, 1, 1, 1, 1]
    start = 0
    for j, (dilation, count) in enumerate(zip(layer.dilations, layer.counts)):
        bias = np.asarray(layer.biases[j])
        for k in (0, 1, 41, 83):
            inner = (k + j) % 2 == 1  # every other (dilation, kernel) pair pools only the unpadded steps
            for c in range(count):
                expected = reference_ppv(X[2, :, 0], rocket.KERNEL_TAPS[k], dilation, bias[k, c], inner)
                assert features[2, start + k * count + c] == pytest.approx(expected, abs=1e-6)
        start += 84 * count


def test_dilations_follow_the_paper():
    dilations, counts = rocket.dilations_for(150, 10_000, 32)
    assert dilations[0] == 1 and dilations[-1] == 18  # the largest kernel spans the series: 8 * 18 < 150
    assert counts.sum() == 10_000 // 84


def test_ridge_matches_scikit_learn():
    from sklearn.linear_model import RidgeCV

    rng = np.random.default_rng(1)
    F = rng.normal(size=(40, 300))
    Y = np.sign(F[:, :2] @ rng.normal(size=(2, 3)) + rng.normal(scale=0.5, size=(40, 3)))
    coef, intercept, loo, alpha, _ = rocket.ridge_loo(F, Y)
    reference = RidgeCV(alphas=rocket.RIDGE_ALPHAS).fit(F, Y)
    assert alpha == pytest.approx(reference.alpha_)
    np.testing.assert_allclose(coef, reference.coef_.T, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(intercept, reference.intercept_, rtol=1e-6, atol=1e-8)
    # Leave-one-out predictions: refit without each series.
    for i in (0, 17):
        keep = np.arange(40) != i
        from sklearn.linear_model import Ridge

        single = Ridge(alpha=alpha).fit(F[keep], Y[keep])
        np.testing.assert_allclose(loo[i], single.predict(F[i: i + 1])[0], rtol=1e-6, atol=1e-8)


def test_ridge_above_the_loo_limit_chooses_alpha_on_a_spread_subset_and_solves_on_all_rows():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(3)
    labels = np.repeat([0, 1, 2], [50, 30, 4])  # the smallest class still in the subset
    F = rng.normal(size=(84, 20)) + labels[:, None]
    Y = 2.0 * np.eye(3)[labels] - 1.0
    weight = rng.uniform(0.5, 2.0, size=84)
    for features in (F, np.hstack([F, rng.normal(size=(84, 100))])):  # the primal and the dual solve
        fit = rocket.ridge_loo(features, Y, sample_weight=weight, max_loo=21)
        assert len(fit.loo_rows) <= 21 and set(labels[fit.loo_rows]) == {0, 1, 2} and fit.loo.shape == (len(fit.loo_rows), 3)
        chosen = rocket.ridge_loo(features[fit.loo_rows], Y[fit.loo_rows], sample_weight=weight[fit.loo_rows])
        assert fit.alpha == chosen.alpha
        np.testing.assert_allclose(fit.loo, chosen.loo)
        reference = Ridge(alpha=fit.alpha).fit(features, Y, sample_weight=weight / weight.mean())
        np.testing.assert_allclose(fit.coef, reference.coef_.T, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(fit.intercept, reference.intercept_, rtol=1e-6, atol=1e-8)


@pytest.fixture(scope="module")
def gunpoint_rocket(gunpoint, tmp_path_factory):
    train, test = gunpoint
    clf = cnn1d.CNNClassifier(model="minirocket", seed=0).fit(train)
    return clf, test


def test_minirocket_trains_in_closed_form_and_round_trips(gunpoint_rocket, tmp_path):
    clf, test = gunpoint_rocket
    assert clf.score(test) >= 0.97  # aeon's MiniRocket: 0.993 on GunPoint
    assert clf.epochs_ == 1 and "ridge" in clf.stopped_because_
    assert clf.monitor_ == "loss"  # no validation split: leave-one-out on all 50 series chose the penalty
    proba = clf.predict_proba(test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert 0.05 < proba.max(axis=1).mean() < 1.0  # a fitted temperature, not one-hot ridge scores
    path = clf.save(tmp_path / "rocket.cnn1d")
    loaded = cnn1d.load(path)
    np.testing.assert_allclose(loaded.predict_proba(test), proba, rtol=1e-5, atol=1e-6)


def test_minirocket_cam_splits_the_score_exactly(gunpoint_rocket):
    clf, test = gunpoint_rocket
    maps = clf.explain(test.subset(np.arange(4)), method="auto")
    assert maps.shape == (4, 150)
    x = clf._transform(test.subset(np.arange(4)))
    from cnn1d.evaluation.explain import _Network, scores

    network = _Network(clf.model_)
    target = clf._predict_arrays(x).argmax(axis=1)
    np.testing.assert_allclose(maps.sum(axis=1), scores(network, x, target) - network.bias[target], rtol=1e-4, atol=1e-4)
    with pytest.raises(ConfigError, match="gradient is zero"):
        clf.explain(test.subset(np.arange(2)), method="ig")


def test_minirocket_with_differences_mpv_and_channels(basicmotions):
    train, test = basicmotions
    clf = cnn1d.CNNClassifier(model="minirocket", model_params={"difference": True, "pooling": ["ppv", "mpv"],
                                                                "n_features": 84 * 20}, seed=1).fit(train)
    assert clf.n_params_ > 0 and clf.score(test) >= 0.9
    layer = clf.model_.get_layer("minirocket")
    assert layer.output_features == 84 * 20 * 4


def test_weighted_ridge_matches_scikit_learn():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(2)
    F, Y = rng.normal(size=(30, 50)), rng.normal(size=(30, 2))
    weight = rng.uniform(0.2, 3.0, size=30)
    coef, intercept, loo, alpha, _ = rocket.ridge_loo(F, Y, alphas=np.array([2.0]), sample_weight=weight)
    reference = Ridge(alpha=2.0 * weight.mean() / weight.mean()).fit(F, Y, sample_weight=weight / weight.mean())
    np.testing.assert_allclose(coef, reference.coef_.T, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(intercept, reference.intercept_, rtol=1e-6, atol=1e-8)
    keep = np.arange(30) != 4
    single = Ridge(alpha=2.0).fit(F[keep], Y[keep], sample_weight=(weight / weight.mean())[keep])
    np.testing.assert_allclose(loo[4], single.predict(F[4:5])[0], rtol=1e-6, atol=1e-8)


def test_minirocket_refuses_what_it_cannot_fit(gunpoint):
    train, _ = gunpoint
    balanced = cnn1d.CNNClassifier(model="minirocket", class_weight="balanced", seed=0).fit(train)
    assert balanced.score(gunpoint[1]) >= 0.95
    with pytest.raises(ConfigError, match="multi-label"):
        cnn1d.CNNClassifier(model="minirocket", seed=0).fit(train.values[:, :, 0], [["a"], ["b", "a"]] * 25)
    with pytest.raises(ConfigError, match="pooling"):
        cnn1d.CNNClassifier(model="minirocket", model_params={"pooling": ["max"]}, seed=0).fit(train)
    short = np.random.default_rng(0).normal(size=(10, 6))  # shorter than a kernel: dilation 1, zero padding
    short[::2] += np.linspace(-1, 1, 6)
    clf = cnn1d.CNNClassifier(model="minirocket", seed=0).fit(short, np.arange(10) % 2)
    assert clf.model_.get_layer("minirocket").dilations == [1] and clf.predict(short).shape == (10,)


def test_minirocket_exports_to_onnx_at_any_length(gunpoint_rocket, tmp_path):
    pytest.importorskip("jax2onnx")
    pytest.importorskip("onnxruntime")
    from cnn1d.export import export
    from cnn1d.runtime import RuntimeModel

    clf, test = gunpoint_rocket
    report = export(clf.save(tmp_path / "r.cnn1d"), tmp_path / "r.onnx")
    assert report["label_agreement"] == 1.0 and any("never seen" in c["inputs"] for c in report["checks"])
    runtime = RuntimeModel(tmp_path / "r.onnx")
    np.testing.assert_allclose(runtime.predict_proba(test.values), clf.predict_proba(test), atol=1e-3)
