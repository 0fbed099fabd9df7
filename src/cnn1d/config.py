"""RunConfig: the one object that describes a run.

The CLI builds it from flags (or ``--config FILE``), the estimators build it from their keyword
arguments, and a saved bundle stores it, so a run can always be repeated from what it saved.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

TASKS = ("classify", "regress", "forecast", "lm", "tag")
CHANNELS = ("mono", "keep")
SCALINGS = ("series", "global", "none")
IMPUTATIONS = ("linear", "mean", "zero")
MASK_CHANNEL = ("auto", "yes", "no")


@dataclass
class RunConfig:
    """Everything that decides what a training run does.

    Args:
        task: ``classify``, ``regress``, ``tag`` (multi-label: sigmoid outputs, per-tag thresholds),
            ``forecast`` or ``lm``.
        data: dataset name or path used for training (informational for the Python API).
        test: path of a separate test set, if any.
        model: registered model or named ensemble (``cnn1d models`` lists them); ``default`` is the
            evidence-based default (see docs/benchmarks.md).
        model_params: keyword arguments for the model builder (e.g. ``{"filters": 64}``).
        epochs: upper bound on training epochs.
        batch_size: mini-batch size; ``None`` picks ``min(32, max(4, n_train // 10))``.
        learning_rate: initial Adam learning rate.
        validation_fraction: share of the training set held out (stratified for classification) to
            choose the epoch; 0 disables the split and monitors the training loss instead. ``None``
            (default) holds out 20% only when that gives at least 50 series: smaller validation sets
            pick the wrong epoch (on ArrowHead, ECG200 and ItalyPowerDemand they stopped FCN at epochs
            8-129 and cost 1-15 accuracy points against monitoring the training loss).
        patience: epochs without validation improvement before early stopping (restores best weights).
        lr_patience: epochs without improvement before the learning rate is halved.
        min_learning_rate: floor of the learning-rate schedule.
        max_time: wall-clock budget for training in seconds (``None``: no budget).
        class_weight: ``None`` or ``"balanced"``.
        scaling: ``global`` (default: per-channel mean and standard deviation of the training set),
            ``series`` (z-normalise each series and channel) or ``none``. Per-series z-normalisation
            throws away each series' level and amplitude: on JapaneseVowels it cost FCN 17 accuracy
            points (0.81 against 0.99); UCR data ships z-normalised, so ``global`` changes nothing there.
        imputation: how missing values inside a series are filled: ``linear``, ``mean`` or ``zero``.
        mask_channel: add a channel that is 1 where a value was observed and 0 where it was missing or
            padded: ``auto`` (only when the data has gaps or unequal lengths), ``yes`` or ``no``.
        seed: makes a run repeatable on the same machine and backend.
        out: run directory (checkpoints, bundle, metrics); nothing is written outside it.
        verbose: 0 silent, 1 progress bar.
        ensemble: number of networks (differing by seed) whose probabilities are averaged; the named
            ensembles ``inception_time`` and ``lite_time`` default to 5.
        n_jobs: worker processes for ensemble members (``None``: one per core, at most one per member, and
            one on a GPU/TPU, where members take turns on the device).
        target, time_column, id_column: forecasting: the column(s) to forecast, the timestamp column and
            the series-id column of a long CSV.
        horizon, lookback, season, level: forecasting: steps ahead, steps seen, seasonal period m and
            prediction-interval level.
        front_end: audio: ``raw`` (the waveform itself), ``log_mel`` (log-mel spectrogram sequences) or
            ``mfcc`` (13 MFCCs per frame), computed from the raw input at fit and predict time.
        sample_rate: audio: the sample rate the front end expects (default 8000).
        channels: audio: ``mono`` (default) mixes every clip to one channel; ``keep`` keeps stereo or
            multichannel recordings (all clips must share the channel count; others are skipped and reported).
        devices: train each network data-parallel over this many accelerators (or CPU devices) with
            ``keras.distribution.DataParallel`` (JAX backend); 0 uses every device; 1 (default) one.
        duration: audio: crop clips to their first ``duration`` seconds and pad shorter ones (with a mask
            channel marking the padding), so the network sees a fixed length; ``None`` keeps every clip's
            own length.
        augment: add this many randomly perturbed copies (speed, shift, gain, noise) of every training
            series; 0 (default) adds none.
    """

    task: str = "classify"
    data: str | None = None
    test: str | None = None
    model: str = "default"
    model_params: dict[str, Any] = field(default_factory=dict)
    epochs: int = 300
    batch_size: int | None = None
    learning_rate: float = 1e-3
    validation_fraction: float | None = None
    patience: int = 50
    lr_patience: int = 20
    min_learning_rate: float = 1e-4
    max_time: float | None = None
    class_weight: str | None = None
    scaling: str = "global"
    imputation: str = "linear"
    mask_channel: str = "auto"
    seed: int | None = None
    out: str | None = None
    verbose: int = 0
    ensemble: int = 1
    n_jobs: int | None = None
    target: str | None = None
    time_column: str | None = None
    id_column: str | None = None
    horizon: int = 12
    lookback: int | None = None
    season: int | None = None
    level: float = 0.9
    front_end: str = "raw"
    sample_rate: int = 8000
    augment: int = 0
    channels: str = "mono"
    duration: float | None = None
    devices: int = 1

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        def choice(name: str, allowed) -> None:
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"{name}={value!r} is not valid; choose one of: {', '.join(map(str, allowed))}")

        choice("task", TASKS)
        choice("scaling", SCALINGS)
        choice("imputation", IMPUTATIONS)
        choice("mask_channel", MASK_CHANNEL)
        if self.class_weight not in (None, "balanced"):
            raise ConfigError(f"class_weight={self.class_weight!r} is not valid; use None or 'balanced'")
        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise ConfigError(f"epochs must be a positive integer, got {self.epochs!r}")
        if self.batch_size is not None and (not isinstance(self.batch_size, int) or self.batch_size < 1):
            raise ConfigError(f"batch_size must be a positive integer or None, got {self.batch_size!r}")
        if self.validation_fraction is not None and not (0.0 <= float(self.validation_fraction) < 1.0):
            raise ConfigError(f"validation_fraction must be in [0, 1), got {self.validation_fraction!r}")
        if self.max_time is not None and (not math.isfinite(self.max_time) or self.max_time <= 0):
            raise ConfigError(f"max_time must be a positive number of seconds, got {self.max_time!r}")
        if not (self.learning_rate > 0):
            raise ConfigError(f"learning_rate must be positive, got {self.learning_rate!r}")
        for name in ("patience", "lr_patience"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)!r}")
        if self.seed is not None and (not isinstance(self.seed, int) or self.seed < 0):
            raise ConfigError(f"seed must be a non-negative integer, got {self.seed!r}")
        if not isinstance(self.ensemble, int) or self.ensemble < 1:
            raise ConfigError(f"ensemble must be a positive integer, got {self.ensemble!r}")
        if self.n_jobs is not None and (not isinstance(self.n_jobs, int) or self.n_jobs < 1):
            raise ConfigError(f"n_jobs must be a positive integer or None, got {self.n_jobs!r}")
        if not isinstance(self.horizon, int) or self.horizon < 1:
            raise ConfigError(f"horizon must be a positive integer, got {self.horizon!r}")
        if self.lookback is not None and (not isinstance(self.lookback, int) or self.lookback < 2):
            raise ConfigError(f"lookback must be an integer of at least 2, got {self.lookback!r}")
        if self.season is not None and (not isinstance(self.season, int) or self.season < 1):
            raise ConfigError(f"season must be a positive integer, got {self.season!r}")
        if not (0 < self.level < 1):
            raise ConfigError(f"level must be between 0 and 1, got {self.level!r}")
        if self.front_end not in ("raw", "log_mel", "mfcc"):
            raise ConfigError(f"front_end={self.front_end!r} is not valid; choose raw, log_mel or mfcc")
        choice("channels", CHANNELS)
        if not isinstance(self.devices, int) or self.devices < 0:
            raise ConfigError(f"devices must be 0 (all) or a positive integer, got {self.devices!r}")
        if self.duration is not None and (not math.isfinite(self.duration) or self.duration <= 0):
            raise ConfigError(f"duration must be a positive number of seconds, got {self.duration!r}")
        if not isinstance(self.sample_rate, int) or self.sample_rate < 1:
            raise ConfigError(f"sample_rate must be a positive integer (Hz), got {self.sample_rate!r}")
        if not isinstance(self.model_params, dict):
            raise ConfigError("model_params must be a mapping of builder keyword arguments")

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RunConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown config keys: {', '.join(unknown)}; known keys: {', '.join(sorted(known))}")
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def to_toml(self) -> str:
        lines, tables = [], []
        for key, value in self.to_dict().items():
            if isinstance(value, dict):
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
