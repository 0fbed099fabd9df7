"""Tokenizers whose whole state is JSON (saved in the bundle): words, characters or learned subwords.

Index 0 pads, index 1 is out-of-vocabulary. Text is NFKC-normalised first (full-width forms, ligatures and
compatibility characters become their plain equivalents), then lowercased. Scripts written without spaces
(Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan) have no words to split on: the word level takes each of their
characters as a token, and ``choose_level`` picks character tokens for texts mostly in such scripts.
Subwords are a unigram model trained on the training texts with Hugging Face ``tokenizers`` and kept as
its own JSON. The sequence length defaults to the 95th percentile of training lengths, so a few very long
texts do not make every batch long.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np

LEVELS = ("word", "char", "subword")
# Scripts written without spaces between words: CJK ideographs (and their extensions and compatibility
# block), hiragana, katakana, Thai, Lao, Tibetan, Myanmar, Khmer.
_UNSPACED = ("\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u31f0-\u31ff"
             "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f")
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]")
_WORD = re.compile(f"[{_UNSPACED}]|(?:(?![{_UNSPACED}])[\\w'])+|[^\\w\\s]", re.UNICODE)
_LEGACY_WORD = re.compile(r"[\w']+|[^\w\s]", re.UNICODE)
SUBWORD_SPECIALS = ["<pad>", "<oov>"]
# Texts with at least this share of letters in unspaced scripts get character tokens (and the TF-IDF
# baseline character n-grams): Chinese or Japanese with some Latin words, digits and brand names included.
UNSPACED_SHARE = 0.3


def unspaced_fraction(texts: list[str], limit: int = 2000) -> float:
    """The share of letters (not digits, spaces or punctuation) that belong to scripts written without spaces,
    over up to ``limit`` texts spread evenly through the list (a file sorted by language is still seen whole)."""
    unspaced = letters = 0
    for text in texts[:: max(1, len(texts) // limit)]:
        for ch in text:
            if ch.isalpha():
                letters += 1
                unspaced += bool(_UNSPACED_CHAR.match(ch))
    return unspaced / letters if letters else 0.0


def choose_level(texts: list[str]) -> tuple[str, str]:
    """``(level, why)``: character tokens when at least ``UNSPACED_SHARE`` of the letters are in scripts
    without spaces, else words."""
    share = unspaced_fraction(texts)
    if share >= UNSPACED_SHARE:
        return "char", f"{share:.0%} of letters are in scripts written without spaces"
    return "word", f"{1 - share:.0%} of letters are in space-separated scripts"


def _subword_backend():
    try:
        import tokenizers
    except ImportError:
        from ..errors import ConfigError

        raise ConfigError("subword tokens need Hugging Face tokenizers: pip install tokenizers "
                          "(it comes with cnn1d[train] and cnn1d[runtime])") from None
    return tokenizers


@dataclass
class Tokenizer:
    level: str = "word"
    max_tokens: int = 20000
    min_count: int = 1
    sequence_length: int | None = None
    lowercase: bool = True
    vocabulary: list[str] = field(default_factory=list)
    normalization: str | None = "NFKC"
    subword_model: str | None = None  # the trained tokenizers JSON (level "subword")
    unspaced_chars: bool = True  # word level: each character of an unspaced script is a token
    _subword: object = field(default=None, init=False, repr=False, compare=False)

    def normalize(self, text: str) -> str:
        if self.normalization:
            text = unicodedata.normalize(self.normalization, text)
        return text.lower() if self.lowercase else text

    def tokens(self, text: str) -> list[str]:
        text = self.normalize(text)
        if self.level == "char":
            return list(text)
        if self.level == "subword":
            return self._subword_tokenizer().encode(text, add_special_tokens=False).tokens
        return (_WORD if self.unspaced_chars else _LEGACY_WORD).findall(text)

    def _subword_tokenizer(self):
        if self._subword is None:
            if not self.subword_model:
                from ..errors import ConfigError

                raise ConfigError("this subword tokenizer has no trained model; fit it first")
            self._subword = _subword_backend().Tokenizer.from_str(self.subword_model)
        return self._subword

    def _train_subwords(self, texts: list[str]) -> None:
        """A unigram model (Kudo 2018) over whitespace- and punctuation-split pieces, with pieces of
        unspaced scripts free to span what would be whole words."""
        tk = _subword_backend()
        model = tk.Tokenizer(tk.models.Unigram())
        model.pre_tokenizer = tk.pre_tokenizers.Sequence([tk.pre_tokenizers.Metaspace(), tk.pre_tokenizers.Punctuation()])
        model.decoder = tk.decoders.Metaspace()
        trainer = tk.trainers.UnigramTrainer(vocab_size=min(self.max_tokens, 8000), special_tokens=SUBWORD_SPECIALS,
                                             unk_token="<oov>", show_progress=False)
        model.train_from_iterator([self.normalize(t) for t in texts], trainer)
        self.subword_model = model.to_str()
        self._subword = model

    def fit(self, texts: list[str], percentile: float = 95.0) -> "Tokenizer":
        if self.level not in LEVELS:
            from ..errors import ConfigError

            raise ConfigError(f"tokens must be one of {', '.join(LEVELS)}, got {self.level!r}")
        if self.level == "subword":
            self._train_subwords(texts)
        counts = Counter()
        lengths = []
        for t in texts:
            toks = self.tokens(t)
            counts.update(toks)
            lengths.append(len(toks))
        counts.pop("<oov>", None)
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
        index = set(self.vocabulary) - {"<oov>"}
        toks = [w for t in texts for w in self.tokens(t)]
        return float(np.mean([w not in index for w in toks])) if toks else 0.0

    def describe(self) -> str:
        norm = f"{self.normalization}-normalised, " if self.normalization else ""
        return (f"{self.level} tokens ({norm}{'lowercased, ' if self.lowercase else ''}"
                f"vocabulary {len(self.vocabulary):,}, {self.sequence_length} per text)")

    def to_dict(self) -> dict:
        state = asdict(self)
        state.pop("_subword")
        return state

    @classmethod
    def from_dict(cls, state: dict) -> "Tokenizer":
        state = dict(state)
        if "normalization" not in state:  # saved before tokenizers normalised and split unspaced scripts
            state.update(normalization=None, unspaced_chars=False)
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


# Out-of-vocabulary rates at prediction above this share, and this many times the validation split's, are text
# unlike the training texts (another language, another script): the predictions then rest on little.
UNFAMILIAR_OOV = 0.5
UNFAMILIAR_OOV_RATIO = 2.0


def unfamiliar_text_warning(oov: float, validation_oov: float | None) -> str | None:
    """A warning when texts to predict have an out-of-vocabulary rate ``oov`` far above the training texts'."""
    if oov < UNFAMILIAR_OOV or (validation_oov is not None and oov < UNFAMILIAR_OOV_RATIO * validation_oov):
        return None
    seen = "" if validation_oov is None else f" (validation texts in training: {validation_oov:.1%})"
    return (f"{oov:.0%} of these texts' tokens were never seen in training{seen}: the texts are unlike the training "
            "texts (another language or script?), and the predictions rest on little")
