"""Fit-loop policy: early stopping with best-weight restore, a plateau learning-rate schedule, a
wall-clock budget, a checkpoint every epoch and resume after a killed process.

All of it lives in one callback (:class:`RunState`) because its pieces share state that must survive
a restart: the best score and weights, the patience counters, the current learning rate and the time
already spent. Keras's separate callbacks cannot be resumed together.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._backend import keras, xla_compiler_options
from ..config import RunConfig
from ..errors import ConfigError
from ..models import registry
from ..io_utils import atomic_write_text, atomic_path

CHECKPOINT_DIR = "checkpoint"
STATE_FILE = "state.json"
LAST_MODEL = "last.keras"
BEST_WEIGHTS = "best.weights.h5"
# Saving a checkpoint costs ~70 ms for FCN; sub-second epochs are checkpointed at most this often so the
# cost stays a few percent of training. Epochs longer than this are checkpointed after every epoch.
CHECKPOINT_SECONDS = float(os.environ.get("CNN1D_CHECKPOINT_SECONDS", "5"))


@dataclass
class TrainResult:
    history: dict[str, list[float]]
    epochs: int
    best_epoch: int
    seconds: float
    stopped_because: str
    model: Any = None
    extras: dict[str, Any] = field(default_factory=dict)


def record_training(estimator, result: TrainResult) -> None:
    """Copy what a fit did onto an estimator's fitted attributes (shared by every estimator)."""
    estimator.history_ = result.history
    estimator.epochs_, estimator.best_epoch_ = result.epochs, result.best_epoch
    estimator.train_seconds_, estimator.stopped_because_ = result.seconds, result.stopped_because
    estimator.batch_size_, estimator.monitor_ = result.extras["batch_size"], result.extras["monitor"]


