"""Text CNNs: ``textcnn`` (Kim 2014) and ``charcnn`` (Zhang, Zhao & LeCun 2015, small variant).

Both take integer token ids ``(steps,)`` and need ``vocab_size``; they are text models, so the estimator
for series does not offer them.
"""

from __future__ import annotations

from .._backend import keras
from .layers import NgramEmbedding, classifier_head
from .registry import register


@register(
    "textcnn",
    summary="embedding > parallel Conv1D (kernels 3/4/5, 100 filters) > max-over-time > dropout 0.5; text",
    paper="Kim 2014, 'Convolutional neural networks for sentence classification' (CNN-rand)",
    modality="text",
    search={"embedding_dim": [64, 128, 200], "filters": [64, 100, 200], "dropout": {"low": 0.2, "high": 0.6},
            "ngrams": [1, 3]},
)
def build_textcnn(input_shape, n_outputs, output_activation, *, vocab_size: int = 20000, embedding_dim: int = 128,
                  kernel_sizes: tuple = (3, 4, 5), filters: int = 100, dropout: float = 0.5,
                  embedding_matrix: list | None = None, ngrams: int = 1, ngram_buckets: int = 2 ** 16):
    k = keras()
    inputs = k.Input(shape=tuple(input_shape), dtype="int32", name="tokens")
    x = _embedding(vocab_size, embedding_dim, embedding_matrix, ngrams, ngram_buckets)(inputs)
    pooled = [k.layers.GlobalMaxPooling1D()(k.layers.Conv1D(filters, size, activation="relu", padding="same")(x))
              for size in kernel_sizes]
    x = k.layers.Concatenate()(pooled) if len(pooled) > 1 else pooled[0]
    return k.Model(inputs, classifier_head(x, n_outputs, output_activation, dropout=dropout), name="textcnn")


def _embedding(vocab_size: int, embedding_dim: int, matrix: list | None, ngrams: int = 1, buckets: int = 2 ** 16):
    """An Embedding layer, initialised from pretrained vectors when given (they stay trainable); with
    ``ngrams`` > 1, hashed n-gram vectors of orders 2..ngrams are added at each position."""
    k = keras()
    if ngrams > 1:
        layer = NgramEmbedding(vocab_size, embedding_dim, orders=tuple(range(2, int(ngrams) + 1)), buckets=buckets,
                               name="embedding")
    else:
        layer = k.layers.Embedding(vocab_size, embedding_dim, name="embedding")
    if matrix is not None:
        import numpy as np

        layer.build((None,))
        layer.embeddings.assign(np.asarray(matrix, dtype="float32"))
    return layer


@register(
    "dilated_textcnn",
    summary="embedding > 4 residual blocks of dilated convs (dilations 1/2/4/8, 128 filters) > max-over-time; text",
    paper="dilated residual CNNs for text (Yu & Koltun 2016 dilations; Kalchbrenner et al. 2016 ByteNet)",
    modality="text",
    search={"filters": [64, 128], "dropout": {"low": 0.2, "high": 0.6}},
)
def build_dilated_textcnn(input_shape, n_outputs, output_activation, *, vocab_size: int = 20000,
                          embedding_dim: int = 128, filters: int = 128, kernel_size: int = 3,
                          dilations: tuple = (1, 2, 4, 8), dropout: float = 0.5, embedding_matrix: list | None = None,
                          ngrams: int = 1, ngram_buckets: int = 2 ** 16):
    k = keras()
    inputs = k.Input(shape=tuple(input_shape), dtype="int32", name="tokens")
    x = _embedding(vocab_size, embedding_dim, embedding_matrix, ngrams, ngram_buckets)(inputs)
    x = k.layers.Conv1D(filters, 1)(x)
    for d in dilations:
        y = k.layers.Conv1D(filters, kernel_size, padding="same", dilation_rate=d, activation="relu")(x)
        y = k.layers.Conv1D(filters, kernel_size, padding="same", dilation_rate=d)(y)
        x = k.layers.Activation("relu")(k.layers.Add()([x, y]))
    x = k.layers.GlobalMaxPooling1D()(x)
    return k.Model(inputs, classifier_head(x, n_outputs, output_activation, dropout=dropout), name="dilated_textcnn")


@register(
    "charcnn",
    summary="character embedding > 4 conv layers (256 filters, kernels 7/7/3/3, max-pool 3) > dense 256; text",
    paper="Zhang, Zhao & LeCun 2015, 'Character-level convolutional networks for text classification'",
    modality="text",
    search={"filters": [128, 256], "dropout": {"low": 0.2, "high": 0.6}},
)
def build_charcnn(input_shape, n_outputs, output_activation, *, vocab_size: int = 256, embedding_dim: int = 32,
                  filters: int = 256, dense: int = 256, dropout: float = 0.5):
    k = keras()
    inputs = k.Input(shape=tuple(input_shape), dtype="int32", name="tokens")
    x = k.layers.Embedding(vocab_size, embedding_dim)(inputs)
    for i, size in enumerate((7, 7, 3, 3)):
        x = k.layers.Conv1D(filters, size, activation="relu", padding="same")(x)
        if i < 2:
            x = k.layers.MaxPooling1D(3, padding="same")(x)
    x = k.layers.GlobalMaxPooling1D()(x)
    x = k.layers.Dropout(dropout)(k.layers.Dense(dense, activation="relu")(x))
    return k.Model(inputs, classifier_head(x, n_outputs, output_activation), name="charcnn")
