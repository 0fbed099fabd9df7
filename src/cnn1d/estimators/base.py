"""The scikit-learn-style estimator base shared by CNNClassifier and CNNRegressor.

``__init__`` only stores its arguments (each is also a field of :class:`~cnn1d.config.RunConfig`), so
estimators clone, grid-search and sit in Pipelines; ``fit`` validates, splits, preprocesses, builds the
network from the registry and hands training to :mod:`cnn1d.training.trainer`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ..config import RunConfig
from ..data.dataset import Dataset
from ..errors import ConfigError, DataError
from .bundled import FittedStateMixin

# validation_fraction=None: hold out 20% only when that is at least 50 series (see RunConfig).
AUTO_VALIDATION_FRACTION = 0.2
MIN_AUTO_VALIDATION = 50
PREDICT_BATCH = 256


def validation_count(n: int, fraction: float | None) -> int:
    """How many of ``n`` training series the validation split holds (0: none). ``None`` holds out
    AUTO_VALIDATION_FRACTION where that is at least MIN_AUTO_VALIDATION series; a fraction the user gave that holds
    out none or leaves fewer than 2 to train on is refused (it was silently not made)."""
    given = fraction is not None
    if not given:
        fraction = AUTO_VALIDATION_FRACTION if n * AUTO_VALIDATION_FRACTION >= MIN_AUTO_VALIDATION else 0.0
    if not fraction:
        return 0
    n_val = int(round(n * fraction))
    if n_val >= 1 and n - n_val >= 2:
        return n_val
    if not given:
        return 0
    keep = f"at least {np.ceil(1000 / n) / 1000:g}" if n_val < 1 else f"at most {np.floor((n - 2) / n * 1000) / 1000:g}"
    raise ConfigError(f"validation_fraction (--validation-fraction) {fraction:g} of {n} training examples holds out "
                      f"{n_val} and trains on {n - n_val}; give {keep} (or 0 for no validation split)")


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside this package (the user's call)."""
    import sys
    from pathlib import Path

    package = str(Path(__file__).resolve().parents[1])
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def as_dataset(X: Any, y: Any = None, where: str = "X", value_columns: list[str] | None = None) -> Dataset:
    """Accept a Dataset, an ``(n, steps[, channels])`` array, or a list of variable-length series.

    ``y`` may also be lists of tags per series (multi-label), binarised here with the tags as class names.
    """
    from dataclasses import replace

    from ..data.labels import is_tag_lists, tags_to_matrix

    if y is not None and is_tag_lists(y):
        matrix, names = tags_to_matrix(y, where="y")
        return replace(as_dataset(X, matrix, where), class_names=names)
    if isinstance(X, Dataset):
        if y is not None:
            return Dataset.from_array(X, y)
        return X
    if X is None:
        raise DataError(f"{where}: no data given")
    if hasattr(X, "toarray") or "sparse" in type(X).__name__.lower():
        raise DataError(f"{where}: sparse input is not supported; pass a dense array (X.toarray())")
    names = None
    if hasattr(X, "to_numpy"):  # pandas DataFrame: one row per series
        names = _column_names(X)
        if names and y is not None:
            _refuse_target_in_X(X, y, where)
        from ..data.readers import channel_columns

        channels = channel_columns([str(n) for n in (value_columns or names)]) if names else None
        if channels is not None:  # x_0..x_49, y_0..y_49: two channels, as cnn1d.read takes such a table
            X, names = _by_channels(X, channels, where)
        elif names and value_columns:
            X, names = _by_trained_names(X, value_columns, where)
        X = X.to_numpy() if hasattr(X, "to_numpy") else X
    if getattr(X, "dtype", None) is not None and np.dtype(X.dtype).kind == "c" or (
            isinstance(X, (list, tuple)) and any(isinstance(v, complex) for v in np.ravel(np.asarray(X, dtype=object)))):
        raise DataError(f"{where}: Complex data not supported; pass real values (e.g. np.abs(X) or X.real)")
    shape = np.shape(X) if isinstance(X, np.ndarray) else None
    if shape is not None and X.ndim == 1:
        raise DataError(f"{where}: got a 1-D array of {shape[0]} values. Reshape your data: X.reshape(1, -1) for one "
                        "series, X.reshape(-1, 1) for many series of one step")
    if shape is not None and X.ndim >= 2 and shape[1] == 0:
        raise DataError(f"{where}: 0 feature(s) (shape={shape}) while a minimum of 1 is required.")
    ds = Dataset.from_array(X, source=where)
    if names:
        ds.meta["value_columns"] = names
    if y is not None:
        y = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
        if len(y) != len(ds):
            raise DataError(f"{where} has {len(ds)} series but y has {len(y)} labels")
        ds.y = y
    return ds


