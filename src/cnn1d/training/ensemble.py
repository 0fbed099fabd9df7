"""Training one network or an ensemble of them, in this process or in parallel worker processes.

Members differ only by seed. Each member trains with the normal policy (early stopping, schedule,
budget, checkpoints in ``out/member_<i>``); the ensemble is one Keras model that averages the members'
outputs, so it saves, loads and predicts like a single network.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..config import RunConfig
from ..errors import ConfigError
from . import executor


@dataclass
class MemberJob:
    config: RunConfig
    input_shape: tuple
    n_outputs: int
    activation: str
    loss: str
    metrics: list
    X: np.ndarray
    y: np.ndarray
    validation: tuple | None
    run_dir: str | None
    resume: bool
    class_weight: dict | None
    mask_channel: bool = False  # the inputs' last channel marks observed steps (gaps, unequal lengths)
    deadline: float | None = None  # time.time() by which this member must have finished (see train_members)


def build_network(job: MemberJob, name: str | None = None):
    from .. import models

    params = dict(job.config.model_params)
    if models.get(job.config.model).fit is not None:
        params.setdefault("seed", job.config.seed or 0)  # fixed-kernel members differ by their kernels' seed
        params.setdefault("length", int(job.X.shape[1]))  # and place their dilations by the training length
        params.setdefault("mask_channel", job.mask_channel)
    net = models.build(job.config.model, job.input_shape, job.n_outputs, job.activation, **params)
    if name:
        from .._backend import keras

        net = keras().Model(net.input, net.output, name=name)
    return net


def train_member(job: MemberJob, name: str | None = None):
    """Seed, build and train one network in this process; returns a TrainResult holding the model."""
    from .. import models
    from .._backend import seed_everything
    from . import trainer

    from . import distributed

    if job.deadline is not None:
        # Read here, in the process that trains: worker start-up and imports have already been spent.
        left = job.deadline - time.time()
        if left <= 0 and models.get(job.config.model).fit is None:
            raise ConfigError(f"the --max-time budget ran out {-left:.1f} s before {job.config.model} could start "
                              "training (reading, preprocessing, start-up and any earlier members spent it): give a "
                              "larger --max-time, or none")
        job = replace(job, config=replace(job.config, max_time=max(1e-3, left)))
    if job.config.seed is not None:
        seed_everything(job.config.seed)
    fit = models.get(job.config.model).fit
    if fit is not None:
        return fit(build_network(job, name), job.X, job.y, validation=job.validation, config=job.config,
                   activation=job.activation, class_weight=job.class_weight)
    return distributed.fit_on_devices(
        job.config.devices, lambda: build_network(job, name),
        lambda network, devices: trainer.train(
            network, job.X, job.y, validation=job.validation, config=job.config, loss=job.loss, metrics=job.metrics,
            run_dir=Path(job.run_dir) if job.run_dir else None, resume=job.resume, class_weight=job.class_weight,
            devices=devices))


def _worker(job: MemberJob) -> dict[str, Any]:
    if os.environ.get("KERAS_BACKEND") == "torch":
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    result = train_member(job)
    return {
        "weights": result.model.get_weights(),
        "history": result.history, "epochs": result.epochs, "best_epoch": result.best_epoch,
        "seconds": result.seconds, "stopped_because": result.stopped_because, "extras": result.extras,
    }


def default_jobs(n_members: int) -> int:
    """One worker per core on a CPU; on a GPU/TPU the members take turns on the device instead (parallel
    processes there each hold their own memory pool: on an H100 five of them ran out of memory)."""
    from .._backend import accelerator_present

    if accelerator_present():
        return 1
    return max(1, min(n_members, os.cpu_count() or 1))


# Below this many seconds per member a trained network is cut off early in learning; a budget that gives less
# trains fewer members (each then gets more time).
MIN_MEMBER_SECONDS = 15.0
# Kept back from a budget for what follows the members: assembling the ensemble and the estimator's own steps.
ASSEMBLY_SECONDS = 1.0
# Kept back from a worker's share for handing its weights back and the process pool closing.
RETURN_SECONDS = 1.0


def member_seconds_needed(results: list, closed_form: bool = False) -> float:
    """What the next member trained in this process needs. A closed-form fit: the mean time of those so far.
    A trained network: MIN_MEMBER_SECONDS, or less when every member so far finished on its own (early
    stopping, its epochs) in less: 1.2 times their mean (a GPU trains a small network's 300 epochs in 6-12 s)."""
    mean = sum(r.seconds for r in results) / len(results) if results else 0.0
    if closed_form:
        return mean
    if not results or any(r.stopped_because.startswith("time budget") for r in results):
        return MIN_MEMBER_SECONDS
    return min(MIN_MEMBER_SECONDS, 1.2 * mean)


def plan_members(n_members: int, n_jobs: int, seconds_left: float | None) -> tuple[int, str | None]:
    """How many trained members fit the seconds left: each wave of ``n_jobs`` parallel members needs at least
    MIN_MEMBER_SECONDS. Returns (members, why fewer) with at least one member."""
    if seconds_left is None or n_members <= 1:
        return n_members, None
    waves = max(1, int(seconds_left // MIN_MEMBER_SECONDS))
    planned = max(1, min(n_members, waves * n_jobs))
    if planned == n_members:
        return n_members, None
    return planned, (f"{planned} of {n_members} members trained: {seconds_left:.0f} s left for them gives each fewer "
                     f"than {MIN_MEMBER_SECONDS:g} s at {n_jobs} at a time")


def train_members(job: MemberJob, n_members: int, n_jobs: int | None = None, *,
                  deadline: float | None = None) -> tuple[Any, list, str | None]:
    """Train ``n_members`` networks (seeds ``seed, seed+1, ...``); return (model, results, note).

    ``deadline`` (``time.time()`` seconds) bounds the whole of it, worker start-up and compilation included:
    in worker processes every member gets a deadline for its wave, and the budget is re-read in the worker,
    after start-up. Members trained one after another in this process (a GPU, ``n_jobs=1``, several devices)
    each get the time left shared over the members still to come, so time one leaves goes to the next, and
    stop when less is left than a member needs (``member_seconds_needed``). Closed-form members (seconds each) stop when the next
    would pass the deadline. The note says when the budget trained fewer members than asked. One member
    alone is the network itself; several are averaged.
    """
    from .. import models
    from .trainer import TrainResult

    left = None if deadline is None else deadline - ASSEMBLY_SECONDS - time.time()
    closed_form = models.get(job.config.model).fit is not None
    if executor.is_cluster(job.config.executor):
        n_jobs = min(n_members, n_jobs or executor.cluster_workers(job.config.executor))
    elif closed_form or job.config.devices != 1:
        # Closed-form fits take seconds, less than a worker's start-up; members spread over several devices
        # already use them all: either way, one after another in this process.
        n_jobs = 1
    else:
        n_jobs = n_jobs or default_jobs(n_members)
    in_process = n_jobs == 1 and not executor.is_cluster(job.config.executor)
    # One after another, each member's share is set when it starts (below): time one leaves goes to the next.
    planned, note = (n_members, None) if closed_form or in_process else plan_members(
        n_members, min(n_jobs, n_members), left)
    n_jobs = min(n_jobs, planned)
    waves = -(-planned // n_jobs)
    base_seed = job.config.seed if job.config.seed is not None else int(np.random.randint(2**31 - planned))
    jobs = []
    for i in range(planned):
        # A member's wave ends at its share of the time left; the worker turns that into its own budget.
        member_deadline = None if left is None or closed_form or in_process else (
            time.time() + left * (i // n_jobs + 1) / waves - RETURN_SECONDS)
        config = replace(job.config, seed=base_seed + i if planned > 1 else job.config.seed,
                         verbose=0 if n_jobs > 1 else job.config.verbose)
        run_dir = job.run_dir if planned == 1 else (str(Path(job.run_dir) / f"member_{i}") if job.run_dir else None)
        jobs.append(replace(job, config=config, run_dir=run_dir, deadline=member_deadline))
    members, results = [], []
    if in_process:
        for i, member_job in enumerate(jobs):
            if deadline is not None:
                seconds_left = deadline - ASSEMBLY_SECONDS - time.time()
                needed = member_seconds_needed(results, closed_form)
                if results and seconds_left < needed:
                    note = (f"{len(results)} of {planned} members fitted: the next would end past the {left:.0f} s "
                            f"budget (each takes about {needed:.1f} s)" if closed_form else
                            f"{len(results)} of {planned} members trained: {max(0.0, seconds_left):.0f} s were left for "
                            f"the other {planned - len(results)}, each needs at least {needed:.0f} s")
                    break
                if not closed_form:
                    # The time left is shared by the members still to come that can each have what one needs.
                    sharing = max(1, min(planned - i, int(seconds_left // needed)))
                    member_job = replace(member_job, deadline=time.time() + seconds_left / sharing)
            result = train_member(member_job, name=f"member_{i}" if len(jobs) > 1 else None)
            members.append(result.model)
            results.append(result)
    else:
        threads = max(1, (os.cpu_count() or 1) // n_jobs)
        with executor.open_executor(job.config.executor, n_jobs, threads) as pool:
            futures = [pool.submit(_worker, member_job) for member_job in jobs]
            # Built while the members train: afterwards they would spend the budget's last seconds.
            nets = [build_network(member_job, name=f"member_{i}") for i, member_job in enumerate(jobs)]
            if hasattr(pool, "wait"):
                pool.wait(futures)  # a cluster left without workers is reported, not waited on
            outputs = [executor.result(future) for future in futures]
        for net, out in zip(nets, outputs):
            net.set_weights(out["weights"])
            members.append(net)
            results.append(TrainResult(out["history"], out["epochs"], out["best_epoch"], out["seconds"],
                                       out["stopped_because"], net, out["extras"]))
    if deadline is not None and time.time() > deadline:
        over = f"training ended {time.time() - deadline:.1f} s past the budget"
        note = f"{note}; {over}" if note else over
    if len(members) == 1:
        return members[0], results, note
    return average_models(members, job.input_shape), results, note


def geometric_mean_model(members: list, input_shape: tuple):
    """One Keras model whose output is the geometric mean of the members' probabilities (members of different
    kinds: :data:`cnn1d.models.registry.MIXED_ENSEMBLES`)."""
    from ..models.layers import GeometricMean

    return _joined(members, input_shape, GeometricMean(name="ensemble_geometric_mean"))


def average_models(members: list, input_shape: tuple):
    """One Keras model whose output is the mean of the members' outputs (averaged probabilities)."""
    from .._backend import keras

    return _joined(members, input_shape, keras().layers.Average(name="ensemble_mean"))


def _joined(members: list, input_shape: tuple, combine):
    """The members on one shared input, their outputs joined by the layer ``combine``: what explanations and
    exports recognise as an ensemble (``ensemble_of_N`` over nested member models)."""
    from .._backend import keras

    k = keras()
    inputs = k.Input(shape=tuple(input_shape), name="series")
    return k.Model(inputs, combine([m(inputs) for m in members]), name=f"ensemble_of_{len(members)}")
