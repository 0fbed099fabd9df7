"""Forecasting benchmark on the embedded real series: the default forecaster beside the baselines.

    python benchmarks/forecast.py --out OUTDIR [--datasets seattle-temps,co2,stocks,seattle-weather]
        [--seed N] [--folds K] [--max-time S]

Runs ``cnn1d train --task forecast`` (the library call behind it) per dataset with its natural horizon
and season, and writes OUTDIR/forecast.json and OUTDIR/forecast.md (MASE, sMAPE, 90% interval coverage
and width of the CNN, seasonal naive and ETS, plus training time).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SETTINGS = {
    # dataset: (horizon, season)
    "seattle-temps": (24, 24),
    "co2": (26, 52),
    "stocks": (6, 12),
    "seattle-weather": (7, 7),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--datasets", default=",".join(SETTINGS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--max-time", type=float, default=None)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args(argv)

    from cnn1d.config import RunConfig
    from cnn1d.forecasting import forecast_run

    results = {}
    for name in args.datasets.split(","):
        if name not in SETTINGS:
            sys.exit(f"error: unknown dataset {name!r}; choose from {', '.join(SETTINGS)}")
        horizon, season = SETTINGS[name]
        config = RunConfig(task="forecast", data=name, model="tcn", horizon=horizon, season=season, epochs=args.epochs,
                           patience=15, seed=args.seed, max_time=args.max_time, folds=args.folds,
                           out=str(args.out / "runs" / name))
        results[name] = forecast_run(config, log=lambda m: print(f"[{name}] {m}", flush=True))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "forecast.json").write_text(json.dumps(results, indent=2, default=str))
    lines = ["# Forecasting benchmark (rolling-origin backtest, 90% intervals)", "",
             "| dataset | horizon / season / folds | method | MASE | sMAPE % | coverage | width | train s |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        rows = {"cnn (tcn)": r["test_metrics"], **{k: r["baselines"][k] for k in ("seasonal_naive", "ets", "naive") if k in r["baselines"]}}
        for method, m in rows.items():
            lines.append(f"| {name} | {r['horizon']} / {r['season']} / {r['folds']} | {method} | {m['mase']:.3f} | {m['smape']:.2f} | "
                         f"{m.get('coverage', float('nan')):.3f} | {m.get('width', float('nan')):.3f} | "
                         f"{r['train_seconds'] if method.startswith('cnn') else ''} |")
    (args.out / "forecast.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
