"""``causal_lm``: a causal dilated convolutional language model (WaveNet / TCN style)."""

from __future__ import annotations

from .._backend import YNN_CONVOLUTIONS_ONLY, keras
from .registry import register
from .tcn import tcn_stack


@register(
    "causal_lm",
    summary="embedding > causal dilated residual conv blocks (dilations 1..32) > next-token softmax at every step",
    paper="van den Oord et al. 2016 (WaveNet); Bai et al. 2018 (TCN); Dauphin et al. 2017 (conv LMs)",
    modality="lm",
    compiler_options=YNN_CONVOLUTIONS_ONLY,
)
def build_causal_lm(input_shape, n_outputs, output_activation, *, embedding_dim: int = 64, filters: int = 128,
                    kernel_size: int = 3, dilations: tuple = (1, 2, 4, 8, 16, 32), dropout: float = 0.1):
    """Next-token model: ``(steps,)`` token ids -> ``(steps, n_outputs)`` probabilities; step t sees tokens <= t."""
    k = keras()
    inputs = k.Input(shape=tuple(input_shape), dtype="int32", name="tokens")
    x = k.layers.Embedding(n_outputs, embedding_dim)(inputs)
    x = tcn_stack(x, filters=filters, kernel_size=kernel_size, dilations=dilations, dropout=dropout, name="lm")
    outputs = k.layers.Dense(n_outputs, activation=output_activation, name="next_token")(x)
    return k.Model(inputs, outputs, name="causal_lm")
