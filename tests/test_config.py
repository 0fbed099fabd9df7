"""One source of truth: every `cnn1d train` flag reaches the estimator of the task at hand or is refused."""

import inspect
import json

import pytest

from cnn1d.config import DATA_FIELDS, RunConfig, estimator_parameters
from cnn1d.errors import ConfigError

SAMPLE = {
    "model": "fcn", "model_params": {"filters": 8}, "epochs": 300, "max_time": 30.0, "seed": 3, "out": "x",
    "batch_size": 9, "learning_rate": 0.002, "validation_fraction": 0.3, "patience": 4, "lr_patience": 3,
    "min_learning_rate": 1e-5, "scaling": "series", "imputation": "mean", "mask_channel": "yes",
    "class_weight": "balanced", "calibrate": True, "label_column": "lab", "header": True, "layout": "wide", "id_column": "sid",
    "ensemble": 2, "n_jobs": 1, "devices": 2, "target": "t", "time_column": "ts", "freq": "B", "aggregate": "mean", "calendar": "observations", "horizon": 5, "lookback": 10,
    "season": 7, "level": 0.8, "calendar_features": False, "folds": 2, "covariates": ["c"], "text_column": "txt",
    "group_column": "g", "tokens": "char", "max_tokens": 500, "sequence_length": 20, "augment": 1,
    "front_end": "mfcc", "sample_rate": 16000, "channels": "keep", "duration": 1.0, "embeddings": "v.txt",
    "context": 64, "linear_ngrams": False, "executor": "tcp://127.0.0.1:8786", "coordinator": "10.0.0.1:1234", "num_processes": 2,
    "process_id": 1,
}
# Set together or not at all.
MULTI_PROCESS = ("coordinator", "num_processes", "process_id")
# (task label, base config, whether the data is audio)
TASKS = {
    "classify": (dict(task="classify", data="gunpoint"), False),
    "regress": (dict(task="regress", data="targets.ts"), False),
    "tag": (dict(task="tag", data="spoken-digit-tags"), True),
    "audio": (dict(task="classify", data="spoken-digits"), True),
    "forecast": (dict(task="forecast", data="co2"), False),
    "text": (dict(task="classify", data="rotten-tomatoes"), False),
    "lm": (dict(task="lm", data="corpus.txt"), False),
}


def cli_flags() -> list[str]:
    from cnn1d.cli import TRAIN_ACTIONS, train

    return [n for n in inspect.signature(train).parameters if n not in TRAIN_ACTIONS]


def outcome(task: str, name: str) -> str:
    """``reached`` (the estimator got the value, or the data reader of this task takes the setting) or
    ``refused`` (a ConfigError naming the flag)."""
    from cnn1d import workflows

    base, audio = TASKS[task]
    given = [n for n in MULTI_PROCESS] if name in MULTI_PROCESS else [name]
    config = RunConfig(**base).replace(**{n: SAMPLE[n] for n in given})
    try:
        kind = workflows.run_kind(config)
        estimator = workflows.build_estimator(config, kind, config.task)
        if kind == "series":
            workflows.check_audio_fields(config, audio, config.data)
    except ConfigError as exc:
        assert "--" + name.replace("_", "-") in str(exc), str(exc)
        return "refused"
    if name in DATA_FIELDS:
        assert name in workflows.DATA_FIELDS_BY_KIND[kind]
        return "reached"
    assert estimator.get_params()[name] == SAMPLE[name], f"{name} did not reach {type(estimator).__name__}"
    return "reached"


def test_every_flag_is_a_config_field_and_every_field_a_flag():
    fields = {f for f in RunConfig.__dataclass_fields__ if f not in ("task", "data", "test", "verbose")}
    assert set(cli_flags()) - {"task", "data", "test"} == fields
    assert set(SAMPLE) == fields - {"task", "data", "test"}


def test_every_estimator_parameter_is_a_config_field():
    from cnn1d import CNNClassifier, CNNForecaster, CNNLanguageModel, CNNRegressor, CNNTextClassifier

    fields = set(RunConfig.__dataclass_fields__)
    for cls in (CNNClassifier, CNNRegressor, CNNForecaster, CNNTextClassifier, CNNLanguageModel):
        assert set(estimator_parameters(cls)) - {"resume"} <= fields, cls.__name__


@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_flag_reaches_the_estimator_or_is_refused(task):
    table = {name: outcome(task, name) for name in cli_flags() if name not in ("task", "data", "test")}
    # Spot checks of the table against what each task is for.
    expected_reached = {
        "classify": ["epochs", "class_weight", "ensemble", "augment", "label_column", "header", "scaling", "executor",
                     "coordinator", "process_id"],
        "regress": ["epochs", "ensemble", "scaling", "id_column"],
        "tag": ["front_end", "sample_rate", "duration", "channels", "epochs"],
        "audio": ["front_end", "augment", "ensemble"],
        "forecast": ["batch_size", "learning_rate", "patience", "validation_fraction", "horizon", "folds",
                     "covariates", "calendar_features", "devices", "ensemble"],
        "text": ["batch_size", "learning_rate", "patience", "validation_fraction", "epochs", "tokens",
                 "embeddings", "text_column", "group_column", "linear_ngrams"],
        "lm": ["batch_size", "learning_rate", "patience", "validation_fraction", "epochs", "tokens", "context"],
    }[task]
    expected_refused = {
        "classify": ["horizon", "tokens", "front_end", "target", "covariates", "linear_ngrams"],
        "regress": ["class_weight", "horizon", "context"],
        "tag": ["horizon", "embeddings"],
        "audio": ["folds", "tokens"],
        "forecast": ["class_weight", "tokens", "label_column", "front_end", "augment"],
        "text": ["ensemble", "devices", "augment", "front_end", "horizon", "scaling", "executor", "coordinator"],
        "lm": ["ensemble", "devices", "text_column", "embeddings", "horizon", "linear_ngrams"],
    }[task]
    assert all(table[n] == "reached" for n in expected_reached), {n: table[n] for n in expected_reached}
    assert all(table[n] == "refused" for n in expected_refused), {n: table[n] for n in expected_refused}


