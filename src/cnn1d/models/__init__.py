"""Model zoo: ``list_models()``, ``get(name)``, ``build(name, input_shape, n_outputs, activation, **hparams)``."""

from .registry import (ENSEMBLES, MIXED_ENSEMBLES, ModelSpec, build, closed_form, ensemble_params, get, list_models,
                       mixed_members, register, resolve)

__all__ = ["ENSEMBLES", "MIXED_ENSEMBLES", "ModelSpec", "build", "closed_form", "ensemble_params", "get", "list_models",
           "mixed_members", "register", "resolve"]
