"""Raw-waveform networks: ``m5`` (a very deep CNN with a wide first kernel, Dai et al. 2017) and ``tdfb``
(a learnable time-domain filterbank initialised to mel-spaced Gabor filters, Zeghidour et al. 2018, under
the same convolutional blocks)."""

from __future__ import annotations

import numpy as np

from .._backend import keras
from .layers import BN_MOMENTUM, LogCompression, classifier_head, series_input
from .registry import register


@register(
    "m5",
    summary="raw waveform: Conv1D(128, 80, stride 4) then 3 conv blocks (128/256/512, kernel 3), BN, max-pool 4 each > GAP; ~0.5M params",
    paper="Dai, Dai, Qu, Li & Das 2017, 'Very deep convolutional neural networks for raw waveforms'",
    # Over 10 ms log-mel frames an 80-step kernel spans 0.8 s, longer than most spoken digits: XLA's CPU
    # convolution then ran 5-7x slower (52 s vs 7-10 s for 60 epochs) for the same 1.000 test accuracy.
    frame_params={"first_kernel": 16},
    raw_waveform=True,
    search={"filters": [[64, 64, 128, 256], [128, 128, 256, 512]]},
)
def build_m5(input_shape, n_outputs, output_activation, *, filters: tuple = (128, 128, 256, 512),
             first_kernel: int = 80, first_stride: int = 4, pool: int = 4):
    """M5: the wide strided first layer acts as a learned filterbank; the rest are small-kernel blocks.

    Over log-mel/MFCC frames (``front_end`` other than raw) the estimator builds it with ``first_kernel=16``.
    """
    inputs = series_input(input_shape)
    x = _m5_blocks(inputs, filters, first_kernel, first_stride, pool)
    return keras().Model(inputs, classifier_head(x, n_outputs, output_activation), name="m5")


def _m5_blocks(x, filters, first_kernel: int, first_stride: int, pool: int):
    k = keras()
    for i, f in enumerate(filters):
        kernel, stride = (first_kernel, first_stride) if i == 0 else (3, 1)
        x = k.layers.Conv1D(f, kernel, strides=stride, padding="same", use_bias=False)(x)
        x = k.layers.Activation("relu")(k.layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
        x = k.layers.MaxPooling1D(pool, padding="same")(x)
    return k.layers.GlobalAveragePooling1D()(x)


def gabor_filterbank(n_filters: int, width: int, sample_rate: int, low_hz: float = 60.0) -> np.ndarray:
    """Complex Gabor filters at mel-spaced centre frequencies, ``(width, 1, 2 * n_filters)``: the real and
    imaginary part of filter ``j`` are columns ``2j`` and ``2j + 1``; each filter's bandwidth is the spacing
    of the mel grid around it, so the squared modulus of their outputs approximates a mel spectrogram."""
    from ..preprocess.audio import hz_to_mel, mel_to_hz

    edges = mel_to_hz(np.linspace(hz_to_mel(low_hz), hz_to_mel(sample_rate / 2.0 * 0.95), n_filters + 2))
    centres, bandwidths = edges[1:-1], (edges[2:] - edges[:-2]) / 2.0
    t = (np.arange(width) - (width - 1) / 2.0) / sample_rate
    kernel = np.zeros((width, 1, 2 * n_filters), dtype=np.float32)
    for j, (fc, bw) in enumerate(zip(centres, bandwidths)):
        sigma = min(1.0 / (2.0 * np.pi * max(bw, 1.0) / 2.0), (width / 6.0) / sample_rate)
        envelope = np.exp(-0.5 * (t / sigma) ** 2)
        envelope /= envelope.sum()
        kernel[:, 0, 2 * j] = envelope * np.cos(2 * np.pi * fc * t)
        kernel[:, 0, 2 * j + 1] = envelope * np.sin(2 * np.pi * fc * t)
    return kernel


@register(
    "tdfb",
    summary="raw waveform: mel-spaced Gabor filterbank in the graph (25 ms, |.|^2, 10 ms pooling, log; fixed or learned) then M5 blocks",
    paper="Zeghidour, Usunier, Kokkinos, Schatz, Synnaeve & Dupoux 2018, 'Learning filterbanks from raw speech'",
    waveform_only=True,
)
def build_tdfb(input_shape, n_outputs, output_activation, *, sample_rate: int = 8000, n_filters: int = 40,
               window_ms: float = 25.0, hop_ms: float = 10.0, stride: int = 4,
               filters: tuple = (128, 128, 256, 512), first_kernel: int = 16, pool: int = 4,
               log_eps: float = 1e-6, learn_filters: bool = False):
    """A log-mel front end made of network layers over the raw samples, then M5's convolutional blocks.

    ``learn_filters=False`` (default) keeps the mel-spaced Gabor filters fixed: on the spoken digits
    (240 clips, 12 voices) fixed filters scored 1.000 on three seeds in 11-15 s, learned ones 0.925
    (0.963 with ``log_eps=0.01``): learning the filterbank overfits small data. The complex filter outputs are taken every ``stride`` samples (their squared modulus is a smooth
    envelope, so this loses little and saves ``stride`` times the work), averaged over ``window_ms`` every
    ``hop_ms`` and log-compressed. Extra input channels (a padding mask) start with zero weights.
    """
    k = keras()
    inputs = series_input(input_shape)
    width = int(round(sample_rate * window_ms / 1000)) | 1
    bank = k.layers.Conv1D(2 * n_filters, width, strides=stride, padding="same", use_bias=False, name="filterbank",
                           trainable=learn_filters)
    x = bank(inputs)
    x = k.layers.Multiply()([x, x])
    pair_sum = k.layers.Conv1D(n_filters, 1, use_bias=False, trainable=False, name="modulus")
    x = pair_sum(x)
    hop = max(1, int(round(sample_rate * hop_ms / 1000)) // stride)
    x = k.layers.AveragePooling1D(max(1, width // stride), strides=hop, padding="same")(x)
    x = LogCompression(log_eps, name="log")(x)
    x = k.layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = _m5_blocks(x, filters, first_kernel, 4, pool)
    model = k.Model(inputs, classifier_head(x, n_outputs, output_activation), name="tdfb")
    kernel = np.zeros((width, input_shape[-1], 2 * n_filters), dtype=np.float32)
    kernel[:, :1, :] = gabor_filterbank(n_filters, width, sample_rate)
    bank.set_weights([kernel])
    pairs = np.zeros((1, 2 * n_filters, n_filters), dtype=np.float32)
    pairs[0, np.arange(2 * n_filters), np.arange(2 * n_filters) // 2] = 1.0
    pair_sum.set_weights([pairs])
    return model
