"""Labelled text: CSV / TSV / JSONL with a text column and a label column, or a folder with one
subfolder of ``.txt`` files per class. Rows that do not decode as UTF-8 are repaired (replacement
character) and reported by row, never fatal; empty texts are dropped and reported."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .labels import indicator_columns
from .readers import normalise_label, pick_column

TEXT_COLUMN_NAMES = ("text", "sentence", "review", "content", "body", "document")
LABEL_COLUMN_NAMES = ("label", "labels", "class", "category", "sentiment", "target", "y")


@dataclass
class TextDataset:
    texts: list[str]
    y: np.ndarray | None
    source: str | None = None
    name: str | None = None
    groups: np.ndarray | None = None  # e.g. the movie of each review, for group-aware splits
    report: dict[str, Any] = field(default_factory=dict)
    label_names: list[str] | None = None  # multi-label: the names of the columns of y
    ids: np.ndarray | None = None  # a file's id column (`id`, `doc_id`, ...), carried into predictions

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index) -> "TextDataset":
        index = np.asarray(index)
        return TextDataset([self.texts[i] for i in index], None if self.y is None else self.y[index], self.source,
                           self.name, None if self.groups is None else self.groups[index], self.report, self.label_names,
                           None if self.ids is None else self.ids[index])

    def describe(self) -> str:
        text = f"{len(self)} texts"
        if self.y is not None and self.y.ndim == 2:
            text += f", {self.y.shape[1]} labels (multi-label)"
        elif self.y is not None:
            text += f", {len(np.unique(self.y.astype(str)))} classes"
        if self.report.get("encoding"):
            text += f", read as {self.report['encoding']} (not UTF-8)"
        if self.report.get("decode_errors"):
            text += f", {len(self.report['decode_errors'])} row(s) with invalid UTF-8 repaired"
        if self.report.get("empty_rows"):
            text += f", {len(self.report['empty_rows'])} empty row(s) dropped"
        if self.report.get("comment_lines"):
            text += f", {self.report['comment_lines']} comment line(s) (#) at the top skipped"
        for chosen in self.report.get("columns_chosen", []):
            text += f"; {chosen}"
        return text


# A column of texts: its cells average at least this many characters and are mostly not numbers.
TEXT_MIN_MEAN_CHARACTERS = 15


def _text_like(values) -> bool:
    import pandas as pd

    values = values.astype(str)
    # Words: a space, or letters of a script written without spaces; file paths, URLs and codes have neither.
    wordy = values.str.contains(r"\s|[^\x00-\x7f]", regex=True).mean() >= 0.5
    # Rows of numbers separated by spaces (UCR/UEA .txt files) read as one cell per line: series, not texts.
    numbers = values.str.fullmatch(r"\s*[-+]?[0-9.]+(?:[eE][-+]?\d+)?(?:[\s,;]+[-+]?[0-9.]+(?:[eE][-+]?\d+)?)*\s*")
    if numbers.mean() > 0.5:
        return False
    # Mostly distinct: class names with spaces ("Walking upstairs") repeat, texts seldom do.
    return bool(wordy and pd.to_numeric(values, errors="coerce").notna().mean() <= 0.5
                and float(values.str.len().mean()) >= TEXT_MIN_MEAN_CHARACTERS and values.nunique() >= 0.5 * len(values))


def _text_like_columns(frame) -> list[str]:
    """The columns holding texts, longest first."""
    found = [(str(c), float(frame[c].astype(str).str.len().mean())) for c in frame.columns if _text_like(frame[c])]
    return [c for c, _ in sorted(found, key=lambda item: -item[1])]


def _likely_text_column(frame) -> str | None:
    """The column of longest texts (a mean of 15 characters or more, mostly not numbers), to name in an error."""
    found = _text_like_columns(frame)
    return found[0] if found else None


def read_text(path: str | Path, *, text_column: str | None = None, label_column: str | None = None,
              labels: str = "auto", group_column: str | None = None, choose_column: bool = True) -> TextDataset:
    """Read labelled (or unlabelled, for prediction) texts from a file or a folder of class folders.

    Without ``text_column``, the texts are the column named text/review/...; or, with ``choose_column``, the column
    whose name holds such a word ("Review Text") or the only one of texts (said in ``report["columns_chosen"]``)."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        return _read_folder(path)
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    from .encoding import header_delimiter, leading_comments, read_file_text

    text, encoding, decode_errors = read_file_text(path, repair=True)  # damaged UTF-8 lines repaired and counted
    notes = {"decode_errors": decode_errors, **({} if encoding in ("UTF-8", "UTF-16") else {"encoding": encoding})}
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    kind = suffixes[-1] if suffixes else ""
    skipped_lines = 0  # file lines above the header that were comments: line numbers in errors count them
    if kind in (".csv", ".tsv", ".txt"):
        lines_before = text.count("\n")
        text, comments = leading_comments(text)
        skipped_lines = lines_before - text.count("\n")
        if comments:
            notes["comment_lines"] = comments
    import io

    try:
        if kind == ".jsonl":
            frame = pd.DataFrame([json.loads(line) for line in text.splitlines() if line.strip()])
        elif kind == ".json":  # one array of records, as pandas' to_json(orient="records") and most exports write
            records = json.loads(text)
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise DataError(f"{path}: a .json file of texts holds one list of objects "
                                f"([{{\"text\": ..., \"label\": ...}}, ...]); this one holds a {type(records).__name__}"
                                + (" of other things" if isinstance(records, list) else ""))
            frame = pd.DataFrame(records)
        elif kind in (".csv", ".tsv", ".txt"):
            # A blank line is an empty text (reported), not nothing: row numbers stay the file's data rows.
            frame = pd.read_csv(io.StringIO(text), sep=header_delimiter(text, kind), dtype=str, keep_default_na=False,
                                skip_blank_lines=False)
        else:
            from .readers import OTHER_FORMATS

            raise DataError(f"{path}: unknown text file type {kind or '(none)'}; use .csv, .tsv, .json, .jsonl or a "
                            f"folder{OTHER_FORMATS.get(kind, '')}")
    except DataError:
        raise
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot parse ({exc})") from None
    if frame.empty:
        raise DataError(f"{path}: holds no rows")
    text_col = _text_column(frame, text_column, path, notes, choose_column)
    if label_column and "," in label_column and labels != "none":
        return _multilabel(frame, path, text_col, [c.strip() for c in label_column.split(",") if c.strip()], notes)
    label_col = pick_column(frame.columns, label_column, LABEL_COLUMN_NAMES, "label", path, words=True) if labels != "none" else None
    if label_col is not None and label_column is None and str(label_col).strip().lower() not in LABEL_COLUMN_NAMES:
        notes.setdefault("columns_chosen", []).append(f"labels from {label_col!r} (--label-column to choose)")
        notes["chosen_label_column"] = label_col
    if labels == "required" and label_col is None:
        others = [c for c in frame.columns if c not in (text_col, group_column, _id_column(frame.columns, (text_col,)))]
        if len(others) != 1:
            raise DataError(f"{path}: no label column found; name it with --label-column (columns: "
                            f"{list(frame.columns)[:12]})")
        label_col = notes["chosen_label_column"] = others[0]
        notes.setdefault("columns_chosen", []).append(
            f"labels from {label_col!r}, the one other column (--label-column to choose)")
    texts = frame[text_col].astype(str).tolist()
    empty = [i + 1 for i, t in enumerate(texts) if not t.strip()]
    keep = [i for i, t in enumerate(texts) if t.strip()]
    if not keep:
        raise DataError(f"{path}: every text in column {text_col!r} is empty")
    # " pos" and "pos " are "pos", and "1.0" is "1", as in series files (otherwise each is a class of its own)
    y = frame[label_col].astype(str).map(normalise_label).to_numpy(dtype=object)[keep] if label_col else None
    if y is not None:
        unlabelled = [keep[i] + 2 + skipped_lines for i, label in enumerate(y) if not label.strip()]  # + header, 1-based
        if unlabelled:
            shown = ", ".join(map(str, unlabelled[:5])) + (f" and {len(unlabelled) - 5} more" if len(unlabelled) > 5 else "")
            lines = f"line {shown} has" if len(unlabelled) == 1 else f"lines {shown} have"
            raise DataError(f"{path}: {lines} a text but no label in column {label_col!r}; fill the "
                            "labels in or remove those rows")
    groups = frame[group_column].astype(str).to_numpy(dtype=object)[keep] if group_column else None
    id_col = _id_column(frame.columns, (text_col, label_col, group_column))
    ids = frame[id_col].astype(str).to_numpy(dtype=object)[keep] if id_col else None
    return TextDataset([texts[i] for i in keep], y, str(path), path.name.split(".")[0], groups,
                       {**notes, "empty_rows": empty}, ids=ids)


