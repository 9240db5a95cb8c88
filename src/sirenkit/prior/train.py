"""Training a prior on the faces, in one process or several (torchrun + DistributedDataParallel).

Why a loop of its own: `sirenkit.fit` fits one signal; a prior is trained over a data set, one
batch of faces (each with its own random context) per step, and is judged on people it never saw.

Distributed semantics: `batch_size` is the global batch. A `DistributedSampler` gives each
process its share of the faces of a step, and the contexts of a step are drawn for the whole
global batch from (seed, step) and split the same way, so N processes compute the same
per-face losses as one process would, and DDP's gradient average equals one process's mean
(up to float summation order). Only rank 0 writes the run folder; every rank can resume from it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

from sirenkit.config import from_dict
from sirenkit.devices import resolve_device
from sirenkit.errors import ConfigError, DataError
from sirenkit.io.checkpoint import load_checkpoint, save_checkpoint
from sirenkit.io.faces import Faces, load_faces, split_by_person
from sirenkit.io.run_dir import append_jsonl, write_json
from sirenkit.prior.config import PriorConfig
from sirenkit.prior.context import CONTEXT_CHOICES, eval_context, random_context
from sirenkit.prior.models import PriorModel, build_prior
from sirenkit.versions import versions

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
EVAL_SEED = 1234
"""Seed of the test contexts, the same for every model and baseline so their MSEs compare."""


@dataclass
class PriorResult:
    """A trained prior and its test metrics (MSE on pixel values in [-1, 1], all pixels of each test face)."""

    model: PriorModel
    metrics: dict[str, float]


def faces_path(config: PriorConfig) -> Path:
    """config.faces, or $SIRENKIT_DATA/faces/olivettifaces.mat (SIRENKIT_DATA defaults to ../shared/data beside the repository)."""
    if config.faces:
        return Path(config.faces)
    default = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"  # beside the repository
    return Path(os.environ.get("SIRENKIT_DATA", default)) / "faces" / "olivettifaces.mat"


def load_split(config: PriorConfig) -> tuple[Faces, Faces]:
    """Train and test faces, split by person with config.seed."""
    path = faces_path(config)
    if not config.faces and not path.is_file():
        raise DataError(f"{path}: no faces file; pass --faces PATH/olivettifaces.mat, or set SIRENKIT_DATA to the shared data folder.")
    return split_by_person(load_faces(path, config.size), config.test_people, seed=config.seed)


def train_prior(config: PriorConfig, out: str | Path | None = None, *, resume: bool = False,
                train_faces: Faces | None = None, test_faces: Faces | None = None) -> PriorResult:
    """Train config.model on the training faces for config.steps steps, evaluate it on the test faces.

    Under torchrun (WORLD_SIZE > 1) it joins the process group (gloo on CPU, nccl on CUDA) and
    trains with DistributedDataParallel. With `out`, rank 0 writes config.json, metrics.jsonl,
    checkpoint.pt (every save_every steps and at the end, atomically) and metrics.json.

    Args:
        train_faces, test_faces: use these instead of loading config.faces (tests, custom data).

    Raises:
        ConfigError: a batch size that the processes cannot share, or a resumed run of another model.
        DataError: unreadable faces or checkpoint.
    """
    world, rank, local_rank = (int(os.environ.get(k, d)) for k, d in (("WORLD_SIZE", 1), ("RANK", 0), ("LOCAL_RANK", 0)))
    if config.batch_size % world:
        raise ConfigError(f"batch_size={config.batch_size} does not split over {world} processes; "
                          f"pass a multiple of {world}, e.g. --batch-size {world * max(1, config.batch_size // world)}.")
    device = resolve_device(config.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    joined = world > 1 and not dist.is_initialized()
    if joined:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        if train_faces is None or test_faces is None:
            train_faces, test_faces = load_split(config)
        return _train(config, Path(out) if out else None, resume, train_faces, test_faces, device, world, rank)
    finally:
        if joined:
            dist.destroy_process_group()


def _train(config: PriorConfig, out: Path | None, resume: bool, train_faces: Faces, test_faces: Faces,
           device: torch.device, world: int, rank: int) -> PriorResult:
    model = build_prior(config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    start_step = 0
    if resume:
        state = read_checkpoint(out / CHECKPOINT, config.model)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_step = int(state["step"])
    writer = out is not None and rank == 0
    if writer:
        write_json(out / "config.json", {"prior": dataclasses.asdict(config), "versions": versions()})
    trained = DistributedDataParallel(model) if world > 1 else model

    images = torch.from_numpy(train_faces.images).reshape(len(train_faces.images), -1)
    local_batch = config.batch_size // world
    sampler = DistributedSampler(range(len(images)), num_replicas=world, rank=rank, shuffle=True, seed=config.seed,
                                 drop_last=True)
    per_epoch = len(sampler) // local_batch
    if per_epoch == 0:
        raise ConfigError(f"batch_size={config.batch_size} is larger than the {len(images)} training faces; lower --batch-size.")
    side, pixels = config.size, config.size * config.size
    began, trained_steps, step = time.perf_counter(), 0, start_step
    for step in range(start_step, config.steps):
        epoch, position = divmod(step, per_epoch)
        sampler.set_epoch(epoch)
        index = list(sampler)[position * local_batch:(position + 1) * local_batch]
        generator = torch.Generator().manual_seed(int(np.random.SeedSequence([config.seed, step]).generate_state(1)[0]))
        context = random_context(config.batch_size, pixels, config.context_min, config.context_max, generator)
        flips = torch.rand(config.batch_size, generator=generator) < 0.5
        mine = slice(rank, None, world)  # this process's share of the global batch, as DistributedSampler deals faces
        batch = images[index]
        if config.flip:
            batch = torch.where(flips[mine, None], batch.reshape(-1, side, side).flip(-1).reshape(-1, pixels), batch)
        for group in optimizer.param_groups:
            group["lr"] = _lr(config, step)
        terms = trained(batch.to(device), context[mine].to(device))
        loss = terms["mse"] + config.kl_weight * terms["latent"] + config.fw_weight * terms.get("weights", 0.0)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.clip_grad:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad)
        optimizer.step()
        trained_steps += 1
        done = step + 1
        if writer and (done % config.log_every == 0 or done == config.steps):
            record = {"step": done, "loss": loss.item(), **{k: v.item() for k, v in terms.items()}, "lr": _lr(config, step),
                      "seconds": time.perf_counter() - began}
            append_jsonl(out / "metrics.jsonl", record)
            log.info("step %d: loss %.4g, mse %.4g", done, record["loss"], record["mse"])
        if writer and (done % config.save_every == 0 or done == config.steps):
            _save(out, model, optimizer, config, done)
        if not math.isfinite(loss.item()):
            raise ConfigError(f"the loss became {loss.item()} at step {done}; lower --lr (now {config.lr:g}) "
                              f"or keep --clip-grad on (now {config.clip_grad:g}).")
        if config.max_seconds and time.perf_counter() - began >= config.max_seconds:
            break
    seconds = time.perf_counter() - began
    if writer and trained_steps and step + 1 != config.steps:  # stopped early by max_seconds
        _save(out, model, optimizer, config, step + 1)
    metrics: dict[str, float] = {}
    if rank == 0:
        fitting = tuple(c for c in CONTEXT_CHOICES if c == "half" or int(c) <= pixels)  # 1000 needs 32x32 or more
        metrics = evaluate_prior(model, test_faces, side=side, contexts=fitting)
        metrics |= {"steps": float(step + 1 if trained_steps else start_step), "train_seconds": seconds,
                    "seconds_per_step": seconds / max(trained_steps, 1), "world_size": float(world),
                    "peak_rss_mib": peak_rss_mib()}
        if writer:
            write_json(out / "metrics.json", metrics)
    if world > 1:
        dist.barrier()  # ranks leave together: gloo aborts a process whose peer closes the group mid-evaluation
    return PriorResult(model.eval(), metrics)


@torch.no_grad()
def evaluate_prior(model: PriorModel, test_faces: Faces, *, side: int, contexts: tuple[str, ...] = CONTEXT_CHOICES,
                   chunk: int = 40) -> dict[str, float]:
    """Test MSE (pixel values in [-1, 1], over all pixels) for each test context, same contexts as the baselines."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    images = torch.from_numpy(test_faces.images).reshape(len(test_faces.images), -1)
    metrics = {}
    for spec in contexts:
        context = eval_context(len(images), side, spec, torch.Generator().manual_seed(EVAL_SEED))
        errors = [(model.inpaint(images[i:i + chunk].to(device), context[i:i + chunk].to(device)).cpu()
                   - images[i:i + chunk]).pow(2).mean(1) for i in range(0, len(images), chunk)]
        metrics[f"mse_{spec}"] = float(torch.cat(errors).mean())
    model.train(was_training)
    return metrics


