"""``m5``: a very deep raw-waveform CNN with a wide first kernel (Dai et al. 2017)."""

from __future__ import annotations

from .._backend import keras
from .layers import BN_MOMENTUM, classifier_head, series_input
from .registry import register


@register(
    "m5",
    summary="raw waveform: Conv1D(128, 80, stride 4) then 3 conv blocks (128/256/512, kernel 3), BN, max-pool 4 each > GAP; ~0.5M params",
    paper="Dai, Dai, Qu, Li & Das 2017, 'Very deep convolutional neural networks for raw waveforms'",
    # Over 10 ms log-mel frames an 80-step kernel spans 0.8 s, longer than most spoken digits: XLA's CPU
    # convolution then ran 5-7x slower (52 s vs 7-10 s for 60 epochs) for the same 1.000 test accuracy.
    frame_params={"first_kernel": 16},
)
def build_m5(input_shape, n_outputs, output_activation, *, filters: tuple = (128, 128, 256, 512),
             first_kernel: int = 80, first_stride: int = 4, pool: int = 4):
    """M5: the wide strided first layer acts as a learned filterbank; the rest are small-kernel blocks.

    Over log-mel/MFCC frames (``front_end`` other than raw) the estimator builds it with ``first_kernel=16``.
    """
    k = keras()
    inputs = series_input(input_shape)
    x = inputs
    for i, f in enumerate(filters):
        kernel, stride = (first_kernel, first_stride) if i == 0 else (3, 1)
        x = k.layers.Conv1D(f, kernel, strides=stride, padding="same", use_bias=False)(x)
        x = k.layers.Activation("relu")(k.layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
        x = k.layers.MaxPooling1D(pool, padding="same")(x)
    x = k.layers.GlobalAveragePooling1D()(x)
    return k.Model(inputs, classifier_head(x, n_outputs, output_activation), name="m5")
