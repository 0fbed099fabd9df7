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


def _register(cls):
    return keras().saving.register_keras_serializable(package="cnn1d")(cls)


@_register
class DepthwiseConv1DShift(keras().layers.Layer):
    """Depthwise 1D convolution ('same' padding, any dilation) computed as a sum of shifted products.

    Mathematically the depthwise half of ``SeparableConv1D``. XLA's CPU grouped convolution (what
    ``SeparableConv1D``/``DepthwiseConv1D`` lower to on JAX) ran LITE 3.5x slower than PyTorch; a sum of
    ``kernel_size`` shifted multiplies fuses into one loop and runs on every backend.

    Args:
        kernel_size: taps per channel.
        dilation_rate: spacing between taps.

    Input ``(batch, steps, channels)``; output the same shape.
    """

    def __init__(self, kernel_size: int, dilation_rate: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = int(kernel_size)
        self.dilation_rate = int(dilation_rate)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.kernel_size, input_shape[-1]), initializer="glorot_uniform",
                                      name="depthwise_kernel")

    def call(self, x):
        ops = keras().ops
        span = (self.kernel_size - 1) * self.dilation_rate
        left = span // 2
        padded = ops.pad(x, [[0, 0], [left, span - left], [0, 0]])
        steps = ops.shape(x)[1]
        out = None
        for j in range(self.kernel_size):
            start = j * self.dilation_rate
            term = padded[:, start: start + steps, :] * self.kernel[j]
            out = term if out is None else out + term
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size, "dilation_rate": self.dilation_rate}


@_register
class LastStep(keras().layers.Layer):
    """The last time step of a sequence: ``(batch, steps, channels) -> (batch, channels)``.

    A registered layer rather than a ``Lambda`` so bundles load with Keras ``safe_mode`` on.
    """

    def call(self, x):
        return x[:, -1, :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


@_register
class LogCompression(keras().layers.Layer):
    """``log(x + eps)``: the compression a log-mel spectrogram applies, as a layer for raw-audio front ends."""

    def __init__(self, eps: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        self.eps = float(eps)

    def call(self, x):
        return keras().ops.log(x + self.eps)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "eps": self.eps}


@_register
def masked_mean_absolute_error(y_true, y_pred):
    """Mean absolute error over the known targets only: NaN marks a target that is missing (a forecast
    window whose future crosses a gap), so such windows still train on the steps that were observed."""
    ops = keras().ops
    known = ops.logical_not(ops.isnan(y_true))
    error = ops.where(known, ops.abs(y_pred - ops.where(known, y_true, 0.0)), 0.0)
    return ops.sum(error, axis=-1) / ops.maximum(ops.sum(ops.cast(known, error.dtype), axis=-1), 1.0)
