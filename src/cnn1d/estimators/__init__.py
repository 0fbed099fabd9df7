from .base import CNNEstimator, as_dataset
from .classifier import CNNClassifier
from .forecaster import CNNForecaster
from .regressor import CNNRegressor
from .text_classifier import CNNTextClassifier

__all__ = ["CNNClassifier", "CNNEstimator", "CNNForecaster", "CNNRegressor", "CNNTextClassifier", "as_dataset"]
