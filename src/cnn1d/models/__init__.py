"""Model zoo: ``list_models()``, ``get(name)``, ``build(name, input_shape, n_outputs, activation, **hparams)``."""

from .registry import ENSEMBLES, LEADS, Lead, ModelSpec, build, get, lead_of, list_models, register, resolve

__all__ = ["ENSEMBLES", "LEADS", "Lead", "ModelSpec", "build", "get", "lead_of", "list_models", "register", "resolve"]
