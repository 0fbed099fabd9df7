"""Export parity and latency per bundle kind: Keras (the bundle's own predict) against onnxruntime (the
exported model through cnn1d.runtime), one series and batches of 64, in one process.

    python benchmarks/export.py --out OUTDIR [--epochs 20] [--repeats 30]

Kinds: GunPoint classifier (FCN) and default ensemble (5 LITE), ItalyPowerDemand regressor (FCN), a tagger
(two tags on GunPoint), BasicMotions multichannel classifier (ResNet), embedded stocks forecaster (TCN),
embedded review snippets text classifier (textcnn) and spoken digits audio model (M5 over log-mel).
Writes OUTDIR/export.json and OUTDIR/export.md. Latencies are medians; ratios are Keras / onnxruntime.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def median_seconds(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def kinds(epochs: int, shared: Path | None):
    import cnn1d

    gp_train, gp_test = cnn1d.datasets.load("gunpoint")
    yield "classifier (FCN, GunPoint)", lambda: cnn1d.CNNClassifier(model="fcn", epochs=epochs, seed=0).fit(gp_train), gp_test
    yield "ensemble (lite_time: 5 LITE, GunPoint)", lambda: cnn1d.CNNClassifier(model="lite_time", epochs=epochs, seed=0, n_jobs=1).fit(gp_train), gp_test
    yield "default (MiniRocket, GunPoint)", lambda: cnn1d.CNNClassifier(seed=0).fit(gp_train), gp_test
    tags = np.stack([gp_train.y == "1", np.arange(len(gp_train)) % 2 == 0], axis=1).astype(int)
    yield "tagger (FCN, 2 tags)", lambda: cnn1d.CNNClassifier(model="fcn", epochs=epochs, seed=0).fit(gp_train.values, tags), gp_test
    bm_train, bm_test = cnn1d.datasets.load("basicmotions")
    yield "multichannel (ResNet, BasicMotions)", lambda: cnn1d.CNNClassifier(model="resnet", epochs=epochs, seed=0).fit(bm_train), bm_test
    if shared and (shared / "ucr" / "ItalyPowerDemand").is_dir():
        from cnn1d.data.readers import read

        def part(name):
            ds = read(shared / "ucr" / "ItalyPowerDemand" / f"ItalyPowerDemand_{name}.tsv")
            return ds.values[:, :23, 0], ds.values[:, 23, 0].astype(np.float64)

        (X, y), (X_test, _) = part("TRAIN"), part("TEST")
        yield "regressor (FCN, ItalyPowerDemand last hour)", lambda: cnn1d.CNNRegressor(model="fcn", epochs=epochs, seed=0).fit(X, y), X_test
    from cnn1d.datasets import load_spoken_digits

    sd_train, sd_test = load_spoken_digits()
    yield "audio (M5 over log-mel, spoken digits)", lambda: cnn1d.CNNClassifier(model="m5", front_end="log_mel", epochs=epochs, seed=0).fit(sd_train), sd_test
    from importlib import resources

    from cnn1d.data.text import read_text

    reviews = read_text(resources.files("cnn1d.data") / "embedded" / "rotten-tomatoes.csv.gz")
    texts = reviews.texts
    yield "text (textcnn, review snippets)", lambda: cnn1d.CNNTextClassifier(epochs=max(2, epochs // 5), seed=0).fit(texts[:4000], reviews.y[:4000]), texts[4000:]
    from cnn1d.forecasting import load_demo

    yield "forecaster (TCN, 5 stock series)", lambda: cnn1d.CNNForecaster(horizon=6, epochs=epochs, seed=0).fit(load_demo("stocks")), None


def measure(name, make, test, work: Path, repeats: int) -> dict:
    from cnn1d.export import export
    from cnn1d.runtime import load as load_runtime

    estimator = make()
    bundle = estimator.save(work / "model.cnn1d")
    t = time.perf_counter()
    report = export(bundle, work / "model.onnx")
    export_seconds = time.perf_counter() - t
    runtime = load_runtime(report["path"])
    row = {"kind": name, "export_seconds": round(export_seconds, 1), "onnx_MB": round(report["size_bytes"] / 1e6, 2),
           "max_abs_diff": report["max_abs_diff"], "label_agreement": report["label_agreement"]}
    if test is None:  # forecaster: one forecast per stored series
        keras_one = median_seconds(lambda: estimator.forecast_at(estimator.table_), repeats)
        table = runtime.stored_table()
        onnx_one = median_seconds(lambda: runtime.forecast_table(table), repeats)
        row.update({"keras_single_ms": keras_one * 1000, "onnx_single_ms": onnx_one * 1000,
                    "keras_batch64_ms": None, "onnx_batch64_ms": None, "note": "all 5 series per call"})
        return row
    if isinstance(test, list):
        one, batch = test[:1], (test * 2)[:64]
        predict = estimator.predict_proba
    else:
        values = test.values if hasattr(test, "values") and not isinstance(test, np.ndarray) else test
        if hasattr(test, "lengths"):
            from cnn1d.data.dataset import Dataset

            one = test.subset(np.arange(1))
            batch = test.subset(np.arange(64) % len(test))
        else:
            one, batch = values[:1], values[np.arange(64) % len(values)]
        predict = estimator.predict if type(estimator).__name__ == "CNNRegressor" else estimator.predict_proba
    runtime_predict = runtime.predict if runtime.classes is None else runtime.predict_proba
    diff = float(np.abs(np.asarray(predict(batch), np.float64) - runtime_predict(batch)).max())
    row.update({"test_max_abs_diff": diff,
                "keras_single_ms": median_seconds(lambda: predict(one), repeats) * 1000,
                "onnx_single_ms": median_seconds(lambda: runtime_predict(one), repeats) * 1000,
                "keras_batch64_ms": median_seconds(lambda: predict(batch), max(5, repeats // 3)) * 1000,
                "onnx_batch64_ms": median_seconds(lambda: runtime_predict(batch), max(5, repeats // 3)) * 1000})
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    os.environ.setdefault("KERAS_BACKEND", "jax")
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="cnn1d-export-bench-") as tmp:
        for i, (name, make, test) in enumerate(kinds(args.epochs, args.data_dir)):
            work = Path(tmp) / str(i)
            work.mkdir()
            row = measure(name, make, test, work, args.repeats)
            print(json.dumps(row))
            rows.append(row)
    (args.out / "export.json").write_text(json.dumps({"machine": {"cpu_count": os.cpu_count(),
                                                                  "platform": platform.platform()}, "rows": rows}, indent=1))
    lines = ["| bundle kind | parity max abs diff | label agreement | Keras 1 series ms | ONNX 1 series ms | "
             "Keras batch 64 ms | ONNX batch 64 ms | export s | ONNX MB |", "|---|---|---|---|---|---|---|---|---|"]

    def fmt(v, digits=2):
        return "-" if v is None else f"{v:.{digits}f}"

    for r in rows:
        lines.append(f"| {r['kind']} | {max(r['max_abs_diff'], r.get('test_max_abs_diff', 0)):.1e} | "
                     f"{fmt(r['label_agreement'], 3)} | {fmt(r['keras_single_ms'])} | {fmt(r['onnx_single_ms'])} | "
                     f"{fmt(r['keras_batch64_ms'])} | {fmt(r['onnx_batch64_ms'])} | {r['export_seconds']} | {r['onnx_MB']} |")
    (args.out / "export.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
