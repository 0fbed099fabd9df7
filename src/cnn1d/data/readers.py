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
import shlex
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import DataError, did_you_mean
from .dataset import Dataset
from .encoding import leading_comments, read_file_text

LABEL_COLUMN_NAMES = ("label", "class", "target", "y")
ID_COLUMN_NAMES = ("id", "series_id", "series", "case_id", "instance")
TIME_COLUMN_NAMES = ("time", "timestamp", "t", "step", "date")


def read(path: str | Path, *, labels: str = "auto", label_column: str | None = None, header: bool | None = None,
         layout: str | None = None, id_column: str | None = None, length_hint: int | None = None,
         value_columns: list[str] | None = None, split: str = "train") -> Dataset:
    """Read a series file, choosing the reader from the file extension; an archive's dataset folder reads its
    ``_TRAIN`` file, and audio (a clip, or a folder of clips in class subfolders) is read at 8 kHz in mono
    (:func:`cnn1d.data.audio.read_audio` takes other rates and channel settings).

    Args:
        path: the file (``.tsv``, ``.ts``, ``.arff``, ``.csv``, ``.npy``, ``.npz``, optionally ``.gz``).
        labels: ``"auto"`` (read labels where the format or columns have them), ``"required"`` (fail when
            there are none) or ``"none"`` (ignore any label column).
        label_column: CSV/TSV: the column holding labels or targets; ``"none"``: the file holds no labels;
            ``"first"``: the first column is the label (a file without a header row).
        header, layout, id_column: CSV/TSV: settle what the file alone cannot (see docs/usage.md, "How files
            are read").
        length_hint: the series length a trained model expects: tells whether an unlabelled-looking
            headerless row starts with a label (``length_hint + 1`` fields) or not (``length_hint`` fields).
        value_columns: a wide table's time-step columns as a trained model named them: a table with a header
            that names them is read by name (in that order; other columns are ignored and listed in
            ``meta["ignored_columns"]``), not by position.
        split: ``"train"`` or ``"test"``: which split an archive's dataset folder, or a ``.npz`` holding
            ``X_train``/``X_test``, gives (``meta["has_test"]`` says such a file holds a test split too).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    from .audio import AUDIO_SUFFIXES, is_audio_path, read_audio

    if (path.is_dir() or path.suffix.lower() in AUDIO_SUFFIXES) and is_audio_path(path):
        return read_audio(path, labels=labels)  # clips at 8 kHz in mono: read_audio takes the other settings
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if path.is_dir():
        path = folder_file(path, split.upper())
    suffix = _format_suffix(path)
    reader = _READERS.get(suffix)
    if reader is None:
        raise DataError(f"{path}: unknown file type {suffix or '(none)'}; supported: {', '.join(sorted(_READERS))}"
                        + OTHER_FORMATS.get(suffix, ""))
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    table_options = {"header": header, "layout": layout, "id_column": id_column}
    if suffix not in (".csv", ".tsv", ".txt"):
        given = [f"--{k.replace('_', '-')}" for k, v in table_options.items() if v is not None]
        if given:
            raise DataError(f"{path}: {', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to CSV/TSV files, "
                            f"not {suffix} files")
        table_options = {"split": split} if reader is read_numpy else {}
    else:
        table_options.update(length_hint=length_hint, value_columns=value_columns)
    try:
        dataset = reader(path, labels=labels, label_column=label_column, **table_options)
    except DataError:
        raise
    except (UnicodeDecodeError, EOFError, OSError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read the file ({exc.__class__.__name__}: {exc}); is it corrupt?") from None
    if labels == "required" and dataset.y is None:
        raise DataError(f"{path}: holds no labels; training and evaluation need a label or target for every series")
    if labels == "required":
        refuse_empty_labels(dataset)
    if labels == "none":
        dataset.y = None
    return dataset


def refuse_empty_labels(dataset: Dataset) -> None:
    """An empty label cell is refused, naming the series: read as the text "", it would become a class of its
    own (or turn a column of numeric targets into class names)."""
    y = dataset.y
    if y is None or np.ndim(y) != 1 or np.asarray(y).dtype.kind != "O":
        return
    empty = [i for i, v in enumerate(np.asarray(y).tolist()) if v is None or (isinstance(v, str) and not v.strip())]
    if empty:
        ids = dataset.meta.get("ids")
        first = f"id {ids[empty[0]]!r}" if ids else f"the {_ordinal(empty[0] + 1)} series in the file"
        raise DataError(f"{dataset.source or 'data'}: {len(empty)} series without a label or target (the first: {first}); "
                        "fill them in or remove those series")


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _name_words(name) -> set[str]:
    """``"Review Text"``, ``review_text``, ``reviewText`` -> ``{"review", "text"}``."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return {w for w in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if w}


# A column named as a time step: letters (a channel or unit: x, t_, acc, h), then the step number.
_STEP_NAME = re.compile(r".*[A-Za-z_].*?\d+")


def _step_named(name) -> bool:
    """``x0``, ``t_12``, ``acc1``, ``h23``: a column named as a time step."""
    return _STEP_NAME.fullmatch(str(name)) is not None


def _named_as_id(name) -> bool:
    """``sample_id``, ``SubjectID``, ``case id``: the word "id", and not named as a step (``id_3`` is one)."""
    return "id" in _name_words(name) and not _step_named(name)


def pick_column(columns, wanted: str | None, names: tuple, what: str, path, words: bool = False):
    """The column ``wanted`` (refused, naming the columns, when absent), else the first of ``names`` that a column is
    called (any case), else with ``words`` the first column whose name holds one of ``names`` as a word ("Review
    Text", review_sentiment; never a one-letter name), else None."""
    if wanted is not None:
        if wanted not in columns:
            raise DataError(f"{path}: no {what} column {wanted!r}{did_you_mean(wanted, columns)}; columns are "
                            f"{list(columns)[:12]}")
        return wanted
    lower = {str(c).strip().lower(): c for c in columns}
    exact = next((lower[n] for n in names if n in lower), None)
    if exact is not None or not words:
        return exact
    return next((c for n in names if len(n) > 1 for c in columns if n in _name_words(c)), None)


# An archive folder (UCR/UEA downloads) often holds the same split in several formats: read the first of these.
_FOLDER_PREFERENCE = (".ts", ".tsv", ".arff", ".csv", ".txt", ".npz", ".npy")


