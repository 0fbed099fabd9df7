"""Small graph helpers shared by the model families (functional API, standard Keras layers only)."""

from __future__ import annotations

import numpy as np

from .._backend import keras

# Keras's default BatchNorm momentum (0.99) needs hundreds of steps before its moving statistics match the
# weights; small datasets give a few steps per epoch, so inference-mode predictions lag training for
# dozens of epochs and early stopping picks a near-random model. 0.9 tracks within ~20 steps.
BN_MOMENTUM = 0.9


def conv_bn_act(x, filters: int, kernel_size: int, activation: str = "relu", name: str | None = None):
    k = keras()
    x = k.layers.Conv1D(filters, kernel_size, padding="same", use_bias=False, name=name and f"{name}_conv")(x)
    x = k.layers.BatchNormalization(momentum=BN_MOMENTUM, name=name and f"{name}_bn")(x)
    return k.layers.Activation(activation, name=name and f"{name}_act")(x)


def classifier_head(x, n_outputs: int, output_activation: str, dropout: float = 0.0):
    k = keras()
    if dropout:
        x = k.layers.Dropout(dropout)(x)
    return k.layers.Dense(n_outputs, activation=output_activation, name="output")(x)


def series_input(input_shape: tuple):
    return keras().Input(shape=tuple(input_shape), name="series")


def _register(cls):
    return keras().saving.register_keras_serializable(package="cnn1d")(cls)


@_register
class GeometricMean(keras().layers.Layer):
    """The normalised geometric mean of several probability vectors: ``softmax(mean_i log p_i)``.

    Input: a list of ``(batch, classes)`` probabilities (each row summing to 1); output the same shape. A
    product of experts: a class one member rules out stays unlikely, and a member that is sure of itself does
    not outvote the others as it does in an arithmetic mean.
    """

    def call(self, inputs):
        ops = keras().ops
        logs = [ops.log(ops.clip(p, 1e-7, 1.0)) for p in inputs]
        return ops.softmax(sum(logs[1:], logs[0]) / len(logs), axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[0]


@_register
class DepthwiseConv1DShift(keras().layers.Layer):
    """Depthwise 1D convolution ('same' padding, any dilation) computed as a sum of shifted products.

    Mathematically the depthwise half of ``SeparableConv1D``. XLA's CPU grouped convolution (what
    ``SeparableConv1D``/``DepthwiseConv1D`` lower to on JAX) ran LITE 3.5x slower than PyTorch; a sum of
    ``kernel_size`` shifted multiplies fuses into one loop and runs on every backend.

    Args:
        kernel_size: taps per channel.
        dilation_rate: spacing between taps.

    Input ``(batch, steps, channels)``; output the same shape.
    """

    def __init__(self, kernel_size: int, dilation_rate: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = int(kernel_size)
        self.dilation_rate = int(dilation_rate)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.kernel_size, input_shape[-1]), initializer="glorot_uniform",
                                      name="depthwise_kernel")

    def call(self, x):
        ops = keras().ops
        span = (self.kernel_size - 1) * self.dilation_rate
        left = span // 2
        padded = ops.pad(x, [[0, 0], [left, span - left], [0, 0]])
        steps = ops.shape(x)[1]
        out = None
        for j in range(self.kernel_size):
            start = j * self.dilation_rate
            term = padded[:, start: start + steps, :] * self.kernel[j]
            out = term if out is None else out + term
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size, "dilation_rate": self.dilation_rate}


