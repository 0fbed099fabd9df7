"""The tuning and confirmation groups side by side: a model's accuracy (mean over the seeds in the results)
against aeon's MiniRocket run on the same machine and the published rows, with wins/ties/losses.

    python benchmarks/groups.py --results OUT/ucr/results.csv OUT/uea/results.csv --model default \
        --aeon OUT/aeon_minirocket.csv --reference ../shared/data/REFERENCE_ACCURACY.csv --out OUT/groups.md

The groups are those of ../shared/data/README.md: the first ten sets were tuned on before; the twelve added
later confirm. A tie is a difference below half a point (one test series in 200).
"""

from __future__ import annotations

import argparse
from pathlib import Path

TUNING = ("ArrowHead", "CBF", "Coffee", "ECG200", "GunPoint", "ItalyPowerDemand", "SyntheticControl", "Trace",
          "BasicMotions", "JapaneseVowels")
CONFIRMATION = ("Adiac", "BirdChicken", "Car", "DiatomSizeReduction", "FaceFour", "Fish", "Ham", "MedicalImages",
                "Meat", "Strawberry", "SwedishLeaf", "ToeSegmentation1")
PUBLISHED = ("LITETime", "InceptionTime", "MiniRocket_resample0", "MultiROCKET")
TIE = 0.005


def table(args) -> str:
    import pandas as pd

    runs = pd.concat([pd.read_csv(path) for path in args.results])
    runs = runs[runs["model"] == args.model]
    ours = runs.groupby("dataset").agg(accuracy=("accuracy", "mean"), seconds=("train_seconds", "mean"),
                                       seeds=("seed", "nunique"))
    columns = {args.model: ours["accuracy"]}
    if args.aeon:
        columns["MiniRocket (aeon, here)"] = pd.read_csv(args.aeon).groupby("dataset")["accuracy"].mean()
    ref = pd.read_csv(args.reference).pivot_table(index="dataset", columns="method", values="accuracy")
    for method in PUBLISHED:
        if method in ref:
            columns[f"{method} (published)"] = ref[method]
    frame = pd.DataFrame(columns)
    lines = [f"# `{args.model}` on the tuning and confirmation groups", "",
             f"Mean test accuracy over {int(ours['seeds'].max())} seed(s); train seconds per dataset (mean); "
             f"a tie is |difference| < {TIE}.", ""]
    for title, names in (("Tuning group (chosen on)", TUNING), ("Confirmation group", CONFIRMATION)):
        group = frame.loc[[n for n in names if n in ours.index]]
        if group.empty:
            continue
        lines += [f"## {title}", "", "| dataset | " + " | ".join(group.columns) + " | train s |",
                  "|---|" + "---|" * (len(group.columns) + 1)]
        for name, row in group.iterrows():
            cells = ["" if pd.isna(v) else f"{v:.4f}" for v in row]
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {ours.loc[name, 'seconds']:.1f} |")
        means = [f"{group[c].mean():.4f}" + ("" if group[c].notna().all() else f" ({group[c].notna().sum()} sets)")
                 for c in group.columns]
        lines.append("| **mean** | " + " | ".join(means) + f" | {ours.loc[group.index, 'seconds'].mean():.1f} |")
        record = []
        for column in group.columns[1:]:
            both = group[[args.model, column]].dropna()
            diff = both[args.model] - both[column]
            record.append(f"{column}: {int((diff >= TIE).sum())}/{int((diff.abs() < TIE).sum())}/"
                          f"{int((diff <= -TIE).sum())}")
        lines += ["", f"Wins/ties/losses of `{args.model}` against " + "; ".join(record) + ".", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, nargs="+", required=True, help="results.csv files of benchmarks/ucr.py")
    parser.add_argument("--model", default="default")
    parser.add_argument("--aeon", type=Path, help="CSV of benchmarks/aeon_reference.py")
    parser.add_argument("--reference", type=Path, required=True, help="REFERENCE_ACCURACY.csv")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    text = table(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
