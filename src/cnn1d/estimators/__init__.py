from .base import CNNEstimator, as_dataset
from .classifier import CNNClassifier
from .forecaster import CNNForecaster
from .language_model import CNNLanguageModel
from .regressor import CNNRegressor
from .text_classifier import CNNTextClassifier

__all__ = ["CNNClassifier", "CNNEstimator", "CNNForecaster", "CNNLanguageModel", "CNNRegressor", "CNNTextClassifier", "as_dataset"]
