import json
import socket
import subprocess
import sys

import pytest

optuna = pytest.importorskip("optuna")

from cnn1d import models, tuning  # noqa: E402
from cnn1d.config import RunConfig  # noqa: E402
from cnn1d.errors import ConfigError  # noqa: E402

from .conftest import FAST  # noqa: E402


def test_default_spaces_come_from_the_registry():
    series = tuning.default_space("series")
    assert set(series["model"]) == {"fcn", "hydra", "inception", "lite", "minirocket", "resnet"}
    assert series["model_params"]["lite"] == models.get("lite").search
    audio = tuning.default_space("audio")
    assert "m5" in audio["model"] and "tdfb" not in audio["model"] and audio["front_end"] == ["log_mel", "mfcc"]
    text = tuning.default_space("text")
    assert set(text["model"]) == {"textcnn", "dilated_textcnn", "charcnn"} and text["tokens"] == ["word", "char", "subword"]


def test_a_space_file_replaces_parts_and_what_the_user_set_is_never_searched(tmp_path):
    path = tmp_path / "space.toml"
    path.write_text('model = ["fcn"]\nlearning_rate = {low = 1e-3, high = 1e-2, log = true}\n'
                    '[model_params.fcn]\nkernel_sizes = [[3, 3, 3]]\n')
    space = tuning.merge_space("series", tuning.read_space(path), fixed={"batch_size": 8})
    assert space["model"] == ["fcn"] and "batch_size" not in space
    assert space["model_params"]["fcn"]["kernel_sizes"] == [[3, 3, 3]]
    assert space["model_params"]["fcn"]["filters"] == models.get("fcn").search["filters"]  # kept from the registry
    fixed_params = tuning.merge_space("series", None, fixed={"model": "lite", "model_params": {"filters": 8}})
    assert fixed_params["model"] == ["lite"] and set(fixed_params["model_params"]["lite"]) == {"kernel_size"}


@pytest.mark.parametrize("override, message", [
    ({"data": ["x.csv"]}, "cannot be searched"),
    ({"model_params": {"lite": {"depth": [1, 2]}}}, "has no parameter"),
    ({"learning_rate": {"low": 0.1, "high": 0.01}}, "low = A"),
    ({"learning_rate": []}, "empty list"),
    ({"model": ["fcn"], "model_params": {"lite": {"filters": [8]}}}, "does not try"),
    ({"model": ["nope"]}, "unknown model"),
])
def test_bad_search_spaces_are_refused_by_name(override, message):
    with pytest.raises(ConfigError, match=message):
        tuning.merge_space("series", override, fixed={})


def test_sampling_decodes_list_valued_choices():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    fields, params = tuning.sample(trial, tuning.merge_space("series", {"model": ["fcn"]}, {}))
    assert fields["model"] == "fcn" and params["filters"] in models.get("fcn").search["filters"]
    assert trial.params["fcn.filters"] == json.dumps(params["filters"])  # Optuna sees the choice as text
    assert 1e-4 <= fields["learning_rate"] <= 1e-2 and fields["batch_size"] in (4, 8, 16, 32, 64)


def _plan(**changes) -> tuning.Plan:
    base = RunConfig(data="gunpoint", model="cnn", model_params=FAST["model_params"], epochs=20, seed=0)
    space = tuning.merge_space("series", {"model": ["cnn"], "learning_rate": [1e-3], "batch_size": [16],
                                          "augment": [0]}, fixed={})
    values = dict(base=base, kind="series", task="classify", space=space, trials=1, trial_seconds=None,
                  deadline=None, study="s", storage="", monitor="val_accuracy", direction="maximize")
    return tuning.Plan(**{**values, **changes})


