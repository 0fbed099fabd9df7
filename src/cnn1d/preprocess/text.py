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


def load_word_vectors(path: str, vocabulary: list[str]) -> tuple[int, list]:
    """Read a GloVe / word2vec text file (``word v1 v2 ...``; a word2vec header line is skipped) into an
    embedding matrix for ``vocabulary``: rows for known words, small random rows for the rest."""
    from pathlib import Path

    from ..errors import DataError

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: word-vector file not found")
    wanted = {w: i for i, w in enumerate(vocabulary)}
    rows: dict[int, np.ndarray] = {}
    dim = None
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line_no, line in enumerate(fh, 1):
            parts = line.rstrip().split(" ")
            if line_no == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec text header: "<count> <dim>"
            if len(parts) < 3:
                continue
            if dim is None:
                dim = len(parts) - 1
            if len(parts) - 1 != dim:
                raise DataError(f"{path}:{line_no}: {len(parts) - 1} values, expected {dim}")
            index = wanted.get(parts[0])
            if index is not None:
                try:
                    rows[index] = np.asarray(parts[1:], dtype=np.float32)
                except ValueError:
                    raise DataError(f"{path}:{line_no}: non-numeric vector values") from None
    if dim is None:
        raise DataError(f"{path}: no word vectors found")
    rng = np.random.default_rng(0)
    matrix = rng.normal(0, 0.1, size=(len(vocabulary), dim)).astype(np.float32)
    matrix[0] = 0.0
    for i, v in rows.items():
        matrix[i] = v
    return dim, matrix.tolist()