def default_batch_size(n_train: int) -> int:
    # Small datasets train best with small batches (FCN/ResNet literature uses n/10, capped at 16);
    # 32 keeps CPU throughput up on bigger ones.
    return int(min(32, max(4, n_train // 10)))


class RunState(keras().callbacks.Callback):
    """Early stopping, LR-on-plateau, time budget and per-epoch checkpoints, resumable as one."""

    def __init__(self, config: RunConfig, monitor: str, run_dir: Path | None, fingerprint: str,
                 state: dict[str, Any] | None = None):
        super().__init__()
        self.config = config
        self.monitor = monitor
        self.run_dir = run_dir
        self.fingerprint = fingerprint
        state = state or {}
        self.best = state.get("best", math.inf)
        self.best_epoch = state.get("best_epoch", -1)
        self.wait = state.get("wait", 0)
        self.lr_wait = state.get("lr_wait", 0)
        self.prior_seconds = state.get("seconds", 0.0)
        self.history: dict[str, list[float]] = state.get("history", {})
        self.best_weights = None
        self.stopped_because = "max epochs"
        self.last_epoch = state.get("epoch", -1)
        self._start = None
        self._epoch_start = None
        self._epoch_seconds = 0.0
        self._last_checkpoint = -math.inf
        self._best_dirty = False
        self._resume_rng = state.get("rng")
        # The checkpoint files the state points at (named per epoch: see _checkpoint).
        self.last_model = state.get("last_model", LAST_MODEL)
        self.best_file = state.get("best_weights", BEST_WEIGHTS)

    @property
    def seconds(self) -> float:
        return self.prior_seconds + (time.perf_counter() - self._start if self._start else 0.0)

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()
        # Here, not before fit(): a model's first fit draws from NumPy while it builds, before this point, in
        # the uninterrupted run and in the resumed one alike; the shuffles after it must match.
        restore_rng(self._resume_rng)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        self.last_epoch = epoch
        lr = float(keras().ops.convert_to_numpy(self.model.optimizer.learning_rate))
        logs["learning_rate"] = lr
        logs["epoch_seconds"] = time.perf_counter() - self._epoch_start
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        value = logs.get(self.monitor)
        if value is None:
            raise ConfigError(f"training did not report {self.monitor!r}; got {sorted(logs)}")
        if not math.isfinite(value):
            self.stopped_because = "loss became NaN or infinite (try a lower learning rate)"
            self.model.stop_training = True
        elif value < self.best:
            self.best, self.best_epoch, self.wait, self.lr_wait = float(value), epoch, 0, 0
            self.best_weights = self.model.get_weights()
            self._best_dirty = True
        else:
            self.wait += 1
            self.lr_wait += 1
            if self.lr_wait >= self.config.lr_patience and lr > self.config.min_learning_rate:
                self.model.optimizer.learning_rate.assign(max(lr * 0.5, self.config.min_learning_rate))
                self.lr_wait = 0
            if self.wait >= self.config.patience:
                self.stopped_because = f"early stopping ({self.monitor} did not improve for {self.wait} epochs)"
                self.model.stop_training = True
        self._epoch_seconds = time.perf_counter() - self._epoch_start
        budget = self.config.max_time
        # Stop before an epoch that would overrun the budget, not after it.
        if budget is not None and self.seconds + self._epoch_seconds > budget and not self.model.stop_training:
            self.stopped_because = f"time budget of {budget:g} s reached"
            self.model.stop_training = True
        final = self.model.stop_training or epoch + 1 >= self.config.epochs
        if final or time.perf_counter() - self._last_checkpoint >= CHECKPOINT_SECONDS:
            self._checkpoint()

    def on_train_end(self, logs=None):
        if self.best_weights is None and self.run_dir is not None:
            best = self.run_dir / CHECKPOINT_DIR / self.best_file
            if best.exists():
                self.model.load_weights(best)
                return
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)

    def state(self, status: str) -> dict[str, Any]:
        return {
            "status": status,
            "epoch": self.last_epoch,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "lr_wait": self.lr_wait,
            "seconds": self.seconds,
            "history": self.history,
            "fingerprint": self.fingerprint,
            "stopped_because": self.stopped_because,
            "rng": rng_state(),
            "last_model": self.last_model,
            "best_weights": self.best_file,
        }

    def _checkpoint(self) -> None:
        """Write this epoch's model (and new best weights) under names of their own, then the state that points at
        them, then remove the files of earlier checkpoints. With one fixed name a kill between the model and the
        state left the state of epoch N-1 beside the weights of epoch N, and the resumed run retrained epoch N from
        them: it ended with other weights than the run that was never killed."""
        if self.run_dir is None:
            return
        directory = self.run_dir / CHECKPOINT_DIR
        if self._best_dirty:
            current = self.model.get_weights()
            self.model.set_weights(self.best_weights)
            self.best_file = f"best-{self.last_epoch}.weights.h5"
            with atomic_path(directory / self.best_file) as tmp:
                self.model.save_weights(tmp)
            self.model.set_weights(current)
            self._best_dirty = False
        self.last_model = f"last-{self.last_epoch}.keras"
        with atomic_path(directory / self.last_model) as tmp:
            self.model.save(tmp)
        atomic_write_text(directory / STATE_FILE, json.dumps(self.state("running")))
        remove_stale_checkpoints(directory, (self.last_model, self.best_file))
        self._last_checkpoint = time.perf_counter()


def remove_stale_checkpoints(directory: Path, kept: tuple[str, ...]) -> None:
    """Delete the model and weight files of a checkpoint directory that the state no longer points at."""
    for path in [*directory.glob("*.keras"), *directory.glob("*.weights.h5")]:
        if path.name not in kept:
            path.unlink(missing_ok=True)


class EpochProgress(keras().callbacks.Callback):
    """A rich progress bar over epochs showing the latest metrics (stderr, so --json stays clean)."""

    def __init__(self, total_epochs: int, initial_epoch: int = 0):
        super().__init__()
        self.total = total_epochs
        self.initial = initial_epoch
        self.progress = None
        self.task = None

    def on_train_begin(self, logs=None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(file=sys.stderr)
        if not console.is_terminal:  # a redirected stream gets no bar, only the final summary
            return
        self.progress = Progress(
            TextColumn("[bold]epoch"), MofNCompleteColumn(), BarColumn(), TimeElapsedColumn(),
            TextColumn("{task.description}"), console=console, transient=False,
        )
        self.progress.start()
        self.task = self.progress.add_task("", total=self.total, completed=self.initial)

    def on_epoch_end(self, epoch, logs=None):
        if self.progress is None:
            return
        shown = {k: v for k, v in (logs or {}).items() if k in ("loss", "accuracy", "val_loss", "val_accuracy")}
        text = " ".join(f"{k}={v:.4f}" for k, v in shown.items())
        self.progress.update(self.task, completed=epoch + 1, description=text)

    def on_train_end(self, logs=None):
        if self.progress is not None:
            self.progress.stop()


def rng_state() -> dict[str, Any]:
    """The host random generators a resumed fit must continue from: NumPy's (Keras shuffles each epoch's
    batches with it) and Python's. Network-side generators (dropout) are model variables, saved with it."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, state, gauss = random.getstate()
    return {"numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)],
            "python": [version, list(state), gauss]}


def restore_rng(saved: dict[str, Any] | None) -> None:
    if not saved:
        return
    kind, keys, pos, has_gauss, cached = saved["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))
    version, state, gauss = saved["python"]
    random.setstate((version, tuple(state), gauss))


def clear_checkpoints(run_dir: Path) -> None:
    """Remove the checkpoints of an earlier run in ``run_dir`` (its own and its members'), so a run started
    afresh there (``--overwrite``) is not taken for one to resume. Only the checkpoint folders cnn1d wrote go."""
    import shutil

    for folder in [run_dir, *sorted(run_dir.glob("member[_-]*"))]:
        if (folder / CHECKPOINT_DIR).is_dir():
            shutil.rmtree(folder / CHECKPOINT_DIR)


def read_state(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / CHECKPOINT_DIR / STATE_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise ConfigError(f"{path} is corrupt; delete {run_dir / CHECKPOINT_DIR} to start the run afresh") from None


def fingerprint(*arrays: np.ndarray) -> str:
    import hashlib

    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


# Callbacks every fit in this process also runs, while a `watching` block is open (a tuning trial's pruner).
_WATCHERS: list = []


@contextlib.contextmanager
def watching(*callbacks):
    """Run ``callbacks`` in every ``train`` call inside the block, after the policy's own callbacks."""
    _WATCHERS.extend(callbacks)
    try:
        yield
    finally:
        for callback in callbacks:
            _WATCHERS.remove(callback)


def train(model, X: np.ndarray, y: np.ndarray, *, validation: tuple | None, config: RunConfig, loss,
          metrics: list[str], run_dir: Path | None = None, resume: bool = False,
          class_weight: dict[int, float] | None = None, devices: int = 1) -> TrainResult:
    """Compile and fit ``model``; returns the model with its best weights and what happened.

    With ``devices > 1`` the model was built under a ``keras.distribution`` scope (see
    :mod:`cnn1d.training.distributed`): batches are rounded up and padded so every device gets an equal share.
    """
    k = keras()
    batch_size = config.batch_size or default_batch_size(len(X))
    monitor = "val_loss" if validation is not None else "loss"
    print_ = fingerprint(X, y, *(validation or ()))
    state = None
    initial_epoch = 0
    if run_dir is not None:
        state = read_state(run_dir)
        if state is not None and not resume:
            raise ConfigError(
                f"{run_dir} already holds a run; pass --resume (resume=True) to continue it or choose another output directory"
            )
        if state is not None:
            if state.get("fingerprint") != print_:
                raise ConfigError(f"cannot resume {run_dir}: the training data or settings differ from the original run")
            model = k.saving.load_model(run_dir / CHECKPOINT_DIR / state.get("last_model", LAST_MODEL), safe_mode=True)
            if state.get("status") == "finished":
                # An ensemble member that ended before the kill: its final (best) weights are the checkpoint.
                return TrainResult(history=state["history"], epochs=int(state["epoch"]) + 1,
                                   best_epoch=int(state["best_epoch"]) + 1, seconds=float(state["seconds"]),
                                   stopped_because=state["stopped_because"], model=model,
                                   extras={"batch_size": batch_size, "monitor": monitor, "seed": config.seed})
            initial_epoch = int(state["epoch"]) + 1
        # With --resume, a member the killed run never reached (no checkpoint yet) starts afresh.
        run_dir.mkdir(parents=True, exist_ok=True)
    if state is None:
        model.compile(optimizer=k.optimizers.Adam(config.learning_rate), loss=loss, metrics=metrics)
    run_state = RunState(config, monitor, run_dir, print_, state)
    callbacks = [run_state]
    if config.verbose:
        callbacks.append(EpochProgress(config.epochs, initial_epoch))
    callbacks.extend(_WATCHERS)
    data = {"x": X, "y": y, "batch_size": batch_size, "class_weight": class_weight, "shuffle": True}
    if devices > 1:
        from .distributed import batch_size_for, sharded_batches

        batch_size = batch_size_for(batch_size, devices)
        weights = None if class_weight is None else np.array([class_weight.get(int(c), 1.0) for c in y], np.float32)
        data = {"x": sharded_batches(X, y, weights, batch_size, shuffle=True)}
        if validation is not None:
            validation = sharded_batches(*validation, None, batch_size, shuffle=False)
    if initial_epoch < config.epochs:
        with xla_compiler_options(registry.compiler_options(model.name)):
            model.fit(**data, epochs=config.epochs, initial_epoch=initial_epoch, validation_data=validation,
                      callbacks=callbacks, verbose=0)
    if run_dir is not None:
        # The final model (best weights restored) replaces the last checkpoint, so a resumed ensemble reuses it.
        run_state.last_model = "final.keras"
        with atomic_path(run_dir / CHECKPOINT_DIR / run_state.last_model) as tmp:
            model.save(tmp)
        atomic_write_text(run_dir / CHECKPOINT_DIR / STATE_FILE, json.dumps(run_state.state("finished")))
        remove_stale_checkpoints(run_dir / CHECKPOINT_DIR, (run_state.last_model,))
    return TrainResult(
        history=run_state.history,
        epochs=run_state.last_epoch + 1,
        best_epoch=run_state.best_epoch + 1,
        seconds=run_state.seconds,
        stopped_because=run_state.stopped_because,
        model=model,
        extras={"batch_size": batch_size, "monitor": monitor, "seed": config.seed},
    )


__all__ = ["train", "TrainResult", "default_batch_size", "read_state", "fingerprint", "record_training"]
