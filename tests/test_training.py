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