def _refuse_target_in_X(X, y, where: str) -> None:
    """A DataFrame holding the target as one of its columns (``fit(df, df["label"])``): the model would read the
    answer as a time step and score perfectly, with exit 0."""
    name = getattr(y, "name", None)
    target = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    for column in X.columns:
        same = column == name
        if not same and target.ndim == 1 and len(target) == len(X) and np.issubdtype(target.dtype, np.number):
            values = X[column].to_numpy()
            same = np.issubdtype(values.dtype, np.number) and bool(np.array_equal(values, target))
        if same:
            raise DataError(f"{where}: column {str(column)!r} holds the target y; drop it from X "
                            f"(X.drop(columns={str(column)!r})), or the model reads the answer as a time step")


def _column_names(X) -> list[str] | None:
    """A DataFrame's step names, where it names its columns (not pandas' default 0, 1, 2, ...)."""
    columns = list(getattr(X, "columns", []))
    return [str(c) for c in columns] if columns and all(isinstance(c, str) for c in columns) else None


def _by_channels(X, channels: dict[str, list[str]], where: str):
    """``((n, steps, channels) array, column names in channel order)`` of a DataFrame whose columns name a channel
    and a step; every column of every channel is needed and no other (as scikit-learn refuses unknown columns)."""
    wanted = [c for columns in channels.values() for c in columns]
    missing = [c for c in wanted if c not in X.columns]
    extra = [str(c) for c in X.columns if c not in set(wanted)]
    if missing or extra:
        said = [f"lacks {', '.join(map(repr, missing[:5]))}" if missing else "",
                f"has column(s) the model was not trained on: {', '.join(map(repr, extra[:5]))}" if extra else ""]
        raise DataError(f"{where} {' and '.join(p for p in said if p)}; the channels are "
                        f"{', '.join(f'{cols[0]}..{cols[-1]}' for cols in channels.values())}")
    values = np.stack([X[columns].to_numpy(dtype=np.float32) for columns in channels.values()], axis=-1)
    return values, wanted


def _by_trained_names(X, value_columns: list[str], where: str):
    """(X's columns in the trained order, their names): as a table file is read (data.readers.trained_columns),
    but a column the model was not trained on is refused, not ignored, as scikit-learn refuses it."""
    from ..data.readers import trained_columns

    X, unknown = trained_columns(X, list(value_columns), where)
    if unknown:
        raise DataError(f"{where} has {len(unknown)} column(s) the model was not trained on: "
                        f"{', '.join(map(repr, unknown[:10]))}; drop them (X.drop(columns=[...]))")
    return X, [str(c) for c in X.columns]


# A trained member of a mixed ensemble that the budget stops sooner is left out (its near-uniform or erratic
# probabilities would drag the product of the members' probabilities down).
MIN_MIXED_EPOCHS = 10


