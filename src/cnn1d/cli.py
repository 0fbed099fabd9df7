"""The ``cnn1d`` command: parses flags, calls the library, prints. No logic of its own."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="1D CNNs for time series, audio and text: train, evaluate and predict from one command.\n\n"
    "Example: cnn1d train            (trains on the embedded GunPoint data)\n\n"
    "         cnn1d train --data ECG200_TRAIN.tsv --model resnet --epochs 200 --out runs/ecg",
)
_state = {"debug": False}


def _fail(message: str, code: int = 1) -> None:
    from rich.console import Console
    from rich.markup import escape

    # escape: messages name extras and files in brackets ("cnn1d[train]"), which rich would read as styles
    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _guard(fn):
    """Run a command body: cnn1d errors become one line on stderr and a non-zero exit."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .errors import Cnn1dError

        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Cnn1dError as exc:
            if _state["debug"]:
                raise
            _fail(str(exc))
        except ImportError as exc:
            from .errors import missing_extra

            hint = missing_extra(exc)
            if hint is None or _state["debug"]:
                raise
            _fail(hint)
        except Exception as exc:  # an unexpected failure still gets one line unless --debug
            if _state["debug"]:
                raise
            _fail(f"internal error {exc.__class__.__name__}: {exc} (re-run with --debug for the traceback)")

    return wrapper


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors.")) -> None:
    _state["debug"] = debug


def _console(json_mode: bool):
    from rich.console import Console

    # With --json, stdout carries exactly one JSON object; human output goes to stderr.
    return Console(stderr=json_mode, highlight=False)


def _log(console):
    """Progress lines, printed as written (a line naming "[0, 1]" or "cnn1d[tune]" is not rich markup)."""
    from rich.markup import escape

    return lambda msg: console.print(escape(msg), soft_wrap=True)


def _echo_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=_json_default) + "\n")


def _json_default(value: Any):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


DATA_OPTION_HELP = "The same as the DATA argument (as in `cnn1d train --data`)."
TEST_OPTION_HELP = "The same as the DATA argument (as in `cnn1d train --test`; --data also works)."


def _one_data(positional: Optional[str], option: Optional[str], *, required: bool = True) -> Optional[str]:
    """DATA as an argument or as --data (users carry `--data` over from `cnn1d train`); never two different ones."""
    if positional is not None and option is not None and positional != option:
        _fail(f"two data files given: {positional!r} (argument) and {option!r} (option); pass one")
    data = option if positional is None else positional
    if data is None and required:
        _fail("no data given: pass the data file as the argument after the bundle, or with --data FILE")
    return data


def _interrupted_run(out: Optional[str], started: float) -> str:
    """What to say when Ctrl-C stops `cnn1d train`: where the run is and how to continue it."""
    from .workflows import RUN_BUNDLE, RUN_CONFIG

    if out is None:  # the run made runs/<name>-<time> itself: the newest one since this command started
        made = [p for p in Path("runs").glob("*") if p.is_dir() and p.stat().st_mtime >= started - 1]
        out = str(max(made, key=lambda p: p.stat().st_mtime)) if made else None
    if out is None or not (Path(out) / RUN_CONFIG).is_file() or (Path(out) / RUN_BUNDLE).exists():
        return "interrupted before the run was set up; nothing to resume"
    where = ""
    try:
        state = json.loads((Path(out) / "checkpoint" / "state.json").read_text())
        where = f" at epoch {state['epoch']} (best so far: epoch {state['best_epoch']})"
    except (OSError, ValueError, KeyError):
        pass
    return f"interrupted{where}; the run is in {out}: `cnn1d train --out {out} --resume` continues it"


# `cnn1d train` options that are not RunConfig fields: what to do with the run, not what it is.
TRAIN_ACTIONS = ("json_out", "config_file", "resume", "overwrite", "quiet", "report")


