"""Text benchmark on the embedded real corpora: text CNNs beside TF-IDF + logistic regression, and the
convolutional language model beside a Witten-Bell n-gram.

    python benchmarks/text.py --out OUTDIR [--seeds 0,1,2] [--lm-max-time 300]

Writes OUTDIR/text.json and OUTDIR/text.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--lm-max-time", type=float, default=300.0)
    args = parser.parse_args(argv)

    from importlib import resources

    import pandas as pd

    from cnn1d.config import RunConfig
    from cnn1d.workflows import lm_run, text_run

    results = {"classification": {}, "lm": None}
    for name in ("rotten-tomatoes", "chatterbot-topics"):
        runs = []
        for seed in map(int, args.seeds.split(",")):
            config = RunConfig(data=name, model="textcnn", seed=seed, out=str(args.out / "runs" / f"{name}-{seed}"))
            runs.append(text_run(config, log=lambda m: None))
        results["classification"][name] = runs
    corpus = args.out / "rotten-tomatoes-corpus.txt"
    frame = pd.read_csv(resources.files("cnn1d.data") / "embedded" / "rotten-tomatoes.csv.gz")
    corpus.parent.mkdir(parents=True, exist_ok=True)
    corpus.write_text("\n".join(frame["text"]))
    results["lm"] = lm_run(RunConfig(task="lm", data=str(corpus), seed=0, max_time=args.lm_max_time,
                                     out=str(args.out / "runs" / "lm")), log=lambda m: None)
    (args.out / "text.json").write_text(json.dumps(results, indent=2))
    lines = ["# Text benchmark", "", "| dataset | split | textcnn accuracy | TF-IDF+LR accuracy | textcnn macro-F1 | TF-IDF+LR macro-F1 | train s |",
             "|---|---|---|---|---|---|---|"]
    for name, runs in results["classification"].items():
        def stat(key, side):
            values = [r[side][key] for r in runs]
            return f"{statistics.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})"
        split = "by movie, 25% test" if name == "rotten-tomatoes" else "stratified, 25% test"
        lines.append(f"| {name} | {split} | {stat('accuracy', 'test_metrics')} | {stat('accuracy', 'baseline_metrics')} | "
                     f"{stat('macro_f1', 'test_metrics')} | {stat('macro_f1', 'baseline_metrics')} | "
                     f"{statistics.mean(r['train_seconds'] for r in runs):.1f} |")
    lm = results["lm"]
    lines += ["", f"Language model (characters, last 10% of the review corpus held out): CNN perplexity "
                  f"{lm['test_metrics']['perplexity']:.3f} vs {lm['baseline_metrics']['order']}-gram Witten-Bell "
                  f"{lm['baseline_metrics']['perplexity']:.3f}; {lm['epochs']} epochs in {lm['train_seconds']:.0f} s "
                  f"({lm['stopped_because']})."]
    lines.append(f"Mean of {len(args.seeds.split(','))} seeds (min-max in brackets).")
    (args.out / "text.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
