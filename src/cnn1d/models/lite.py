"""``lite``: LITE, a light Inception-style network (Ismail-Fawaz et al. 2023)."""

from __future__ import annotations

import numpy as np

from .._backend import keras
from .layers import BN_MOMENTUM, classifier_head, series_input
from .registry import register

_CUSTOM_KERNELS = (2, 4, 8, 16, 32, 64)


def custom_filters(kernel_sizes=_CUSTOM_KERNELS) -> list[np.ndarray]:
    """The fixed hand-crafted filters of LITE: increasing and decreasing step detectors for every kernel
    size and peak detectors (a smooth negative-positive-negative bump) for all but the smallest."""
    filters = []
    for sign in (1, -1):
        for k in kernel_sizes:
            f = np.ones(k, dtype=np.float32)
            f[np.arange(k) % 2 == (0 if sign == 1 else 1)] = -1
            filters.append(f)
    for k in kernel_sizes[1:]:
        q = k // 4
        rise = np.linspace(0, 1, q + 1)[1:] ** 2
        f = np.concatenate([-rise, -rise[::-1], 2 * rise, 2 * rise[::-1], -rise, -rise[::-1]]).astype(np.float32)
        filters.append(f)
    return filters


@register(
    "lite",
    summary="LITE: Inception module with multiplexed kernels + fixed custom filters, 2 dilated depthwise-separable convs; ~10k params",
    paper="Ismail-Fawaz, Devanne, Berretti, Weber & Forestier 2023, 'LITE: Light Inception with boosTing tEchniques'",
)
def build_lite(input_shape, n_outputs, output_activation, *, filters: int = 32, kernel_size: int = 40,
               custom: bool = True, dilation: bool = True, multiplexing: bool = True):
    """LITE: the three boosting techniques of the paper can be switched off one by one.

    Layer 1: ``filters`` convolutions per kernel size (40, 20, 10 with multiplexing; one of 40 with
    ``3 * filters`` without) plus 17 fixed custom filters, BatchNorm, ReLU. Layers 2-3: depthwise-
    separable convolutions (kernels 20 and 10) with dilation 2 and 4, BatchNorm, ReLU. Then GAP.
    """
    k = keras()
    inputs = series_input(input_shape)
    n_convs, width = (3, filters) if multiplexing else (1, 3 * filters)
    branches = [k.layers.Conv1D(width, max(kernel_size // 2**i, 1), padding="same", use_bias=False)(inputs)
                for i in range(n_convs)]
    fixed_layers = []
    if custom:
        fixed = []
        for f in custom_filters():
            layer = k.layers.Conv1D(1, len(f), padding="same", use_bias=False, trainable=False)
            fixed.append(layer(inputs))
            fixed_layers.append((layer, f))
        branches.append(k.layers.Activation("relu")(k.layers.Concatenate(axis=-1)(fixed)))
    x = k.layers.Concatenate(axis=-1)(branches) if len(branches) > 1 else branches[0]
    x = k.layers.Activation("relu")(k.layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
    for i in range(2):
        rate = 2 ** (i + 1) if dilation else 1
        x = k.layers.SeparableConv1D(filters, max(kernel_size // 2 // 2**i, 1), padding="same",
                                     dilation_rate=rate, use_bias=False)(x)
        x = k.layers.Activation("relu")(k.layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
    x = k.layers.GlobalAveragePooling1D()(x)
    model = k.Model(inputs, classifier_head(x, n_outputs, output_activation), name="lite")
    channels = inputs.shape[-1]
    for layer, f in fixed_layers:
        layer.set_weights([np.repeat(f[:, None, None], channels, axis=1)])
    return model
