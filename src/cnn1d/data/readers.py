"""Readers for the common 1D-series file formats; each returns a :class:`Dataset`.

Supported: UCR ``.tsv`` (label first, then values), sktime/aeon ``.ts`` (uni/multivariate, variable
length, ``?`` missing values, classification and regression headers), Weka ``.arff`` (flat and
relational/multivariate), CSV in wide (one row per series) or long (id, time, value) layout, and NumPy
``.npy`` / ``.npz``. Any of them may be gzip-compressed (``.gz``).
"""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import DataError
from .dataset import Dataset

LABEL_COLUMN_NAMES = ("label", "class", "target", "y")
ID_COLUMN_NAMES = ("id", "series_id", "series", "case_id", "instance")
TIME_COLUMN_NAMES = ("time", "timestamp", "t", "step", "date")


def read(path: str | Path, *, labels: str = "auto", label_column: str | None = None) -> Dataset:
    """Read a series file, choosing the reader from the file extension.

    Args:
        path: the file (``.tsv``, ``.ts``, ``.arff``, ``.csv``, ``.npy``, ``.npz``, optionally ``.gz``).
        labels: ``"auto"`` (read labels where the format or columns have them), ``"required"`` (fail when
            there are none) or ``"none"`` (ignore any label column).
        label_column: CSV only: the column holding labels or targets.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; give a data file (.tsv, .ts, .arff, .csv, .npy, .npz)")
    suffix = _format_suffix(path)
    reader = _READERS.get(suffix)
    if reader is None:
        raise DataError(f"{path}: unknown file type {suffix or '(none)'}; supported: {', '.join(sorted(_READERS))}")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    try:
        dataset = reader(path, labels=labels, label_column=label_column)
    except DataError:
        raise
    except (UnicodeDecodeError, EOFError, OSError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read the file ({exc.__class__.__name__}: {exc}); is it corrupt?") from None
    if labels == "required" and dataset.y is None:
        raise DataError(f"{path}: holds no labels; training and evaluation need a label or target for every series")
    if labels == "none":
        dataset.y = None
    return dataset


def find_test_file(train_path: str | Path) -> Path | None:
    """The ``*_TEST.*`` file beside a ``*_TRAIN.*`` file, if it exists."""
    train_path = Path(train_path)
    if "_TRAIN" not in train_path.name:
        return None
    candidate = train_path.with_name(train_path.name.replace("_TRAIN", "_TEST"))
    return candidate if candidate.is_file() else None


def _format_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix.lower() == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def _dataset_name(path: Path) -> str:
    stem = path.name.split(".")[0]
    return re.sub(r"_(TRAIN|TEST)$", "", stem)


def normalise_label(token: str) -> str:
    """``"1.0000000e+00"`` and ``"1"`` name the same class; strings stay as written."""
    token = token.strip().strip("'\"")
    try:
        number = float(token)
    except ValueError:
        return token
    if np.isfinite(number) and number == int(number):
        return str(int(number))
    return token


def _parse_float(token: str, where: str) -> float:
    token = token.strip()
    if token in ("?", "", "NaN", "nan", "NA"):
        return np.nan
    try:
        return float(token)
    except ValueError:
        raise DataError(f"{where}: {token!r} is not a number") from None


# -- UCR .tsv -----------------------------------------------------------------------------------
def read_ucr_tsv(path: Path, *, labels: str = "auto", label_column: str | None = None) -> Dataset:
    """UCR 2018 layout: one series per line, the label first, values after; tab (or comma) separated.

    Shorter series in variable-length UCR datasets are padded with trailing NaN; those become lengths.
    """
    import pandas as pd

    sep = "\t"
    with _open_text(path) as fh:
        first = fh.readline()
    if "\t" not in first and "," in first:
        sep = ","
    try:
        frame = pd.read_csv(path, sep=sep, header=None, dtype=str, keep_default_na=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file holds no rows") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: rows have inconsistent numbers of fields ({exc})") from None
    if frame.shape[1] < 2:
        raise DataError(f"{path}: each row needs a label and at least one value, found {frame.shape[1]} field(s)")
    raw_labels = frame.iloc[:, 0].to_numpy()
    values = _numeric_block(frame.iloc[:, 1:], path, first_column=2)
    y = np.array([normalise_label(t) for t in raw_labels], dtype=object)
    return Dataset.from_array(values, None if labels == "none" else y, source=str(path), name=_dataset_name(path))


def _numeric_block(frame, path: Path, first_column: int = 1) -> np.ndarray:
    import pandas as pd

    text = frame.replace({"?": "nan", "": "nan", "NA": "nan"})
    numeric = text.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & ~text.isin(["nan", "NaN"]) & text.notna()
    if bad.to_numpy().any():
        row, col = np.argwhere(bad.to_numpy())[0]
        name = frame.columns[col]
        column = f"column {name!r}" if isinstance(name, str) else f"column {col + first_column}"
        raise DataError(f"{path}: data row {row + 1}, {column} holds {text.iat[row, col]!r}, which is not a number")
    return numeric.to_numpy(dtype=np.float32)


# -- sktime / aeon .ts --------------------------------------------------------------------------
def read_ts(path: Path, *, labels: str = "auto", label_column: str | None = None) -> Dataset:
    header: dict[str, str] = {}
    class_names: list[str] | None = None
    series: list[np.ndarray] = []
    ys: list[str] = []
    in_data = False
    with _open_text(path) as fh:
        for line_no, raw in enumerate(fh, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                if not line.startswith("@"):
                    raise DataError(f"{path}:{line_no}: expected a header line starting with '@' before @data")
                key, _, rest = line[1:].partition(" ")
                key = key.lower()
                if key == "data":
                    in_data = True
                elif key == "classlabel":
                    parts = rest.split()
                    if parts and parts[0].lower() == "true":
                        class_names = [normalise_label(p) for p in parts[1:]]
                    header[key] = parts[0].lower() if parts else "false"
                else:
                    header[key] = rest.strip().lower()
                continue
            if header.get("timestamps") == "true":
                raise DataError(f"{path}: timestamped .ts files are not supported; export the values without timestamps")
            has_label = header.get("classlabel") == "true" or header.get("targetlabel") == "true"
            parts = line.split(":")
            if has_label:
                if len(parts) < 2:
                    raise DataError(f"{path}:{line_no}: expected dimensions separated by ':' followed by a label")
                ys.append(parts[-1].strip())
                parts = parts[:-1]
            where = f"{path}:{line_no}"
            dims = [np.array([_parse_float(v, where) for v in p.split(",")], dtype=np.float32) for p in parts]
            expected = header.get("dimensions")
            if expected and expected.isdigit() and len(dims) != int(expected):
                raise DataError(f"{where}: found {len(dims)} dimensions, the header declares {expected}")
            length = max(len(d) for d in dims)
            case = np.full((length, len(dims)), np.nan, dtype=np.float32)
            for j, d in enumerate(dims):
                case[: len(d), j] = d
            series.append(case)
    if not in_data:
        raise DataError(f"{path}: no @data section; is this a .ts file?")
    if not series:
        raise DataError(f"{path}: the @data section holds no series")
    task = "regress" if header.get("targetlabel") == "true" else ("classify" if header.get("classlabel") == "true" else None)
    y = None
    if ys and labels != "none":
        y = np.array([normalise_label(t) for t in ys], dtype=object) if task == "classify" else np.array(ys, dtype=object)
        if class_names:
            unknown = sorted(set(y) - set(class_names))
            if unknown:
                raise DataError(f"{path}: labels {unknown} are not among the classes the header declares {class_names}")
    return Dataset.from_series(series, y, source=str(path), name=_dataset_name(path),
                               class_names=class_names, task=task)


# -- Weka .arff ---------------------------------------------------------------------------------
def read_arff(path: Path, *, labels: str = "auto", label_column: str | None = None) -> Dataset:
    attributes: list[tuple[str, str]] = []
    relational = False
    in_relational = False
    rows: list[str] = []
    in_data = False
    with _open_text(path) as fh:
        for raw in fh:
            line = raw.strip()
            if not line or line.startswith("%"):
                continue
            if in_data:
                rows.append(line)
                continue
            lower = line.lower()
            if lower.startswith("@attribute"):
                parts = line.split(None, 2)
                kind = parts[2] if len(parts) > 2 else ""
                if in_relational:
                    continue
                if kind.lower().startswith("relational"):
                    relational = in_relational = True
                attributes.append((parts[1] if len(parts) > 1 else "", kind))
            elif lower.startswith("@end"):
                in_relational = False
            elif lower.startswith("@data"):
                in_data = True
    if not in_data:
        raise DataError(f"{path}: no @data section; is this an .arff file?")
    if not rows:
        raise DataError(f"{path}: the @data section holds no rows")
    last_kind = attributes[-1][1].strip() if attributes else ""
    # A relational (multivariate) file ends with a label attribute after the relational one.
    has_label = last_kind.startswith("{") or (relational and not last_kind.lower().startswith("relational"))
    class_names = [normalise_label(c) for c in last_kind.strip("{}").split(",")] if last_kind.startswith("{") else None
    series, ys = [], []
    for i, row in enumerate(rows, 1):
        where = f"{path}: data row {i}"
        if relational:
            match = re.match(r"^\s*(['\"])(.*)\1\s*(?:,\s*(.*))?$", row)
            if not match:
                raise DataError(f"{where}: expected a quoted multivariate series followed by a label")
            body, label = match.group(2), match.group(3)
            dims = [d for d in body.replace("\\n", "\n").split("\n") if d.strip()]
            arr = [[_parse_float(v, where) for v in d.split(",")] for d in dims]
            length = max(len(d) for d in arr)
            case = np.full((length, len(arr)), np.nan, dtype=np.float32)
            for j, d in enumerate(arr):
                case[: len(d), j] = d
        else:
            tokens = row.split(",")
            label = tokens[-1] if has_label else None
            tokens = tokens[:-1] if has_label else tokens
            case = np.array([_parse_float(v, where) for v in tokens], dtype=np.float32)[:, None]
        series.append(case)
        if label is not None:
            ys.append(normalise_label(label))
    y = np.array(ys, dtype=object) if ys and len(ys) == len(series) and labels != "none" else None
    return Dataset.from_series(series, y, source=str(path), name=_dataset_name(path), class_names=class_names,
                               task="classify" if class_names else None)


# -- CSV (wide or long) -------------------------------------------------------------------------
def read_csv(path: Path, *, labels: str = "auto", label_column: str | None = None) -> Dataset:
    """Wide: one row per series, a label column (``label``/``class``/``target``/``y``, or ``label_column``)
    and one column per time step. Long: columns ``id``, ``time`` and one value column per channel."""
    import pandas as pd

    try:
        frame = pd.read_csv(path, sep=None, engine="python")
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file holds no rows") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: not a readable CSV ({exc})") from None
    if frame.empty:
        raise DataError(f"{path}: file holds a header but no rows")
    lower = {str(c).lower(): c for c in frame.columns}
    if label_column is not None and label_column not in frame.columns:
        raise DataError(f"{path}: no column named {label_column!r}; columns are {list(frame.columns)[:10]}")
    label = label_column or next((lower[n] for n in LABEL_COLUMN_NAMES if n in lower), None)
    id_col = next((lower[n] for n in ID_COLUMN_NAMES if n in lower), None)
    if id_col is not None:
        return _read_long(frame, path, id_col, label, labels)
    if label is None and labels == "required":
        label = frame.columns[0]  # the UCR convention: the label comes first
    y = None
    if label is not None:
        y = frame[label].astype(str).map(normalise_label).to_numpy(dtype=object)
        frame = frame.drop(columns=[label])
    if frame.shape[1] == 0:
        raise DataError(f"{path}: no value columns besides the label column")
    values = _numeric_block(frame.astype(str).replace({"nan": "nan"}), path)
    return Dataset.from_array(values, y, source=str(path), name=_dataset_name(path))


def _read_long(frame, path: Path, id_col: str, label: str | None, labels: str) -> Dataset:
    import pandas as pd

    lower = {str(c).lower(): c for c in frame.columns}
    time_col = next((lower[n] for n in TIME_COLUMN_NAMES if n in lower), None)
    value_cols = [c for c in frame.columns if c not in (id_col, time_col, label)]
    if not value_cols:
        raise DataError(f"{path}: long layout needs at least one value column besides {id_col!r} and the time column")
    for col in value_cols:
        converted = pd.to_numeric(frame[col], errors="coerce")
        bad = converted.isna() & frame[col].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{path}: row {row + 2}, column {col!r} holds {frame[col].iat[row]!r}, which is not a number")
        frame[col] = converted
    if time_col is not None:
        frame = frame.sort_values([id_col, time_col], kind="stable")
        if frame.duplicated([id_col, time_col]).any():
            dup = frame[frame.duplicated([id_col, time_col])].iloc[0]
            raise DataError(f"{path}: series {dup[id_col]!r} has two rows for time {dup[time_col]!r}")
    series, ys = [], []
    for key, group in frame.groupby(id_col, sort=False):
        series.append(group[value_cols].to_numpy(dtype=np.float32))
        if label is not None:
            values = group[label].astype(str).unique()
            if len(values) > 1:
                raise DataError(f"{path}: series {key!r} has several labels {list(values)[:3]}; one per series expected")
            ys.append(normalise_label(values[0]))
    y = np.array(ys, dtype=object) if label is not None else None
    return Dataset.from_series(series, y, source=str(path), name=_dataset_name(path),
                               channel_names=[str(c) for c in value_cols])


# -- NumPy --------------------------------------------------------------------------------------
def read_numpy(path: Path, *, labels: str = "auto", label_column: str | None = None) -> Dataset:
    """``.npz`` with arrays ``X`` (and ``y``), or ``.npy`` with ``X`` only. Never unpickles objects."""
    source = io.BytesIO(gzip.open(path, "rb").read()) if path.suffix.lower() == ".gz" else path
    try:
        loaded = np.load(source, allow_pickle=False)
    except ValueError as exc:
        raise DataError(f"{path}: cannot load ({exc}); object arrays are refused because they need pickle") from None
    if isinstance(loaded, np.ndarray):
        X, y = loaded, None
    else:
        with loaded:
            keys = {k.lower(): k for k in loaded.files}
            if "x" not in keys:
                raise DataError(f"{path}: .npz must hold an array named 'X' (and 'y' for labels); found {loaded.files}")
            X = loaded[keys["x"]]
            y = loaded[keys["y"]] if "y" in keys else None
    if X.dtype.kind not in "fiub":
        raise DataError(f"{path}: X has dtype {X.dtype}, expected numbers")
    if y is not None and y.dtype.kind in "US":
        y = y.astype(object)
    return Dataset.from_array(X, y, source=str(path), name=_dataset_name(path))


_READERS: dict[str, Callable[..., Dataset]] = {
    ".tsv": read_ucr_tsv,
    ".txt": read_ucr_tsv,
    ".ts": read_ts,
    ".arff": read_arff,
    ".csv": read_csv,
    ".npy": read_numpy,
    ".npz": read_numpy,
}


def supported_suffixes() -> list[str]:
    return sorted(_READERS)


