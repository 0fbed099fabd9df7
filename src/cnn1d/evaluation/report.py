"""One self-contained HTML page per run: a model card, learning curves, test metrics beside the baselines and
the figures that say whether to trust the model (confusion matrix, reliability diagram, attributions on right
and wrong examples, residuals, backtest intervals, token shading).

Self-contained means no network: images are embedded PNGs (``data:`` URIs) drawn with matplotlib (already the
plotting library of the forecast extra), styles are inline, and there is no script at all.
"""

from __future__ import annotations

import base64
import html
import io
import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import ConfigError

EXAMPLES_PER_CLASS = 2  # correct and wrong test examples shown with attributions, per class (1 past 4 classes)
MAX_CLASSES_SHOWN = 6

STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em;
color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}img{max-width:100%;height:auto}
pre{background:#f7f7f7;padding:.7em;overflow-x:auto;font-size:.85em}.grid{display:flex;flex-wrap:wrap;gap:1em}
.grid figure{margin:0;flex:1 1 320px}figcaption{font-size:.85em;color:#555}.tok{padding:1px 3px;border-radius:3px}
.muted{color:#666;font-size:.9em}
"""


def _pyplot():
    from .plots import pyplot

    return pyplot()


def _img(fig, alt: str) -> str:
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(rows: list[list[Any]], header: list[str]) -> str:
    def cell(v):
        if isinstance(v, float):
            return f"{v:.4f}"
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _metrics_table(columns: dict[str, dict[str, Any]]) -> str:
    from .metrics import SCALAR_KEYS

    keys = [k for k in (*SCALAR_KEYS, "mase", "smape", "coverage", "width", "perplexity", "bits_per_token")
            if any(isinstance(m, dict) and k in m for m in columns.values())]
    rows = [[k] + [m.get(k, "") if isinstance(m, dict) else "" for m in columns.values()] for k in keys]
    return _table(rows, ["metric", *columns])


def _learning_curves(history: dict[str, list[float]], stopped_because: str = "") -> str:
    if not history or "loss" not in history:
        return "<p class=muted>No training history recorded.</p>"
    if len(history["loss"]) <= 1:  # one point: no curve to draw
        values = ", ".join(f"{k} {v[-1] + 0.0:.4g}" for k, v in history.items() if v)  # + 0.0: no "-0"
        how = ("Fitted in one step (closed form)" if "closed form" in str(stopped_because)
               else "Trained for one epoch")  # MiniRocket's ridge, or a network run with --epochs 1
        return f"<p class=muted>{how}, so there is no learning curve: {values}.</p>"
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
    epochs = np.arange(1, len(history["loss"]) + 1)
    for key in ("loss", "val_loss"):
        if key in history:
            ax1.plot(epochs, history[key], label=key)
    ax1.set_xlabel("epoch")
    if all(min(history[k]) > 0 for k in ("loss", "val_loss") if k in history):
        ax1.set_yscale("log")
    ax1.legend()
    for key in ("accuracy", "val_accuracy"):
        if key in history:
            ax2.plot(epochs, history[key], label=key)
    if "learning_rate" in history:
        twin = ax2.twinx()
        twin.plot(epochs, history["learning_rate"], color="0.6", ls="--", label="learning rate")
        twin.set_yscale("log")
        twin.set_ylabel("learning rate")
    ax2.set_xlabel("epoch")
    if ax2.get_legend_handles_labels()[0]:
        ax2.legend(loc="lower right")
    fig.tight_layout()
    return _img(fig, "learning curves")


def _confusion(metrics: dict[str, Any]) -> str:
    matrix = np.asarray(metrics["confusion_matrix"], dtype=float)
    classes = [str(c) for c in metrics["classes"]]
    plt = _pyplot()
    size = min(3 + 0.35 * len(classes), 9)
    fig, axes = plt.subplots(1, 2, figsize=(2 * size, size))
    normalised = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    for ax, values, title in ((axes[0], matrix, "counts"), (axes[1], normalised, "normalised by true class")):
        ax.imshow(values, cmap="Blues")
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(len(classes)), classes, rotation=90 if len(classes) > 6 else 0, fontsize=8)
        ax.set_yticks(range(len(classes)), classes, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        if len(classes) <= 12:
            for i in range(len(classes)):
                for j in range(len(classes)):
                    text = f"{values[i, j]:.0f}" if values is matrix else f"{values[i, j]:.2f}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=8,
                            color="white" if values[i, j] > values.max() / 2 else "black")
    fig.tight_layout()
    return _img(fig, "confusion matrix")


def _per_class(y_true: np.ndarray, y_pred: np.ndarray, classes: list) -> str:
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=np.arange(len(classes)), zero_division=0)
    rows = [[str(c), float(p[i]), float(r[i]), float(f[i]), int(s[i])] for i, c in enumerate(classes)]
    return _table(rows, ["class", "precision", "recall", "F1", "support"])


def _reliability(y_true: np.ndarray, proba: np.ndarray, raw: np.ndarray | None) -> str:
    from .metrics import expected_calibration_error, reliability

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", label="perfect")
    curves = [("model", proba)] if raw is None else [("before scaling", raw), ("after temperature scaling", proba)]
    for label, p in curves:
        points = reliability(y_true, p)
        xs = [c for c, n in zip(points["confidence"], points["count"]) if n]
        ys = [a for a, n in zip(points["accuracy"], points["count"]) if n]
        ax.plot(xs, ys, marker="o", label=f"{label} (ECE {expected_calibration_error(y_true, p):.3f})")
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return _img(fig, "reliability diagram")


def _overlay(ax, values: np.ndarray, attribution: np.ndarray, frames: bool) -> None:
    steps = np.arange(len(attribution))
    if frames:
        ax.imshow(values.T, aspect="auto", origin="lower", cmap="magma", extent=(-0.5, len(values) - 0.5, -0.5,
                                                                                  values.shape[1] - 0.5))
        twin = ax.twinx()
        twin.plot(steps, attribution, color="cyan", lw=1.5)
        twin.set_yticks([])
    else:
        top = np.nanmax(np.abs(attribution)) or 1.0
        lo, hi = np.nanmin(values), np.nanmax(values)
        for t, a in zip(steps, attribution):
            if a > 0:
                ax.axvspan(t - 0.5, t + 0.5, color="C3", alpha=0.55 * a / top, lw=0)
        for c in range(values.shape[1]):
            ax.plot(np.arange(len(values)), values[:, c], lw=1, color="k" if values.shape[1] == 1 else None)
        ax.set_ylim(lo - 0.05 * (hi - lo + 1e-9), hi + 0.05 * (hi - lo + 1e-9))
    ax.set_xticks([])


def _explained_examples(estimator, test, proba: np.ndarray, truth: np.ndarray) -> str:
    """Per class, correct and wrong test examples with the attribution of their predicted class."""
    from .explain import auto_method

    plt = _pyplot()
    classes = [str(c) for c in estimator.classes_.tolist()]
    predicted = proba.argmax(axis=1)
    chosen, captions = [], []
    per_class = EXAMPLES_PER_CLASS if len(classes) <= 4 else 1
    for c in range(min(len(classes), MAX_CLASSES_SHOWN)):
        for kind, mask in (("correct", (truth == c) & (predicted == c)), ("wrong", (truth == c) & (predicted != c))):
            for i in np.flatnonzero(mask)[:per_class]:
                chosen.append(int(i))
                captions.append(f"true {classes[c]}, predicted {classes[predicted[i]]} ({kind}), test #{i}")
    if not chosen:
        return ""
    subset = test.subset(np.array(chosen))
    x = estimator._transform(subset)
    method = auto_method(estimator.model_, x)
    attributions = estimator.explain(subset, method=method)
    frames = estimator.front_end != "raw"
    shown = estimator._front_end(subset) if frames else subset
    cols = 4
    rows = -(-len(chosen) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 2.1 * rows), squeeze=False)
    for ax in axes.ravel()[len(chosen):]:
        ax.axis("off")
    for ax, k, caption in zip(axes.ravel(), range(len(chosen)), captions):
        n = int(shown.lengths[k])
        attribution = np.asarray(attributions[k])
        attribution = attribution.sum(axis=-1) if attribution.ndim == 2 else attribution
        _overlay(ax, shown.values[k, :n], attribution[:n], frames)
        ax.set_title(caption, fontsize=7, color="C3" if "wrong" in caption else "k")
    fig.tight_layout()
    where = "over log-mel/MFCC frames (cyan: attribution)" if frames else "(red shading: attribution to the predicted class)"
    shown_classes = min(len(classes), MAX_CLASSES_SHOWN)
    return (f"<p class=muted>{html.escape(method)} attributions {where}, for up to {per_class} correct and "
            f"{per_class} wrong test example(s) of each of {shown_classes} class(es).</p>"
            + _img(fig, "attributions on test examples"))


def _residuals(truth: np.ndarray, pred: np.ndarray) -> str:
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax1.scatter(truth, pred, s=10, alpha=0.6)
    lo, hi = float(min(truth.min(), pred.min())), float(max(truth.max(), pred.max()))
    ax1.plot([lo, hi], [lo, hi], color="0.5", ls="--")
    ax1.set_xlabel("target")
    ax1.set_ylabel("prediction")
    ax2.scatter(truth, pred - truth, s=10, alpha=0.6)
    ax2.axhline(0, color="0.5", ls="--")
    ax2.set_xlabel("target")
    ax2.set_ylabel("residual (prediction - target)")
    fig.tight_layout()
    return _img(fig, "residuals")


def _backtest(run_dir: Path | None, level: float | None) -> str:
    import pandas as pd

    path = run_dir / "backtest.csv" if run_dir else None
    if path is None or not path.is_file():
        return "<p class=muted>No backtest.csv beside the bundle: report the run directory to see the folds.</p>"
    frame = pd.read_csv(path)
    plt = _pyplot()
    groups = list(frame.groupby(["id", "target"], sort=False))[:6]
    fig, axes = plt.subplots(len(groups), 1, figsize=(10, 2.4 * len(groups)), squeeze=False)
    for ax, ((key, target), part) in zip(axes[:, 0], groups):
        steps = np.arange(len(part))
        ax.plot(steps, part["actual"], color="k", lw=1, label="actual")
        ax.plot(steps, part["forecast"], color="C0", lw=1.2, label="forecast")
        ax.fill_between(steps, part["lower"], part["upper"], color="C0", alpha=0.25, label="interval")
        for b in np.flatnonzero(np.diff(part["fold"].to_numpy())) + 0.5:
            ax.axvline(b, color="0.7", ls=":")
        ax.set_title(f"{key} - {target}", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    inside = ((frame["actual"] >= frame["lower"]) & (frame["actual"] <= frame["upper"])).mean()
    nominal = f" (nominal {level:.0%})" if level else ""
    return (f"<p>Interval coverage over the backtest: <b>{inside:.1%}</b>{nominal}; folds separated by dotted "
            "lines.</p>" + _img(fig, "backtest folds"))


def _token_shading(estimator, texts: list[str], truth: list, limit: int = 8) -> str:
    rows = []
    texts, truth = list(texts)[:limit], list(truth)[:limit]
    for text, label, predicted in zip(texts, truth, estimator.predict(texts)):
        pairs = estimator.explain_tokens(text)
        top = max((abs(a) for _, a in pairs), default=1.0) or 1.0
        spans = []
        for word, a in pairs:
            share = min(abs(a) / top, 1.0)
            colour = f"rgba(214,39,40,{share:.2f})" if a > 0 else f"rgba(31,119,180,{share:.2f})"
            spans.append(f'<span class=tok style="background:{colour}">{html.escape(word)}</span>')
        rows.append(f"<p><b>true {html.escape(str(label))}, predicted {html.escape(str(predicted))}</b>: "
                    + " ".join(spans) + "</p>")
    return ("<p class=muted>Integrated gradients per token for the predicted class: red for it, blue against.</p>"
            + "".join(rows))


def _calibration_note(calibration: dict[str, Any] | None) -> str:
    if not calibration:
        return ""
    if "skipped" in calibration:
        return f"<p class=muted>Temperature scaling skipped: {html.escape(calibration['skipped'])}.</p>"
    return ("<p class=muted>Temperature scaling: T = {:.3f}; test ECE {:.4f} before, {:.4f} after; Brier {:.4f} before, "
            "{:.4f} after.</p>").format(calibration["temperature"], calibration["test_ece_before"],
                                        calibration["test_ece_after"], calibration["test_brier_before"],
                                        calibration["test_brier_after"])


def _card(meta: dict[str, Any], config: dict[str, Any], result: dict[str, Any], estimator) -> str:
    facts = [
        ["estimator", meta.get("estimator", type(estimator).__name__)],
        ["task", result.get("task") or config.get("task")],
        ["data", result.get("dataset") or config.get("data")],
        ["training / test examples", f"{result.get('n_train', '?')} / {result.get('n_test', '?')}"],
        ["model", result.get("model") or config.get("model")],
        ["parameters", f"{getattr(estimator, 'n_params_', 0):,}"],
        ["seed", config.get("seed")],
        ["epochs (best)", f"{getattr(estimator, 'epochs_', '?')} ({getattr(estimator, 'best_epoch_', '?')})"],
        ["stopped because", getattr(estimator, "stopped_because_", "")],
        ["training time", f"{float(getattr(estimator, 'train_seconds_', 0.0)):.1f} s"],
        ["versions", f"cnn1d {meta.get('cnn1d_version')}, Keras {meta.get('keras_version')}, backend {meta.get('backend')}"],
        ["created", meta.get("created")],
    ]
    return _table([[k, "" if v is None else v] for k, v in facts], ["", "value"])


def build_report(source: str | Path, data: str | None = None, out: str | Path | None = None,
                 log: Callable[[str], None] = lambda m: None) -> Path:
    """Write the HTML report of a run directory (or of a bundle file, with ``data`` as its test set)."""
    from ..config import RunConfig
    from ..estimators.bundled import load
    from ..io_utils import atomic_write_text
    from .. import workflows

    started = time.perf_counter()
    if out is not None and Path(out).suffix.lower() not in (".html", ".htm"):  # a report.pdf held HTML, exit 0
        raise ConfigError(f"--out {out}: the report is one HTML page; name it .html (a browser prints it to PDF)")
    source = Path(source)
    run_dir = source if source.is_dir() else None
    bundle = source / "model.cnn1d" if run_dir else source
    if not bundle.is_file():
        raise ConfigError(f"{source}: no model.cnn1d here; give a run directory written by `cnn1d train` or a bundle")
    estimator = load(bundle)
    meta = estimator.bundle_meta_
    result: dict[str, Any] = {}
    if run_dir and (run_dir / "metrics.json").is_file():
        result = json.loads((run_dir / "metrics.json").read_text())
    config = estimator.config_ if hasattr(estimator, "config_") else RunConfig()
    config_text = (run_dir / "config.toml").read_text() if run_dir and (run_dir / "config.toml").is_file() else config.to_toml()
    stored = estimator.metrics_ or {}
    test_metrics = result.get("test_metrics") or stored.get("test", {})
    columns = {"model": test_metrics}
    for name, value in {"baseline": result.get("baseline_metrics") or stored.get("baseline"),
                        **(result.get("baselines") or stored.get("baselines") or {}),
                        **({"mfcc+logreg": result["audio_baseline_metrics"]} if "audio_baseline_metrics" in result else {})
                        }.items():
        if isinstance(value, dict):
            columns[name] = value
    task = result.get("task") or config.task or getattr(estimator, "task", "classify")
    sections = [("Model card", _card(meta, config.to_dict(), result, estimator)),
                ("Learning curves", _learning_curves(getattr(estimator, "history_", {}), getattr(estimator, "stopped_because_", ""))),
                ("Test metrics", _metrics_table(columns)
                 + _calibration_note(result.get("calibration")))]
    kind = type(estimator).__name__
    quiet = lambda m: None  # noqa: E731 - data loading messages are not part of the page
    if kind in ("CNNClassifier", "CNNRegressor"):
        if data is not None:
            test, _ = workflows.resolve_data(data, labels="required", split="test",
                                             **workflows._bundle_read_options(estimator, data, None))
        else:
            _, _, test, _ = workflows.series_data(config, quiet)
        if kind == "CNNRegressor":
            from ..tasks import regress

            truth = regress.as_targets(test.y, test.source or "test")
            sections.append(("Residuals", _residuals(truth, estimator.predict(test))))
        elif getattr(estimator, "multilabel_", False):
            from ..tasks import tag

            truth = tag.encode(test.y, test.class_names, estimator.classes_, "test").astype(int)
            pred = estimator.predict(test)
            rows = []
            for j, c in enumerate(estimator.classes_.tolist()):
                tp = int(((pred[:, j] == 1) & (truth[:, j] == 1)).sum())
                rows.append([str(c), tp / max(int(pred[:, j].sum()), 1), tp / max(int(truth[:, j].sum()), 1),
                             float(estimator.thresholds_[j]), int(truth[:, j].sum())])
            sections.append(("Per-tag precision and recall", _table(rows, ["tag", "precision", "recall", "threshold",
                                                                           "support"])))
        else:
            from ..tasks import classify

            truth = classify.encode(test.y, estimator.classes_, test.source or "test")
            proba = estimator.predict_proba(test)
            raw = estimator._raw_predict(test).astype(np.float64) if getattr(estimator, "temperature_", 1.0) != 1.0 else None
            classes = estimator.classes_.tolist()
            sections.append(("Confusion matrix", _confusion(test_metrics if "confusion_matrix" in test_metrics
                                                             else estimator.evaluate(test))))
            sections.append(("Per-class precision, recall and F1", _per_class(truth, proba.argmax(axis=1), classes)))
            sections.append(("Reliability diagram", _reliability(truth, proba, raw)))
            sections.append(("What the model looked at", _explained_examples(estimator, test, proba, truth)))
    elif kind == "CNNTextClassifier":
        if data is not None:
            from ..data.text import read_text

            test = read_text(data, labels="required", **workflows.bundle_text_options(estimator, data, None),
                             label_column=workflows.recorded_column(config.label_column, data))
        else:
            _, test = workflows.text_data(config, quiet)
        if not estimator.multilabel_:
            sections.append(("Confusion matrix", _confusion(estimator.evaluate(test))))
        sections.append(("Test sentences, tokens shaded by attribution", _token_shading(estimator, test.texts, list(test.y))))
    elif kind == "CNNForecaster":
        sections.append(("Backtest", _backtest(run_dir, getattr(estimator, "level", None))))
    sections.append(("Config that reproduces this run",
                     f"<p class=muted>cnn1d train --config config.toml --out OTHER_DIR</p><pre>{html.escape(config_text)}</pre>"))
    title = f"cnn1d report: {html.escape(str(result.get('dataset') or config.data or bundle.name))} - {html.escape(str(task))}"
    body = "".join(f"<h2>{html.escape(name)}</h2>{content}" for name, content in sections if content)
    page = (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width,"
            f"initial-scale=1\"><title>{title}</title><style>{STYLE}</style></head><body><h1>{title}</h1>"
            f"<p class=muted>Written {time.strftime('%Y-%m-%d %H:%M')} from {html.escape(str(bundle))}.</p>{body}"
            "</body></html>")
    out = Path(out) if out else (run_dir / "report.html" if run_dir else bundle.with_suffix(".html"))
    atomic_write_text(out, page)
    log(f"report: {out} ({out.stat().st_size / 1024:.0f} KiB, {time.perf_counter() - started:.1f} s)")
    return out
