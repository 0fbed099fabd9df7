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


def test_statistical_baselines_forecast_with_intervals():
    weekly = load_demo("co2").targets["series"][:400, 0].astype(np.float64)  # real values, with missing weeks
    for name in ftask.STATISTICAL:
        point, lower, upper = ftask.statistical(name, weekly, 8, 52, 0.9)
        assert point.shape == lower.shape == upper.shape == (8,) and np.isfinite(point).all()
        assert (lower < point).all() and (point < upper).all()
    assert ftask.best_statistical({"ets": {"mase": 2.0}, "theta": {"mase": 1.0}, "naive": {"mase": 0.1}}) == "theta"
    assert ftask.best_statistical({"naive": {"mase": 0.1}}) is None


def test_an_automatic_model_forecasts_one_history_once(monkeypatch):
    weekly = load_demo("co2").targets["series"][:300, 0].astype(np.float64)
    first = ftask.timed_baseline_forecast("theta", weekly, 4, 52, 0.9)
    calls = []
    monkeypatch.setattr(ftask, "statistical", lambda *a: calls.append(a))
    again = ftask.timed_baseline_forecast("theta", weekly.copy(), 4, 52, 0.9)
    assert not calls and again[3] == first[3] > 0  # from the cache, with the seconds it took to compute
    for a, b in zip(first[:3], again[:3]):
        np.testing.assert_array_equal(a, b)
    again[0][:] = 0  # the caller's copy: the cached forecast is unchanged
    assert ftask.timed_baseline_forecast("theta", weekly, 4, 52, 0.9)[0].tolist() == first[0].tolist()
    # Another history, level or horizon is another forecast.
    with pytest.raises(TypeError):  # the stub returns None: it was called
        ftask.timed_baseline_forecast("theta", weekly[:-1], 4, 52, 0.9)
    assert len(calls) == 1


def test_masked_loss_leaves_missing_targets_out():
    from cnn1d.models.layers import masked_mean_absolute_error
    from cnn1d.preprocess.windowing import training_windows

    y_true = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]], np.float32)
    y_pred = np.array([[2.0, 100.0, 1.0], [5.0, 5.0, 5.0]], np.float32)
    np.testing.assert_allclose(np.asarray(masked_mean_absolute_error(y_true, y_pred)), [1.5, 0.0])
    series = np.arange(40, dtype=np.float32)[:, None]
    series[20] = np.nan  # one missing step: windows whose future holds it still train, with it left out
    known = np.zeros((40, 0), np.float32)
    X, y, _, _ = training_windows(series, known, 8, 4, np.arange(8, 37))
    assert len(X) == 29 and np.isnan(y).any(axis=1).sum() == 4


def test_development_series_on_real_calendars(tmp_path):
    from cnn1d.data.calendar_series import CALENDAR_SERIES, write_calendar_series

    business = read_series_csv(write_calendar_series("weather-business-days", tmp_path), "temp_max")
    assert business.freq == "B" and business.report["gaps"]["series"] == 39  # 4 years of federal holidays
    gappy = read_series_csv(write_calendar_series("weather-gaps", tmp_path), "temp_min")
    assert gappy.freq == "D" and any("longest gap 21" in d for d in gappy.report["decisions"])
    pytest.importorskip("vega_datasets")
    local = read_series_csv(write_calendar_series("sf-temps-local", tmp_path), CALENDAR_SERIES["sf-temps-local"][0])
    assert local.freq == "h" and local.length("series") == 8760 and local.report["gaps"]["series"] == 1
    assert any("-07:00, -08:00" in d for d in local.report["decisions"])
    with pytest.raises(DataError, match="unknown calendar series"):
        write_calendar_series("nasdaq", tmp_path)


