import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
# The suite trains the same small networks in many tests, worker processes and CLI subprocesses; JAX's
# persistent compilation cache (keyed by the compiled program, not by layer names) compiles each once per run.
# A fresh directory per run (xdist's workers inherit it from the controller, which removes it at the end), so
# every run still compiles everything it uses at least once.
_JAX_CACHE = None
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    import tempfile

    _JAX_CACHE = tempfile.mkdtemp(prefix="cnn1d-tests-jax-")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = _JAX_CACHE
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")


def pytest_unconfigure(config):
    if _JAX_CACHE is not None:
        import shutil

        shutil.rmtree(_JAX_CACHE, ignore_errors=True)


REPO = Path(__file__).resolve().parents[1]

def _find_shared() -> Path:
    """The development datasets: $CNN1D_SHARED_DATA, else ../shared/data beside the checkout, else the
    workplace's /work/shared/data (a clean clone elsewhere still finds them)."""
    candidates = [os.environ.get("CNN1D_SHARED_DATA"), REPO.parent / "shared" / "data", "/work/shared/data"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "ucr" / "GunPoint").is_dir():
            return Path(candidate)
    return REPO.parent / "shared" / "data"


SHARED = _find_shared()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED / "ucr" / "GunPoint").is_dir():
        pytest.skip(f"development datasets not found at {SHARED} (set CNN1D_SHARED_DATA)")
    return SHARED


@pytest.fixture(scope="session")
def gunpoint():
    import cnn1d

    return cnn1d.datasets.load("gunpoint")


@pytest.fixture(scope="session")
def basicmotions():
    import cnn1d

    return cnn1d.datasets.load("basicmotions")


@pytest.fixture(scope="session")
def italy_regression(shared_data):
    """A real regression task: predict ItalyPowerDemand's last hourly reading from the first 23."""
    from cnn1d.data.readers import read

    def split(name):
        ds = read(shared_data / "ucr" / "ItalyPowerDemand" / f"ItalyPowerDemand_{name}.tsv")
        return ds.values[:, :23, 0], ds.values[:, 23, 0].astype(np.float64)

    return split("TRAIN"), split("TEST")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    from cnn1d.training.executor import free_port as probe

    return probe()


# Small, fast settings for tests that check behaviour rather than accuracy.
FAST = dict(model="cnn", model_params={"blocks": 1, "filters": 8, "dense": 16}, epochs=3, seed=0)
