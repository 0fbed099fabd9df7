"""`cnn1d tune`: a hyper-parameter search on Optuna over what the model registry lets each family vary.

Every trial trains one network on the training set and is scored on the estimator's own validation split
(the same split in every trial: it follows the seed); the test set is used once, at the end, by the best
configuration and by the default model, each retrained on the whole training set. Hopeless trials are
pruned by Optuna's Keras pruning callback on the same validation metric. The study lives in a journal file
(or an RDB URL), so a killed search resumes where it stopped, and processes on several machines that share
the file (or the database) work on one study.

Budget: ``max_time`` bounds the whole command. The search gets STUDY_SHARE of it, split evenly over the
trials that can run; the best configuration and the default model share the rest.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

from .config import RunConfig
from .errors import Cnn1dError, ConfigError, DataError

STUDY_SHARE = 0.6
# Seconds the final runs keep back from their training budget for evaluation, the baseline and the bundle,
# and for starting an ensemble's worker processes (measured on 2 cores: 9-13 s for the default 5-network
# ensemble under short budgets).
FINAL_OVERHEAD = 1.0
WORKER_START = 10.0
DEFAULT_TRIALS = 20
# With a budget and no --trials, as many trials as give each this many seconds (3 to DEFAULT_TRIALS): trials
# of 5-6 s picked fast learners that lost 14 points to the default; trials of ~20 s gained 1.3
# (docs/benchmarks.md, "Tuning").
SECONDS_PER_TRIAL = 20.0
DEFAULT_STUDY = "cnn1d-tune"
JOURNAL = "study.journal"
# Settings a search space may not vary: what the run is, where it goes, and how it is spread over devices.
NOT_TUNABLE = ("task", "data", "test", "out", "seed", "verbose", "max_time", "n_jobs", "executor", "devices",
               "model_params",
               "label_column", "text_column", "group_column", "header", "layout", "id_column", "target",
               "time_column", "covariates", "folds", "freq", "aggregate", "calendar", "embeddings")
_LR = {"low": 1e-4, "high": 1e-2, "log": True}
# Run settings searched by default, per kind of data; the model families and their parameters come from
# the registry (ModelSpec.search).
RUN_SPACES: dict[str, dict[str, Any]] = {
    # Batches from 4: the default for small sets is a tenth of the training series (trainer.default_batch_size).
    "series": {"learning_rate": _LR, "batch_size": [4, 8, 16, 32, 64], "augment": [0, 1, 2]},
    "audio": {"front_end": ["log_mel", "mfcc"], "learning_rate": _LR, "batch_size": [8, 16, 32, 64], "augment": [0, 1]},
    "text": {"tokens": ["word", "char", "subword"], "learning_rate": {"low": 1e-4, "high": 3e-3, "log": True},
             "batch_size": [32, 50, 64]},
    "forecast": {"learning_rate": _LR, "batch_size": [32, 64, 128, 256]},
}
# Families a forecasting search picks from: the TCN reads the last step of causal convolutions (the default);
# FCN and ResNet pool over the window, beside the linear path every forecaster has.
FORECAST_FAMILIES = ("tcn", "fcn", "resnet")
# The TCN's search space was chosen for forecasting windows; series classification searches keep the
# families the tune benchmark measured (docs/benchmarks.md).
FORECAST_ONLY = ("tcn",)


class TuneResult(NamedTuple):
    """What :func:`tune` returns: the Optuna study, the best configuration's fitted estimator (retrained on
    the whole training set) and the summary that ``cnn1d tune --json`` prints."""

    study: Any
    estimator: Any
    summary: dict[str, Any]


@dataclass
class Plan:
    """Everything a trial needs, in a form that travels to worker processes."""

    base: RunConfig  # the user's settings plus the data's recommended ones
    kind: str  # series, audio or text
    task: str
    space: dict[str, Any]
    trials: int
    trial_seconds: float | None
    deadline: float | None  # time.time() after which no trial starts
    study: str
    storage: str
    monitor: str
    direction: str
    log_to_stderr: bool = False
    fixed: dict[str, Any] = field(default_factory=dict)


# -- search spaces ------------------------------------------------------------------------------

def families(kind: str) -> list[str]:
    """Registered families a default search picks from: those with a search space that suit the data."""
    from . import models

    if kind == "forecast":
        return [name for name in FORECAST_FAMILIES if models.get(name).search]
    names = []
    for spec in models.list_models():
        if not spec.search or spec.name in FORECAST_ONLY:
            continue
        if kind == "text" and spec.modality == "text":
            names.append(spec.name)
        elif kind == "series" and spec.modality == "series" and not spec.raw_waveform:
            names.append(spec.name)
        elif kind == "audio" and spec.modality == "series" and not spec.waveform_only:
            names.append(spec.name)
    return names


def default_space(kind: str) -> dict[str, Any]:
    from . import models

    names = families(kind)
    return {"model": names, **RUN_SPACES[kind], "model_params": {n: dict(models.get(n).search) for n in names}}


def read_space(path: str | Path) -> dict[str, Any]:
    """A search space from a TOML file: run settings at the top, ``[model_params.FAMILY]`` tables below."""
    import tomllib

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"--space {path}: file not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--space {path}: not valid TOML ({exc})") from None


def merge_space(kind: str, override: dict[str, Any] | None, fixed: dict[str, Any]) -> dict[str, Any]:
    """The default space for ``kind`` with ``override``'s entries replacing its own, less every setting the
    user fixed (a setting that is given is never searched over)."""
    from . import models

    space = default_space(kind)
    override = dict(override or {})
    params_override = override.pop("model_params", {}) or {}
    if not isinstance(params_override, dict):
        raise ConfigError("search space: model_params must be a table of [model_params.FAMILY] tables")
    space.update(override)
    if "model" in fixed:
        space["model"] = [fixed["model"]]
    chosen = space["model"] if isinstance(space["model"], list) else [space["model"]]
    for name in chosen:
        models.resolve(name)  # an unknown family is refused by name
    params = {}
    for name in chosen:
        family = dict(space["model_params"].get(name, {})) if name in space["model_params"] else dict(models.get(name).search)
        family.update(params_override.get(name, {}))
        unknown = sorted(set(family) - set(models.get(name).hparams))
        if unknown:
            raise ConfigError(f"search space: model {name!r} has no parameter(s) {', '.join(unknown)}; its parameters: "
                              f"{', '.join(sorted(models.get(name).hparams))}")
        if fixed.get("model_params"):
            family = {k: v for k, v in family.items() if k not in fixed["model_params"]}
        params[name] = family
    stray = sorted(set(params_override) - set(chosen))
    if stray:
        raise ConfigError(f"search space: [model_params.{stray[0]}] is for a model the search does not try; "
                          f"models searched: {', '.join(chosen)}")
    space["model_params"] = params
    known = {f for f in RunConfig().to_dict()} - set(NOT_TUNABLE)
    for key, value in space.items():
        if key == "model_params":
            continue
        if key not in known:
            raise ConfigError(f"search space: {key!r} cannot be searched; searchable settings: {', '.join(sorted(known))}")
        _check_entry(key, value)
    for name, family in params.items():
        for key, value in family.items():
            _check_entry(f"{name}.{key}", value)
    return {k: v for k, v in space.items() if k not in fixed or k in ("model", "model_params")}


def _check_entry(name: str, value: Any) -> None:
    if isinstance(value, list):
        if not value:
            raise ConfigError(f"search space: {name} has an empty list of choices")
        return
    if isinstance(value, dict):
        low, high = value.get("low"), value.get("high")
        extra = sorted(set(value) - {"low", "high", "log", "step"})
        if extra or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)) or not low < high:
            raise ConfigError(f"search space: {name} = {value!r}; a range is {{low = A, high = B}} with A < B "
                              "(and optionally log = true, step = S), a choice is a list [a, b, c]")
        if value.get("log") and low <= 0:
            raise ConfigError(f"search space: {name}: a log range needs low > 0")


def _suggest(trial, name: str, value: Any) -> Any:
    if isinstance(value, list):
        # Optuna's choices are scalars: a list-valued choice (filters per block) is offered as its JSON text.
        labels = [json.dumps(c) if isinstance(c, (list, dict)) else c for c in value]
        return value[labels.index(trial.suggest_categorical(name, labels))]
    if isinstance(value, dict):
        low, high, log, step = value["low"], value["high"], bool(value.get("log", False)), value.get("step")
        if isinstance(low, int) and isinstance(high, int) and (step is None or isinstance(step, int)):
            return trial.suggest_int(name, low, high, step=step or 1, log=log)
        return trial.suggest_float(name, float(low), float(high), log=log, step=step)
    return value


# Settings only gradient descent reads: a closed-form family (minirocket's ridge head) ignores them, so its
# trials do not spend the search's samples on them.
GRADIENT_ONLY = ("learning_rate", "batch_size")


def _searched(family: str, key: str) -> bool:
    from . import models

    return key not in ("model", "model_params") and not (key in GRADIENT_ONLY and models.get(family).fit is not None)


def sample(trial, space: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(run settings, builder arguments) for one trial; a family's parameters are named ``family.param``."""
    family = _suggest(trial, "model", space["model"])
    fields = {"model": family, **{k: _suggest(trial, k, v) for k, v in space.items() if _searched(family, k)}}
    params = {k: _suggest(trial, f"{family}.{k}", v) for k, v in space["model_params"].get(family, {}).items()}
    return fields, params


