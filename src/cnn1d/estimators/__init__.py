from .base import CNNEstimator, as_dataset
from .classifier import CNNClassifier
from .forecaster import CNNForecaster
from .regressor import CNNRegressor

__all__ = ["CNNClassifier", "CNNEstimator", "CNNForecaster", "CNNRegressor", "as_dataset"]
