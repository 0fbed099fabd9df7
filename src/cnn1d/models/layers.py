"""Small graph helpers shared by the model families (functional API, standard Keras layers only)."""

from __future__ import annotations

from .._backend import keras

# Keras's default BatchNorm momentum (0.99) needs hundreds of steps before its moving statistics match the
# weights; small datasets give a few steps per epoch, so inference-mode predictions lag training for
# dozens of epochs and early stopping picks a near-random model. 0.9 tracks within ~20 steps.
BN_MOMENTUM = 0.9


def conv_bn_act(x, filters: int, kernel_size: int, activation: str = "relu", name: str | None = None):
    k = keras()
    x = k.layers.Conv1D(filters, kernel_size, padding="same", use_bias=False, name=name and f"{name}_conv")(x)
    x = k.layers.BatchNormalization(momentum=BN_MOMENTUM, name=name and f"{name}_bn")(x)
    return k.layers.Activation(activation, name=name and f"{name}_act")(x)


def classifier_head(x, n_outputs: int, output_activation: str, dropout: float = 0.0):
    k = keras()
    if dropout:
        x = k.layers.Dropout(dropout)(x)
    return k.layers.Dense(n_outputs, activation=output_activation, name="output")(x)


def series_input(input_shape: tuple):
    return keras().Input(shape=tuple(input_shape), name="series")