def test_forecaster_fits_predicts_and_round_trips(tmp_path):
    table = load_demo("stocks")
    f = CNNForecaster(horizon=6, **FAST).fit(table)
    frame = f.predict()
    assert len(frame) == 5 * 6 and set(frame.columns) == {"id", "time", "target", "forecast", "lower", "upper"}
    assert (frame["lower"] <= frame["forecast"]).all() and (frame["forecast"] <= frame["upper"]).all()
    assert frame["time"].min() == pd.Timestamp("2010-04-01")  # the month after the data ends
    loaded = cnn1d.load(f.save(tmp_path / "f.cnn1d"))
    pd.testing.assert_frame_equal(loaded.predict(), frame)
    assert loaded.linear_start_ == f.linear_start_ == "random"  # monthly stock prices: no ridge beats the anchor
    # ... so no longer window is tried either (a ridge over 54 months found momentum that was not there)
    assert loaded.lookback_scores_ == f.lookback_scores_ == [[18, None]] and f.lookback_ == 18
    with pytest.raises(ConfigError, match="longer than the 6 steps"):
        f.predict(horizon=12)
    with pytest.raises(ConfigError, match="from 1 to 6"):  # 0 forecast all 6 steps before
        f.predict(horizon=0)


def test_forecaster_on_arrays_and_short_series():
    y = load_demo("co2").targets["series"][:400, 0]
    f = CNNForecaster(horizon=4, season=52, lookback=60, **FAST).fit(y)
    assert f.predict().shape[0] == 4 and np.isfinite(f.score(y[:4] * 0 + y[-1]))
    assert f.n_members_ == 1  # no time budget and no --ensemble: one network
    assert f.linear_start_ == "ridge"  # weekly CO2: the autoregression beats seasonal naive on every block
    # each network's validation error beside its start's; one that does not beat it by START_MARGIN is the start
    from cnn1d.estimators.forecaster import START_MARGIN

    (errors,) = f.validation_errors_
    assert f.members_at_start_ == int(errors["trained"] >= errors["ridge_start"] * (1 - START_MARGIN))
    with pytest.raises(DataError, match="needs at least"):
        CNNForecaster(horizon=10, **FAST).fit(y[:15])


