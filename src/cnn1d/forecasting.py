"""Forecasting jobs: rolling-origin backtests beside baselines, the train run behind
``cnn1d train --task forecast``, and future forecasts from a bundle (CSV + PNG)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .data.timeseries import SeriesTable, read_series_csv
from .errors import ConfigError, DataError, did_you_mean
from .tasks import forecast as ftask

FORECAST_DEMOS = {
    # name: (embedded file, target, description)
    "seattle-temps": ("seattle-temps.csv.gz", "temp", "hourly Seattle temperatures 2010 (vega_datasets, 8,759 points)"),
    "co2": ("co2-weekly.csv.gz", "co2", "weekly Mauna Loa CO2 1958-2001 with 59 missing weeks (statsmodels)"),
    "stocks": ("stocks.csv.gz", "price", "monthly prices of 5 stocks 2000-2010 (vega_datasets), one global model"),
    "seattle-weather": ("seattle-weather.csv.gz", "temp_max", "daily Seattle maximum temperature 2012-2015 (vega_datasets)"),
}
DEFAULT_FORECAST_DEMO = "seattle-temps"


def load_demo(name: str) -> SeriesTable:
    from importlib import resources

    file, target, _ = FORECAST_DEMOS[name]
    path = Path(str(resources.files("cnn1d.data") / "embedded" / file))
    table = read_series_csv(path, target, id_column="symbol" if name == "stocks" else None)
    table.name = name
    table.source = f"embedded:{name}"
    return table


def truncate(table: SeriesTable, ends: dict) -> SeriesTable:
    return replace(
        table,
        targets={k: v[: ends[k]] for k, v in table.targets.items()},
        index={k: v[: ends[k]] for k, v in table.index.items()},
        covariates={k: v[: ends[k]] for k, v in table.covariates.items()},
    )


def backtest_origins(table: SeriesTable, horizon: int, folds: int) -> dict:
    """Per series, ``folds`` forecast origins spaced ``horizon`` apart, the last one ending at the data's end."""
    from .data.timeseries import trim_future

    ends, _ = trim_future(table)
    origins = {}
    for key, end in ends.items():
        first = end - folds * horizon
        if first < 2 * horizon + 10:
            raise DataError(
                f"{table.source}: series {key!r} has {end} observed steps, too short for {folds} backtest folds of "
                f"horizon {horizon} plus training data; use a shorter --horizon or fewer --folds"
            )
        origins[key] = [first + i * horizon for i in range(folds)]
    return origins


def backtest(forecaster, table: SeriesTable, origins: dict, *, baselines: bool = True,
             log: Callable[[str], None] = lambda m: None) -> dict[str, Any]:
    """Score the fitted forecaster and the baselines at every origin; returns metrics and the forecasts."""
    H, level, season = forecaster.horizon, forecaster.level, forecaster.season_
    actual, scales, model_pred, model_lo, model_hi = [], [], [], [], []
    names = (*ftask.BASELINES, *(ftask.STATISTICAL if ftask.statistical_available() else ())) if baselines else ()
    base_pred: dict[str, list] = {name: [] for name in names}
    base_lo: dict[str, list] = {name: [] for name in names}
    base_hi: dict[str, list] = {name: [] for name in names}
    base_seconds = {name: 0.0 for name in names}
    rows = []
    n_folds = len(next(iter(origins.values())))
    for fold in range(n_folds):
        at = {k: v[fold] for k, v in origins.items()}
        forecasts = forecaster.forecast_at(table, at)
        for key, (point, lower, upper) in forecasts.items():
            o = at[key]
            for j in range(table.n_targets):
                history = table.targets[key][:o, j].astype(np.float64)
                truth = table.targets[key][o: o + H, j].astype(np.float64)
                first_origin = origins[key][0]
                scale = ftask.mase_scale(table.targets[key][:first_origin, j], season)
                actual.append(truth)
                scales.append(scale)
                model_pred.append(point[:, j])
                model_lo.append(lower[:, j])
                model_hi.append(upper[:, j])
                times = table.index[key][o: o + H]
                for name in names:
                    p, lo, hi, seconds = ftask.timed_baseline_forecast(name, history, H, season, level)
                    base_seconds[name] += seconds
                    base_pred[name].append(p)
                    base_lo[name].append(lo)
                    base_hi[name].append(hi)
                for h in range(H):
                    rows.append({"id": key, "fold": fold, "time": str(times[h]), "target": table.target_names[j],
                                 "actual": truth[h], "forecast": point[h, j], "lower": lower[h, j], "upper": upper[h, j]})
        log(f"backtest fold {fold + 1}/{n_folds} done")
    A, S = np.array(actual), np.array(scales)
    result = {"test_metrics": ftask.forecast_metrics(A, np.array(model_pred), S, np.array(model_lo), np.array(model_hi)),
              "baselines": {}, "rows": rows}
    for name in base_pred:
        if base_pred[name]:
            result["baselines"][name] = ftask.forecast_metrics(A, np.array(base_pred[name]), S,
                                                               np.array(base_lo[name]), np.array(base_hi[name]))
            result["baselines"][name]["seconds"] = round(base_seconds[name], 3)
    result["best_statistical"] = ftask.best_statistical(result["baselines"])
    return result


