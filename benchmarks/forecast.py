"""Forecasting benchmark: the default CNN forecaster beside seasonal naive and automatic ETS, ARIMA and Theta.

    python benchmarks/forecast.py --out OUTDIR [--datasets NAME,...] [--seeds 0,1,2] [--folds K]
        [--max-time S] [--epochs N] [--resume]

Series: the four embedded demos (hourly, weekly with missing weeks, five monthly stocks, daily) and three on
real calendars (cnn1d.data.calendar_series: business days with holidays, local time with UTC offsets across
daylight-saving changes, a daily series with gaps and a 21-day outage). Each runs ``cnn1d train --task
forecast`` (the library call behind it) with its natural horizon and season: the CNN is trained on the data
before the first backtest origin and every method forecasts from the same rolling origins (the baselines are
refit at each). Writes OUTDIR/forecast.json, forecast.csv (one row per series, seed and method) and
forecast.md (MASE, sMAPE, 90% interval coverage and width, seconds, per series, method and horizon; means
over seeds). ``--resume`` keeps the runs already in OUTDIR/forecast.json that used the same settings (a
stopped benchmark, or more seeds added to one) and runs only the rest.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

SETTINGS = {
    # dataset: (horizon, season, folds). The test stretch is long enough to rank the methods: about a year of
    # daily and business-day origins, 40 days of hourly ones, 5 years of weekly CO2, 2 years of each stock.
    # With 5-12 folds (until 2026-11-28) one quiet week decided: on hourly San Francisco seasonal naive scored
    # 0.505 on the last 5 days and 1.50 over the last 40 (docs/forecasting.md, "How long a backtest").
    "seattle-temps": (24, 24, 40),
    "co2": (26, 52, 10),
    "stocks": (6, 12, 4),
    "seattle-weather": (7, 7, 52),
    "weather-business-days": (10, 5, 25),
    "sf-temps-local": (24, 24, 40),
    "weather-gaps": (7, 7, 52),
}
METHODS = ("cnn", "seasonal_naive", "naive", "ets", "arima", "theta")


def run_one(name: str, seed: int, args, data_dir: Path) -> dict:
    from cnn1d.config import RunConfig
    from cnn1d.data.calendar_series import CALENDAR_SERIES, write_calendar_series
    from cnn1d.forecasting import forecast_run

    horizon, season, folds = SETTINGS[name]
    fields = dict(task="forecast", horizon=horizon, season=season, epochs=args.epochs, seed=seed,
                  max_time=args.max_time, folds=args.folds or folds, out=str(args.out / "runs" / f"{name}-{seed}"))
    if name in CALENDAR_SERIES:
        path = write_calendar_series(name, data_dir)
        config = RunConfig(data=str(path), target=CALENDAR_SERIES[name][0], time_column="time", **fields)
    else:
        config = RunConfig(data=name, **fields)
    return forecast_run(config, log=lambda m: print(f"[{name} seed {seed}] {m}", flush=True))


def rows_of(name: str, seed: int, result: dict) -> list[dict]:
    methods = {"cnn": result["test_metrics"], **result["baselines"]}
    out = []
    for method in METHODS:
        if method not in methods:
            continue
        m = methods[method]
        out.append({"dataset": name, "seed": seed, "method": method, "horizon": result["horizon"],
                    "season": result["season"], "folds": result["folds"], "mase": m["mase"], "smape": m["smape"],
                    "coverage": m.get("coverage"), "width": m.get("width"), "n": m["n"],
                    "seconds": result["train_seconds"] if method == "cnn" else m.get("seconds")})
    return out


def table(rows: list[dict], level: float) -> list[str]:
    import pandas as pd

    frame = pd.DataFrame(rows)
    mean = frame.groupby(["dataset", "method"], sort=False).agg(
        horizon=("horizon", "first"), folds=("folds", "first"), mase=("mase", "mean"), mase_sd=("mase", "std"),
        smape=("smape", "mean"), coverage=("coverage", "mean"), width=("width", "mean"), n=("n", "first"),
        seconds=("seconds", "mean"), seeds=("seed", "nunique")).reset_index()
    lines = [f"| dataset | horizon | folds x points | method | MASE | sMAPE % | coverage ({level:.0%}) | width | seconds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in mean.itertuples():
        sd = f" ± {r.mase_sd:.3f}" if r.seeds > 1 else ""
        lines.append(f"| {r.dataset} | {r.horizon} | {r.folds} x {r.n // r.folds} | {r.method} | {r.mase:.3f}{sd} | "
                     f"{r.smape:.2f} | {r.coverage:.3f} | {r.width:.3f} | {r.seconds:.1f} |")
    lines += ["", "| dataset | CNN MASE | best statistical (MASE) | seasonal naive | CNN better than both | "
              "CNN coverage within 5 pts |", "|---|---|---|---|---|---|"]
    for dataset, group in mean.groupby("dataset", sort=False):
        by = group.set_index("method")
        stats = [m for m in ("ets", "arima", "theta") if m in by.index]
        best = min(stats, key=lambda m: by.loc[m, "mase"]) if stats else None
        cnn = by.loc["cnn", "mase"]
        beats = cnn < by.loc["seasonal_naive", "mase"] and (best is None or cnn < by.loc[best, "mase"])
        covered = abs(by.loc["cnn", "coverage"] - level) <= 0.05
        best_text = f"{best} ({by.loc[best, 'mase']:.3f})" if best else "-"
        lines.append(f"| {dataset} | {cnn:.3f} | {best_text} | {by.loc['seasonal_naive', 'mase']:.3f} | "
                     f"{'yes' if beats else 'no'} | {'yes' if covered else 'no'} ({by.loc['cnn', 'coverage']:.3f}) |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--datasets", default=",".join(SETTINGS))
    parser.add_argument("--seed", type=int, default=0, help="one seed (ignored when --seeds is given)")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds; the table shows means (and MASE sd)")
    parser.add_argument("--folds", type=int, default=None, help="backtest folds for every series (default: per series)")
    parser.add_argument("--max-time", type=float, default=180.0, help="training budget per run in seconds")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs in OUT/forecast.json made with the same settings; run only the others")
    args = parser.parse_args(argv)

    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETTINGS]
    if unknown:
        sys.exit(f"error: unknown dataset(s) {', '.join(unknown)}; choose from {', '.join(SETTINGS)}")
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else [args.seed]
    args.out.mkdir(parents=True, exist_ok=True)
    from cnn1d.io_utils import atomic_write_text

    results, rows, level = {}, [], 0.9
    done = {}
    if args.resume and (args.out / "forecast.json").exists():
        done = json.loads((args.out / "forecast.json").read_text(encoding="utf-8"))
    for name in names:
        for seed in seeds:
            settings = {"max_time": args.max_time, "epochs": args.epochs, "folds": args.folds}
            kept = done.get(f"{name}/{seed}")
            if kept is not None and kept.get("benchmark_settings") == settings:
                print(f"[{name} seed {seed}] kept from {args.out / 'forecast.json'}", flush=True)
                result = kept
            else:
                result = run_one(name, seed, args, args.out / "data")
                result["benchmark_settings"] = settings
            result.pop("data_report", None)
            level = result["level"]
            results[f"{name}/{seed}"] = result
            rows += rows_of(name, seed, result)
            # Written after every run, so a long benchmark that is stopped keeps what it measured.
            atomic_write_text(args.out / "forecast.json", json.dumps(results, indent=2, default=str))
    import pandas as pd

    atomic_write_text(args.out / "forecast.csv", pd.DataFrame(rows).to_csv(index=False))
    lines = [f"# Forecasting benchmark (rolling-origin backtest, {level:.0%} intervals, seeds {seeds}, "
             f"--max-time {args.max_time:g})", ""] + table(rows, level)
    atomic_write_text(args.out / "forecast.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
