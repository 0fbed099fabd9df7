"""Accuracy harness: each model on each UCR/UEA dataset's own train/test split.

    python benchmarks/ucr.py --data-dir ../shared/data/ucr [--datasets A,B] [--models fcn,resnet]
        [--max-time-per-dataset S] [--seed N] [--reference CSV] --out OUTDIR [--resume] [--epochs N]
        [--executor local|tcp://HOST:PORT]

``--models`` takes registered networks and named ensembles (``fcn``, ``default``, ``lite*3`` for 3 members), and
the baselines ``dummy`` and ``minirocket`` (aeon's MiniRocket, the yardstick); ``zoo:NAME`` names cnn1d's own
network where a baseline has the same name (``zoo:minirocket``).

Writes OUTDIR/results.csv (dataset, model, accuracy, train_seconds, epochs, n_params, ...), appended one
row at a time so an interrupted run keeps what it finished (``--resume`` skips the pairs finished with the same
``--seed``, so another seed's rows can join the same file), and
OUTDIR/summary.md: per-dataset table, mean accuracy, mean rank, and wins/ties/losses against each
reference method in the reference CSV (columns dataset, method, accuracy, source).

``--executor local`` (default) runs the pairs one after another in this process; a Dask scheduler address
runs each pair as a task on the cluster's workers (which must see --data-dir at the same path), and rows are
appended as they finish.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import sys
import time
from pathlib import Path

FIELDS = ["dataset", "model", "accuracy", "balanced_accuracy", "train_seconds", "cpu_seconds", "epochs", "n_params",
          "n_train", "n_test", "seed", "backend", "stopped_because"]


def find_datasets(data_dir: Path, names: list[str] | None) -> list[tuple[str, Path, Path]]:
    found = []
    for folder in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        name = folder.name
        if names and name not in names:
            continue
        for ext in (".ts", ".tsv", ".arff", ".ts.gz", ".tsv.gz", ".arff.gz"):
            train, test = folder / f"{name}_TRAIN{ext}", folder / f"{name}_TEST{ext}"
            if train.exists() and test.exists():
                found.append((name, train, test))
                break
    missing = sorted(set(names or []) - {n for n, _, _ in found})
    if missing:
        sys.exit(f"error: no NAME/NAME_TRAIN|TEST files for {', '.join(missing)} under {data_dir}")
    return found


def _baselines():
    from cnn1d.evaluation import baselines

    return {"dummy": lambda tr, te, seed: baselines.majority_class(tr, te),
            "minirocket": baselines.minirocket}


BASELINE_NAMES = ("dummy", "minirocket")
# `minirocket` here is aeon's (the yardstick); `zoo:minirocket` is cnn1d's own Keras network of the same name.
ZOO_PREFIX = "zoo:"


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (ensemble workers)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_one(name: str, train_path: Path, test_path: Path, model: str, args) -> dict:
    from cnn1d import CNNClassifier
    from cnn1d.data.readers import read

    train = read(train_path, labels="required")
    test = read(test_path, labels="required")
    cpu_before = cpu_seconds()
    if model in BASELINE_NAMES:
        metrics = _baselines()[model](train, test, args.seed)
        return {"dataset": name, "model": model, "accuracy": round(metrics["accuracy"], 6),
                "balanced_accuracy": round(metrics["balanced_accuracy"], 6),
                "train_seconds": round(metrics["train_seconds"], 2),
                "cpu_seconds": round(cpu_seconds() - cpu_before, 2), "epochs": 0, "n_params": 0,
                "n_train": len(train), "n_test": len(test), "seed": args.seed, "backend": "", "stopped_because": ""}
    base, _, members = model.removeprefix(ZOO_PREFIX).partition("*")
    clf = CNNClassifier(model=base, ensemble=int(members or 1), seed=args.seed, max_time=args.max_time_per_dataset,
                        **({"epochs": args.epochs} if args.epochs else {}))
    clf.fit(train)
    cpu = cpu_seconds() - cpu_before
    metrics = clf.evaluate(test)
    return {"dataset": name, "model": model, "accuracy": round(metrics["accuracy"], 6),
            "balanced_accuracy": round(metrics["balanced_accuracy"], 6),
            "train_seconds": round(clf.train_seconds_, 2), "cpu_seconds": round(cpu, 2), "epochs": clf.epochs_,
            "n_params": clf.n_params_,
            "n_train": len(train), "n_test": len(test), "seed": args.seed, "backend": clf.backend_,
            "stopped_because": clf.stopped_because_}


def refuse_unrunnable(models: list[str]) -> None:
    """Stop before the first dataset, not after an hour of others, on a model name that does not resolve or a
    baseline whose package is missing."""
    from cnn1d.errors import ConfigError
    from cnn1d.models.registry import resolve

    for model in models:
        if model in BASELINE_NAMES:
            if model == "minirocket" and importlib.util.find_spec("aeon") is None:
                sys.exit("error: --models minirocket is aeon's MiniRocket (the yardstick) and needs aeon: "
                         "pip install -e '.[minirocket]', or leave it out of --models (zoo:minirocket is cnn1d's own)")
            continue
        base, _, members = model.removeprefix(ZOO_PREFIX).partition("*")
        try:
            resolve(base)
        except ConfigError as exc:  # the registry's own message names the closest model
            sys.exit(f"error: --models {model}: {exc}")
        if members and not members.isdigit():
            sys.exit(f"error: --models {model}: the number of members after '*' must be a whole number")


def read_results(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def append_result(path: Path, row: dict) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        writer.writerow(row)
        fh.flush()
        os.fsync(fh.fileno())


def summarise(rows: list[dict], reference_csv: Path | None, datasets: list[str]) -> str:
    import pandas as pd

    frame = pd.DataFrame(rows)
    frame["accuracy"] = frame["accuracy"].astype(float)
    frame["train_seconds"] = frame["train_seconds"].astype(float)
    table = frame.pivot_table(index="dataset", columns="model", values="accuracy", aggfunc="mean")
    table = table.loc[[d for d in datasets if d in table.index]]
    ref = None
    if reference_csv is not None and reference_csv.exists():
        ref = pd.read_csv(reference_csv)
        ref = ref[ref["dataset"].isin(table.index)]
        ref_table = ref.pivot_table(index="dataset", columns="method", values="accuracy", aggfunc="mean")
        ref_table = ref_table.reindex(table.index)
        full = table.join(ref_table, how="left")
    else:
        full = table
    lines = ["# UCR/UEA accuracy benchmark", ""]
    lines.append("| dataset | " + " | ".join(full.columns) + " |")
    lines.append("|---|" + "---|" * len(full.columns))
    for dataset, row in full.iterrows():
        cells = ["" if pd.isna(v) else f"{v:.4f}" for v in row]
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    complete = full.dropna(axis=1, how="any")
    lines.append("| **mean** | " + " | ".join(f"{full[c].mean():.4f}" for c in full.columns) + " |")
    if not complete.empty:
        ranks = complete.rank(axis=1, ascending=False, method="average").mean()
        lines.append("| **mean rank** | " + " | ".join(f"{ranks[c]:.2f}" if c in ranks else "" for c in full.columns) + " |")
    seconds = frame.groupby("model")["train_seconds"].sum()
    lines += ["", "Total training wall seconds per model: " + ", ".join(f"{m}: {s:.0f}" for m, s in seconds.items())]
    if "cpu_seconds" in frame:
        cpu = pd.to_numeric(frame["cpu_seconds"], errors="coerce").groupby(frame["model"]).sum()
        lines += ["", "Total CPU seconds per model (fit, all processes): " + ", ".join(f"{m}: {s:.0f}" for m, s in cpu.items())]
    if ref is not None and not ref.empty:
        lines += ["", "## Wins / ties / losses against each reference method", "",
                  "| model | reference | wins | ties | losses | datasets |", "|---|---|---|---|---|---|"]
        for model in table.columns:
            for method in ref_table.columns:
                both = pd.concat([table[model], ref_table[method]], axis=1).dropna()
                if both.empty:
                    continue
                diff = both.iloc[:, 0] - both.iloc[:, 1]
                wins, ties = int((diff > 1e-9).sum()), int((diff.abs() <= 1e-9).sum())
                lines.append(f"| {model} | {method} | {wins} | {ties} | {len(diff) - wins - ties} | {len(diff)} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--datasets", default=None, help="comma-separated dataset names (default: all in DIR)")
    parser.add_argument("--models", default="default,dummy,minirocket",
                        help="comma-separated model names (any registered model or named ensemble, 'name*K' for an "
                             "ensemble of K); baselines: 'dummy' (majority class), 'minirocket' (needs aeon)")
    parser.add_argument("--max-time-per-dataset", type=float, default=None, help="training budget per model and dataset, seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None, help="override the default maximum epochs")
    parser.add_argument("--reference", type=Path, default=None, help="CSV with dataset,method,accuracy,source")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--resume", action="store_true", help="skip dataset/model pairs already in results.csv for this --seed")
    parser.add_argument("--executor", default="local",
                        help="local (this process, one pair at a time) or a Dask scheduler address (tcp://HOST:PORT)")
    args = parser.parse_args(argv)

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    names = args.datasets.split(",") if args.datasets else None
    found = find_datasets(args.data_dir, names)
    models = args.models.split(",")
    refuse_unrunnable(models)
    args.out.mkdir(parents=True, exist_ok=True)
    results_path = args.out / "results.csv"
    if results_path.exists() and not args.resume:
        sys.exit(f"error: {results_path} exists; pass --resume to continue it or choose another --out")
    # Rows of another seed are other runs: --resume with a new --seed adds that seed's rows beside them.
    done = {(r["dataset"], r["model"]) for r in read_results(results_path) if str(r.get("seed")) == str(args.seed)}
    jobs = [(n, tr, te, m) for n, tr, te in found for m in models if (n, m) not in done]
    from cnn1d.training.executor import is_cluster, open_executor, result

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        task = bar.add_task("benchmark", total=len(jobs))

        def finished(row: dict, seconds: float) -> None:
            append_result(results_path, row)
            bar.console.print(f"{row['dataset']:20s} {row['model']:10s} accuracy={row['accuracy']:.4f} "
                              f"train={row['train_seconds']}s wall={seconds:.0f}s")
            bar.advance(task)

        if is_cluster(args.executor):
            with open_executor(args.executor, len(jobs), 1) as pool:
                started = time.perf_counter()
                pending = [pool.submit(run_one, name, train, test, model, args) for name, train, test, model in jobs]
                bar.update(task, description=f"{len(pending)} pairs on {args.executor}")
                for future in pool.as_completed(pending):
                    finished(result(future), time.perf_counter() - started)
        else:
            for name, train, test, model in jobs:
                bar.update(task, description=f"{name} / {model}")
                started = time.perf_counter()
                finished(run_one(name, train, test, model, args), time.perf_counter() - started)
    rows = read_results(results_path)
    summary = summarise(rows, args.reference, [n for n, _, _ in found])
    (args.out / "summary.md").write_text(summary)
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