def test_the_search_starts_from_the_default_network():
    space = tuning.merge_space("series", None, fixed={})
    plan = _plan(base=RunConfig(data="gunpoint", seed=0), space=space)
    first = tuning.default_params(plan)
    # MiniRocket with the default's pooling and no augmentation; a closed-form fit has no learning rate or
    # batch size, so its trials do not search them.
    assert first == {"model": "minirocket", "augment": 0,
                     "minirocket.pooling": '["ppv", "mpv"]', "minirocket.difference": False}
    import optuna

    trial = optuna.create_study().ask()
    fields, _ = tuning.sample(trial, space | {"model": ["minirocket"]})
    assert "learning_rate" not in fields and "batch_size" not in fields and "augment" in fields
    text = tuning.merge_space("text", None, fixed={})
    assert tuning.default_params(_plan(kind="text", space=text, base=RunConfig(data="rotten-tomatoes"))) == {
        "model": "textcnn", "tokens": "word", "learning_rate": 5e-4, "batch_size": 50, "textcnn.embedding_dim": 128,
        "textcnn.filters": 100, "textcnn.dropout": 0.5, "textcnn.ngrams": 1}


def test_a_forecasting_search_starts_from_the_default_forecaster():
    from cnn1d.estimators.forecaster import FORECAST_BATCH, FORECAST_TCN

    space = tuning.merge_space("forecast", None, fixed={})
    assert space["model"] == ["tcn", "fcn", "resnet"] and "augment" not in space
    assert "tcn" not in tuning.default_space("series")["model"]  # its space is for forecasting windows
    plan = _plan(kind="forecast", task="forecast", space=space, monitor="val_loss", direction="minimize",
                 base=RunConfig(task="forecast", data="stocks", horizon=6, seed=0))
    first = tuning.default_params(plan)
    assert first == {"model": "tcn", "learning_rate": 1e-3, "batch_size": FORECAST_BATCH,
                     "tcn.filters": FORECAST_TCN["filters"], "tcn.kernel_size": 3,
                     "tcn.dropout": FORECAST_TCN["dropout"], "tcn.norm": "layer"}


def test_tune_searches_forecasters_on_the_series_before_the_backtest(tmp_path):
    space = tmp_path / "space.toml"
    space.write_text('model = ["tcn"]\nbatch_size = [64]\n[model_params.tcn]\nfilters = [8]\nkernel_size = [2]\n'
                     'dropout = [0.0]\nnorm = ["none"]\n')
    said = []
    result = tuning.tune("stocks", task="forecast", horizon=6, epochs=2, trials=2, folds=1, seed=0, out=tmp_path / "t",
                         space=space, log=said.append)
    summary = result.summary
    assert summary["task"] == "forecast" and summary["objective"] == "val_loss" and summary["n_trials"] == 2
    assert {"mase", "coverage"} <= set(summary["test_metrics"]) and "mase" in summary["default_test_metrics"]
    assert "seasonal_naive" in summary["baseline_metrics"]
    assert any("steps before the backtest" in line for line in said)
    replay = RunConfig.from_file(summary["config"])
    assert replay.task == "forecast" and replay.horizon == 6 and replay.model == "tcn"
    assert replay.model_params == {"filters": 8, "kernel_size": 2, "dropout": 0.0, "norm": "none"}
    assert result.estimator.predict().shape[0] == 5 * 6
    # The searched parameters change the forecasting TCN (dilations to 16), not the classification one (to 32).
    dilations = {layer.dilation_rate[0] for layer in _layers(result.estimator.model_) if hasattr(layer, "dilation_rate")}
    assert max(dilations) == 16


def _layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


class AlwaysPrune(optuna.pruners.BasePruner):
    def prune(self, study, trial) -> bool:
        return True


