"""CNNTextClassifier: text CNNs (Kim 2014, Zhang et al. 2015) with the scikit-learn contract."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from ..data.text import TextDataset
from ..errors import ConfigError, DataError
from ..tasks import classify
from .bundled import FittedStateMixin

# Without the linear n-gram path, character tokens (scripts without spaces) get hashed 2-3-gram channels from
# this many training texts on: Chinese reviews (5,400 training texts) 0.807 -> 0.823 over seeds 0-2, Chinese and
# Japanese topics (690) 0.770 -> 0.758 (docs/text.md); the 65,536-row table needs data to pay for its 8.4 million
# weights. With the path (the default) they add nothing: 0.831 with them, 0.832 without, over the same seeds.
CHAR_NGRAM_MIN_TEXTS = 2000


def as_texts(X: Any, y: Any = None, where: str = "X") -> TextDataset:
    if isinstance(X, TextDataset):
        return X if y is None else TextDataset(X.texts, np.asarray(y, dtype=object), X.source, X.name, X.groups, X.report)
    if isinstance(X, str):
        X = [X]
    if hasattr(X, "columns") and hasattr(X, "iloc"):  # a DataFrame: its column of texts (and of labels, without y)
        X, y = _frame_texts(X, y, where)
    if hasattr(X, "tolist"):
        X = X.tolist()
    texts = list(X)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        first = texts[bad[0]]
        if first is None or (isinstance(first, float) and first != first):  # None or NaN: a DataFrame's empty cell
            raise DataError(f"{where}: item {bad[0]} is missing ({first!r}; {len(bad)} item(s) in all); drop the rows "
                            "without a text first (df.dropna(subset=['text']))")
        raise DataError(f"{where}: item {bad[0]} is {type(first).__name__}, not a string")
    if not texts:
        raise DataError(f"{where}: no texts given")
    if y is not None and len(y) != len(texts):
        raise DataError(f"{where}: {len(texts)} texts but {len(y)} labels; give one label per text")
    return TextDataset(texts, None if y is None else np.asarray(y), where)


def _frame_texts(frame, y: Any, where: str):
    """``(texts, labels)`` of a DataFrame as the file readers take a table's columns: one column is the texts;
    of several, the one named text/review/... or the only one of texts, and without ``y`` the label column."""
    from ..data.text import LABEL_COLUMN_NAMES, _text_column
    from ..data.readers import pick_column

    if frame.shape[1] == 1:
        return frame.iloc[:, 0], y
    column = _text_column(frame, None, where, {})
    if y is None:
        label = pick_column([c for c in frame.columns if c != column], None, LABEL_COLUMN_NAMES, "label", where,
                            words=True)
        y = None if label is None else frame[label].astype(str).tolist()
    return frame[column], y


class CNNTextClassifier(FittedStateMixin, ClassifierMixin, BaseEstimator):
    """Classify texts with a 1D CNN over token embeddings.

    Example::

        clf = CNNTextClassifier(seed=0).fit(train_texts, train_labels)
        clf.predict(["a gripping, beautifully shot film"])

    Args:
        model: ``textcnn`` (word level, default), ``dilated_textcnn`` (word level) or ``charcnn`` (characters).
        embeddings: optional GloVe / word2vec text file (``word v1 v2 ...`` per line) to initialise the
            word embeddings (words it lacks start random).
        tokens: ``word``, ``char`` or ``subword`` (a unigram vocabulary learned from the training texts).
            Default: ``char`` for ``charcnn`` and for texts mostly in scripts written without spaces
            (Chinese, Japanese, Thai...), else ``word``; ``tokens_reason_`` says why after fitting.
        max_tokens: vocabulary size cap; sequence_length: tokens kept per text (default: 95th percentile).
        epochs: at most this many passes; early stopping (``patience``) ends most runs well before. Small
            corpora need many: 765 Chinese/Japanese topic texts peaked at epochs 67-83 (a cap of 30 lost 5 points).
        Training arguments as for :class:`~cnn1d.CNNClassifier`. ``model_params={"ngrams": 3}`` adds hashed
        2-3-gram vectors to textcnn's embedding (see docs/text.md); without ``linear_ngrams``, character tokens get
        them by default from CHAR_NGRAM_MIN_TEXTS (2,000) training texts on, and ``{"ngrams": 1}`` leaves them out.
        linear_ngrams: for single-label texts, also fit a logistic regression over hashed n-grams of the
            tokens (word 1-2-grams, character 1-3-grams) on the training split (where it holds two classes or
            more) and add its scores to the CNN's in the output layer, each weighted by what scores best on
            the validation split (``linear_ngrams_`` says how). It lives in the Keras graph
            (:class:`~cnn1d.models.layers.HashedNgramLinear`), so bundles, export, explanations and serving
            carry it. ``False``: the CNN alone.
    """

    task = "classify"

    def __init__(self, model: str = "textcnn", model_params: dict | None = None, tokens: str | None = None,
                 max_tokens: int = 20000, sequence_length: int | None = None, epochs: int = 200,
                 batch_size: int | None = 50, learning_rate: float = 5e-4, validation_fraction: float = 0.1,
                 patience: int = 6, max_time: float | None = None, seed: int | None = None, verbose: int = 0,
                 out: str | None = None, embeddings: str | None = None, linear_ngrams: bool = True):
        self.model = model
        self.model_params = model_params
        self.tokens = tokens
        self.max_tokens = max_tokens
        self.sequence_length = sequence_length
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.max_time = max_time
        self.seed = seed
        self.verbose = verbose
        self.out = out
        self.embeddings = embeddings
        self.linear_ngrams = linear_ngrams

    def to_config(self):
        """The parameters as a RunConfig (what the bundle records and ``cnn1d train --config`` replays)."""
        from ..config import config_of

        return config_of(self, "classify")

    def _fit_policy(self):
        """What the trainer reads: the parameters plus the schedule derived from ``patience``."""
        return self.to_config().replace(model_params=dict(self.model_params or {}),
                                        lr_patience=max(2, self.patience // 2), min_learning_rate=1e-4)

    def fit(self, X: Any, y: Any = None) -> "CNNTextClassifier":
        from .. import models
        from .._backend import backend_name, seed_everything
        from ..export.samples import capture_texts
        from ..preprocess.text import Tokenizer, choose_level
        from ..training import trainer
        from ..training.splits import split_indices

        data = as_texts(X, y)
        if data.y is None:
            raise DataError(f"{data.source}: no labels given")
        spec = models.get(self.model)
        if spec.modality != "text":
            raise ConfigError(f"model {self.model!r} is not a text model; choose textcnn, charcnn or dilated_textcnn")
        where = data.source or "labels"
        self.multilabel_ = data.y.ndim == 2
        if self.multilabel_:
            targets = np.asarray(data.y, dtype=np.float32)
            if not np.isin(targets, (0, 1)).all():
                raise DataError(f"{where}: multi-label targets must be 0/1")
            counts = targets.sum(axis=0)
            self.classes_ = np.array(data.label_names or [f"label_{j}" for j in range(targets.shape[1])], dtype=object)
            if counts.min() < 2:
                rare = [str(c) for c, n in zip(self.classes_, counts) if n < 2]
                raise DataError(f"{where}: label(s) {rare[:5]} occur fewer than twice; each label needs two examples")
        else:
            names, counts = np.unique(data.y.astype(str), return_counts=True)
            if counts.min() < 2:
                singles = [str(c) for c, n in zip(names, counts) if n < 2]
                numeric = _numbers_with_fractions(names)
                hint = (f"; the labels are {len(names)} distinct numbers for {len(data.y)} texts: a score to predict? "
                        "Text trains classifiers only: bin the scores into classes" if numeric else "")
                raise DataError(f"{where}: {len(singles)} label(s) have a single example ({', '.join(singles[:5])}"
                                f"{', ...' if len(singles) > 5 else ''}); give each class at least two{hint}")
            self.classes_ = classify.fit_classes(data.y, where)
            targets = classify.encode(data.y, self.classes_, where)
        config = self._fit_policy()
        if self.seed is not None:
            seed_everything(self.seed)
        train_idx, val_idx = split_indices(len(data), self.validation_fraction, seed=self.seed if self.seed is not None else 0,
                                           labels=None if self.multilabel_ else targets, groups=data.groups)
        train_texts = [data.texts[i] for i in train_idx]
        if self.tokens:
            level, self.tokens_reason_ = self.tokens, "set by the user"
        elif self.model == "charcnn":
            level, self.tokens_reason_ = "char", "charcnn reads characters"
        else:
            level, self.tokens_reason_ = choose_level(train_texts)
        self.tokenizer_ = Tokenizer(level=level, max_tokens=self.max_tokens, sequence_length=self.sequence_length)
        self.tokenizer_.fit(train_texts)
        self.validation_oov_rate_ = self.tokenizer_.oov_rate([data.texts[i] for i in val_idx])
        self.samples_ = capture_texts(train_texts)  # what `cnn1d export` checks parity on
        X_all = self.tokenizer_.transform(data.texts)
        params = {"vocab_size": len(self.tokenizer_.vocabulary), **(self.model_params or {})}
        if (level == "char" and "ngrams" in spec.hparams and "ngrams" not in params and not self.embeddings
                and not self.linear_ngrams and len(train_texts) >= CHAR_NGRAM_MIN_TEXTS):
            params["ngrams"] = 3
            self.tokens_reason_ += (f"; hashed character 2-3-grams added ({len(train_texts):,} training texts, "
                                    f"at least {CHAR_NGRAM_MIN_TEXTS:,})")
        if self.embeddings:
            from ..preprocess.text import load_word_vectors

            params["embedding_dim"], params["embedding_matrix"] = load_word_vectors(self.embeddings, self.tokenizer_.vocabulary)
        activation = "sigmoid" if self.multilabel_ else "softmax"
        network = models.build(self.model, (self.tokenizer_.sequence_length,), len(self.classes_), activation, **params)
        from pathlib import Path

        started = time.perf_counter()
        linear = None
        if self.linear_ngrams and not self.multilabel_ and len(np.unique(targets[train_idx])) > 1:
            linear = fit_ngram_logistic(X_all[train_idx], targets[train_idx], len(self.classes_), level)
            if config.max_time is not None:  # the regression's seconds come out of the same budget
                config = config.replace(max_time=max(config.max_time - linear["seconds"], 1.0))
        result = trainer.train(network, X_all[train_idx], targets[train_idx],
                               validation=(X_all[val_idx], targets[val_idx]) if len(val_idx) else None, config=config,
                               loss="binary_crossentropy" if self.multilabel_ else classify.loss,
                               metrics=[] if self.multilabel_ else ["accuracy"], run_dir=Path(self.out) if self.out else None)
        self.model_ = result.model
        trainer.record_training(self, result)
        self.linear_ngrams_ = None
        if linear is not None:
            combine_started = time.perf_counter()
            self.model_, self.linear_ngrams_ = with_ngram_logistic(self.model_, linear, X_all[val_idx], targets[val_idx])
            self.train_seconds_ += linear["seconds"] + time.perf_counter() - combine_started
        self.fit_seconds_ = time.perf_counter() - started
        self.n_params_ = int(self.model_.count_params())
        self.backend_ = backend_name()
        self.config_ = self.to_config()
        self.data_report_ = data.report
        self.thresholds_ = [0.5] * len(self.classes_)
        if self.multilabel_ and len(val_idx):
            from ..evaluation.metrics import best_thresholds

            val_proba = np.asarray(self.model_.predict(X_all[val_idx], batch_size=256, verbose=0))
            self.thresholds_ = best_thresholds(targets[val_idx].astype(int), val_proba).tolist()
        return self


    def predict_proba(self, X: Any) -> np.ndarray:
        self._check_fitted()
        texts = as_texts(X).texts
        self._warn_unfamiliar(texts)
        tokens = self.tokenizer_.transform(texts)
        return np.asarray(self.model_.predict(tokens, batch_size=256, verbose=0), dtype=np.float64)

    def _warn_unfamiliar(self, texts: list[str]) -> None:
        """Warn (InputWarning) when most tokens of ``texts`` were never seen in training (another language?)."""
        import warnings

        from ..errors import InputWarning
        from ..preprocess.text import unfamiliar_text_warning
        from .base import _caller_stacklevel

        sample = texts[:: max(1, len(texts) // 2000)]  # the rate of a few thousand texts is plenty, and cheap
        message = unfamiliar_text_warning(self.tokenizer_.oov_rate(sample), getattr(self, "validation_oov_rate_", None))
        if message:
            warnings.warn(message, InputWarning, stacklevel=_caller_stacklevel())

    def predict(self, X: Any) -> np.ndarray:
        """Class labels, or for multi-label models a 0/1 matrix (columns ordered as ``classes_``)."""
        proba = self.predict_proba(X)
        if self.multilabel_:
            return (proba >= np.asarray(self.thresholds_)[None, :]).astype(int)
        return self.classes_[proba.argmax(axis=1)]

    def explain(self, X: Any, method: str = "auto", target: Any = None) -> np.ndarray:
        """One attribution per token position ``(n, sequence_length)`` for the predicted class (or ``target``):
        integrated gradients over the token embeddings, from an all-padding text. ``explain_tokens`` pairs
        them with the tokens."""
        from ..evaluation.explain import check_method, class_index, explain_arrays

        self._check_fitted()
        check_method(method)
        tokens = self.tokenizer_.transform(as_texts(X).texts)
        if target is None:
            index = np.asarray(self.model_.predict(tokens, batch_size=256, verbose=0)).argmax(axis=1)
        else:
            index = np.full(len(tokens), class_index(self.classes_.tolist(), target))
        method = "ig" if method == "auto" else method
        attributions = explain_arrays(self.model_, tokens, index, method, np.zeros_like(tokens))
        if attributions.ndim == 3:
            attributions = attributions.sum(axis=-1)
        return np.where(tokens > 0, attributions, 0.0)

    def explain_tokens(self, text: str, method: str = "auto", target: Any = None) -> list[tuple[str, float]]:
        """``(token, attribution)`` for each token of one text that the model sees."""
        scores = self.explain([text], method=method, target=target)[0]
        words = self.tokenizer_.tokens(text)[: len(scores)]
        return [(w, float(a)) for w, a in zip(words, scores)]

    def evaluate(self, X: Any, y: Any = None) -> dict[str, Any]:
        from ..evaluation.metrics import classification_metrics, multilabel_metrics

        data = as_texts(X, y)
        if data.y is None:
            raise DataError("evaluate needs labels")
        if self.multilabel_:
            return multilabel_metrics(np.asarray(data.y, dtype=int), self.predict_proba(data),
                                      np.asarray(self.thresholds_), self.classes_.tolist())
        truth = classify.encode(data.y, self.classes_, data.source or "labels")
        return classification_metrics(truth, self.predict_proba(data), self.classes_)

    def score(self, X: Any, y: Any = None, sample_weight=None) -> float:
        """Accuracy, or micro-F1 for multi-label models."""
        metrics = self.evaluate(X, y)
        return float(metrics["micro_f1"] if self.multilabel_ else metrics["accuracy"])

    # -- bundle -----------------------------------------------------------------------------------
    _RENAMED_PARAMS = {"level": "tokens"}
    _STATE = ("epochs_", "best_epoch_", "train_seconds_", "stopped_because_", "batch_size_", "monitor_", "n_params_",
              "history_", "multilabel_", "thresholds_", "tokens_reason_", "validation_oov_rate_", "linear_ngrams_")

    @classmethod
    def _upgrade_state(cls, state: dict[str, Any], config) -> dict[str, Any]:
        return {"tokens_reason_": "not recorded (saved by an older cnn1d)", "validation_oov_rate_": None,
                "linear_ngrams_": None, **state}

    def _extra_state(self) -> dict[str, Any]:
        state = {"tokenizer": self.tokenizer_.to_dict(),
                 "classes": [c.item() if isinstance(c, np.generic) else c for c in self.classes_.tolist()]}
        if getattr(self, "samples_", None):
            state["samples"] = self.samples_
        return state

    def _restore_extra(self, state: dict[str, Any]) -> None:
        from ..preprocess.text import Tokenizer

        self.tokenizer_ = Tokenizer.from_dict(state["tokenizer"])
        self.samples_ = state.get("samples")
        self.classes_ = np.array(state["classes"], dtype=object)


# Hashed n-gram rows of the linear path: 2**17 rows score within collision noise of an exact vocabulary on
# the Chinese reviews (78,000 character 1-3-grams; 0.827 vs 0.831 for TF-IDF over the same split).
LINEAR_NGRAM_BUCKETS = 2 ** 17
# With many classes the table shrinks (by powers of two) to stay within this many weights (32 MB), the size of
# the n-gram channels' table: 64 classes keep every row, 1,000 classes get 8,192.
LINEAR_NGRAM_MAX_WEIGHTS = 2 ** 23
LINEAR_NGRAM_C = 4.0  # the TF-IDF + logistic regression yardstick's C
# Weights tried for the CNN's log-probabilities and the regression's scores in the output layer.
COMBINE_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def linear_ngram_buckets(n_classes: int) -> int:
    """Rows of the linear path's table: LINEAR_NGRAM_BUCKETS, halved until it holds at most
    LINEAR_NGRAM_MAX_WEIGHTS weights (never below 1,024)."""
    buckets = LINEAR_NGRAM_BUCKETS
    while buckets > 1024 and buckets * n_classes > LINEAR_NGRAM_MAX_WEIGHTS:
        buckets //= 2
    return buckets


def _numbers_with_fractions(names) -> bool:
    """Whether class names are numbers, some with fractions and many distinct (a regression target)."""
    try:
        values = [float(n) for n in names]
    except ValueError:
        return False
    return len(values) >= 10 and any(not v.is_integer() for v in values)


def fit_ngram_logistic(ids: np.ndarray, targets: np.ndarray, n_classes: int, level: str) -> dict[str, Any]:
    """A logistic regression over hashed n-gram counts of the token ids (word 1-2-grams, else 1-3-grams),
    scaled by 1/sqrt(length) and by IDF (n-grams in fewer than two texts dropped, as the TF-IDF yardstick
    does), with the IDF folded into the weights: what :class:`HashedNgramLinear` computes in the graph."""
    from sklearn.linear_model import LogisticRegression

    from ..models.layers import ngram_features

    started = time.perf_counter()
    orders = (1, 2) if level == "word" else (1, 2, 3)
    buckets = linear_ngram_buckets(n_classes)
    features = ngram_features(ids, orders, buckets)
    frequency = np.asarray((features > 0).sum(axis=0)).ravel()
    idf = np.log((1 + len(ids)) / (1 + frequency)) + 1.0
    idf[frequency < (2 if len(ids) >= 50 else 1)] = 0.0
    used = np.flatnonzero(idf)  # the solver over only the rows in use: 10x faster, the same solution
    logistic = LogisticRegression(C=LINEAR_NGRAM_C, max_iter=2000).fit(
        features[:, used].multiply(idf[used]).tocsr(), targets)
    kernel = np.zeros((buckets, n_classes), dtype=np.float32)
    # classes absent from the training split can only come from the CNN
    bias = np.full(n_classes, float(logistic.intercept_.min()) - np.log(len(ids)), dtype=np.float32)
    if len(logistic.classes_) == 2:  # one weight vector: scores (0, w.x + b) give the same probabilities
        kernel[used, logistic.classes_[1]] = idf[used] * logistic.coef_[0]
        bias[logistic.classes_] = (0.0, logistic.intercept_[0])
    else:
        kernel[np.ix_(used, logistic.classes_)] = idf[used, None] * logistic.coef_.T
        bias[logistic.classes_] = logistic.intercept_
    return {"tokens": level, "orders": orders, "buckets": buckets, "kernel": kernel, "bias": bias,
            "n_features": len(used), "seconds": time.perf_counter() - started}


def with_ngram_logistic(network, linear: dict[str, Any], X_val: np.ndarray, y_val: np.ndarray):
    """``(model, record)``: the CNN with the regression's scores added in its output layer. The output is
    ``softmax(a * log p_cnn + b * scores)``, ``a`` and ``b`` the pair of COMBINE_GRID with the lowest
    validation log loss (the CNN alone when ``b`` is 0). It is one Dense layer over the CNN's features and
    the scores (its kernel ``[a*W; b*I]``), so every tool that reads the output layer still works."""
    from .._backend import keras
    from ..models.layers import LINEAR_PATH_JOIN, HashedNgramLinear, ngram_features

    n_classes = linear["kernel"].shape[1]
    a, b = (1.0, 1.0)  # without a validation split: equal weights
    log_p = scores = np.zeros((0, n_classes))
    if len(y_val):
        log_p = np.log(np.clip(np.asarray(network.predict(X_val, batch_size=256, verbose=0), np.float64), 1e-7, 1))
        scores = ngram_features(X_val, linear["orders"], linear["buckets"]) @ linear["kernel"] + linear["bias"]

        def loss(pair):
            z = pair[0] * log_p + pair[1] * scores
            z = z - z.max(axis=1, keepdims=True)
            return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y_val)), y_val]))

        a, b = min(((cnn, ngrams) for cnn in COMBINE_GRID for ngrams in COMBINE_GRID if cnn or ngrams), key=loss)

    def accuracy(z):
        return None if not len(y_val) else round(float((z.argmax(axis=1) == y_val).mean()), 4)

    record = {"tokens": linear["tokens"], "orders": list(linear["orders"]), "buckets": linear["buckets"],
              "n_features": linear["n_features"], "C": LINEAR_NGRAM_C, "cnn_weight": a, "linear_weight": b,
              "seconds": round(linear["seconds"], 3),
              "validation_accuracy": {"cnn": accuracy(log_p), "linear": accuracy(scores),
                                      "combined": accuracy(a * log_p + b * scores)}}
    if b == 0:
        return network, record
    k = keras()
    head = network.get_layer("output")
    path = HashedNgramLinear(n_classes, linear["orders"], linear["buckets"], name="ngram_logistic")
    joined = k.layers.Concatenate(name=LINEAR_PATH_JOIN)([head.input, path(network.input)])
    output = k.layers.Dense(n_classes, activation="softmax", name="output")
    model = k.Model(network.input, output(joined), name=network.name)
    path.set_weights([linear["kernel"], linear["bias"]])
    kernel, bias = head.get_weights()
    output.set_weights([np.vstack([a * kernel, b * np.eye(n_classes, dtype=np.float32)]).astype(np.float32),
                        (a * bias).astype(np.float32)])
    return model, record
