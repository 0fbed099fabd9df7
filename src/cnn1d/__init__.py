"""cnn1d: 1D convolutional neural networks for time series, audio and text.

Five lines from data to a saved model::

    import cnn1d
    train, test = cnn1d.datasets.load("gunpoint")
    clf = cnn1d.CNNClassifier(model="fcn", epochs=200, seed=0).fit(train)
    print(clf.score(test))
    clf.save("gunpoint.cnn1d"); same = cnn1d.load("gunpoint.cnn1d")

Heavy modules (Keras, the backend, scikit-learn) are imported only when first used, so
``import cnn1d`` stays fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "CNNClassifier": ("cnn1d.estimators", "CNNClassifier"),
    "CNNRegressor": ("cnn1d.estimators", "CNNRegressor"),
    "CNNForecaster": ("cnn1d.estimators", "CNNForecaster"),
    "CNNTextClassifier": ("cnn1d.estimators", "CNNTextClassifier"),
    "CNNLanguageModel": ("cnn1d.estimators", "CNNLanguageModel"),
    "Dataset": ("cnn1d.data.dataset", "Dataset"),
    "RunConfig": ("cnn1d.config", "RunConfig"),
    "load": ("cnn1d.estimators.bundled", "load"),
    "read": ("cnn1d.data.readers", "read"),
    "datasets": ("cnn1d.datasets", None),
    "errors": ("cnn1d.errors", None),
    "models": ("cnn1d.models", None),
    "tune": ("cnn1d.tuning", "tune"),
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'cnn1d' has no attribute {name!r}") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        from .errors import missing_extra

        hint = missing_extra(exc)
        if hint is None:
            raise
        raise ImportError(f"cnn1d.{name}: {hint}", name=exc.name) from exc
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__():
    return __all__
