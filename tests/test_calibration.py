"""Probabilities that mean what they say: ECE, Brier and temperature scaling."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import cnn1d
from cnn1d.cli import app
from cnn1d.evaluation.metrics import brier_score, expected_calibration_error, reliability
from cnn1d.tasks import classify


def test_temperature_scaling_recovers_a_known_overconfidence():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 1.5, size=(4000, 4))
    true_p = classify.apply_temperature(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), 1.0)
    y = np.array([rng.choice(4, p=p) for p in true_p])
    overconfident = classify.apply_temperature(true_p, 1 / 3)  # the same ranking, three times too sharp
    temperature = classify.fit_temperature(overconfident[:2000], y[:2000])
    assert 2.7 < temperature < 3.3
    calibrated = classify.apply_temperature(overconfident[2000:], temperature)
    before, after = expected_calibration_error(y[2000:], overconfident[2000:]), expected_calibration_error(y[2000:], calibrated)
    assert after < before / 2 and after < 0.03
    assert brier_score(y[2000:], calibrated) < brier_score(y[2000:], overconfident[2000:])
    assert (calibrated.argmax(1) == overconfident[2000:].argmax(1)).all()
    points = reliability(y[2000:], calibrated)
    assert sum(points["count"]) == 2000


def test_ece_of_a_perfectly_calibrated_constant_is_zero():
    y = np.array([0, 0, 0, 1])
    proba = np.tile([0.75, 0.25], (4, 1))
    assert expected_calibration_error(y, proba) == pytest.approx(0.0)
    assert brier_score(y, proba) == pytest.approx((3 * 2 * 0.25**2 + 2 * 0.75**2) / 4)


def test_calibrated_classifier_keeps_its_temperature_and_reports_ece(tmp_path):
    res = CliRunner().invoke(app, ["train", "--model", "cnn", "--model-params", '{"blocks": 1, "filters": 8, "dense": 16}',
                                   "--epochs", "20", "--seed", "0", "--calibrate", "--out", str(tmp_path / "cal"),
                                   "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    calibration = result["calibration"]
    assert calibration["temperature"] > 0 and {"ece", "brier"} <= set(result["test_metrics"])
    assert calibration["test_ece_after"] == result["test_metrics"]["ece"]
    model = cnn1d.load(tmp_path / "cal" / "model.cnn1d")
    assert model.temperature_ == pytest.approx(calibration["temperature"], rel=1e-3)
    _, test = cnn1d.datasets.load("gunpoint")
    raw = model._raw_predict(test)
    assert (model.predict_proba(test).argmax(1) == raw.argmax(1)).all()
    with pytest.raises(cnn1d.errors.ConfigError, match="regressor"):
        cnn1d.CNNRegressor(calibrate=True).fit(test.values[:, :, 0], np.arange(150.0))
