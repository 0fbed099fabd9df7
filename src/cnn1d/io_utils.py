"""Where and how cnn1d writes files: atomically (a temp file in the target's folder, then a rename, so readers never
see half a file), and never into the user's home behind their back."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temp path beside ``target`` (same suffix, so Keras accepts it); rename it over ``target``
    when the block succeeds, delete it when it fails."""
    target = _not_a_folder(Path(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(target.suffixes[-2:]) if target.name.endswith(".weights.h5") else target.suffix
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp" + suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as Keras refuse or append to an existing file
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(target: str | Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


def private_matplotlib_home() -> None:
    """Matplotlib makes ~/.config/matplotlib and a font cache in ~/.cache/matplotlib on first import (statsmodels
    imports it too). For a user who has neither, cnn1d points it at a temporary folder removed at exit, so
    nothing is left outside --out. Must run before matplotlib is imported."""
    import atexit
    import os
    import shutil
    import tempfile

    if "MPLCONFIGDIR" in os.environ:
        return
    home = Path.home()
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "matplotlib"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "matplotlib"
    if config.exists() or cache.exists():
        return
    folder = tempfile.mkdtemp(prefix="cnn1d-matplotlib-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ["MPLCONFIGDIR"] = folder


# Files a table of predictions or forecasts is written as, by the name's suffix (no suffix: CSV).
TABLE_SUFFIXES = ("", ".csv", ".tsv", ".txt", ".json", ".jsonl")


def check_table_path(target: str | Path) -> Path:
    """``target`` when its suffix names a table format this writes; refused before any work is done (a
    ``predictions.json`` or ``.xlsx`` held CSV text, with exit 0)."""
    from .errors import ConfigError

    target = Path(target)
    if target.suffix.lower() not in TABLE_SUFFIXES:
        raise ConfigError(f"--out {target}: tables are written as .csv, .tsv, .json (one list of records) or .jsonl "
                          f"(one record per line), not {target.suffix}")
    return _not_a_folder(target)


def _not_a_folder(target: Path) -> Path:
    if target.is_dir():
        from .errors import ConfigError

        raise ConfigError(f"{target} is a folder; give the path of a file to write (in it, or elsewhere)")
    return target


def write_table(frame, target: str | Path) -> None:
    """Write ``frame`` atomically in the format its suffix names (see TABLE_SUFFIXES)."""
    import json

    target = check_table_path(target)
    suffix = target.suffix.lower()
    if suffix in (".json", ".jsonl"):
        records = json.loads(frame.to_json(orient="records", date_format="iso"))  # numpy and timestamps as JSON
        text = (json.dumps(records, indent=1) + "\n" if suffix == ".json"
                else "".join(json.dumps(r) + "\n" for r in records))
    else:
        text = frame.to_csv(index=False, sep="\t" if suffix == ".tsv" else ",")
    atomic_write_text(target, text)
