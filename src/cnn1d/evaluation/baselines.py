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