class CNNEstimator(FittedStateMixin, BaseEstimator):
    """The parameters shared by :class:`~cnn1d.CNNClassifier` and :class:`~cnn1d.CNNRegressor`.

    Args:
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
        executor: where ensemble members train: ``local`` (``None``: worker processes here) or the address of
            a Dask scheduler (``tcp://HOST:PORT``; ``pip install "cnn1d[cluster]"``), whose workers then train them.
        coordinator, num_processes, process_id: train over the devices of several processes (hosts): every
            process runs the same fit with its own ``process_id``; process 0 hosts the coordinator at
            ``coordinator`` (HOST:PORT) and is the only one that writes ``out``. ``devices`` then counts the
            devices of all processes (default: all of them). Needs ``seed`` (every process builds the same network).
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
        augment: add this many randomly perturbed copies of every training series; 0 (default) adds none.
            Series and raw audio: speed, shift, gain and noise. Log-mel/MFCC audio: a warped filterbank
            (+/-10%, another vocal tract length) and stretched frames (+/-15%, another speaking rate).
        calibrate: classifiers: fit temperature scaling (Guo et al. 2017) on the validation split after training,
            so that predicted probabilities match observed accuracy; the temperature is kept in the bundle. It
            needs a validation split of at least 50 series: on smaller ones the fitted temperature overfits
            (measured: 4-8 all-correct validation series sharpen to T = 0.07-0.08 and raise test log-loss,
            benchmarks/results/calibration), so the probabilities are then left as trained and
            ``calibration_skipped_`` says why.
        resume: continue the interrupted run whose checkpoints are in ``out``.
    """

    task: str = ""

    def __init__(self, model: str = "default", model_params: dict | None = None, epochs: int = 300,
                 batch_size: int | None = None, learning_rate: float = 1e-3, validation_fraction: float | None = None,
                 patience: int = 50, lr_patience: int = 20, min_learning_rate: float = 1e-4,
                 max_time: float | None = None, class_weight: str | None = None, scaling: str = "global",
                 imputation: str = "linear", mask_channel: str = "auto", seed: int | None = None,
                 verbose: int = 0, out: str | None = None, ensemble: int = 1, n_jobs: int | None = None,
                 executor: str | None = None, coordinator: str | None = None, num_processes: int | None = None,
                 process_id: int | None = None,
                 front_end: str = "raw", sample_rate: int = 8000, augment: int = 0, channels: str = "mono",
                 duration: float | None = None, devices: int = 1, calibrate: bool = False, resume: bool = False):
        self.model = model
        self.model_params = model_params
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.lr_patience = lr_patience
        self.min_learning_rate = min_learning_rate
        self.max_time = max_time
        self.class_weight = class_weight
        self.scaling = scaling
        self.imputation = imputation
        self.mask_channel = mask_channel
        self.seed = seed
        self.verbose = verbose
        self.out = out
        self.ensemble = ensemble
        self.n_jobs = n_jobs
        self.executor = executor
        self.coordinator = coordinator
        self.num_processes = num_processes
        self.process_id = process_id
        self.front_end = front_end
        self.sample_rate = sample_rate
        self.augment = augment
        self.channels = channels
        self.duration = duration
        self.devices = devices
        self.calibrate = calibrate
        self.resume = resume

    # -- config ---------------------------------------------------------------------------------
    def to_config(self) -> RunConfig:
        """The parameters as a complete RunConfig (what the trainer reads, the bundle records and
        ``cnn1d train --config`` replays)."""
        from ..config import config_of

        config = config_of(self, self._config_task())
        return config.replace(model_params=dict(self.model_params or {}))

    def _config_task(self) -> str:
        return self.task

    @classmethod
    def from_config(cls, config: RunConfig, *, strict: bool = True, **overrides: Any) -> "CNNEstimator":
        """An estimator with the settings ``config`` sets; the others keep this class's defaults.

        ``strict``: a setting this estimator has no use for is refused rather than ignored.
        """
        from ..config import estimator_kwargs

        params = estimator_kwargs(cls, config, what=f"{cls.__name__} ({cls.task})", strict=strict)
        params.update(overrides)
        return cls(**params)

    def _check_params(self) -> None:
        """Refuse settings this estimator cannot honour, before any data is read."""

    # Settings only gradient descent reads (devices: data-parallel steps). A closed-form fit (minirocket's ridge
    # head) would ignore them.
    GRADIENT_SETTINGS = ("epochs", "batch_size", "learning_rate", "patience", "lr_patience", "min_learning_rate",
                         "devices")

    def _refuse_gradient_settings(self, task: str) -> None:
        """A gradient-descent setting changed from its default, for a model fitted in closed form, would do
        nothing: refused, naming it (saved configs record the defaults, so they still replay)."""
        import inspect

        from .. import models
        from ..config import flag

        if not models.closed_form(self.model, self.ensemble or 1, task):
            return
        defaults = inspect.signature(type(self).__init__).parameters
        changed = [name for name in self.GRADIENT_SETTINGS
                   if name in defaults and getattr(self, name, None) != defaults[name].default]
        if changed:
            named = "the default model (MiniRocket)" if self.model == "default" else f"model {self.model!r}"
            one = len(changed) == 1
            raise ConfigError(f"{', '.join(flag(n) for n in changed)}: {named} is fitted in closed form (a ridge head "
                              f"over fixed convolutions, on one device), with no epochs or gradient steps, so {'this does' if one else 'these do'} "
                              f"nothing; remove {'it' if one else 'them'}, or choose a network trained by gradient descent "
                              "(--model fcn, resnet, inception, lite_time)")

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, *, validation_data: Any = None) -> "CNNEstimator":
        """Train on ``X`` (Dataset, array or list of series) and ``y`` (ignored when X is a labelled Dataset).

        ``validation_data`` is an optional ``(X_val, y_val)`` pair or Dataset used instead of a split.
        """
        from .. import models
        from .._backend import backend_name, seed_everything
        from ..preprocess import SeriesPreprocessor
        from ..export.samples import capture_series
        from ..training import ensemble, trainer

        self._check_params()
        # The budget counts from here: reading, preprocessing, worker start-up and compilation all spend it.
        deadline = None if self.max_time is None else time.time() + float(self.max_time)
        if self.coordinator is not None:
            from ..training.distributed import join_processes

            if self.seed is None:
                raise ConfigError("multi-process training needs a seed (--seed N): every process must build the same "
                                  "network and draw the same batches")
            if self.resume:
                raise ConfigError("a multi-process run keeps no checkpoints, so it cannot be resumed; start it again")
            join_processes(self.coordinator, self.num_processes, self.process_id)
        raw = as_dataset(X, y)
        self.cmn_ = self.front_end != "raw"  # bundles saved without it restore False: features as trained
        data = self._front_end(raw)
        where = data.source or "training data"
        if data.y is None:
            raise DataError(f"{where}: requires y to be passed, but the target y is None: pass y or a labelled Dataset")
        if len(data) < 2:
            raise DataError(f"{where}: got 1 sample; training needs at least 2 series")
        targets = self._fit_targets(data.y, where, data.class_names)
        config = self.to_config()
        if config.seed is not None:
            seed_everything(config.seed)
        base_model, n_members = models.resolve(config.model, config.ensemble, self._config_task())
        mixed = (models.mixed_members(config.model, config.ensemble, self._config_task())
                 if config.model in models.MIXED_ENSEMBLES else None)
        if mixed and config.model_params:
            raise ConfigError(f"model_params apply to one network; {config.model!r} gives each of its networks "
                              f"({', '.join(m for m, _ in mixed)}) its own: train one of them alone to set them")
        config = config.replace(model_params={**models.ensemble_params(config.model, self._config_task()),
                                              **config.model_params})
        spec = models.get(base_model)
        self._refuse_gradient_settings(self._config_task())
        if spec.fit is not None and config.validation_fraction is None:
            # A closed-form fit chooses its penalty by leave-one-out on every series: a split would only shrink it.
            config = config.replace(validation_fraction=0.0)
        train_idx, val_idx = self._split(targets, config)
        if validation_data is not None:
            val = (validation_data if isinstance(validation_data, Dataset) else as_dataset(*validation_data, where="validation_data"))
            val = self._front_end(val)
            if val.y is None:
                raise DataError("validation_data has no labels")
            train_part, val_part = data, val
            y_train, y_val = targets, self._encode_targets(val.y, "validation_data", val.class_names)
        elif val_idx is not None:
            train_part, val_part = data.subset(train_idx), data.subset(val_idx)
            y_train, y_val = targets[train_idx], targets[val_idx]
        else:
            train_part, val_part, y_train, y_val = data, None, targets, None
        if self.augment:
            from ..preprocess.augment import augment_copies

            # Copies come from the raw training series, never from validation ones. Over log-mel/MFCC frames
            # they are warped spectra and stretched frames (docs/audio.md: waveform copies scored below them
            # once clips are mean-normalised); raw series and waveforms get speed, shift, gain and noise.
            def with_copies(series: Dataset) -> Dataset:
                if self.front_end == "raw":
                    return self._front_end(augment_copies(series, self.augment, config.seed))
                return self._front_end(series, copies=self.augment, seed=config.seed)

            train_part = with_copies(raw if (validation_data is not None or val_idx is None) else raw.subset(train_idx))
            y_train = self._encode_targets(train_part.y, where, train_part.class_names)

        member_params = [self._member_params(base_model, config.model_params)] if not mixed else [
            self._member_params(name, params) for name, params in mixed]
        config = config.replace(model_params=member_params[-1])
        pre = SeriesPreprocessor(config.scaling, config.imputation, config.mask_channel).fit(train_part)
        # Fixed-length models (flatten heads) take the longest training or validation series; a fixed clip
        # duration fixes the length for every model.
        networks = [base_model] if not mixed else [name for name, _ in mixed]
        fixed = not all(models.get(name).variable_length for name in networks)
        length = None if not fixed else max(data.max_length, val_part.max_length if val_part else 0)
        if self.duration:
            from ..preprocess.audio import fixed_length

            length = fixed_length(self.front_end, self.sample_rate, self.duration)
        if length:
            pre.train_length = length
        X_train = pre.transform(train_part, length=length)
        validation = None if val_part is None else (pre.transform(val_part, length=length), y_val)
        job = ensemble.MemberJob(
            config=config.replace(model=base_model), input_shape=(length, pre.output_channels),
            n_outputs=self._n_outputs(), activation=self._task_module().output_activation,
            loss=self._task_module().loss, metrics=self._keras_metrics(), X=X_train, y=y_train,
            # Checkpoints swap weights in and out, a collective step in a multi-process run that process 0
            # alone would take: such runs keep no checkpoints (and cannot be resumed).
            validation=validation, run_dir=None if self.coordinator else config.out, resume=self.resume,
            class_weight=self._class_weights(y_train) if config.class_weight == "balanced" else None,
            mask_channel=pre.use_mask,
        )
        started = time.perf_counter()
        if mixed:
            everything = data if not self.augment else with_copies(raw)  # closed-form members fit on every series
            model, results, networks, self.budget_note_ = self._train_mixed(
                job, mixed, member_params, pre.transform(everything, length=length),
                self._encode_targets(everything.y, where, everything.class_names), deadline)
        else:
            model, results, self.budget_note_ = ensemble.train_members(job, n_members, config.n_jobs, deadline=deadline)
            networks = networks * len(results)
        result = results[0] if not mixed else results[-1]  # the history of a trained member, not a ridge fit
        self.members_ = [
            {"model": name, "seed": r.extras.get("seed"), "epochs": r.epochs, "best_epoch": r.best_epoch,
             "train_seconds": round(r.seconds, 3), "stopped_because": r.stopped_because}
            for name, r in zip(networks, results)
        ]
        self.n_members_ = len(results)
        self.model_ = model
        self.preprocessor_ = pre
        self.input_length_ = length
        self.n_channels_ = data.n_channels
        self.input_channels_ = raw.n_channels  # before any front end: the audio's own channel count
        self.n_features_in_ = int(raw.max_length)  # scikit-learn's name; time steps of the longest series
        self.audio_ = "sample_rate" in raw.meta  # trained on audio clips: predicts on audio files
        self.samples_ = capture_series(raw)  # a few training series: what `cnn1d export` checks parity on
        # A table's step columns by name: prediction files are read by these names, not by position.
        self.value_columns_ = raw.meta.get("value_columns")
        trainer.record_training(self, result)
        self.epochs_ = max(r.epochs for r in results)
        self.fit_seconds_ = time.perf_counter() - started
        # Wall-clock seconds of the whole (possibly parallel) training, checkpoints included.
        self.train_seconds_ = result.seconds if len(results) == 1 else self.fit_seconds_
        self.backend_ = backend_name()
        self.config_ = self.to_config()
        self.model_params_ = dict(config.model_params)  # what the builder got, frame/filterbank settings included
        self.n_params_ = int(self.model_.count_params())
        self._calibrate(validation if validation is not None else (X_train, y_train), held_out=validation is not None)
        return self

    def _calibrate(self, data: tuple[np.ndarray, np.ndarray], held_out: bool) -> None:
        """Fit decision rules on held-out (``held_out``) or, without a split, training predictions after training."""

    def _member_params(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """The builder arguments of network ``name`` over this estimator's inputs (its front end, rate)."""
        from .. import models

        spec = models.get(name)
        if self.front_end != "raw" and spec.waveform_only:
            raise ConfigError(f"model {name!r} filters the raw waveform itself; use front_end='raw' "
                              f"(--front-end raw), not {self.front_end!r}")
        if spec.modality != "series":
            raise ConfigError(f"model {name!r} is a {spec.modality} model; use it with text data "
                              "(CNNTextClassifier or cnn1d train --text-column)")
        if self.front_end != "raw" and spec.frame_params:
            # A waveform network over spectrogram frames: its sample-sized first kernel would span the whole clip.
            params = {**spec.frame_params, **params}
        if "sample_rate" in spec.hparams and self.front_end == "raw":
            # Networks with a built-in filterbank place its filters in Hz.
            params = {"sample_rate": self.sample_rate, **params}
        return dict(params)

    def _train_mixed(self, job, members: tuple, member_params: list[dict[str, Any]], X_all: np.ndarray,
                     y_all: np.ndarray, deadline: float | None):
        """Train a mixed ensemble's networks one after another, each on its own terms, and join them by the
        geometric mean of their probabilities; returns (model, results, member names, budget note). A member
        the budget leaves no time for, or stops before MIN_MIXED_EPOCHS, is left out and the note says so."""
        from dataclasses import replace
        from pathlib import Path

        from .. import models
        from ..training import ensemble

        results, names, notes = [], [], []
        for i, ((name, _), params) in enumerate(zip(members, member_params)):
            fitted = models.get(name).fit is not None
            if results and deadline is not None and deadline - time.time() < 1.0:
                notes.append(f"{name} not trained: the {self.max_time:g} s budget was spent by "
                             f"{', '.join(names)}")
                continue
            member_job = replace(
                job, config=job.config.replace(model=name, model_params=params,
                                               validation_fraction=0.0 if fitted else job.config.validation_fraction),
                run_dir=str(Path(job.run_dir) / f"member_{i}") if job.run_dir else None,
                **({"X": X_all, "y": y_all, "validation": None, "class_weight": None} if fitted else {}))
            _, trained, note = ensemble.train_members(member_job, 1, 1, deadline=deadline)
            if note:
                notes.append(f"{name}: {note}")
            cut = trained[0].epochs < MIN_MIXED_EPOCHS and "budget" in trained[0].stopped_because
            if results and not fitted and cut:
                notes.append(f"{name} left out: the budget stopped it after {trained[0].epochs} epoch(s), fewer than "
                             f"the {MIN_MIXED_EPOCHS} a member needs to help rather than pull the product down")
                continue
            results += trained
            names.append(name)
        model = results[0].model if len(results) == 1 else ensemble.geometric_mean_model(
            [r.model for r in results], job.input_shape)
        return model, results, names, "; ".join(notes) or None

    def _split(self, targets: np.ndarray, config: RunConfig):
        from ..training.splits import split_indices

        n = len(targets)
        n_val = validation_count(n, config.validation_fraction)
        if not n_val:
            return None, None
        return split_indices(n, seed=config.seed, labels=self._stratify_labels(targets), n_held=n_val)

    def _stratify_labels(self, targets: np.ndarray):
        return None

    # -- prediction -----------------------------------------------------------------------------

    def _front_end(self, data: Dataset, copies: int = 0, seed: int | None = None) -> Dataset:
        from ..preprocess.audio import prepare

        return prepare(data, front_end_name=self.front_end, sample_rate=self.sample_rate, duration=self.duration,
                       cmn=getattr(self, "cmn_", False), copies=copies, seed=seed)

    def _transform(self, X: Any) -> np.ndarray:
        self._check_fitted()
        data = self._front_end(as_dataset(X, value_columns=getattr(self, "value_columns_", None)))
        return self.preprocessor_.transform(data, length=self.input_length_)

    @property
    def predicts_at_own_length(self) -> bool:
        """Whether each series is predicted at its own length rather than padded to the training length.

        A network that takes any length, trained on series of one length (no mask channel), has never seen
        padding: zeros appended to a shorter series read as values (on GunPoint cut to 90% of its length,
        MiniRocket's accuracy fell from 0.993 to 0.893 padded, and stayed 0.993 at the series' own length).
        Audio keeps its padding: pooled front ends need a minimum number of frames."""
        return (self.input_length_ is None and not self.preprocessor_.use_mask
                and not getattr(self, "audio_", False))

    def _inputs_by_length(self, X: Any):
        """``(data, [(rows, network input)])``: a fixed-length model's rows padded to its length; else (when
        :attr:`predicts_at_own_length`) one array per distinct series length, shortest first; else the series up
        to the training length padded to it, as in training, and each longer length on its own. Either way a
        series' prediction never depends on the other series it is predicted with (padded to the longest of a
        batch, a 1 s clip among 60 s ones was 60 s of padding to a network pooling over time)."""
        self._check_fitted()
        data = self._front_end(as_dataset(X, value_columns=getattr(self, "value_columns_", None)))
        if self.input_length_:
            return data, [(np.arange(len(data)), self.preprocessor_.transform(data, length=self.input_length_))]
        groups = data.length_groups(None if self.predicts_at_own_length else self.preprocessor_.train_length)
        return data, [(rows, self.preprocessor_.transform(data.subset(rows), length=int(data.lengths[rows].max())
                                                          if self.predicts_at_own_length else None))
                      for rows in groups]

    # -- explanations ---------------------------------------------------------------------------
    def explain(self, X: Any, method: str = "auto", target: Any = None) -> np.ndarray:
        """One attribution per time step (per frame for audio) of the predicted class, or of ``target``.

        ``method``: ``cam`` (networks ending in global average pooling), ``gradcam``, ``ig`` (integrated
        gradients, any network) or ``auto`` (cam where it applies, else gradcam, else ig; ig too where the
        last feature map is pooled too coarse to locate anything). Ensembles average
        their members. Returns ``(n, steps)``; integrated gradients on multichannel input return
        ``(n, steps, channels)``. Steps past a series' end (padding) are 0. See :mod:`cnn1d.evaluation.explain`.
        """
        from ..evaluation.explain import auto_method, check_method, explain_arrays

        check_method(method)
        data, groups = self._inputs_by_length(X)
        attributions = None
        chosen = auto_method(self.model_, groups[-1][1]) if method == "auto" else method  # the longest group's
        for rows, x in groups:
            index = self._explain_target(x, target)
            baseline = np.zeros_like(x)
            if self.preprocessor_.use_mask:
                baseline[..., -1] = x[..., -1]  # the mask says where values are; only the values are explained
            part = explain_arrays(self.model_, x, index, chosen, baseline)
            if len(groups) == 1:
                attributions = part
                break
            if attributions is None:
                attributions = np.zeros((len(data), data.max_length, *part.shape[2:]), dtype=part.dtype)
            attributions[rows, : part.shape[1]] = part
        if attributions.ndim == 3:
            attributions = attributions[..., : self.preprocessor_.n_channels]
            if self.front_end != "raw" or attributions.shape[-1] == 1:
                attributions = attributions.sum(axis=-1)  # per frame (audio) or per step (one channel)
        steps = np.arange(attributions.shape[1])
        inside = steps[None, :] < np.minimum(data.lengths, attributions.shape[1])[:, None]
        return np.where(inside if attributions.ndim == 2 else inside[..., None], attributions, 0.0)

    def _explain_target(self, x: np.ndarray, target: Any) -> np.ndarray:
        """Output index to explain, per series: the predicted class (or tag), or the one named by ``target``."""
        if not hasattr(self, "classes_"):
            if target is not None:
                raise ConfigError("a regressor has one output; explain it without target=")
            return np.zeros(len(x), dtype=int)
        if target is None:
            return self._predict_arrays(x).argmax(axis=1)
        from ..evaluation.explain import class_index

        return np.full(len(x), class_index(self.classes_.tolist(), target))

    def _raw_predict(self, X: Any) -> np.ndarray:
        from ..data.dataset import rows_together

        data, groups = self._inputs_by_length(X)
        self._warn_unlike_training(data)
        if len(groups) == 1:
            return self._predict_arrays(groups[0][1])
        return rows_together(len(data), [(rows, self._predict_arrays(x)) for rows, x in groups])

    def _warn_unlike_training(self, data: Dataset) -> None:
        """Warn (InputWarning) when ``data`` is on another scale than the training series or shorter than all of
        them: a prediction with no warning there is exit 0 with a doubtful answer (the CLI says the same)."""
        if getattr(self, "audio_", False):
            return
        import warnings

        from ..errors import InputWarning

        for message in self.preprocessor_.input_warnings(data):
            warnings.warn(message, InputWarning, stacklevel=_caller_stacklevel())

    def _predict_arrays(self, arrays: np.ndarray) -> np.ndarray:
        """The network's outputs for preprocessed inputs."""
        batch = self._predict_batch()
        if len(arrays) <= batch:
            # One compiled call, without predict()'s data-adapter loop: halves single-series latency.
            return np.asarray(self.model_.predict_on_batch(arrays))
        return np.asarray(self.model_.predict(arrays, batch_size=batch, verbose=0))

    def _predict_batch(self) -> int:
        """PREDICT_BATCH, or less where a network's memory grows with batch x steps x features (MiniRocket)."""
        from ..models.rocket import batch_for

        return min(PREDICT_BATCH, batch_for(self.model_) or PREDICT_BATCH)

    # -- bundle state (see estimators/bundled.py) -------------------------------------------------
    _STATE = ("input_length_", "n_channels_", "input_channels_", "audio_", "epochs_", "best_epoch_", "train_seconds_",
              "stopped_because_", "batch_size_", "monitor_", "members_", "n_members_", "n_params_", "history_",
              "budget_note_")

    def _extra_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"preprocessor": self.preprocessor_.to_dict(), "cmn": bool(getattr(self, "cmn_", False))}
        if hasattr(self, "classes_"):
            state["classes"] = [c.item() if isinstance(c, np.generic) else c for c in self.classes_.tolist()]
            state["classes_kind"] = self.classes_.dtype.kind
        if getattr(self, "multilabel_", False):
            state["multilabel"] = {"thresholds": [float(t) for t in self.thresholds_]}
        if hasattr(self, "target_mean_"):
            state["target"] = {"mean": self.target_mean_, "std": self.target_std_}
        if getattr(self, "temperature_", 1.0) != 1.0:
            state["temperature"] = float(self.temperature_)
        if getattr(self, "samples_", None):
            state["samples"] = self.samples_
        if getattr(self, "value_columns_", None):
            state["value_columns"] = list(self.value_columns_)
        return state

    def _restore_extra(self, state: dict[str, Any]) -> None:
        from ..preprocess import SeriesPreprocessor

        self.preprocessor_ = SeriesPreprocessor.from_dict(state["preprocessor"])
        self.cmn_ = bool(state.get("cmn", False))
        if "classes" in state:
            kind = state.get("classes_kind", "O")
            self.classes_ = np.array(state["classes"], dtype=object if kind in "OUS" else None)
            self.multilabel_ = False
        if "multilabel" in state:
            self.multilabel_ = True
            self.thresholds_ = np.asarray(state["multilabel"]["thresholds"], dtype=np.float64)
        if "target" in state:
            self.target_mean_ = float(state["target"]["mean"])
            self.target_std_ = float(state["target"]["std"])
        self.temperature_ = float(state.get("temperature", 1.0))
        self.samples_ = state.get("samples")
        self.value_columns_ = state.get("value_columns")

    @classmethod
    def _upgrade_state(cls, state: dict[str, Any], config: RunConfig) -> dict[str, Any]:
        """Bundles written before the shared state layout kept training facts under ``training`` and no
        parameters (they came from the config)."""
        if "params" in state:
            return {"budget_note_": None, **state}  # bundles from before budget planning
        from ..config import estimator_kwargs

        training = state["training"]
        members = training.get("members", [])
        return {
            **state,
            "params": estimator_kwargs(cls, config, what=cls.__name__, strict=False),
            "input_length_": state["input_length"], "n_channels_": state["n_channels"],
            "input_channels_": state.get("input_channels", state["n_channels"]),
            "audio_": state.get("audio", config.front_end not in (None, "raw")),
            "epochs_": training["epochs"], "best_epoch_": training["best_epoch"],
            "train_seconds_": training["train_seconds"], "stopped_because_": training["stopped_because"],
            "batch_size_": training["batch_size"], "monitor_": training.get("monitor", "val_loss"),
            "members_": members, "n_members_": max(1, len(members)), "n_params_": training["n_params"],
            "history_": training.get("history", {}), "budget_note_": None,
        }

    # -- subclass hooks -------------------------------------------------------------------------
    def _task_module(self):
        from ..tasks import TASKS

        return TASKS[self.task]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.seed is None
        return tags
