"""Multi-label tagging: each example carries any number of tags (a 0/1 row); sigmoid outputs, binary
cross-entropy, one decision threshold per tag chosen on held-out data, micro/macro F1 and mAP."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DataError

name = "tag"
output_activation = "sigmoid"
loss = "binary_crossentropy"


def is_multilabel(y: Any) -> bool:
    """A 2-D target with more than one column (a single column is an ordinary label vector)."""
    return getattr(y, "ndim", 1) == 2 and y.shape[1] > 1


def fit_tags(y: np.ndarray, names: list | None, where: str = "tags") -> tuple[np.ndarray, np.ndarray]:
    """Validate a 0/1 tag matrix -> (float32 targets, tag names)."""
    targets = _as_indicator(y, where)
    names = list(names) if names is not None and len(names) == targets.shape[1] else [f"tag_{j}" for j in range(targets.shape[1])]
    counts = targets.sum(axis=0)
    if (counts == 0).any():
        absent = [str(n) for n, c in zip(names, counts) if c == 0]
        raise DataError(f"{where}: tag(s) {absent[:5]} never occur in the training data; drop them or add examples")
    return targets, np.array(names, dtype=object)


def encode(y: np.ndarray, names: list | None, tags: np.ndarray, where: str = "tags") -> np.ndarray:
    """A 0/1 matrix whose columns are ``names`` -> columns ordered as the model's ``tags``."""
    targets = _as_indicator(y, where)
    if names is None or list(names) == list(tags):
        if targets.shape[1] != len(tags):
            raise DataError(f"{where}: {targets.shape[1]} tag columns but the model knows {len(tags)} tags")
        return targets
    index = {t: j for j, t in enumerate(tags.tolist())}
    unknown = [str(n) for n in names if n not in index]
    if unknown:
        raise DataError(f"{where}: tag(s) {unknown[:5]} were not seen in training; the model knows "
                        f"{[str(t) for t in tags[:20]]}")
    out = np.zeros((len(targets), len(tags)), dtype=np.float32)
    for j, n in enumerate(names):
        out[:, index[n]] = targets[:, j]
    return out


def baseline_proba(y_train: np.ndarray, n: int) -> np.ndarray:
    """The prevalence predictor: every example gets each tag's training frequency."""
    return np.tile(y_train.mean(axis=0), (n, 1))


def _as_indicator(y: Any, where: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 2:
        raise DataError(f"{where}: multi-label targets must be a 0/1 matrix (examples x tags), got shape {y.shape}")
    try:
        targets = y.astype(np.float32)
    except (TypeError, ValueError):
        raise DataError(f"{where}: multi-label targets must be 0/1") from None
    if not np.isin(targets, (0.0, 1.0)).all():
        raise DataError(f"{where}: multi-label targets must be 0/1")
    return targets
