"""Audio benchmark on the embedded spoken digits (test voices never heard in training): raw-waveform and
log-mel / MFCC CNNs, each run beside the MFCC-statistics + logistic-regression baseline on the same split,
for single-label classification (spoken-digits) and multi-label tagging (spoken-digit-tags).

``spoken-digits-accents`` is the harder split: whole accents never heard in training (8 of 18; see
scripts/make_spoken_digits.py --split accent). It is synthesised on first use into OUTDIR/data with Debian's
espeak-ng (``apt-get install -y espeak-ng``; the runs are skipped without it) and trained exactly as
``cnn1d train --data DIR/train --test DIR/test --max-time 300`` would.

    python benchmarks/audio.py --out OUTDIR [--seed 0] [--only m5,lite,...] [--skip-slow]

Every run goes through ``cnn1d.workflows.train_run`` (what ``cnn1d train`` calls). Writes OUTDIR/audio.json,
OUTDIR/audio.csv and OUTDIR/audio.md; with ``--only``, the runs replace their namesakes in an existing
OUTDIR/audio.json of the same seed and the others are kept.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

# key: (dataset, label, RunConfig fields, slow)
RUNS = {
    "m5": ("spoken-digits", "raw waveform + M5 (60 epochs)", {"model": "m5", "front_end": "raw", "epochs": 60, "augment": 0}, False),
    "m5-augment": ("spoken-digits", "raw waveform + M5 (60 epochs), augment 2",
                   {"model": "m5", "front_end": "raw", "epochs": 60, "augment": 2}, True),
    "tdfb": ("spoken-digits", "raw waveform + TD-filterbank (fixed mel Gabor filters) + M5 blocks (60 epochs)",
             {"model": "tdfb", "front_end": "raw", "epochs": 60, "augment": 0}, False),
    "tdfb-learned": ("spoken-digits", "raw waveform + TD-filterbank, filters learned (60 epochs)",
                     {"model": "tdfb", "front_end": "raw", "epochs": 60, "model_params": {"learn_filters": True}, "augment": 0}, False),
    "lite": ("spoken-digits", "log-mel + LITE (100 epochs)",
             {"model": "lite", "front_end": "log_mel", "epochs": 100, "augment": 0}, False),
    "default": ("spoken-digits", "log-mel + MiniRocket (PPV and MPV, 2 warped copies; the audio default for classes)", {}, False),
    "m5-log-mel": ("spoken-digits", "log-mel + M5 (60 epochs, first kernel 16, 2 warped copies)", {"model": "m5", "front_end": "log_mel", "epochs": 60}, False),
    "fcn": ("spoken-digits", "log-mel + FCN (100 epochs)", {"model": "fcn", "front_end": "log_mel", "epochs": 100, "augment": 0}, False),
    "mfcc-fcn": ("spoken-digits", "MFCC + FCN (60 epochs)", {"model": "fcn", "front_end": "mfcc", "epochs": 60, "augment": 0}, False),
    "mfcc-fcn-augment": ("spoken-digits", "MFCC + FCN (60 epochs), augment 2",
                         {"model": "fcn", "front_end": "mfcc", "epochs": 60, "augment": 2}, False),
    "tags-m5-log-mel": ("spoken-digit-tags", "log-mel + M5 (60 epochs, first kernel 16, 2 warped copies; the audio default for tags)",
                        {"model": "m5", "front_end": "log_mel", "epochs": 60}, False),
    "tags-lite": ("spoken-digit-tags", "log-mel + LITE (100 epochs)",
                  {"model": "lite", "front_end": "log_mel", "epochs": 100, "augment": 0}, False),
    "tags-fcn": ("spoken-digit-tags", "log-mel + FCN (30 epochs)", {"model": "fcn", "front_end": "log_mel", "epochs": 30, "augment": 0}, False),
    "tags-tdfb": ("spoken-digit-tags", "raw waveform + TD-filterbank (fixed) + M5 blocks (60 epochs)",
                  {"model": "tdfb", "front_end": "raw", "epochs": 60, "augment": 0}, False),
    "tags-m5": ("spoken-digit-tags", "raw waveform + M5 (60 epochs)", {"model": "m5", "front_end": "raw", "epochs": 60, "augment": 0}, True),
    "accents": ("spoken-digits-accents", "the audio default (log-mel + MiniRocket PPV+MPV, 2 warped copies), --max-time 300",
                {"max_time": 300}, False),
    "accents-m5": ("spoken-digits-accents", "log-mel + M5 (60 epochs, 2 warped copies; the default before), --max-time 300",
                   {"max_time": 300, "model": "m5", "front_end": "log_mel", "epochs": 60}, False),
    "accents-no-augment": ("spoken-digits-accents", "the audio default without augmentation (--augment 0), --max-time 300",
                           {"max_time": 300, "augment": 0}, False),
    "accents-ensemble3": ("spoken-digits-accents", "the audio default, --ensemble 3 --max-time 300",
                          {"max_time": 300, "ensemble": 3}, False),
    "accents-pair": ("spoken-digits-accents", "log-mel + MiniRocket and M5, geometric mean (--model minirocket_m5), "
                     "--max-time 300", {"max_time": 300, "model": "minirocket_m5"}, True),
}


def accent_split(folder: Path) -> dict | None:
    """``data``/``test`` of the accent split, synthesised into ``folder`` once; None without espeak-ng."""
    import shutil
    import subprocess
    import sys

    if not (folder / "wav" / "test").is_dir():
        if shutil.which("espeak-ng") is None:
            return None
        script = Path(__file__).resolve().parent.parent / "scripts" / "make_spoken_digits.py"
        subprocess.run([sys.executable, str(script), "--split", "accent", "--variants", "2",
                        "--out", str(folder / "accents.npz"), "--wav-dir", str(folder / "wav")], check=True)
    return {"data": str(folder / "wav" / "train"), "test": str(folder / "wav" / "test")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default=None, help=f"comma-separated run keys: {', '.join(RUNS)}")
    parser.add_argument("--skip-slow", action="store_true", help="leave out the runs over ~2 minutes each")
    args = parser.parse_args(argv)

    from cnn1d.config import RunConfig
    from cnn1d.workflows import train_run

    keys = args.only.split(",") if args.only else [k for k, run in RUNS.items() if not (args.skip_slow and run[3])]
    unknown = [k for k in keys if k not in RUNS]
    if unknown:
        parser.error(f"unknown run(s) {unknown}; choose from {', '.join(RUNS)}")
    rows = []
    for key in keys:
        dataset, label, fields, _ = RUNS[key]
        started = time.perf_counter()
        data = {"data": dataset}
        if dataset == "spoken-digits-accents":
            data = accent_split(args.out / "data" / "accents")
            if data is None:
                print(f"{key}: skipped, espeak-ng is not installed (apt-get install -y espeak-ng)")
                continue
        config = RunConfig(**data, seed=args.seed, out=str(args.out / "runs" / key), **fields)
        result = train_run(config, log=lambda m: None)  # settings not in `fields` take the data's recommended ones
        assert result["front_end"] == fields.get("front_end", result["front_end"]), result["front_end"]
        rows.append({"key": key, "dataset": dataset, "run": label, "model": result["model"],
                     "front_end": result["front_end"], "task": result["task"], "test": result["test_metrics"],
                     "mfcc_stats_logreg": result["audio_baseline_metrics"], "train_seconds": result["train_seconds"],
                     "wall_seconds": round(time.perf_counter() - started, 1), "epochs": result["epochs"],
                     "n_params": result["n_params"], "n_train": result["n_train"], "n_test": result["n_test"]})
        print(f"{key}: {_score(rows[-1]['test'])} (baseline {_score(rows[-1]['mfcc_stats_logreg'])}) "
              f"in {result['train_seconds']:.1f} s", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    previous = args.out / "audio.json"
    if args.only and previous.exists():
        old = json.loads(previous.read_text())
        if old.get("seed") == args.seed:
            fresh = {r["key"]: r for r in rows}
            order = [r["key"] for r in old["runs"]] + [k for k in fresh if k not in {r["key"] for r in old["runs"]}]
            merged = {r["key"]: r for r in old["runs"]} | fresh
            rows = [merged[k] for k in order]
    write_results(args.out, args.seed, rows)
    return 0


def write_results(out: Path, seed: int, rows: list[dict]) -> None:
    """OUT/audio.json, audio.csv and audio.md for ``rows``."""
    (out / "audio.json").write_text(json.dumps({"seed": seed, "runs": rows}, indent=2))
    with open(out / "audio.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["key", "dataset", "run", "metric", "cnn", "mfcc_stats_logreg", "map", "baseline_map", "train_seconds"])
        for r in rows:
            metric = "accuracy" if r["task"] == "classify" else "micro_f1"
            writer.writerow([r["key"], r["dataset"], r["run"], metric, r["test"][metric], r["mfcc_stats_logreg"][metric],
                             r["test"].get("map", ""), r["mfcc_stats_logreg"].get("map", ""), r["train_seconds"]])
    lines = ["# Audio benchmark (spoken digits: test voices, or whole accents, never heard in training)", "",
             f"Seed {seed}; CNN and baseline trained on the same split in the same run; train seconds on this machine.", "",
             "| dataset | front end + model | CNN | MFCC stats + LR | train s |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['dataset']} | {r['run']} | {_score(r['test'])} | {_score(r['mfcc_stats_logreg'])} | {r['train_seconds']:.1f} |")
    (out / "audio.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _score(metrics: dict) -> str:
    if "accuracy" in metrics:
        return f"accuracy {metrics['accuracy']:.3f}"
    return f"micro-F1 {metrics['micro_f1']:.3f}, mAP {metrics['map']:.3f}"


if __name__ == "__main__":
    raise SystemExit(main())
