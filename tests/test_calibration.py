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


@pytest.mark.slow
def test_calibrated_classifier_keeps_its_temperature_and_reports_ece(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, size=(300, 60)).astype(np.float32)  # generated: class "up" carries a ramp
    y = np.array(["up", "flat"] * 150, dtype=object)
    X[y == "up"] += np.linspace(0, 1.2, 60)
    np.savetxt(tmp_path / "ramps.csv", np.column_stack([np.where(y == "up", 1, 0), X]), delimiter=",", fmt="%.5f",
               header="label," + ",".join(f"t{i}" for i in range(60)), comments="")
    res = CliRunner().invoke(app, ["train", "--data", str(tmp_path / "ramps.csv"), "--model", "cnn", "--model-params",
                                   '{"blocks": 1, "filters": 8, "dense": 16}', "--epochs", "20", "--seed", "0",
                                   "--validation-fraction", "0.25", "--calibrate", "--out", str(tmp_path / "cal"),
                                   "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    calibration = result["calibration"]
    assert calibration["temperature"] != 1.0 and {"ece", "brier"} <= set(result["test_metrics"])
    assert calibration["test_ece_after"] == result["test_metrics"]["ece"]
    model = cnn1d.load(tmp_path / "cal" / "model.cnn1d")
    assert model.temperature_ == pytest.approx(calibration["temperature"], rel=1e-3)
    raw = model._raw_predict(X[:20])
    assert (model.predict_proba(X[:20]).argmax(1) == raw.argmax(1)).all()


def test_too_small_a_validation_split_is_not_calibrated(gunpoint):
    train, _ = gunpoint
    clf = cnn1d.CNNClassifier(model="cnn", model_params={"blocks": 1, "filters": 4, "dense": 8}, epochs=2, seed=0,
                              calibrate=True, validation_fraction=0.2).fit(train)
    assert clf.temperature_ == 1.0 and "holds 10 series" in clf.calibration_skipped_
    with pytest.raises(cnn1d.errors.ConfigError, match="validation_fraction=0"):
        cnn1d.CNNClassifier(calibrate=True, validation_fraction=0.0).fit(train)
    closed_form = cnn1d.CNNClassifier(model="minirocket", model_params={"n_features": 840}, seed=0, calibrate=True).fit(train)
    assert closed_form.temperature_ == 1.0 and "leave-one-out" in closed_form.calibration_skipped_
    with pytest.raises(cnn1d.errors.ConfigError, match="regressor"):
        cnn1d.CNNRegressor(calibrate=True).fit(train.values[:, :, 0], np.arange(50.0))
