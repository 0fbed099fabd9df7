"""The Dask executor against a real local cluster: a scheduler and 2 workers, each its own process, on 127.0.0.1."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

from cnn1d.errors import ConfigError  # noqa: E402
from cnn1d.training import executor  # noqa: E402

from .conftest import FAST, REPO  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    logs = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    # Workers import this test module's helpers by name: the checkout is on their path.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    processes = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                   "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
                                  stdout=subprocess.DEVNULL, stderr=open(logs / "scheduler.log", "w"), env=env, cwd=logs)]
    processes.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "2",
                                       "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                                      stdout=subprocess.DEVNULL, stderr=open(logs / "workers.log", "w"), env=env,
                                      cwd=logs))
    from distributed import Client

    deadline = time.monotonic() + 60
    with Client(address, timeout=30, set_as_default=False) as client:
        while len(client.scheduler_info()["workers"]) < 2:
            assert time.monotonic() < deadline, (logs / "workers.log").read_text()[-2000:]
            time.sleep(0.2)
    yield address
    for process in reversed(processes):
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()


def test_addresses_are_checked():
    assert executor.check("127.0.0.1:8786") == "tcp://127.0.0.1:8786"
    assert executor.check("local") == "local" and executor.check(None) is None
    for bad in ("cluster", "tcp://host", "http://x:1", ""):
        with pytest.raises(ConfigError, match="scheduler address"):
            executor.check(bad)


def test_no_scheduler_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(executor, "CONNECT_SECONDS", 1.0)
    with pytest.raises(ConfigError, match="no Dask scheduler answered"):
        with executor.open_executor(f"tcp://127.0.0.1:{_free_port()}", 1, 1):
            pass


def test_ensemble_on_the_cluster_matches_the_local_executor(cluster, gunpoint):
    import cnn1d

    train, test = gunpoint
    settings = {**FAST, "epochs": 4, "ensemble": 2}
    local = cnn1d.CNNClassifier(**settings, n_jobs=2).fit(train)
    remote = cnn1d.CNNClassifier(**settings, executor=cluster).fit(train)
    assert [m["seed"] for m in remote.members_] == [0, 1]
    np.testing.assert_allclose(remote.predict_proba(test), local.predict_proba(test), atol=1e-6)


def test_a_small_study_on_the_cluster_matches_the_local_one(cluster, tmp_path):
    from cnn1d import tuning
    from cnn1d.config import RunConfig

    fixed = RunConfig(**{**FAST, "epochs": 3}).replace(seed=None)
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