def folder_file(folder: Path, split: str) -> Path:
    """The ``NAME_TRAIN`` (or ``NAME_TEST``) data file in an archive's dataset folder (``GunPoint/`` as the UCR and
    UEA downloads unpack): one dataset, its preferred format. A folder without one is refused naming what to give."""
    found = [p for p in sorted(folder.iterdir()) if p.is_file() and f"_{split}" in p.name
             and _format_suffix(p) in _FOLDER_PREFERENCE]
    names = {p.name.split(f"_{split}")[0] for p in found}
    if not found:
        from .audio import unread_audio_hint

        raise DataError(f"{folder}: is a folder without a NAME_{split} data file or audio clips"
                        f"{unread_audio_hint(p for p in folder.rglob('*') if p.is_file())}; give a data file "
                        "(.tsv, .ts, .arff, .csv, .npy, .npz) or a dataset folder holding NAME_TRAIN and NAME_TEST files")
    if len(names) > 1:
        raise DataError(f"{folder}: holds the {split} files of several datasets ({', '.join(sorted(names))}); give one file")
    return min(found, key=lambda p: _FOLDER_PREFERENCE.index(_format_suffix(p)))


def find_test_file(train_path: str | Path) -> Path | None:
    """The ``*_TEST.*`` file beside a ``*_TRAIN.*`` file, if it exists."""
    train_path = Path(train_path)
    if "_TRAIN" not in train_path.name:
        return None
    candidate = train_path.with_name(train_path.name.replace("_TRAIN", "_TEST"))
    return candidate if candidate.is_file() else None


# What to do with formats users have tables in that the readers do not take.
_SHEET = " (a spreadsheet: save the sheet as CSV UTF-8 and pass that)"
_FRAME = " (write it as CSV with pandas' to_csv, or pass the DataFrame to the Python estimators)"
OTHER_FORMATS = {".xlsx": _SHEET, ".xls": _SHEET, ".xlsm": _SHEET, ".ods": _SHEET, ".numbers": _SHEET,
                 ".parquet": _FRAME, ".feather": _FRAME, ".pkl": " (pickles are not read: they can run code; save "
                 "the data as CSV or .npy)", ".pickle": " (pickles are not read: they can run code; save the data as "
                 "CSV or .npy)"}


def _format_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _open_text(path: Path) -> io.TextIOBase:
    return io.StringIO(read_file_text(path)[0])


def _dataset_name(path: Path) -> str:
    stem = path.name.split(".")[0]
    return re.sub(r"_(TRAIN|TEST)$", "", stem)


def normalise_label(token: str) -> str:
    """``"1.0000000e+00"`` and ``"1"`` name the same class; strings stay as written, and so do codes with
    leading zeros (``"007"``, a ZIP code ``"02139"``): they are names, not numbers."""
    token = token.strip().strip("'\"")
    if len(token) > 1 and token.lstrip("+-").startswith("0") and token.lstrip("+-").isdigit():
        return token
    try:
        number = float(token)
    except ValueError:
        return token
    if np.isfinite(number) and number == int(number):
        return str(int(number))
    return token


def _parse_float(token: str, where: str) -> float:
    token = token.strip()
    if token in MISSING_TOKENS:
        return np.nan
    try:
        return float(token)
    except ValueError:
        raise DataError(f"{where}: {token!r} is not a number") from None