# -- trials -------------------------------------------------------------------------------------

_DATA: dict[str, Any] = {}


def _training_data(plan: Plan):
    """The training part of the run's data (never its test set), read once per process."""
    from .workflows import series_data, text_data

    key = plan.base.to_json()
    if key not in _DATA:
        quiet = lambda msg: None  # noqa: E731
        if plan.kind == "forecast":
            from .forecasting import training_table

            _DATA[key] = training_table(plan.base, quiet)[1]
        elif plan.kind == "text":
            _DATA[key] = text_data(plan.base, quiet)[0]
        else:
            _DATA[key] = series_data(plan.base, quiet)[1]
    return _DATA[key]


def for_closed_form(config: RunConfig, task: str) -> RunConfig:
    """``config`` without the gradient-descent settings when its model is fitted in closed form (minirocket):
    a setting fixed for the whole study applies to the trained families and would be refused by that one."""
    from . import models
    from .estimators.base import CNNEstimator

    if not models.closed_form(config.model or "default", config.ensemble or 1, task):
        return config
    return config.replace(**{name: None for name in CNNEstimator.GRADIENT_SETTINGS})


def trial_config(plan: Plan, fields: dict[str, Any], params: dict[str, Any], seconds: float | None) -> RunConfig:
    config = plan.base.replace(**fields, model_params={**(plan.fixed.get("model_params") or {}), **params} or None,
                               out=None, verbose=0, max_time=seconds)
    if plan.kind == "series":
        config = for_closed_form(config, plan.task)
    if plan.kind == "text":
        return config
    if plan.kind == "forecast":
        return config.replace(ensemble=1)
    return config.replace(ensemble=1, n_jobs=1, validation_fraction=config.validation_fraction or 0.2)


