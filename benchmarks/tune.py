"""Default against tuned under the same total budget: `cnn1d tune --max-time S` (search, then the best
configuration and the default model retrained) beside `cnn1d train --max-time S` (the default model with the
whole budget), on each dataset's own train/test split.

    python benchmarks/tune.py --data-dir ../shared/data/ucr --datasets ArrowHead,ECG200,Ham --max-time 180 \
        --trials 20 --seed 0 --out OUT [--summarise]

Writes OUT/DATASET-tune.json and OUT/DATASET-default.json (the commands' --json output),
OUT/DATASET-trials.csv, and OUT/tune.csv + OUT/tune.md. ``--summarise`` only rebuilds the tables from the
JSON files already in OUT.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def run(args, name: str, train: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"tune-{name}-"))
    common = ["--data", str(train), "--max-time", str(args.max_time), "--seed", str(args.seed), "--json"]
    for what, command in (("tune", ["tune", "--trials", str(args.trials), "--out", str(work / "tune")]),
                          ("default", ["train", "--quiet", "--out", str(work / "default")])):
        done = subprocess.run([sys.executable, "-m", "cnn1d", *command, *common], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{name} {what} failed: {done.stderr[-2000:]}")
        (args.out / f"{name}-{what}.json").write_text(done.stdout)
    trials = work / "tune" / "trials.csv"
    if trials.exists():
        (args.out / f"{name}-trials.csv").write_text(trials.read_text())


def summarise(out: Path) -> str:
    rows = []
    for tuned_path in sorted(out.glob("*-tune.json")):
        name = tuned_path.name[: -len("-tune.json")]
        tuned = json.loads(tuned_path.read_text())
        default = json.loads((out / f"{name}-default.json").read_text())
        rows.append({"dataset": name, "default_full_budget": default["test_metrics"]["accuracy"],
                     "tuned": tuned["test_metrics"]["accuracy"],
                     "default_in_tune": tuned["default_test_metrics"]["accuracy"],
                     "best_value": tuned["best_value"], "n_trials": tuned["n_trials"], "n_pruned": tuned["n_pruned"],
                     "best": ", ".join(f"{k}={v}" for k, v in tuned["best_params"].items()),
                     "tune_seconds": tuned["seconds"]["total"], "default_seconds": default["total_seconds"]})
    with open(out / "tune.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["dataset"])
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| dataset | default, whole budget | tuned (same budget) | default inside tune | best validation | "
             "trials (pruned) | tune s | default s |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['dataset']} | {r['default_full_budget']:.4f} | {r['tuned']:.4f} | {r['default_in_tune']:.4f} | "
                     f"{r['best_value']:.4f} | {r['n_trials']} ({r['n_pruned']}) | {r['tune_seconds']:.0f} | "
                     f"{r['default_seconds']:.0f} |")
    if rows:
        mean = lambda key: sum(r[key] for r in rows) / len(rows)  # noqa: E731
        lines.append(f"| mean | {mean('default_full_budget'):.4f} | {mean('tuned'):.4f} | {mean('default_in_tune'):.4f} "
                     "| | | | |")
    lines += ["", "Best configurations:", ""] + [f"- {r['dataset']}: {r['best']}" for r in rows]
    text = "\n".join(lines) + "\n"
    (out / "tune.md").write_text(text)
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "ucr")
    parser.add_argument("--datasets", default="ArrowHead,ECG200,Ham")
    parser.add_argument("--max-time", type=float, default=180.0)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--summarise", action="store_true", help="only rebuild the tables from OUT")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.summarise:
        for name in args.datasets.split(","):
            run(args, name, args.data_dir / name / f"{name}_TRAIN.tsv")
    print(summarise(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
