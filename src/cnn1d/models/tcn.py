"""``tcn``: a temporal convolutional network of dilated causal residual blocks (Bai et al. 2018)."""

from __future__ import annotations

from .._backend import YNN_CONVOLUTIONS_ONLY, keras
from .layers import LastStep, classifier_head, series_input
from .registry import register


def tcn_stack(x, *, filters: int, kernel_size: int, dilations, dropout: float, norm: str = "layer", name: str = "tcn"):
    """Residual blocks of two causal dilated convolutions each; returns the sequence ``(steps, filters)``.

    Shared by classification (followed by pooling) and forecasting heads. The receptive field is
    ``1 + 2 * (kernel_size - 1) * sum(dilations)`` steps.
    """
    k = keras()
    if norm not in ("layer", "none"):
        raise ValueError("norm must be 'layer' or 'none'")
    for d in dilations:
        shortcut = x
        y = x
        for j in range(2):
            y = k.layers.Conv1D(filters, kernel_size, padding="causal", dilation_rate=d,
                                name=f"{name}_d{d}_conv{j}")(y)
            if norm == "layer":
                y = k.layers.LayerNormalization(name=f"{name}_d{d}_norm{j}")(y)
            y = k.layers.Activation("relu")(y)
            if dropout:
                y = k.layers.SpatialDropout1D(dropout)(y)
        if shortcut.shape[-1] != filters:
            shortcut = k.layers.Conv1D(filters, 1, name=f"{name}_d{d}_skip")(shortcut)
        x = k.layers.Activation("relu")(k.layers.Add()([y, shortcut]))
    return x


@register(
    "tcn",
    summary="dilated causal residual blocks (64 filters, kernel 3, dilations 1..32) + GAP; ~130k params",
    paper="Bai, Kolter & Koltun 2018, 'An empirical evaluation of generic convolutional and recurrent networks'",
    search={"filters": [16, 32, 64], "kernel_size": [2, 3, 5], "dropout": [0.0, 0.1], "norm": ["layer", "none"]},
    compiler_options=YNN_CONVOLUTIONS_ONLY,
)
def build_tcn(input_shape, n_outputs, output_activation, *, filters: int = 64, kernel_size: int = 3,
              dilations: tuple = (1, 2, 4, 8, 16, 32), dropout: float = 0.05, head: str = "gap",
              norm: str = "layer"):
    """TCN: each block sees only the past (causal padding), so the same stack serves forecasting.

    ``head="gap"`` averages over time (classification); ``head="last"`` reads the last step, which has
    seen the whole window (forecasting). ``norm="none"`` leaves out the layer normalisation after each
    convolution (half the training step on CPU), for inputs that are normalised already.
    """
    k = keras()
    if head not in ("gap", "last"):
        raise ValueError("head must be 'gap' or 'last'")
    inputs = series_input(input_shape)
    x = tcn_stack(inputs, filters=filters, kernel_size=kernel_size, dilations=dilations, dropout=dropout, norm=norm)
    if head == "last":
        x = LastStep()(x)
    else:
        x = k.layers.GlobalAveragePooling1D()(x)
    return k.Model(inputs, classifier_head(x, n_outputs, output_activation), name="tcn")
