"""Model zoo: ``list_models()``, ``get(name)``, ``build(name, input_shape, n_outputs, activation, **hparams)``."""

from .registry import ENSEMBLES, ModelSpec, build, closed_form, ensemble_params, get, list_models, register, resolve

__all__ = ["ENSEMBLES", "ModelSpec", "build", "closed_form", "ensemble_params", "get", "list_models", "register",
           "resolve"]
