"""A prior over faces as a task: each step a batch of training faces, each seen at its own random context pixels.

The model (`sirenkit.prior.models`) returns its unweighted loss terms from one forward, so
DistributedDataParallel sees one forward per step. It trains on `sirenkit.fit` like every task.

Distributed semantics (``shard(rank, world)``): `batch_size` is the global batch. A
`DistributedSampler` gives each process its share of the faces of a step, and the contexts of a
step are drawn for the whole global batch from (seed, step) and split the same way, so N
processes compute the same per-face losses as one process would, and DDP's gradient average
equals one process's mean (up to float summation order).
"""

from __future__ import annotations

import os
import resource
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data.distributed import DistributedSampler

from sirenkit.config import FitConfig
from sirenkit.errors import ConfigError, DataError
from sirenkit.io.checkpoint import CHECKPOINT_FILE, load_checkpoint
from sirenkit.io.faces import Faces, load_faces, split_by_person
from sirenkit.prior.config import PriorConfig
from sirenkit.prior.context import CONTEXT_CHOICES, EVAL_SEED, Context, eval_context, random_context
from sirenkit.prior.models import PriorModel, build_prior
from sirenkit.protocols import Batch

LR_FINAL = 0.05
"""The prior's cosine schedule ends at 5% of its lr."""


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


def fit_config(config: PriorConfig) -> FitConfig:
    """The loop settings a prior config implies (evaluation once, at the end: it inpaints every test face)."""
    # schedule over steps + 1: the prior's cosine has always reached its floor one step after the last (same numbers as 0.1)
    return FitConfig(steps=config.steps, lr=config.lr, lr_schedule="cosine", lr_final=LR_FINAL, schedule_steps=config.steps + 1,
                     clip_grad=config.clip_grad,
                     seed=config.seed, eval_every=config.steps, log_every=config.log_every, save_every=config.save_every,
                     max_seconds=config.max_seconds, device=config.device)


def check_world(config: PriorConfig, world: int) -> None:
    """ConfigError when the global batch does not split over `world` processes."""
    if config.batch_size % world:
        raise ConfigError(f"batch_size={config.batch_size} does not split over {world} processes; "
                          f"pass a multiple of {world}, e.g. --batch-size {world * max(1, config.batch_size // world)}.")


class PriorTask:
    """Train a prior (hypernetwork or modulated SIREN) on faces; judged by inpainting test faces (paper Sec. 4.4).

    Loss terms (unweighted): ``mse`` on all pixels, ``latent`` mean(latent^2) (weight kl_weight),
    ``weights`` mean(generated parameter^2) for hypernetworks (weight fw_weight).
    """

    name = "prior"
    in_features = 2
    out_features = 1
    cli_examples: ClassVar[tuple[str, ...]] = (
        "sirenkit prior-train --model modulated --steps 300 --out runs/prior-modulated",
        "torchrun --nproc-per-node 2 -m sirenkit prior-train --model hypernet-set --steps 300 --out runs/prior-set")

    def __init__(self, config: PriorConfig, train_faces: Faces, test_faces: Faces, *, rank: int = 0, world: int = 1) -> None:
        check_world(config, world)
        self.config, self.train_faces, self.test_faces, self.rank, self.world = config, train_faces, test_faces, rank, world
        self.loss_weights = {"mse": 1.0, "latent": config.kl_weight, "weights": config.fw_weight}
        self.images = torch.from_numpy(train_faces.images).reshape(len(train_faces.images), -1)
        self.local_batch = config.batch_size // world
        self.sampler = DistributedSampler(range(len(self.images)), num_replicas=world, rank=rank, shuffle=True,
                                          seed=config.seed, drop_last=True)
        self.per_epoch = len(self.sampler) // self.local_batch
        if self.per_epoch == 0:
            raise ConfigError(f"batch_size={config.batch_size} is larger than the {len(self.images)} training faces; "
                              "lower --batch-size.")
        self.device = torch.device("cpu")

    @classmethod
    def from_config(cls, config: PriorConfig) -> PriorTask:
        return cls(config, *load_split(config))

    def shard(self, rank: int, world: int) -> PriorTask:
        """This process's share of every step's batch (see the module docstring)."""
        return PriorTask(self.config, self.train_faces, self.test_faces, rank=rank, world=world).to(self.device)

    def build_model(self) -> PriorModel:
        """The untrained model, initialised from config.seed."""
        return build_prior(self.config)

    def to(self, device: torch.device) -> PriorTask:
        self.device = torch.device(device)
        return self

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        """Step `step`'s faces (this rank's share) and their contexts, drawn from (seed, step), not from `generator`."""
        config, index0 = self.config, step - 1
        epoch, position = divmod(index0, self.per_epoch)
        self.sampler.set_epoch(epoch)
        index = list(self.sampler)[position * self.local_batch:(position + 1) * self.local_batch]
        draws = torch.Generator().manual_seed(int(np.random.SeedSequence([config.seed, index0]).generate_state(1)[0]))
        side, pixels = config.size, config.size * config.size
        context = random_context(config.batch_size, pixels, config.context_min, config.context_max, draws)
        flips = torch.rand(config.batch_size, generator=draws) < 0.5
        mine = slice(self.rank, None, self.world)  # this process's share of the global batch, as DistributedSampler deals faces
        batch = self.images[index]
        if config.flip:
            batch = torch.where(flips[mine, None], batch.reshape(-1, side, side).flip(-1).reshape(-1, pixels), batch)
        share = context[mine].to(self.device)
        return Batch(batch.to(self.device), {"context_index": share.index, "context_weight": share.weight})

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        """The model's terms for the faces in ``batch.coords`` seen at the batch's context pixels."""
        return field(batch.coords, Context(batch.targets["context_index"], batch.targets["context_weight"]))

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        """Test MSE at 10, 100, 1000 (where the image has them) and half context pixels, plus the run's size."""
        pixels = self.config.size ** 2
        fitting = tuple(c for c in CONTEXT_CHOICES if c == "half" or int(c) <= pixels)  # 1000 needs 32x32 or more
        return evaluate_prior(field, self.test_faces, side=self.config.size, contexts=fitting) | {
            "world_size": float(self.world), "peak_rss_mib": peak_rss_mib()}

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]:
        """Nothing beyond the checkpoint: `sirenkit inpaint RUN` draws the pictures."""
        return []


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


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (getrusage ru_maxrss)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


