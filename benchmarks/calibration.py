"""Calibration harness: expected calibration error before and after temperature scaling, per dataset.

    python benchmarks/calibration.py --data-dir ../shared/data/ucr [--datasets A,B] [--model fcn]
        [--epochs N] [--seed N] --out OUTDIR

Each dataset: the model trains with ``calibrate=True`` (20% of the training set held out as the validation
split the temperature is fitted on); test ECE, Brier score and log-loss are measured before and after the
temperature. Writes OUTDIR/calibration.json, OUTDIR/calibration.csv and OUTDIR/calibration.md with the two
groups of shared/data/README.md (tuned on before / confirmation) reported apart.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

TUNING = ("ArrowHead", "CBF", "Coffee", "ECG200", "GunPoint", "ItalyPowerDemand", "SyntheticControl", "Trace")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--datasets", default=None, help="comma-separated names (default: every folder)")
    parser.add_argument("--model", default="fcn")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).parent))
    from ucr import find_datasets

    import cnn1d
    from cnn1d.data.readers import read

    names = args.datasets.split(",") if args.datasets else None
    rows = []
    for name, train_path, test_path in find_datasets(args.data_dir, names):
        train, test = read(train_path, labels="required"), read(test_path, labels="required")
        clf = cnn1d.CNNClassifier(model=args.model, epochs=args.epochs, seed=args.seed, calibrate=True).fit(train)
        before, after = clf.evaluate(test, calibrated=False), clf.evaluate(test)
        row = {"dataset": name, "group": "tuning" if name in TUNING else "confirmation", "model": args.model,
               "temperature": round(clf.temperature_, 4), "accuracy": round(after["accuracy"], 4),
               "ece_before": round(before["ece"], 4), "ece_after": round(after["ece"], 4),
               "brier_before": round(before["brier"], 4), "brier_after": round(after["brier"], 4),
               "log_loss_before": round(before["log_loss"], 4), "log_loss_after": round(after["log_loss"], 4),
               "n_train": len(train), "n_test": len(test)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "calibration.json").write_text(json.dumps(rows, indent=2))
    with open(args.out / "calibration.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [f"# Temperature scaling ({args.model}, {args.epochs} epochs max, seed {args.seed})", "",
             "| dataset | group | T | accuracy | ECE before | ECE after | Brier before | Brier after |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['dataset']} | {r['group']} | {r['temperature']} | {r['accuracy']} | {r['ece_before']} | "
              f"{r['ece_after']} | {r['brier_before']} | {r['brier_after']} |" for r in rows]
    for group in ("tuning", "confirmation"):
        part = [r for r in rows if r["group"] == group]
        if part:
            mean = lambda k: sum(r[k] for r in part) / len(part)  # noqa: E731
            lines.append(f"| **mean, {group} ({len(part)})** | | | {mean('accuracy'):.4f} | {mean('ece_before'):.4f} | "
                         f"{mean('ece_after'):.4f} | {mean('brier_before'):.4f} | {mean('brier_after'):.4f} |")
    (args.out / "calibration.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
