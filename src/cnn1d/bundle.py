"""The bundle file format: one zip archive holding ``bundle.json`` (everything but the weights, as JSON) and
``model.keras`` (the Keras native format).

This module knows the format only, not the estimators (:mod:`cnn1d.estimators.bundled` turns an estimator
into metadata and back). No pickle anywhere; the model loads with Keras ``safe_mode=True`` so a bundle cannot
run code. ``bundle.json`` carries SHA-256 digests of the model file and of the fitted state, checked at load:
a class list or scaling edited by hand, or a ``bundle.json`` from another bundle, is refused instead of
silently inverting predictions. Bundles are written atomically (temp file + rename).
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from .errors import BundleError

FORMAT = "cnn1d-bundle"
FORMAT_VERSION = 1
SUFFIX = ".cnn1d"


def _state_digest(state: Any) -> str:
    canonical = json.dumps(json.loads(json.dumps(state, allow_nan=True)), sort_keys=True, allow_nan=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def write(path: str | Path, meta: dict[str, Any], model) -> Path:
    """Write ``meta`` (JSON-serialisable; its ``state`` entry is the fitted state) and a Keras ``model`` to
    ``path`` (``.cnn1d`` is appended when there is no suffix)."""
    from .io_utils import atomic_path

    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(SUFFIX)
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, **meta}
    with tempfile.TemporaryDirectory(prefix="cnn1d-save-") as tmpdir:
        model_file = Path(tmpdir) / "model.keras"
        # Without the optimizer: a bundle is loaded uncompiled, and Adam's two moment tensors would triple the
        # file (Chinese text model with n-gram channels: bundle 100 MB -> 33 MB). Training resumes from checkpoints.
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None:
            model.optimizer = None
        try:
            model.save(model_file)
        finally:
            if optimizer is not None:
                model.optimizer = optimizer
        model_bytes = model_file.read_bytes()
        meta["digest"] = {"model": hashlib.sha256(model_bytes).hexdigest(), "state": _state_digest(meta.get("state"))}
        with atomic_path(path) as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("bundle.json", json.dumps(meta, indent=1, allow_nan=True))
                archive.writestr("model.keras", model_bytes)
    return path


# The bundle's name inside a run directory written by `cnn1d train --out DIR`.
RUN_BUNDLE = "model.cnn1d"


def bundle_file(path: str | Path) -> Path:
    """``path``, or the bundle inside it when it is a run directory (``cnn1d report`` takes those, so users pass
    them to the other commands too)."""
    path = Path(path)
    if path.is_dir():
        if not (path / RUN_BUNDLE).is_file():
            raise BundleError(f"{path}: is a folder without a {RUN_BUNDLE}; give a bundle file, or a run directory "
                              "written by `cnn1d train --out`")
        return path / RUN_BUNDLE
    return path


def read_meta(path: str | Path) -> dict[str, Any]:
    """Read and check a bundle's metadata without loading the model."""
    path = Path(path)
    with _open(path) as archive:
        return _meta(archive, path)


def read(path: str | Path) -> tuple[dict[str, Any], Any]:
    """``(meta, keras_model)`` of a bundle, after checking its format version and digests."""
    from ._backend import keras
    from .models import registry

    path = Path(path)
    with _open(path) as archive:
        meta = _meta(archive, path)
        try:
            model_bytes = archive.read("model.keras")
        except (KeyError, zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as exc:
            raise BundleError(f"{path}: the model inside the bundle is missing or damaged ({exc})") from None
    digest = meta.get("digest")
    if digest is not None:  # bundles from before digests were recorded load unchecked
        if not isinstance(digest, dict) or hashlib.sha256(model_bytes).hexdigest() != digest.get("model"):
            raise BundleError(f"{path}: model.keras does not match the digest in bundle.json (the archive was "
                              "edited or assembled from two bundles); use the bundle as cnn1d wrote it, or retrain")
        if _state_digest(meta.get("state")) != digest.get("state"):
            raise BundleError(f"{path}: the fitted state in bundle.json (classes, scaling, thresholds) was changed "
                              "after saving; use the bundle as cnn1d wrote it, or retrain")
    registry.list_models()  # registers every family before Keras deserialises the graph
    with tempfile.TemporaryDirectory(prefix="cnn1d-load-") as tmpdir:
        model_file = Path(tmpdir) / "model.keras"
        model_file.write_bytes(model_bytes)
        try:
            model = keras().saving.load_model(model_file, compile=False, safe_mode=True)
        except Exception as exc:  # Keras raises many types for a bad file; all mean the same to a user
            raise BundleError(f"{path}: the Keras model inside the bundle cannot be loaded ({exc.__class__.__name__}: {exc})") from None
    return meta, model


def _open(path: Path) -> zipfile.ZipFile:
    if not path.exists():
        raise BundleError(f"{path}: bundle file not found")
    path = bundle_file(path)
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
