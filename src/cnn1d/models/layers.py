"""Small graph helpers shared by the model families (functional API, standard Keras layers only)."""

from __future__ import annotations

from .._backend import keras


def conv_bn_act(x, filters: int, kernel_size: int, activation: str = "relu", name: str | None = None):
    k = keras()
    x = k.layers.Conv1D(filters, kernel_size, padding="same", use_bias=False, name=name and f"{name}_conv")(x)
    x = k.layers.BatchNormalization(name=name and f"{name}_bn")(x)
    return k.layers.Activation(activation, name=name and f"{name}_act")(x)


def classifier_head(x, n_outputs: int, output_activation: str, dropout: float = 0.0):
    k = keras()
    if dropout:
        x = k.layers.Dropout(dropout)(x)
    return k.layers.Dense(n_outputs, activation=output_activation, name="output")(x)


def series_input(input_shape: tuple):
    return keras().Input(shape=tuple(input_shape), name="series")
