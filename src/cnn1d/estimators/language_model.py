"""CNNLanguageModel: a causal dilated CNN that predicts the next character or word, reports perplexity
beside an n-gram baseline, and generates text."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import ConfigError, DataError
from ..tasks import lm
from .bundled import FittedStateMixin


class CNNLanguageModel(FittedStateMixin, BaseEstimator):
    """Train on a corpus (a string or a list of documents), then ``perplexity(text)`` and
    ``generate(prompt, length, temperature, seed)``.

    Args:
        tokens: ``char`` (default) or ``word`` tokens.
        context: tokens per training window (the model sees at most its receptive field of them).
        max_tokens: vocabulary cap (word level); rarer tokens map to ``<oov>``.
        Training arguments as for the other estimators.
    """

    task = "lm"

    def __init__(self, tokens: str = "char", context: int = 128, max_tokens: int = 20000, model: str = "causal_lm",
                 model_params: dict | None = None, epochs: int = 20, batch_size: int | None = 32,
                 learning_rate: float = 2e-3, validation_fraction: float = 0.1, patience: int = 3,
                 max_time: float | None = None, seed: int | None = None, verbose: int = 0, out: str | None = None):
        self.tokens = tokens
        self.context = context
        self.max_tokens = max_tokens
        self.model = model
        self.model_params = model_params
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.max_time = max_time
        self.seed = seed
        self.verbose = verbose
        self.out = out

    def to_config(self):
        """The parameters as a RunConfig (what the bundle records and ``cnn1d train --config`` replays)."""
        from ..config import config_of

        return config_of(self, "lm")

    def _fit_policy(self):
        """What the trainer reads: the held-out tail is scored by perplexity, not split again."""
        return self.to_config().replace(model_params=dict(self.model_params or {}), validation_fraction=0.0,
                                        lr_patience=max(1, self.patience // 2), min_learning_rate=1e-5)

    def _encode(self, text: str) -> np.ndarray:
        index = {w: i for i, w in enumerate(self.tokenizer_.vocabulary)}
        return np.array([index.get(w, 1) for w in self.tokenizer_.tokens(text)], dtype=np.int32)

    def _windows(self, ids: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
        L = self.context
        starts = range(0, max(len(ids) - L - 1, 0) + 1, stride)
        X = np.stack([ids[s: s + L] for s in starts if s + L + 1 <= len(ids)])
        y = np.stack([ids[s + 1: s + L + 1] for s in starts if s + L + 1 <= len(ids)])
        return X, y

    def fit(self, corpus: Any) -> "CNNLanguageModel":
        from .. import models
        from .._backend import backend_name, seed_everything
        from ..preprocess.text import Tokenizer
        from ..training import trainer

        text = corpus if isinstance(corpus, str) else "\n".join(corpus)
        if self.tokens not in ("char", "word"):
            raise ConfigError(f"language model tokens must be 'char' or 'word', got {self.tokens!r}"
                              + (" (subword tokens are for text classification)" if self.tokens == "subword" else ""))
        if models.get(self.model).modality != "lm":
            raise ConfigError(f"model {self.model!r} is not a language model; use causal_lm")
        if self.seed is not None:
            seed_everything(self.seed)
        # The last part of the corpus is held out, in order: perplexity is measured on text the model never saw.
        cut = int(len(text) * (1 - self.validation_fraction))
        train_text, val_text = text[:cut], text[cut:]
        self.tokenizer_ = Tokenizer(level=self.tokens, max_tokens=self.max_tokens, lowercase=self.tokens == "word",
                                    sequence_length=self.context).fit([train_text])
        train_ids, val_ids = self._encode(train_text), self._encode(val_text)
        if len(train_ids) < 4 * self.context or len(val_ids) < self.context + 2:
            raise DataError(f"the corpus is too short: {len(train_ids)} training tokens for a context of {self.context}; "
                            "give more text or a smaller context")
        X, y = self._windows(train_ids, stride=max(1, self.context // 2))
        Xv, yv = self._windows(val_ids, stride=self.context)
        vocab = len(self.tokenizer_.vocabulary)
        network = models.build(self.model, (None,), vocab, "softmax", **(self.model_params or {}))
        result = trainer.train(network, X, y, validation=(Xv, yv), config=self._fit_policy(), loss=lm.loss, metrics=[],
                               run_dir=Path(self.out) if self.out else None)
        self.model_ = result.model
        trainer.record_training(self, result)
        self.n_params_ = int(self.model_.count_params())
        self.backend_ = backend_name()
        self.config_ = self.to_config()
        self.n_train_tokens_, self.n_heldout_tokens_ = int(len(train_ids)), int(len(val_ids))
        self.heldout_perplexity_ = self._perplexity_ids(val_ids)
        ngram = lm.WittenBellNgram(5 if self.tokens == "char" else 3, vocab).fit(train_ids)
        self.ngram_perplexity_ = ngram.perplexity(val_ids)
        self._train_ids = train_ids
        return self


    def _perplexity_ids(self, ids: np.ndarray) -> float:
        """Every token scored once, each with up to ``context`` tokens of history."""
        L = self.context
        nll, count = 0.0, 0
        for start in range(0, len(ids) - 1, L):
            history = ids[max(0, start - L + 1): start + 1]
            window = ids[max(0, start - L + 1): min(start + L, len(ids) - 1) + 1]
            probs = np.asarray(self.model_.predict_on_batch(window[None, :-1]))[0]
            targets = window[1:]
            first = len(history) - 1  # predictions for tokens after `start` only
            p = probs[np.arange(len(targets)), targets][first:]
            nll -= float(np.log(np.maximum(p, 1e-12)).sum())
            count += len(p)
        return math.exp(nll / max(count, 1))

    def perplexity(self, text: str) -> float:
        self._check_fitted()
        ids = self._encode(text)
        if len(ids) < 2:
            raise DataError("perplexity needs at least two tokens of text")
        return self._perplexity_ids(ids)

    def explain(self, texts: Any, method: str = "auto", target: str | None = None) -> np.ndarray:
        """Which tokens of each text drove the prediction of the token that follows it (or of ``target``):
        integrated gradients over the token embeddings (another ``method`` is used where the network allows it
        and refused where it does not), ``(n, tokens)`` (the last ``context`` tokens of each
        text, left-aligned; zeros past a shorter text's end)."""
        from ..evaluation.explain import check_method, explain_arrays

        self._check_fitted()
        check_method(method)
        method = "ig" if method == "auto" else method
        texts = [texts] if isinstance(texts, str) else list(texts)
        rows = []
        for text in texts:
            ids = self._encode(text)[-self.context:]
            if len(ids) == 0:
                raise DataError("explain needs at least one token of text")
            x = ids[None, :].astype(np.int32)
            if target is None:
                index = np.asarray(self.model_.predict_on_batch(x))[:, -1].argmax(axis=1)
            else:
                vocab = {w: i for i, w in enumerate(self.tokenizer_.vocabulary)}
                if target not in vocab:
                    raise DataError(f"target {target!r} is not in this model's vocabulary")
                index = np.array([vocab[target]])
            attribution = explain_arrays(self.model_, x, index, method, np.zeros_like(x))[0]
            rows.append(attribution.sum(axis=-1) if attribution.ndim == 2 else attribution)
        out = np.zeros((len(rows), max(len(r) for r in rows)))
        for i, r in enumerate(rows):
            out[i, : len(r)] = r
        return out

    def generate(self, prompt: str = "", length: int = 200, temperature: float = 1.0, seed: int | None = None) -> str:
        """Sample ``length`` tokens after ``prompt``; temperature < 1 is more conservative, > 1 more varied."""
        self._check_fitted()
        if temperature <= 0:
            raise ConfigError("temperature must be positive")
        rng = np.random.default_rng(seed)
        ids = list(self._encode(prompt)) or [1]
        vocab = self.tokenizer_.vocabulary
        out = []
        # Step t of a causal network sees only tokens <= t, so padding the window on the right changes nothing
        # before it and gives every step one input shape: one compilation instead of one per prompt length.
        window = np.zeros((1, self.context), dtype=np.int32)
        for _ in range(length):
            history = ids[-self.context:]
            window[0, :] = 0
            window[0, : len(history)] = history
            probs = np.asarray(self.model_.predict_on_batch(window))[0, len(history) - 1].astype(np.float64)
            probs[:2] = 0.0  # never emit padding or <oov>
            logits = np.log(np.maximum(probs, 1e-12)) / temperature
            p = np.exp(logits - logits.max())
            p /= p.sum()
            token = int(rng.choice(len(p), p=p))
            ids.append(token)
            out.append(vocab[token])
        joiner = "" if self.tokens == "char" else " "
        return prompt + (joiner if prompt and self.tokens == "word" else "") + joiner.join(out)

    _RENAMED_PARAMS = {"level": "tokens"}
    _STATE = ("epochs_", "best_epoch_", "train_seconds_", "stopped_because_", "batch_size_", "monitor_", "n_params_",
              "history_", "heldout_perplexity_", "ngram_perplexity_", "n_train_tokens_", "n_heldout_tokens_")

    def _extra_state(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer_.to_dict()}

    def _restore_extra(self, state: dict[str, Any]) -> None:
        from ..preprocess.text import Tokenizer

        self.tokenizer_ = Tokenizer.from_dict(state["tokenizer"])
