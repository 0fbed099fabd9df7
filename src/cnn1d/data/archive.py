"""Download UCR/UEA archive datasets by name into a cache, with checksum verification.

The archive site serves one zip per dataset holding ``NAME_TRAIN.ts`` / ``NAME_TEST.ts`` (and often
``.arff``/``.txt`` copies). A download is verified as a readable zip, its SHA-256 is recorded in
``checksums.json`` in the cache, and every later use re-checks the cached zip against that record (or
against a checksum the caller pins), so a corrupted or swapped file is caught.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from ..errors import DataError
from ..io_utils import atomic_path, atomic_write_text

ARCHIVE_URL = "https://www.timeseriesclassification.com/aeon-toolkit/{name}.zip"
_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")


def default_cache_dir() -> Path:
    env = os.environ.get("CNN1D_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cnn1d" / "archives"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(name: str, *, cache_dir: str | Path | None = None, url: str | None = None, sha256: str | None = None,
          timeout: float = 60.0) -> tuple[Path, Path]:
    """Return local paths of ``NAME_TRAIN`` and ``NAME_TEST`` for an archive dataset, downloading if needed.

    Args:
        name: dataset name as the archive spells it (``"ECG200"``, ``"BasicMotions"``).
        cache_dir: where zips and extracted files live (default ``$CNN1D_CACHE`` or ``~/.cache/cnn1d/archives``).
        url: override the download address (a mirror); ``{name}`` is substituted.
        sha256: expected checksum of the zip; when omitted the first download's checksum is recorded.
    """
    if not _NAME.match(name):
        raise DataError(f"{name!r} is not a valid archive dataset name (letters, digits, '_' and '-' only)")
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    zip_path = cache / f"{name}.zip"
    records_path = cache / "checksums.json"
    records = json.loads(records_path.read_text()) if records_path.exists() else {}
    if not zip_path.exists():
        # The cache folder is made only once a download has succeeded: a failed one leaves nothing behind.
        with tempfile.TemporaryDirectory(prefix="cnn1d-download-") as tmpdir:
            partial = Path(tmpdir) / f"{name}.zip"
            try:
                _download((url or ARCHIVE_URL).format(name=name), partial, timeout)
            except DataError as exc:
                if "are you offline?" not in str(exc):
                    raise
                raise DataError(f"{exc} Without a network: copy {name}.zip from the archive into {cache} (it is used "
                                f"from there), or pass the files themselves: --data {name}_TRAIN.ts --test "
                                f"{name}_TEST.ts") from None
            cache.mkdir(parents=True, exist_ok=True)
            with atomic_path(zip_path) as tmp:
                shutil.copyfile(partial, tmp)
    digest = sha256_of(zip_path)
    expected = sha256 or records.get(name)
    if expected and digest != expected:
        raise DataError(
            f"{zip_path}: checksum {digest[:12]}... does not match the expected {expected[:12]}...; "
            "delete the file to download it again"
        )
    if not zipfile.is_zipfile(zip_path):
        raise DataError(f"{zip_path}: not a zip archive; delete it to download again")
    if name not in records:
        records[name] = digest
        atomic_write_text(records_path, json.dumps(records, indent=2, sort_keys=True))
    return _extract(zip_path, cache / name, name)


def _download(url: str, target: Path, timeout: float) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, atomic_path(target) as tmp:
            with open(tmp, "wb") as fh:
                shutil.copyfileobj(response, fh)
            if not zipfile.is_zipfile(tmp):
                raise DataError(f"{url}: the download is not a zip archive (wrong name or a proxy page?)")
    except urllib.error.HTTPError as exc:
        raise DataError(f"{url}: download failed with HTTP {exc.code}; check the dataset name") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DataError(f"{url}: download failed ({getattr(exc, 'reason', exc)}); are you offline?") from None


def _extract(zip_path: Path, folder: Path, name: str) -> tuple[Path, Path]:
    with zipfile.ZipFile(zip_path) as archive:
        members = {Path(m).name: m for m in archive.namelist() if not m.endswith("/")}
        for ext in (".ts", ".tsv", ".arff", ".txt"):
            train, test = f"{name}_TRAIN{ext}", f"{name}_TEST{ext}"
            if train in members and test in members:
                folder.mkdir(parents=True, exist_ok=True)
                paths = []
                for member in (train, test):
                    target = folder / member
                    if not target.exists():
                        with archive.open(members[member]) as src, atomic_path(target) as tmp:
                            tmp.write_bytes(src.read())
                    paths.append(target)
                return paths[0], paths[1]
    raise DataError(f"{zip_path}: holds no {name}_TRAIN/{name}_TEST pair in .ts, .tsv, .arff or .txt format")
