"""``fcn``: the Fully Convolutional Network of Wang et al. (2017)."""

from __future__ import annotations

from .._backend import keras
from .layers import classifier_head, conv_bn_act, series_input
from .registry import register


@register(
    "fcn",
    summary="3 conv blocks (128/256/128 filters, kernels 8/5/3) + BatchNorm + global average pooling; ~265k params",
    paper="Wang, Yan & Oates 2017, 'Time series classification from scratch with deep neural networks'",
    search={"filters": [[64, 128, 64], [128, 256, 128]], "kernel_sizes": [[8, 5, 3], [16, 10, 6]]},
)
def build_fcn(input_shape, n_outputs, output_activation, *, filters: tuple = (128, 256, 128),
              kernel_sizes: tuple = (8, 5, 3)):
    """FCN: Conv1D-BatchNorm-ReLU x3, global average pooling, dense output. Accepts any series length."""
    k = keras()
    inputs = series_input(input_shape)
    x = inputs
    for i, (f, kern) in enumerate(zip(filters, kernel_sizes)):
        x = conv_bn_act(x, f, kern, name=f"block{i + 1}")
    x = k.layers.GlobalAveragePooling1D()(x)
    return k.Model(inputs, classifier_head(x, n_outputs, output_activation), name="fcn")
