"""Backend selection and seeding, kept in one place.

Keras reads ``KERAS_BACKEND`` once, at its first import. cnn1d defaults it to JAX (fastest import, lowest
memory, fast CPU inference on 2 cores) but never overrides a backend the user chose.
"""

from __future__ import annotations

import functools
import os
import random
from contextlib import contextmanager

DEFAULT_BACKEND = "jax"


def ensure_backend() -> None:
    """Set the default Keras backend unless the user already chose one."""
    os.environ.setdefault("KERAS_BACKEND", DEFAULT_BACKEND)
    # Keras writes ~/.keras/keras.json at its first import. A user without one gets none from cnn1d: a Keras
    # home that cannot be created makes Keras skip the write (it reads an existing file as before).
    if "KERAS_HOME" not in os.environ and not os.path.exists(os.path.join(os.path.expanduser("~"), ".keras", "keras.json")):
        os.environ["KERAS_HOME"] = os.path.join(os.devnull, "keras")
    # JAX grabs most of a GPU's memory up front; let it grow so several runs can share a device.
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    # TensorFlow's C++ logging floods the terminal at import; only errors are useful to users.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def keras():
    """Import Keras with the cnn1d default backend applied."""
    ensure_backend()
    import keras as _keras

    _tensorflow_only_if_imported()
    return _keras


def _tensorflow_only_if_imported() -> None:
    """Keras asks "is TensorFlow available?" while saving any model, to recognise TensorFlow objects, and the
    question imports TensorFlow whenever it is installed (+2-3 s and C++ log lines on every save, measured).
    On another backend, an object can only be a TensorFlow one once TensorFlow is imported, so the question
    becomes "is it imported?". Private API: where it has moved, Keras keeps its own behaviour."""
    if os.environ.get("KERAS_BACKEND") == "tensorflow":
        return
    try:
        from keras.src.utils import module_utils
    except ImportError:
        return
    lazy = getattr(module_utils, "tensorflow", None)
    if lazy is None or type(lazy) is not module_utils.LazyModule or lazy._available is not None:
        return

    class ImportedTensorFlow(module_utils.LazyModule):
        @property
        def available(self):
            import sys

            return "tensorflow" in sys.modules and super().available

    lazy.__class__ = ImportedTensorFlow


def backend_name() -> str:
    return keras().backend.backend()


def accelerator_present() -> bool:
    """Whether the active backend computes on a GPU/TPU rather than the CPU."""
    name = backend_name()
    if name == "jax":
        import jax

        return jax.default_backend() != "cpu"
    if name == "torch":
        import torch

        return torch.cuda.is_available()
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU"))


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the Keras backend.

    ``keras.utils.set_random_seed`` would do this but imports TensorFlow whenever it is installed
    (+0.5 GB and seconds of start-up), so the backend is seeded directly.
    """
    import numpy as np

    k = keras()
    random.seed(seed)
    np.random.seed(seed % (2**32))
    try:
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator

        global_state.set_global_attribute("global_random_seed", seed)
        global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
        # Keras draws every unseeded layer's seed from Python's global `random`, which other threads also draw
        # from (a Dask worker's event loop did, between the seeding and the build: the first ensemble on a fresh
        # cluster then differed from the local run). A private stream keeps a seeded run the same anywhere.
        if hasattr(seed_generator, "python_random"):
            seed_generator.python_random = random.Random(seed)
    except ImportError:  # private API moved: fall back to the public helper
        k.utils.set_random_seed(seed)
        return
    name = k.backend.backend()
    if name == "torch":
        import torch

        torch.manual_seed(seed)
    elif name == "tensorflow":
        import tensorflow as tf

        tf.random.set_seed(seed)


# XLA:CPU hands elementwise and reduction fusions to YNNPACK by default. In a TCN (layer normalisation after
# every convolution, residual adds) that made each weight gradient's transpose recompute the whole residual
# chain before it: the TCN trained at 0.52x the same network in PyTorch. With YNNPACK kept to the convolutions,
# 0.79x, and forecasting epochs 2.1x faster; FCN, ResNet and LITE are faster with the default (docs/benchmarks.md).
YNN_CONVOLUTIONS_ONLY = {"xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_INDIVIDUAL_CONVOLUTION"}


@functools.lru_cache(maxsize=None)
def _accepted(options: tuple) -> bool:
    """Whether this jaxlib compiles with ``options`` (an option a later jaxlib renames is refused at compile)."""
    import jax

    try:
        jax.jit(lambda x: x + 1, compiler_options=dict(options)).lower(1.0).compile()
    except Exception:  # noqa: BLE001 - any refusal means: compile as JAX would by default
        return False
    return True


@contextmanager
def xla_compiler_options(options: dict[str, str] | None):
    """Compile the Keras training, evaluation and prediction steps made inside this block with ``options``
    (JAX backend only; elsewhere, or where this jaxlib refuses them, a no-op). Keras has no public way to pass
    them, so its JAX trainer's ``jit`` is wrapped for the block: private API, checked before it is used."""
    if not options or os.environ.get("KERAS_BACKEND") != "jax" or not _accepted(tuple(sorted(options.items()))):
        yield
        return
    import jax

    try:
        from keras.src.backend.jax import trainer as jax_trainer
    except ImportError:
        jax_trainer = None
    if jax_trainer is None or getattr(jax_trainer, "jit", None) is not jax.jit:  # moved, or Flax NNX's jit
        yield
        return
    jax_trainer.jit = functools.partial(jax.jit, compiler_options=dict(options))
    try:
        yield
    finally:
        jax_trainer.jit = jax.jit
