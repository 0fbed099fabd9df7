"""RunConfig: the one object that describes a run.

The CLI builds it from flags (or ``--config FILE``), the estimators build it from their keyword
arguments, and a saved bundle stores it, so a run can always be repeated from what it saved.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, did_you_mean

TASKS = ("classify", "regress", "forecast", "lm", "tag")
CHANNELS = ("mono", "keep")
SCALINGS = ("series", "global", "none")
IMPUTATIONS = ("linear", "mean", "zero")
MASK_CHANNEL = ("auto", "yes", "no")
FRONT_ENDS = ("raw", "log_mel", "mfcc")
TOKENS = ("word", "char", "subword")
LAYOUTS = ("wide", "long")
# Where a run is written and how loudly: never part of what a saved config replays.
NOT_REPLAYED = ("out", "verbose", "executor", "coordinator", "num_processes", "process_id")


@dataclass
class RunConfig:
    """Everything that decides what a run does: the task, the data, and the estimator's settings.

    Every setting defaults to ``None``, which means "the default of the estimator that does this task"
    (declared once, in that estimator's ``__init__``). A value that is set is passed on, or refused with
    a one-line error when the task has no use for it (see :mod:`cnn1d.workflows`). A setting equal to a
    default is therefore never mistaken for an unset one.

    Run: ``task`` (``classify``, ``regress``, ``tag``, ``forecast`` or ``lm``; ``None``: from the data),
    ``data``, ``test``, ``out``, ``seed``, ``verbose``.

    Data layout: ``label_column``, ``text_column``, ``group_column`` (text: keep each group on one side of
    the test split), ``header`` (CSV: ``True``/``False``; ``None`` decides from the file), ``layout``
    (CSV: ``wide`` or ``long``), ``id_column`` (a long CSV's series id), ``target``, ``time_column``,
    ``covariates``, ``folds``, ``freq`` (resample to this pandas frequency) and ``aggregate`` (``mean``/``sum``/
    ``last``: how rows sharing a timestamp combine) and ``calendar`` (``grid`` or ``observations``) (forecasting).

    Estimator settings (what each means is documented on the estimators): ``model``, ``model_params``,
    ``epochs``, ``batch_size``, ``learning_rate``, ``validation_fraction``, ``patience``, ``lr_patience``,
    ``min_learning_rate``, ``max_time``, ``class_weight``, ``calibrate``, ``scaling``, ``imputation``, ``mask_channel``,
    ``ensemble``, ``n_jobs``, ``executor`` (``local`` or a Dask scheduler address: where ensemble members
    train; never recorded, so a config replays anywhere), ``devices``, ``coordinator``/``num_processes``/
    ``process_id`` (one data-parallel network over several processes or hosts; never recorded), ``augment``; audio: ``front_end``, ``sample_rate``, ``channels``,
    ``duration``; forecasting: ``horizon``, ``lookback``, ``season``, ``level``, ``calendar_features``; text
    and language models: ``tokens``, ``max_tokens``, ``sequence_length``, ``embeddings``, ``linear_ngrams``
    (text), ``context``.
    """

    task: str | None = None
    data: str | None = None
    test: str | None = None
    out: str | None = None
    seed: int | None = None
    verbose: int | None = None
    # data layout
    label_column: str | None = None
    text_column: str | None = None
    group_column: str | None = None
    header: bool | None = None
    layout: str | None = None
    id_column: str | None = None
    target: str | None = None
    time_column: str | None = None
    covariates: list[str] | None = None
    folds: int | None = None
    freq: str | None = None
    aggregate: str | None = None
    calendar: str | None = None
    # estimator settings
    model: str | None = None
    model_params: dict[str, Any] | None = None
    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    validation_fraction: float | None = None
    patience: int | None = None
    lr_patience: int | None = None
    min_learning_rate: float | None = None
    max_time: float | None = None
    class_weight: str | None = None
    calibrate: bool | None = None
    scaling: str | None = None
    imputation: str | None = None
    mask_channel: str | None = None
    ensemble: int | None = None
    n_jobs: int | None = None
    executor: str | None = None
    devices: int | None = None
    coordinator: str | None = None
    num_processes: int | None = None
    process_id: int | None = None
    augment: int | None = None
    front_end: str | None = None
    sample_rate: int | None = None
    channels: str | None = None
    duration: float | None = None
    horizon: int | None = None
    lookback: int | None = None
    season: int | None = None
    level: float | None = None
    calendar_features: bool | None = None
    tokens: str | None = None
    max_tokens: int | None = None
    sequence_length: int | None = None
    embeddings: str | None = None
    linear_ngrams: bool | None = None
    context: int | None = None

    def __post_init__(self) -> None:
        self.validate()

    def set_fields(self) -> dict[str, Any]:
        """The settings that were given (not ``None``)."""
        return {k: v for k, v in self.to_dict().items() if v is not None}

    def validate(self) -> None:
        def choice(name: str, allowed) -> None:
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise ConfigError(f"{name}={value!r} is not valid{did_you_mean(value, allowed)}; choose one of: "
                                  f"{', '.join(map(str, allowed))}")

        def integer(name: str, low: int, what: str) -> None:
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < low):
                raise ConfigError(f"{name} must be {what}, got {value!r}")

        def number(name: str, ok, what: str) -> None:
            value = getattr(self, name)
            if value is None:
                return
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not ok(value):
                raise ConfigError(f"{name} must be {what}, got {value!r}")

        choice("task", TASKS)
        choice("scaling", SCALINGS)
        choice("imputation", IMPUTATIONS)
        choice("mask_channel", MASK_CHANNEL)
        choice("channels", CHANNELS)
        choice("front_end", FRONT_ENDS)
        choice("tokens", TOKENS)
        choice("layout", LAYOUTS)
        choice("aggregate", ("mean", "sum", "last"))
        choice("calendar", ("grid", "observations"))
        choice("class_weight", ("balanced",))
        for name in ("epochs", "batch_size", "patience", "lr_patience", "ensemble", "n_jobs", "horizon", "season",
                     "sample_rate", "max_tokens", "folds", "context"):
            integer(name, 1, "a positive integer")
        integer("lookback", 2, "an integer of at least 2")
        integer("sequence_length", 1, "a positive integer")
        integer("seed", 0, "a non-negative integer")
        integer("augment", 0, "0 or a positive integer")
        integer("devices", 0, "0 (all) or a positive integer")
        integer("num_processes", 1, "a positive integer")
        integer("process_id", 0, "a non-negative integer")
        processes = (self.coordinator, self.num_processes, self.process_id)
        if any(v is not None for v in processes):
            if any(v is None for v in processes):
                raise ConfigError("multi-process training needs all of --coordinator HOST:PORT, --num-processes N and "
                                  "--process-id I (0 for the process that hosts the coordinator)")
            host, _, port = str(self.coordinator).rpartition(":")
            if not host or not port.isdigit():
                raise ConfigError(f"coordinator must be HOST:PORT (process 0's address), got {self.coordinator!r}")
            if self.process_id >= self.num_processes:
                raise ConfigError(f"process_id {self.process_id} is not below num_processes {self.num_processes}")
        integer("verbose", 0, "0 (silent) or 1 (progress bar)")
        number("validation_fraction", lambda v: 0.0 <= v < 1.0, "in [0, 1)")
        number("max_time", lambda v: v > 0, "a positive number of seconds")
        number("duration", lambda v: v > 0, "a positive number of seconds")
        number("learning_rate", lambda v: v > 0, "positive")
        number("min_learning_rate", lambda v: v > 0, "positive")
        number("level", lambda v: 0 < v < 1, "between 0 and 1")
        if self.executor is not None:
            from .training.executor import check

            check(self.executor)
        if self.model_params is not None and not isinstance(self.model_params, dict):
            raise ConfigError("model_params must be a mapping of builder keyword arguments")
        for name in ("header", "calendar_features", "calibrate", "linear_ngrams"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if self.covariates is not None and (isinstance(self.covariates, str) or
                                            not all(isinstance(c, str) for c in self.covariates)):
            raise ConfigError("covariates must be a list of column names")

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RunConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            guesses = [key + did_you_mean(key, known) for key in unknown]
            raise ConfigError(f"unknown config keys: {', '.join(guesses)}; known keys: {', '.join(sorted(known))}")
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def to_toml(self) -> str:
        lines, tables = [], []
        for key, value in self.set_fields().items():
            if isinstance(value, dict):
                if value:
                    tables.append((key, value))
            elif value is not None:
                lines.append(f"{key} = {_toml_value(value)}")
        for name, table in tables:
            lines.append(f"\n[{name}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in table.items() if v is not None)
        return "\n".join(lines) + "\n"

    @classmethod
    def from_file(cls, path: str | Path) -> "RunConfig":
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix.lower() == ".toml":
                import tomllib

                values = tomllib.loads(text)
            else:
                values = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"config file {path} is not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {exc}") from None
        if not isinstance(values, dict):
            raise ConfigError(f"config file {path} must hold a table of settings")
        return cls.from_dict(values)

    def replace(self, **changes: Any) -> "RunConfig":
        return dataclasses.replace(self, **changes)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


# -- from a config to an estimator, and back ---------------------------------------------------------
# Settings that say what data to read and how (the workflow uses them); the rest are estimator parameters.
DATA_FIELDS = ("task", "data", "test", "label_column", "text_column", "group_column", "header", "layout",
               "id_column", "target", "time_column", "covariates", "folds", "freq", "aggregate", "calendar")


def flag(name: str) -> str:
    """The ``cnn1d train`` flag of a config field."""
    return "--" + name.replace("_", "-")


def estimator_parameters(cls) -> list[str]:
    """The parameters an estimator class declares in its ``__init__`` (scikit-learn's convention)."""
    import inspect

    return [n for n, p in inspect.signature(cls.__init__).parameters.items()
            if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def estimator_kwargs(cls, config: RunConfig, *, what: str, strict: bool = True) -> dict[str, Any]:
    """The set estimator settings of ``config`` as keyword arguments for ``cls``.

    ``strict``: a set setting that ``cls`` has no parameter for is refused (a flag never does nothing
    silently); otherwise it is skipped (loading a bundle whose config holds other tasks' settings).
    """
    accepted = set(estimator_parameters(cls))
    kwargs, refused = {}, []
    for name, value in config.set_fields().items():
        if name in DATA_FIELDS:
            continue
        if name in accepted:
            kwargs[name] = value
        elif strict:
            refused.append(name)
    if refused:
        names = ", ".join(flag(n) for n in refused)
        raise ConfigError(f"{names} {'does' if len(refused) == 1 else 'do'} not apply to {what}; remove "
                          f"{'it' if len(refused) == 1 else 'them'} (`cnn1d train --help` says which flags each task takes)")
    return kwargs


def config_of(estimator, task: str) -> RunConfig:
    """An estimator's parameters as a RunConfig (what its bundle records and `--config` replays)."""
    known = {f.name for f in dataclasses.fields(RunConfig)}
    params = {k: v for k, v in estimator.get_params(deep=False).items() if k in known and v is not None}
    if "model_params" in params:
        params["model_params"] = dict(params["model_params"])
    return RunConfig(task=task, **params)
