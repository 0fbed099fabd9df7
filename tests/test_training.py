import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cnn1d import CNNClassifier
from cnn1d.errors import ConfigError

from .conftest import FAST


def test_checkpoint_written_only_inside_out(tmp_path, gunpoint, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run"
    clf = CNNClassifier(**{**FAST, "out": str(out)}).fit(gunpoint[0])
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["status"] == "finished" and state["epoch"] == clf.epochs_ - 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    # a finished run keeps its final model beside the state (the per-epoch checkpoint files are removed)
    assert sorted(p.name for p in (out / "checkpoint").iterdir()) == ["final.keras", "state.json"]
    assert state["last_model"] == "final.keras"
    with pytest.raises(ConfigError, match="already holds a run"):
        CNNClassifier(**{**FAST, "out": str(out)}).fit(gunpoint[0])
    # Resuming a finished network (an ensemble member that ended before a kill) reuses it as it ended.
    again = CNNClassifier(**{**FAST, "out": str(out)}, resume=True).fit(gunpoint[0])
    assert np.array_equal(again.predict_proba(gunpoint[1]), clf.predict_proba(gunpoint[1]))


TINY = ["--model", "cnn", "--model-params", '{"blocks": 1, "filters": 8, "dense": 16}', "--epochs", "40",
        "--seed", "0", "--validation-fraction", "0.2", "--patience", "1000", "--quiet", "--json"]


@pytest.mark.slow
def test_killed_and_resumed_run_ends_with_the_same_weights(tmp_path):
    import cnn1d

    env = {**os.environ, "CNN1D_CHECKPOINT_SECONDS": "0"}  # a checkpoint after every epoch
    base = [sys.executable, "-m", "cnn1d", "train", "--data", "gunpoint"]
    whole = subprocess.run(base + TINY + ["--out", str(tmp_path / "whole")], env=env, capture_output=True, text=True,
                           timeout=300)
    assert whole.returncode == 0, whole.stderr[-2000:]
    out = tmp_path / "killed"
    proc = subprocess.Popen(base + TINY + ["--out", str(out)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    state_file = out / "checkpoint" / "state.json"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            if json.loads(state_file.read_text())["epoch"] >= 10:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = json.loads(state_file.read_text())["epoch"]
    assert 10 <= killed_at < 39, "the run was not killed mid-way"
    # The README's form: no other flags; the run continues with the settings it recorded.
    resumed = subprocess.run(base + ["--out", str(out), "--resume", "--json", "--quiet"], env=env,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert json.loads(resumed.stdout)["epochs"] == 40
    history = json.loads(state_file.read_text())["history"]
    assert len(history["loss"]) == 40  # the epochs before the kill were kept
    a = cnn1d.load(tmp_path / "whole" / "model.cnn1d").model_.get_weights()
    b = cnn1d.load(out / "model.cnn1d").model_.get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_resume_refuses_other_settings_and_empty_runs(tmp_path):
    from cnn1d.workflows import resume_config, run
    from cnn1d.config import RunConfig

    with pytest.raises(ConfigError, match="holds no run"):
        run(RunConfig(out=str(tmp_path / "nothing")), resume=True)
    assert not (tmp_path / "nothing").exists()
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "config.toml").write_text('task = "classify"\ndata = "gunpoint"\nmodel = "fcn"\nepochs = 5\n')
    with pytest.raises(ConfigError, match=r"--model 'resnet' \(the run used 'fcn'\)"):
        resume_config(RunConfig(out=str(tmp_path / "r"), model="resnet"))
    assert resume_config(RunConfig(out=str(tmp_path / "r"), model="fcn", verbose=1)).epochs == 5


DATA_PARALLEL = """
import json, sys
import numpy as np
import cnn1d
from cnn1d._backend import keras
train, test = cnn1d.datasets.load("gunpoint")
clf = cnn1d.CNNClassifier(model="fcn", model_params={"filters": (32, 64, 32)}, epochs=40, seed=0, devices=0,
                          class_weight="balanced",
                          validation_fraction=0.3, ensemble=2).fit(train)
loaded = cnn1d.load(clf.save(sys.argv[1]))
from cnn1d.forecasting import load_demo
forecaster = cnn1d.CNNForecaster(horizon=6, epochs=3, seed=0, devices=2,
                                 model_params={"filters": 8, "dilations": (1, 2)}).fit(load_demo("stocks"))
print(json.dumps({"devices": len(keras().distribution.list_devices()), "accuracy": clf.score(test),
                  "batch": clf.batch_size_, "same": bool(np.allclose(loaded.predict_proba(test), clf.predict_proba(test))),
                  "forecast_batch": forecaster.batch_size_,
                  "forecast_finite": bool(np.isfinite(forecaster.predict()["forecast"]).all())}))
"""


@pytest.mark.slow
def test_data_parallel_training_over_two_devices(tmp_path):
    # Two CPU devices stand in for two GPUs: the same DataParallel code path shards every batch.
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "KERAS_BACKEND": "jax"}
    res = subprocess.run([sys.executable, "-c", DATA_PARALLEL, str(tmp_path / "dp.cnn1d")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    result = json.loads(res.stdout.strip().splitlines()[-1])
    assert result["devices"] == 2 and result["batch"] % 2 == 0  # a multiple of the device count
    assert result["accuracy"] > 0.85 and result["same"]
    assert result["forecast_batch"] % 2 == 0 and result["forecast_finite"]  # forecasters share the path


def test_more_devices_than_visible_is_a_clear_error():
    from cnn1d.datasets import load

    train, _ = load("gunpoint")
    with pytest.raises(ConfigError, match=r"devices=64 but only \d+ device\(s\) are visible"):
        CNNClassifier(model="fcn", epochs=1, devices=64).fit(train)


@pytest.mark.slow
def test_resumed_ensemble_reuses_finished_members_and_starts_missing_ones(tmp_path):
    import shutil

    import cnn1d
    from cnn1d.config import RunConfig
    from cnn1d.workflows import run

    out = tmp_path / "ens"
    config = RunConfig(data="gunpoint", model="cnn", model_params={"blocks": 1, "filters": 4, "dense": 8}, epochs=3,
                       seed=0, ensemble=2, n_jobs=1, out=str(out))
    first = run(config, log=lambda m: None)
    before = cnn1d.load(out / "model.cnn1d").model_.get_weights()
    # As if the run was killed before member_1 began: its folder never existed.
    shutil.rmtree(out / "member_1")
    (out / "model.cnn1d").unlink()
    again = run(RunConfig(out=str(out), data="gunpoint"), resume=True, log=lambda m: None)
    after = cnn1d.load(out / "model.cnn1d").model_.get_weights()
    assert again["test_metrics"] == first["test_metrics"]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


def test_a_network_trains_under_its_own_xla_options_and_only_there(gunpoint):
    """The TCN's steps compile with YNNPACK kept to convolutions (2x faster epochs); FCN's with JAX's defaults;
    the wrapper is gone after fit, and options this jaxlib refuses are dropped rather than failing the run."""
    import functools

    import jax
    from keras.src.backend.jax import trainer as jax_trainer

    from cnn1d._backend import YNN_CONVOLUTIONS_ONLY, xla_compiler_options
    from cnn1d.models import registry

    seen = {}
    real_fit = None

    def recording_fit(self, *args, **kwargs):
        seen[self.name] = jax_trainer.jit
        return real_fit(self, *args, **kwargs)

    import keras

    real_fit = keras.Model.fit
    keras.Model.fit = recording_fit
    try:
        for model in ("tcn", "fcn"):
            CNNClassifier(**{**FAST, "model": model, "model_params": {"filters": 8} if model == "tcn" else {}}).fit(gunpoint[0])
    finally:
        keras.Model.fit = real_fit
    assert isinstance(seen["tcn"], functools.partial) and seen["tcn"].keywords["compiler_options"] == YNN_CONVOLUTIONS_ONLY
    assert seen["fcn"] is jax.jit and jax_trainer.jit is jax.jit
    assert registry.compiler_options("causal_lm") == YNN_CONVOLUTIONS_ONLY and registry.compiler_options("no_such") == {}
    with xla_compiler_options({"xla_no_such_option": "1"}):
        assert jax_trainer.jit is jax.jit


def test_a_class_seen_once_stays_in_training_and_the_others_stay_stratified():
    """One class with a single example turned stratification off for every class, and the example could land
    in the held-out set, where the model had never seen its class."""
    from cnn1d.training.splits import split_indices

    labels = np.array(["a"] * 20 + ["b"] * 20 + ["c"])
    for seed in range(10):
        kept, held = split_indices(len(labels), 0.25, seed=seed, labels=labels)
        assert 40 in kept and len(held) == 10 and sorted(np.concatenate([kept, held]).tolist()) == list(range(41))
        assert (labels[held] == "a").sum() == 5  # stratified: half of the held-out examples from each class


def test_the_cli_says_a_class_seen_once_cannot_be_tested(tmp_path, gunpoint):
    from typer.testing import CliRunner

    from cnn1d.cli import app

    train = gunpoint[0]
    labels = [*train.y[:30].tolist(), "3"]
    odd = tmp_path / "odd.tsv"
    odd.write_text("".join(f"{y}\t" + "\t".join(f"{v:.4f}" for v in row) + "\n"
                           for y, row in zip(labels, train.values[:31, :, 0])))
    res = CliRunner().invoke(app, ["train", "--data", str(odd), "--model", "minirocket", "--model-params",
                                   '{"n_features": 168}', "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    assert "1 class(es) have one example ('3'): kept for training" in res.output


def test_a_validation_fraction_that_cannot_be_made_is_refused(tmp_path, gunpoint):
    """--validation-fraction 0.99 (or 0.01) trained with no validation split and said nothing: a flag that
    silently did nothing. Refused before the run directory exists, naming the range that works."""
    from typer.testing import CliRunner

    from cnn1d.cli import app
    from cnn1d.estimators.base import validation_count

    assert validation_count(50, None) == 0 and validation_count(500, None) == 100 and validation_count(50, 0.2) == 10
    for fraction, advice in (("0.99", "at most 0.96"), ("0.01", "at least 0.02")):
        res = CliRunner().invoke(app, ["train", "--model", "fcn", "--epochs", "1", "--validation-fraction", fraction,
                                       "--out", str(tmp_path / fraction)])
        assert res.exit_code == 1 and advice in res.output and not (tmp_path / fraction).exists(), res.output
    with pytest.raises(ConfigError, match="holds out 50 and trains on 0"):
        CNNClassifier(model="fcn", epochs=1, validation_fraction=0.99).fit(gunpoint[0])


def test_a_kill_between_the_model_and_the_state_resumes_to_the_same_weights(tmp_path, gunpoint, monkeypatch):
    """The checkpoint wrote the model, then the state, both under fixed names: a kill between the two left the
    state of epoch N-1 beside the model of epoch N, and the resumed run ended with other weights (the killed-
    and-resumed test failed now and then under load). Each checkpoint's files now have their own names."""
    from cnn1d.training import trainer

    monkeypatch.setattr(trainer, "CHECKPOINT_SECONDS", 0.0)
    settings = {**FAST, "epochs": 8}
    whole = CNNClassifier(**{**settings, "out": str(tmp_path / "whole")}).fit(gunpoint[0])
    real, writes = trainer.atomic_write_text, []

    class Killed(Exception):
        pass

    def killed_before_the_third_state(path, text, *args, **kwargs):
        if Path(path).name == trainer.STATE_FILE:
            writes.append(path)
            if len(writes) == 3:
                raise Killed
        return real(path, text, *args, **kwargs)

    monkeypatch.setattr(trainer, "atomic_write_text", killed_before_the_third_state)
    with pytest.raises(Killed):
        CNNClassifier(**{**settings, "out": str(tmp_path / "killed")}).fit(gunpoint[0])
    monkeypatch.setattr(trainer, "atomic_write_text", real)
    assert json.loads((tmp_path / "killed" / "checkpoint" / "state.json").read_text())["epoch"] == 1
    resumed = CNNClassifier(**{**settings, "out": str(tmp_path / "killed")}, resume=True).fit(gunpoint[0])
    assert resumed.epochs_ == whole.epochs_
    assert all(np.array_equal(a, b) for a, b in zip(whole.model_.get_weights(), resumed.model_.get_weights()))
