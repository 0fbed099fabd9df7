"""Metrics for classification and regression, as plain JSON-serialisable dicts."""

from __future__ import annotations

from typing import Any

import numpy as np


def classification_metrics(y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> dict[str, Any]:
    """Accuracy, balanced accuracy, macro-F1, log-loss and the confusion matrix (rows = true class)."""
    from sklearn import metrics

    labels = np.arange(len(classes))
    y_pred = proba.argmax(axis=1)
    clipped = np.clip(proba, 1e-7, 1.0)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    return {
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(_balanced_accuracy(y_true, y_pred, labels)),
        "macro_f1": float(metrics.f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "log_loss": float(metrics.log_loss(y_true, clipped, labels=labels)),
        "ece": expected_calibration_error(y_true, proba),
        "brier": brier_score(y_true, proba),
        "n": int(len(y_true)),
        "classes": [_jsonable(c) for c in classes.tolist()],
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


ECE_BINS = 15


def expected_calibration_error(y_true: np.ndarray, proba: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error (Guo et al. 2017): the gap between confidence (the top probability) and
    accuracy, averaged over ``bins`` equal-width confidence bins weighted by their share of examples."""
    points = reliability(y_true, proba, bins)
    return float(sum(n * abs(a - c) for n, a, c in zip(points["count"], points["accuracy"], points["confidence"]) if n)
                 / len(y_true))


def brier_score(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Multi-class Brier score: the mean squared distance between the probabilities and the one-hot truth."""
    onehot = np.zeros_like(proba, dtype=np.float64)
    onehot[np.arange(len(y_true)), y_true] = 1.0
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


def reliability(y_true: np.ndarray, proba: np.ndarray, bins: int = ECE_BINS) -> dict[str, list]:
    """Per confidence bin: mean confidence, accuracy and count (the points of a reliability diagram)."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y_true
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    rows = {"confidence": [], "accuracy": [], "count": []}
    for b in range(bins):
        inside = which == b
        rows["count"].append(int(inside.sum()))
        rows["confidence"].append(float(confidence[inside].mean()) if inside.any() else None)
        rows["accuracy"].append(float(correct[inside].mean()) if inside.any() else None)
    return rows


def _balanced_accuracy(y_true, y_pred, labels) -> float:
    # Mean recall over the classes present in y_true (sklearn warns on absent classes; we skip them).
    recalls = [np.mean(y_pred[y_true == c] == c) for c in labels if np.any(y_true == c)]
    return float(np.mean(recalls))


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    from sklearn import metrics

    return {
        "rmse": float(np.sqrt(metrics.mean_squared_error(y_true, y_pred))),
        "mae": float(metrics.mean_absolute_error(y_true, y_pred)),
        "r2": float(metrics.r2_score(y_true, y_pred)) if len(y_true) > 1 else float("nan"),
        "n": int(len(y_true)),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


SCALAR_KEYS = ("accuracy", "balanced_accuracy", "macro_f1", "micro_f1", "subset_accuracy", "map", "log_loss", "ece",
               "brier", "rmse",
               "mae", "r2", "n")


def metrics_table(metrics_by_name: dict[str, dict[str, Any]], title: str = "Test metrics"):
    """A rich Table with one column per result (model, baseline) and one row per scalar metric."""
    from rich.table import Table

    table = Table(title=title)
    table.add_column("metric")
    for name in metrics_by_name:
        table.add_column(name, justify="right")
    keys = [k for k in SCALAR_KEYS if any(k in m for m in metrics_by_name.values())]
    for key in keys:
        row = []
        for m in metrics_by_name.values():
            v = m.get(key)
            row.append("" if v is None else (f"{v:d}" if isinstance(v, int) else f"{v:.4f}"))
        table.add_row(key, *row)
    return table


def confusion_table(metrics: dict[str, Any]):
    from rich.table import Table

    classes = [str(c) for c in metrics["classes"]]
    table = Table(title="Confusion matrix")
    table.add_column("true \\ predicted")
    for c in classes:
        table.add_column(c, justify="right")
    for c, row in zip(classes, metrics["confusion_matrix"]):
        table.add_row(c, *map(str, row))
    return table


def multilabel_metrics(y_true: np.ndarray, proba: np.ndarray, thresholds: np.ndarray, labels: list) -> dict[str, Any]:
    """Micro/macro F1 at the given per-label thresholds, subset accuracy and mAP (mean average precision)."""
    from sklearn import metrics

    pred = (proba >= thresholds[None, :]).astype(int)
    present = [j for j in range(y_true.shape[1]) if y_true[:, j].any()]
    return {
        "micro_f1": float(metrics.f1_score(y_true, pred, average="micro", zero_division=0)),
        "macro_f1": float(metrics.f1_score(y_true, pred, average="macro", zero_division=0)),
        "subset_accuracy": float((pred == y_true).all(axis=1).mean()),
        "map": float(np.mean([metrics.average_precision_score(y_true[:, j], proba[:, j]) for j in present])) if present else float("nan"),
        "n": int(len(y_true)),
        "labels": list(labels),
        "thresholds": [float(t) for t in thresholds],
    }


def best_thresholds(y_true: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Per-label threshold maximising F1 on held-out data (0.5 where a label never occurs there).

    Where several thresholds tie (a well-separated label scores F1 = 1 from 0.05 to 0.95), the middle of
    the tied ones is taken: the lowest would sit on the edge of the negatives and fail on new data.
    """
    from sklearn.metrics import f1_score

    grid = np.linspace(0.05, 0.95, 19)
    out = np.full(y_true.shape[1], 0.5)
    for j in range(y_true.shape[1]):
        if y_true[:, j].any():
            scores = np.array([f1_score(y_true[:, j], proba[:, j] >= t, zero_division=0) for t in grid])
            best = np.flatnonzero(scores >= scores.max() - 1e-9)
            out[j] = grid[best[len(best) // 2]]
    return out
