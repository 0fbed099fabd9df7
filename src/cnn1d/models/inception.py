"""``inception``: one InceptionTime network (Ismail Fawaz et al. 2020)."""

from __future__ import annotations

from .._backend import keras
from .layers import BN_MOMENTUM, classifier_head, series_input
from .registry import register


@register(
    "inception",
    summary="6 Inception modules (bottleneck, kernels 40/20/10 + max-pool branch, 32 filters each), residual every 3; ~420k params",
    paper="Ismail Fawaz et al. 2020, 'InceptionTime: finding AlexNet for time series classification'",
    search={"depth": [3, 6], "filters": [16, 32], "kernel_size": [20, 40, 60]},
)
def build_inception(input_shape, n_outputs, output_activation, *, depth: int = 6, filters: int = 32,
                    bottleneck: int = 32, kernel_size: int = 40, residual: bool = True):
    """One Inception network as in InceptionTime (the ensemble of five is a later addition)."""
    k = keras()
    kernels = [max(kernel_size // (2**i), 2) for i in range(3)]
    inputs = series_input(input_shape)
    x = inputs
    shortcut = inputs
    for d in range(depth):
        branch_in = x
        if bottleneck and x.shape[-1] > 1:
            branch_in = k.layers.Conv1D(bottleneck, 1, padding="same", use_bias=False)(x)
        branches = [k.layers.Conv1D(filters, kern, padding="same", use_bias=False)(branch_in) for kern in kernels]
        pooled = k.layers.MaxPooling1D(3, strides=1, padding="same")(x)
        branches.append(k.layers.Conv1D(filters, 1, padding="same", use_bias=False)(pooled))
        x = k.layers.Concatenate(axis=-1)(branches)
        x = k.layers.Activation("relu")(k.layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
        if residual and d % 3 == 2:
            s = k.layers.Conv1D(x.shape[-1], 1, padding="same", use_bias=False)(shortcut)
            s = k.layers.BatchNormalization(momentum=BN_MOMENTUM)(s)
            x = k.layers.Activation("relu")(k.layers.Add()([x, s]))
            shortcut = x
    x = k.layers.GlobalAveragePooling1D()(x)
    return k.Model(inputs, classifier_head(x, n_outputs, output_activation), name="inception")