DEFAULT_FOLDS = 3


def forecast_table(config, log: Callable[[str], None] = print) -> tuple[Any, SeriesTable]:
    """(the settings with the demo's target filled in, the series) that ``config`` names, each data decision
    logged in one line."""
    if config.test:
        raise ConfigError("--test does not apply to forecasting: the last --folds x --horizon steps of --data are "
                          "the test (a rolling-origin backtest); put the whole series in --data")
    if config.data in (None, *FORECAST_DEMOS):
        if config.freq or config.aggregate or config.calendar:
            raise ConfigError("--freq, --aggregate and --calendar apply to a CSV you give; the embedded demos are "
                              "regular already")
        name = config.data or DEFAULT_FORECAST_DEMO
        demo_target = FORECAST_DEMOS[name][1]
        demo_id = "symbol" if name == "stocks" else None
        if config.target not in (None, demo_target) and config.target != [demo_target]:
            raise ConfigError(f"--target {config.target}: the embedded demo {name!r} forecasts {demo_target!r}"
                              f"{did_you_mean(config.target, [demo_target])}; drop --target, or give your own CSV "
                              "with --data")
        if config.id_column not in (None, demo_id) or config.time_column or config.covariates:
            raise ConfigError(f"--id-column, --time-column and --covariates apply to a CSV you give; the embedded demo "
                              f"{name!r} has its own columns")
        table = load_demo(name)
        config = config.replace(data=name, target=config.target or demo_target, id_column=config.id_column or demo_id)
    else:
        table = read_series_csv(config.data, config.target, time_column=config.time_column,
                                id_column=config.id_column, covariates=config.covariates, freq=config.freq,
                                aggregate=config.aggregate, calendar=config.calendar)
        if not config.target:  # the one numeric column, recorded so the bundle and config.toml name it
            config = config.replace(target=table.target_names[0])
    log(f"data: {table.name or config.data}: {table.describe()}")
    for decision in table.report.get("decisions", []):
        log(f"data: {decision}")
    return config, table


def training_table(config, log: Callable[[str], None] = print) -> tuple[Any, SeriesTable]:
    """(settings, the series up to the first backtest origin): what ``forecast_run`` trains on, and all that
    ``cnn1d tune`` lets a trial see."""
    from .workflows import build_estimator

    config, table = forecast_table(config, log)
    horizon = build_estimator(config, "forecast").horizon
    return config, backtest_split(table, horizon, config.folds or DEFAULT_FOLDS)[1]


def backtest_split(table: SeriesTable, horizon: int, folds: int) -> tuple[dict, SeriesTable]:
    """(the backtest origins of every series, the series cut at their first origin: the training part)."""
    origins = backtest_origins(table, horizon, folds)
    return origins, truncate(table, {k: v[0] for k, v in origins.items()})


