"""The model zoo's registry: every network family registers its variants here by name.

A builder only builds a graph: ``builder(input_shape, n_outputs, output_activation, **hparams)`` returns
an uncompiled ``keras.Model``. Training policy lives in :mod:`cnn1d.training`.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import ConfigError, did_you_mean

# Modules that register models when imported; kept lazy so `import cnn1d` does not import Keras.
_FAMILIES = ("seed", "cnn", "mlp", "fcn", "resnet", "inception", "lite", "rocket", "hydra", "tcn", "audio", "text", "text_lm")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    builder: Callable[..., Any]
    summary: str
    paper: str = ""
    variable_length: bool = True
    defaults: dict[str, Any] = field(default_factory=dict)
    modality: str = "series"
    # Builder arguments used instead of the defaults when the input is log-mel/MFCC frames, not samples.
    frame_params: dict[str, Any] = field(default_factory=dict)
    # Built to take audio samples: naming it alone means the raw waveform front end.
    raw_waveform: bool = False
    # Filters the waveform itself (a filterbank in Hz): over spectrogram frames it makes no sense.
    waveform_only: bool = False
    # What `cnn1d tune` may vary: builder argument -> a list of choices or {low, high, log?, step?}.
    # A family without one is never picked by a default search (it can still be named in a space file).
    search: dict[str, Any] = field(default_factory=dict)
    # Weights solved in closed form instead of by gradient descent: ``fit(network, X, y, validation=, config=,
    # activation=) -> TrainResult`` replaces the fit loop. Such builders take the run's ``seed`` and the training
    # series' ``length``.
    fit: Callable[..., Any] | None = None
    # XLA compiler options for this network's training and evaluation steps on the JAX backend (see
    # cnn1d._backend.xla_compiler_options): measured per network, because what speeds one up slows another.
    compiler_options: dict[str, str] = field(default_factory=dict)

    @property
    def hparams(self) -> dict[str, Any]:
        """Builder keyword arguments and their defaults."""
        params = {
            name: p.default
            for name, p in inspect.signature(self.builder).parameters.items()
            if p.kind == p.KEYWORD_ONLY
        }
        params.update(self.defaults)
        return params


_REGISTRY: dict[str, ModelSpec] = {}
DEFAULT_MEMBERS = 3

# Named ensembles: name -> (member model, default number of members, description).
ENSEMBLES: dict[str, tuple[str, int, str]] = {
    "inception_time": ("inception", 5, "InceptionTime: 5 Inception networks, probabilities averaged (Ismail Fawaz et al. 2020)"),
    "lite_time": ("lite", 5, "LITETime: 5 LITE networks, probabilities averaged (Ismail-Fawaz et al. 2023)"),
    # The default classifier, chosen on the development datasets: see docs/benchmarks.md.
    "default": ("minirocket", DEFAULT_MEMBERS, "the default classifier: 3 MiniRocket networks (PPV and MPV pooling, ridge head) averaged "
                "(evidence in docs/benchmarks.md)"),
}
# Builder arguments a named ensemble gives its members (a user's model_params override them).
_ENSEMBLE_PARAMS: dict[str, dict[str, Any]] = {"default": {"pooling": ["ppv", "mpv"]}}
DEFAULT_CLASSIFIER = "default"
# Ensembles of different networks: name -> ((member model, its builder arguments), ...), description. Each
# member trains on its own terms (a closed-form one on every training series, a trained one with its validation
# split for early stopping) over the same inputs, and the output is the geometric mean of their probabilities
# (a product of experts: a confident member does not drown out the other as in an average). Evidence in
# docs/audio.md.
MIXED_ENSEMBLES: dict[str, tuple[tuple[tuple[str, dict[str, Any]], ...], str]] = {
    "minirocket_m5": ((("minirocket", {"pooling": ["ppv", "mpv"]}), ("m5", {})),
                      "MiniRocket (PPV and MPV) and M5, probabilities combined by their geometric mean; for audio "
                      "over log-mel frames, a few tenths of a point above MiniRocket alone at several times its "
                      "training time (docs/audio.md)"),
}


_loaded = False


def register(name: str, *, summary: str, paper: str = "", variable_length: bool = True, modality: str = "series",
             frame_params: dict[str, Any] | None = None, raw_waveform: bool = False, waveform_only: bool = False,
             search: dict[str, Any] | None = None, fit: Callable[..., Any] | None = None,
             compiler_options: dict[str, str] | None = None, **defaults: Any):
    """Decorator: make a builder creatable by ``name``."""

    def wrap(builder: Callable[..., Any]) -> Callable[..., Any]:
        _REGISTRY[name] = ModelSpec(name, builder, summary, paper, variable_length, defaults, modality,
                                    dict(frame_params or {}), raw_waveform or waveform_only, waveform_only,
                                    dict(search or {}), fit, dict(compiler_options or {}))
        return builder

    return wrap


def _load_families() -> None:
    global _loaded
    if not _loaded:
        for family in _FAMILIES:
            importlib.import_module(f"cnn1d.models.{family}")
        _loaded = True


def list_models() -> list[ModelSpec]:
    _load_families()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


# Regression has no benchmark evidence yet: its default stays the single FCN.
DEFAULT_REGRESSOR = ("fcn", 1)
# Multi-label tagging needs sigmoid outputs, which a ridge head does not give: 5 LITE networks (the previous default).
DEFAULT_TAGGER = ("lite", 5)


def resolve(name: str, ensemble: int = 1, task: str = "classify") -> tuple[str, int]:
    """Map a model or named-ensemble name to (member model, number of members).

    ``ensemble`` > 1 overrides the member count of a named ensemble and turns any model into one.
    """
    if name == DEFAULT_CLASSIFIER and task != "classify":
        member, count = DEFAULT_TAGGER if task == "tag" else DEFAULT_REGRESSOR
        return member, ensemble if ensemble > 1 else count
    if name in MIXED_ENSEMBLES:
        members = mixed_members(name, ensemble, task)
        trained = [m for m, _ in members if get(m).fit is None]
        return (trained or [members[0][0]])[-1], 1  # what gradient settings apply to: its trained member
    if name in ENSEMBLES:
        member, default_count, _ = ENSEMBLES[name]
        return member, ensemble if ensemble > 1 else default_count
    get(name)
    return name, ensemble


def mixed_members(name: str, ensemble: int = 1, task: str = "classify") -> tuple[tuple[str, dict[str, Any]], ...]:
    """The members of the mixed ensemble ``name`` as (model, builder arguments) pairs, after checking that they
    can serve ``task`` and that no member count was asked for."""
    members, _ = MIXED_ENSEMBLES[name]
    if ensemble > 1:
        raise ConfigError(f"{name!r} is a fixed pair of networks; --ensemble {ensemble} applies to single networks "
                          f"and to {', '.join(sorted(ENSEMBLES))}")
    if task != "classify":
        raise ConfigError(f"{name!r} combines class probabilities; for {task} choose one of its networks "
                          f"({', '.join(m for m, _ in members)})")
    return members


def closed_form(name: str, ensemble: int = 1, task: str = "classify") -> bool:
    """Whether ``name`` (a model or named ensemble, for ``task``) is fitted in closed form (minirocket's ridge
    head), so that gradient-descent settings mean nothing to it."""
    return get(resolve(name, ensemble, task)[0]).fit is not None


def ensemble_params(name: str, task: str = "classify") -> dict[str, Any]:
    """The builder arguments the named ensemble ``name`` gives its members for ``task`` (a mixed ensemble gives
    each member its own: :func:`mixed_members`)."""
    if name in MIXED_ENSEMBLES:
        return {}
    return dict(_ENSEMBLE_PARAMS.get(name, {})) if resolve(name, 1, task)[0] == resolve(name)[0] else {}


def get(name: str) -> ModelSpec:
    _load_families()
    try:
        return _REGISTRY[name]
    except KeyError:
        if name in ENSEMBLES or name in MIXED_ENSEMBLES:  # asked for where one network is built (text, forecasts)
            networks = (ENSEMBLES[name][0] if name in ENSEMBLES else
                        " and ".join(m for m, _ in MIXED_ENSEMBLES[name][0]))
            raise ConfigError(f"{name!r} is an ensemble of {networks} networks for series and audio, not one "
                              f"network; here choose one of: {', '.join(sorted(_REGISTRY))}") from None
        known = sorted(_REGISTRY) + sorted(ENSEMBLES) + sorted(MIXED_ENSEMBLES)
        raise ConfigError(f"unknown model {name!r}{did_you_mean(name, known)}; available: {', '.join(known)}") from None


_KINDS = {"bool": "true or false", "int": "a whole number", "float": "a number", "str": "a string"}


def _is_kind(value: Any, kind: str | None) -> bool:
    import numbers

    if kind is None:
        return True
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    return isinstance(value, str)


def _check_type(model: str, key: str, value: Any, spec: ModelSpec) -> None:
    """A parameter given as a kind of value its builder's annotation does not take ({"filters": 3} where fcn
    takes one per block, "ppv" where a list of poolings is taken) is refused naming what it takes and its
    default, not left to fail deep inside a Keras layer ("'int' object is not iterable")."""
    import json

    parameter = inspect.signature(spec.builder).parameters.get(key)
    if parameter is None or not isinstance(parameter.annotation, str):
        return
    parts = {part.strip() for part in parameter.annotation.split("|")}
    if value is None and "None" in parts:
        return
    scalars = [kind for kind in _KINDS if kind in parts]
    default = spec.hparams.get(key)
    if isinstance(default, (tuple, list)) and default:
        item = type(default[0]).__name__ if all(type(d) is type(default[0]) for d in default) else None
    else:
        item = scalars[0] if scalars else None
    sequence = bool(parts & {"tuple", "list"})
    if sequence and hasattr(value, "shape"):  # an array built by the library (pretrained vectors)
        return
    if sequence and isinstance(value, (tuple, list)) and value and all(_is_kind(v, item) for v in value):
        return
    if any(_is_kind(value, kind) for kind in scalars):
        return
    wanted = [_KINDS[kind] for kind in scalars]
    if sequence:
        wanted.append(f"a list of {_KINDS[item].split(' ', 1)[1]}s" if item in ("int", "float", "str") else "a list")
    shown = json.dumps(list(default) if isinstance(default, tuple) else default, default=str)
    raise ConfigError(f"model {model!r}: {key} takes {' or '.join(wanted)} (its default: {shown}); "
                      f"got {json.dumps(value, default=str)}")


def compiler_options(model_name: str) -> dict[str, str]:
    """The registered network ``model_name``'s XLA compiler options; none for a name the zoo does not know."""
    _load_families()
    spec = _REGISTRY.get(model_name)
    return dict(spec.compiler_options) if spec is not None else {}


def build(name: str, input_shape: tuple, n_outputs: int, output_activation: str, **hparams: Any):
    """Build the registered model ``name`` for inputs ``(steps or None, channels)``."""
    spec = get(name)
    allowed = spec.hparams
    unknown = sorted(set(hparams) - set(allowed))
    if unknown:
        raise ConfigError(
            f"model {name!r} has no parameter(s) {', '.join(unknown)}{did_you_mean(unknown[0], allowed)}; its parameters: "
            f"{', '.join(sorted(allowed)) or 'none'}"
        )
    for key, value in hparams.items():
        _check_type(name, key, value, spec)
    params = {**spec.defaults, **hparams}
    try:
        return spec.builder(input_shape, n_outputs, output_activation, **params)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"cannot build model {name!r} with {params}: {exc}") from None
