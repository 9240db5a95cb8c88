"""Image fitting: pixel coordinates in [-1, 1]^2 -> colour in [-1, 1] (paper Sec. 3.1, Fig. 1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from sirenkit.config import check_positive
from sirenkit.differences import image_gradient, image_laplacian
from sirenkit.errors import ConfigError
from sirenkit.io.image import load_image, save_image
from sirenkit.metrics import psnr, ssim
from sirenkit.plots import save_derivative_panel
from sirenkit.protocols import merge_loss_weights
from sirenkit.render import DEFAULT_CHUNK_SIZE, derivative_images, render_image, render_image_file
from sirenkit.samplers import GridSampler, grid
from sirenkit.tasks.base import ValueFit

LOSS_WEIGHTS = {"mse": 1.0}
"""Default weight of each loss term: the image task has one, 'mse' on values in [-1, 1]."""


@dataclass
class ImageConfig:
    """What image to fit."""

    source: str = "camera"
    """Image file (PNG/JPEG/TIFF/BMP) or built-in scikit-image name: camera (alias cameraman), astronaut, coffee, chelsea, ..."""
    size: int = 256
    """Resize so the longer side has this many pixels, keeping the aspect (0 keeps the file's size). The notebook fits 256^2."""
    train_every: int = 1
    """Train on pixels (k i, k j) only and also report the PSNR of the pixels between them (psnr_heldout): 2 trains on a
    quarter of the pixels and scores the other three quarters, the check that a fast fit did not just memorise its samples."""
    chunk_size: int = DEFAULT_CHUNK_SIZE
    """Points per forward pass when evaluating and exporting (bounds memory)."""
    loss_weights: dict[str, float] = field(default_factory=lambda: dict(LOSS_WEIGHTS))
    """Weight of each loss term; the image task has one, 'mse' on values in [-1, 1]."""

    def __post_init__(self) -> None:
        check_positive(self, "size", allow_zero=True)
        check_positive(self, "chunk_size", "train_every")
        self.loss_weights = merge_loss_weights(LOSS_WEIGHTS, self.loss_weights, task="image")


class ImageTask(ValueFit):
    """Fit one image: every pixel is a training point (or every k-th, ``train_every``); metrics are PSNR and SSIM on [0, 1].

    Example:
        >>> task = ImageTask.from_source("camera", size=64)
        >>> task.image.shape
        (64, 64, 1)
    """

    name = "image"
    reports_psnr = True
    """Its metrics hold a "psnr", so `--target-psnr` can stop its runs (`TaskSpec.unused_fit_options`)."""
    in_features = 2
    field_presets: ClassVar[dict[str, float]] = {"weight_scale": 1.5}
    """FieldConfig defaults for images: weight scaling 1.5, chosen on the cameraman and checked on the astronaut
    (benchmarks/bench_convergence.py, docs/convergence.md): 36.4 dB in far fewer steps than 1.0, the pixels between
    the samples within half a dB of 1.0's (better on the astronaut); 2.5 (its authors' default) is faster still but
    noise between them."""
    shape: tuple[int, int]
    """The `shape` capability (`sirenkit.protocols`): the sampling grid, the image's (H, W) pixels; `fields.build` sizes a positional
    encoding's octaves for its smallest side."""

    def __init__(self, image: np.ndarray, *, config: ImageConfig | None = None) -> None:
        image = np.asarray(image, dtype=np.float32)
        if image.ndim == 2:
            image = image[..., None]
        if image.ndim != 3 or image.shape[0] < 2 or image.shape[1] < 2:
            raise ConfigError(f"image has shape {image.shape}; expected (H, W) or (H, W, C) with H, W >= 2.")
        if not np.isfinite(image).all():
            raise ConfigError("image holds NaN or inf values; pass finite values in [0, 1].")
        self.config = config or ImageConfig(size=0)
        self.image = image.clip(0.0, 1.0)
        self.shape = image.shape[:2]
        self.out_features = image.shape[2]
        self.loss_weights = dict(self.config.loss_weights)
        values = torch.from_numpy(self.image * 2.0 - 1.0).reshape(-1, self.out_features)
        k = self.config.train_every
        if k >= min(self.shape):
            raise ConfigError(f"train_every={k} leaves at most one training pixel per axis of the {self.shape[0]}x{self.shape[1]} "
                              "image; pass --train-every 2 (or 1 to train on every pixel).")
        rows, cols = np.meshgrid(np.arange(self.shape[0]) % k == 0, np.arange(self.shape[1]) % k == 0, indexing="ij")
        self.trained = rows & cols
        """(H, W) bool: the pixels the loss sees (all of them unless train_every > 1)."""
        train = torch.from_numpy(self.trained.reshape(-1))
        self._sampler = GridSampler(grid(self.shape)[train], values[train])

    @classmethod
    def from_config(cls, config: ImageConfig) -> ImageTask:
        return cls(load_image(config.source, size=config.size or None), config=config)

    @classmethod
    def from_source(cls, source: str | Path = "camera", *, size: int = 0) -> ImageTask:
        """Task for an image file or built-in name, resized so the longer side is `size` (0 keeps it)."""
        return cls.from_config(ImageConfig(source=str(source), size=size))

    @property
    def coords(self) -> Tensor:
        """Every training pixel's coordinates, (N, 2) in [-1, 1], row-major (N = H * W unless train_every > 1)."""
        return self._sampler.coords

    @property
    def values(self) -> Tensor:
        """Every training pixel's value, (N, C) in [-1, 1]."""
        return self._sampler.target

    def reconstruct(self, field: nn.Module) -> np.ndarray:
        """The fitted image at the training resolution, (H, W, C) in [0, 1]."""
        return render_image(field, self.shape, chunk_size=self.config.chunk_size)

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        pred = self.reconstruct(field)
        metrics = {"psnr": psnr(pred, self.image), "ssim": ssim(pred, self.image)}
        if self.config.train_every > 1:
            metrics |= {"psnr_train": psnr(pred[self.trained], self.image[self.trained]),
                        "psnr_heldout": psnr(pred[~self.trained], self.image[~self.trained])}
        return metrics

    @classmethod
    def render(cls, field: nn.Module, run: str | Path, *, out: str | Path, size: tuple[int, int] | None = None,
               chunk_size: int = DEFAULT_CHUNK_SIZE, allow_large: bool = False) -> list[Path]:
        """The fitted image at any `size` (H, W), into `out` (PNG, JPEG, TIFF or BMP): `sirenkit render RUN --size H W`.

        A classmethod: rendering needs the field, not the training image (`run` is not read).
        """
        return [render_image_file(field, out, size, chunk_size=chunk_size, allow_large=allow_large)]

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]:
        pred = self.reconstruct(field)
        paths = [save_image(out_dir / "reconstruction.png", pred)]
        rows = [("ground truth (finite differences)", self.image, *image_derivatives(self.image)),
                ("fit (exact derivatives)", pred, *derivative_images(field, self.shape, chunk_size=self.config.chunk_size))]
        paths.append(save_derivative_panel(out_dir / "panel.png", rows, truth=self.image))
        return paths


def image_derivatives(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|grad| (central differences) and Laplacian of an image's mean channel, in the field's units.

    Values are mapped to [-1, 1] and derivatives taken w.r.t. coordinates in [-1, 1], so they
    compare directly with the derivatives of a fitted field.
    """
    values = image.mean(-1, keepdims=True) * 2.0 - 1.0
    grad = image_gradient(values, kind="central")[:, :, 0]
    return np.linalg.norm(grad, axis=-1), image_laplacian(values)[:, :, 0]


save_panel = save_derivative_panel
"""The old name, still imported by sirenkit.compare; use `sirenkit.plots.save_derivative_panel`."""