@pytest.mark.slow
def test_cli_forecast_contract(tmp_path):
    runner = CliRunner()
    out = tmp_path / "run"
    res = runner.invoke(app, ["train", "--task", "forecast", "--data", "stocks", "--horizon", "6", "--epochs", "2",
                              "--folds", "1", "--seed", "0", "--out", str(out), "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert {"mae", "rmse", "mase", "smape", "coverage"} <= set(result["test_metrics"])
    assert {"naive", "seasonal_naive", "drift", "ets", "arima", "theta"} <= set(result["baselines"])
    for metrics in result["baselines"].values():
        assert {"mae", "rmse", "mase", "smape", "coverage", "width", "seconds"} <= set(metrics)
    stats = {k: result["baselines"][k]["mase"] for k in ("ets", "arima", "theta")}
    assert result["best_statistical"] == min(stats, key=stats.get)
    from rich.console import Console

    from cnn1d.cli import _print_forecast_metrics

    console = Console(record=True, width=200)
    _print_forecast_metrics(console, result)
    assert f"best statistical baseline: {result['best_statistical']}" in console.export_text()
    assert (out / "backtest.csv").exists()
    csv_out = tmp_path / "fc.csv"
    res = runner.invoke(app, ["forecast", str(out / "model.cnn1d"), "stocks", "--horizon", "3", "--out", str(csv_out)])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(csv_out)
    assert len(frame) == 15 and {"time", "forecast", "lower", "upper"} <= set(frame.columns)
    assert csv_out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    res = runner.invoke(app, ["forecast", str(out), "stocks", "--horizon", "3", "--json"])  # no --out: printed only
    assert res.exit_code == 0 and json.loads(res.stdout)["out"] is None and json.loads(res.stdout)["rows"] == 15
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
    small = {"cnn": {"blocks": 1, "filters": 4, "dense": 8}, "fcn": {"filters": (8, 8, 8)}}
    for model in ("cnn", "fcn"):
        g = CNNForecaster(horizon=5, season=7, model=model, model_params=small[model], epochs=2, seed=0).fit(table)
        assert np.isfinite(g.predict()["forecast"]).all()


# -- calendars: business days, time zones, duplicates, resampling (one test per rule) ---------------------------
def _business_day_csv(tmp_path, n=158):  # 160 trading days from a Monday: ends on a Friday
    """The embedded stock prices' values on a trading-day calendar with two holidays: only the calendar is
    under test here."""
    values = load_demo("stocks").targets[load_demo("stocks").ids[0]][:, 0]
    days = pd.bdate_range("2023-01-02", periods=n + 2).delete([15, 60])
    path = tmp_path / "prices.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "price": np.resize(values, n)}).to_csv(path, index=False)
    return path


def test_business_days_are_a_calendar_not_gaps(tmp_path):
    table = read_series_csv(_business_day_csv(tmp_path), "price")
    assert table.freq == "B" and table.report["gaps"]["series"] == 2  # the two holidays, not ~64 weekend days
    assert any("business days" in d for d in table.report["decisions"])
    assert any("longest gap 1" in d for d in table.report["decisions"])
    f = CNNForecaster(horizon=5, **FAST).fit(table)
    times = pd.DatetimeIndex(f.predict()["time"])
    assert (times.day_of_week < 5).all()
    last = table.index["series"][-1]
    assert last.day_of_week == 4 and times[0] == last + pd.Timedelta(days=3)  # after a Friday comes Monday
    assert season_for("B") == 5


def test_time_zones_become_utc_without_repeating_or_skipping_steps(tmp_path):
    local = pd.date_range("2024-10-26 20:00", periods=12, freq="h", tz="Europe/Paris")  # DST ends 27 Oct, 03:00
    path = tmp_path / "flow.csv"
    pd.DataFrame({"time": [t.isoformat() for t in local], "flow": np.arange(12.0)}).to_csv(path, index=False)
    table = read_series_csv(path, "flow")
    assert table.freq == "h" and table.length("series") == 12 and table.report["gaps"]["series"] == 0
    assert any("+01:00, +02:00" in d and "UTC" in d for d in table.report["decisions"])
    zulu = tmp_path / "z.csv"
    zulu.write_text("time,v\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,2\n2024-01-01T02:00:00Z,3\n")
    assert read_series_csv(zulu, "v").time_zone == "UTC"
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("time,v\n" + "".join(f"2024-01-01T{h:02d}:00:00+05:30,{h}\n" for h in range(30 // 2)))
    table = read_series_csv(fixed, "v")
    assert table.time_zone == "+05:30" and str(table.index["series"][0]) == "2023-12-31 18:30:00"
    from cnn1d.data.timeseries import future_index, in_zone

    ahead = in_zone(future_index(table.index["series"], table.freq, 1), table.time_zone)
    assert ahead[0].isoformat() == "2024-01-01T15:00:00+05:30"  # given back in the zone it came in
    named = tmp_path / "named.csv"
    local = pd.date_range("2024-03-01", periods=60, freq="h", tz="America/New_York")
    pd.DataFrame({"time": local, "load": np.sin(np.arange(60) / 4.0)}).to_csv(named, index=False)
    table = read_series_csv(named, "load")
    forecaster = CNNForecaster(horizon=3, season=24, **FAST).fit(table)
    frame = forecaster.predict()
    assert frame["time"].iloc[0].utcoffset() == pd.Timedelta(hours=-5)  # New York time, as the data came
    from cnn1d.evaluation.plots import plot_forecast

    plot_forecast(table, frame, tmp_path / "f.png", history=24)  # history and forecast on one clock
    assert (tmp_path / "f.png").stat().st_size > 0


def irregular_csv(tmp_path):
    path = tmp_path / "i.csv"
    path.write_text("time,v\n2024-01-01 00:05,1\n2024-01-01 00:50,2\n2024-01-01 02:10,3\n2024-01-01 03:01,4\n"
                    "2024-01-01 03:30,5\n")
    return path


def test_a_time_column_under_another_name_and_the_one_numeric_column_are_found(tmp_path):
    path = tmp_path / "b.csv"  # business days under a German header: read as plain steps at season 1 before
    days = pd.bdate_range("2024-01-01", periods=30)
    pd.DataFrame({"Datum": days.strftime("%d.%m.%Y"), "wetter": ["sonnig", "Regen"] * 15,
                  "Umsatz": np.arange(30.0)}).to_csv(path, index=False)
    table = read_series_csv(path, None)
    assert table.freq == "B" and table.target_names == ["Umsatz"] and table.index["series"][0] == days[0]
    assert "time column 'Datum': its values are dates" in table.report["decisions"][0]
    assert "target 'Umsatz': the one numeric column" in table.report["decisions"][1]
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "a": np.arange(30.0), "b": np.ones(30)}).to_csv(path, index=False)
    with pytest.raises(DataError, match="name it with --target \\(numeric columns: a, b"):
        read_series_csv(path, None)
    assert read_series_csv(path, "b").freq == "B"


def test_duplicate_timestamps_are_refused_or_aggregated_and_freq_resamples(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-02,4\n2024-01-03,5\n2024-01-04,6\n")
    with pytest.raises(DataError, match="--aggregate mean"):
        read_series_csv(path, "v")
    assert read_series_csv(path, "v", aggregate="mean").targets["series"][:, 0].tolist() == [1, 3, 5, 6]
    assert read_series_csv(path, "v", aggregate="sum").targets["series"][:, 0].tolist() == [1, 6, 5, 6]
    assert read_series_csv(path, "v", aggregate="last").targets["series"][:, 0].tolist() == [1, 4, 5, 6]
    blank = tmp_path / "blank.csv"
    blank.write_text("date,v\n2024-01-01,1\n2024-01-02,\n2024-01-02,\n2024-01-03,5\n2024-01-04,6\n")
    assert np.isnan(read_series_csv(blank, "v", aggregate="sum").targets["series"][1, 0])  # missing, not 0
    summed = read_series_csv(irregular_csv(tmp_path), "v", freq="h", aggregate="sum").targets["series"][:, 0]
    assert np.allclose(summed, [3, np.nan, 3, 9], equal_nan=True)
    with pytest.raises(DataError, match="choose one of"):
        read_series_csv(path, "v", aggregate="median")
    irregular = irregular_csv(tmp_path)
    table = read_series_csv(irregular, "v", freq="h")
    assert table.freq == "h" and np.allclose(table.targets["series"][:, 0], [1.5, np.nan, 3, 4.5], equal_nan=True)
    assert any("resampled" in d for d in table.report["decisions"])
    with pytest.raises(DataError, match="not a pandas frequency"):
        read_series_csv(irregular, "v", freq="fortnightly")


def test_cli_prints_calendar_decisions_and_refuses_flags_on_demos(tmp_path):
    result = CliRunner().invoke(app, ["train", "--task", "forecast", "--data", str(_business_day_csv(tmp_path)),
                                      "--target", "price", "--horizon", "5", "--epochs", "2", "--model-params",
                                      '{"filters": 8, "dilations": [1, 2]}', "--seed", "0", "--out",
                                      str(tmp_path / "run"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["data_report"]
    assert any("business days" in d for d in report["decisions"])
    refused = CliRunner().invoke(app, ["train", "--task", "forecast", "--data", "co2", "--freq", "MS"])
    assert refused.exit_code != 0 and "embedded demos are regular" in refused.output
    refused = CliRunner().invoke(app, ["train", "--task", "forecast", "--data", "co2", "--test", "co2"])
    assert refused.exit_code != 0 and "--test does not apply to forecasting" in refused.output


def test_observation_calendar_has_no_holiday_gaps(tmp_path):
    path = _business_day_csv(tmp_path)
    table = read_series_csv(path, "price", calendar="observations")
    assert table.freq == "B" and table.report["gaps"]["series"] == 0 and table.length("series") == 158
    assert any("one step per observed timestamp" in d for d in table.report["decisions"])
    f = CNNForecaster(horizon=3, **FAST).fit(table)
    times = pd.DatetimeIndex(f.predict()["time"])
    assert times[0] == table.index["series"][-1] + pd.Timedelta(days=3)  # Friday -> Monday
    with pytest.raises(DataError, match="choose one of"):
        read_series_csv(path, "price", calendar="trading")


def test_calendar_parts_need_two_cycles_and_old_bundles_keep_theirs():
    from cnn1d.data.timeseries import calendar_features, calendar_parts

    year = pd.date_range("2021-01-01", periods=300 * 24, freq="h")
    assert calendar_parts(year, "h") == ("hour", "day_of_week")  # day of year needs two years
    assert calendar_parts(pd.date_range("2020-01-01", periods=800, freq="D"), "D") == ("day_of_week", "day_of_year")
    assert calendar_parts(pd.RangeIndex(50), None) == ()
    assert calendar_features(year[:5], "h", ("hour",)).shape == (5, 2)
    assert calendar_features(year[:5], "h").shape == (5, 6)  # no parts given: all that suit the frequency
    old = CNNForecaster._upgrade_state({"freq_": "h", "params": {"calendar_features": True}}, None)
    assert old["calendar_parts_"] == ["hour", "day_of_week", "day_of_year"]
    assert old["linear_path_"] is False and old["instance_norm_"] is False and old["interval_reference_"] is None
    off = CNNForecaster._upgrade_state({"freq_": "D", "params": {"calendar_features": False}}, None)
    assert off["calendar_parts_"] == []


def test_interval_widths_follow_local_volatility_within_bounds():
    from cnn1d.preprocess.windowing import LOCAL_SCALE_BOUND, local_scale

    steps = np.arange(20, dtype=np.float32)
    calm = np.stack([0.1 * np.sin(steps), np.ones(20)], axis=1)    # target channel, mask channel
    wild = np.stack([2.0 * np.sin(steps), np.ones(20)], axis=1)
    flat = np.stack([np.zeros(20), np.zeros(20)], axis=1)            # an all-imputed past
    windows = np.stack([calm, wild, flat]).astype(np.float32)
    free = local_scale(windows, 16, 1)[:, 0]
    assert free[0] < free[1] and free[2] < 0.01
    bounded = local_scale(windows, 16, 1, np.array([free[0]]))[:, 0]
    assert bounded[2] == pytest.approx(free[0] / LOCAL_SCALE_BOUND) and bounded[1] == pytest.approx(free[0] * LOCAL_SCALE_BOUND)


def test_forecaster_ensemble_is_one_model_that_saves_and_explains(tmp_path):
    from cnn1d.estimators.bundled import load

    stocks = load_demo("stocks")
    f = CNNForecaster(horizon=3, ensemble=2, **dict(FAST, epochs=2)).fit(stocks)
    assert f.n_members_ == 2 and f.model_.name == "ensemble_of_2" and f.linear_path_ and f.instance_norm_
    assert f.explain(method="ig").shape == (5, f.lookback_ + 3)
    again = load(f.save(tmp_path / "e.cnn1d"))
    np.testing.assert_allclose(again.predict()["forecast"], f.predict()["forecast"], rtol=1e-6)
    with pytest.raises(ConfigError, match="ensemble must be a positive integer"):
        CNNForecaster(horizon=3, ensemble=0, **FAST).fit(stocks)


def test_intervals_recalibrate_on_the_latest_out_of_sample_windows():
    import copy

    from cnn1d.estimators.forecaster import as_table

    y = load_demo("co2").targets["series"][:800, 0].astype(np.float64)
    weeks = pd.date_range("1960-01-02", periods=800, freq="W-SAT")
    f = CNNForecaster(horizon=4, season=52, lookback=60, **FAST).fit(pd.Series(y[:600], index=weeks[:600]))
    key = f.table_.ids[0]
    assert weeks[400] < pd.Timestamp(f.trained_through_[str(key)]) < weeks[600]  # validation windows follow: the latest fifth of the origins
    fixed = copy.copy(f)
    fixed.trained_through_ = None  # as a bundle from before recalibration: the interval fitted once

    def half(model, series, origin, start=0):
        table = as_table(pd.Series(series, index=weeks[start: start + len(series)]))
        point, _, upper = model.forecast_at(table, {table.ids[0]: origin})[table.ids[0]]
        return (upper - point)[:, 0]

    # From the end of the training data the fitted interval is the recent one (what export bakes in).
    np.testing.assert_allclose(half(f, y[:600], 600), half(fixed, y[:600], 600), rtol=1e-5)
    # Inside the training windows there is nothing out-of-sample to recalibrate on.
    np.testing.assert_allclose(half(f, y, 300), half(fixed, y, 300), rtol=1e-5)
    # After a stretch of surprises (a shock every 5th step) the interval widens far beyond what local volatility
    # alone gives: that scale is bounded to twice the calibration median.
    surprised = y.copy()
    surprised[600::5] += 30 * np.nanmean(np.abs(np.diff(y[:600])))
    assert (half(f, surprised, 790) > 1.5 * half(fixed, surprised, 790)).all()
    # A later stretch of the same series, starting elsewhere, finds the same out-of-sample windows by time stamp.
    np.testing.assert_allclose(half(f, surprised[100:], 520, start=100), half(f, surprised, 620), rtol=1e-5)
    assert CNNForecaster._upgrade_state({"freq_": None, "params": {}}, None)["trained_through_"] is None
    # A history at another step than the model's is refused, not forecast as if its steps were weeks.
    days = as_table(pd.Series(y[:100], index=pd.date_range("1960-01-02", periods=100, freq="D")))
    with pytest.raises(DataError, match="the history's steps are D, but this model was trained on W-SAT steps"):
        f.forecast_at(days)


def _lagged(series: np.ndarray, lags: int):
    X = np.stack([series[i: i + lags] for i in range(len(series) - lags)])[:, :, None]
    return X.astype(np.float32), series[lags:, None].astype(np.float32)


def _ar2(rng, steps: int = 1200) -> np.ndarray:
    """An AR(2) process: the next value is a fixed mix of the last two (1.2, -0.5), which a ridge recovers."""
    ar = np.zeros(steps)
    for t in range(2, steps):
        ar[t] = 1.2 * ar[t - 1] - 0.5 * ar[t - 2] + rng.normal()
    return ar


def test_the_linear_path_starts_from_a_ridge_only_where_it_beats_the_anchor_out_of_sample():
    from cnn1d.estimators.forecaster import RIDGE_BLOCKS, ridge_start

    rng = np.random.default_rng(0)
    X, y = _lagged(_ar2(rng), 4)
    blocks = np.arange(1000) * RIDGE_BLOCKS // 1000
    start = ridge_start(X[:1000], y[:1000], blocks, X[1000:], y[1000:])
    assert start is not None
    weights, bias = start.weights, start.bias
    assert weights.shape == (4, 1) and bias.shape == (1,) and 0 < start.score < 1
    np.testing.assert_allclose(weights[-2:, 0], [-0.5, 1.2], atol=0.1)
    # Noise the window says nothing about: the anchor (zero) is as good, so training starts from random weights.
    noise = rng.normal(size=(1196, 1)).astype(np.float32)
    assert ridge_start(X[:1000], noise[:1000], blocks, X[1000:], noise[1000:]) is None
    # Without validation windows there is nothing to check it on.
    assert ridge_start(X[:1000], y[:1000], blocks, X[:0], y[:0]) is None


def test_the_ridge_penalty_is_the_one_that_forecasts_the_validation_windows_best(monkeypatch):
    from cnn1d.estimators import forecaster
    from cnn1d.estimators.forecaster import RIDGE_BLOCKS, RIDGE_PENALTIES, ridge_start

    rng = np.random.default_rng(3)
    X, y = _lagged(_ar2(rng, 700), 24)  # a wide window on few windows: the penalty matters
    blocks = np.arange(500) * RIDGE_BLOCKS // 500
    chosen = ridge_start(X[:500], y[:500], blocks, X[500:], y[500:])
    each = {}
    for penalty in RIDGE_PENALTIES:
        monkeypatch.setattr(forecaster, "RIDGE_PENALTIES", (penalty,))
        each[penalty] = ridge_start(X[:500], y[:500], blocks, X[500:], y[500:])
    best = min(each, key=lambda p: each[p].validation)
    assert chosen.validation == each[best].validation and chosen.score == each[best].score
    np.testing.assert_array_equal(chosen.weights, each[best].weights)


def test_the_ridge_reads_chosen_channels_and_weighs_windows_by_their_scale(monkeypatch):
    from cnn1d.estimators import forecaster
    from cnn1d.estimators.forecaster import RIDGE_BLOCKS, ridge_start

    # One penalty: what is compared below is the weighting, not the penalty the validation windows choose.
    monkeypatch.setattr(forecaster, "RIDGE_PENALTIES", (1e-3,))

    rng = np.random.default_rng(1)
    X, y = _lagged(_ar2(rng), 4)
    # A second channel (a calendar-like ramp) that the ridge is told to leave out: zero weight there, and the
    # weights come back in the window's flattened (step, channel) layout.
    X = np.concatenate([X, np.linspace(-1, 1, len(X), dtype=np.float32)[:, None, None].repeat(4, 1)], axis=2)
    blocks = np.arange(1000) * RIDGE_BLOCKS // 1000
    scales = rng.uniform(0.5, 2.0, size=(len(X), 1)).astype(np.float32)
    weights = ridge_start(X[:1000], y[:1000], blocks, X[1000:], y[1000:], scales[:1000], scales[1000:],
                          channels=np.array([0])).weights
    assert weights.shape == (8, 1)
    np.testing.assert_array_equal(weights.reshape(4, 2)[:, 1], 0)
    np.testing.assert_allclose(weights.reshape(4, 2)[-2:, 0], [-0.5, 1.2], atol=0.1)
    # Windows whose errors are noise only at a tiny scale barely count: the fit follows the large-scale ones.
    noisy = y.copy()
    small = scales[:, 0] < 0.6
    noisy[small] = rng.normal(scale=5.0, size=(int(small.sum()), 1))
    weighted = ridge_start(X[:1000], noisy[:1000], blocks, X[1000:], noisy[1000:], scales[:1000] ** 4,
                           scales[1000:] ** 4, channels=np.array([0])).weights
    plain = ridge_start(X[:1000], noisy[:1000], blocks, X[1000:], noisy[1000:], channels=np.array([0]))
    plain = None if plain is None else plain.weights
    assert np.abs(weighted.reshape(4, 2)[-2:, 0] - [-0.5, 1.2]).max() < 0.15
    assert plain is None or np.abs(plain.reshape(4, 2)[-2:, 0] - [-0.5, 1.2]).max() > np.abs(
        weighted.reshape(4, 2)[-2:, 0] - [-0.5, 1.2]).max()


def test_a_long_series_holds_back_at_most_max_validation_windows():
    from cnn1d.estimators.forecaster import MAX_VALIDATION_WINDOWS

    temps = load_demo("seattle-temps").targets["series"][:3000, 0]
    f = CNNForecaster(horizon=4, lookback=8, epochs=1, seed=0, calendar_features=False,
                      model_params={"filters": 4, "dilations": (1,)}).fit(temps)
    # origins 8..2996; 20% would hold back 598 of them, the cap keeps the latest 500: training ends before 2497
    assert MAX_VALIDATION_WINDOWS == 500
    assert f.trained_through_["series"] == 2996 - 500
    short = CNNForecaster(horizon=4, lookback=8, epochs=1, seed=0, calendar_features=False,
                          model_params={"filters": 4, "dilations": (1,)}).fit(temps[:1000])
    assert short.trained_through_["series"] == 996 - round(989 * 0.2)  # 20% of a short series, as before


def test_the_ridge_chooses_a_longer_lookback_where_the_series_remembers_further_back():
    rng = np.random.default_rng(0)
    y = np.zeros(1500)
    noise = rng.normal(size=1500)
    for t in range(24, 1500):  # each step remembers the last one and the one a day (24 steps) ago
        y[t] = 0.5 * y[t - 1] + 0.45 * y[t - 24] + noise[t]
    fast = dict(horizon=4, epochs=1, seed=0, calendar_features=False, model_params={"filters": 4, "dilations": (1,)})
    f = CNNForecaster(**fast).fit(y)
    # default window 16 steps cannot see a day back; twice that can, and its ridge forecasts better out of sample
    assert [lb for lb, _ in f.lookback_scores_] == [16, 32]
    assert f.lookback_scores_[1][1] < f.lookback_scores_[0][1] < 1 and f.lookback_ == 32
    assert f.predict().shape[0] == 4
    given = CNNForecaster(lookback=16, **fast).fit(y)  # a lookback the user sets is kept
    assert given.lookback_ == 16 and len(given.lookback_scores_) == 1


def test_series_ids_with_leading_zeros_stay_names(tmp_path):
    path = tmp_path / "stores.csv"
    path.write_text("store,day,sales\n" + "".join(f"{s},2024-01-{d:02d},{d + int(s)}\n" for s in ("001", "010")
                                                  for d in range(1, 21)))
    assert read_series_csv(path, "sales", id_column="store").ids == ["001", "010"]


def test_timestamps_as_text_or_in_a_column_are_read_as_the_csv_reader_reads_them():
    """A Series read with index_col="date" but no parse_dates was forecast at integer steps (exit 0); a
    DataFrame with a date column was refused as 'targets must be numeric'."""
    from cnn1d.estimators.forecaster import as_table

    days = pd.date_range("2024-01-01", periods=60, freq="D")
    values = np.sin(np.arange(60) / 3.0) + 10
    indexed = pd.Series(values, index=days, name="sales")
    expected = as_table(indexed)
    for given in (pd.Series(values, index=days.strftime("%Y-%m-%d"), name="sales"),
                  pd.DataFrame({"date": days.strftime("%d/%m/%Y"), "sales": values}),
                  pd.DataFrame({"date": days, "sales": values})):
        table = as_table(given)
        assert table.freq == "D" and table.target_names == ["sales"]
        (key,) = table.targets
        np.testing.assert_allclose(table.targets[key][:, 0], expected.targets["series"][:, 0])
        assert (table.index[key] == days).all()
    assert as_table(pd.Series(values, index=days)).target_names == ["y"]  # an unnamed series is 'y', not '0'
    with pytest.raises(DataError, match=r"columns \['date', 'weather'\] are not numeric"):
        as_table(pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "weather": ["sun"] * 60, "sales": values}))


def test_no_more_networks_once_one_is_kept_at_its_start(monkeypatch):
    """Where a trained network does not beat its ridge start, the automatic ensemble stops there (other seeds fared
    no better on the development series); an ensemble size the user asked for is trained in full."""
    import cnn1d.estimators.forecaster as forecaster

    monkeypatch.setattr(forecaster, "validation_error", lambda network, X, y: float("inf"))
    y = load_demo("co2").targets["series"][:400, 0]
    automatic = CNNForecaster(horizon=4, season=52, lookback=60, max_time=600, **FAST).fit(y)
    assert automatic.linear_start_ == "ridge" and automatic.n_members_ == automatic.members_at_start_ == 1
    asked = CNNForecaster(horizon=4, season=52, lookback=60, max_time=600, ensemble=2, **FAST).fit(y)
    assert asked.n_members_ == asked.members_at_start_ == 2
    np.testing.assert_allclose(asked.predict()["forecast"], automatic.predict()["forecast"], rtol=1e-5)  # the ridge
