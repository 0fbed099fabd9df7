"""``resnet``: the residual network for time series of Wang et al. (2017) / Ismail Fawaz et al. (2019)."""

from __future__ import annotations

from .._backend import keras
from .layers import BN_MOMENTUM, classifier_head, series_input
from .registry import register


@register(
    "resnet",
    summary="3 residual blocks of 3 convs (64/128/128 filters, kernels 8/5/3) + GAP; ~500k params",
    paper="Wang et al. 2017; benchmarked in Ismail Fawaz et al. 2019, 'Deep learning for TSC: a review'",
    search={"filters": [[32, 64, 64], [64, 128, 128]], "kernel_sizes": [[8, 5, 3], [16, 10, 6]]},
)
def build_resnet(input_shape, n_outputs, output_activation, *, filters: tuple = (64, 128, 128),
                 kernel_sizes: tuple = (8, 5, 3)):
    """ResNet: residual blocks with 1x1-convolution shortcuts, global average pooling, dense output."""
    k = keras()
    inputs = series_input(input_shape)
    x = inputs
    for b, f in enumerate(filters):
        shortcut = x
        y = x
        for j, kern in enumerate(kernel_sizes):
            last = j == len(kernel_sizes) - 1
            y = k.layers.Conv1D(f, kern, padding="same", use_bias=False)(y)
            y = k.layers.BatchNormalization(momentum=BN_MOMENTUM)(y)
            if not last:
                y = k.layers.Activation("relu")(y)
        if shortcut.shape[-1] != f:
            shortcut = k.layers.Conv1D(f, 1, padding="same", use_bias=False)(shortcut)
        shortcut = k.layers.BatchNormalization(momentum=BN_MOMENTUM)(shortcut)
        x = k.layers.Activation("relu")(k.layers.Add()([y, shortcut]))
    x = k.layers.GlobalAveragePooling1D()(x)
    return k.Model(inputs, classifier_head(x, n_outputs, output_activation), name="resnet")