def _text_column(frame, wanted: str | None, path: Path, notes: dict, choose: bool = True) -> str:
    """The column of texts: the one given, else one named text/review/..., else (with ``choose``) one whose name holds
    such a word and whose cells read as texts, else the only column whose cells read as texts (said in
    ``notes["columns_chosen"]``); several such are refused, and without ``choose`` any but a named one."""
    import shlex

    found = pick_column(frame.columns, wanted, TEXT_COLUMN_NAMES, "text", path, words=True)
    if found is not None and (wanted is not None or str(found).strip().lower() in TEXT_COLUMN_NAMES):
        return found
    if not choose:
        likely = _likely_text_column(frame)
        hint = f"; the longest texts are in {likely!r}: --text-column {shlex.quote(likely)}" if likely else ""
        raise DataError(f"{path}: no text column found; name it with --text-column (columns: "
                        f"{list(frame.columns)[:12]}){hint}")
    if found is not None and _text_like(frame[found]):  # "Body Type" holding "SUV" is no text column
        notes["columns_chosen"] = [f"texts from {found!r} (--text-column to choose)"]
        notes["chosen_text_column"] = found
        return found
    candidates = _text_like_columns(frame)
    if len(candidates) == 1:
        notes["columns_chosen"] = [f"texts from {candidates[0]!r}, the one column of texts (--text-column to choose)"]
        notes["chosen_text_column"] = candidates[0]
        return candidates[0]
    if candidates:
        raise DataError(f"{path}: several columns hold texts ({', '.join(map(repr, candidates[:6]))}); choose one with "
                        f"--text-column {shlex.quote(candidates[0])}")
    raise DataError(f"{path}: no text column found; name it with --text-column (columns: {list(frame.columns)[:12]})")


