import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import cnn1d
from cnn1d.cli import app
from cnn1d.data.timeseries import read_series_csv, season_for
from cnn1d.errors import ConfigError, DataError
from cnn1d.estimators.forecaster import CNNForecaster
from cnn1d.forecasting import load_demo
from cnn1d.tasks import forecast as ftask

FAST = dict(epochs=3, seed=0, model_params={"filters": 8, "dilations": (1, 2, 4)})


def test_read_reports_gaps_and_missing_values(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("date,y\n2020-01-01,1\n2020-01-02,2\n2020-01-04,4\n2020-01-05,\n2020-01-06,6\n")
    table = read_series_csv(path, "y")
    assert table.freq == "D" and table.length("series") == 6
    assert table.report["gaps"]["series"] == 1 and table.report["missing"]["series"] == 2
    assert np.isnan(table.targets["series"][[2, 4], 0]).all()


@pytest.mark.parametrize("content,message", [
    ("date,y\n2020-01-01,1\n2020-01-01,2\n2020-01-02,3\n", "two rows for time"),
    ("date,y\n2020-01-01,1\nnot a date,2\n", "not a timestamp"),
    ("date,y\n2020-01-01,1\n2020-01-02,high\n", "not a number"),
    ("date,x\n2020-01-01,1\n", "no target column 'y'"),
])
def test_bad_forecast_files(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_series_csv(path, "y")


def test_long_layout_and_embedded_demos():
    stocks = load_demo("stocks")
    assert sorted(stocks.ids) == ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"] and stocks.freq == "MS"
    co2 = load_demo("co2")
    assert co2.report["missing"]["series"] == 59 and season_for(co2.freq) == 52
    assert season_for(load_demo("seattle-temps").freq) == 24


def test_baselines_and_metrics():
    history = np.array([1.0, 2, 3, 4, 1, 2, 3, 4])
    assert ftask.naive(history, 3, 4).tolist() == [4, 4, 4]
    assert ftask.seasonal_naive(history, 6, 4).tolist() == [1, 2, 3, 4, 1, 2]
    np.testing.assert_allclose(ftask.drift(history, 2, 1), [4 + 3 / 7, 4 + 6 / 7])
    assert ftask.mase_scale(history, 4) == 1.0  # seasonal naive is perfect in-sample -> guarded scale
    actual = np.array([[1.0, 2.0]])
    m = ftask.forecast_metrics(actual, np.array([[1.0, 4.0]]), np.array([2.0]), np.array([[0.0, 0.0]]), np.array([[2.0, 1.5]]))
    assert m["mae"] == 1.0 and m["mase"] == 0.5 and m["coverage"] == 0.5 and m["width"] == 1.75


def test_forecaster_fits_predicts_and_round_trips(tmp_path):
    table = load_demo("stocks")
    f = CNNForecaster(horizon=6, **FAST).fit(table)
    frame = f.predict()
    assert len(frame) == 5 * 6 and set(frame.columns) == {"id", "time", "target", "forecast", "lower", "upper"}
    assert (frame["lower"] <= frame["forecast"]).all() and (frame["forecast"] <= frame["upper"]).all()
    assert frame["time"].min() == pd.Timestamp("2010-04-01")  # the month after the data ends
    loaded = cnn1d.load(f.save(tmp_path / "f.cnn1d"))
    pd.testing.assert_frame_equal(loaded.predict(), frame)
    with pytest.raises(ConfigError, match="longer than the 6 steps"):
        f.predict(horizon=12)


def test_forecaster_on_arrays_and_short_series():
    y = load_demo("co2").targets["series"][:400, 0]
    f = CNNForecaster(horizon=4, season=52, lookback=60, **FAST).fit(y)
    assert f.predict().shape[0] == 4 and np.isfinite(f.score(y[:4] * 0 + y[-1]))
    with pytest.raises(DataError, match="needs at least"):
        CNNForecaster(horizon=10, **FAST).fit(y[:15])


@pytest.mark.slow
def test_cli_forecast_contract(tmp_path):
    runner = CliRunner()
    out = tmp_path / "run"
    res = runner.invoke(app, ["train", "--task", "forecast", "--data", "stocks", "--horizon", "6", "--epochs", "2",
                              "--seed", "0", "--out", str(out), "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert {"mae", "rmse", "mase", "smape", "coverage"} <= set(result["test_metrics"])
    assert {"naive", "seasonal_naive", "drift", "ets"} <= set(result["baselines"])
    for metrics in result["baselines"].values():
        assert {"mae", "rmse", "mase", "smape"} <= set(metrics)
    assert (out / "backtest.csv").exists()
    csv_out = tmp_path / "fc.csv"
    res = runner.invoke(app, ["forecast", str(out / "model.cnn1d"), "stocks", "--horizon", "3", "--out", str(csv_out)])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(csv_out)
    assert len(frame) == 15 and {"time", "forecast", "lower", "upper"} <= set(frame.columns)
    assert csv_out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    res = runner.invoke(app, ["predict", str(out / "model.cnn1d"), "stocks"])
    assert res.exit_code != 0 and "use `cnn1d forecast" in res.output
    res = runner.invoke(app, ["train", "--task", "forecast", "--data", "stocks", "--horizon", "60", "--out", str(tmp_path / "x")])
    assert res.exit_code != 0 and "too short" in res.output


@pytest.mark.slow
def test_known_future_covariates_and_zoo_models(tmp_path):
    weather = pd.read_csv(__import__("importlib").resources.files("cnn1d.data") / "embedded" / "seattle-weather.csv.gz")
    frame = weather[["date", "temp_max", "temp_min"]].iloc[:400].copy()
    frame.loc[frame.index[-5:], "temp_max"] = np.nan  # the last 5 rows: future, covariate known
    path = tmp_path / "w.csv"
    frame.to_csv(path, index=False)
    table = read_series_csv(path, "temp_max", covariates=["temp_min"])
    f = CNNForecaster(horizon=5, season=7, **FAST).fit(table)
    assert f.covariate_names_ == ["temp_min"]
    out = f.predict()
    assert len(out) == 5 and out["time"].iloc[0] == pd.Timestamp(frame["date"].iloc[-5])
    missing_future = tmp_path / "w2.csv"
    frame.iloc[:-5].to_csv(missing_future, index=False)
    with pytest.raises(DataError, match="covariate values for the 5 future steps"):
        f.predict(table=read_series_csv(missing_future, "temp_max", covariates=["temp_min"]))
    for model in ("cnn", "fcn"):
        g = CNNForecaster(horizon=5, season=7, model=model, epochs=2, seed=0).fit(table)
        assert np.isfinite(g.predict()["forecast"]).all()
