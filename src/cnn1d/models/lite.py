"""``lite``: LITE, a light Inception-style network (Ismail-Fawaz et al. 2023)."""

from __future__ import annotations

import numpy as np

from .._backend import keras
from .layers import BN_MOMENTUM, DepthwiseConv1DShift, classifier_head, series_input
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
    search={"filters": [16, 32, 64], "kernel_size": [20, 40, 60]},
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
    fixed_layer = None
    if custom:
        # All 17 fixed filters run as one convolution (each zero-padded to the longest kernel, aligned so
        # that 'same' padding matches the filter's own): one op instead of 17 is ~3x faster on CPU.
        fixed_layer = k.layers.Conv1D(len(custom_filters()), max(len(f) for f in custom_filters()), padding="same",
                                      use_bias=False, trainable=False, name="lite_custom_filters")
        branches.append(k.layers.Activation("relu")(fixed_layer(inputs)))
    x = k.layers.Concatenate(axis=-1)(branches) if len(branches) > 1 else branches[0]
    x = k.layers.Activation("relu")(k.layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
    for i in range(2):
        rate = 2 ** (i + 1) if dilation else 1
        # Depthwise-separable convolution: per-channel dilated filter, then a 1x1 mix.
        x = DepthwiseConv1DShift(max(kernel_size // 2 // 2**i, 1), rate)(x)
        x = k.layers.Conv1D(filters, 1, use_bias=False)(x)
        x = k.layers.Activation("relu")(k.layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
    x = k.layers.GlobalAveragePooling1D()(x)
    model = k.Model(inputs, classifier_head(x, n_outputs, output_activation), name="lite")
    if fixed_layer is not None:
        fixed_layer.set_weights([custom_filter_bank(inputs.shape[-1])])
    return model


def custom_filter_bank(channels: int) -> np.ndarray:
    """The custom filters as one Conv1D kernel ``(K, channels, 17)``; each filter sums over channels."""
    filters = custom_filters()
    size = max(len(f) for f in filters)
    bank = np.zeros((size, channels, len(filters)), dtype=np.float32)
    for j, f in enumerate(filters):
        # 'same' padding centres a kernel of length k at (k - 1) // 2; keep that centre in the wide kernel.
        offset = (size - 1) // 2 - (len(f) - 1) // 2
        bank[offset: offset + len(f), :, j] = f[:, None]
    return bank