@app.command()
@_guard
def train(
    data: Optional[str] = typer.Option(None, "--data", help="Embedded dataset name (see `cnn1d datasets`) or a data file. Default: gunpoint."),
    test: Optional[str] = typer.Option(None, "--test", help="Test file. Default: the *_TEST.* file beside a *_TRAIN.* file."),
    task: Optional[str] = typer.Option(None, "--task", help="classify, regress, tag (multi-label), forecast or lm. Default: from the file header (tag for multi-label data), else classify."),
    model: Optional[str] = typer.Option(None, "--model", help="Registered model or ensemble (see `cnn1d models`). Default: `default` (MiniRocket, ridge head; 5 LITE networks for multi-label tags) for series, m5 for audio, textcnn for text, causal_lm for lm, tcn for forecasting."),
    model_params: Optional[str] = typer.Option(None, "--model-params", help='Builder arguments as JSON, e.g. \'{"filters": 64}\'.'),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Maximum training epochs (early stopping may end sooner)."),
    max_time: Optional[float] = typer.Option(None, "--max-time", help="Wall-clock budget for training, in seconds."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed: repeatable runs on the same machine and backend."),
    out: Optional[Path] = typer.Option(None, "--out", help="Run directory. Default: runs/<dataset>-<model>-<time>."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object with the results on stdout."),
    config_file: Optional[Path] = typer.Option(None, "--config", help="RunConfig file (.toml or .json), e.g. a run's config.toml; flags override it."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Mini-batch size."),
    learning_rate: Optional[float] = typer.Option(None, "--learning-rate", help="Initial learning rate."),
    validation_fraction: Optional[float] = typer.Option(None, "--validation-fraction", help="Held-out share of training data for early stopping (0: monitor training loss). Series default: 0.2 when that is >= 50 series, else 0."),
    patience: Optional[int] = typer.Option(None, "--patience", help="Early-stopping patience in epochs."),
    lr_patience: Optional[int] = typer.Option(None, "--lr-patience", help="Epochs without improvement before the learning rate is halved (series, forecasting)."),
    min_learning_rate: Optional[float] = typer.Option(None, "--min-learning-rate", help="Floor of the learning-rate schedule (series, forecasting)."),
    scaling: Optional[str] = typer.Option(None, "--scaling", help="Series: global | series | none."),
    imputation: Optional[str] = typer.Option(None, "--imputation", help="Series: fill missing values by linear | mean | zero."),
    mask_channel: Optional[str] = typer.Option(None, "--mask-channel", help="Series: auto | yes | no: a channel marking observed values."),
    class_weight: Optional[str] = typer.Option(None, "--class-weight", help="Classification: 'balanced' to weight classes by inverse frequency."),
    calibrate: Optional[bool] = typer.Option(None, "--calibrate/--no-calibrate", help="Classification: temperature scaling on the validation split (probabilities that mean what they say); ECE before/after in the results."),
    label_column: Optional[str] = typer.Option(None, "--label-column", help="CSV: the column holding labels or targets (text: several, comma-separated, for multi-label)."),
    header: Optional[bool] = typer.Option(None, "--header/--no-header", help="CSV: the first row is (not) a header. Default: decided from the file."),
    layout: Optional[str] = typer.Option(None, "--layout", help="CSV: wide (one row per series) or long (one row per step). Default: decided from the file."),
    id_column: Optional[str] = typer.Option(None, "--id-column", help="Long CSV: the series-id column (forecasting: one global model over the series)."),
    ensemble: Optional[int] = typer.Option(None, "--ensemble", help="Train N networks (different seeds) and average their outputs. Forecasting default: as many as --max-time has room for, up to 5 (1 without --max-time)."),
    n_jobs: Optional[int] = typer.Option(None, "--n-jobs", help="Worker processes for ensemble members (default: one per core)."),
    executor: Optional[str] = typer.Option(None, "--executor", help="Where ensemble members train: local (worker processes, default) or a Dask scheduler address, tcp://HOST:PORT (pip install \"cnn1d\\[cluster]\")."),
    devices: Optional[int] = typer.Option(None, "--devices", help="Train each network data-parallel over N GPUs/devices (0: all; JAX backend). Default 1."),
    coordinator: Optional[str] = typer.Option(None, "--coordinator", help="Multi-process (multi-host) training: HOST:PORT of process 0, which hosts the coordinator; run the same command in every process (docs/scale.md)."),
    num_processes: Optional[int] = typer.Option(None, "--num-processes", help="Multi-process training: how many processes (hosts) train the network together."),
    process_id: Optional[int] = typer.Option(None, "--process-id", help="Multi-process training: this process's index, 0 to N-1; only process 0 writes the run directory."),
    resume: bool = typer.Option(False, "--resume", help="Continue the interrupted run in --out with the settings it recorded."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the trained model already in --out (refused without it)."),
    report: bool = typer.Option(False, "--report", help="Write report.html (see `cnn1d report`) into the run directory at the end."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    target: Optional[str] = typer.Option(None, "--target", help="Forecast: the column(s) to forecast (comma-separated; default: the one numeric column)."),
    time_column: Optional[str] = typer.Option(None, "--time-column", help="Forecast: the timestamp column (default: date/time/timestamp...)."),
    freq: Optional[str] = typer.Option(None, "--freq", help="Forecast: resample the series to this pandas frequency (h, D, B for business days, W, MS...). Default: detected from the timestamps."),
    calendar: Optional[str] = typer.Option(None, "--calendar", help="Forecast: grid (every step of the frequency; missing ones are gaps) or observations (one step per observed timestamp: holidays are no gaps). Default: grid."),
    aggregate: Optional[str] = typer.Option(None, "--aggregate", help="Forecast: how rows sharing a timestamp (or a --freq step) combine: mean, sum or last. Default: such rows are refused."),
    horizon: Optional[int] = typer.Option(None, "--horizon", help="Forecast: steps ahead (default 12)."),
    lookback: Optional[int] = typer.Option(None, "--lookback", help=(
        "Forecast: past steps the model sees (default: max(2*horizon, season+horizon, 16) or twice that, "
        "whichever the ridge start forecasts better out of sample).")),
    season: Optional[int] = typer.Option(None, "--season", help="Forecast: seasonal period m (default: from the frequency)."),
    level: Optional[float] = typer.Option(None, "--level", help="Forecast: prediction-interval level (default 0.9)."),
    calendar_features: Optional[bool] = typer.Option(None, "--calendar-features/--no-calendar-features", help="Forecast: hour/day/month inputs from the timestamps (default on)."),
    folds: Optional[int] = typer.Option(None, "--folds", help="Forecast: rolling-origin backtest folds (default 3)."),
    covariates: Optional[str] = typer.Option(None, "--covariates", help="Forecast: known-future covariate columns (comma-separated)."),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="Text: the column holding the texts (trains a text classifier)."),
    group_column: Optional[str] = typer.Option(None, "--group-column", help="Text: keep each group (e.g. a movie) on one side of the split."),
    tokens: Optional[str] = typer.Option(None, "--tokens", help="Text: word, char or subword tokens (default: char for scripts written without spaces, else word); lm: char (default) or word."),
    max_tokens: Optional[int] = typer.Option(None, "--max-tokens", help="Text and language models: vocabulary size cap."),
    sequence_length: Optional[int] = typer.Option(None, "--sequence-length", help="Text: tokens kept per text (default: 95th percentile)."),
    linear_ngrams: Optional[bool] = typer.Option(None, "--linear-ngrams/--no-linear-ngrams", help="Text: add a logistic regression over hashed n-grams (word 1-2 or character 1-3) to the CNN's output, weighted on the validation split (default on for single-label texts)."),
    augment: Optional[int] = typer.Option(None, "--augment", help="Series/audio: add N perturbed copies of each training series (speed, shift, gain, noise; log-mel/MFCC audio: warped filterbank, stretched frames; audio default 2)."),
    front_end: Optional[str] = typer.Option(None, "--front-end", help="Audio: raw, log_mel or mfcc (default for audio: log_mel)."),
    sample_rate: Optional[int] = typer.Option(None, "--sample-rate", help="Audio: resample every clip to this rate in Hz (default 8000)."),
    channels: Optional[str] = typer.Option(None, "--channels", help="Audio: mono (mix to one channel, default) or keep (stereo/multichannel)."),
    duration: Optional[float] = typer.Option(None, "--duration", help="Audio: crop clips to their first N seconds, pad shorter ones (with a mask)."),
    embeddings: Optional[Path] = typer.Option(None, "--embeddings", help="Text: GloVe/word2vec text file to initialise word embeddings."),
    context: Optional[int] = typer.Option(None, "--context", help="Language model: tokens per training window (default 128)."),
) -> None:
    """Train a model, evaluate it on the test set and save a bundle.

    Every setting is a field of the run's config.toml; a flag that does not apply to the task is refused.

    Example: cnn1d train --data GunPoint_TRAIN.tsv --model fcn --epochs 300 --seed 0 --out runs/gp --json

    Forecasting: cnn1d train --task forecast --data sales.csv --target sales --horizon 14 --season 7 --json

    Text: cnn1d train --data reviews.csv --text-column review --label-column sentiment --json

    Audio: cnn1d train --data clips/ (one subfolder per class)   or   --task tag --data manifest.csv (path,labels)

    Replay: cnn1d train --config runs/gp/config.toml --out runs/gp2
    """
    import inspect

    from .config import RunConfig
    from .errors import ConfigError
    from .workflows import run

    values = dict(locals())
    flags = {name: values[name] for name in inspect.signature(train).parameters if name not in TRAIN_ACTIONS}
    if flags["model_params"] is not None:
        try:
            flags["model_params"] = json.loads(flags["model_params"])
        except ValueError as exc:
            raise ConfigError(f"--model-params must be a JSON object, e.g. '{{\"filters\": 64}}' ({exc})") from None
    if flags["covariates"] is not None:
        flags["covariates"] = [c.strip() for c in flags["covariates"].split(",") if c.strip()]
    for name in ("out", "embeddings"):
        if flags[name] is not None:
            flags[name] = str(flags[name])
    config = RunConfig.from_file(config_file) if config_file else RunConfig()
    config = config.replace(**{k: v for k, v in flags.items() if v is not None}, verbose=0 if quiet else 1)
    console = _console(json_out)
    started = time.time()
    try:
        result = run(config, resume=resume, overwrite=overwrite, log=_log(console))
    except KeyboardInterrupt:
        from rich.console import Console
        from rich.markup import escape

        Console(stderr=True).print(escape(_interrupted_run(config.out, started)), highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    if report:
        from .evaluation.report import build_report

        result["report"] = str(build_report(result["out"], log=_log(console)))
    if json_out:
        _echo_json(result)
        return
    if result["task"] == "lm":
        console.print(f"held-out perplexity: cnn {result['test_metrics']['perplexity']:.3f}, "
                      f"{result['baseline_metrics']['order']}-gram baseline {result['baseline_metrics']['perplexity']:.3f}; "
                      f"trained {result['epochs']} epochs in {result['train_seconds']:.1f} s; bundle: {result['bundle']}")
        return
    if result["task"] == "forecast":
        _print_forecast_metrics(console, result)
        return
    if result.get("modality") == "text":
        _print_metrics(console, result["test_metrics"], result["baseline_metrics"],
                       "multilabel" if "micro_f1" in result["test_metrics"] else "classify")
        console.print(f"baseline: TF-IDF + logistic regression on the same split. Trained {result['model']} "
                      f"({result['n_params']:,} parameters) for {result['epochs']} epochs in {result['train_seconds']:.1f} s; "
                      f"bundle: {result['bundle']}")
        return
    _print_metrics(console, result["test_metrics"], result.get("baseline_metrics"), result["task"],
                   {"mfcc+logreg": result["audio_baseline_metrics"]} if "audio_baseline_metrics" in result else None)
    if result.get("skipped_files"):
        console.print(f"skipped {len(result['skipped_files'])} file(s) (listed in metrics.json under skipped_files)")
    # A closed-form fit (minirocket) has no epochs to count.
    epochs = "" if result["stopped_because"].startswith("ridge fit") else f"for {result['epochs']} epochs "
    console.print(
        f"trained {result['model']} ({result['n_params']:,} parameters) {epochs}"
        f"in {result['train_seconds']:.1f} s ({result['stopped_because']}); bundle: {result['bundle']}"
    )


@app.command()
@_guard
def tune(
    data: Optional[str] = typer.Option(None, "--data", help="Embedded dataset name or a data file, as for train. Default: gunpoint."),
    test: Optional[str] = typer.Option(None, "--test", help="Test file: scored once, by the best and the default model, never by a trial."),
    task: Optional[str] = typer.Option(None, "--task", help="classify, regress or tag (series, audio), or forecast; text data trains classifiers (multi-label with several label columns)."),
    trials: Optional[int] = typer.Option(None, "--trials", help="Finished (complete or pruned) trials the study should hold. Default: 20; with --max-time, as many as give each trial about 20 s (3 to 20)."),
    max_time: Optional[float] = typer.Option(None, "--max-time", help="Seconds for the whole command: 60% searching, the rest training the best and the default model."),
    jobs: int = typer.Option(1, "--jobs", help="Processes running trials at once, each with its share of the CPU threads."),
    executor: Optional[str] = typer.Option(None, "--executor", help="local (default) or a Dask scheduler address (tcp://HOST:PORT): the --jobs trial loops run on its workers, which must reach the data and --storage."),
    seed: int = typer.Option(0, "--seed", help="Seed of the sampler, the validation split and every network."),
    storage: Optional[str] = typer.Option(None, "--storage", help="Journal file (default OUT/study.journal) or an RDB URL (sqlite:///x.db, postgresql://...): rerun to resume; share it to search from several machines."),
    study: Optional[str] = typer.Option(None, "--study", help="Study name inside the storage (default cnn1d-tune)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output directory. Default: runs/tune-<dataset>-<time>."),
    space: Optional[Path] = typer.Option(None, "--space", help="TOML file replacing parts of the search space (see docs/scale.md)."),
    config_file: Optional[Path] = typer.Option(None, "--config", help="RunConfig file with fixed settings (never searched); flags override it."),
    model: Optional[str] = typer.Option(None, "--model", help="Search only this family's parameters (default: every family the registry offers for the data)."),
    ensemble: Optional[int] = typer.Option(None, "--ensemble", help="Average N networks of the best configuration in the final model (trials train one)."),
    label_column: Optional[str] = typer.Option(None, "--label-column", help="CSV: the column holding labels or targets."),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="Text: the column holding the texts."),
    group_column: Optional[str] = typer.Option(None, "--group-column", help="Text: keep each group on one side of the splits."),
    target: Optional[str] = typer.Option(None, "--target", help="Forecast: the column(s) to forecast (comma-separated; default: the one numeric column)."),
    time_column: Optional[str] = typer.Option(None, "--time-column", help="Forecast: the timestamp column (default: date/time/timestamp...)."),
    id_column: Optional[str] = typer.Option(None, "--id-column", help="Forecast: the series-id column of a long CSV."),
    horizon: Optional[int] = typer.Option(None, "--horizon", help="Forecast: steps ahead (default 12)."),
    season: Optional[int] = typer.Option(None, "--season", help="Forecast: seasonal period m (default: from the frequency)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object with the results on stdout."),
) -> None:
    """Search hyper-parameters with Optuna; train the best configuration and the default model; compare them.

    Trials are scored on a validation split of the training data (forecasting: of the series before the
    backtest, which only the best and the default model see); hopeless ones are pruned.

    The best configuration is OUT/config.toml (cnn1d train --config OUT/config.toml replays it), its bundle OUT/best/model.cnn1d.

    OUT/history.png and OUT/importances.png plot the search. Rerun the same command to resume it.

    Example: cnn1d tune --data ECG200_TRAIN.tsv --trials 30 --max-time 600 --jobs 2 --out runs/ecg-tune --json
    """
    from .config import RunConfig
    from .tuning import tune as run_tune

    console = _console(json_out)
    config = RunConfig.from_file(config_file) if config_file else None
    result = run_tune(data, test=test, task=task, trials=trials, max_time=max_time, jobs=jobs, seed=seed,
                      storage=storage, study=study, out=out, space=space, config=config, executor=executor, model=model,
                      ensemble=ensemble, label_column=label_column, text_column=text_column,
                      group_column=group_column, target=target, time_column=time_column, id_column=id_column,
                      horizon=horizon, season=season, log=_log(console))
    summary = result.summary
    if json_out:
        _echo_json(summary)
        return
    from .evaluation.metrics import metrics_table

    console.print(metrics_table({"tuned": summary["test_metrics"], "default": summary["default_test_metrics"]}))
    console.print(f"{summary['n_trials']} trials ({summary['n_pruned']} pruned) in {summary['seconds']['study']:.0f} s; "
                  f"best {summary['objective']} {summary['best_value']:.4f}; replay: cnn1d train --config {summary['config']}; "
                  f"bundle: {summary['bundle']}")


def _print_forecast_metrics(console, result: dict) -> None:
    from rich.table import Table

    table = Table(title=f"Backtest: {result['folds']} origins x horizon {result['horizon']} (interval level {result['level']})")
    keys = ("mae", "rmse", "mase", "smape", "coverage", "width")
    table.add_column("method")
    for k in keys:
        table.add_column(k, justify="right")
    rows = {"cnn (" + result["model"] + ")": result["test_metrics"], **result["baselines"]}
    for name, m in rows.items():
        table.add_row(name, *(f"{m[k]:.4f}" if k in m else "" for k in keys))
    console.print(table)
    best = result.get("best_statistical")
    if best:
        cnn, stat = result["test_metrics"]["mase"], result["baselines"][best]["mase"]
        console.print(f"best statistical baseline: {best} (MASE {stat:.4f}); the CNN is "
                      f"{'better' if cnn < stat else 'not better'} ({cnn:.4f})")
    console.print(f"trained {result['model']} ({result['n_params']:,} parameters) for {result['epochs']} epochs in "
                  f"{result['train_seconds']:.1f} s; bundle: {result['bundle']}")


def _print_metrics(console, metrics: dict, baseline: dict | None, task: str, others: dict | None = None) -> None:
    from .evaluation.metrics import confusion_table, metrics_table

    columns = {"model": metrics}
    if baseline:
        columns["baseline"] = baseline
    columns.update(others or {})
    console.print(metrics_table(columns))
    if task == "classify" and len(metrics.get("classes", [])) <= 12:
        console.print(confusion_table(metrics))


@app.command()
@_guard
def evaluate(
    bundle: Path = typer.Argument(..., help="A bundle written by `cnn1d train` (or its run directory)."),
    data: Optional[str] = typer.Argument(None, help="Labelled data file (or embedded dataset name: its test split)."),
    data_option: Optional[str] = typer.Option(None, "--test", "--data", help=TEST_OPTION_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print the metrics as one JSON object."),
    label_column: Optional[str] = typer.Option(None, "--label-column", help="CSV: the column holding labels."),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="Text models: the column holding the texts."),
) -> None:
    """Score a saved model on labelled data.

    Example: cnn1d evaluate runs/gp/model.cnn1d GunPoint_TEST.tsv
    """
    from .workflows import evaluate_bundle, log_ignored_columns

    data = _one_data(data, data_option)
    result = evaluate_bundle(bundle, data, label_column=label_column, text_column=text_column)
    to_stderr = _log(_console(True))
    for warning in result.get("warnings", []):
        to_stderr(f"warning: {warning}")
    log_ignored_columns(data, result.get("ignored_columns"), to_stderr)
    if json_out:
        _echo_json(result)
        return
    _print_metrics(_console(False), result["metrics"], None, result["task"])


@app.command()
@_guard
def predict(
    bundle: Path = typer.Argument(..., help="A bundle written by `cnn1d train` (or its run directory), or a model exported by `cnn1d export` "
                                   "(.onnx or .tflite: runs with the slim runtime, no Keras)."),
    data: Optional[str] = typer.Argument(None, help="Data file to predict (labels, if present, are ignored)."),
    data_option: Optional[str] = typer.Option(None, "--data", help=DATA_OPTION_HELP),
    out: Optional[Path] = typer.Option(None, "--out", help="Write predictions to this file: .csv, .tsv, .json or .jsonl."),
    text: Optional[list[str]] = typer.Option(None, "--text", help="Text bundles: classify this text (repeatable)."),
    json_out: bool = typer.Option(False, "--json", help="Print predictions as JSON."),
    label_column: Optional[str] = typer.Option(None, "--label-column", help="CSV/TSV: a label column to ignore; 'none': the file holds no labels; 'first': its first column is a label."),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="Text models: the column holding the texts."),
) -> None:
    """Predict labels (and class probabilities), tags or targets for new series, audio files or texts.

    Example: cnn1d predict runs/gp/model.cnn1d new_series.csv --out predictions.csv

    Audio: cnn1d predict runs/clips/model.cnn1d new_clips/   (a file, a folder or a manifest; any sample rate)

    Text: cnn1d predict runs/rev/model.cnn1d new_reviews.csv   (or --text "a sentence", repeatable)

    Exported: cnn1d predict runs/gp/model.onnx new_series.csv   (pip install "cnn1d\\[runtime]" is enough)
    """
    from .workflows import predict_bundle, predict_exported

    data = _one_data(data, data_option, required=False)
    if out is not None:
        from .io_utils import check_table_path

        check_table_path(out)
    run = predict_exported if bundle.suffix.lower() in (".onnx", ".tflite") else predict_bundle
    frame = run(bundle, data, label_column=label_column, text_column=text_column, texts=text)
    skipped = frame.attrs.get("skipped", [])
    to_stderr = _log(_console(True))
    for warning in frame.attrs.get("warnings", []):
        to_stderr(f"warning: {warning}")
    from .workflows import log_ignored_columns

    log_ignored_columns(data, frame.attrs.get("ignored_columns"), to_stderr)
    if skipped:
        from rich.console import Console

        err = Console(stderr=True, highlight=False)
        for problem in skipped[:20]:
            err.print(f"skipped: {problem}", soft_wrap=True)
        if len(skipped) > 20:
            err.print(f"... and {len(skipped) - 20} more skipped file(s)")
    if out is not None:
        from .io_utils import write_table

        write_table(frame, out)
    if json_out:
        _echo_json({"predictions": frame.to_dict(orient="records"), "out": str(out) if out else None, "skipped": skipped,
                    "warnings": frame.attrs.get("warnings", []), "ignored_columns": frame.attrs.get("ignored_columns", [])})
        return
    console = _console(False)
    if out is None:
        console.print(_screen_predictions(frame).to_string(index=False, max_rows=50, max_colwidth=50))  # texts cut on screen only
    else:
        console.print(f"wrote {len(frame)} predictions to {out}")


def _screen_predictions(frame):
    """Predictions as the terminal shows them: with more than four classes, the predicted class's probability in
    place of one column per class (which wrapped every row over several lines); files and --json keep them all."""
    proba = [c for c in frame.columns if str(c).startswith("proba_")]
    if len(proba) <= 4 or "prediction" not in frame.columns or frame["prediction"].astype(str).str.contains("|", regex=False).any():
        return frame
    shown = frame.drop(columns=proba)
    shown["probability"] = frame[proba].max(axis=1)
    return shown


@app.command()
@_guard
def export(
    bundle: Path = typer.Argument(..., help="A bundle written by `cnn1d train` (or its run directory)."),
    format: str = typer.Option("onnx", "--format", help="onnx (numpy + onnxruntime run it) or litert (TFLite; needs the litert extra)."),
    out: Optional[Path] = typer.Option(None, "--out", help="The model file to write (default: the bundle's name "
                                       "with .onnx or .tflite); its manifest is written beside it as .json."),
    json_out: bool = typer.Option(False, "--json", help="Print path, manifest, max_abs_diff, label_agreement as JSON."),
) -> None:
    """Export a bundle to ONNX (or LiteRT), preprocessing included, and check it reproduces the bundle.

    Example: cnn1d export runs/gp/model.cnn1d        (writes runs/gp/model.onnx and runs/gp/model.json)

    Needs pip install "cnn1d\\[export]" (litert: "cnn1d\\[litert]"); the exported ONNX model runs with pip install
    "cnn1d\\[runtime]".
    """
    from .export import export as export_bundle

    console = _console(json_out)
    result = export_bundle(bundle, out, format=format, log=console.print)
    if json_out:
        _echo_json(result)
        return
    agreement = result["label_agreement"]
    console.print(f"wrote {result['path']} ({result['size_bytes'] / 1e6:.2f} MB) and {result['manifest']}")
    console.print(f"parity with the bundle: max abs diff {result['max_abs_diff']:.2e}"
                  + (f", label agreement {agreement:.3f}" if agreement is not None else "")
                  + f" over {sum(c['n'] for c in result['checks'])} inputs ({', '.join(c['inputs'] for c in result['checks'])})")


@app.command()
@_guard
def serve(
    models: list[str] = typer.Argument(..., help="Bundles (.cnn1d) or exported models (.onnx), as PATH or NAME=PATH; "
                                       "the name defaults to the file's stem."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (127.0.0.1: this machine only)."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    max_batch: int = typer.Option(64, "--max-batch", help="Most series per graph call when requests are batched."),
    max_wait_ms: float = typer.Option(5.0, "--max-wait-ms", help="How long a request waits for others to batch with."),
    engine: str = typer.Option("onnx", "--engine", help="onnx (onnxruntime; bundles are exported at start) or keras."),
    docs: bool = typer.Option(True, "--docs/--no-docs", help="Serve the /docs page (no outside assets)."),
) -> None:
    """Serve models over HTTP: POST /v1/models/NAME/predict with {"instances": [...]}.

    Example: cnn1d serve runs/gp/model.onnx --port 8000

    Needs pip install "cnn1d\\[serve]". Routes, request and answer forms: docs/deploy.md.
    """
    from .serve.app import serve as run_server

    run_server(models, host=host, port=port, max_batch=max_batch, max_wait_ms=max_wait_ms, engine=engine, docs=docs)


@app.command()
@_guard
def forecast(
    bundle: Path = typer.Argument(..., help="A forecaster bundle written by `cnn1d train --task forecast` (or its run directory)."),
    data: Optional[str] = typer.Argument(None, help="CSV with the history (same columns as in training), or a demo name."),
    data_option: Optional[str] = typer.Option(None, "--data", help=DATA_OPTION_HELP),
    out: Optional[Path] = typer.Option(None, "--out", help="Forecast table to write (.csv, .tsv, .json or .jsonl); a PNG plot is written beside it. Without it the table is printed."),
    horizon: Optional[int] = typer.Option(None, "--horizon", help="Steps ahead (at most the trained horizon)."),
    json_out: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Forecast past the end of each series: future timestamps, point forecasts, interval bounds, plot.

    Example: cnn1d forecast runs/temps/model.cnn1d temps.csv --horizon 24 --out forecast.csv
    """
    from .forecasting import forecast_bundle

    data = _one_data(data, data_option)
    frame = forecast_bundle(bundle, data, horizon=horizon, out=out)
    if json_out:
        _echo_json({"out": None if out is None else str(out), "plot": None if out is None else str(out.with_suffix(".png")),
                    "rows": len(frame), "forecast": frame.astype({"time": str}).to_dict(orient="records")})
        return
    console = _console(False)
    console.print(frame.to_string(index=False, max_rows=30))
    if out is not None:
        console.print(f"wrote {len(frame)} rows to {out} and a plot to {out.with_suffix('.png')}")


@app.command()
@_guard
def explain(
    bundle: Path = typer.Argument(..., help="A classifier, regressor, audio or text bundle (or its run directory)."),
    data: Optional[str] = typer.Argument(None, help="Data to explain (as for `cnn1d predict`)."),
    data_option: Optional[str] = typer.Option(None, "--data", help=DATA_OPTION_HELP),
    index: Optional[int] = typer.Option(None, "--index", help="Explain this one example (0-based). Default: all (CSV) or the first (PNG)."),
    method: str = typer.Option("auto", "--method", help="auto, cam, gradcam or ig (integrated gradients)."),
    target: Optional[str] = typer.Option(None, "--target", help="Explain this class instead of the predicted one."),
    out: Path = typer.Option(..., "--out", help="FILE.png (one example's attribution plot) or FILE.csv (the attribution matrix)."),
    label_column: Optional[str] = typer.Option(None, "--label-column", help="As for `cnn1d predict`."),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="Text models: the column holding the texts."),
    json_out: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Which time steps (frames, tokens) drove a prediction: a plot of one example, or every attribution as CSV.

    Example: cnn1d explain runs/gp/model.cnn1d GunPoint_TEST.tsv --index 3 --out explain.png
    """
    from .workflows import explain_bundle

    data = _one_data(data, data_option)
    summary = explain_bundle(bundle, data, out=out, index=index, method=method, target=target,
                             label_column=label_column, text_column=text_column)
    if json_out:
        _echo_json(summary)
        return
    _console(False).print(f"{summary['method']} attributions of {summary['rows']} example(s) written to {out}")


@app.command()
@_guard
def report(
    source: Path = typer.Argument(..., help="A run directory written by `cnn1d train`, or a bundle file."),
    data: Optional[str] = typer.Argument(None, help="Test data (default: the run's own test set)."),
    data_option: Optional[str] = typer.Option(None, "--test", "--data", help=TEST_OPTION_HELP),
    out: Optional[Path] = typer.Option(None, "--out", help="HTML file to write. Default: RUN_DIR/report.html."),
    json_out: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """One self-contained HTML page (no network needed to view it): model card, learning curves, metrics beside
    the baselines, confusion matrix, reliability diagram, attributions, residuals or backtest intervals.

    Example: cnn1d report runs/gp            (writes runs/gp/report.html)
    """
    from .evaluation.report import build_report

    console = _console(json_out)
    data = _one_data(data, data_option, required=False)
    path = build_report(source, data, out, log=lambda m: console.print(m))
    if json_out:
        _echo_json({"report": str(path), "bytes": path.stat().st_size})


@app.command()
@_guard
def generate(
    bundle: Path = typer.Argument(..., help="A language-model bundle written by `cnn1d train --task lm` (or its run directory)."),
    prompt: str = typer.Option("", "--prompt", help="Text to continue."),
    length: int = typer.Option(200, "--length", help="Tokens to generate."),
    temperature: float = typer.Option(1.0, "--temperature", help="Below 1: safer; above 1: more varied."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Sampling seed (repeatable output)."),
    json_out: bool = typer.Option(False, "--json", help="Print a JSON object."),
) -> None:
    """Generate text with a convolutional language model.

    Example: cnn1d generate runs/lm/model.cnn1d --prompt "the film " --length 200 --temperature 0.7 --seed 0
    """
    from .estimators.bundled import load
    from .errors import ConfigError

    model = load(bundle)
    if getattr(model, "task", None) != "lm":
        raise ConfigError(f"{bundle}: holds a {type(model).__name__}, not a language model")
    if length < 1:
        raise ConfigError("--length must be at least 1")
    text = model.generate(prompt, length=length, temperature=temperature, seed=seed)
    if json_out:
        _echo_json({"prompt": prompt, "text": text, "length": length, "temperature": temperature, "seed": seed})
    else:
        sys.stdout.write(text + "\n")


@app.command()
@_guard
def datasets() -> None:
    """List the embedded datasets (no network needed) and how to fetch others."""
    from rich.table import Table

    from .datasets import list_datasets

    table = Table(title="Embedded datasets (cnn1d train --data NAME)")
    table.add_column("name")
    table.add_column("description")
    for info in list_datasets():
        table.add_row(info.name, info.summary)
    from .forecasting import FORECAST_DEMOS
    from .workflows import TEXT_DEMOS

    for name, (_, target, summary) in FORECAST_DEMOS.items():
        table.add_row(name, f"forecasting ({target}): {summary}")
    for name, (*_, summary) in TEXT_DEMOS.items():
        table.add_row(name, f"text classification: {summary}")
    console = _console(False)
    console.print(table)
    console.print("Any other UCR/UEA archive name (e.g. ECG200) is downloaded once into ~/.cache/cnn1d "
                  "(set CNN1D_CACHE to change it).")


@app.command()
@_guard
def models() -> None:
    """List the registered models."""
    from rich.table import Table

    from .models import ENSEMBLES, MIXED_ENSEMBLES, get, list_models

    table = Table(title="Models (cnn1d train --model NAME)")
    for col in ("name", "data", "any length", "description", "reference"):
        table.add_column(col)
    for spec in sorted(list_models(), key=lambda m: (m.modality, m.name)):
        table.add_row(spec.name, spec.modality, "yes" if spec.variable_length else "no", spec.summary, spec.paper)
    for name, (member, count, summary) in sorted(ENSEMBLES.items()):
        table.add_row(name, "series", "yes" if get(member).variable_length else "no", f"ensemble of {count} x {member}", summary)
    for name, (members, summary) in sorted(MIXED_ENSEMBLES.items()):
        table.add_row(name, "series", "yes" if all(get(m).variable_length for m, _ in members) else "no",
                      f"{' and '.join(m for m, _ in members)}, geometric mean", summary)
    _console(False).print(table)


def main() -> None:
    import warnings

    # NumPy's RuntimeWarnings (an all-missing channel, a constant series) print several lines of noise
    # for conditions the readers already report in one line; --debug shows them.
    if "--debug" not in sys.argv:
        warnings.filterwarnings("ignore", category=RuntimeWarning)
    from .errors import InputWarning

    # The commands report these in their own `warnings` (stderr and --json) already.
    warnings.filterwarnings("ignore", category=InputWarning)
    from .io_utils import private_matplotlib_home

    private_matplotlib_home()
    app(prog_name="cnn1d")


if __name__ == "__main__":
    main()
