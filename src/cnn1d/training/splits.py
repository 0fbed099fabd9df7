"""The one way cnn1d splits examples in two (test hold-outs and validation splits alike).

Stratified by class when every class can appear on both sides, by group when groups are given (a movie's
reviews, a speaker's clips never straddle the split), plain random otherwise. Multi-label targets are never
stratified.
"""

from __future__ import annotations

import numpy as np


def split_indices(n: int, fraction: float | None = None, *, seed: int | None, labels=None, groups=None,
                  n_held: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(kept, held_out)`` index arrays; ``n_held`` (or ``round(n * fraction)``) examples are held out.

    ``labels``: 1-D class labels to stratify by (ignored when a class has a single example or cannot reach
    both sides). ``groups``: keep each group on one side. ``seed`` ``None`` draws a fresh split.
    """
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    index = np.arange(n)
    rng = seed if seed is not None else int(np.random.randint(2**31 - 1))
    if n_held is None:
        n_held = int(round(n * float(fraction)))
    if n_held <= 0:  # no validation split asked for (or too few examples for one)
        return index, index[:0]
    if groups is not None:
        split = GroupShuffleSplit(1, test_size=n_held / n, random_state=rng)
        kept, held = next(split.split(index, groups=np.asarray(groups)))
        return kept, held
    stratify = None
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim == 1:
            _, inverse, counts = np.unique(labels.astype(str), return_inverse=True, return_counts=True)
            single = counts[inverse.ravel()] == 1
            if single.any() and (~single).sum() > n_held:
                # A class seen once stays on the kept side (held out, the model would never learn it), and the
                # other classes are still stratified (one singleton used to turn stratification off for all).
                rest = index[~single]
                kept, held = split_indices(len(rest), seed=rng, labels=labels[~single], n_held=n_held)
                return np.concatenate([rest[kept], index[single]]), rest[held]
            if counts.min() >= 2 and n_held >= len(counts) and n - n_held >= len(counts):
                stratify = labels.astype(str)
    kept, held = train_test_split(index, test_size=n_held, random_state=rng, stratify=stratify)
    return kept, held