def objective(trial, plan: Plan) -> float:
    import optuna
    from optuna_integration import KerasPruningCallback

    from .training import trainer
    from .workflows import build_estimator

    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("pid", os.getpid())
    fields, params = sample(trial, plan.space)
    trial.set_user_attr("settings", fields)
    trial.set_user_attr("model_params", params)
    seconds = plan.trial_seconds
    if plan.deadline is not None:
        left = plan.deadline - time.time()
        if left <= 1:
            raise optuna.TrialPruned("the study's time budget ran out before this trial could train")
        seconds = min(seconds or left, left)
    config = trial_config(plan, fields, params, seconds)
    data = _training_data(plan)
    estimator = build_estimator(config, _estimator_kind(plan.kind), plan.task)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the pruner warns on the first epochs' missing key
        with trainer.watching(KerasPruningCallback(trial, plan.monitor)):
            estimator.fit(data)
    history = estimator.history_
    if plan.monitor not in history:
        raise DataError(f"{data.source or 'training data'}: too few examples for a validation split "
                        f"({len(data)}); tuning scores every trial on one: give more data")
    trial.set_user_attr("epochs", estimator.epochs_)
    trial.set_user_attr("seconds", round(time.perf_counter() - started, 3))
    # What a fit costs beyond its training budget (compilation, preprocessing): the final runs reserve it.
    trial.set_user_attr("overhead", round(time.perf_counter() - started - estimator.train_seconds_, 3))
    linear = getattr(estimator, "linear_ngrams_", None)
    if plan.monitor == "val_accuracy" and linear and linear["validation_accuracy"]["combined"] is not None:
        trial.set_user_attr("validation_accuracy", linear["validation_accuracy"])
        return float(linear["validation_accuracy"]["combined"])  # what the final text model is: CNN + n-gram path
    return float(history[plan.monitor][estimator.best_epoch_ - 1])


