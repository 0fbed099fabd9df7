"""CNNClassifier: a 1D CNN time-series classifier with the scikit-learn contract."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin

from ..tasks import classify
from .base import CNNEstimator


class CNNClassifier(ClassifierMixin, CNNEstimator):
    """Train a registered 1D CNN (``model="fcn"`` by default) on labelled series.

    Example::

        from cnn1d import CNNClassifier, datasets
        train, test = datasets.load("gunpoint")
        clf = CNNClassifier(seed=0).fit(train)
        clf.score(test)          # accuracy
        clf.predict_proba(test)  # (n, n_classes), columns ordered as clf.classes_

    Parameters are the fields of :class:`cnn1d.config.RunConfig` (see its docstring), plus ``resume``.
    Input: a :class:`~cnn1d.data.dataset.Dataset`, an array ``(n, steps)`` or ``(n, steps, channels)``
    (NaN marks missing values), or a list of variable-length series.
    """

    task = "classify"

    def _fit_targets(self, y: Any, where: str) -> np.ndarray:
        self.classes_ = classify.fit_classes(y, where)
        return classify.encode(y, self.classes_, where)

    def _encode_targets(self, y: Any, where: str) -> np.ndarray:
        return classify.encode(y, self.classes_, where)

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _keras_metrics(self) -> list[str]:
        return ["accuracy"]

    def _stratify(self, targets: np.ndarray, n_val: int):
        counts = np.bincount(targets)
        if counts.min() >= 2 and n_val >= len(counts) and len(targets) - n_val >= len(counts):
            return targets
        return None

    def _class_weights(self, y: np.ndarray) -> dict[int, float]:
        from sklearn.utils.class_weight import compute_class_weight

        present = np.unique(y)
        weights = compute_class_weight("balanced", classes=present, y=y)
        return {int(c): float(w) for c, w in zip(present, weights)}

    def predict_proba(self, X: Any) -> np.ndarray:
        return self._raw_predict(X).astype(np.float64)

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def score(self, X: Any, y: Any = None, sample_weight=None) -> float:
        from .base import as_dataset

        self._check_fitted()
        data = as_dataset(X, y)
        if data.y is None:
            raise ValueError("score needs labels: pass y or a labelled Dataset")
        truth = classify.encode(data.y, self.classes_, data.source or "y")
        pred = self.predict_proba(data).argmax(axis=1)
        return float(np.average(pred == truth, weights=sample_weight))

    def evaluate(self, X: Any, y: Any = None) -> dict[str, Any]:
        """All classification metrics (accuracy, balanced accuracy, macro-F1, log-loss, confusion matrix)."""
        from ..evaluation.metrics import classification_metrics
        from .base import as_dataset

        self._check_fitted()
        data = as_dataset(X, y)
        if data.y is None:
            raise ValueError("evaluate needs labels: pass y or a labelled Dataset")
        truth = classify.encode(data.y, self.classes_, data.source or "y")
        return classification_metrics(truth, self.predict_proba(data), self.classes_)