# -- delimited text: how a file is read is decided from the whole file -----------------------------
# "?" (the .ts/.arff marker) and pandas' default na_values: what R, Excel (#N/A), databases (NULL) and pandas write.
MISSING_TOKENS = ("?", "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
                  "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
DELIMITERS = (",", "\t", ";", "|")


def _sniff_delimiter(text: str, preferred: str) -> str:
    """The delimiter that splits every sampled line (of a file's ``text``) into the same number (> 1) of fields."""
    import csv

    lines = [line for _, line in zip(range(2000), io.StringIO(text)) if line.strip()]
    best = None
    for delim in (preferred, *[d for d in DELIMITERS if d != preferred]):
        try:
            counts = {len(row) for row in csv.reader(lines, delimiter=delim)}
        except csv.Error:  # NUL bytes, a quote left open: pandas reports the file's problem itself
            continue
        if len(counts) == 1 and counts.pop() > 1:
            return delim
        if best is None and any(delim in line for line in lines):
            best = delim
    if best is None:  # numbers separated by runs of spaces (the UCR/UEA .txt files): one field per line otherwise
        counts = {len(line.split()) for line in lines}
        if len(counts) == 1 and counts.pop() > 1:
            return WHITESPACE
    return best or preferred


WHITESPACE = r"\s+"


def _parse_numbers(frame):
    """Every cell as a number (NaN where it is none), parsed once per file: the header decision and the
    values share it."""
    import pandas as pd

    return frame.apply(lambda col: pd.to_numeric(col.astype(str).str.strip(), errors="coerce"))


# A number written with a decimal comma (Excel's CSV in much of Europe: `;`-separated, `0,5`).
DECIMAL_COMMA = r"[-+]?\d*,\d+(?:[eE][-+]?\d+)?"
# Numbers with their thousands grouped for people: "1,037.50" (quoted in comma-separated files) and "1.037,50"
# (files separated by ';' or tabs). A form with both marks, or several groups, tells the convention apart.
THOUSANDS = r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
POINT_THOUSANDS = r"[-+]?\d{1,3}(?:\.\d{3})+(?:,\d+)?"
_POINT_THOUSANDS_WITH_DECIMALS = r"[-+]?\d{1,3}(?:\.\d{3})+,\d+"


def _with_decimal_points(frame, numbers, path: Path):
    """``(frame, numbers, how)``: a file not separated by commas whose numbers are written with decimal
    commas has them read as decimal points (``how``: what was done, or None). Only when that is unambiguous: some
    cell reads as a decimal-comma number, and no number in the file is written with a decimal point, except
    thousands grouped by points ("1.037") in a file where some cell shows both marks ("1.037,50"). A file mixing
    both is refused, naming a cell of each."""
    unparsed = np.flatnonzero(numbers.isna().to_numpy().any(axis=0))
    if not len(unparsed):
        return frame, numbers, None
    text = frame.iloc[:, unparsed].apply(lambda col: col.astype(str).str.strip())
    both_marks = text.apply(lambda col: col.str.fullmatch(_POINT_THOUSANDS_WITH_DECIMALS))
    comma = text.apply(lambda col: col.str.fullmatch(DECIMAL_COMMA)) | both_marks
    if not comma.to_numpy().any():
        return frame, numbers, None
    grouped = bool(both_marks.to_numpy().any())
    point_groups = []  # (column, rows) of parsed cells that are thousands grouped by points
    for j in range(frame.shape[1]):
        parsed = numbers.iloc[:, j].notna().to_numpy()
        cells = frame.iloc[parsed, j].astype(str).str.strip()
        pointed = cells.str.contains(".", regex=False).to_numpy()
        if not pointed.any():
            continue
        if not grouped or not cells[pointed].str.fullmatch(POINT_THOUSANDS).all():
            point = cells[pointed].iloc[0]
            other = text.to_numpy()[comma.to_numpy()][0]
            grouping = (f" (or is {point!r} thousands grouped by points? then some cell must show both marks, like "
                        "'1.037,50')") if re.fullmatch(POINT_THOUSANDS, point) else ""
            plain = (other.replace(".", "") if re.fullmatch(_POINT_THOUSANDS_WITH_DECIMALS, other) else other).replace(",", ".")
            raise DataError(f"{path}: a cell reads {other!r} (a decimal comma? write {plain}) and another {point!r}"
                            f"{grouping}: decimals written with commas and with points in one file; write every "
                            "decimal the same way")
        point_groups.append((j, np.flatnonzero(parsed)[pointed]))
    frame = frame.copy()
    for position, j in enumerate(unparsed):
        rows = comma.iloc[:, position].to_numpy()
        if rows.any():
            frame.iloc[rows, j] = (text.iloc[rows, position].str.replace(".", "", regex=False)
                                   .str.replace(",", ".", regex=False).to_numpy())
    for j, rows in point_groups:
        frame.iloc[rows, j] = frame.iloc[rows, j].astype(str).str.strip().str.replace(".", "", regex=False).to_numpy()
    how = "decimal commas read as points" + (" and thousands points dropped" if grouped else "")
    return frame, _parse_numbers(frame), how


def _without_thousands_commas(frame, numbers, path: Path):
    """``(frame, numbers, how)``: a comma-separated file whose numbers group thousands with commas (quoted:
    ``"1,037.50"``) has the commas dropped. Only when the commas cannot be decimal commas: some grouped number
    also has a decimal point or several groups, or the file writes its other decimals with points. Otherwise,
    and for a quoted decimal comma ("1,5"), an error names the cell."""
    unparsed = np.flatnonzero(numbers.isna().to_numpy().any(axis=0))
    if not len(unparsed):
        return frame, numbers, None
    text = frame.iloc[:, unparsed].apply(lambda col: col.astype(str).str.strip())
    grouped = text.apply(lambda col: col.str.fullmatch(THOUSANDS))
    decimal_comma = text.apply(lambda col: col.str.fullmatch(DECIMAL_COMMA)) & ~grouped
    if decimal_comma.to_numpy().any():
        cell = text.to_numpy()[decimal_comma.to_numpy()][0]
        raise DataError(f"{path}: a cell reads {cell!r}, a decimal comma in a comma-separated file; write decimals "
                        "with points, or save the file separated by ';' (or tabs), where decimal commas are read")
    if not grouped.to_numpy().any():
        return frame, numbers, None
    telling = (grouped & text.apply(lambda col: col.str.contains(r"\.|,\d{3},", regex=True))).to_numpy().any()
    if not telling:
        parsed = numbers.notna().to_numpy()
        telling = any(frame.iloc[parsed[:, j], j].astype(str).str.contains(".", regex=False).any()
                      for j in range(frame.shape[1]))
    if not telling:
        cell = text.to_numpy()[grouped.to_numpy()][0]
        raise DataError(f"{path}: a cell reads {cell!r}, and nothing in the file tells whether its comma groups "
                        "thousands or marks decimals; write the numbers without thousands separators (and decimals "
                        "with points), or save the file separated by ';' if its decimals are commas")
    frame = frame.copy()
    for position, j in enumerate(unparsed):
        rows = grouped.iloc[:, position].to_numpy()
        if rows.any():
            frame.iloc[rows, j] = text.iloc[rows, position].str.replace(",", "", regex=False).to_numpy()
    return frame, _parse_numbers(frame), "thousands separators dropped"


def _number_or_missing(frame, numbers) -> np.ndarray:
    """True where a cell is a number or a missing-value marker (MISSING_TOKENS: ``?``, ``NaN``, ``NA``, ``#N/A``,
    empty...)."""
    ok = numbers.notna().to_numpy().copy()  # pandas may hand out a read-only view
    columns = np.flatnonzero(~ok.all(axis=0))  # only columns with a non-number need their text looked at
    if len(columns):
        text = frame.iloc[:, columns].apply(lambda col: col.astype(str).str.strip())
        ok[:, columns] |= text.isin(MISSING_TOKENS).to_numpy()
    return ok


def _index_like(values) -> bool:
    """A row reading 0, 1, 2, ... or 1, 2, 3, ...: column numbers written as a header."""
    try:
        numbers = np.array([float(v) for v in values])
    except ValueError:
        return False
    return len(numbers) > 2 and bool(np.all(np.diff(numbers) == 1)) and numbers[0] in (0.0, 1.0)


# A table with no numeric column, whose cells in one column average this many characters (or that holds no
# number at all), holds texts, not series.
TEXT_MEAN_CHARACTERS = 12


def _decide_header(frame, numbers, path: Path, given: bool | None) -> bool:
    """Rule: the first row is a header when, in a column whose other rows are all numbers, it holds text.

    A first row of column numbers (0, 1, 2, ...) over rows of measurements could be either, and is refused.
    """
    if given is not None:
        return given
    mask = _number_or_missing(frame, numbers)
    if len(frame) == 1:  # one row: data when it holds numbers after its first cell (a UCR row: label, values)
        return not bool(mask[0, 1:].any()) if frame.shape[1] > 1 else not bool(mask[0].all())
    columns = np.flatnonzero(mask[1:].all(axis=0))
    if not len(columns):
        lengths = [frame.iloc[1:, j].astype(str).str.strip().str.len().mean() for j in range(frame.shape[1])]
        if max(lengths) >= TEXT_MEAN_CHARACTERS or not mask[1:].any():
            wordiest = int(np.argmax(lengths))
            name = str(frame.iloc[0, wordiest]).strip()
            cell = str(frame.iloc[1, wordiest]).strip()
            if number_hint(cell):  # numbers with a unit, or with decimal commas and points in one file: not text
                mixed = ("; a file may write its decimals with commas (separated by ';' or tabs) or with points, not "
                         "both") if "," in cell else ""
                raise DataError(f"{path}: column {name!r} reads {cell!r}{number_hint(cell)}{mixed}")
            flag = shlex.quote(name) if len(name) <= 40 else "NAME"
            raise DataError(f"{path}: holds text, not series (column {name[:40]!r}{'...' if len(name) > 40 else ''} "
                            f"reads like {cell[:40]!r}); to classify texts, pass --text-column {flag} "
                            "(and --label-column NAME when the labels' column is not called label, class, category...)")
        raise DataError(f"{path}: no column holds numbers below the first row, so whether the first row is a header "
                        "cannot be told; pass --header or --no-header")
    if not mask[0, columns].all():
        return True
    first, second = frame.iloc[0, columns], frame.iloc[1, columns]
    if _index_like(first) and not _index_like(second):
        raise DataError(f"{path}: the first row reads {', '.join(first[:3])}, ...: column numbers "
                        "or a series? Pass --header (it names the columns) or --no-header (it is a series)")
    return False


def _first_column_label(path: Path, n_fields: int, labels: str, label_column: str | None,
                        length_hint: int | None, convention: bool) -> bool:
    """Whether a headerless file's first column holds labels.

    ``convention``: the format puts labels first (UCR ``.tsv``; a CSV that training requires labels of).
    At prediction a model's series length tells: ``length + 1`` fields per row start with a label.
    """
    if label_column == "none" or labels == "none":
        return False
    if label_column == "first":
        return True
    if label_column is not None:
        raise DataError(f"{path}: has no header row, so no column is named {label_column!r}; use --label-column first "
                        "(the first column holds labels) or none, or add a header row")
    if labels == "required" or length_hint is None:
        return convention
    if n_fields == length_hint + 1:
        return True
    if n_fields == length_hint:
        return False
    raise DataError(f"{path}: rows have {n_fields} fields and the model takes series of {length_hint} steps, so "
                    "whether the first column is a label cannot be told; pass --label-column first or "
                    "--label-column none")


def read_ucr_tsv(path: Path, *, labels: str = "auto", label_column: str | None = None, header: bool | None = None,
                 layout: str | None = None, id_column: str | None = None, length_hint: int | None = None,
                 value_columns: list[str] | None = None) -> Dataset:
    """UCR 2018 layout: one series per line, the label first, values after; tab (or comma) separated.

    Shorter series in variable-length UCR datasets are padded with trailing NaN; those become lengths.
    Unlabelled files (prediction) are told apart by the model's series length, or by ``--label-column none``.
    """
    return _read_delimited(path, "\t", labels=labels, label_column=label_column, header=header, layout=layout,
                           id_column=id_column, length_hint=length_hint, label_first=True,
                           value_columns=value_columns)


def _read_delimited(path: Path, preferred: str, *, labels: str, label_column: str | None, header: bool | None,
                    layout: str | None, id_column: str | None, length_hint: int | None, label_first: bool,
                    value_columns: list[str] | None = None) -> Dataset:
    import pandas as pd

    text, encoding, _ = read_file_text(path)
    text, comments = leading_comments(text)
    sep = _sniff_delimiter(text, preferred)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False, skip_blank_lines=True,
                            engine="python" if len(sep) > 1 and sep != WHITESPACE else "c")
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file holds no rows") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: rows have inconsistent numbers of fields ({exc})") from None
    if frame.empty:
        raise DataError(f"{path}: file holds no rows")
    numbers, how = _parse_numbers(frame), None
    if sep != "," and re.search(r"\d,\d", text):  # the cell-by-cell look only where a decimal comma can be
        frame, numbers, how = _with_decimal_points(frame, numbers, path)
    elif sep == "," and '"' in text:  # a comma inside a number is quoted
        frame, numbers, how = _without_thousands_commas(frame, numbers, path)
    data = _read_table(frame, numbers, path, labels=labels, label_column=label_column, header=header, layout=layout,
                       id_column=id_column, length_hint=length_hint, label_first=label_first,
                       value_columns=value_columns)
    if how:
        data.meta["numbers_read"] = how
        data.meta["decimal_comma"] = how.startswith("decimal commas")
    if encoding not in ("UTF-8", "UTF-16"):
        data.meta["encoding"] = encoding
    if comments:
        data.meta["comment_lines"] = f"{comments} comment line(s) (#) at the top skipped"
    return data


