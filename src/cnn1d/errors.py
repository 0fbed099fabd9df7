"""One exception family, raised where input is validated.

The CLI prints the message of any :class:`Cnn1dError` on one line and exits non-zero, so every message
should name the file or argument at fault and say what to do about it.
"""

from __future__ import annotations


class Cnn1dError(Exception):
    """Base class of every error cnn1d raises on purpose."""


class DataError(Cnn1dError, ValueError):
    """Input data is missing, malformed or inconsistent with what a model expects."""


class ConfigError(Cnn1dError, ValueError):
    """A setting (flag, keyword argument, config file entry) has an invalid value."""


class BundleError(Cnn1dError):
    """A saved model bundle cannot be read: corrupt, truncated, or written by a newer cnn1d."""


class NotFittedError(Cnn1dError, AttributeError):
    """An estimator was used before `fit`."""


class InputWarning(UserWarning):
    """Data to predict on is unlike the training data (another scale, series shorter than any in training).

    The Python API warns with it; the CLI and the server report the same text in their own ``warnings``.
    """


# Optional dependencies -> the extra that installs them (pyproject.toml).
EXTRAS = {
    "keras": "train", "jax": "train", "jaxlib": "train", "sklearn": "train",
    "onnxruntime": "runtime", "jax2onnx": "export", "onnx": "export", "tensorflow": "litert", "ai_edge_litert": "litert",
    "fastapi": "serve", "uvicorn": "serve", "multipart": "serve", "python_multipart": "serve",
    "soundfile": "audio", "scipy": "audio", "statsforecast": "forecast", "statsmodels": "forecast", "matplotlib": "forecast",
    "optuna": "tune", "optuna_integration": "tune", "distributed": "cluster", "dask": "cluster",
}


def missing_extra(exc: ImportError) -> str | None:
    """For an import of an optional dependency that failed: what to install, in one line (else None)."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    extra = EXTRAS.get(name)
    if extra is None:
        return None
    what = {"train": "training, evaluating and explaining models need the Keras/JAX stack",
            "runtime": "running exported models needs onnxruntime", "export": "ONNX export needs jax2onnx and onnx",
            "litert": "LiteRT export and models need TensorFlow and ai-edge-litert",
            "serve": "cnn1d serve needs FastAPI and uvicorn", "audio": "reading audio needs soundfile and scipy",
            "forecast": "forecast baselines and plots need statsforecast and matplotlib",
            "tune": "cnn1d tune needs Optuna", "cluster": "a Dask executor needs dask.distributed"}[extra]
    return f"{what} ({name} is not installed): pip install \"cnn1d[{extra}]\""


def did_you_mean(value: object, choices) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices`` to a misspelt ``value``, else ``""``."""
    import difflib

    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
