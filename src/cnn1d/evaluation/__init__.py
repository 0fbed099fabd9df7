from .metrics import classification_metrics, regression_metrics

__all__ = ["classification_metrics", "regression_metrics"]
