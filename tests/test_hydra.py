"""Hydra as a zoo network: the counts match the paper's definition, and the model trains, saves, explains,
exports and takes series of any length and several channels."""

import numpy as np
import pytest

import cnn1d
from cnn1d.errors import ConfigError
from cnn1d.models import hydra
from cnn1d.models.registry import build


def reference_counts(series: np.ndarray, kernels: np.ndarray, dilation: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """One representation's (soft, hard) counts written out as in the paper's code: zero padding, the largest
    response of each group adds itself to its kernel's count, the smallest adds one."""
    L, n_kernels = len(series), kernels.shape[1]
    pad = (9 - 1) * dilation // 2
    padded = np.concatenate([np.zeros(pad), series, np.zeros(pad)])
    z = np.array([[sum(kernels[g, j] * padded[t + g * dilation] for g in range(9)) for j in range(n_kernels)]
                  for t in range(L)]).reshape(L, -1, k)
    soft, hard = np.zeros(z.shape[1:]), np.zeros(z.shape[1:])
    for t in range(L):
        for group in range(z.shape[1]):
            soft[group, z[t, group].argmax()] += z[t, group].max()
            hard[group, z[t, group].argmin()] += 1
    return soft.ravel(), hard.ravel()


def test_counts_match_the_definition_of_hydra():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 40, 1)).astype(np.float32)
    X[0, 10:20] = 0.5  # a flat stretch: every kernel ties, the first wins (as argmax has it)
    net = build("hydra", (40, 1), 2, "softmax", k=4, groups=4)
    layer = net.get_layer("hydra")
    assert layer.dilations == hydra.dilations_for(40) == [1, 2, 4]
    counts = np.asarray(layer.counts(X))
    kernels = [np.asarray(w)[:, 0, :] for w in layer.kernels]
    width = 2 * 4
    offset = 0
    for i, d in enumerate(layer.dilations):
        for r in range(2):
            series = X[1, :, 0] if r == 0 else np.diff(X[1, :, 0])  # the difference has one step fewer
            soft, hard = reference_counts(series, kernels[2 * i + r], d, 4)
            np.testing.assert_allclose(counts[1, offset: offset + width], soft, rtol=1e-4, atol=1e-4)
            np.testing.assert_allclose(counts[1, offset + width: offset + 2 * width], hard, atol=1e-6)
            offset += 2 * width
    flat_hard = counts[0, width: 2 * width]  # dilation 1, the series itself
    # each step counted once per group (2 groups of 4 here); the flat steps go to each group's kernel 0
    assert flat_hard.sum() == 40 * 2 and (flat_hard.reshape(2, 4)[:, 0] >= 10).all()


@pytest.fixture(scope="module")
def gunpoint_hydra(gunpoint):
    train, test = gunpoint
    return cnn1d.CNNClassifier(model="hydra", seed=0).fit(train), test


def test_hydra_trains_in_closed_form_round_trips_and_explains_exactly(gunpoint_hydra, tmp_path):
    clf, test = gunpoint_hydra
    assert clf.score(test) >= 0.97 and "ridge" in clf.stopped_because_  # the paper: 1.000 on GunPoint
    proba = clf.predict_proba(test)
    loaded = cnn1d.load(clf.save(tmp_path / "h.cnn1d"))
    np.testing.assert_allclose(loaded.predict_proba(test), proba, rtol=1e-5, atol=1e-6)
    from cnn1d.evaluation.explain import _Network, scores

    few = test.subset(np.arange(3))
    maps = clf.explain(few, method="auto")
    x = clf._transform(few)
    network = _Network(clf.model_)
    target = clf._predict_arrays(x).argmax(axis=1)
    np.testing.assert_allclose(maps.sum(axis=1), scores(network, x, target) - network.bias[target], rtol=1e-4, atol=1e-4)


def test_hydra_takes_channels_and_unequal_lengths(basicmotions):
    train, test = basicmotions
    clf = cnn1d.CNNClassifier(model="hydra", seed=1).fit(train)
    assert clf.score(test) >= 0.9
    rng = np.random.default_rng(0)
    series = [rng.normal(size=int(n)) + (i % 2) * np.sin(np.arange(int(n)) / 3) for i, n in enumerate(rng.integers(30, 60, 40))]
    unequal = cnn1d.CNNClassifier(model="hydra", seed=0).fit(series, np.arange(40) % 2)
    assert unequal.score(series, np.arange(40) % 2) >= 0.9
    with pytest.raises(ConfigError, match="even number of groups"):
        cnn1d.CNNClassifier(model="hydra", model_params={"groups": 3}, seed=0).fit(series, np.arange(40) % 2)


def test_hydra_exports_to_onnx_at_any_length(gunpoint_hydra, tmp_path):
    pytest.importorskip("jax2onnx")
    pytest.importorskip("onnxruntime")
    from cnn1d.export import export

    clf, _ = gunpoint_hydra
    report = export(clf.save(tmp_path / "h.cnn1d"), tmp_path / "h.onnx")
    assert report["label_agreement"] == 1.0 and any("never seen" in c["inputs"] for c in report["checks"])
