"""``cnn``: a configurable plain 1D CNN built from the tutorial vocabulary."""

from __future__ import annotations

from .._backend import keras
from .layers import BN_MOMENTUM, classifier_head, series_input
from .registry import register

POOLING = ("max", "avg", "none")
HEADS = ("flatten", "gap")


@register(
    "cnn",
    summary="configurable conv blocks (filters, kernel, activation, pooling, flatten/GAP head, dense, dropout)",
    paper="LeCun et al. 1998 style stacks; the vocabulary of the Keras 1D-CNN examples",
    variable_length=False,
)
def build_cnn(
    input_shape,
    n_outputs,
    output_activation,
    *,
    blocks: int = 2,
    filters: int | list = 32,
    kernel_size: int | list = 3,
    activation: str = "relu",
    pooling: str = "max",
    pool_size: int = 2,
    batch_norm: bool = False,
    head: str = "flatten",
    dense: int | list = 128,
    dropout: float = 0.0,
):
    """Stack ``blocks`` of Conv1D(+BatchNorm)+activation+pooling, then a flatten or global-average head.

    ``filters`` and ``kernel_size`` take one value for all blocks or a list with one per block;
    ``dense`` takes one size or a list of hidden sizes (``[]`` for none). With ``head="gap"`` the model
    accepts series of any length.
    """
    k = keras()
    if pooling not in POOLING:
        raise ValueError(f"pooling must be one of {POOLING}")
    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}")
    filters = _per_block(filters, blocks, "filters")
    kernels = _per_block(kernel_size, blocks, "kernel_size")
    dense = [dense] if isinstance(dense, int) else list(dense)
    if head == "flatten" and input_shape[0] is None:
        raise ValueError("a flatten head needs a fixed series length; use head='gap' for variable lengths")
    inputs = series_input(input_shape)
    x = inputs
    for f, kern in zip(filters, kernels):
        x = k.layers.Conv1D(f, kern, padding="same", use_bias=not batch_norm)(x)
        if batch_norm:
            x = k.layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
        x = k.layers.Activation(activation)(x)
        if pooling == "max":
            x = k.layers.MaxPooling1D(pool_size, padding="same")(x)
        elif pooling == "avg":
            x = k.layers.AveragePooling1D(pool_size, padding="same")(x)
    x = k.layers.Flatten()(x) if head == "flatten" else k.layers.GlobalAveragePooling1D()(x)
    for units in dense:
        x = k.layers.Dense(units, activation=activation)(x)
        if dropout:
            x = k.layers.Dropout(dropout)(x)
    return k.Model(inputs, classifier_head(x, n_outputs, output_activation), name="cnn")


def _per_block(value, blocks: int, name: str) -> list:
    if isinstance(value, int):
        return [value] * blocks
    value = list(value)
    if len(value) != blocks:
        raise ValueError(f"{name} has {len(value)} entries but blocks={blocks}")
    return value
