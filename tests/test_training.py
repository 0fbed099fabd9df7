import json
import os
import signal
import subprocess
import sys
import time

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
    assert sorted(p.name for p in (out / "checkpoint").iterdir()) == ["best.weights.h5", "last.keras", "state.json"]
    with pytest.raises(ConfigError, match="already holds a run"):
        CNNClassifier(**{**FAST, "out": str(out)}).fit(gunpoint[0])
    with pytest.raises(ConfigError, match="finished run"):
        CNNClassifier(**{**FAST, "out": str(out)}, resume=True).fit(gunpoint[0])
    with pytest.raises(ConfigError, match="no checkpoint"):
        CNNClassifier(**{**FAST, "out": str(tmp_path / "empty")}, resume=True).fit(gunpoint[0])


def test_resume_continues_a_killed_run(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "cnn1d", "train", "--model", "fcn", "--epochs", "2000", "--seed", "1",
           "--out", str(out), "--quiet", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    state_file = out / "checkpoint" / "state.json"
    deadline = time.time() + 120
    while time.time() < deadline:
        if state_file.exists() and json.loads(state_file.read_text())["epoch"] >= 5:
            break
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = json.loads(state_file.read_text())["epoch"]
    assert killed_at >= 5, "the run never checkpointed"
    resumed = subprocess.run(cmd[:-2] + ["--resume", "--json", "--max-time", "6"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["epochs"] > killed_at + 1
    history = json.loads(state_file.read_text())["history"]
    assert len(history["loss"]) == result["epochs"]  # the resumed run kept the epochs before the kill


DATA_PARALLEL = """
import json, sys
import numpy as np
import cnn1d
from cnn1d._backend import keras
train, test = cnn1d.datasets.load("gunpoint")
clf = cnn1d.CNNClassifier(model="fcn", epochs=40, seed=0, devices=0, class_weight="balanced",
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
