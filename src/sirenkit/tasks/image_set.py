"""A folder of small images, one SIREN each, trained at once as a `StackedSiren` on the one loop.

Fitting many small images one by one spends most of the time in per-step overhead; the stack
turns every layer into one batched matmul. Through `sirenkit.fit` the set gets what every run
gets: checkpoints, exact resume, the NaN guard, progress bar, time budget and device.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from sirenkit.config import FitConfig, RunConfig, check_positive
from sirenkit.errors import ConfigError, DataError, ShapeError
from sirenkit.fields.stacked import StackedSiren
from sirenkit.io.checkpoint import MODEL_FILE, save_model
from sirenkit.io.image import load_image
from sirenkit.io.run_dir import write_json
from sirenkit.metrics import psnr
from sirenkit.protocols import Batch, merge_loss_weights
from sirenkit.samplers import grid

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
MEMBERS_FILE = "images.json"
"""Export: each image's name and PSNR; each member's own run folder is RUN/<name>/."""
LOSS_WEIGHTS = {"mse": 1.0}


@dataclass
class ImageSetConfig:
    """A folder of images of one aspect ratio, and the SIREN fitted to each."""

    folder: str = ""
    """Folder of PNG/JPEG/TIFF/BMP images, all of one aspect ratio and channel count."""
    size: int = 32
    """Resize so the longer side has this many pixels."""
    hidden_features: int = 256
    """Hidden width of each image's SIREN."""
    hidden_layers: int = 3
    """Hidden-to-hidden layers of each SIREN (3 means 5 linear layers)."""
    first_omega_0: float = 30.0
    """Frequency scale of each SIREN's first layer."""
    hidden_omega_0: float = 30.0
    """Frequency scale of each SIREN's hidden layers."""
    loss_weights: dict[str, float] = field(default_factory=lambda: dict(LOSS_WEIGHTS))
    """Weight of each loss term; one, 'mse': the sum over images of each image's mean squared error."""

    def __post_init__(self) -> None:
        check_positive(self, "hidden_features", "first_omega_0", "hidden_omega_0")
        check_positive(self, "hidden_layers", allow_zero=True)
        if not isinstance(self.size, int) or self.size < 2:
            raise ConfigError(f"size={self.size!r}: images need at least 2 pixels a side; pass e.g. --size 32.")


