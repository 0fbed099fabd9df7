"""``minirocket``: MiniRocket (Dempster, Schmidt & Webb 2021) as a Keras network.

84 fixed convolution kernels of length 9 (weights -1, with 2 at three of the nine taps) at up to 32
dilations, a bias per feature taken from quantiles of the convolution of a training series, and the
proportion of positive values (PPV) pooled over time: ~10,000 features, then one Dense layer. The kernels and
biases are non-trainable weights of :class:`MiniRocketFeatures`; the Dense layer is fitted in closed form by
ridge regression with leave-one-out choice of the penalty (:func:`fit_minirocket`), so training takes seconds on
a CPU. The result is an ordinary Keras model: it saves in a bundle, exports, predicts and explains like the
rest of the zoo (the class score splits exactly over steps: see :meth:`MiniRocketFeatures.contributions`).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from itertools import combinations
from typing import Any, NamedTuple

import numpy as np

from .._backend import keras
from ..errors import ConfigError
from .layers import _register, series_input
from .registry import register

KERNEL_LENGTH = 9
# The 84 kernels: every choice of 3 of the 9 taps that weigh 2 (the other six weigh -1, so each sums to 0).
KERNEL_TAPS = np.array(list(combinations(range(KERNEL_LENGTH), 3)), dtype=np.int32)
N_KERNELS = len(KERNEL_TAPS)
RIDGE_ALPHAS = np.logspace(-3, 3, 10)
# Rows up to which the ridge's penalty is chosen by exact leave-one-out on all of them: its eigendecomposition is
# cubic in the rows (2,000: 1 s; 4,000: 7 s; 9,000, an ElectricDevices-sized set: ~80 s on 2 cores). Above it the
# penalty is chosen on this many and the ridge solved on all (see ridge_loo).
RIDGE_LOO_MAX = 2048
# Series elements (steps x features) per batch: XLA keeps the (batch, steps, 84, biases) comparison maps in
# memory (~12 bytes per element with MPV), so this bounds a batch to ~1 GB. 256 series of 345 steps with 20k
# features took 21 GB.
BATCH_ELEMENTS = 1e8
# Relative lift of every bias above the convolution value it was taken from (see fit_biases): float32
# rounding differs between compiled programs by ~1e-7 relative; 1e-5 clears it.
TIE_MARGIN = 1e-5
# A feature whose standard deviation is below this, relative to 1 + |its mean|, is constant (see fit_minirocket).
CONSTANT_SCALE = 1e-5
# Pooling operators: the proportion of positive values (MiniRocket) and their mean (MultiRocket's MPV).
POOLINGS = ("ppv", "mpv")


def dilations_for(length: int, n_features: int, max_dilations: int) -> tuple[np.ndarray, np.ndarray]:
    """Dilations spread exponentially up to the one whose kernel spans the series, and features per
    dilation (MiniRocket's ``_fit_dilations``)."""
    per_kernel = n_features // N_KERNELS
    n_dilations = min(per_kernel, max_dilations)
    max_exponent = np.log2((length - 1) / (KERNEL_LENGTH - 1))
    dilations, counts = np.unique(np.logspace(0, max_exponent, n_dilations, base=2).astype(np.int32),
                                  return_counts=True)
    counts = (counts * (per_kernel / n_dilations)).astype(np.int32)
    for i in range(per_kernel - int(counts.sum())):
        counts[i % len(counts)] += 1
    return dilations, counts


def quantiles(n: int) -> np.ndarray:
    """Low-discrepancy quantiles in (0, 1): the fractional parts of multiples of the golden ratio."""
    return ((np.arange(1, n + 1) * ((np.sqrt(5) + 1) / 2)) % 1).astype(np.float32)


class _Portable(threading.local):
    on = False


_portable = _Portable()


@contextmanager
def portable_graph():
    """Trace MiniRocket with plain ``keras.ops`` reductions (for ONNX export: jax2onnx maps sums, not XLA's
    variadic reduce)."""
    _portable.on = True
    try:
        yield
    finally:
        _portable.on = False


def _positive_sums(conv, bias, pool):
    """``(sum of pool where conv > bias, sum of (conv - bias) * pool there)`` over the steps, as one variadic
    reduction. XLA:CPU rewrites a plain sum over this many steps into a tree of partial sums and keeps the whole
    (batch, steps, 84, biases) comparison in memory for it (217 MB per series of 2,709 steps with 20k features),
    allocated and page-faulted afresh on every call; the variadic reduction fuses with the comparison and keeps
    nothing (13 ms against 53 ms for 27 dilations of one such series)."""
    import jax.numpy as jnp
    from jax import lax

    above = conv > bias
    counted = jnp.where(above, pool, 0.0)
    excess = jnp.where(above, (conv - bias) * pool, 0.0)
    zero = jnp.zeros((), conv.dtype)
    return lax.reduce((counted, excess), (zero, zero), lambda a, b: (a[0] + b[0], a[1] + b[1]), (1,))


class _NumpyOps:
    """The few ``keras.ops`` names :meth:`MiniRocketFeatures.pool_weights` uses, in NumPy."""

    cumsum, ones_like, logical_and, sum, where, maximum, expand_dims = (np.cumsum, np.ones_like, np.logical_and, np.sum,
                                                                        np.where, np.maximum, np.expand_dims)

    @staticmethod
    def cast(x, dtype):
        return np.asarray(x, dtype=dtype)


@_register
class MiniRocketFeatures(keras().layers.Layer):
    """MiniRocket's transform: ``(batch, steps, channels)`` -> ``(batch, n_features)`` PPV features.

    Every (dilation, kernel) pair sums its convolution over a random subset of the channels (all of them
    for one channel), and every other pair pools only the steps its kernel covers without padding, as
    in the paper. The kernels, channel subsets and biases are weights, set by :meth:`fit_biases`.
    """

    def __init__(self, length: int, n_features: int = 10_000, max_dilations: int = 32, seed: int = 0,
                 difference: bool = False, pooling: tuple | list = ("ppv",), mask_channel: bool = False, **kwargs):
        super().__init__(**kwargs)
        unknown = sorted(set(pooling) - set(POOLINGS))
        if unknown or not pooling:
            raise ConfigError(f"minirocket pooling must be some of {', '.join(POOLINGS)}; got {list(pooling)}")
        self.length = int(length)
        self.n_features = int(n_features)
        self.max_dilations = int(max_dilations)
        self.seed = int(seed)
        self.difference = bool(difference)
        self.pooling = tuple(pooling)
        self.mask_channel = bool(mask_channel)
        # Shorter series convolve as if zero-padded to one kernel's length (as aeon pads them): dilation 1 only.
        dilations, counts = dilations_for(max(self.length, KERNEL_LENGTH), self.n_features, self.max_dilations)
        self.dilations = [int(d) for d in dilations]
        self.counts = [int(c) for c in counts]
        self.trainable = False

    @property
    def representations(self) -> int:
        """The series itself, and with ``difference`` its first difference (as MultiRocket)."""
        return 2 if self.difference else 1

    @property
    def output_features(self) -> int:
        return N_KERNELS * sum(self.counts) * self.representations * len(self.pooling)

    def build(self, input_shape):
        channels = int(input_shape[-1]) - int(self.mask_channel)
        rng = np.random.default_rng(self.seed)
        self.kernels, self.biases = [], []
        for r in range(self.representations):
            for j, (dilation, count) in enumerate(zip(self.dilations, self.counts)):
                kernel = np.zeros((KERNEL_LENGTH, channels, N_KERNELS), dtype=np.float32)
                per_pair = (2 ** rng.uniform(0, np.log2(min(channels, 9) + 1), N_KERNELS)).astype(int)
                for k, taps in enumerate(KERNEL_TAPS):
                    weights = np.full(KERNEL_LENGTH, -1.0, dtype=np.float32)
                    weights[taps] = 2.0
                    chosen = rng.choice(channels, per_pair[k], replace=False)
                    kernel[:, chosen, k] = weights[:, None]
                weight = self.add_weight(shape=kernel.shape, initializer="zeros", trainable=False,
                                         name=f"kernel_{r}_{dilation}")
                weight.assign(kernel)
                self.kernels.append(weight)
                self.biases.append(self.add_weight(shape=(N_KERNELS, count), initializer="zeros", trainable=False,
                                                   name=f"bias_{r}_{dilation}"))

    def pool_weights(self, mask, j: int, ops):
        """Averaging weights ``(batch, steps, 84)`` for dilation ``j`` over each series' own steps (``mask``,
        ``(batch, steps)``, is 1 on them): alternate kernels average only the steps free of padding (all steps
        where a series is too short to have any). ``ops``: keras.ops or :class:`_NumpyOps`."""
        padding = (KERNEL_LENGTH - 1) * self.dilations[j] // 2
        valid = ops.cast(mask > 0.5, "float32")
        length = ops.sum(valid, axis=1, keepdims=True)
        t = ops.cumsum(ops.ones_like(valid), axis=1) - 1.0  # step indices; arange cannot take a symbolic length
        inner = valid * ops.cast(ops.logical_and(t >= padding, t < length - padding), "float32")
        n_inner = ops.sum(inner, axis=1, keepdims=True)
        all_w = valid / ops.maximum(length, 1.0)
        inner_w = ops.where(n_inner > 0, inner / ops.maximum(n_inner, 1.0), all_w)
        odd = (np.arange(N_KERNELS) + j) % 2 == 1
        # expand_dims rather than [..., None]: LiteRT takes an ellipsis slice only as a TensorFlow (Flex) op
        return ops.where(odd[None, None, :], ops.expand_dims(inner_w, -1), ops.expand_dims(all_w, -1))

    def _split(self, x, ops):
        """(values, mask): the mask channel, when there is one, marks each series' own steps."""
        if self.mask_channel:  # (batch, steps, channels): no ellipsis slices, which LiteRT runs only as Flex ops
            return x[:, :, :-1], x[:, :, -1]
        return x, ops.ones_like(x[:, :, 0])

    def _inputs(self, values, mask, ops):
        """The series each representation convolves: the values and their first difference (zero at the end)."""
        if not self.difference:
            return [values]
        step = (values[:, 1:, :] - values[:, :-1, :]) * mask[:, 1:, None]
        return [values, ops.concatenate([step, ops.zeros_like(values[:, :1, :])], axis=1)]

    def _pairs(self):
        """(index of the weights, representation, dilation index) for every convolution."""
        n = len(self.dilations)
        return [(r * n + j, r, j) for r in range(self.representations) for j in range(n)]

    def convolve(self, x, index: int):
        dilation = self.dilations[index % len(self.dilations)]
        return keras().ops.conv(x, self.kernels[index], strides=1, padding="same", dilation_rate=dilation)

    def call(self, x):
        ops = keras().ops
        values, mask = self._split(x, ops)
        inputs = self._inputs(values, mask, ops)
        features = []
        for i, r, j in self._pairs():
            conv = ops.expand_dims(self.convolve(inputs[r], i), -1)
            pool = ops.expand_dims(ops.cast(self.pool_weights(mask, j, ops), x.dtype), -1)
            if keras().backend.backend() == "jax" and not _portable.on:
                ppv, excess = _positive_sums(conv, self.biases[i], pool)
                if "mpv" not in self.pooling:
                    # Kept in use, or XLA drops the unused half of the reduction and returns to the tree that holds
                    # the whole comparison in memory (0 * a finite sum is 0; XLA does not fold it away for floats).
                    ppv = ppv + 0.0 * excess
            else:
                above = conv > self.biases[i]
                ppv = ops.sum(ops.where(above, pool, ops.zeros_like(pool)), axis=1)
                excess = None
                if "mpv" in self.pooling:
                    excess = ops.sum(ops.where(above, (conv - self.biases[i]) * pool, ops.zeros_like(conv)), axis=1)
            width = N_KERNELS * self.counts[j]
            for name in self.pooling:
                # mpv: the mean of the positive values (0 where none is positive)
                value = ppv if name == "ppv" else excess / ops.maximum(ppv, 1e-12)
                features.append(ops.reshape(value, (-1, width)))
        return ops.concatenate(features, axis=-1) if len(features) > 1 else features[0]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_features)

    def _numpy_convolutions(self, x: np.ndarray, only: int | None = None):
        """(mask, [(index, dilation index, convolution (n, steps, 84))]) for NumPy input: every convolution, or
        the one whose weights are at ``only``."""
        ops = keras().ops
        values, mask = self._split(ops.convert_to_tensor(x.astype(np.float32)), ops)
        inputs = self._inputs(values, mask, ops)
        convs = [(i, j, np.asarray(ops.convert_to_numpy(self.convolve(inputs[r], i)))) for i, r, j in self._pairs()
                 if only is None or i == only]
        return np.asarray(ops.convert_to_numpy(mask)), convs

    def contributions(self, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Each step's share of a linear score ``features @ weights[i]`` of series ``x[i]``: ``(n, steps)``.

        Every feature is a weighted sum over steps, so the score splits exactly into per-step terms (their sum
        is the score less the bias): MiniRocket's class activation map. Differences count at their first step.
        """
        out = np.zeros(x.shape[:2], dtype=np.float64)
        mask, convs = self._numpy_convolutions(x)
        offset = 0
        for i, j, conv in convs:
            conv = conv[..., None]
            bias = np.asarray(keras().ops.convert_to_numpy(self.biases[i]))
            above = conv > bias
            pool = np.asarray(self.pool_weights(mask, j, _NumpyOps), dtype=np.float64)[..., None]
            ppv = np.where(above, pool, 0.0).sum(axis=1)
            width = N_KERNELS * self.counts[j]
            for name in self.pooling:
                w = weights[:, offset: offset + width].reshape(len(x), N_KERNELS, self.counts[j])
                if name == "ppv":
                    terms = np.where(above, pool, 0.0)
                else:
                    terms = np.where(above, (conv - bias) * pool, 0.0) / np.maximum(ppv, 1e-12)[:, None]
                out += np.einsum("nlkc,nkc->nl", terms, w)
                offset += width
        return out

    def fit_biases(self, X: np.ndarray) -> None:
        """Set each feature's bias from quantiles of one (seeded, random) training series' convolution over
        that series' own steps."""
        rng = np.random.default_rng(self.seed + 1)
        all_q = quantiles(N_KERNELS * sum(self.counts))
        for i, r, j in self._pairs():
            count = self.counts[j]
            q_start = N_KERNELS * sum(self.counts[:j])
            mask, [(_, _, conv)] = self._numpy_convolutions(X[rng.integers(len(X), size=N_KERNELS)], only=i)
            q = all_q[q_start: q_start + N_KERNELS * count].reshape(N_KERNELS, count)
            # Kernel k's bias comes from the series drawn for it: the diagonal of (series, steps, kernel).
            bias = np.stack([np.quantile(conv[k, mask[k] > 0.5, k], q[k]) for k in range(N_KERNELS)])
            # A bias is often one of the convolution's own values. Another batch size compiles another program,
            # whose float rounding can put that value on either side of it: on DiatomSizeReduction (16 training
            # series) the batch size alone moved test accuracy by 3 points. Lifted just clear of the rounding,
            # a tied value is consistently not above it (as the paper's strict ">" means).
            bias = bias + TIE_MARGIN * (1.0 + np.abs(bias))
            self.biases[i].assign(bias.astype(np.float32))

    def get_config(self):
        return {**super().get_config(), "length": self.length, "n_features": self.n_features,
                "max_dilations": self.max_dilations, "seed": self.seed, "difference": self.difference,
                "pooling": list(self.pooling), "mask_channel": self.mask_channel}


@register(
    "minirocket",
    summary="MiniRocket: 84 fixed kernels x up to 32 dilations, PPV pooling, ridge-fitted Dense head; ~10k features, trains in seconds",
    paper="Dempster, Schmidt & Webb 2021, 'MiniRocket: A very fast (almost) deterministic transform for time series classification'",
    fit=lambda network, X, y, **kw: train_closed_form(network, X, y, **kw),
    search={"pooling": [["ppv"], ["ppv", "mpv"]], "difference": [False, True]},
)
def build_minirocket(input_shape, n_outputs, output_activation, *, n_features: int = 10_000, max_dilations: int = 32,
                     seed: int = 0, difference: bool = False, pooling: tuple = ("ppv",), length: int | None = None,
                     mask_channel: bool = False):
    """Fixed-kernel features and a Dense output; :func:`fit_minirocket` sets the biases and the head.

    ``length``: the training series' length, which sets the dilations (default: the input's fixed length).
    Series of any length are accepted afterwards: the pooling averages over each series' own steps, which the
    last input channel marks when ``mask_channel`` (the preprocessor's mask for gaps and unequal lengths).
    """
    k = keras()
    length = length or input_shape[0]
    if length is None:
        raise ConfigError("minirocket sets its dilations from the training length: give length= or a fixed input length")
    inputs = series_input(input_shape)
    features = MiniRocketFeatures(length, n_features, max_dilations, seed, difference, pooling, mask_channel,
                                  name="minirocket")(inputs)
    outputs = k.layers.Dense(n_outputs, activation=output_activation, name="output")(features)
    return k.Model(inputs, outputs, name="minirocket")


def feature_batch(layer: MiniRocketFeatures) -> int:
    return int(max(1, min(256, BATCH_ELEMENTS // (layer.length * layer.output_features))))


def batch_for(model) -> int | None:
    """The largest safe prediction batch of a model holding MiniRocket layers (in any member), else None."""
    from .hydra import HydraFeatures

    batches = [feature_batch(layer) for layer in _layers(model) if isinstance(layer, (MiniRocketFeatures, HydraFeatures))]
    return min(batches) if batches else None


def _layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


def features_of(network, X: np.ndarray, layer_name: str = "minirocket") -> np.ndarray:
    layer = network.get_layer(layer_name)
    extractor = keras().Model(network.input, layer.output)
    return np.asarray(extractor.predict(X, batch_size=feature_batch(layer), verbose=0), dtype=np.float64)


class RidgeFit(NamedTuple):
    coef: np.ndarray
    intercept: np.ndarray
    loo: np.ndarray  # leave-one-out predictions of the rows in ``loo_rows``
    alpha: float
    loo_rows: np.ndarray  # the rows the penalty was chosen on: all of them up to RIDGE_LOO_MAX


def ridge_loo(F: np.ndarray, Y: np.ndarray, alphas: np.ndarray = RIDGE_ALPHAS, sample_weight: np.ndarray | None = None,
              max_loo: int = RIDGE_LOO_MAX) -> RidgeFit:
    """Ridge regression of ``Y`` on ``F`` (centred, with intercept; rows weighted by ``sample_weight``) for each
    alpha, and its leave-one-out predictions, from one eigendecomposition of the Gram matrix (the efficient LOO
    of Rifkin & Lippert 2007, which scikit-learn's RidgeCV also uses); the alpha with the lowest (weighted) LOO
    squared error is kept. Above ``max_loo`` rows the eigendecomposition (cubic in the rows) would outgrow any
    time budget, so the alpha is chosen on ``max_loo`` rows drawn across the classes (the largest column of
    ``Y``) and the ridge is then solved on every row by one Cholesky factorisation."""
    n = len(F)
    weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64) / np.mean(sample_weight)
    rows = np.arange(n)
    if n > max_loo:
        rows = _spread_rows(np.asarray(Y).argmax(axis=1), max_loo)
        chosen = ridge_loo(F[rows], Y[rows], alphas, weight[rows], max_loo=max_loo)
        coef, intercept = _ridge_solve(F, Y, chosen.alpha, weight)
        return RidgeFit(coef, intercept, chosen.loo, chosen.alpha, rows)
    Fw, Yw, f_mean, y_mean, root = _centred(F, Y, weight)
    eigvals, Q = np.linalg.eigh(Fw @ Fw.T)
    eigvals = np.clip(eigvals, 0, None)
    QtY = Q.T @ Yw
    best = None
    for alpha in alphas:
        shrink = eigvals / (eigvals + alpha)
        residual = Yw - Q @ (shrink[:, None] * QtY)
        # Hat matrix diagonal, plus each row's share of the (weighted) intercept.
        hat = np.einsum("ij,j,ij->i", Q, shrink, Q) + weight / weight.sum()
        loo_residual = residual / root / np.clip(1 - hat, 1e-12, None)[:, None]
        error = float(np.mean(weight[:, None] * loo_residual ** 2))
        if best is None or error < best[0]:
            best = (error, alpha, Y - loo_residual)
    _, alpha, loo = best
    # Dual solution: coef = Fw^T (K + alpha I)^-1 Yw.
    coef = Fw.T @ (Q @ ((1.0 / (eigvals + alpha))[:, None] * QtY))
    intercept = y_mean - f_mean @ coef
    return RidgeFit(coef, intercept, loo, float(alpha), rows)


def _centred(F: np.ndarray, Y: np.ndarray, weight: np.ndarray):
    """(Fw, Yw, f_mean, y_mean, root): ``F`` and ``Y`` centred on their weighted means, rows scaled by root(weight)."""
    f_mean = weight @ F / weight.sum()
    y_mean = weight @ Y / weight.sum()
    root = np.sqrt(weight)[:, None]
    return (F - f_mean) * root, (Y - y_mean) * root, f_mean, y_mean, root


def _ridge_solve(F: np.ndarray, Y: np.ndarray, alpha: float, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(coef, intercept) of the weighted ridge at one ``alpha``, in the dual or the primal, whichever is smaller."""
    from scipy.linalg import cho_factor, cho_solve

    Fw, Yw, f_mean, y_mean, _ = _centred(F, Y, weight)
    if len(F) <= F.shape[1]:
        coef = Fw.T @ cho_solve(cho_factor(Fw @ Fw.T + alpha * np.eye(len(F))), Yw)
    else:
        coef = cho_solve(cho_factor(Fw.T @ Fw + alpha * np.eye(F.shape[1])), Fw.T @ Yw)
    return coef, y_mean - f_mean @ coef


def _spread_rows(labels: np.ndarray, size: int) -> np.ndarray:
    """``size`` row indices drawn (seed 0) in proportion to each label's count, every label at least once, sorted."""
    rng = np.random.default_rng(0)
    values, counts = np.unique(labels, return_counts=True)
    share = np.maximum(1, np.floor(counts * size / len(labels))).astype(int)
    picked = [rng.choice(np.flatnonzero(labels == v), min(k, c), replace=False) for v, k, c in zip(values, share, counts)]
    return np.sort(np.concatenate(picked))


def fit_temperature(scores: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
    """The softmax temperature that turns ridge scores into probabilities with the lowest (weighted) log-loss."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, np.float64)

    def loss(log_t: float) -> float:
        picked = log_softmax(np.exp(log_t) * scores, axis=1)[np.arange(len(y)), y]
        return -float(np.average(picked, weights=weight))

    return float(np.exp(minimize_scalar(loss, bounds=(-3.0, 6.0), method="bounded").x))


def checked_inputs(X: np.ndarray, activation: str, model: str) -> np.ndarray:
    """``X`` as float32 for a ridge-head network, refused where the ridge cannot fit: sigmoid outputs (tags) or
    missing values."""
    if activation not in ("softmax", "linear"):
        raise ConfigError(f"{model} fits classifiers (softmax) and regressors; not a {activation} output "
                          "(multi-label tagging): choose another model")
    X = np.asarray(X, dtype=np.float32)
    if not np.isfinite(X).all():
        raise ConfigError(f"{model} needs finite inputs (impute missing values first)")
    return X


def fit_minirocket(network, X: np.ndarray, y: np.ndarray, *, validation: tuple | None, activation: str,
                   class_weight: dict[int, float] | None = None) -> tuple[dict[str, Any], str]:
    """Fit biases and the Dense head of a built ``minirocket`` network in place.

    Classes: one-vs-rest ridge on +-1 targets, as MiniRocket's RidgeClassifierCV, with features standardised
    (``class_weight`` weighs each series' squared error by its class's weight);
    a softmax temperature fitted on the leave-one-out scores makes the outputs probabilities. Regression:
    ridge on the (already standardised) target. Returns ``(history, what was done)``.
    """
    X = checked_inputs(X, activation, "minirocket")
    layer = network.get_layer("minirocket")
    layer.fit_biases(X)
    F = features_of(network, X)
    scale = F.std(axis=0)
    # A feature constant but for float rounding (an MPV whose sums another batch size rounds differently, ~1e-7
    # relative) would be blown up to unit variance by standardising, noise the ridge then fits: it gets no
    # weight. On DiatomSizeReduction such features alone moved accuracy by 3 points with the batch size.
    scale[scale <= CONSTANT_SCALE * (1.0 + np.abs(F.mean(axis=0)))] = np.inf
    return fit_ridge_head(network, F, y, scale, validation=validation, activation=activation,
                          class_weight=class_weight)


def fit_ridge_head(network, F: np.ndarray, y: np.ndarray, scale: np.ndarray, *, validation: tuple | None,
                   activation: str, class_weight: dict[int, float] | None = None,
                   layer_name: str = "minirocket") -> tuple[dict[str, Any], str]:
    """Solve the Dense output of a fixed-feature network from its training features ``F`` (divided by
    ``scale``): one-vs-rest ridge on +-1 targets with a leave-one-out penalty and a softmax temperature for
    classes, ridge on the target for regression. Returns ``(history, what was done)``."""
    classes = activation == "softmax"
    n_out = network.get_layer("output").units
    Y = (2.0 * np.eye(n_out)[y.astype(int)] - 1.0) if classes else np.asarray(y, np.float64).reshape(len(y), -1)
    weight = None if class_weight is None else np.array([class_weight.get(int(c), 1.0) for c in y])
    coef, intercept, loo, alpha, loo_rows = ridge_loo(F / scale, Y, sample_weight=weight)
    temperature = fit_temperature(loo, y[loo_rows].astype(int), None if weight is None else weight[loo_rows]) \
        if classes else 1.0
    weights = (coef / scale[:, None]) * temperature
    network.get_layer("output").set_weights([weights.astype(np.float32), (intercept * temperature).astype(np.float32)])
    history: dict[str, list[float]] = {}

    def score(features: np.ndarray, target, prefix: str) -> None:
        # From the features, in NumPy: compiling the whole network only to score it cost seconds per member.
        out = features @ weights + intercept * temperature
        if classes:
            from scipy.special import log_softmax

            log_proba = log_softmax(out, axis=1)
            history[f"{prefix}loss"] = [float(-np.mean(log_proba[np.arange(len(target)), target.astype(int)]))]
            history[f"{prefix}accuracy"] = [float(np.mean(out.argmax(axis=1) == target))]
        else:
            history[f"{prefix}loss"] = [float(np.mean((out - np.reshape(target, (len(target), -1))) ** 2))]

    score(F, y, "")
    if validation is not None:
        score(features_of(network, validation[0], layer_name), validation[1], "val_")
    chosen_on = f"{len(F)} series" if len(loo_rows) == len(F) else f"{len(loo_rows)} of the {len(F)} series"
    what = f"ridge fit in closed form (alpha {alpha:g}, leave-one-out on {chosen_on}"
    return history, what + (f", temperature {temperature:.3g})" if classes else ")")


def train_closed_form(network, X, y, *, validation, config, activation: str, class_weight=None, fit=None):
    """The trainer's counterpart for a network whose weights are solved, not descended (see training.trainer):
    ``fit`` (default :func:`fit_minirocket`) solves them."""
    from ..training.trainer import TrainResult, default_batch_size

    started = time.perf_counter()
    history, what = (fit or fit_minirocket)(network, X, y, validation=validation, activation=activation,
                                            class_weight=class_weight)
    return TrainResult(history=history, epochs=1, best_epoch=1, seconds=time.perf_counter() - started,
                       stopped_because=what, model=network,
                       extras={"batch_size": config.batch_size or default_batch_size(len(X)),
                               "monitor": "val_loss" if validation is not None else "loss", "seed": config.seed})
