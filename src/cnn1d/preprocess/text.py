"""A word- or character-level tokenizer whose whole state is a JSON vocabulary (saved in the bundle).

Index 0 pads, index 1 is out-of-vocabulary. The sequence length defaults to the 95th percentile of
training lengths, so a few very long texts do not make every batch long.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np

_WORD = re.compile(r"[\w']+|[^\w\s]", re.UNICODE)


@dataclass
class Tokenizer:
    level: str = "word"
    max_tokens: int = 20000
    min_count: int = 1
    sequence_length: int | None = None
    lowercase: bool = True
    vocabulary: list[str] = field(default_factory=list)

    def tokens(self, text: str) -> list[str]:
        text = text.lower() if self.lowercase else text
        return list(text) if self.level == "char" else _WORD.findall(text)

    def fit(self, texts: list[str], percentile: float = 95.0) -> "Tokenizer":
        counts = Counter()
        lengths = []
        for t in texts:
            toks = self.tokens(t)
            counts.update(toks)
            lengths.append(len(toks))
        common = [w for w, c in counts.most_common(self.max_tokens - 2) if c >= self.min_count]
        self.vocabulary = ["<pad>", "<oov>"] + common
        if self.sequence_length is None:
            self.sequence_length = int(max(8, np.percentile(lengths, percentile)))
        return self

    def transform(self, texts: list[str]) -> np.ndarray:
        index = {w: i for i, w in enumerate(self.vocabulary)}
        out = np.zeros((len(texts), self.sequence_length), dtype=np.int32)
        for row, t in enumerate(texts):
            ids = [index.get(w, 1) for w in self.tokens(t)[: self.sequence_length]]
            out[row, : len(ids)] = ids
        return out

    def oov_rate(self, texts: list[str]) -> float:
        index = set(self.vocabulary)
        toks = [w for t in texts for w in self.tokens(t)]
        return float(np.mean([w not in index for w in toks])) if toks else 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, state: dict) -> "Tokenizer":
        return cls(**state)