def _unnamed_columns(frame, numbers, names: list[str]) -> tuple[list[int], list[str]]:
    """``(columns kept, why each dropped one went)``: a column with no name in the header that holds nothing (every
    line ends with a delimiter, as spreadsheets export) or the row numbers 0, 1, 2... (pandas' ``to_csv`` writes
    its index so unless told ``index=False``). Read as steps, the row numbers became the first time step: in a
    file sorted by class they told the classes apart in training and nothing at prediction."""
    keep, dropped = [], []
    for j, name in enumerate(names):
        if name and not name.startswith("Unnamed: "):
            keep.append(j)
            continue
        text = frame.iloc[:, j].astype(str).str.strip()
        values = numbers.iloc[:, j].to_numpy()
        if (text == "").all():
            dropped.append(f"column {j + 1} (no name, no values: a delimiter at the end of every line)")
        elif np.isfinite(values).all() and len(values) and (np.array_equal(values, np.arange(len(values)))
                                                             or np.array_equal(values, np.arange(1, len(values) + 1))):
            dropped.append(f"column {j + 1} (no name, the row numbers {int(values[0])}, {int(values[0]) + 1}, ...: "
                           "an index written by pandas' to_csv; write with index=False)")
        else:
            keep.append(j)
    return keep, dropped


def _read_table(frame, numbers, path: Path, *, labels: str, label_column: str | None, header: bool | None,
                layout: str | None, id_column: str | None, length_hint: int | None, label_first: bool,
                value_columns: list[str] | None) -> Dataset:
    if _decide_header(frame, numbers, path, header):
        names = [str(c).strip() for c in frame.iloc[0]]
        frame, numbers = frame.iloc[1:].reset_index(drop=True), numbers.iloc[1:].reset_index(drop=True)
        if frame.empty:
            raise DataError(f"{path}: file holds a header but no rows")
        keep, dropped = _unnamed_columns(frame, numbers, names)
        names = [names[j] for j in keep]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise DataError(f"{path}: the header names column {dup!r} twice")
        frame, numbers = frame.iloc[:, keep], numbers.iloc[:, keep]
        frame.columns = numbers.columns = names
        data = _read_named(frame, numbers, path, labels=labels, label_column=label_column, layout=layout,
                           id_column=id_column, value_columns=value_columns)
        if dropped:
            data.meta["dropped_columns"] = dropped
        return data
    if layout == "long" or id_column is not None:
        raise DataError(f"{path}: has no header row, so no id column can be named; add a header row (id, time, value...)")
    label = _first_column_label(path, frame.shape[1], labels, label_column, length_hint,
                                convention=label_first or labels == "required")
    if label and frame.shape[1] < 2:
        raise DataError(f"{path}: each row needs a label and at least one value, found {frame.shape[1]} field(s)")
    values = _numeric_block(frame.iloc[:, 1:] if label else frame, path, numbers.iloc[:, 1:] if label else numbers,
                            first_column=2 if label else 1)
    y = np.array([normalise_label(t) for t in frame.iloc[:, 0]], dtype=object) if label else None
    return Dataset.from_array(values, y, source=str(path), name=_dataset_name(path))


