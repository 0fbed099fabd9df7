"""Training one network or an ensemble of them, in this process or in parallel worker processes.

Members differ only by seed. Each member trains with the normal policy (early stopping, schedule,
budget, checkpoints in ``out/member_<i>``); the ensemble is one Keras model that averages the members'
outputs, so it saves, loads and predicts like a single network.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..config import RunConfig
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
    from ..errors import ConfigError
    from . import trainer

    from . import distributed

    if job.config.seed is not None:
        seed_everything(job.config.seed)
    fit = models.get(job.config.model).fit
    if fit is not None:
        if job.class_weight is not None:
            raise ConfigError(f"model {job.config.model!r} is fitted in closed form and takes no class weights; "
                              "leave class_weight unset or choose a trained network")
        return fit(build_network(job, name), job.X, job.y, validation=job.validation, config=job.config,
                   activation=job.activation)
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


def train_members(job: MemberJob, n_members: int, n_jobs: int | None = None) -> tuple[Any, list]:
    """Train ``n_members`` networks (seeds ``seed, seed+1, ...``); return (model, results).

    With one member the model is the network itself; with several it is their average.
    """
    from .trainer import TrainResult

    if n_members == 1:
        result = train_member(job)
        return result.model, [result]
    base_seed = job.config.seed if job.config.seed is not None else int(np.random.randint(2**31 - n_members))
    budget = job.config.max_time
    # Members spread over several devices already use them all: train them one after another.
    if executor.is_cluster(job.config.executor):
        n_jobs = min(n_members, n_jobs or executor.cluster_workers(job.config.executor))
    else:
        n_jobs = 1 if job.config.devices != 1 else (n_jobs or default_jobs(n_members))
    waves = -(-n_members // n_jobs)
    jobs = []
    for i in range(n_members):
        config = replace(job.config, seed=base_seed + i,
                         max_time=None if budget is None else budget / waves, verbose=0 if n_jobs > 1 else job.config.verbose)
        jobs.append(replace(job, config=config, run_dir=str(Path(job.run_dir) / f"member_{i}") if job.run_dir else None))
    members, results = [], []
    if n_jobs == 1 and not executor.is_cluster(job.config.executor):
        for i, member_job in enumerate(jobs):
            result = train_member(member_job, name=f"member_{i}")
            members.append(result.model)
            results.append(result)
    else:
        threads = max(1, (os.cpu_count() or 1) // n_jobs)
        with executor.open_executor(job.config.executor, n_jobs, threads) as pool:
            outputs = list(pool.map(_worker, jobs))
        for i, (member_job, out) in enumerate(zip(jobs, outputs)):
            net = build_network(member_job, name=f"member_{i}")
            net.set_weights(out["weights"])
            members.append(net)
            results.append(TrainResult(out["history"], out["epochs"], out["best_epoch"], out["seconds"],
                                       out["stopped_because"], net, out["extras"]))
    return average_models(members, job.input_shape), results


def average_models(members: list, input_shape: tuple):
    """One Keras model whose output is the mean of the members' outputs (averaged probabilities)."""
    from .._backend import keras

    k = keras()
    inputs = k.Input(shape=tuple(input_shape), name="series")
    outputs = k.layers.Average(name="ensemble_mean")([m(inputs) for m in members])
    return k.Model(inputs, outputs, name=f"ensemble_of_{len(members)}")
