"""Where embarrassingly parallel work runs (ensemble members, tuning trials, benchmark datasets): worker
processes on this machine (``local``, the default), or the workers of a Dask cluster given by its
scheduler's address (``tcp://HOST:PORT``).

Why Dask rather than Ray (measured on this 2-core machine, Python 3.11, December 2026 wheels): the
``distributed`` install is 53 MB against Ray's 268 MB; a scheduler with 2 worker processes starts in 0.7 s
against Ray's 2.4-3.4 s; a trivial task costs 1.7 ms against 0.7 ms, which is nothing beside tasks that
train networks for seconds to minutes. Dask hands back a task's exception as itself, re-runs a task whose
worker died on another worker, and its ``Client`` is a ``concurrent.futures``-style executor, so the local
and the cluster paths are the same code. It is an existing engine: cnn1d schedules nothing itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, Callable, Iterable, Iterator

from ..errors import ConfigError

LOCAL = "local"
# A task that raised is run again this many times (a worker that died is handled by Dask itself: its
# tasks move to other workers, up to distributed.scheduler.allowed-failures times).
RETRIES = 1
CONNECT_SECONDS = 10.0
# With no worker at all for this long, the work is reported as failed rather than waited on forever.
NO_WORKER_SECONDS = 60.0
PARENT_POLL_SECONDS = 1.0  # how soon a local worker notices that its parent process is gone


def check(spec: str | None) -> str | None:
    """``None``/``local``, or a scheduler address (``tcp://HOST:PORT``, ``tls://...``, ``HOST:PORT``)."""
    if spec is None or spec == LOCAL:
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"executor must be 'local' or a Dask scheduler address such as tcp://10.0.0.5:8786, got {spec!r}")
    address = spec if "://" in spec else f"tcp://{spec}"
    scheme, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme not in ("tcp", "tls", "ucx", "inproc") or not host or not port.isdigit():
        raise ConfigError(f"executor {spec!r}: give 'local' or a Dask scheduler address such as tcp://10.0.0.5:8786")
    return address


def is_cluster(spec: str | None) -> bool:
    return check(spec) not in (None, LOCAL)


def limit_threads(threads: int) -> None:
    """Give this (worker) process ``threads`` CPU threads; must run before JAX or PyTorch start."""
    # A worker must never grab most of an accelerator's memory up front (JAX's default), whatever the
    # parent's environment said when it started.
    os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    # Each worker gets its share of the cores; without this every worker starts one thread per core.
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               f" --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={threads}").strip()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)


def _start_local_worker(threads: int) -> None:
    """A local worker's thread share, and its exit when the process that started it is gone: a killed
    ``cnn1d train`` must not leave members training on, unseen, for minutes."""
    import threading

    limit_threads(threads)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="cnn1d-parent-watch", daemon=True).start()


def _in_cluster_worker(fn: Callable, threads: int, *args: Any) -> Any:
    # A Dask worker runs tasks in threads of one long-lived process: its thread share can only be set
    # before the first task imports JAX there.
    if "jax" not in sys.modules and "torch" not in sys.modules:
        limit_threads(threads)
    return fn(*args)


class ClusterPool:
    """The part of ``concurrent.futures.Executor`` cnn1d uses (``submit``, ``map``), on a Dask client."""

    def __init__(self, client, threads: int):
        self.client = client
        self.threads = threads

    def submit(self, fn: Callable, *args: Any):
        return self.client.submit(_in_cluster_worker, fn, self.threads, *args, pure=False, retries=RETRIES)

    def map(self, fn: Callable, *iterables: Iterable) -> Iterator[Any]:
        futures = [self.submit(fn, *args) for args in zip(*iterables)]
        self.wait(futures)
        return (result(future) for future in futures)

    def wait(self, futures: list) -> None:
        for _ in self.as_completed(futures):
            pass

    def as_completed(self, futures: list) -> Iterator[Any]:
        """The futures as they finish; a cluster left with no worker for NO_WORKER_SECONDS is an error."""
        pending, alone_since, pause = list(futures), None, 0.005
        while pending:
            done = [future for future in pending if future.done()]
            for future in done:
                pending.remove(future)
                yield future
            if done:
                pause = 0.005
                continue
            time.sleep(pause)
            pause = min(0.5, pause * 2)  # short tasks come back quickly; long ones are not polled hard
            if self.client.scheduler_info().get("workers"):
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since > NO_WORKER_SECONDS:
                for future in pending:
                    future.cancel()
                raise ConfigError(f"the Dask cluster at {self.client.scheduler.address} has had no worker for "
                                  f"{NO_WORKER_SECONDS:.0f} s; {len(pending)} task(s) did not run. Start workers "
                                  "(dask worker ADDRESS) or use --executor local")


def result(future) -> Any:
    """A future's result; a task whose workers kept dying is reported as such, not as Dask's internals."""
    try:
        return future.result()
    except Exception as exc:
        if type(exc).__name__ != "KilledWorker":
            raise
        raise ConfigError(f"a task was attempted on several Dask workers and each one died while running it ({exc}); "
                          "a worker running out of memory is the usual cause: give workers more memory, or "
                          "train fewer members at once (--n-jobs)") from None


@contextlib.contextmanager
def open_executor(spec: str | None, workers: int, threads: int):
    """A pool for independent tasks: ``workers`` local processes of ``threads`` threads each, or the Dask
    cluster at ``spec`` (its own workers; each task's process gets ``threads`` threads if it starts there)."""
    address = check(spec)
    if address in (None, LOCAL):
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start_local_worker,
                                 initargs=(threads,)) as pool:
            yield pool
        return
    from distributed import Client

    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"executor {address}: no Dask scheduler answered within {CONNECT_SECONDS:.0f} s ({exc}). "
                          "Start one (dask scheduler; dask worker ADDRESS) or use --executor local") from None
    try:
        yield ClusterPool(client, threads)
    finally:
        client.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def local_cluster(workers: int, log_dir: str | os.PathLike, env: dict | None = None, stop_seconds: float = 10.0):
    """A real Dask cluster on 127.0.0.1 for trying ``--executor`` here: a scheduler and ``workers`` workers of
    one thread, each its own process (``env``: their environment). Yields the address once every worker
    has joined; stops them all on exit. Their logs go to ``log_dir``."""
    import subprocess
    from pathlib import Path

    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = Path(log_dir)
    commands = [[sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                 "--no-dashboard"]]
    if workers:
        commands.append([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", str(workers),
                         "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"])
    processes = []
    try:
        for command, name in zip(commands, ("scheduler", "workers")):
            processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env, cwd=logs,
                                              stderr=open(logs / f"{name}.log", "w")))
        deadline = time.monotonic() + 60
        with Client(address, timeout=30, set_as_default=False) as client:
            while len(client.scheduler_info()["workers"]) < workers:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the local Dask cluster did not start: {(logs / 'workers.log').read_text()[-2000:]}")
                time.sleep(0.2)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=stop_seconds)
            except subprocess.TimeoutExpired:
                process.kill()


def cluster_workers(spec: str) -> int:
    """How many workers (thread slots) the cluster at ``spec`` has now."""
    from distributed import Client

    with Client(check(spec), timeout=CONNECT_SECONDS, set_as_default=False) as client:
        return sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values()) or 1


__all__ = ["LOCAL", "check", "is_cluster", "limit_threads", "open_executor", "cluster_workers", "ClusterPool",
           "local_cluster", "free_port"]