def number_hint(token: Any) -> str:
    """What a cell that is not a number probably is, as advice: decimal commas, thousands separators."""
    text = str(token).strip()
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        return f" (thousands separators? write {text.replace(',', '')})"
    if re.fullmatch(r"[-+]?\d*,\d+", text):
        return f" (a decimal comma? write {text.replace(',', '.')})"
    # a unit or currency written with the number: "3.1%", "$ 101.00", "12 kg", "EUR 5"
    # (not an id such as "s0" or "p12": a prefix is a currency sign or an ISO code and a space, a suffix % or a
    # space and a unit)
    unit = re.fullmatch(r"([$€£¥₹]\s*|[A-Z]{3}\s+)?([-+]?\d+(?:\.\d+)?)(%|‰|°[CF]?|\s+[A-Za-zµ°/]{1,5})?", text)
    if unit and (unit.group(1) or unit.group(3)):
        return (f" (a unit or currency? write the number alone, {unit.group(2)}, and name the unit in the "
                "column's header)")
    return ""


def _numeric_block(frame, path: Path, numbers, first_column: int = 1) -> np.ndarray:
    """The cells of ``frame`` as float32 (missing markers: NaN), from ``numbers``, the same cells parsed."""
    bad = ~_number_or_missing(frame, numbers)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        name = frame.columns[col]
        column = f"column {name!r}" if isinstance(name, str) else f"column {col + first_column}"
        hint = number_hint(frame.iat[row, col])
        if not hint and isinstance(name, str) and bad[:, col].all():  # a whole column of words: names, not values
            hint = (f"; no value in {name!r} is a number: if it names each series, pass --id-column {name}; "
                    f"if it holds the labels, --label-column {name}")
        raise DataError(f"{path}: data row {row + 1}, {column} holds {str(frame.iat[row, col]).strip()!r}, which is "
                        f"not a number{hint}")
    values = numbers.to_numpy(dtype=np.float64)
    if np.isinf(values).any() or (np.abs(values[np.isfinite(values)]) > np.finfo(np.float32).max).any():
        row, col = np.argwhere(np.isinf(values) | (np.abs(np.nan_to_num(values)) > np.finfo(np.float32).max))[0]
        what = "an infinite value" if np.isinf(values[row, col]) else "a value beyond what float32 holds (3.4e38)"
        raise DataError(f"{path}: data row {row + 1} holds {str(frame.iat[row, col]).strip()!r}: {what}; replace "
                        "it, mark it missing (NaN) or rescale the data")
    return values.astype(np.float32)


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
    last_name = attributes[-1][0].strip("'\"").lower() if attributes else ""
    last_kind = attributes[-1][1].strip() if attributes else ""
    # The last attribute is the label when it is nominal, a string, named like a label (class, target, ...)
    # even when numeric, or follows the relational attribute of a multivariate file.
    has_label = (last_kind.startswith("{") or last_kind.lower() == "string" or last_name in LABEL_COLUMN_NAMES
                 or (relational and not last_kind.lower().startswith("relational")))
    if label_column == "none":
        has_label = False
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
    task = "classify" if class_names else None
    if y is not None and not class_names and last_kind.lower() in ("numeric", "real", "integer"):
        # A numeric target: regression unless every value is a whole number (class codes).
        numbers = np.array([_parse_float(v, str(path)) for v in y], dtype=np.float64)
        task = "classify" if np.all(numbers == np.round(numbers)) else "regress"
    return Dataset.from_series(series, y, source=str(path), name=_dataset_name(path), class_names=class_names,
                               task=task)


# -- CSV (wide or long) -------------------------------------------------------------------------
def read_csv(path: Path, *, labels: str = "auto", label_column: str | None = None, header: bool | None = None,
             layout: str | None = None, id_column: str | None = None, length_hint: int | None = None,
             value_columns: list[str] | None = None) -> Dataset:
    """Wide: one row per series, a label column (``label``/``class``/``target``/``y``, or ``label_column``)
    and one column per time step. Long: columns ``id``, ``time`` and one value column per channel.

    The rules that decide the delimiter, the header and the layout are in docs/usage.md ("How files are read").
    """
    return _read_delimited(path, ",", labels=labels, label_column=label_column, header=header, layout=layout,
                           id_column=id_column, length_hint=length_hint, label_first=False,
                           value_columns=value_columns)


def _read_named(frame, numbers, path: Path, *, labels: str, label_column: str | None, layout: str | None,
                id_column: str | None, value_columns: list[str] | None = None) -> Dataset:
    """A table with a header row (``numbers``: its cells parsed): wide or long layout, label and id columns by
    name."""
    lower = {c.lower(): c for c in frame.columns}
    if label_column and "," in label_column and label_column not in frame.columns and labels != "none":
        return _read_tag_columns(frame, numbers, path, [c.strip() for c in label_column.split(",") if c.strip()],
                                 value_columns)
    if label_column not in (None, "none", "first") and label_column not in frame.columns:
        raise DataError(f"{path}: no column named {label_column!r}{did_you_mean(label_column, frame.columns)}; columns are {list(frame.columns)[:10]}")
    if label_column == "first":
        label = frame.columns[0]
    elif label_column == "none" or labels == "none":
        label = None
    else:
        label = label_column or pick_column(frame.columns, None, LABEL_COLUMN_NAMES, "label", path, words=True)
    if id_column is not None and id_column not in frame.columns:
        raise DataError(f"{path}: no column named {id_column!r}{did_you_mean(id_column, frame.columns)} (--id-column); columns are {list(frame.columns)[:10]}")
    id_col = id_column or pick_column(frame.columns, None, ID_COLUMN_NAMES, "id", path)
    if id_col is None and layout != "long":  # sample_id, ReviewID: one name per row, so never a long table's ids
        named = next((c for c in frame.columns if c != label and _named_as_id(c)), None)
        if named is not None and not frame[named].duplicated().any():
            id_col = named
    if layout == "long" and id_col is None:
        raise DataError(f"{path}: --layout long needs a series-id column: name it with --id-column")
    implied = None
    if layout is None and id_col is None:
        implied = id_col = _implied_series_column(frame, lower, label, path)
    ids_repeat = id_col is not None and frame[id_col].duplicated().any()
    if layout is None:
        layout = "long" if ids_repeat else "wide"
    if layout == "long":
        data = _read_long(frame, numbers, path, id_col, label, labels, value_columns)
        if implied is not None:
            data.meta["series_column"] = (f"one row per time step, series named by column {implied!r} "
                                          "(--id-column to name another)")
        return data
    if ids_repeat:
        dup = frame[id_col][frame[id_col].duplicated()].iloc[0]
        raise DataError(f"{path}: --layout wide, but id {dup!r} has several rows; one row per series expected "
                        "(or --layout long)")
    guessed = label is None and labels == "required"
    worded = None
    off_pattern = None
    if guessed:
        worded = _worded_label_column(frame, numbers, id_col)
        off_pattern = None if worded else _off_pattern_column(frame.columns, id_col, path)
        # the one column of repeated words (gun, point) or the one named unlike the steps (x0..x49, price), wherever
        # it is; else the UCR convention: the label first
        label = worded or off_pattern or (frame.columns[0] if frame.columns[0] != id_col else None)
        if label is None:
            raise DataError(f"{path}: no label column; name it with --label-column")
    y = None
    if label is not None:
        y = frame[label].astype(str).map(normalise_label).to_numpy(dtype=object)
    ids = frame[id_col].tolist() if id_col is not None else None
    # Other columns named as ids (subject_id beside sample_id): they name groups of rows, never a time step.
    other_ids = [] if value_columns else [c for c in frame.columns if c not in (label, id_col) and _named_as_id(c)]
    values_frame = frame.drop(columns=[c for c in (label, id_col, *other_ids) if c is not None])
    if values_frame.shape[1] == 0:
        raise DataError(f"{path}: no value columns besides the label and id columns")
    data = _wide_dataset(values_frame, numbers, path, value_columns, y)
    if ids is not None:
        data.meta["ids"] = ids
    if implied is not None:  # a time column naming each row (date, h0 .. h23)
        data.meta["series_column"] = f"one row per series (columns named as steps), named by {implied!r}"
    if other_ids:
        data.meta["id_columns_left_out"] = (f"{', '.join(map(repr, other_ids))} left out (named as an id, "
                                            "not a step)")
    if guessed:
        where = ("the one column of words that repeat" if worded else "the one column not named like the steps"
                 if off_pattern else "the first column")
        data.meta["label_column"] = f"{label!r}, {where} (no column is named {'/'.join(LABEL_COLUMN_NAMES)})"
        if worded or off_pattern:
            data.meta["labels_from"] = (f"{'labels' if worded else 'labels or targets'} from {label!r}, {where} "
                                        "(--label-column to choose)")
    return data


