"""Non-neural baselines every result is reported beside: the majority class and MiniRocket.

MiniRocket comes from aeon (``pip install cnn1d[minirocket]``), the well-kept reference implementation
(Dempster et al. 2021: random convolution features + a ridge classifier).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..data.dataset import Dataset
from ..errors import ConfigError
from ..tasks import classify
from .metrics import classification_metrics


def majority_class(train: Dataset, test: Dataset) -> dict[str, Any]:
    classes = classify.fit_classes(train.y, train.source or "train")
    y_train = classify.encode(train.y, classes)
    y_test = classify.encode(test.y, classes, test.source or "test")
    metrics = classification_metrics(y_test, classify.baseline_proba(y_train, len(classes), len(test)), classes)
    return {**metrics, "train_seconds": 0.0}


def minirocket(train: Dataset, test: Dataset, seed: int | None = 0) -> dict[str, Any]:
    """Fit aeon's MiniRocketClassifier on ``train`` and score it on ``test``.

    Series are imputed (linear) and zero-padded to a common length first, as MiniRocket needs equal lengths.
    """
    try:
        from aeon.classification.convolution_based import MiniRocketClassifier
    except ImportError:
        raise ConfigError("the MiniRocket baseline needs aeon: pip install 'cnn1d[minirocket]'") from None
    from ..preprocess import SeriesPreprocessor

    classes = classify.fit_classes(train.y, train.source or "train")
    pre = SeriesPreprocessor(scaling="none", mask_channel="no").fit(train)
    length = max(train.max_length, test.max_length, 9)  # MiniRocket's kernels need at least 9 steps

    def arrays(data: Dataset) -> np.ndarray:
        return pre.transform(data, length=length).transpose(0, 2, 1).astype(np.float64)  # aeon: (n, channels, steps)

    started = time.perf_counter()
    clf = MiniRocketClassifier(random_state=seed, n_jobs=1).fit(arrays(train), classify.encode(train.y, classes))
    seconds = time.perf_counter() - started
    y_test = classify.encode(test.y, classes, test.source or "test")
    pred = clf.predict(arrays(test)).astype(int)
    proba = np.eye(len(classes))[pred]
    return {**classification_metrics(y_test, proba, classes), "train_seconds": seconds}


def mfcc_stats_logreg(train: Dataset, test: Dataset, *, sample_rate: int, duration: float | None = None) -> dict[str, Any]:
    """The classic audio baseline: the mean and standard deviation of each of 13 MFCCs over a clip
    (per channel), standardised, into logistic regression (one per tag for multi-label data, thresholds
    0.5). Trained on ``train`` and scored on ``test`` in the same run as the CNN."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..preprocess.audio import prepare
    from ..tasks import tag
    from .metrics import multilabel_metrics

    def stats(data: Dataset) -> np.ndarray:
        mfcc = prepare(data, front_end_name="mfcc", sample_rate=sample_rate, duration=duration)
        inside = mfcc.padding_mask()[:, :, None]
        count = np.maximum(mfcc.lengths, 1)[:, None]
        mean = np.where(inside, mfcc.values, 0).sum(axis=1) / count
        std = np.sqrt(np.where(inside, (mfcc.values - mean[:, None, :]) ** 2, 0).sum(axis=1) / count)
        return np.concatenate([mean, std], axis=1)

    started = time.perf_counter()
    features = stats(train)
    logistic = LogisticRegression(max_iter=3000, C=1.0)
    if tag.is_multilabel(train.y):
        from sklearn.multiclass import OneVsRestClassifier

        y_train, names = tag.fit_tags(train.y, train.class_names, train.source or "train")
        model = make_pipeline(StandardScaler(), OneVsRestClassifier(logistic)).fit(features, y_train.astype(int))
        seconds = time.perf_counter() - started
        y_test = tag.encode(test.y, test.class_names, names, test.source or "test").astype(int)
        proba = model.predict_proba(stats(test))
        return {**multilabel_metrics(y_test, proba, np.full(len(names), 0.5), names.tolist()),
                "train_seconds": round(seconds, 3)}
    model = make_pipeline(StandardScaler(), logistic)
    classes = classify.fit_classes(train.y, train.source or "train")
    model.fit(features, classify.encode(train.y, classes))
    seconds = time.perf_counter() - started
    proba = np.zeros((len(test), len(classes)))
    proba[:, model.classes_] = model.predict_proba(stats(test))
    y_test = classify.encode(test.y, classes, test.source or "test")
    return {**classification_metrics(y_test, proba, classes), "train_seconds": round(seconds, 3)}
