"""The one data type every reader produces and every estimator accepts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np

from ..errors import DataError


@dataclass
class Dataset:
    """A set of (possibly variable-length, possibly multichannel) series with optional labels.

    Args:
        values: float32 array ``(n, steps, channels)``. ``NaN`` inside a series marks a missing value;
            positions at or after ``lengths[i]`` are padding and hold 0.
        lengths: int array ``(n,)``, the true length of each series.
        y: labels (classification) or targets (regression), shape ``(n,)``, or ``None`` when unlabelled.
            File readers return labels as strings, exactly as written in the file. Multi-label (tagging)
            targets are a 0/1 matrix ``(n, n_tags)`` whose columns are named by ``class_names``.
        class_names: the classes a file header declares, or the tag names of a multi-label ``y``
            (``None`` when the source declares none).
        task: ``"classify"`` or ``"regress"`` when the source says which (a ``.ts`` header does), else ``None``.
        name: short dataset name, e.g. ``"GunPoint"``.
        source: where the data came from (a path, ``"embedded:gunpoint"``, ``"array"``).
        channel_names: optional names of the channels.
    """

    values: np.ndarray
    lengths: np.ndarray
    y: np.ndarray | None = None
    class_names: list[Any] | None = None
    task: str | None = None
    name: str | None = None
    source: str | None = None
    channel_names: list[str] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = self.source or "data"
        if self.values.ndim != 3:
            raise DataError(f"{where}: series values must have shape (n, steps, channels), got {self.values.shape}")
        if len(self) == 0:
            raise DataError(f"{where}: holds no series")
        if self.values.shape[1] == 0 or self.values.shape[2] == 0:
            raise DataError(f"{where}: series have no time steps or no channels (shape {self.values.shape})")
        if self.lengths.shape != (len(self),):
            raise DataError(f"{where}: lengths must have one entry per series")
        if self.y is not None and len(self.y) != len(self):
            raise DataError(f"{where}: {len(self)} series but {len(self.y)} labels")
        if np.isinf(self.values).any():
            bad = int(np.argwhere(np.isinf(self.values).any(axis=(1, 2)))[0, 0])
            raise DataError(f"{where}: series {bad} holds an infinite value; replace it or mark it missing (NaN)")
        observed = self.observed_mask()
        empty = np.flatnonzero(~observed.any(axis=(1, 2)))
        if empty.size:
            raise DataError(f"{where}: series {int(empty[0])} has no observed values (all missing or empty)")

    # -- shape facts --------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_channels(self) -> int:
        return int(self.values.shape[2])

    @property
    def max_length(self) -> int:
        return int(self.values.shape[1])

    @property
    def equal_length(self) -> bool:
        return bool((self.lengths == self.max_length).all())

    def padding_mask(self) -> np.ndarray:
        """Boolean ``(n, steps)``: True inside each series, False on padding."""
        return np.arange(self.max_length)[None, :] < self.lengths[:, None]

    def observed_mask(self) -> np.ndarray:
        """Boolean ``(n, steps, channels)``: True where a value was observed (not missing, not padding)."""
        return self.padding_mask()[:, :, None] & ~np.isnan(self.values)

    @property
    def has_missing(self) -> bool:
        return bool(np.isnan(self.values[self.padding_mask()]).any())

    def length_groups(self, up_to: int | None = None) -> list[np.ndarray]:
        """The row indices of each distinct series length, shortest first; with ``up_to``, the series of at most
        that length form the first group (padded together to it, as in training), each longer length its own."""
        if not up_to:
            return [np.flatnonzero(self.lengths == n) for n in np.unique(self.lengths)]
        short = np.flatnonzero(self.lengths <= up_to)
        longer = [np.flatnonzero(self.lengths == n) for n in np.unique(self.lengths[self.lengths > up_to])]
        return ([short] if len(short) else []) + longer

    def subset(self, index) -> "Dataset":
        index = np.asarray(index)
        lengths = self.lengths[index]
        keep = int(lengths.max())
        return replace(
            self,
            values=self.values[index, :keep],
            lengths=lengths,
            y=None if self.y is None else self.y[index],
        )

    def describe(self, task: str | None = None) -> str:
        """One line: size, length, channels, classes or tags (``task``: the run's task when the data's own is
        not yet set), missing values, how numbers were read."""
        length = str(self.max_length) if self.equal_length else f"{int(self.lengths.min())}-{self.max_length}"
        parts = [f"{len(self)} series", f"length {length}", f"{self.n_channels} channel(s)"]
        if self.y is not None and self.y.ndim == 2:
            parts.append(f"{self.y.shape[1]} tags (multi-label)")
        elif self.y is not None and (task or self.task) != "regress":
            parts.append(f"{len(np.unique(self.y.astype(str)))} classes")
        if self.has_missing:
            parts.append("missing values")
        if self.meta.get("numbers_read"):
            parts.append(self.meta["numbers_read"])
        if self.meta.get("encoding"):
            parts.append(f"read as {self.meta['encoding']} (not UTF-8)")
        # what reading decided, each already in words
        parts += [self.meta[key] for key in ("labels_from", "comment_lines", "channel_columns", "series_column",
                                             "npz_arrays", "id_columns_left_out") if self.meta.get(key)]
        if self.meta.get("conversions"):
            parts.append(f"clips {self.meta['conversions']}")
        return ", ".join(parts)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_series(
        cls,
        series: Sequence[np.ndarray],
        y: Sequence[Any] | np.ndarray | None = None,
        *,
        source: str | None = None,
        **kwargs: Any,
    ) -> "Dataset":
        """Build a Dataset from a list of ``(steps,)`` or ``(steps, channels)`` arrays of any lengths."""
        where = source or "data"
        arrays = []
        for i, s in enumerate(series):
            try:
                a = np.asarray(s, dtype=np.float32)
            except (TypeError, ValueError):
                raise DataError(f"{where}: series {i} holds non-numeric values") from None
            if a.ndim == 1:
                a = a[:, None]
            if a.ndim != 2:
                raise DataError(f"{where}: series {i} must be 1-D (steps,) or 2-D (steps, channels), got shape {a.shape}")
            arrays.append(a)
        if not arrays:
            raise DataError(f"{where}: holds no series")
        channels = {a.shape[1] for a in arrays}
        if len(channels) > 1:
            raise DataError(f"{where}: series have different channel counts {sorted(channels)}; all must match")
        lengths = np.array([_trailing_length(a) for a in arrays], dtype=np.int64)
        values = np.zeros((len(arrays), max(int(lengths.max()), 1), channels.pop()), dtype=np.float32)
        for i, (a, n) in enumerate(zip(arrays, lengths)):
            values[i, :n] = a[:n]
        return cls(values=values, lengths=lengths, y=None if y is None else np.asarray(y), source=source, **kwargs)

    @classmethod
    def from_array(cls, X: Any, y: Any = None, *, source: str = "array", **kwargs: Any) -> "Dataset":
        """Build a Dataset from ``(n, steps)`` / ``(n, steps, channels)`` arrays or a list of series.

        Trailing NaNs of a series are read as the end of a shorter series (the UCR convention for
        variable-length data); NaNs before the last observed value are missing values.
        """
        if isinstance(X, Dataset):
            return X if y is None else replace(X, y=np.asarray(y))
        shape = np.shape(X) if isinstance(X, np.ndarray) else ()
        if len(shape) == 3 and shape[1] < shape[2] and shape[1] <= TRANSPOSED_MAX_STEPS:
            # aeon, sktime and tsai hold panels as (n, channels, steps): read as ours, a univariate panel
            # (n, 1, 150) is one step of 150 channels, and it trains without complaint.
            raise DataError(f"{source}: X has shape {shape}: cnn1d reads (n, steps, channels), so each series would be "
                            f"{shape[1]} step(s) of {shape[2]} channels. aeon and sktime use (n, channels, steps): pass "
                            f"X.transpose(0, 2, 1). (If each really is {shape[1]} steps of {shape[2]} channels, pass a "
                            "list of (steps, channels) arrays.)")
        if isinstance(X, (list, tuple)) and X and not np.isscalar(X[0]):
            shapes = {np.shape(s) for s in X}
            if len(shapes) > 1:
                return cls.from_series(X, y, source=source, **kwargs)
        try:
            arr = np.asarray(X, dtype=np.float32)
        except (TypeError, ValueError):
            raise DataError(f"{source}: X must be numeric, shaped (n, steps) or (n, steps, channels)") from None
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.ndim != 3:
            raise DataError(f"{source}: X must have shape (n, steps) or (n, steps, channels), got {arr.shape}")
        if arr.shape[0] == 0:
            raise DataError(f"{source}: X holds no series")
        observed = ~np.isnan(arr).all(axis=2)
        lengths = np.where(observed.any(axis=1), arr.shape[1] - np.argmax(observed[:, ::-1], axis=1), 0)
        values = np.where((np.arange(arr.shape[1])[None, :] < lengths[:, None])[:, :, None], arr, 0.0)
        return cls(values=values.astype(np.float32), lengths=lengths.astype(np.int64),
                   y=None if y is None else np.asarray(y), source=source, **kwargs)


def rows_together(n: int, parts: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """``(rows, outputs)`` pairs of disjoint row groups (e.g. from :meth:`Dataset.length_groups`) as one
    array of ``n`` rows, each output back on its row."""
    out = np.zeros((n, *parts[0][1].shape[1:]), dtype=parts[0][1].dtype)
    for rows, part in parts:
        out[rows] = part
    return out


# A 3-D array with fewer steps than channels, and at most this many steps, is taken for (n, channels, steps).
TRANSPOSED_MAX_STEPS = 16


def _trailing_length(a: np.ndarray) -> int:
    observed = np.flatnonzero(~np.isnan(a).all(axis=1))
    return int(observed[-1]) + 1 if observed.size else 0