def _off_pattern_column(columns, id_col: str | None, path: Path) -> str | None:
    """When the columns are named as steps (``x0, x1, ...``: a prefix with letters, then a number) from the first on,
    the one column named otherwise (``price``): a wide table's label or target written anywhere. The first column is
    then a step, not a label (read as the UCR convention would have it, ``x0`` became the target and ``price`` a step,
    exit 0). Several such columns are refused, naming them."""
    names = [str(c) for c in columns if c != id_col]
    if len(names) < 3 or not (_step_named(names[0]) and _step_named(names[1])):
        return None
    others = [n for n in names if not _step_named(n)]
    if len(others) == 1:
        return others[0]
    if others:
        raise DataError(f"{path}: the columns {names[0]}, {names[1]}, ... are steps; which of {', '.join(map(repr, others[:5]))} "
                        "holds the labels or targets? Name it with --label-column")
    return None


def _worded_label_column(frame, numbers, id_col: str | None) -> str | None:
    """The one column, besides the id, that holds no number and whose values repeat (``gesture``: gun, point): the
    labels of a wide table whose label column is named otherwise and written anywhere, not only first."""
    found = [c for j, c in enumerate(frame.columns) if c != id_col and not np.isfinite(numbers.iloc[:, j]).any()
             and frame[c].astype(str).str.strip().ne("").all() and frame[c].duplicated().any()]
    return found[0] if len(found) == 1 else None


def _implied_series_column(frame, lower: dict, label: str | None, path: Path) -> str | None:
    """The series column of a table with a time column (time/timestamp/t/step/date) and no id column by name.

    A time column means one row per time step, not one row per series: read wide, the first column became a
    label and every row a 4-step "series" (a 160-unit sensor file trained as 160 classes). The series column is
    the leftmost other column whose values each come in one unbroken run of rows, as a long table's ids do; a
    table with none is refused, naming --id-column and --layout wide.
    """
    time_col = next((lower[n] for n in TIME_COLUMN_NAMES if n in lower), None)
    if time_col is None or len(frame) < 2:
        return None
    # (8 or more: three columns sensor1..sensor3 beside a time column are channels of one long recording)
    if sum(map(_step_named, frame.columns)) >= 8 and not frame[time_col].duplicated().any():
        return time_col  # one row per day of hourly columns (date, h0 .. h23): the time names each row, a series
    for column in frame.columns:
        if column in (time_col, label):
            continue
        values = frame[column]
        if values.duplicated().any() and int((values != values.shift()).sum()) == values.nunique():
            return column
    raise DataError(f"{path}: has a time column {time_col!r} (one row per time step) but no column naming the "
                    f"series ({'/'.join(ID_COLUMN_NAMES)}): name it with --id-column, or give --layout wide if "
                    "each row is one whole series; one series over time, to forecast? pass --task forecast")


def trained_columns(values_frame, trained: list[str], path: Path | str, *, steps: bool = True):
    """(the value columns a trained model reads, in its order; the other columns) of a wide table.

    Read by position, a column the model never saw (a sample number, a patient id) would become the first time
    step, and steps in another order would be read in that order, each with exit 0. A table naming none of the
    trained columns names its steps otherwise and is read by position; one naming some must name a leading run
    of them (shorter series than in training lack the last steps). ``steps=False``: the columns are a long
    table's channels, every one of them needed.
    """
    present = set(values_frame.columns)
    taken = [c for c in trained if c in present]
    if not taken:
        return values_frame, []
    if taken != (trained[:len(taken)] if steps else trained):
        missing = [c for c in (trained[:trained.index(taken[-1])] if steps else trained) if c not in present]
        listed = f"({', '.join(map(repr, missing[:5]))}{', ...' if len(missing) > 5 else ''})"
        if not steps:
            raise DataError(f"{path}: lacks {len(missing)} of the channel columns the model was trained on {listed}; "
                            f"it needs {', '.join(map(repr, trained))}")
        raise DataError(f"{path}: lacks {len(missing)} of the time-step columns the model was trained on {listed}, "
                        f"while it holds later ones; give every step column from {trained[0]!r} on")
    if steps and taken == trained:  # t149 after a model trained on t0..t148: a longer series, not a stray column
        after = list(values_frame.columns)[list(values_frame.columns).index(trained[-1]) + 1:]
        taken += _continued_steps(trained, after)
    ignored = [str(c) for c in values_frame.columns if c not in set(taken)]
    return values_frame[taken], ignored


def _continued_steps(trained: list, after: list) -> list:
    """The columns of ``after`` (the file's columns after the last trained step) that go on numbering the trained
    steps (``t0 .. t148`` then ``t149, t150``; ``0 .. 99`` then ``100``), in order, up to the first that does not."""
    import re

    pattern = re.compile(r"^(.*?)(\d+)(\D*)$")
    parts = [pattern.match(str(c)) for c in trained[-2:]]
    if not all(parts) or len({(m.group(1), m.group(3)) for m in parts}) != 1:
        return []
    prefix, suffix = parts[-1].group(1), parts[-1].group(3)
    step = int(parts[-1].group(2)) - int(parts[0].group(2)) if len(parts) == 2 else 1
    if step < 1:
        return []
    expected, continued = int(parts[-1].group(2)) + step, []
    for column in after:
        if str(column) != f"{prefix}{expected}{suffix}":
            break
        continued.append(column)
        expected += step
    return continued


