"""Speed harness: cnn1d (Keras 3) against the same networks in plain PyTorch, in one process.

    python benchmarks/speed.py --out OUTDIR [--models fcn,resnet,inception,lite,tcn,cnn,mlp,seed] [--epochs 6]
        [--n-series 512] [--batch-size 32] [--data-dir ../shared/data/ucr]

Measures, per network: training throughput (series/second, median epoch after a warm-up epoch) through
cnn1d's real training path (CNNClassifier.fit: callbacks, checkpoint-free), and through a plain PyTorch
loop with the same shapes, batch size, optimizer (Adam 1e-3) and thread count; inference throughput
(predict_proba on all series) and single-series latency (median of 30 calls). Data: the UCR Trace
training series (275 steps), tiled to --n-series. Writes OUTDIR/speed.json and OUTDIR/speed.md; ratios
are cnn1d / PyTorch for throughput (higher is better) and PyTorch / cnn1d for latency.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def load_data(data_dir: Path, n_series: int):
    from cnn1d.data.readers import read

    ds = read(data_dir / "Trace" / "Trace_TRAIN.tsv")
    reps = -(-n_series // len(ds))
    X = np.tile(ds.values, (reps, 1, 1))[:n_series]
    y = np.tile(ds.y, reps)[:n_series]
    return X, y


def time_calls(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def bench_cnn1d(name, X, y, args) -> dict:
    from cnn1d import CNNClassifier

    clf = CNNClassifier(model=name, epochs=args.epochs, batch_size=args.batch_size, validation_fraction=0.0,
                        patience=10_000, lr_patience=10_000, seed=0)
    clf.fit(X, y)
    epoch_seconds = clf.history_["epoch_seconds"][1:]
    clf.predict_proba(X)  # warm-up (compiles the predict function)
    infer = min(time_calls(lambda: clf.predict_proba(X), 3))
    one = X[:1]
    clf.predict_proba(one)
    latency = statistics.median(time_calls(lambda: clf.predict_proba(one), 30))
    return {"train_series_per_s": len(X) / statistics.median(epoch_seconds), "infer_series_per_s": len(X) / infer,
            "latency_ms": latency * 1000, "n_params": clf.n_params_, "epoch_seconds": epoch_seconds}


def bench_torch(name, X, y, args) -> dict:
    import torch

    from torch_reference import build, n_params

    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 1)
    classes, yi = np.unique(y, return_inverse=True)
    # The same per-series z-normalisation cnn1d applies, so both see identical inputs.
    Xn = (X - X.mean(axis=1, keepdims=True)) / (X.std(axis=1, keepdims=True) + 1e-8)
    xt = torch.from_numpy(np.ascontiguousarray(Xn.transpose(0, 2, 1))).float()
    yt = torch.from_numpy(yi.astype(np.int64))
    model = build(name, X.shape[2], len(classes), X.shape[1])
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    epoch_seconds = []
    for _ in range(args.epochs):
        t = time.perf_counter()
        model.train()
        order = torch.randperm(len(xt))
        for i in range(0, len(xt), args.batch_size):
            idx = order[i: i + args.batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        epoch_seconds.append(time.perf_counter() - t)
    model.eval()

    def predict(x):
        with torch.no_grad():
            return torch.softmax(torch.cat([model(x[i: i + 256]) for i in range(0, len(x), 256)]), 1).numpy()

    predict(xt)
    infer = min(time_calls(lambda: predict(xt), 3))
    one = xt[:1]
    latency = statistics.median(time_calls(lambda: predict(one), 30))
    return {"train_series_per_s": len(X) / statistics.median(epoch_seconds[1:]), "infer_series_per_s": len(X) / infer,
            "latency_ms": latency * 1000, "n_params": n_params(model), "epoch_seconds": epoch_seconds[1:]}


def summarise_rounds(rounds: list[tuple[dict, dict]]) -> dict:
    med = statistics.median

    def merged(side: int) -> dict:
        runs = [r[side] for r in rounds]
        return {"train_series_per_s": med(r["train_series_per_s"] for r in runs),
                "infer_series_per_s": med(r["infer_series_per_s"] for r in runs),
                "latency_ms": med(r["latency_ms"] for r in runs), "n_params": runs[0]["n_params"],
                "rounds": runs}

    return {
        "cnn1d": merged(0), "pytorch": merged(1),
        "train_ratio": med(o["train_series_per_s"] / t["train_series_per_s"] for o, t in rounds),
        "infer_ratio": med(o["infer_series_per_s"] / t["infer_series_per_s"] for o, t in rounds),
        "latency_ratio": med(t["latency_ms"] / o["latency_ms"] for o, t in rounds),
    }


def cpu_description() -> str:
    """The CPU model and its wide-vector extensions: the ratios depend on them (XLA's and oneDNN's kernels
    differ per ISA), so a result is only comparable with one from the same kind of CPU."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "unknown")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    wide = sorted({f for f in flags if f.startswith(("avx512f", "avx512_bf16", "amx", "avx2"))})
    return f"{model} ({', '.join(wide) or 'no AVX2'})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--models", default="fcn,resnet,inception,lite,tcn,cnn,mlp,seed")
    parser.add_argument("--epochs", type=int, default=6, help="epochs per measurement (the first is warm-up)")
    parser.add_argument("--n-series", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternate cnn1d and PyTorch this many times; ratios are medians over rounds")
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ucr")
    args = parser.parse_args(argv)

    from rich.progress import Progress

    import cnn1d._backend as backend
    from cnn1d.io_utils import atomic_write_text

    X, y = load_data(args.data_dir, args.n_series)
    results = {"settings": {**{k: str(v) for k, v in vars(args).items()}, "backend": backend.backend_name(),
                            "cpu_count": os.cpu_count(), "machine": platform.machine(), "cpu": cpu_description(),
                            "torch": __import__("torch").__version__, "keras": backend.keras().__version__},
               "models": {}}
    names = args.models.split(",")
    with Progress() as bar:
        task = bar.add_task("speed", total=2 * len(names) * args.rounds)
        for name in names:
            rounds = []
            # Alternating the two frameworks spreads the machine's noise over both.
            for r in range(args.rounds):
                bar.update(task, description=f"{name}: cnn1d (round {r + 1})")
                ours = bench_cnn1d(name, X, y, args)
                bar.advance(task)
                bar.update(task, description=f"{name}: pytorch (round {r + 1})")
                ref = bench_torch(name, X, y, args)
                bar.advance(task)
                rounds.append((ours, ref))
            results["models"][name] = summarise_rounds(rounds)
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / "speed.json", json.dumps(results, indent=2))
    lines = [f"# Speed: cnn1d ({results['settings']['backend']}) vs plain PyTorch, {os.cpu_count()} CPU cores",
             "", f"CPU: {results['settings']['cpu']}.", "", f"{args.n_series} Trace series x 275 steps, batch {args.batch_size}, Adam; median epoch after warm-up; "
             f"ratios are medians over {args.rounds} alternating rounds.", "",
             "| network | params (ours / torch) | train series/s (ours / torch) | **train ratio** | infer series/s (ours / torch) | infer ratio | latency ms (ours / torch) | latency ratio |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in results["models"].items():
        o, t = r["cnn1d"], r["pytorch"]
        lines.append(f"| {name} | {o['n_params']:,} / {t['n_params']:,} | {o['train_series_per_s']:.0f} / {t['train_series_per_s']:.0f} | "
                     f"**{r['train_ratio']:.2f}** | {o['infer_series_per_s']:.0f} / {t['infer_series_per_s']:.0f} | {r['infer_ratio']:.2f} | "
                     f"{o['latency_ms']:.1f} / {t['latency_ms']:.1f} | {r['latency_ratio']:.2f} |")
    atomic_write_text(args.out / "speed.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