def looks_like_text_table(path: Path) -> bool:
    """Whether a .csv/.tsv/.txt table holds texts to classify (read from its first 256 KB): a column whose cells read as
    texts and at most three numeric columns beside it (an id, a label, a score), where a table of series has a number
    per step. Which column, and refusing several, is :func:`read_text`'s."""
    import io

    import pandas as pd

    from .audio import is_audio_manifest
    from .encoding import head_text, header_delimiter

    if path.suffix.lower() not in (".csv", ".tsv", ".txt") or not path.is_file() or is_audio_manifest(path):
        return False
    try:
        text = head_text(path)
        frame = pd.read_csv(io.StringIO(text), sep=header_delimiter(text, path.suffix), dtype=str,
                            keep_default_na=False, nrows=200, on_bad_lines="skip")
    except (DataError, ValueError, pd.errors.ParserError):  # the readers name the problem of such a file
        return False
    if len(frame) < 2 or any(str(c).startswith("Unnamed") for c in frame.columns):
        return False
    numeric = sum(pd.to_numeric(frame[c].str.strip(), errors="coerce").notna().mean() > 0.9 for c in frame.columns)
    if numeric > 3:
        return False
    return bool(_text_like_columns(frame.iloc[:-1]))  # the last row may be cut off by the 256 KB


def _id_column(columns, taken) -> str | None:
    """The column that names each text (``id``, else the first named like ``doc_id``, ``review-id``, ``ReviewID``
    or ``docId``), so predictions can be joined back; never the text, label or group column."""
    names = {c: c.strip() for c in columns if c not in taken and isinstance(c, str)}
    exact = [c for c, name in names.items() if name.lower() == "id"]
    # doc_id, review-id, "text id", ReviewID, docId; not paid, valid or android
    ending = [c for c, name in names.items() if name.lower().endswith(("_id", "-id", " id"))
              or (len(name) > 2 and name.endswith(("ID", "Id")) and not name[:-2].isupper())]
    return (exact or ending or [None])[0]


def _multilabel(frame, path: Path, text_col: str, label_columns: list[str], notes: dict) -> TextDataset:
    """Several 0/1 label columns: one multi-label target matrix, columns named by the labels (``text_col``: the
    column of texts, as read_text chose it)."""
    matrix = indicator_columns(frame, label_columns, path)
    texts = frame[text_col].astype(str).tolist()
    keep = [i for i, t in enumerate(texts) if t.strip()]
    ds = TextDataset([texts[i] for i in keep], matrix[keep], str(path), path.name.split(".")[0], None,
                     {**notes, "empty_rows": [i + 1 for i, t in enumerate(texts) if not t.strip()]})
    ds.label_names = label_columns
    return ds


def _read_folder(path: Path) -> TextDataset:
    from .encoding import decode

    texts, labels, decode_errors = [], [], []
    for folder in sorted(p for p in path.iterdir() if p.is_dir()):
        for file in sorted(folder.glob("*.txt")):
            raw = file.read_bytes()
            content, _ = decode(raw)  # each file in its own encoding: UTF-8, UTF-16 or Windows-1252
            if content is None:
                decode_errors.append(str(file))
                content = raw.decode("utf-8", errors="replace")
            if content.strip():
                texts.append(content)
                labels.append(folder.name)
    if not texts:
        raise DataError(f"{path}: no class subfolders holding .txt files")
    return TextDataset(texts, np.array(labels, dtype=object), str(path), path.name, None,
                       {"decode_errors": decode_errors, "empty_rows": []})