def _read_tag_columns(frame, numbers, path: Path, columns: list[str], value_columns: list[str] | None = None) -> Dataset:
    """A wide table with several 0/1 label columns (``--label-column a,b,c``): one tag per column, as audio
    manifests and text files take them."""
    from .labels import indicator_columns

    y = indicator_columns(frame, columns, path)
    values_frame = frame.drop(columns=columns)
    if values_frame.shape[1] == 0:
        raise DataError(f"{path}: no value columns besides the label columns {columns}")
    return _wide_dataset(values_frame, numbers, path, value_columns, y.astype(np.float32), class_names=columns)


def _wide_dataset(values_frame, numbers, path: Path, value_columns: list[str] | None, y, **kwargs) -> Dataset:
    """A wide table's value columns (by the trained names, when given) as a Dataset that records them.

    Columns named by channel and step (``x_0 .. x_49, y_0 .. y_49``) are read as channels, not as one series of
    their concatenation."""
    ignored: list[str] = []
    channels = channel_columns([str(c) for c in (value_columns or values_frame.columns)])
    if channels is not None:
        return _wide_channels(values_frame, numbers, path, channels, bool(value_columns), y, **kwargs)
    if value_columns:
        values_frame, ignored = trained_columns(values_frame, list(value_columns), path)
    values = _numeric_block(values_frame, path, numbers[values_frame.columns])
    return _with_columns(Dataset.from_array(values, y, source=str(path), name=_dataset_name(path), **kwargs),
                         values_frame.columns, ignored)


_CHANNEL_STEP = re.compile(r"^(.*\D)(\d+)$")


def channel_columns(columns: list[str]) -> dict[str, list[str]] | None:
    """``{prefix: its columns in step order}`` when every column is a prefix and a step number, with two or more
    prefixes numbered over the same run of steps (``x_0 .. x_49, y_0 .. y_49``, in either order); else None."""
    groups: dict[str, dict[int, str]] = {}
    for column in columns:
        match = _CHANNEL_STEP.match(column.strip())
        if match is None:
            return None
        groups.setdefault(match.group(1), {})[int(match.group(2))] = column
    steps = [sorted(group) for group in groups.values()]
    if len(groups) < 2 or any(s != steps[0] for s in steps) or len(steps[0]) < 2 \
            or steps[0] != list(range(steps[0][0], steps[0][0] + len(steps[0]))):
        return None
    if len({re.sub(r"\d", "", prefix) for prefix in groups}) == 1:
        return None  # 2020-01 .. 2021-12, day1_h0 .. day2_h23: a second time index, not channel names
    return {prefix: [group[k] for k in sorted(group)] for prefix, group in groups.items()}


def _wide_channels(values_frame, numbers, path: Path, channels: dict[str, list[str]], trained: bool, y,
                   **kwargs) -> Dataset:
    """A wide table whose columns name a channel and a step: one channel per prefix. ``trained``: ``channels``
    are a model's, and the file's columns of each channel are taken by name (see trained_columns)."""
    picked = []
    for prefix, columns in channels.items():
        if trained:
            own = [c for c in values_frame.columns if (m := _CHANNEL_STEP.match(str(c).strip())) and m.group(1) == prefix]
            if not own:
                raise DataError(f"{path}: holds no columns of channel {prefix!r} ({columns[0]} .. {columns[-1]}), "
                                f"which the model was trained on; it needs the channels {', '.join(map(repr, channels))}")
            taken, _ = trained_columns(values_frame[own], columns, path)
            columns = list(taken.columns)
        picked.append(columns)
    if len({len(c) for c in picked}) > 1:
        raise DataError(f"{path}: the channels {', '.join(map(repr, channels))} have different numbers of step "
                        f"columns ({', '.join(str(len(c)) for c in picked)}); give each channel the same steps")
    used = [c for columns in picked for c in columns]
    ignored = [str(c) for c in values_frame.columns if c not in set(used)]
    blocks = [_numeric_block(values_frame[columns], path, numbers[columns]) for columns in picked]
    values = np.stack(blocks, axis=-1)
    data = Dataset.from_array(values, y, source=str(path), name=_dataset_name(path),
                              channel_names=[p.rstrip("_-. ") or p for p in channels], **kwargs)
    data.meta["channel_columns"] = (f"{len(channels)} channels from the column names "
                                    f"{', '.join(c[0] + '..' + c[-1] for c in picked)}")
    return _with_columns(data, used, ignored)


def _with_columns(data: Dataset, columns, ignored: list[str]) -> Dataset:
    """``data``, recording the table columns its values came from (what a model trained on it reads by name)
    and the columns left out because a trained model never saw them."""
    data.meta["value_columns"] = [str(c) for c in columns]
    if ignored:
        data.meta["ignored_columns"] = ignored
    return data


