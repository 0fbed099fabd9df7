"""Multi-label targets in the two shapes users write them: several 0/1 columns, or one column of tags
separated by ``|`` or ``;`` (``"dog|bark"``). Both become a 0/1 indicator matrix plus the tag names."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..errors import DataError, did_you_mean

TAG_SEPARATORS = ("|", ";")
_TRUTHY = {"1": 1, "0": 0, "true": 1, "false": 0, "yes": 1, "no": 0, "": 0, "1.0": 1, "0.0": 0}


def indicator_columns(frame, columns: list[str], where: Any) -> np.ndarray:
    """Several 0/1 (or true/false, yes/no) columns of a DataFrame -> an int32 ``(rows, len(columns))`` matrix."""
    for col in columns:
        if col not in frame.columns:
            raise DataError(f"{where}: no label column {col!r}{did_you_mean(col, frame.columns)}; columns are {list(frame.columns)[:12]}")
    matrix = np.zeros((len(frame), len(columns)), dtype=np.int32)
    for j, col in enumerate(columns):
        values = frame[col].astype(str).str.strip().str.lower()
        bad = ~values.isin(list(_TRUTHY))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{where}: label column {col!r}, data row {row + 1} holds {frame[col].iat[row]!r}; "
                            "multi-label columns hold 0/1 (or true/false)")
        matrix[:, j] = values.map(_TRUTHY).to_numpy()
    return matrix


def split_tags(value: Any) -> list[str]:
    """``"dog | bark"`` -> ``["dog", "bark"]``; an empty cell is a clip with no tags."""
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    for sep in TAG_SEPARATORS[1:]:
        text = text.replace(sep, TAG_SEPARATORS[0])
    return [t.strip() for t in text.split(TAG_SEPARATORS[0]) if t.strip()]


def tags_to_matrix(tag_lists: Iterable[Iterable[Any]], names: list[Any] | None = None,
                   where: Any = "labels") -> tuple[np.ndarray, list[Any]]:
    """Lists of tags per example -> (0/1 matrix, tag names). With ``names``, columns follow them and a tag
    outside them is an error; without, the names are the sorted tags seen."""
    tag_lists = [list(tags) for tags in tag_lists]
    seen = sorted({t for tags in tag_lists for t in tags}, key=str)
    if names is None:
        names = seen
    index = {t: j for j, t in enumerate(names)}
    unknown = [t for t in seen if t not in index]
    if unknown:
        raise DataError(f"{where}: tag(s) {[str(t) for t in unknown[:5]]} were not seen in training; "
                        f"the model knows {[str(t) for t in names[:20]]}")
    matrix = np.zeros((len(tag_lists), len(names)), dtype=np.int32)
    for i, tags in enumerate(tag_lists):
        for t in tags:
            matrix[i, index[t]] = 1
    return matrix, list(names)


def is_tag_lists(y: Any) -> bool:
    """True for a list of lists/tuples/sets of tags (the scikit-learn multi-label input before binarising)."""
    if isinstance(y, np.ndarray) and y.dtype.kind != "O":
        return False
    try:
        items = list(y)
    except TypeError:
        return False
    return bool(items) and all(isinstance(t, (list, tuple, set, frozenset)) for t in items)
