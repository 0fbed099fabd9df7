"""``hydra``: Hydra (Dempster, Schmidt & Webb 2023) as a Keras network.

Random kernels of length 9 in groups of 8 that compete: at every step, within each group, the kernel with the
largest response adds that response to its count ("soft" counting) and the kernel with the smallest adds one
("hard" counting). Half the groups read the series, half its first difference, at dilations 1, 2, 4, ... up to
the series length: 1,024 features per dilation. The counts go through Hydra's sparse scaling (square root,
centred and scaled with zero counts kept at zero) inside the graph, and a Dense layer fitted in closed form by
the same ridge as ``minirocket`` (:func:`cnn1d.models.rocket.ridge_loo`, leave-one-out penalty, a fitted
softmax temperature). It bundles, exports and explains like the rest of the zoo (every count is a sum over
steps, so a class score splits over steps: :meth:`HydraFeatures.contributions`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import keras
from ..errors import ConfigError
from .layers import _register, series_input
from .registry import register
from .rocket import checked_inputs, features_of, fit_ridge_head, train_closed_form

KERNEL_LENGTH = 9
# Hydra's sparse scaling: a zero count's share of the series, to this power, is added to the deviation.
ZERO_SHARE_EXPONENT = 4


def dilations_for(length: int) -> list[int]:
    """1, 2, 4, ... while a dilated kernel spans at most the series (Hydra's ``log2((L - 1) / 8)``)."""
    exponent = np.log2(max(length - 1, 1) / (KERNEL_LENGTH - 1))
    return [int(d) for d in 2 ** np.arange(max(int(exponent), 0) + 1)]


def _first(hits, ops):
    """The first ``True`` along the last axis, as 0/1: an argmax's one-hot. A flat stretch of a series gives every
    (zero-mean) kernel the same response, and the first kernel wins it, as ``argmax`` has it; Keras's ``argmax``
    itself does not export to ONNX (a bit cast)."""
    hits = ops.cast(hits, "float32")
    return hits * ops.cast(ops.equal(ops.cumsum(hits, axis=-1), 1.0), "float32")


@_register
class HydraFeatures(keras().layers.Layer):
    """Hydra's transform with its sparse scaling: ``(batch, steps, channels)`` -> ``(batch, features)``.

    ``groups`` groups of ``k`` kernels per dilation, half over the series and half over its first difference.
    Multivariate input: each group's kernels read a random subset of the channels (summed). Only each series'
    own steps are counted (the last input channel marks them when ``mask_channel``).
    """

    def __init__(self, length: int, k: int = 8, groups: int = 64, seed: int = 0, mask_channel: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        if k < 2 or groups < 2 or groups % 2:
            raise ConfigError(f"hydra needs k >= 2 kernels per group and an even number of groups >= 2; "
                              f"got k={k}, groups={groups}")
        self.length, self.k, self.groups, self.seed = int(length), int(k), int(groups), int(seed)
        self.mask_channel = bool(mask_channel)
        self.dilations = dilations_for(max(self.length, KERNEL_LENGTH))
        self.trainable = False

    @property
    def per_representation(self) -> int:
        return self.groups // 2

    @property
    def output_features(self) -> int:
        return len(self.dilations) * 2 * 2 * self.per_representation * self.k

    def build(self, input_shape):
        channels = int(input_shape[-1]) - int(self.mask_channel)
        rng = np.random.default_rng(self.seed)
        h, k = self.per_representation, self.k
        self.kernels = []
        for d in self.dilations:
            for r in range(2):
                weights = rng.standard_normal((KERNEL_LENGTH, channels, h * k)).astype(np.float32)
                if channels > 1:  # each group reads 2-8 random channels (half of them, as multivariate Hydra)
                    per_group = int(np.clip(channels // 2, min(2, channels), 8))
                    keep = np.zeros((channels, h), dtype=np.float32)
                    for g in range(h):
                        keep[rng.choice(channels, per_group, replace=False), g] = 1.0
                    weights *= np.repeat(keep, k, axis=1)[None]
                weights -= weights.mean(axis=0, keepdims=True)
                weights /= np.maximum(np.abs(weights).sum(axis=0, keepdims=True), 1e-12)
                kernel = self.add_weight(shape=weights.shape, initializer="zeros", trainable=False,
                                         name=f"kernel_{r}_{d}")
                kernel.assign(weights)
                self.kernels.append(kernel)
        n = self.output_features
        self.mean = self.add_weight(shape=(n,), initializer="zeros", trainable=False, name="mean")
        self.scale = self.add_weight(shape=(n,), initializer="ones", trainable=False, name="scale")

    def _inputs(self, x, ops):
        """[(series, its steps' weights)] for the series and its first difference (zero at the end)."""
        if self.mask_channel:  # (batch, steps, channels): no ellipsis slices, which LiteRT runs only as Flex ops
            values, mask = x[:, :, :-1], x[:, :, -1]
        else:
            values, mask = x, ops.ones_like(x[:, :, 0])
        valid = ops.cast(mask > 0.5, x.dtype)
        # The next step by padding and slicing, not by concatenating a T-1 difference with a zero: the ONNX
        # graph then keeps one length throughout (onnxruntime refused the concatenation's two lengths).
        following = ops.pad(values, [[0, 0], [0, 1], [0, 0]])[:, 1:, :]
        both = valid * ops.pad(valid, [[0, 0], [0, 1]])[:, 1:]
        return [(values, valid), ((following - values) * ops.expand_dims(both, -1), both)]

    def per_step(self, x):
        """``[(soft, hard)]`` per (dilation, representation): each step's addition to every count,
        ``(batch, steps, groups/2, k)`` each."""
        ops = keras().ops
        inputs = self._inputs(x, ops)
        h, k = self.per_representation, self.k
        out = []
        for i, d in enumerate(self.dilations):
            for r, (series, valid) in enumerate(inputs):
                z = ops.conv(series, self.kernels[2 * i + r], strides=1, padding="same", dilation_rate=d)
                z = ops.reshape(z, (-1, ops.shape(z)[1], h, k))
                highest = ops.max(z, axis=-1, keepdims=True)
                weight = ops.reshape(valid, (-1, ops.shape(valid)[1], 1, 1))  # not [:, :, None, None]: a Flex op in LiteRT
                out.append((_first(z >= highest, ops) * highest * weight, _first(z <= ops.min(z, axis=-1, keepdims=True), ops) * weight))
        return out

    def counts(self, x, steps=None):
        """The raw counts ``(batch, features)``: the sums over steps of :meth:`per_step` (``steps``, when already
        computed)."""
        ops = keras().ops
        parts = []
        for soft, hard in steps if steps is not None else self.per_step(x):
            parts += [ops.reshape(ops.sum(soft, axis=1), (-1, self.per_representation * self.k)),
                      ops.reshape(ops.sum(hard, axis=1), (-1, self.per_representation * self.k))]
        return ops.concatenate(parts, axis=-1)

    def scaled(self, root):
        """Hydra's sparse scaling of square-rooted counts: centred and scaled, zero counts kept at zero."""
        ops = keras().ops
        return (root - self.mean) * ops.cast(root > 0, root.dtype) / self.scale

    def call(self, x, steps=None):
        ops = keras().ops
        return self.scaled(ops.sqrt(ops.maximum(self.counts(x, steps), 0.0)))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_features)

    def fit_scaling(self, root: np.ndarray) -> None:
        """Hydra's sparse scaler from the training series' square-rooted counts ``(n, features)``."""
        mean = root.mean(axis=0)
        scale = root.std(axis=0) + (root == 0).mean(axis=0) ** ZERO_SHARE_EXPONENT + 1e-8
        self.mean.assign(mean.astype(np.float32))
        self.scale.assign(scale.astype(np.float32))

    def contributions(self, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Each step's share of a linear score ``features @ weights[i]`` of series ``x[i]``: ``(n, steps)``.

        A feature's term (weight x scaled count) is divided among the steps in proportion to what each added to
        the count, so the shares sum to the score less the bias. Differences count at their first step.
        """
        ops = keras().ops
        per_step = self.per_step(ops.convert_to_tensor(np.asarray(x, np.float32)))
        scaled = np.asarray(ops.convert_to_numpy(self.call(None, per_step)), np.float64)
        terms = scaled * weights  # (n, features)
        out = np.zeros(x.shape[:2], dtype=np.float64)
        width = self.per_representation * self.k
        offset = 0
        for soft, hard in per_step:
            for part in (soft, hard):
                steps = np.asarray(ops.convert_to_numpy(part), np.float64).reshape(len(x), x.shape[1], width)
                total = steps.sum(axis=1, keepdims=True)
                share = np.divide(steps, total, out=np.zeros_like(steps), where=np.abs(total) > 1e-12)
                out += np.einsum("nlf,nf->nl", share, terms[:, offset: offset + width])
                offset += width
        return out

    def get_config(self):
        return {**super().get_config(), "length": self.length, "k": self.k, "groups": self.groups,
                "seed": self.seed, "mask_channel": self.mask_channel}


def fit_hydra(network, X: np.ndarray, y: np.ndarray, *, validation: tuple | None, activation: str,
              class_weight: dict[int, float] | None = None) -> tuple[dict[str, Any], str]:
    """Fit the sparse scaling and the Dense head of a built ``hydra`` network in place (see
    :func:`cnn1d.models.rocket.fit_ridge_head`)."""
    X = checked_inputs(X, activation, "hydra")
    layer = network.get_layer("hydra")
    layer.mean.assign(np.zeros(layer.output_features, np.float32))
    layer.scale.assign(np.ones(layer.output_features, np.float32))
    root = features_of(network, X, "hydra")  # unscaled: the square-rooted counts
    layer.fit_scaling(root)
    ops = keras().ops
    F = np.asarray(ops.convert_to_numpy(layer.scaled(ops.convert_to_tensor(root.astype(np.float32)))), np.float64)
    # Already scaled as the graph scales them (zero counts stay at zero): the ridge reads them as they are.
    return fit_ridge_head(network, F, y, np.ones(F.shape[1]), validation=validation, activation=activation,
                          class_weight=class_weight, layer_name="hydra")


@register(
    "hydra",
    summary="Hydra: competing random kernels (64 groups of 8) over the series and its difference, counted, ridge-fitted Dense head",
    paper="Dempster, Schmidt & Webb 2023, 'Hydra: competing convolutional kernels for fast and accurate time series classification'",
    fit=lambda network, X, y, **kw: train_closed_form(network, X, y, fit=fit_hydra, **kw),
    search={"groups": [32, 64], "k": [8, 16]},
)
def build_hydra(input_shape, n_outputs, output_activation, *, k: int = 8, groups: int = 64, seed: int = 0,
                length: int | None = None, mask_channel: bool = False):
    """Competing-kernel counts and a Dense output; :func:`fit_hydra` sets the scaling and the head.

    ``length``: the training series' length, which sets the dilations (default: the input's fixed length).
    """
    kr = keras()
    length = length or input_shape[0]
    if length is None:
        raise ConfigError("hydra sets its dilations from the training length: give length= or a fixed input length")
    inputs = series_input(input_shape)
    features = HydraFeatures(length, k, groups, seed, mask_channel, name="hydra")(inputs)
    outputs = kr.layers.Dense(n_outputs, activation=output_activation, name="output")(features)
    return kr.Model(inputs, outputs, name="hydra")
