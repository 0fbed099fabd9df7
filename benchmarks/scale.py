"""Scale on one machine: ensembles and tune trials with 1 and 2 workers, locally and on a local Dask cluster,
the executor's overhead per task, and multi-process training step time.

    python benchmarks/scale.py --out OUT [--members 4] [--trials 8] [--epochs 30] [--dataset gunpoint]

Every figure is a ratio or a wall time measured in this run (machines here are noisy): speed-ups compare
runs of the same work in the same process, one after the other. Writes OUT/scale.json, OUT/scale.csv and
OUT/scale.md. The local cluster is a Dask scheduler and N workers (one thread each), each its own process,
on 127.0.0.1; it is stopped at the end.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cnn1d.training.executor import free_port, local_cluster


def ensemble_seconds(train, members: int, epochs: int, workers: int, executor: str | None) -> float:
    import cnn1d

    started = time.perf_counter()
    cnn1d.CNNClassifier(model="lite", epochs=epochs, seed=0, ensemble=members, n_jobs=workers if executor is None else None,
                        executor=executor, validation_fraction=0.0).fit(train)
    return time.perf_counter() - started


def tune_seconds(data: str, trials: int, epochs: int, jobs: int, executor: str | None, out: Path) -> float:
    """Wall time of the study (the trials), not of the best and default models trained after it."""
    from cnn1d import tuning
    from cnn1d.config import RunConfig

    result = tuning.tune(data, trials=trials, jobs=jobs, seed=0, out=out, executor=executor, log=lambda msg: None,
                config=RunConfig(model="lite", epochs=epochs),
                space={"learning_rate": {"low": 1e-3, "high": 1e-2, "log": True}, "batch_size": [16, 32],
                       "augment": [0]})
    return result.summary["seconds"]["study"]  # the trials: what the workers share


def _noop(x: int) -> int:
    return x


def overhead_ms(executor: str | None, tasks: int = 50) -> float:
    from cnn1d.training.executor import open_executor

    with open_executor(executor, 2, 1) as pool:
        list(pool.map(_noop, range(4)))  # workers started and warm
        started = time.perf_counter()
        list(pool.map(_noop, range(tasks)))
        return (time.perf_counter() - started) / tasks * 1000


def step_seconds(data: str, epochs: int, out: Path) -> dict[str, float]:
    """Median epoch time of one network: 1 process with 1 device, 1 process with 2 virtual devices, and
    2 processes with 1 device each (jax.distributed over 127.0.0.1)."""
    common = [sys.executable, "-m", "cnn1d", "train", "--data", data, "--model", "lite", "--epochs", str(epochs),
              "--seed", "0", "--batch-size", "16", "--json", "--quiet"]
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}

    def median_epoch(result: dict) -> float:
        return statistics.median(result["history"]["epoch_seconds"][1:])  # the first epoch compiles

    results = {}
    one = subprocess.run(common + ["--devices", "1", "--out", str(out / "one")], capture_output=True, text=True, env=env)
    # history is in the --json result of multi-device runs only: read it from the bundle here
    import cnn1d

    if one.returncode == 0:
        results["1 process, 1 device"] = statistics.median(
            cnn1d.load(out / "one" / "model.cnn1d").history_["epoch_seconds"][1:])
    two = subprocess.run(common + ["--devices", "2", "--out", str(out / "two")], capture_output=True, text=True,
                         env={**env, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    if two.returncode == 0:
        results["1 process, 2 devices"] = median_epoch(json.loads(two.stdout))
    port = free_port()
    procs = [subprocess.Popen(common + ["--devices", "0", "--coordinator", f"127.0.0.1:{port}", "--num-processes", "2",
                                        "--process-id", str(i)] + (["--out", str(out / "multi")] if i == 0 else []),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for i in range(2)]
    outputs = [p.communicate(timeout=900) for p in procs]
    if all(p.returncode == 0 for p in procs):
        results["2 processes, 1 device each"] = median_epoch(json.loads(outputs[0][0]))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--members", type=int, default=4, help="ensemble members (default 4)")
    parser.add_argument("--trials", type=int, default=8, help="tune trials (default 8)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs per network (fixed: no early stopping)")
    parser.add_argument("--dataset", default="gunpoint", help="embedded dataset or data file")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    import cnn1d

    train, _ = cnn1d.datasets.load(args.dataset) if "/" not in args.dataset else (cnn1d.read(args.dataset), None)
    rows = []

    def record(what: str, where: str, workers: int, seconds: float) -> None:
        rows.append({"what": what, "executor": where, "workers": workers, "seconds": round(seconds, 3)})
        print(f"{what:28s} {where:8s} workers={workers}: {seconds:8.2f}", file=sys.stderr, flush=True)

    scratch = Path(tempfile.mkdtemp(prefix="scale-", dir=args.out))
    ensemble_seconds(train, 2, 2, 1, None)  # compile caches and imports warm before the first timed run
    for workers in (1, 2):
        record(f"ensemble of {args.members}", "local", workers, ensemble_seconds(train, args.members, args.epochs, workers, None))
        record(f"tune, {args.trials} trials", "local", workers,
               tune_seconds(args.dataset, args.trials, args.epochs, workers, None, scratch / f"tune-local-{workers}"))
    overheads = {"local": overhead_ms(None)}
    for workers in (1, 2):
        logs = scratch / f"dask-{workers}"
        logs.mkdir()
        with local_cluster(workers, logs) as address:
            ensemble_seconds(train, workers, 2, workers, address)  # each worker imports JAX once
            record(f"ensemble of {args.members}", "dask", workers,
                   ensemble_seconds(train, args.members, args.epochs, workers, address))
            record(f"tune, {args.trials} trials", "dask", workers,
                   tune_seconds(args.dataset, args.trials, args.epochs, workers, address, scratch / f"tune-dask-{workers}"))
            if workers == 2:
                overheads["dask"] = overhead_ms(address)
    steps = step_seconds(args.dataset, max(6, args.epochs // 3), scratch)
    speedups = {}
    for what in {r["what"] for r in rows}:
        for where in ("local", "dask"):
            one = next(r["seconds"] for r in rows if r["what"] == what and r["executor"] == where and r["workers"] == 1)
            two = next(r["seconds"] for r in rows if r["what"] == what and r["executor"] == where and r["workers"] == 2)
            speedups[f"{what}, {where}"] = round(one / two, 3)
    summary = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "args": {k: str(v) for k, v in vars(args).items()},
               "runs": rows, "speedup_2_workers": speedups,
               "overhead_ms_per_task": {k: round(v, 2) for k, v in overheads.items()},
               "epoch_seconds": {k: round(v, 4) for k, v in steps.items()}}
    (args.out / "scale.json").write_text(json.dumps(summary, indent=2))
    with open(args.out / "scale.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["what", "executor", "workers", "seconds"])
        writer.writeheader()
        writer.writerows(rows)
    lines = [f"# Scale on {os.cpu_count()} CPU cores ({args.dataset}, LITE, {args.epochs} epochs per network)", "",
             "| work | executor | 1 worker (s) | 2 workers (s) | speed-up |", "|---|---|---|---|---|"]
    for key, ratio in sorted(speedups.items()):
        what, where = key.rsplit(", ", 1)
        secs = {r["workers"]: r["seconds"] for r in rows if r["what"] == what and r["executor"] == where}
        lines.append(f"| {what} | {where} | {secs[1]:.1f} | {secs[2]:.1f} | {ratio:.2f}x |")
    lines += ["", "| executor | overhead per task (ms) |", "|---|---|"]
    lines += [f"| {k} | {v:.2f} |" for k, v in overheads.items()]
    lines += ["", "| training | median epoch (s) | vs 1 process, 1 device |", "|---|---|---|"]
    base = steps.get("1 process, 1 device")
    lines += [f"| {k} | {v:.3f} | {(v / base if base else float('nan')):.2f}x |" for k, v in steps.items()]
    (args.out / "scale.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    import shutil

    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