def read_checkpoint(path: Path, model_name: str) -> dict:
    """Read a prior checkpoint and check it holds `model_name`.

    Raises:
        DataError: missing, unreadable, or holding another model (or not a prior at all).
    """
    if not path.is_file():
        raise DataError(f"{path}: no checkpoint; train a prior first with 'sirenkit prior train --out {path.parent}'.")
    state = load_checkpoint(path)
    found = state.get("prior_model") if isinstance(state, dict) else None
    if found is None:
        raise DataError(f"{path}: not a prior checkpoint (no 'prior_model' entry); pass a run made by 'sirenkit prior train'.")
    if found != model_name:
        raise DataError(f"{path}: holds a '{found}' prior, but its config asks for '{model_name}'; "
                        f"use --model {found}, or another run folder.")
    return state


def load_prior(run: str | Path) -> tuple[PriorModel, PriorConfig]:
    """Rebuild a trained prior on the CPU, in eval mode, from its run folder (config.json + checkpoint.pt).

    Raises:
        DataError: not a prior run folder, or a checkpoint of another model.
    """
    run = Path(run)
    config_path = run / "config.json"
    if not config_path.is_file():
        raise DataError(f"{run}: no config.json; pass a run folder made by 'sirenkit prior train'.")
    saved = json.loads(config_path.read_text())
    if "prior" not in saved:
        raise DataError(f"{run}: is a '{saved.get('task', 'unknown')}' run, not a prior; pass a run made by 'sirenkit prior train'.")
    config = from_dict(PriorConfig, saved["prior"], where="prior")
    model = build_prior(config)
    state = read_checkpoint(run / CHECKPOINT, config.model)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as exc:
        raise DataError(f"{run / CHECKPOINT}: its weights do not fit the model in config.json ({str(exc).splitlines()[0]}); "
                        "the two files come from different runs.") from None
    return model.eval(), config


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (getrusage ru_maxrss)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _lr(config: PriorConfig, step: int) -> float:
    """Cosine decay from lr to 5% of it over the steps."""
    final = 0.05
    return config.lr * (final + (1 - final) * 0.5 * (1 + math.cos(math.pi * min(step / config.steps, 1.0))))


def _save(out: Path, model: PriorModel, optimizer: torch.optim.Optimizer, config: PriorConfig, step: int) -> None:
    save_checkpoint(out / CHECKPOINT, {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
                                       "prior_model": config.model})
