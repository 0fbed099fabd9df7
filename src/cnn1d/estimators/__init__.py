from .base import CNNEstimator, as_dataset
from .classifier import CNNClassifier
from .regressor import CNNRegressor

__all__ = ["CNNClassifier", "CNNEstimator", "CNNRegressor", "as_dataset"]