def test_a_default_valued_flag_is_not_mistaken_for_unset():
    from cnn1d import workflows

    config = RunConfig(task="classify", data="rotten-tomatoes", epochs=300)
    assert workflows.build_estimator(config, "text").epochs == 300  # the text default is 200


@pytest.mark.slow
def test_forecast_run_from_python_needs_no_cli_defaults(tmp_path):
    from cnn1d.forecasting import forecast_run

    result = forecast_run(RunConfig(task="forecast", data="seattle-weather", horizon=3, epochs=2, seed=0,
                                    out=str(tmp_path / "f"), model_params={"filters": 8, "dilations": [1, 2]}),
                          log=lambda m: None)
    assert result["epochs"] == 2 and result["model"] == "tcn"


def test_config_files_refuse_unknown_keys_and_bad_values(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text('epoch = 3\n')
    with pytest.raises(ConfigError, match=r"unknown config keys: epoch \(did you mean 'epochs'\?\)"):
        RunConfig.from_file(bad)
    bad.write_text('epochs = "many"\n')
    with pytest.raises(ConfigError, match="epochs must be a positive integer"):
        RunConfig.from_file(bad)
    assert RunConfig.from_dict(json.loads(RunConfig(epochs=3, tokens="char").to_json())).epochs == 3


# -- replay: `cnn1d train --config OUT/config.toml` reproduces the run ---------------------------------------
def _train(*args):
    from typer.testing import CliRunner

    from cnn1d.cli import app

    res = CliRunner().invoke(app, ["train", *[str(a) for a in args], "--json", "--quiet"])
    assert res.exit_code == 0, res.output[-2000:]
    return json.loads(res.stdout)


def _replays(tmp_path, *args):
    first = _train(*args, "--out", tmp_path / "first")
    config = tmp_path / "first" / "config.toml"
    again = _train("--config", config, "--out", tmp_path / "again")
    assert again["test_metrics"] == first["test_metrics"]
    assert (tmp_path / "again" / "config.toml").read_text() == config.read_text()
    return first


TINY_CNN = ["--model", "cnn", "--model-params", '{"blocks": 1, "filters": 8, "dense": 16}', "--seed", "0"]


@pytest.mark.slow
def test_replay_classify(tmp_path):
    _replays(tmp_path, "--data", "gunpoint", *TINY_CNN, "--epochs", "3")


@pytest.mark.slow
def test_replay_regress(tmp_path, gunpoint):
    import numpy as np

    train = gunpoint[0]
    rows = np.column_stack([train.values[:, :, 0].max(axis=1), train.values[:, :, 0]])
    path = tmp_path / "peaks.csv"
    header = "target," + ",".join(f"t{i}" for i in range(train.values.shape[1]))
    np.savetxt(path, rows, delimiter=",", header=header, comments="", fmt="%.6f")
    result = _replays(tmp_path, "--data", path, "--task", "regress", *TINY_CNN, "--epochs", "3")
    assert result["task"] == "regress" and "rmse" in result["test_metrics"]


@pytest.mark.slow
def test_replay_tag(tmp_path):
    result = _replays(tmp_path, "--data", "spoken-digit-tags", *TINY_CNN, "--epochs", "2", "--augment", "0")
    assert result["task"] == "tag"


@pytest.mark.slow
def test_replay_forecast(tmp_path):
    result = _replays(tmp_path, "--task", "forecast", "--data", "seattle-weather", "--horizon", "3", "--epochs", "2",
                      "--seed", "0", "--model-params", '{"filters": 8, "dilations": [1, 2]}', "--folds", "2")
    assert result["folds"] == 2 and result["epochs"] == 2


@pytest.mark.slow
def test_replay_text_with_flags_that_used_to_be_dropped(tmp_path):
    result = _replays(tmp_path, "--data", "chatterbot-topics", "--epochs", "1", "--batch-size", "64",
                      "--learning-rate", "0.002", "--patience", "5", "--validation-fraction", "0.2", "--seed", "0",
                      "--tokens", "char", "--max-tokens", "300", "--sequence-length", "64",
                      "--model-params", '{"filters": 16}')
    assert result["epochs"] == 1 and result["batch_size"] == 64 and result["tokens"] == "char"
    assert result["sequence_length"] == 64


@pytest.mark.slow
def test_replay_lm(tmp_path):
    from cnn1d.data.text import read_text
    from importlib import resources
    from pathlib import Path

    reviews = read_text(Path(str(resources.files("cnn1d.data") / "embedded" / "rotten-tomatoes.csv.gz")),
                        text_column="text", label_column="label", labels="required")
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(reviews.texts[:150]))
    result = _replays(tmp_path, "--task", "lm", "--data", corpus, "--epochs", "1", "--context", "16", "--seed", "0",
                      "--batch-size", "16", "--model-params", '{"filters": 16, "dilations": [1, 2]}')
    assert result["batch_size"] == 16