def _estimator_kind(kind: str) -> str:
    """workflows' kind of run for a search's kind of data (series and audio train the same estimators)."""
    return kind if kind in ("text", "forecast") else "series"


def _say(plan: Plan, log: Callable[[str], None] | None):
    if log is not None and not plan.log_to_stderr:
        return log
    return lambda msg: print(msg, file=sys.stderr, flush=True)


def _trial_line(plan: Plan, log):
    import optuna

    def report(study, trial) -> None:
        n_done = sum(t.state.is_finished() for t in study.trials)
        what = ", ".join(f"{k}={_short(v)}" for k, v in trial.params.items())
        if trial.state == optuna.trial.TrialState.COMPLETE:
            state = f"{plan.monitor} {trial.value:.4f}"
        elif trial.state == optuna.trial.TrialState.PRUNED:
            state = "pruned"
        else:
            state = trial.state.name.lower()
        try:
            best = f"; best {study.best_value:.4f} (trial {study.best_trial.number})"
        except ValueError:
            best = ""
        log(f"trial {trial.number} ({n_done}/{plan.trials}): {state} [{what}]{best}")

    return report


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def storage_of(spec: str):
    """An Optuna storage: an RDB URL as given, anything else a journal file (made if missing)."""
    import optuna

    if "://" in spec:
        return spec
    from optuna.storages.journal import JournalFileBackend

    Path(spec).parent.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(JournalFileBackend(str(spec)))


def optimize(plan: Plan, worker: int = 0, log: Callable[[str], None] | None = None) -> None:
    """Run trials of the plan's study until it holds ``plan.trials`` finished ones or the deadline passes."""
    import optuna
    from optuna.study import MaxTrialsCallback
    from optuna.trial import TrialState

    _quiet_optuna()
    study = optuna.load_study(study_name=plan.study, storage=storage_of(plan.storage),
                              sampler=_sampler(plan, worker), pruner=_pruner())
    timeout = None if plan.deadline is None else max(0.0, plan.deadline - time.time())
    study.optimize(lambda trial: objective(trial, plan), timeout=timeout, gc_after_trial=True,
                   callbacks=[MaxTrialsCallback(plan.trials, states=(TrialState.COMPLETE, TrialState.PRUNED)),
                              _trial_line(plan, _say(plan, log))])


def _sampler(plan: Plan, worker: int):
    import optuna

    seed = plan.base.seed
    return optuna.samplers.TPESampler(seed=None if seed is None else seed + 1000 * worker, n_startup_trials=5)


def _pruner():
    import optuna

    # Median rule after 3 trials, never on a trial's first 5 epochs (noisy while the learning rate warms).
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=5)


def _quiet_optuna() -> None:
    import optuna

    # A failed trial's traceback is Optuna's warning; cnn1d says what failed in one line instead.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def _worker(plan: Plan, worker: int) -> None:
    optimize(plan, worker)


def _fail_stale_trials(study, log) -> None:
    """Trials left running by a killed process on this machine: marked failed, and their settings queued again."""
    from optuna.trial import TrialState

    host = socket.gethostname()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if trial.user_attrs.get("host") != host or _alive(trial.user_attrs.get("pid")):
            continue
        study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        if trial.params:
            study.enqueue_trial(trial.params)
        log(f"trial {trial.number} was cut off (its process {trial.user_attrs.get('pid')} is gone): run again")


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != os.getpid()


# -- the command --------------------------------------------------------------------------------