@dataclass
class PriorResult:
    """A trained prior and its test metrics (MSE on pixel values in [-1, 1], all pixels of each test face)."""

    model: PriorModel
    metrics: dict[str, float]


def check_resume(out: Path, config: PriorConfig) -> None:
    """DataError when the checkpoint in `out` is not a prior's, or holds another model than config.model."""
    from sirenkit.runs import prior_model_of

    path = Path(out) / CHECKPOINT_FILE
    if not path.is_file():
        raise DataError(f"{path}: no checkpoint; train a prior first with 'sirenkit prior-train --out {path.parent}'.")
    found = prior_model_of(load_checkpoint(path))
    if found is None:
        raise DataError(f"{path}: not a prior checkpoint; pass a run made by 'sirenkit prior-train'.")
    if found != config.model:
        raise DataError(f"{path}: holds a '{found}' prior, but its config asks for '{config.model}'; "
                        f"use --model {found}, or another run folder.")


def fit_prior(config: PriorConfig, out: str | Path | None = None, *, resume: bool = False, train_faces: Faces | None = None,
              test_faces: Faces | None = None, callbacks: tuple = ()) -> PriorResult:
    """Train config.model on the training faces with `sirenkit.fit`, evaluate it on the test faces.

    Under torchrun (WORLD_SIZE > 1) fit joins the process group and trains with
    DistributedDataParallel; only rank 0 writes `out`.

    Args:
        train_faces, test_faces: use these instead of loading config.faces (tests, custom data).

    Raises:
        ConfigError: a batch size that the processes cannot share.
        DataError: unreadable faces, or a resumed run of another model.
    """
    from sirenkit.fit import fit

    check_world(config, int(os.environ.get("WORLD_SIZE", "1")))
    if train_faces is None or test_faces is None:
        train_faces, test_faces = load_split(config)
    if resume and out is not None:
        check_resume(Path(out), config)
    task = PriorTask(config, train_faces, test_faces)
    model = task.build_model()
    result = fit(model, task, fit_config(config), out=out, resume=resume, callbacks=callbacks)
    return PriorResult(model.eval(), result.metrics)


__all__ = ["PriorConfig", "PriorResult", "PriorTask", "evaluate_prior", "faces_path", "fit_config", "fit_prior", "load_split",
           "peak_rss_mib"]