@_register
class LastStep(keras().layers.Layer):
    """The last time step of a sequence: ``(batch, steps, channels) -> (batch, channels)``.

    A registered layer rather than a ``Lambda`` so bundles load with Keras ``safe_mode`` on.
    """

    def call(self, x):
        return x[:, -1, :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


@_register
class LogCompression(keras().layers.Layer):
    """``log(x + eps)``: the compression a log-mel spectrogram applies, as a layer for raw-audio front ends."""

    def __init__(self, eps: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        self.eps = float(eps)

    def call(self, x):
        return keras().ops.log(x + self.eps)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "eps": self.eps}


@_register
def masked_mean_absolute_error(y_true, y_pred):
    """Mean absolute error over the known targets only: NaN marks a target that is missing (a forecast
    window whose future crosses a gap), so such windows still train on the steps that were observed."""
    ops = keras().ops
    known = ops.logical_not(ops.isnan(y_true))
    error = ops.where(known, ops.abs(y_pred - ops.where(known, y_true, 0.0)), 0.0)
    return ops.sum(error, axis=-1) / ops.maximum(ops.sum(ops.cast(known, error.dtype), axis=-1), 1.0)


# A multiply-add hash kept to the low bits after every step: (h * 10007 + id) < 2**31 for h < 2**17 and
# ids < 2**21, so int32 never overflows, and bit masks stand in for a modulo (jax2onnx cannot export `rem`
# with a symbolic batch size; the LiteRT export, on TensorFlow, takes the modulo: see _low_bits).
NGRAM_HASH_MULTIPLIER = 10007
NGRAM_ORDER_SALT = 7919
NGRAM_MAX_BUCKETS = 2 ** 17
LINEAR_PATH_JOIN = "cnn_and_ngrams"  # the layer joining a CNN's features and a HashedNgramLinear's scores


def _low_bits(ops, x, buckets: int):
    """``x`` modulo ``buckets`` (a power of two): its low bits, also after an int32 product wraps. A bitwise AND
    with ``buckets - 1``, except on TensorFlow (the LiteRT export), where the remainder is taken instead: LiteRT
    runs BitwiseAnd only as a TensorFlow Flex op, and the ONNX converter cannot take JAX's remainder."""
    if ops is not np and keras().backend.backend() == "tensorflow":
        return ops.mod(x, buckets)
    return ops.bitwise_and(x, buckets - 1)


def hashed_ngrams(ops, ids, order: int, buckets: int):
    """``(rows, complete)``: the hashed row (``< buckets``) of the n-gram of ``order`` ending at each position
    of ``ids`` ``(batch, steps)``, and whether that n-gram lies wholly inside the text (no padding id 0 in
    it). ``ops`` is ``keras.ops`` in a graph or ``numpy`` for features outside one: both give the same rows."""
    ids = ops.cast(ids, "int32") if ops is not np else np.asarray(ids, dtype=np.int64)
    hashed = _low_bits(ops, ids + order * NGRAM_ORDER_SALT, buckets)  # the order salts the hash
    complete = ids > 0
    steps = ids.shape[1] if ops is np else ops.shape(ids)[1]
    for back in range(1, order):
        earlier = ops.pad(ids, [[0, 0], [back, 0]])[:, :steps]
        hashed = _low_bits(ops, hashed * NGRAM_HASH_MULTIPLIER + earlier, buckets)
        complete = ops.logical_and(complete, earlier > 0)
    return hashed, complete


@_register
class NgramEmbedding(keras().layers.Layer):
    """Token embeddings plus hashed n-gram embeddings (fastText's bag of n-grams, per position).

    Position ``i`` gets the vector of token ``i`` plus, for each order ``n`` in ``orders``, the vector of the
    n-gram ending at ``i``, hashed into ``buckets`` rows. The hashing runs in the graph on the token ids, so
    the model still reads one id per position (bundles, ONNX export and serving see no difference).
    Characters of Chinese or Japanese text carry little alone; their bigrams are mostly words.

    Args:
        input_dim: token vocabulary size (id 0 pads; padded positions embed to zeros).
        output_dim: vector size.
        orders: n-gram orders added, e.g. ``(2,)`` or ``(2, 3)``.
        buckets: rows of the shared n-gram table, a power of two up to 2**16.

    Input ``(batch, steps)`` int ids; output ``(batch, steps, output_dim)``.
    """

    def __init__(self, input_dim: int, output_dim: int, orders: tuple = (2,), buckets: int = 2 ** 16, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.orders = tuple(int(n) for n in orders)
        self.buckets = int(buckets)
        if not 2 <= self.buckets <= 2 ** 16 or self.buckets & (self.buckets - 1) or any(n < 2 for n in self.orders):
            raise ValueError(f"NgramEmbedding needs orders >= 2 and buckets a power of two from 2 to {2 ** 16}; "
                             f"got orders {orders}, buckets {buckets}")

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), initializer="uniform",
                                          name="embeddings")
        self.ngram_embeddings = self.add_weight(shape=(self.buckets, self.output_dim), initializer="uniform",
                                                name="ngram_embeddings")

    def ngram_ids(self, ids, order: int):
        """The table row of the n-gram of ``order`` ending at each position."""
        return hashed_ngrams(keras().ops, ids, order, self.buckets)[0]

    def call(self, ids):
        ops = keras().ops
        ids = ops.cast(ids, "int32")
        x = ops.take(self.embeddings, ids, axis=0)
        for order in self.orders:
            x = x + ops.take(self.ngram_embeddings, self.ngram_ids(ids, order), axis=0)
        return x * ops.expand_dims(ops.cast(ids > 0, x.dtype), -1)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "orders": list(self.orders), "buckets": self.buckets}


