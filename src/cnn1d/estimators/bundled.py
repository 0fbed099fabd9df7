"""Estimators to bundles and back: one state mechanism for every estimator.

An estimator's bundle state is its constructor parameters, the fitted attributes it names in ``_STATE``
(saved verbatim as JSON) and what ``_extra_state`` / ``_restore_extra`` handle (a preprocessor, a tokenizer,
classes). The file format itself lives in :mod:`cnn1d.bundle`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sklearn import exceptions as sklearn_exceptions

from .. import errors


class NotFittedError(errors.NotFittedError, sklearn_exceptions.NotFittedError):
    """Raised by an estimator used before ``fit``: a cnn1d error (one line in the CLI) that scikit-learn's
    tools recognise too."""


class FittedStateMixin:
    """An estimator's fitted state: ``_STATE`` names the fitted attributes saved verbatim (JSON);
    ``_extra_state`` / ``_restore_extra`` handle the rest. Constructor parameters travel too, so a loaded
    estimator clones and refits alike."""

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

    _STATE: tuple[str, ...] = ()
    _UNSAVED_PARAMS = ("out", "verbose", "resume")
    # Parameters renamed since a bundle was written: old name -> new name.
    _RENAMED_PARAMS: dict[str, str] = {}

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _restore_extra(self, state: dict[str, Any]) -> None:
        return None

    @classmethod
    def _upgrade_state(cls, state: dict[str, Any], config) -> dict[str, Any]:
        """A state written by an older cnn1d in the current layout (default: unchanged)."""
        return state

    def _bundle_state(self) -> dict[str, Any]:
        state = {name: getattr(self, name) for name in self._STATE}
        state["params"] = {k: v for k, v in self.get_params().items() if k not in self._UNSAVED_PARAMS}
        state.update(self._extra_state())
        return state

    @classmethod
    def _from_bundle_state(cls, config, state: dict[str, Any], model):
        state = cls._upgrade_state(state, config)
        params = {cls._RENAMED_PARAMS.get(k, k): v for k, v in state["params"].items()}
        est = cls(**params)
        est.model_, est.config_ = model, config
        for name in cls._STATE:
            setattr(est, name, state[name])
        est._restore_extra(state)
        return est

    def save(self, path, *, metrics: dict | None = None) -> Path:
        """Write one self-contained bundle file (see :mod:`cnn1d.bundle`)."""
        return save(self, path, metrics=metrics)


def save(estimator, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
    """Write a fitted estimator to ``path`` (``.cnn1d`` is appended when there is no suffix)."""
    from .. import __version__, bundle
    from .._backend import keras

    estimator._check_fitted()
    meta = {
        "cnn1d_version": __version__,
        "keras_version": keras().__version__,
        "backend": estimator.backend_,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "estimator": type(estimator).__name__,
        "config": (estimator.config_ if hasattr(estimator, "config_") else estimator.to_config()).to_dict(),
        "metrics": metrics or {},
        "state": estimator._bundle_state(),
    }
    return bundle.write(path, meta, estimator.model_)


def load(path: str | Path):
    """Load a bundle written by :func:`save` and return the fitted estimator."""
    from .. import bundle
    from ..config import RunConfig
    from ..errors import BundleError
    from . import CNNClassifier, CNNForecaster, CNNLanguageModel, CNNRegressor, CNNTextClassifier

    meta, model = bundle.read(path)
    classes = {c.__name__: c for c in (CNNClassifier, CNNRegressor, CNNForecaster, CNNTextClassifier, CNNLanguageModel)}
    try:
        config = RunConfig.from_dict(meta["config"])
        estimator = classes[meta["estimator"]]._from_bundle_state(config, meta["state"], model)
        estimator.backend_ = meta["backend"]
        estimator.metrics_ = meta.get("metrics", {})
        estimator.bundle_meta_ = {k: v for k, v in meta.items() if k not in ("config", "state")}
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"{path}: bundle metadata is incomplete or inconsistent ({exc})") from None
    return estimator
