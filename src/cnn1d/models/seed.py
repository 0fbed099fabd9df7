"""``seed``: the classic Keras 1D-CNN tutorial model, done right (fixed input length)."""

from __future__ import annotations

from .._backend import keras
from .layers import classifier_head, series_input
from .registry import register


@register(
    "seed",
    summary="Conv1D(32,3,relu) > MaxPool(2) > Flatten > Dense(128,relu) > output; the textbook baseline",
    paper="Keras code examples (1D CNN for sequence classification)",
    variable_length=False,
)
def build_seed(input_shape, n_outputs, output_activation):
    """The tutorial network: one convolution, max pooling, a flattening dense head.

    Input ``(steps, channels)`` with a fixed number of steps (the Flatten layer needs it).
    """
    k = keras()
    inputs = series_input(input_shape)
    x = k.layers.Conv1D(32, 3, activation="relu")(inputs)
    x = k.layers.MaxPooling1D(2)(x)
    x = k.layers.Flatten()(x)
    x = k.layers.Dense(128, activation="relu")(x)
    return k.Model(inputs, classifier_head(x, n_outputs, output_activation), name="seed")