def _as_dates(raw, path: Path, name: str):
    """A column's text as timestamps (NaT where a value is none), every value read in the one day/month order the
    column decides (:func:`cnn1d.data.dates.day_first`; a column using both is refused)."""
    import warnings

    import pandas as pd

    from .dates import day_first

    dayfirst = day_first(raw.dropna().unique(), str(path), str(name))[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.to_datetime(raw, errors="coerce", format="mixed", **({} if dayfirst is None else {"dayfirst": dayfirst}))


def _all_dates(column, numbers, path: Path) -> bool:
    """Whether a column holds no number and only dates (read as the time column is)."""
    raw = column.astype(str).str.strip()
    if numbers.notna().any() or (raw == "").any():
        return False
    try:
        return bool(_as_dates(raw, path, column.name).notna().all())
    except DataError:  # dates in both orders: not a time column to take without being told
        return False


def _read_long(frame, numbers, path: Path, id_col: str, label: str | None, labels: str,
               value_columns: list[str] | None = None) -> Dataset:
    """One row per (series, time step). Rows are ordered by the time column: numbers numerically, dates
    chronologically; a time column that is neither is refused (a text sort puts 1/10 before 1/2)."""
    import pandas as pd

    lower = {str(c).lower(): c for c in frame.columns}
    time_col = next((lower[n] for n in TIME_COLUMN_NAMES if n in lower), None)
    value_cols = [c for c in frame.columns if c not in (id_col, time_col, label)]
    if time_col is None:  # a time column under another name ("zeit", "fecha", "recorded_at"): its values are dates
        time_col = next((c for c in value_cols if _all_dates(frame[c], numbers[c], path)), None)
        value_cols = [c for c in value_cols if c != time_col]
    if not value_cols:
        raise DataError(f"{path}: long layout needs at least one value column besides {id_col!r} and the time column")
    label_note = None
    if label is None and labels != "none" and not value_columns:
        # A label or target is one value per series: a column constant within every series is the likely one.
        constant = [c for c in value_cols if frame.groupby(id_col, sort=False)[c].nunique().max() == 1]
        worded = [c for c in constant if not np.isfinite(numbers[c]).any()]
        if len(worded) == 1 and frame[worded[0]].nunique() > 1:  # activity: walk/run, one per series; the only one
            label = worded[0]
            value_cols = [c for c in value_cols if c != label]
            label_note = f"labels from {label!r}, the one column of words constant within every series (--label-column to choose)"
            if not value_cols:
                raise DataError(f"{path}: long layout needs at least one value column besides {id_col!r}, the time "
                                f"column and the labels {label!r}")
        elif labels == "required":
            hint = f"; {', '.join(map(repr, constant[:3]))} {'is' if len(constant) == 1 else 'are'} constant within " \
                   f"every series: --label-column {constant[0]}" if constant else ""
            raise DataError(f"{path}: no label column (label/class/target/y) in this long table; name the column "
                            f"holding each series' label or target with --label-column{hint}")
    ignored: list[str] = []
    if value_columns:  # the channels a model was trained on, by name (see trained_columns)
        taken, ignored = trained_columns(frame[value_cols], list(value_columns), path, steps=False)
        value_cols = list(taken.columns)
    values = _numeric_block(frame[value_cols], path, numbers[value_cols])
    # Series keep the order in which their ids first appear in the file.
    frame = frame.assign(__order=np.arange(len(frame)), __series=frame.groupby(id_col, sort=False).ngroup())
    if time_col is not None:
        raw = frame[time_col].str.strip()
        order = pd.to_numeric(raw, errors="coerce")
        if order.isna().any():
            order = _as_dates(raw, path, time_col)
            if order.isna().any():
                bad = raw[order.isna()].iloc[0]
                raise DataError(f"{path}: time column {time_col!r} holds {bad!r}, which is neither a number nor a date; "
                                "fix it (rows are ordered by time)")
        frame = frame.assign(__time=order.to_numpy())
        if frame.duplicated([id_col, "__time"]).any():
            dup = frame[frame.duplicated([id_col, "__time"])].iloc[0]
            raise DataError(f"{path}: series {dup[id_col]!r} has two rows for time {dup[time_col]!r}")
        frame = frame.sort_values(["__series", "__time"], kind="stable")
    else:
        frame = frame.sort_values(["__series"], kind="stable")  # within a series, the file's order
    series, ys, ids = [], [], []
    for key, group in frame.groupby(id_col, sort=False):
        series.append(values[group["__order"].to_numpy()])
        ids.append(key)
        if label is not None:
            found = group[label].astype(str).unique()
            if len(found) > 1:
                raise DataError(f"{path}: series {key!r} has several labels {list(found)[:3]}; one per series expected")
            ys.append(normalise_label(found[0]))
    y = np.array(ys, dtype=object) if label is not None else None
    data = Dataset.from_series(series, y, source=str(path), name=_dataset_name(path),
                               channel_names=[str(c) for c in value_cols])
    data.meta["ids"] = ids
    if label_note:
        data.meta["labels_from"] = label_note
    return _with_columns(data, value_cols, ignored)


# -- NumPy --------------------------------------------------------------------------------------
# Names a .npz file's arrays go by (any case): the series, then the labels or targets.
NPZ_X_NAMES = ("x", "data", "inputs", "features", "series", "values")
NPZ_Y_NAMES = ("y", "labels", "label", "targets", "target", "classes")


def _npz_key(keys: dict[str, str], names: tuple, split: str | None) -> str | None:
    """The stored name of the array called one of ``names`` (``X``), or with ``split`` ``X_train``/``train_X``."""
    for name in names:
        for candidate in ([f"{name}_{split}", f"{split}_{name}"] if split else [name]):
            if candidate in keys:
                return keys[candidate]
    return None


@contextmanager
def _numpy_errors(path: Path, objects: str = ""):
    """NumPy's load errors as one-line DataErrors: Python objects (refused, never unpickled) or a damaged file."""
    try:
        yield
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DataError(f"{path}: holds Python objects{objects}, which cnn1d never unpickles (untrusted files could "
                            "run code); save numbers and strings: np.savez(path, X=X.astype('float32'), "
                            "y=y.astype(str))") from None
        raise DataError(f"{path}: a damaged NumPy file ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: a damaged NumPy file ({exc})") from None


def read_numpy(path: Path, *, labels: str = "auto", label_column: str | None = None, split: str = "train") -> Dataset:
    """``.npz`` with arrays ``X`` (and ``y``), or ``X_train``/``y_train`` and ``X_test``/``y_test`` (``split`` chooses;
    ``meta["has_test"]`` says the file holds a test split too), or ``.npy`` with ``X`` only. Never unpickles objects."""
    raw = gzip.open(path, "rb").read() if path.suffix.lower() == ".gz" else path.read_bytes()
    if not (raw.startswith(b"\x93NUMPY") or raw.startswith(b"PK")):
        raise DataError(f"{path}: not a NumPy .npy/.npz file (it does not start with the NumPy or zip signature); "
                        "is it corrupt or another format?")
    with _numpy_errors(path):
        loaded = np.load(io.BytesIO(raw), allow_pickle=False)
    has_test, split_note = False, None
    if isinstance(loaded, np.ndarray):
        X, y = loaded, None
    else:
        with loaded:
            keys = {k.lower(): k for k in loaded.files}
            x_key, y_key = _npz_key(keys, NPZ_X_NAMES, None), _npz_key(keys, NPZ_Y_NAMES, None)
            has_test = x_key is None and _npz_key(keys, NPZ_X_NAMES, "test") is not None
            if x_key is None:
                x_key, y_key = _npz_key(keys, NPZ_X_NAMES, split), _npz_key(keys, NPZ_Y_NAMES, split)
            if x_key is None:
                raise DataError(f"{path}: .npz must hold an array named 'X' (and 'y' for labels), or 'X_train'/'y_train' "
                                f"and 'X_test'/'y_test'; found {loaded.files}")
            # an .npz opens lazily: each array's objects (labels saved with dtype=object) show when it is read
            with _numpy_errors(path, " (an object array, as dtype=object or a list of strings makes)"):
                X = loaded[x_key]
                y = loaded[y_key] if y_key is not None else None
            if x_key.lower() not in NPZ_X_NAMES:
                split_note = f"the {split} split ({x_key!r}{f', {y_key!r}' if y_key else ''})"
    if X.dtype.kind not in "fiub":
        raise DataError(f"{path}: X has dtype {X.dtype}, expected numbers")
    if y is not None and y.dtype.kind in "US":
        y = y.astype(object)
    data = Dataset.from_array(X, y, source=str(path), name=_dataset_name(path))
    if has_test:
        data.meta["has_test"] = True
    if split_note:
        data.meta["npz_arrays"] = f"arrays of {split_note}"
    return data


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


