"""CNNClassifier: a 1D CNN classifier (single-label) and tagger (multi-label) with the scikit-learn contract."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin

from ..errors import ConfigError, DataError
from ..tasks import classify, tag
from .base import MIN_AUTO_VALIDATION, CNNEstimator

# Fewer held-out series than this fit a temperature that does not hold on the test set (see calibrate).
MIN_CALIBRATION = MIN_AUTO_VALIDATION


class CNNClassifier(ClassifierMixin, CNNEstimator):
    """Train a registered 1D CNN (``model="default"``: MiniRocket with a ridge head; five LITE networks for
    multi-label tags) on labelled series or clips.

    Example::

        from cnn1d import CNNClassifier, datasets
        train, test = datasets.load("gunpoint")
        clf = CNNClassifier(seed=0).fit(train)
        clf.score(test)          # accuracy
        clf.predict_proba(test)  # (n, n_classes), columns ordered as clf.classes_

    Multi-label tagging: give ``y`` as a 0/1 matrix ``(n, n_tags)`` (a Dataset names its columns in
    ``class_names``) or as lists of tags per series. The network then ends in sigmoids, each tag gets
    the decision threshold that maximises its F1 on the validation split (``thresholds_``), ``predict``
    returns a 0/1 matrix (columns ordered as ``classes_``), ``score`` is micro-F1 and ``evaluate``
    reports micro/macro F1, subset accuracy and mAP.

    Parameters: see :class:`~cnn1d.estimators.base.CNNEstimator`.
    Input: a :class:`~cnn1d.data.dataset.Dataset`, an array ``(n, steps)`` or ``(n, steps, channels)``
    (NaN marks missing values), or a list of variable-length series.
    """

    task = "classify"

    def _config_task(self) -> str:
        return "tag" if getattr(self, "multilabel_", False) else "classify"

    def _task_module(self):
        return tag if getattr(self, "multilabel_", False) else classify

    def _fit_targets(self, y: Any, where: str, names: list | None = None) -> np.ndarray:
        self.multilabel_ = tag.is_multilabel(y)
        if self.multilabel_ and self.calibrate:
            raise ConfigError("calibrate (--calibrate) applies to single-label classifiers; taggers tune a threshold "
                              "per tag instead")
        if self.multilabel_:
            if self.class_weight == "balanced":
                raise ConfigError("class_weight='balanced' is for single-label classification, not multi-label tagging")
            targets, self.classes_ = tag.fit_tags(y, names, where)
            return targets
        self.classes_ = classify.fit_classes(y, where)
        return classify.encode(y, self.classes_, where)

    def _encode_targets(self, y: Any, where: str, names: list | None = None) -> np.ndarray:
        if self.multilabel_:
            return tag.encode(y, names, self.classes_, where)
        return classify.encode(y, self.classes_, where)

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _keras_metrics(self) -> list[str]:
        return [] if self.multilabel_ else ["accuracy"]

    def _stratify_labels(self, targets: np.ndarray):
        return None if self.multilabel_ else targets

    def _class_weights(self, y: np.ndarray) -> dict[int, float]:
        from sklearn.utils.class_weight import compute_class_weight

        present = np.unique(y)
        weights = compute_class_weight("balanced", classes=present, y=y)
        return {int(c): float(w) for c, w in zip(present, weights)}

    def _check_params(self) -> None:
        if self.calibrate and self.validation_fraction == 0:
            raise ConfigError("calibrate (--calibrate) fits the temperature on the validation split; "
                              "validation_fraction=0 leaves none")

    def _calibrate(self, data: tuple[np.ndarray, np.ndarray], held_out: bool) -> None:
        from .. import models

        self.temperature_ = 1.0
        self.calibration_skipped_ = None
        X, y = data
        if not (self.multilabel_ or self.calibrate):
            return
        if self.calibrate and self.model in models.MIXED_ENSEMBLES:
            self.calibration_skipped_ = (f"{self.model}'s closed-form member fits on every training series, the "
                                         "validation split included, so that split no longer measures the ensemble: "
                                         "probabilities left as combined")
            return
        if self.calibrate and not held_out and self._closed_form():
            self.calibration_skipped_ = ("a closed-form fit (minirocket's ridge head) already fits a softmax temperature "
                                         "on its leave-one-out scores, and the default keeps no validation split; set "
                                         "validation_fraction to calibrate on held-out series too: probabilities left "
                                         "as fitted")
            return
        if self.calibrate and (not held_out or len(y) < MIN_CALIBRATION):
            held = len(y) if held_out else 0
            self.calibration_skipped_ = (f"the validation split holds {held} series; temperature scaling needs at least "
                                         f"{MIN_CALIBRATION} (set validation_fraction, or give more data): "
                                         "probabilities left as trained")
            return
        proba = np.asarray(self.model_.predict(X, batch_size=256, verbose=0))
        if self.multilabel_:
            from ..evaluation.metrics import best_thresholds

            self.thresholds_ = best_thresholds(y.astype(int), proba)
            return
        self.temperature_ = classify.fit_temperature(proba, y)

    def _closed_form(self) -> bool:
        from .. import models

        return any(models.get(m["model"]).fit is not None for m in getattr(self, "members_", []) if "model" in m)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (rows sum to 1; temperature-scaled when fitted with ``calibrate``), or for a
        tagger each tag's independent probability."""
        proba = self._raw_predict(X).astype(np.float64)
        temperature = getattr(self, "temperature_", 1.0)
        return proba if temperature == 1.0 else classify.apply_temperature(proba, temperature)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels, or for a tagger a 0/1 matrix (columns ordered as ``classes_``)."""
        proba = self.predict_proba(X)
        if self.multilabel_:
            return (proba >= self.thresholds_[None, :]).astype(int)
        return self.classes_[proba.argmax(axis=1)]

    def predict_tags(self, X: Any) -> list[list]:
        """A tagger's predictions as lists of tag names."""
        if not getattr(self, "multilabel_", False):
            raise ConfigError("predict_tags is for multi-label taggers; use predict for single-label classifiers")
        return [[c for c, on in zip(self.classes_.tolist(), row) if on] for row in self.predict(X)]

    def _truth(self, X: Any, y: Any, verb: str):
        from .base import as_dataset

        self._check_fitted()
        data = as_dataset(X, y, value_columns=getattr(self, "value_columns_", None))
        if data.y is None:
            raise DataError(f"{verb} needs labels: pass y or a labelled Dataset")
        if self.multilabel_:
            return data, tag.encode(data.y, data.class_names, self.classes_, data.source or "y").astype(int)
        return data, classify.encode(data.y, self.classes_, data.source or "y")

    def score(self, X: Any, y: Any = None, sample_weight=None) -> float:
        """Accuracy, or micro-F1 for a tagger."""
        if getattr(self, "multilabel_", False):
            return float(self.evaluate(X, y)["micro_f1"])
        data, truth = self._truth(X, y, "score")
        pred = self.predict_proba(data).argmax(axis=1)
        return float(np.average(pred == truth, weights=sample_weight))

    def evaluate(self, X: Any, y: Any = None, *, calibrated: bool = True) -> dict[str, Any]:
        """Accuracy, balanced accuracy, macro-F1, log-loss, expected calibration error (ECE), Brier score and
        the confusion matrix; for a tagger micro/macro F1 at the tuned thresholds, subset accuracy and mAP.
        ``calibrated=False`` scores the probabilities before temperature scaling."""
        from ..evaluation.metrics import classification_metrics, multilabel_metrics

        data, truth = self._truth(X, y, "evaluate")
        proba = self.predict_proba(data) if calibrated else self._raw_predict(data).astype(np.float64)
        if self.multilabel_:
            return multilabel_metrics(truth, proba, self.thresholds_, self.classes_.tolist())
        return classification_metrics(truth, proba, self.classes_)
