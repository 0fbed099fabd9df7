"""Data-parallel training over several devices (GPUs, TPUs, or CPU devices) with ``keras.distribution``,
in one process or in several (one per host), joined through ``keras.distribution.initialize``
(``jax.distributed``).

Each batch is split across the devices and the weights are replicated (Keras ``DataParallel``; JAX
backend). JAX shards a batch only when the device count divides it, so the batch size is rounded up to a
multiple of the device count and the training and validation sets are padded to whole batches with
zero-weight copies. Every process reads the same data and draws the same shuffled global batches
(:class:`ShardedBatches`); each feeds its own slice of every batch, so one process with N devices and N
processes with one device each train on the same batches. The trained weights are then copied into an
ordinary single-device model, so saving, predicting and exporting never see the sharding.
"""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np

from ..errors import ConfigError


_JOINED: tuple | None = None


def join_processes(coordinator: str, num_processes: int, process_id: int) -> None:
    """Join a multi-process run: every process runs the same command with its own ``process_id``; process 0
    hosts the coordinator at ``coordinator`` (HOST:PORT). Must run before the first JAX computation."""
    global _JOINED
    from .._backend import backend_name, keras

    wanted = (coordinator, num_processes, process_id)
    if _JOINED == wanted:
        return
    if _JOINED is not None:
        raise ConfigError(f"this process already joined the run at {_JOINED[0]} as process {_JOINED[2]} of "
                          f"{_JOINED[1]}; a process can join one multi-process run only")
    if backend_name() != "jax":
        raise ConfigError(f"multi-process training goes through jax.distributed and needs the JAX backend (this run "
                          f"uses {backend_name()}); set KERAS_BACKEND=jax")
    import jax

    # CPU devices of different processes reduce gradients through Gloo (GPUs use NCCL, TPUs their own).
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    _stdout_for_python_only()
    try:
        keras().distribution.initialize(job_addresses=coordinator, num_processes=num_processes, process_id=process_id)
    except RuntimeError as exc:
        raise ConfigError(f"could not join the multi-process run at {coordinator} as process {process_id} of "
                          f"{num_processes} ({exc}); start every process with the same --coordinator and "
                          "--num-processes, process 0 first, before any JAX work in this process") from None
    _JOINED = wanted


def _stdout_for_python_only() -> None:
    """Gloo announces its connections on file descriptor 1, which would break ``--json`` (one JSON object on
    stdout): from here on, what C libraries write there goes to stderr, and Python's stdout keeps the real one."""
    import os
    import sys

    try:
        sys.stdout.flush()
        real = os.dup(1)
        os.dup2(2, 1)
    except (OSError, ValueError):  # no real descriptors (an embedding host, a test runner's capture)
        return
    sys.stdout = os.fdopen(real, "w", buffering=1, encoding=getattr(sys.stdout, "encoding", None) or "utf-8")


def process_rank() -> tuple[int, int]:
    """(this process's index, number of processes) of the run; (0, 1) outside a multi-process run."""
    if _JOINED is None:
        return 0, 1
    import jax

    return jax.process_index(), jax.process_count()


def data_parallel(devices: int):
    """A ``DataParallel`` distribution over ``devices`` devices (0: all, in every process), or ``None``."""
    from .._backend import backend_name, keras

    if devices == 1 and _JOINED is None:
        return None
    if backend_name() != "jax":
        raise ConfigError(f"training on several devices uses keras.distribution, which needs the JAX backend "
                          f"(this run uses {backend_name()}); set KERAS_BACKEND=jax or use devices=1")
    available = keras().distribution.list_devices()
    # Several processes joined to train one network: the devices are counted over all of them.
    wanted = len(available) if devices == 0 or (devices == 1 and _JOINED is not None) else devices
    if wanted > len(available):
        raise ConfigError(f"devices={devices} but only {len(available)} device(s) are visible: {', '.join(available)}")
    if wanted == 1:
        return None
    # Every process feeds its own slice of each batch (ShardedBatches): Keras must not shard it again.
    return keras().distribution.DataParallel(devices=available[:wanted], auto_shard_dataset=False)


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


def sharded_batches(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None, global_batch: int, shuffle: bool):
    """The training or validation data of a data-parallel fit as a Keras ``PyDataset`` (made on demand: Keras
    is imported lazily)."""
    from .._backend import keras

    class ShardedBatches(keras().utils.PyDataset):
        """Whole global batches, padded with zero-weight rows, reshuffled each epoch from NumPy's seeded
        stream (the same in every process); this process yields its slice of each."""

        def __init__(self):
            super().__init__()
            self.X, self.y, self.w = pad_to_batches(X, y, global_batch, weights)
            self.process, processes = process_rank()
            if global_batch % processes:
                raise ConfigError(f"a batch of {global_batch} cannot be split evenly over {processes} processes")
            self.local = global_batch // processes
            self.rng = np.random.default_rng(np.random.randint(2**31)) if shuffle else None
            self.order = np.arange(len(self.X))
            self.on_epoch_end()

        def __len__(self) -> int:
            return len(self.X) // global_batch

        def __getitem__(self, i: int):
            start = i * global_batch + self.process * self.local
            rows = self.order[start:start + self.local]
            return self.X[rows], self.y[rows], self.w[rows]

        def on_epoch_end(self) -> None:
            if self.rng is not None:
                self.order = self.rng.permutation(len(self.X))

    return ShardedBatches()


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