def test_the_keras_pruning_callback_stops_a_hopeless_trial_after_its_first_epoch():
    study = optuna.create_study(direction="maximize", pruner=AlwaysPrune())
    study.optimize(lambda trial: tuning.objective(trial, _plan()), n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert list(trial.intermediate_values) == [0]  # reported val_accuracy once, then stopped


def test_a_trial_scores_the_validation_split_never_the_test_set():
    study = optuna.create_study(direction="maximize")
    study.optimize(lambda trial: tuning.objective(trial, _plan(base=_plan().base.replace(epochs=2))), n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE and 0 <= trial.value <= 1
    # GunPoint's 50 training series: a fifth held out for validation (10), a multiple of 0.1
    assert round(trial.value * 10, 6) == round(trial.value * 10)
    assert trial.user_attrs["settings"]["model"] == "cnn" and trial.user_attrs["epochs"] == 2


def test_a_text_trial_scores_the_cnn_joined_to_its_ngram_path():
    space = tuning.merge_space("text", {"model": ["textcnn"], "tokens": ["word"], "batch_size": [64],
                                        "model_params": {"textcnn": {"embedding_dim": [16], "filters": [8],
                                                                     "ngrams": [1]}}}, fixed={})
    base = RunConfig(data="chatterbot-topics", epochs=2, seed=0)
    study = optuna.create_study(direction="maximize")
    study.optimize(lambda trial: tuning.objective(trial, _plan(kind="text", space=space, base=base)), n_trials=1)
    trial = study.trials[0]
    seen = trial.user_attrs["validation_accuracy"]
    assert trial.state == optuna.trial.TrialState.COMPLETE and trial.value == seen["combined"]
    assert seen["combined"] >= seen["cnn"]  # 2 epochs of a tiny CNN: the n-gram regression carries it


def test_a_trial_left_running_by_a_killed_process_is_failed_and_queued_again(tmp_path):
    storage = tuning.storage_of(str(tmp_path / "study.journal"))
    study = optuna.create_study(storage=storage, study_name="s")
    trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("pid", gone.pid)
    said = []
    tuning._fail_stale_trials(study, said.append)
    states = [t.state for t in study.get_trials()]
    assert states == [optuna.trial.TrialState.FAIL, optuna.trial.TrialState.WAITING]
    assert study.get_trials()[1].params == {} and "cut off" in said[0]
    assert study.get_trials()[1].system_attrs["fixed_params"] == trial.params


def test_a_budget_plans_trials_long_enough_to_rank_configurations():
    assert tuning.default_trials(None, 1) == 20
    assert tuning.default_trials(180, 1) == 5  # 108 s of search: about 20 s each
    assert tuning.default_trials(180, 2) == 10 and tuning.default_trials(30, 1) == 3
    assert tuning.default_trials(36000, 4) == 20


def test_tune_searches_multi_label_text_on_the_validation_loss(tmp_path):
    from importlib import resources

    import pandas as pd

    from cnn1d.data.text import read_text

    reviews = read_text(resources.files("cnn1d.data") / "embedded" / "rotten-tomatoes.csv.gz")
    texts = reviews.texts[:300]
    path = tmp_path / "tags.csv"
    pd.DataFrame({"text": texts, "fresh": (reviews.y[:300] == "fresh").astype(int),
                  "mentions_film": [int("film" in t.lower()) for t in texts]}).to_csv(path, index=False)
    space = tmp_path / "space.toml"
    space.write_text('model = ["textcnn"]\ntokens = ["word"]\nbatch_size = [64]\n[model_params.textcnn]\n'
                     'embedding_dim = [16]\nfilters = [8]\nngrams = [1]\n')
    result = tuning.tune(str(path), text_column="text", label_column="fresh,mentions_film", epochs=1, trials=2,
                         seed=0, out=tmp_path / "t", space=space, log=lambda m: None)
    summary = result.summary
    assert summary["objective"] == "val_loss" and summary["direction"] == "minimize" and summary["n_trials"] == 2
    assert {"micro_f1", "map"} <= set(summary["test_metrics"]) and "micro_f1" in summary["default_test_metrics"]
    assert result.estimator.multilabel_ and RunConfig.from_file(summary["config"]).label_column == "fresh,mentions_film"


def test_tune_refuses_what_it_cannot_search(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="language models"):
        tuning.tune("x.txt", task="lm", trials=1)
    with pytest.raises(ConfigError, match="ensemble"):
        tuning.tune("gunpoint", model="default", trials=1, log=lambda m: None)
    with pytest.raises(ConfigError, match="'minirocket_m5' is an ensemble"):
        tuning.tune("gunpoint", model="minirocket_m5", trials=1, log=lambda m: None)
    with pytest.raises(ConfigError, match="trials"):
        tuning.tune("gunpoint", trials=0)
    with pytest.raises(ConfigError, match="unknown model 'no-such-network'"):
        tuning.tune("gunpoint", trials=1, space={"model": ["no-such-network"]}, log=lambda m: None)
    assert list(tmp_path.iterdir()) == []  # a refused tune makes no run directory


@pytest.mark.slow
def test_tune_cli_in_two_processes_then_resumed_from_its_journal(tmp_path):
    from typer.testing import CliRunner

    from cnn1d.cli import app

    fixed = tmp_path / "fixed.toml"
    # The small "cnn" network (quick to compile) for trials, the best and the default run alike.
    fixed.write_text('model = "cnn"\nepochs = 2\n[model_params]\nblocks = 1\nfilters = 8\ndense = 16\n')
    space = tmp_path / "space.toml"
    space.write_text("batch_size = [16, 32]\naugment = [0]\nlearning_rate = {low = 1e-3, high = 1e-2, log = true}\n")
    out = tmp_path / "tune"
    res = CliRunner().invoke(app, ["tune", "--data", "gunpoint", "--trials", "2", "--jobs", "2", "--config", str(fixed),
                                   "--space", str(space), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert {"n_trials", "best_value", "best_params", "config", "test_metrics", "default_test_metrics"} <= set(result)
    assert 2 <= result["n_trials"] <= 3  # two processes may each finish the last one
    assert set(result["best_params"]) == {"model", "augment", "batch_size", "learning_rate"}
    replay = RunConfig.from_file(result["config"])
    assert replay.model == "cnn" and replay.epochs == 2 and replay.model_params == {"blocks": 1, "filters": 8, "dense": 16}
    assert replay.learning_rate == result["best_settings"]["learning_rate"]
    assert replay.batch_size == result["best_params"]["batch_size"]
    assert (out / "best" / "model.cnn1d").is_file() and (out / "default" / "model.cnn1d").is_file()
    assert (out / "history.png").stat().st_size > 1000 and (out / "trials.csv").is_file()
    assert 0 <= result["test_metrics"]["accuracy"] <= 1 and "accuracy" in result["default_test_metrics"]

    # Rerun with a larger --trials: the journal keeps the finished trials, one more runs.
    again = tuning.tune("gunpoint", trials=result["n_trials"] + 1, out=out, space=space,
                        config=RunConfig.from_file(fixed), log=lambda msg: None)
    assert again.summary["n_trials"] == result["n_trials"] + 1
    assert len(again.study.trials) == result["n_trials"] + 1
    import cnn1d

    assert 0 <= again.estimator.score(cnn1d.datasets.load("gunpoint")[1]) <= 1  # the best, fitted
    with pytest.raises(ConfigError, match="different"):
        tuning.tune("gunpoint", trials=9, out=out, space=space, config=RunConfig.from_file(fixed).replace(epochs=4),
                    log=lambda msg: None)


def test_a_best_trial_within_the_validation_noise_of_the_default_is_flagged():
    from types import SimpleNamespace

    def study_of(*values):
        study = optuna.create_study(direction="maximize")
        for v in values:
            study.add_trial(optuna.trial.create_trial(value=v, params={}, distributions={}))
        return study

    plan = SimpleNamespace(base=RunConfig(), kind="series")
    small = study_of(0.80, 0.85)  # ECG200: 20 validation series, one series apart
    note = tuning._within_noise(small, small.best_trial, "val_accuracy", plan, range(100))
    assert "by 1 of 20 validation examples" in note and "default_test_metrics" in note
    large = study_of(0.80, 0.90)  # 400 validation examples: 40 apart is well clear of the noise
    assert tuning._within_noise(large, large.best_trial, "val_accuracy", plan, range(2000)) is None
    same = study_of(0.85, 0.80)  # the default network is the best: nothing to say
    assert tuning._within_noise(same, same.best_trial, "val_accuracy", plan, range(100)) is None
    assert tuning._within_noise(small, small.best_trial, "val_loss", plan, range(100)) is None
