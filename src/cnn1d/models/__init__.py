"""Model zoo: ``list_models()``, ``get(name)``, ``build(name, input_shape, n_outputs, activation, **hparams)``."""

from .registry import ModelSpec, build, get, list_models, register

__all__ = ["ModelSpec", "build", "get", "list_models", "register"]
