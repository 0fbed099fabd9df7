"""The Dask executor against a real local cluster: a scheduler and 2 workers, each its own process, on 127.0.0.1."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

from cnn1d.errors import ConfigError  # noqa: E402
from cnn1d.training import executor  # noqa: E402

from .conftest import FAST, REPO, free_port  # noqa: E402


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    # Workers import this test module's helpers by name: the checkout is on their path.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with executor.local_cluster(2, tmp_path_factory.mktemp("dask"), env=env, stop_seconds=3) as address:
        yield address


def test_addresses_are_checked():
    assert executor.check("127.0.0.1:8786") == "tcp://127.0.0.1:8786"
    assert executor.check("local") == "local" and executor.check(None) is None
    for bad in ("cluster", "tcp://host", "http://x:1", ""):
        with pytest.raises(ConfigError, match="scheduler address"):
            executor.check(bad)


def test_no_scheduler_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(executor, "CONNECT_SECONDS", 1.0)
    with pytest.raises(ConfigError, match="no Dask scheduler answered"):
        with executor.open_executor(f"tcp://127.0.0.1:{free_port()}", 1, 1):
            pass


def test_ensemble_on_the_cluster_matches_the_local_executor(cluster, gunpoint):
    import cnn1d

    train, test = gunpoint
    settings = {**FAST, "epochs": 3, "ensemble": 2}
    # In-process members equal those of local worker processes (test_ensemble.py): the quick reference here.
    local = cnn1d.CNNClassifier(**settings, n_jobs=1).fit(train)
    remote = cnn1d.CNNClassifier(**settings, executor=cluster).fit(train)
    assert [m["seed"] for m in remote.members_] == [0, 1]
    np.testing.assert_allclose(remote.predict_proba(test), local.predict_proba(test), atol=1e-6)


def test_a_small_study_on_the_cluster_matches_the_local_one(cluster, tmp_path):
    from cnn1d import tuning
    from cnn1d.config import RunConfig

    fixed = RunConfig(**{**FAST, "epochs": 2}).replace(seed=None)
    space = {"learning_rate": {"low": 1e-3, "high": 1e-2, "log": True}, "batch_size": [16, 32], "augment": [0]}
    runs = {}
    for name, where in (("local", None), ("cluster", cluster)):
        runs[name] = tuning.tune("gunpoint", trials=2, seed=0, out=tmp_path / name, space=space, config=fixed,
                                 executor=where, log=lambda msg: None)
    local, remote = runs["local"].study.trials, runs["cluster"].study.trials
    assert [t.params for t in remote] == [t.params for t in local]
    assert [t.value for t in remote] == pytest.approx([t.value for t in local], abs=1e-6)
    assert runs["cluster"].summary["test_metrics"]["accuracy"] == pytest.approx(
        runs["local"].summary["test_metrics"]["accuracy"], abs=1e-6)


def kill_own_worker_once(marker: str) -> int:
    """The first attempt kills the worker process running it (as an out-of-memory kill would)."""
    if not Path(marker).exists():
        Path(marker).write_text("killed once")
        os.kill(os.getpid(), 9)
    return os.getpid()


def kill_own_worker_always(_: int) -> None:
    os.kill(os.getpid(), 9)


def test_a_task_whose_worker_dies_is_run_again_elsewhere(cluster, tmp_path):
    with executor.open_executor(cluster, 2, 1) as pool:
        pids = list(pool.map(kill_own_worker_once, [str(tmp_path / "marker")]))
    assert (tmp_path / "marker").exists() and pids[0] > 0


def test_a_task_that_kills_every_worker_is_reported_not_waited_on(cluster):
    started = time.monotonic()
    with pytest.raises(ConfigError, match="each one died"):
        with executor.open_executor(cluster, 2, 1) as pool:
            list(pool.map(kill_own_worker_always, [0]))
    assert time.monotonic() - started < 120  # bounded: Dask gives up after its allowed failures


def write_pid_and_sleep(path: str) -> None:
    Path(path).write_text(str(os.getpid()))
    time.sleep(120)


def test_local_workers_exit_when_their_parent_is_killed(tmp_path):
    pid_file = tmp_path / "worker.pid"
    parent = subprocess.Popen(
        [sys.executable, "-c", "from cnn1d.training import executor\n"
         "from tests.test_executor import write_pid_and_sleep\n"
         "with executor.open_executor('local', 1, 1) as pool:\n"
         f"    pool.submit(write_pid_and_sleep, {str(pid_file)!r}).result()\n"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        worker = int(pid_file.read_text())
    finally:
        parent.kill()  # SIGKILL: no clean-up runs in the parent
        parent.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(worker, 9)
    pytest.fail("the worker kept running after its parent was killed")


def test_a_cluster_without_workers_is_reported_not_waited_on(monkeypatch, tmp_path):
    monkeypatch.setattr(executor, "NO_WORKER_SECONDS", 1.0)
    with executor.local_cluster(0, tmp_path) as address:  # a scheduler alone
        with executor.open_executor(address, 1, 1) as pool:
            with pytest.raises(ConfigError, match="no worker for 1 s; 2 task"):
                list(pool.map(abs, [-1, -2]))


@pytest.mark.slow
def test_two_processes_train_like_one_process_with_two_devices(tmp_path):
    """jax.distributed over 127.0.0.1: 2 processes with one CPU device each against 1 process with 2 virtual CPU
    devices. They draw the same global batches, so the loss trajectories agree to float rounding (1e-5)."""
    import json

    port = free_port()
    common = [sys.executable, "-m", "cnn1d", "train", "--data", "gunpoint", "--model", "cnn", "--model-params",
              json.dumps(FAST["model_params"]), "--epochs", "4", "--seed", "0", "--validation-fraction", "0.2",
              "--json", "--quiet"]
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    procs = [subprocess.Popen(common + ["--devices", "0", "--coordinator", f"127.0.0.1:{port}", "--num-processes", "2",
                                        "--process-id", str(i)] + (["--out", str(tmp_path / "multi")] if i == 0 else []),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
             for i in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outputs]
    multi = [json.loads(out) for out, _ in outputs]  # stdout is one JSON object, Gloo's chatter went to stderr
    single = subprocess.run(common + ["--devices", "2", "--out", str(tmp_path / "single")], capture_output=True,
                            text=True, timeout=300, cwd=tmp_path,
                            env={**env, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    assert single.returncode == 0, single.stderr[-2000:]
    single = json.loads(single.stdout)
    assert multi[0]["n_devices"] == multi[1]["n_devices"] == single["n_devices"] == 2
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(multi[0]["history"][key], single["history"][key], rtol=1e-5)
        np.testing.assert_allclose(multi[1]["history"][key], multi[0]["history"][key], rtol=1e-5)
    # Only process 0 wrote a run directory; process 1 wrote nothing at all.
    assert multi[1]["bundle"] is None and (tmp_path / "multi" / "model.cnn1d").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["multi", "single"]