def tune(data: str | None = None, *, test: str | None = None, task: str | None = None, trials: int | None = None,
         max_time: float | None = None, jobs: int = 1, seed: int | None = 0, storage: str | None = None,
         study: str | None = None, out: str | Path | None = None, space: str | Path | dict | None = None,
         config: RunConfig | None = None, executor: str | None = None, log: Callable[[str], None] = print,
         **settings: Any) -> TuneResult:
    """Search hyper-parameters with Optuna, then train the best configuration and the default model on the
    whole training set and score both on the test set.

    ``trials``: finished trials the study should hold (default: 20, or with ``max_time`` as many as give each
    trial about 20 s, 3 to 20). ``settings``: any RunConfig field (``label_column``, ``model``, ``epochs``...). A setting that is given is
    fixed, never searched. ``jobs``: trials running at once, in processes here or, with ``executor`` (a Dask
    scheduler address), on the cluster's workers, which must reach ``storage`` and the data. ``space``: a TOML file or dict replacing parts of the default search space
    (see docs/scale.md). Writes ``out/config.toml`` (``cnn1d train --config`` replays the best run),
    ``out/best/`` and ``out/default/`` (each a run directory with its bundle), ``out/tune.json``,
    ``out/trials.csv`` and, with matplotlib, ``out/history.png`` and ``out/importances.png``.
    """
    import optuna

    from .io_utils import atomic_write_text
    from .workflows import run, run_directory, run_kind

    from .training.executor import check, is_cluster

    started = time.time()
    check(executor)
    cluster = is_cluster(executor)
    if trials is None:
        trials = default_trials(max_time, jobs if isinstance(jobs, int) else 1)
    if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
        raise ConfigError(f"trials must be a positive integer, got {trials!r}")
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ConfigError(f"jobs must be a positive integer, got {jobs!r}")
    if max_time is not None and (not isinstance(max_time, (int, float)) or not max_time > 0):
        raise ConfigError(f"max_time must be a positive number of seconds, got {max_time!r}")
    user = (config or RunConfig()).replace(**{k: v for k, v in settings.items() if v is not None})
    user = user.replace(**{k: v for k, v in {"data": data, "test": test, "task": task, "seed": seed}.items()
                           if v is not None})
    if user.max_time is not None or user.out is not None:
        raise ConfigError("give the budget and the output directory to tune itself (max_time=, out=), not in the config")
    kind = run_kind(user)
    if kind == "lm":
        raise ConfigError("cnn1d tune searches classifiers and regressors of series, audio and text, and "
                          "forecasters; language models cannot be tuned yet")
    study_name = study or DEFAULT_STUDY
    base, task, audio, train = _describe_data(user, kind, log)
    examples = (f"{sum(train.length(k) for k in train.ids)} steps before the backtest ({len(train.ids)} series)"
                if kind == "forecast"
                else f"{len(train)} training examples")
    kind = kind if kind in ("text", "forecast") else ("audio" if audio else "series")
    fixed = {k: v for k, v in user.set_fields().items() if k not in NOT_TUNABLE or k == "model_params"}
    if "model" in fixed and fixed["model"] in _named_ensembles():
        raise ConfigError(f"model {fixed['model']!r} is an ensemble; tune searches single networks (e.g. "
                          f"--model lite), and --ensemble N then averages N of the best")
    fixed.pop("ensemble", None)
    override = read_space(space) if isinstance(space, (str, Path)) else space
    search = merge_space(kind, override, fixed)
    if fixed:
        log(f"fixed by you, not searched: {', '.join(sorted(k for k in fixed))}")
    classify = task == "classify" and not (kind == "text" and _multilabel(base))
    monitor, direction = ("val_accuracy", "maximize") if classify else ("val_loss", "minimize")
    study_seconds = None if max_time is None else max_time * STUDY_SHARE
    # Made once the data, the settings and the search space are known to be usable: a refused tune leaves nothing.
    out = run_directory(user, f"tune-{Path(user.data or 'gunpoint').stem.lower()}") if out is None else \
        run_directory(user.replace(out=str(out)), "tune")
    storage = storage or str(out / JOURNAL)
    plan = Plan(base=base.replace(max_time=None), kind=kind, task=task, space=search, trials=trials,
                trial_seconds=None if study_seconds is None else study_seconds * jobs / trials,
                deadline=None if study_seconds is None else started + study_seconds, study=study_name,
                storage=storage, monitor=monitor, direction=direction, fixed=fixed)
    _DATA[plan.base.to_json()] = train  # trials in this process train on what was just read
    _quiet_optuna()
    the_study = optuna.create_study(study_name=study_name, storage=storage_of(storage), direction=direction,
                                    load_if_exists=True, sampler=_sampler(plan, 0), pruner=_pruner())
    _check_same_study(the_study, plan)
    _fail_stale_trials(the_study, log)
    if not the_study.trials:
        first = default_params(plan)
        if first:  # the search starts from the default network, so it is measured on the same split
            the_study.enqueue_trial(first)
            log(f"trial 0 is the default network ({', '.join(f'{k}={_short(v)}' for k, v in first.items())})")
    already = sum(t.state.is_finished() for t in the_study.trials)
    where = f"{jobs} process(es)" + (f" on the Dask cluster at {executor}" if cluster else "")
    log(f"searching {', '.join(search['model'])}: {trials} trials ({already} done before), {where}, "
        f"objective {monitor} ({direction}) on a validation split of the {examples}"
        + ("" if max_time is None else f"; {study_seconds:.0f} s of the {max_time:g} s budget"))
    if jobs == 1 and not cluster:
        optimize(plan, 0, log)
    else:
        from .training.executor import open_executor

        plan.log_to_stderr = True
        with open_executor(executor, jobs, max(1, (os.cpu_count() or 1) // jobs)) as pool:
            list(pool.map(_worker, [plan] * jobs, range(jobs)))
    study_done = time.time()
    the_study = optuna.load_study(study_name=study_name, storage=storage_of(storage))
    counts = {s.name.lower(): sum(t.state == s for t in the_study.trials) for s in optuna.trial.TrialState}
    complete = [t for t in the_study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise ConfigError(f"no trial finished ({counts['pruned']} pruned, {counts['fail']} failed): give more --max-time "
                          "or fewer --trials")
    best = the_study.best_trial
    log(f"best trial {best.number}: {monitor} {best.value:.4f} [{', '.join(f'{k}={_short(v)}' for k, v in best.params.items())}]")
    notes = [note for note in [_within_noise(the_study, best, monitor, plan, train)] if note]
    for note in notes:
        log(f"warning: {note}")

    overheads = sorted(t.user_attrs.get("overhead", 0.0) for t in complete)
    base_reserve = overheads[len(overheads) // 2] + FINAL_OVERHEAD
    reserve = {}

    def start_up(networks: int) -> float:
        return WORKER_START if networks > 1 and (os.cpu_count() or 1) > 1 else 0.0

    def final(name: str, config: RunConfig) -> dict[str, Any]:
        target = out / name
        if target.exists():  # left by a tune that was cut off while training it: start it again
            shutil.rmtree(target)
        budget = None
        if max_time is not None:
            left = started + max_time - time.time()
            budget = max(1.0, left / (2 if name == "best" else 1) - reserve[name])
        log(f"training the {name} configuration on the whole training set"
            + ("" if budget is None else f" ({budget:.0f} s)"))
        if cluster and kind in ("series", "audio"):
            config = config.replace(executor=executor)  # ensemble members train on the cluster too
        if kind == "series":
            config = for_closed_form(config, task)
        return run(config.replace(out=str(target), max_time=budget, verbose=0), log=lambda msg: None)

    best_settings = dict(best.user_attrs["settings"])
    best_params = {**(fixed.get("model_params") or {}), **best.user_attrs["model_params"]}
    best_config = user.replace(**best_settings, model_params=best_params or None)
    if kind in ("series", "audio") and user.ensemble is None:
        # Trials rank single networks; the final model averages as many as the default model does, so the
        # two are compared like with like (--ensemble N chooses another count).
        best_config = best_config.replace(ensemble=members_of(user, task))
    reserve["best"] = base_reserve + start_up(best_config.ensemble or 1)
    best_run = final("best", best_config)
    # The default's own cost beyond training (its fit time includes an ensemble's worker start-up): what the
    # best run spent so, plus starting worker processes if the default is an ensemble.
    observed = best_run["total_seconds"] - best_run["train_seconds"]
    reserve["default"] = max(base_reserve, observed) + start_up(members_of(user, task) if kind in ("series", "audio") else 1)
    default_run = final("default", user)
    atomic_write_text(out / "config.toml", (out / "best" / "config.toml").read_text(encoding="utf-8"))
    plots = _plots(the_study, out, log)
    from .estimators.bundled import load

    estimator = load(best_run["bundle"])
    summary = {
        "n_trials": sum(t.state.is_finished() for t in the_study.trials), "n_complete": counts["complete"],
        "n_pruned": counts["pruned"], "n_failed": counts["fail"], "objective": monitor, "direction": direction,
        "best_value": best.value, "best_trial": best.number, "best_params": best.params,
        "best_settings": {**best_settings, "model_params": best_params},
        "config": str(out / "config.toml"), "bundle": best_run["bundle"], "default_bundle": default_run["bundle"],
        "test_metrics": best_run["test_metrics"], "default_test_metrics": default_run["test_metrics"],
        "baseline_metrics": default_run.get("baseline_metrics", default_run.get("baselines")), "task": task, "kind": kind,
        "study": study_name, "storage": storage, "jobs": jobs, "out": str(out), "plots": plots,
        "seconds": {"study": round(study_done - started, 3), "best": best_run["total_seconds"],
                    "default": default_run["total_seconds"], "total": round(time.time() - started, 3)},
        "max_time": max_time, "seed": user.seed, "warnings": notes,
    }
    if max_time is not None:
        over = summary["seconds"]["total"] - max_time
        summary["over_budget_seconds"] = round(max(0.0, over), 3)
        if over > max(3.0, 0.05 * max_time):  # never silently: say by how much, and what did not fit
            finals = best_run["total_seconds"] + default_run["total_seconds"]
            log(f"over budget: {summary['seconds']['total']:.0f} s of a {max_time:g} s budget. The best and the default "
                f"model took {finals:.0f} s together (worker start-up and compilation of their networks do not "
                f"shrink with the budget); give --max-time {max_time + over / (1 - STUDY_SHARE):.0f} or more")
    atomic_write_text(out / "tune.json", json.dumps(summary, indent=2, default=str))
    return TuneResult(the_study, estimator, summary)


def _within_noise(study, best, monitor: str, plan: Plan, train) -> str | None:
    """A warning when the best trial's validation accuracy beats the default network's (trial 0, enqueued first)
    by less than two standard errors of an accuracy on that many validation examples: on ECG200 (20 validation
    series) an FCN at 0.85 beat MiniRocket's 0.80 by one series, then scored 0.75 on the test set against 0.91."""
    import numpy as np
    import optuna

    from .estimators.base import validation_count

    first = next((t for t in study.trials if t.number == 0 and t.state == optuna.trial.TrialState.COMPLETE), None)
    if monitor != "val_accuracy" or first is None or best.number == 0 or not hasattr(train, "__len__"):
        return None
    try:
        fraction = plan.base.validation_fraction or (0.1 if plan.kind == "text" else 0.2)  # as each trial splits
        n_val = validation_count(len(train), fraction)
    except Cnn1dError:
        return None
    if not n_val:
        return None
    p = min(max(first.value, 1.0 / n_val), 1 - 1.0 / n_val)
    noise = 2 * float(np.sqrt(p * (1 - p) / n_val))
    gain = best.value - first.value
    if gain >= noise:
        return None
    return (f"the best trial ({best.value:.3f}) beats the default network (trial 0, {first.value:.3f}) by "
            f"{round(gain * n_val)} of {n_val} validation examples, within the split's noise (+/-{noise:.2f}); "
            "compare test_metrics with default_test_metrics before preferring it (more training data, or a larger "
            "--validation-fraction, makes the choice firmer)")


def default_trials(max_time: float | None, jobs: int) -> int:
    """DEFAULT_TRIALS without a budget; with one, as many as give each trial SECONDS_PER_TRIAL (3 at least)."""
    if max_time is None:
        return DEFAULT_TRIALS
    return int(min(DEFAULT_TRIALS, max(3, max_time * STUDY_SHARE * max(1, jobs) // SECONDS_PER_TRIAL)))


def members_of(user: RunConfig, task: str) -> int:
    """How many networks the default run averages (the named ensemble's count, or ``--ensemble``; 1 where
    ``--model`` names one family)."""
    from .models import resolve

    return resolve(user.model or "default", user.ensemble or 1, task)[1]


def default_params(plan: Plan) -> dict[str, Any]:
    """Optuna parameters of the network the default model is made of (or the user's fixed model), with
    its default settings: those the search space can represent (the others are sampled)."""
    import inspect

    from . import models
    from .workflows import estimator_class

    space = plan.space
    cls = estimator_class(_estimator_kind(plan.kind), plan.task)
    defaults = {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
                if p.default is not inspect.Parameter.empty}
    model = plan.base.model or defaults.get("model", "default")
    named = {}
    if model in _named_ensembles():
        named = models.ensemble_params(model, plan.task)
        model = models.resolve(model, 1, plan.task)[0]
    if model not in space["model"]:
        return {}
    params = {"model": _label(model)}
    for key, spec in space.items():
        if not _searched(model, key):
            continue
        value = getattr(plan.base, key) if getattr(plan.base, key, None) is not None else defaults.get(key)
        if key == "tokens" and value is None:  # CNNTextClassifier's rule for tokens=None
            from .preprocess.text import choose_level

            value = "char" if model == "charcnn" else choose_level(_training_data(plan).texts)[0]
        if key == "batch_size" and value is None and plan.kind == "forecast":
            from .estimators.forecaster import FORECAST_BATCH

            value = FORECAST_BATCH
        elif key == "batch_size" and value is None:
            from .training.trainer import default_batch_size

            value = default_batch_size(int(len(_training_data(plan)) * 0.8))
        if _fits(value, spec):
            params[key] = _label(value)
    hparams = {**models.get(model).hparams, **named}
    if plan.kind == "forecast":
        from .estimators.forecaster import network_params

        hparams.update(network_params(model))
    for key, spec in space["model_params"].get(model, {}).items():
        value = hparams.get(key)
        value = list(value) if isinstance(value, tuple) else value
        if _fits(value, spec):
            params[f"{model}.{key}"] = _label(value)
    return params


def _label(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def _fits(value: Any, spec: Any) -> bool:
    if value is None:
        return False
    if isinstance(spec, list):
        return value in spec
    if isinstance(spec, dict):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and spec["low"] <= value <= spec["high"]
    return False


def _named_ensembles() -> set[str]:
    from .models.registry import ENSEMBLES, MIXED_ENSEMBLES

    return set(ENSEMBLES) | set(MIXED_ENSEMBLES)


def _multilabel(config: RunConfig) -> bool:
    return bool(config.label_column and "," in config.label_column)


def _describe_data(user: RunConfig, kind: str, log) -> tuple[RunConfig, str, bool, Any]:
    """(settings with the data's recommended ones, task, audio?, the training part of the data)."""
    from .workflows import series_data, text_data

    if kind == "text":
        train, _ = text_data(user, log)
        return user, "classify", False, train
    if kind == "forecast":
        from .forecasting import training_table

        config, train = training_table(user, log)
        return config, "forecast", False, train
    config, train, _, task = series_data(user, log)
    return config, task, "sample_rate" in train.meta, train


def _check_same_study(study, plan: Plan) -> None:
    """A study resumed under the same name must search the same data and space toward the same objective."""
    what = {"config": plan.base.to_dict(), "space": plan.space, "monitor": plan.monitor}
    recorded = {k: study.user_attrs.get(k) for k in what}
    if all(v is None for v in recorded.values()):
        for k, v in what.items():
            study.set_user_attr(k, json.loads(json.dumps(v)))
        return
    differs = [k for k in what if recorded[k] != json.loads(json.dumps(what[k]))]
    if differs:
        raise ConfigError(f"study {plan.study!r} in {plan.storage} was started with a different {' and '.join(differs)}; "
                          "resume it with the same settings, or name a new one with --study")


def _plots(study, out: Path, log) -> dict[str, str]:
    """The search history and the parameter importances as PNG files (skipped, saying why, without matplotlib)."""
    from .io_utils import atomic_path, private_matplotlib_home

    private_matplotlib_home()
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from optuna.visualization.matplotlib import plot_optimization_history, plot_param_importances
    except ImportError:
        log('plots skipped: matplotlib is not installed (pip install "cnn1d[tune]")')
        return {}
    written = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, plot in (("history", plot_optimization_history), ("importances", plot_param_importances)):
            try:
                axes = plot(study)
            except (ValueError, RuntimeError) as exc:  # importances need two finished trials that differ
                log(f"{name} plot skipped: {exc}")
                continue
            with atomic_path(out / f"{name}.png") as tmp:
                axes.figure.savefig(tmp, dpi=100, bbox_inches="tight", format="png")
            plt.close(axes.figure)
            written[name] = str(out / f"{name}.png")
    try:
        frame = study.trials_dataframe()
        with atomic_path(out / "trials.csv") as tmp:
            frame.to_csv(tmp, index=False)
        written["trials"] = str(out / "trials.csv")
    except ImportError:
        pass
    return written


__all__ = ["tune", "TuneResult", "default_space", "merge_space", "read_space", "sample", "families"]
