"""Language modelling: perplexity and the n-gram baseline it is compared with."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np

loss = "sparse_categorical_crossentropy"


class WittenBellNgram:
    """An interpolated Witten-Bell n-gram model over token ids: a properly normalised baseline.

    P(w | h) = (c(h, w) + T(h) P(w | h')) / (c(h) + T(h)), with T(h) the number of distinct tokens seen
    after h and h' the history shortened by one; the recursion ends in the uniform distribution.
    """

    def __init__(self, order: int, vocab_size: int):
        self.order = order
        self.vocab_size = vocab_size
        self.counts = [defaultdict(Counter) for _ in range(order)]
        self._totals: dict = {}

    def fit(self, tokens: np.ndarray) -> "WittenBellNgram":
        seq = tokens.tolist()
        for n in range(self.order):
            table = self.counts[n]
            for i in range(n, len(seq)):
                table[tuple(seq[i - n: i])][seq[i]] += 1
        return self

    def _total(self, n: int, h: tuple, following: Counter) -> int:
        key = (n, h)
        if key not in self._totals:
            self._totals[key] = sum(following.values())
        return self._totals[key]

    def prob(self, history: tuple, token: int) -> float:
        p = 1.0 / self.vocab_size
        for n in range(0, self.order):
            if n > len(history):
                break
            h = tuple(history[len(history) - n:]) if n else ()
            following = self.counts[n].get(h)
            if not following:
                continue
            total, types = self._total(n, h, following), len(following)
            p = (following.get(token, 0) + types * p) / (total + types)
        return p

    def perplexity(self, tokens: np.ndarray) -> float:
        seq = tokens.tolist()
        nll = 0.0
        for i in range(len(seq)):
            nll -= math.log(self.prob(tuple(seq[max(0, i - self.order + 1): i]), seq[i]))
        return math.exp(nll / max(len(seq), 1))
