"""One self-contained model file: the Keras model, preprocessing state, labels, config, metrics, versions.

A bundle is a zip archive holding ``bundle.json`` (everything but the weights, as JSON) and
``model.keras`` (the Keras native format). No pickle anywhere; the model loads with Keras
``safe_mode=True`` so a bundle cannot run code. Bundles are written atomically (temp file + rename).
"""

from __future__ import annotations

import io
import json
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any


from .errors import BundleError

FORMAT = "cnn1d-bundle"
FORMAT_VERSION = 1
SUFFIX = ".cnn1d"


def save(estimator, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
    """Write a fitted estimator to ``path`` (``.cnn1d`` is appended when there is no suffix)."""
    from . import __version__
    from ._backend import keras
    from .io_utils import atomic_path

    estimator._check_fitted()
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(SUFFIX)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "cnn1d_version": __version__,
        "keras_version": keras().__version__,
        "backend": estimator.backend_,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "estimator": type(estimator).__name__,
        "config": (estimator.config_ if hasattr(estimator, "config_") else estimator.to_config()).to_dict(),
        "metrics": metrics or {},
        "state": estimator._bundle_state(),
    }
    with tempfile.TemporaryDirectory(prefix="cnn1d-save-") as tmpdir:
        model_file = Path(tmpdir) / "model.keras"
        estimator.model_.save(model_file)
        with atomic_path(path) as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("bundle.json", json.dumps(meta, indent=1, allow_nan=True))
                archive.write(model_file, "model.keras")
    return path


def read_meta(path: str | Path) -> dict[str, Any]:
    """Read and check a bundle's metadata without loading the model."""
    path = Path(path)
    archive = _open(path)
    with archive:
        return _meta(archive, path)


def load(path: str | Path):
    """Load a bundle written by :func:`save` and return the fitted estimator."""
    from ._backend import keras
    from .config import RunConfig
    from .estimators import CNNClassifier, CNNForecaster, CNNLanguageModel, CNNRegressor, CNNTextClassifier
    from .models import registry

    path = Path(path)
    with _open(path) as archive:
        meta = _meta(archive, path)
        try:
            model_bytes = archive.read("model.keras")
        except (KeyError, zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as exc:
            raise BundleError(f"{path}: the model inside the bundle is missing or damaged ({exc})") from None
    registry.list_models()  # registers every family before Keras deserialises the graph
    with tempfile.TemporaryDirectory(prefix="cnn1d-load-") as tmpdir:
        model_file = Path(tmpdir) / "model.keras"
        model_file.write_bytes(model_bytes)
        try:
            model = keras().saving.load_model(model_file, compile=False, safe_mode=True)
        except Exception as exc:  # Keras raises many types for a bad file; all mean the same to a user
            raise BundleError(f"{path}: the Keras model inside the bundle cannot be loaded ({exc.__class__.__name__}: {exc})") from None
    try:
        config = RunConfig.from_dict(meta["config"])
        cls = {"CNNClassifier": CNNClassifier, "CNNRegressor": CNNRegressor, "CNNForecaster": CNNForecaster,
               "CNNTextClassifier": CNNTextClassifier, "CNNLanguageModel": CNNLanguageModel}[meta["estimator"]]
        estimator = cls._from_bundle_state(config, meta["state"], model)
        estimator.backend_ = meta["backend"]
        estimator.metrics_ = meta.get("metrics", {})
        estimator.bundle_meta_ = {k: v for k, v in meta.items() if k not in ("config", "state")}
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"{path}: bundle metadata is incomplete or inconsistent ({exc})") from None
    return estimator


def _open(path: Path) -> zipfile.ZipFile:
    if not path.exists():
        raise BundleError(f"{path}: bundle file not found")
    if path.is_dir():
        raise BundleError(f"{path}: is a folder, not a bundle file")
    try:
        archive = zipfile.ZipFile(path)
        bad = archive.testzip()
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise BundleError(f"{path}: not a cnn1d bundle, or the file is truncated or corrupt ({exc})") from None
    if bad is not None:
        archive.close()
        raise BundleError(f"{path}: the bundle is corrupt (member {bad} fails its checksum)")
    return archive


def _meta(archive: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    from . import __version__

    try:
        meta = json.load(io.BytesIO(archive.read("bundle.json")))
    except KeyError:
        raise BundleError(f"{path}: not a cnn1d bundle (no bundle.json inside)") from None
    except ValueError as exc:
        raise BundleError(f"{path}: bundle metadata is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise BundleError(f"{path}: not a cnn1d bundle (format marker missing)")
    version = meta.get("format_version")
    if not isinstance(version, int):
        raise BundleError(f"{path}: bundle has no valid format_version")
    if version > FORMAT_VERSION:
        raise BundleError(
            f"{path}: written by cnn1d {meta.get('cnn1d_version', '?')} in bundle format {version}; this cnn1d "
            f"({__version__}) reads format {FORMAT_VERSION} and older. Upgrade: pip install -U cnn1d"
        )
    return meta
