"""End-to-end jobs behind the CLI verbs, usable from Python too: train_run, evaluate_bundle, predict_bundle."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .config import RunConfig
from .data.dataset import Dataset
from .errors import DataError

DEFAULT_DATASET = "gunpoint"
HOLDOUT_FRACTION = 0.25


def resolve_data(spec: str, *, labels: str = "required", label_column: str | None = None,
                 split: str = "train") -> tuple[Dataset, Dataset | None]:
    """A dataset name or path -> (data, test-or-None). Embedded names give their own test split."""
    from . import datasets
    from .data.readers import find_test_file, read

    if spec.lower() in datasets.EMBEDDED:
        train, test = datasets.load(spec)
        return (train, test) if split == "train" else (test, None)
    path = Path(spec)
    if path.exists():
        data = read(path, labels=labels, label_column=label_column)
        test_path = find_test_file(path) if split == "train" else None
        test = read(test_path, labels=labels, label_column=label_column) if test_path else None
        return data, test
    if path.suffix or "/" in spec or "\\" in spec:
        raise DataError(f"{spec}: file not found")
    # A bare name that is not embedded: an archive dataset, fetched once into the cache.
    train, test = datasets.load(spec)
    return (train, test) if split == "train" else (test, None)


def _holdout(data: Dataset, task: str, seed: int | None) -> tuple[Dataset, Dataset]:
    from sklearn.model_selection import train_test_split

    index = np.arange(len(data))
    stratify = None
    if task == "classify":
        labels = data.y.astype(str)
        _, counts = np.unique(labels, return_counts=True)
        if counts.min() >= 2 and round(len(data) * HOLDOUT_FRACTION) >= len(counts):
            stratify = labels
    train_idx, test_idx = train_test_split(index, test_size=HOLDOUT_FRACTION, random_state=seed or 0, stratify=stratify)
    return data.subset(train_idx), data.subset(test_idx)


def baseline_metrics(estimator, train: Dataset, test: Dataset) -> dict[str, Any]:
    """The majority-class (classification) or training-mean (regression) predictor on the test set."""
    from .evaluation.metrics import classification_metrics, regression_metrics
    from .tasks import classify, regress

    if estimator.task == "classify":
        y_train = classify.encode(train.y, estimator.classes_, "training labels")
        y_test = classify.encode(test.y, estimator.classes_, test.source or "test labels")
        proba = classify.baseline_proba(y_train, len(estimator.classes_), len(test))
        return classification_metrics(y_test, proba, estimator.classes_)
    y_train = regress.as_targets(train.y, "training targets")
    y_test = regress.as_targets(test.y, test.source or "test targets")
    return regression_metrics(y_test, np.full(len(y_test), y_train.mean()))


def train_run(config: RunConfig, *, label_column: str | None = None, resume: bool = False,
              task_given: bool = True, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Load data, train, evaluate on the test set beside a baseline, save the bundle and metrics."""
    from .estimators import CNNClassifier, CNNRegressor
    from .io_utils import atomic_write_text

    started = time.perf_counter()
    spec = config.data or DEFAULT_DATASET
    train, test = resolve_data(spec, label_column=label_column)
    if config.test:
        from .data.readers import read

        test = read(config.test, labels="required", label_column=label_column)
    task = config.task if task_given else (train.task or config.task)
    config = config.replace(task=task, data=spec)
    log(f"data: {train.name or spec} ({train.describe()})")
    if test is None:
        train, test = _holdout(train, task, config.seed)
        log(f"no test set given: holding out {len(test)} of the training series as a test set")
    else:
        log(f"test: {test.describe()}")
    out = Path(config.out) if config.out else Path("runs") / f"{(train.name or spec).lower()}-{config.model}-{time.strftime('%Y%m%d-%H%M%S')}"
    config = config.replace(out=str(out))
    cls = CNNClassifier if task == "classify" else CNNRegressor
    estimator = cls.from_config(config, resume=resume).fit(train)
    metrics = estimator.evaluate(test)
    baseline = baseline_metrics(estimator, train, test)
    bundle_path = estimator.save(out / "model.cnn1d", metrics={"test": metrics, "baseline": baseline})
    result = {
        "task": task,
        "dataset": train.name or spec,
        "model": config.model,
        "test_metrics": metrics,
        "baseline_metrics": baseline,
        "bundle": str(bundle_path),
        "out": str(out),
        "train_seconds": round(estimator.train_seconds_, 3),
        "total_seconds": round(time.perf_counter() - started, 3),
        "epochs": estimator.epochs_,
        "best_epoch": estimator.best_epoch_,
        "stopped_because": estimator.stopped_because_,
        "monitor": estimator.monitor_,
        "n_members": estimator.n_members_,
        "members": estimator.members_,
        "n_params": estimator.n_params_,
        "backend": estimator.backend_,
        "n_train": len(train),
        "n_test": len(test),
        "seed": config.seed,
    }
    atomic_write_text(out / "metrics.json", json.dumps(result, indent=2))
    atomic_write_text(out / "config.toml", config.to_toml())
    return result


def evaluate_bundle(bundle: str | Path, data: str, *, label_column: str | None = None) -> dict[str, Any]:
    from .bundle import load

    estimator = load(bundle)
    dataset, _ = resolve_data(data, labels="required", label_column=label_column, split="test")
    return {"bundle": str(bundle), "data": data, "task": estimator.task, "metrics": estimator.evaluate(dataset)}


def predict_bundle(bundle: str | Path, data: str, *, label_column: str | None = None):
    """Predictions as a DataFrame: ``index``, ``prediction`` and, for classifiers, ``proba_<class>`` columns."""
    import pandas as pd

    from .bundle import load

    estimator = load(bundle)
    dataset, _ = resolve_data(data, labels="auto", label_column=label_column, split="test")
    frame = pd.DataFrame({"index": np.arange(len(dataset))})
    if estimator.task == "classify":
        proba = estimator.predict_proba(dataset)
        frame["prediction"] = estimator.classes_[proba.argmax(axis=1)]
        for j, c in enumerate(estimator.classes_.tolist()):
            frame[f"proba_{c}"] = np.round(proba[:, j], 6)
    else:
        frame["prediction"] = estimator.predict(dataset)
    return frame