class ImageSetTask:
    """Fit image k with member k of a StackedSiren: full grid every step, metrics on [0, 1].

    The loss is the sum over members of each member's mean squared error, so member k's
    gradient is its own and each trains as if alone (Adam is elementwise).
    """

    name = "image-set"
    reports_psnr = True
    """Its metrics hold a "psnr", so `--target-psnr` can stop its runs (`TaskSpec.unused_fit_options`)."""
    in_features = 2
    fit_presets: ClassVar[dict[str, float | int]] = {"steps": 300}
    cli_examples: ClassVar[tuple[str, ...]] = ("sirenkit fit-images faces/ --size 32 --steps 300 --out runs/faces",
                                               "sirenkit render runs/faces/face01 --size 128 128 --out face01_128.png")

    def __init__(self, images: Tensor, names: list[str], *, config: ImageSetConfig | None = None,
                 sources: list[str] | None = None) -> None:
        if images.ndim != 4:
            raise ShapeError(f"images has shape {tuple(images.shape)}; expected (K, H, W, C) values in [-1, 1], "
                             "e.g. images[..., None] for grey images.")
        self.config = config or ImageSetConfig(size=max(images.shape[1:3]))
        self.names, self.sources = list(names), list(sources or names)
        k, height, width, channels = images.shape
        self.shape, self.out_features = (height, width), channels
        self.loss_weights = merge_loss_weights(LOSS_WEIGHTS, self.config.loss_weights, task=self.name)
        self.coords = grid(self.shape)
        self.target = images.float().reshape(k, height * width, channels)

    @classmethod
    def from_config(cls, config: ImageSetConfig) -> ImageSetTask:
        folder = Path(config.folder)
        if not folder.is_dir():
            raise DataError(f"{folder}: no such folder; pass a folder of PNG/JPEG/TIFF/BMP images.")
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not paths:
            raise DataError(f"{folder}: holds no image files ({', '.join(IMAGE_SUFFIXES)}); pass a folder of images.")
        stems = [p.stem for p in paths]
        for path in paths:
            if stems.count(path.stem) > 1:
                raise DataError(f"{path}: another image in {folder} has the name '{path.stem}', so both would write "
                                f"RUN/{path.stem}; rename one of them.")
        images = [load_image(p, size=config.size) for p in paths]
        for path, image in zip(paths, images):
            if image.shape != images[0].shape:
                raise DataError(f"{path}: shape {image.shape} after resizing to --size {config.size} differs from "
                                f"{paths[0].name}'s {images[0].shape}; an image set needs one aspect ratio and one channel count.")
        return cls(torch.from_numpy(np.stack(images) * 2 - 1), stems, config=config, sources=[str(p) for p in paths])

    def build_stack(self, *, seed: int = 0) -> StackedSiren:
        """The stack to train: member k starts as the Siren of seed + k."""
        c = self.config
        return StackedSiren(len(self.names), 2, c.hidden_features, c.hidden_layers, self.out_features,
                            first_omega_0=c.first_omega_0, hidden_omega_0=c.hidden_omega_0, seed=seed)

    def to(self, device: torch.device) -> ImageSetTask:
        self.coords, self.target = self.coords.to(device), self.target.to(device)
        return self

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        """The full grid, shared by the members (batch_size is ignored: every pixel, every step)."""
        return Batch(self.coords, {"values": self.target})

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        return {"mse": ((field(batch.coords) - batch.targets["values"]) ** 2).mean(dim=(1, 2)).sum()}

    def psnrs(self, field: nn.Module) -> list[float]:
        """Each image's PSNR in dB on [0, 1]."""
        with torch.no_grad():
            pred = ((field(self.coords).clamp(-1, 1) + 1) / 2).cpu().numpy()
        target = ((self.target + 1) / 2).cpu().numpy()
        return [psnr(pred[i], np.clip(target[i], 0, 1)) for i in range(len(self.names))]

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        values = self.psnrs(field)
        return {"psnr": float(np.mean(values)), "psnr_min": float(np.min(values))}

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]:
        """RUN/<name>/ for each image (an image run: model.safetensors and config.json, so render and info work) and images.json."""
        paths = []
        for k, (name, source) in enumerate(zip(self.names, self.sources)):
            member = field.member(k)
            folder = out_dir / name
            paths.append(save_model(folder / MODEL_FILE, member))
            run = RunConfig(task="image", task_config={"source": source, "size": self.config.size}, field=member.config,
                            fit=FitConfig())
            paths.append(write_json(folder / "config.json", dataclasses.asdict(run)))
        members = dict(zip(self.names, self.psnrs(field)))
        paths.append(write_json(out_dir / MEMBERS_FILE, {"members": self.names, "psnr": members, "size": self.config.size}))
        return paths


def fit_images(images: Tensor, steps: int, lr: float = 1e-3, *, lr_final: float = 0.01, hidden_features: int = 256,
               hidden_layers: int = 3, first_omega_0: float = 30.0, hidden_omega_0: float = 30.0,
               seed: int = 0) -> tuple[StackedSiren, list[float]]:
    """Fit one SIREN per image of (K, H, W, C) values in [-1, 1], all at once, on `sirenkit.fit`.

    Returns the fitted stack (member k fits image k) and each image's PSNR in dB on [0, 1].
    """
    from sirenkit.fit import fit

    if images.ndim != 4:
        raise ShapeError(f"images has shape {tuple(images.shape)}; expected (K, H, W, C) values in [-1, 1], "
                         "e.g. images[..., None] for grey images.")
    config = ImageSetConfig(size=max(images.shape[1:3]), hidden_features=hidden_features, hidden_layers=hidden_layers,
                            first_omega_0=first_omega_0, hidden_omega_0=hidden_omega_0)
    task = ImageSetTask(images, [str(k) for k in range(len(images))], config=config)
    stack = task.build_stack(seed=seed)
    device = "cuda" if images.device.type == "cuda" else "cpu"
    fit(stack, task, FitConfig(steps=steps, lr=lr, lr_final=lr_final, seed=seed, eval_every=steps, device=device))
    return stack, task.psnrs(stack)


def fit_images_deprecated(*args: object, **kwargs: object) -> tuple[StackedSiren, list[float]]:
    """`sirenkit.fields.fit_images`, the name before 0.2: FutureWarning, then `fit_images`."""
    warnings.warn("sirenkit.fields.fit_images moved to sirenkit.tasks.image_set.fit_images (an ImageSetTask on "
                  "sirenkit.fit); the old name goes in the next release.", FutureWarning, stacklevel=2)
    return fit_images(*args, **kwargs)  # type: ignore[arg-type]


__all__ = ["IMAGE_SUFFIXES", "ImageSetConfig", "ImageSetTask", "fit_images"]
