"""aeon's MiniRocketClassifier on every UCR/UEA dataset under a folder, several seeds: the yardstick for the
default classifier (docs/benchmarks.md), in an environment of its own.

    python -m venv /tmp/aeon && /tmp/aeon/bin/pip install "aeon>=1.0"
    /tmp/aeon/bin/python benchmarks/aeon_reference.py --data-dir ../shared/data --seeds 0,1,2 --out OUT.csv

It imports neither cnn1d nor Keras (aeon pins NumPy, so it gets a virtual environment of its own). Series are
zero-padded to the longest length (at least 9), as ``cnn1d.evaluation.baselines.minirocket`` does. Writes
OUT.csv: dataset, seed, accuracy, train_seconds.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np


def load(folder: Path):
    from aeon.datasets import load_from_ts_file

    name = folder.name
    tsv = folder / f"{name}_TRAIN.tsv"
    if tsv.exists():
        train, test = (np.loadtxt(folder / f"{name}_{part}.tsv", delimiter="\t") for part in ("TRAIN", "TEST"))
        return train[:, None, 1:], train[:, 0], test[:, None, 1:], test[:, 0]
    X_train, y_train = load_from_ts_file(str(folder / f"{name}_TRAIN.ts"))
    X_test, y_test = load_from_ts_file(str(folder / f"{name}_TEST.ts"))
    length = max(9, *(x.shape[-1] for x in list(X_train) + list(X_test)))

    def pad(X):
        out = np.zeros((len(X), X[0].shape[0], length))
        for i, x in enumerate(X):
            out[i, :, : x.shape[-1]] = x
        return out

    return pad(X_train), y_train, pad(X_test), y_test


def main() -> None:
    from aeon.classification.convolution_based import MiniRocketClassifier

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a folder of NAME/ folders, or of ucr/ and uea/")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    folders = sorted(p for p in args.data_dir.rglob("*") if p.is_dir() and any(p.glob(f"{p.name}_TRAIN.*")))
    rows = []
    for folder in folders:
        X_train, y_train, X_test, y_test = load(folder)
        for seed in (int(s) for s in args.seeds.split(",")):
            started = time.perf_counter()
            clf = MiniRocketClassifier(random_state=seed, n_jobs=1).fit(X_train, y_train)
            seconds = time.perf_counter() - started
            rows.append({"dataset": folder.name, "seed": seed, "accuracy": float(np.mean(clf.predict(X_test) == y_test)),
                         "train_seconds": round(seconds, 2)})
            print(rows[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["dataset", "seed", "accuracy", "train_seconds"])
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
