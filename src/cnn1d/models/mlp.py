"""``mlp``: the multilayer-perceptron floor of Wang et al. (2017)."""

from __future__ import annotations

from .._backend import keras
from .layers import classifier_head, series_input
from .registry import register


@register(
    "mlp",
    summary="Flatten > 3 x Dense(500, relu) with dropout 0.1/0.2/0.2/0.3; a floor every CNN should beat",
    paper="Wang, Yan & Oates 2017, 'Time series classification from scratch with deep neural networks'",
    variable_length=False,
)
def build_mlp(input_shape, n_outputs, output_activation, *, units: int = 500, layers: int = 3):
    k = keras()
    inputs = series_input(input_shape)
    x = k.layers.Dropout(0.1)(k.layers.Flatten()(inputs))
    for i in range(layers):
        x = k.layers.Dense(units, activation="relu")(x)
        x = k.layers.Dropout(0.3 if i == layers - 1 else 0.2)(x)
    return k.Model(inputs, classifier_head(x, n_outputs, output_activation), name="mlp")
