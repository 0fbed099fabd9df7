"""CNNRegressor: a 1D CNN for series-to-number regression with the scikit-learn contract."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin

from ..errors import DataError
from ..tasks import regress
from .base import CNNEstimator


class CNNRegressor(RegressorMixin, CNNEstimator):
    """Train a registered 1D CNN to predict one number per series.

    Targets are standardised with the training mean and standard deviation for the fit and mapped back
    for predictions, so the learning rate works whatever the target scale.

    Example::

        reg = CNNRegressor(model="fcn", seed=0).fit(X_train, y_train)
        reg.predict(X_test); reg.score(X_test, y_test)  # R^2
    """

    task = "regress"

    def _check_params(self) -> None:
        from ..errors import ConfigError

        if self.class_weight is not None:
            raise ConfigError("class_weight (--class-weight) weighs classes; a regressor has none. Remove it")
        if self.calibrate:
            raise ConfigError("calibrate (--calibrate) scales class probabilities; a regressor has none. Remove it")

    def _fit_targets(self, y: Any, where: str, names: list | None = None) -> np.ndarray:
        y = regress.as_targets(y, where)
        self.target_mean_ = float(y.mean())
        self.target_std_ = float(y.std()) or 1.0
        return ((y - self.target_mean_) / self.target_std_).astype(np.float32)

    def _encode_targets(self, y: Any, where: str, names: list | None = None) -> np.ndarray:
        return ((regress.as_targets(y, where) - self.target_mean_) / self.target_std_).astype(np.float32)

    def _n_outputs(self) -> int:
        return 1

    def _keras_metrics(self) -> list[str]:
        return []

    def predict(self, X: Any) -> np.ndarray:
        return self._raw_predict(X)[:, 0].astype(np.float64) * self.target_std_ + self.target_mean_

    def evaluate(self, X: Any, y: Any = None) -> dict[str, Any]:
        """RMSE, MAE and R^2."""
        from ..evaluation.metrics import regression_metrics
        from .base import as_dataset

        data = as_dataset(X, y, value_columns=getattr(self, "value_columns_", None))
        if data.y is None:
            raise DataError("evaluate needs targets: pass y or a labelled Dataset")
        return regression_metrics(regress.as_targets(data.y, data.source or "y"), self.predict(data))

    def score(self, X: Any, y: Any = None, sample_weight=None) -> float:
        from sklearn.metrics import r2_score

        from .base import as_dataset

        data = as_dataset(X, y, value_columns=getattr(self, "value_columns_", None))
        if data.y is None:
            raise DataError("score needs targets: pass y or a labelled Dataset")
        return float(r2_score(regress.as_targets(data.y, "y"), self.predict(data), sample_weight=sample_weight))
