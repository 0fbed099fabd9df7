"""How long a backtest must be to rank forecasters: the same methods scored on the last few folds and on many.

    python benchmarks/backtest_length.py --out OUTDIR [--datasets NAME,...]

For each series, ARIMA, Theta (statsforecast, refit at every origin), seasonal naive and a ridge regression
over the raw window (differenced from its last value, fitted once on the data before the first origin) forecast
from ``long`` rolling origins one horizon apart; the table gives each method's MASE over the last ``short``
folds and over all ``long`` (one MASE scale per series: the seasonal-naive error before the first origin).
Missing values are filled linearly first. Writes OUTDIR/backtest_length.json and backtest_length.md; this is
the evidence for the fold counts of benchmarks/forecast.py (docs/forecasting.md, "How long a backtest").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

# dataset: (horizon, season, short folds, long folds, ridge lookback)
SERIES = {
    "seattle-temps": (24, 24, 5, 40, 96),
    "sf-temps-local": (24, 24, 5, 40, 96),
    "seattle-weather": (7, 7, 12, 52, 16),
    "weather-gaps": (7, 7, 12, 52, 16),
}


def load(name: str, data_dir: Path) -> np.ndarray:
    from cnn1d.data.calendar_series import CALENDAR_SERIES, write_calendar_series
    from cnn1d.data.timeseries import read_series_csv
    from cnn1d.forecasting import load_demo
    from cnn1d.preprocess.windowing import impute_linear

    if name in CALENDAR_SERIES:
        table = read_series_csv(write_calendar_series(name, data_dir), CALENDAR_SERIES[name][0], time_column="time")
    else:
        table = load_demo(name)
    return impute_linear(table.targets[table.ids[0]][:, :1])[:, 0].astype(np.float64)


def ridge_forecaster(y: np.ndarray, end: int, lookback: int, horizon: int, penalty: float = 1e-3):
    """A direct multi-step ridge over the last ``lookback`` values minus the last one, fitted on ``y[:end]``."""
    origins = np.arange(lookback, end - horizon + 1)
    X = np.stack([y[o - lookback: o] for o in origins])
    Y = np.stack([y[o: o + horizon] for o in origins])
    X, Y = X - X[:, -1:], Y - X[:, -1:]
    mx, my = X.mean(0), Y.mean(0)
    gram = (X - mx).T @ (X - mx)
    unit = np.trace(gram) / len(gram) / len(X)
    B = np.linalg.solve(gram + penalty * unit * np.eye(len(gram)), (X - mx).T @ (Y - my))
    return lambda past: (past - past[-1] - mx) @ B + my + past[-1]


def run(name: str, data_dir: Path) -> dict:
    from cnn1d.tasks.forecast import mase_scale, statistical

    horizon, season, short, long, lookback = SERIES[name]
    y = load(name, data_dir)
    first = len(y) - long * horizon
    scale = mase_scale(y[:first], season)
    ridge = ridge_forecaster(y, first, lookback, horizon)
    methods = {
        "arima": lambda o: statistical("arima", y[:o], horizon, season, 0.9)[0],
        "seasonal_naive": lambda o: y[o - season:][np.arange(horizon) % season],
        "ridge": lambda o: ridge(y[o - lookback: o]),
    }
    if season < 24:  # AutoTheta on the hourly series scored 0.73 / 2.96 in benchmarks/forecast.py: left out for time
        methods["theta"] = lambda o: statistical("theta", y[:o], horizon, season, 0.9)[0]
    out = {}
    for method, forecast in methods.items():
        errors = np.array([np.abs(forecast(first + f * horizon) - y[first + f * horizon: first + (f + 1) * horizon]).mean()
                           / scale for f in range(long)])
        out[method] = {"last_short": float(errors[-short:].mean()), "all": float(errors.mean()),
                       "per_fold": errors.round(4).tolist()}
        print(f"[{name}] {method}: last {short} folds {errors[-short:].mean():.3f}, all {long} {errors.mean():.3f}", flush=True)
    return {"horizon": horizon, "season": season, "short": short, "long": long, "lookback": lookback, "methods": out}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--datasets", default=",".join(SERIES))
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = [n for n in names if n not in SERIES]
    if unknown:
        sys.exit(f"error: unknown dataset(s) {', '.join(unknown)}; choose from {', '.join(SERIES)}")
    args.out.mkdir(parents=True, exist_ok=True)
    from cnn1d.io_utils import atomic_write_text

    results = {name: run(name, args.out / "data") for name in names}
    atomic_write_text(args.out / "backtest_length.json", json.dumps(results, indent=2))
    lines = ["| series | folds: last / all | arima | theta | seasonal naive | ridge |", "|---|---|---|---|---|---|"]
    for name, r in results.items():
        cells = [f"{r['methods'][m]['last_short']:.3f} / {r['methods'][m]['all']:.3f}" if m in r["methods"] else ""
                 for m in ("arima", "theta", "seasonal_naive", "ridge")]
        lines.append(f"| {name} | {r['short']} / {r['long']} | " + " | ".join(cells) + " |")
    atomic_write_text(args.out / "backtest_length.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
