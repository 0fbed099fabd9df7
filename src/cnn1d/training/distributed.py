"""Data-parallel training over several devices (GPUs, TPUs, or CPU devices) with ``keras.distribution``.

Each batch is split across the devices and the weights are replicated (Keras ``DataParallel``; JAX
backend). JAX shards a batch only when the device count divides it, so the batch size is rounded up to a
multiple of the device count and the training and validation sets are padded to whole batches with
zero-weight copies; the trained weights are then copied into an ordinary single-device model, so
saving, predicting and exporting never see the sharding.
"""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np

from ..errors import ConfigError


def data_parallel(devices: int):
    """A ``DataParallel`` distribution over ``devices`` devices (0: all), or ``None`` for one device."""
    from .._backend import backend_name, keras

    if devices == 1:
        return None
    if backend_name() != "jax":
        raise ConfigError(f"training on several devices uses keras.distribution, which needs the JAX backend "
                          f"(this run uses {backend_name()}); set KERAS_BACKEND=jax or use devices=1")
    available = keras().distribution.list_devices()
    wanted = len(available) if devices == 0 else devices
    if wanted > len(available):
        raise ConfigError(f"devices={devices} but only {len(available)} device(s) are visible: {', '.join(available)}")
    if wanted == 1:
        return None
    return keras().distribution.DataParallel(devices=available[:wanted])


def n_devices(distribution) -> int:
    return 1 if distribution is None else int(np.prod(distribution.device_mesh.shape))


def scope(distribution):
    return nullcontext() if distribution is None else distribution.scope()


def pad_to_batches(X: np.ndarray, y: np.ndarray, batch_size: int, weights: np.ndarray | None = None):
    """``(X, y, w)`` padded to a whole number of batches; padded rows repeat the first ones with weight 0."""
    n = len(X)
    w = np.ones(n, dtype=np.float32) if weights is None else weights.astype(np.float32)
    extra = (-n) % batch_size
    if not extra:
        return X, y, w
    take = np.arange(extra) % n
    return (np.concatenate([X, X[take]]), np.concatenate([y, y[take]]),
            np.concatenate([w, np.zeros(extra, dtype=np.float32)]))


def batch_size_for(batch_size: int, devices: int) -> int:
    return -(-batch_size // devices) * devices


def fit_on_devices(devices: int, build, fit):
    """Build and train a network over ``devices`` devices; return the TrainResult with a plain model.

    ``build()`` makes the network; ``fit(network, n_devices)`` trains it (``trainer.train(..., devices=n)``).
    """
    from dataclasses import replace

    distribution = data_parallel(devices)
    with scope(distribution):
        result = fit(build(), n_devices(distribution))
    if distribution is None:
        return result
    plain = build()  # outside the scope: an ordinary single-device model with the trained weights
    plain.set_weights(result.model.get_weights())
    return replace(result, model=plain)