def forecast_run(config, *, resume: bool = False, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train a forecaster on all but the last ``folds * horizon`` steps, backtest it beside the baselines at
    ``folds`` rolling origins, save the bundle, metrics, backtest CSV and a plot into ``config.out``."""
    from .io_utils import atomic_write_text
    from .workflows import RUN_CONFIG, build_estimator, record_config, run_directory

    build_estimator(config, "forecast")  # refuse settings that do not apply before reading any data
    started = time.perf_counter()
    config, table = forecast_table(config, log)
    folds = config.folds or DEFAULT_FOLDS
    out = run_directory(config, f"{(table.name or 'series').lower()}-forecast")
    forecaster = build_estimator(config.replace(out=str(out)), "forecast", resume=resume)
    H = forecaster.horizon
    origins, train_table = backtest_split(table, H, folds)
    run_config = record_config(config.replace(folds=folds), forecaster, "forecast", out)
    forecaster.fit(train_table)
    forecaster.config_ = run_config
    log(f"trained {forecaster.n_members_} x {forecaster.model} from a {forecaster.linear_start_} linear path on "
        f"{forecaster.n_windows_} windows (lookback "
        f"{forecaster.lookback_}, season {forecaster.season_}) in {forecaster.train_seconds_:.1f} s; backtesting {folds} origins")
    if len(forecaster.lookback_scores_ or []) > 1:
        tried = ", ".join(f"{lb}: {'no ridge' if sc is None else f'{sc:.3f}'}" for lb, sc in forecaster.lookback_scores_)
        log(f"lookback {forecaster.lookback_} chosen by the ridge's error on the validation windows relative to the anchor ({tried})")
    if forecaster.members_at_start_:
        log(f"{forecaster.members_at_start_} of {forecaster.n_members_} network(s) forecast the validation windows no better "
            "than the ridge they started from: kept at that start")
    if forecaster.validation_errors_:
        log("validation MAE, ridge start -> trained, per network: " + ", ".join(
            f"{e['ridge_start']:.4f} -> {e['trained']:.4f}" for e in forecaster.validation_errors_))
    bt = backtest(forecaster, table, origins, log=log)
    result = {
        "task": "forecast", "dataset": table.name or config.data, "model": forecaster.model,
        "test_metrics": bt["test_metrics"], "baselines": bt["baselines"], "best_statistical": bt["best_statistical"],
        "level": forecaster.level,
        "horizon": H, "lookback": forecaster.lookback_, "season": forecaster.season_, "folds": folds,
        "train_seconds": round(forecaster.train_seconds_, 3), "total_seconds": round(time.perf_counter() - started, 3),
        "epochs": forecaster.epochs_, "best_epoch": forecaster.best_epoch_, "stopped_because": forecaster.stopped_because_,
        "batch_size": forecaster.batch_size_, "n_params": forecaster.n_params_, "n_members": forecaster.n_members_,
        "linear_start": forecaster.linear_start_, "members_at_start": forecaster.members_at_start_,
        "validation_errors": forecaster.validation_errors_,
        "lookback_scores": forecaster.lookback_scores_,
        "backend": forecaster.backend_,
        "n_series": len(table.ids), "data_report": table.report, "seed": run_config.seed, "out": str(out),
        "config": str(out / RUN_CONFIG),
    }
    bundle_path = forecaster.save(out / "model.cnn1d", metrics={"test": bt["test_metrics"], "baselines": bt["baselines"]})
    result["bundle"] = str(bundle_path)
    import pandas as pd

    atomic_write_text(out / "backtest.csv", pd.DataFrame(bt["rows"]).to_csv(index=False))
    atomic_write_text(out / "metrics.json", json.dumps(result, indent=2, default=str))
    return result


def forecast_bundle(bundle: str | Path, data: str, *, horizon: int | None = None, out: str | Path | None = None):
    """Forecast past the end of each series in ``data`` with a saved forecaster.

    Returns the forecast DataFrame; with ``out`` writes it (CSV, TSV, JSON or JSONL by its suffix) and a PNG
    plot beside it.
    """
    from .estimators.bundled import load

    if out is not None:
        from .io_utils import check_table_path

        check_table_path(out)
    forecaster = load(bundle)
    if getattr(forecaster, "task", None) != "forecast":
        raise DataError(f"{bundle}: is a {forecaster.task} model, not a forecaster")
    config = forecaster.config_
    if data in FORECAST_DEMOS:
        table = load_demo(data)
    else:
        table = read_series_csv(data, forecaster.target_names_, time_column=config.time_column,
                                id_column=config.id_column, covariates=forecaster.covariate_names_ or None,
                                freq=config.freq, aggregate=config.aggregate, calendar=config.calendar)
    frame = forecaster.predict(horizon=horizon, table=table)
    if out is not None:
        from .evaluation.plots import plot_forecast
        from .io_utils import write_table

        out = Path(out)
        write_table(frame, out)
        plot_forecast(table, frame, out.with_suffix(".png"), history=max(4 * forecaster.horizon, forecaster.lookback_))
    return frame


__all__ = ["backtest", "backtest_origins", "forecast_bundle", "forecast_run", "load_demo"]