@_register
class HashedNgramLinear(keras().layers.Layer):
    """A linear model over a text's hashed token n-grams, read from the token ids in the graph.

    Output ``(batch, units)``: the sum of ``kernel[row]`` over every complete n-gram of each order in
    ``orders`` (rows from :func:`hashed_ngrams`), divided by the square root of the text's token count, plus
    ``bias``. That is a linear classifier's scores over term-frequency n-gram counts scaled by
    ``1/sqrt(length)``; an IDF weighting and any feature filter are folded into ``kernel`` when it is fitted
    (:func:`ngram_features` builds the same features outside the graph, for scikit-learn).

    Args:
        units: scores out (one per class).
        orders: n-gram orders, e.g. ``(1, 2, 3)`` for character 1-3-grams.
        buckets: rows of the table, a power of two up to ``NGRAM_MAX_BUCKETS``.
    """

    def __init__(self, units: int, orders: tuple = (1, 2), buckets: int = NGRAM_MAX_BUCKETS, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.orders = tuple(int(n) for n in orders)
        self.buckets = int(buckets)
        if (not 2 <= self.buckets <= NGRAM_MAX_BUCKETS or self.buckets & (self.buckets - 1) or not self.orders
                or min(self.orders) < 1):
            raise ValueError(f"HashedNgramLinear needs orders >= 1 and buckets a power of two from 2 to "
                             f"{NGRAM_MAX_BUCKETS}; got orders {orders}, buckets {buckets}")

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.buckets, self.units), initializer="zeros", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def contributions(self, ids):
        """Each position's share of the scores ``(batch, steps, units)``: the kernel rows of the n-grams
        ending there, scaled like the sum (they add up to the output less the bias)."""
        ops = keras().ops
        ids = ops.cast(ids, "int32")
        total = 0.0
        for order in self.orders:
            rows, complete = hashed_ngrams(ops, ids, order, self.buckets)
            total = total + ops.take(self.kernel, rows, axis=0) * ops.expand_dims(ops.cast(complete, "float32"), -1)
        length = ops.sum(ops.cast(ids > 0, "float32"), axis=1, keepdims=True)
        return total / ops.expand_dims(ops.sqrt(ops.maximum(length, 1.0)), -1)

    def call(self, ids):
        return keras().ops.sum(self.contributions(ids), axis=1) + self.bias

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "orders": list(self.orders), "buckets": self.buckets}


def ngram_features(ids: np.ndarray, orders: tuple, buckets: int):
    """The features :class:`HashedNgramLinear` is linear in, as a SciPy CSR matrix ``(n, buckets)``: each
    complete n-gram's count, divided by the square root of the text's token count."""
    import scipy.sparse as sp

    ids = np.asarray(ids)
    rows, cols = [], []
    for order in orders:
        hashed, complete = hashed_ngrams(np, ids, order, buckets)
        where = np.nonzero(complete)
        rows.append(where[0])
        cols.append(hashed[where])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    scale = 1.0 / np.sqrt(np.maximum((ids > 0).sum(axis=1), 1))
    return sp.csr_matrix((scale[rows], (rows, cols)), shape=(len(ids), buckets))
