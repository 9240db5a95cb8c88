"""Poisson reconstruction: an image fitted through its gradient or Laplacian only (paper Sec. 4.1, Fig. 3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from sirenkit import ops
from sirenkit.config import check_choice, check_positive
from sirenkit.differences import GRADIENT_FILTERS, image_gradient, image_laplacian
from sirenkit.errors import ConfigError
from sirenkit.io.image import load_image, save_image
from sirenkit.io.run_dir import write_json
from sirenkit.metrics import psnr, ssim
from sirenkit.plots import save_derivative_panel
from sirenkit.protocols import Batch, merge_loss_weights
from sirenkit.render import DEFAULT_CHUNK_SIZE, evaluate_derivatives, render_image_file, run_metadata
from sirenkit.samplers import GridSampler, grid

SUPERVISION = ("gradient", "laplacian")
UNSEEN_FILE = "unseen.json"
"""What the supervision cannot see (`unseen_coefficients`), written by export so `render` can add it back."""
LOSS_WEIGHTS = {"gradient": 2.0, "laplacian": 1.0}
"""Default weight of the supervised term; see `PoissonConfig.loss_weights`."""


@dataclass
class PoissonConfig:
    """What image to reconstruct, and from which of its derivatives."""

    source: str = "camera"
    """Image file or built-in scikit-image name (camera, astronaut, coffee, ...); grey or colour (per channel)."""
    supervise: str = "gradient"
    """gradient: fit the field's gradient to the image's; laplacian: fit its Laplacian. Pixel values are never seen."""
    size: int = 256
    """Resize so the longer side has this many pixels, keeping the aspect (0 keeps the file's size)."""
    gradient_filter: str = "sobel"
    """sobel (the reference code's: the derivative smoothed with [1, 2, 1] across it; what a smooth field recovers from it
    is in docs/results.md, Poisson) or central."""
    chunk_size: int = DEFAULT_CHUNK_SIZE
    """Points per forward pass when evaluating and exporting (bounds memory)."""
    loss_weights: dict[str, float] = field(default_factory=lambda: dict(LOSS_WEIGHTS))
    """Weight of the supervised term (only the one --supervise names is trained). gradient 2: its term is the mean over
    points, channels and both axes, so weight 2 makes it the mean over points and channels of |∇Φ - ∇I|² summed over the
    axes, the scale of the earlier releases (and of the Laplacian term)."""

    def __post_init__(self) -> None:
        check_choice(self, "supervise", SUPERVISION)
        check_choice(self, "gradient_filter", GRADIENT_FILTERS)
        check_positive(self, "size", allow_zero=True)
        check_positive(self, "chunk_size")
        self.loss_weights = merge_loss_weights(LOSS_WEIGHTS, self.loss_weights, task="poisson")


def remove_unseen(pred: np.ndarray, truth: np.ndarray, supervise: str) -> np.ndarray:
    """`pred` plus what its supervision cannot determine, fitted by least squares to `truth`, per channel.

    A gradient fixes an image up to a constant; a Laplacian up to a harmonic function, of which
    sirenkit removes the constant and linear part a + b·y + c·x (over [-1, 1]² coordinates).

    Shape:
        pred, truth: (H, W, C) in the field's units; returns (H, W, C)
    """
    return add_unseen(pred, unseen_coefficients(pred, truth, supervise))


def _unseen_basis(shape: tuple[int, int], terms: int) -> np.ndarray:
    """1, y, x (the first `terms` of them) at every node of an (H, W) grid over [-1, 1]²: (H * W, terms)."""
    h, w = shape
    y, x = np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing="ij")
    return np.stack([np.ones(h * w), y.ravel(), x.ravel()][:terms], axis=1)


def unseen_coefficients(pred: np.ndarray, truth: np.ndarray, supervise: str) -> np.ndarray:
    """Least-squares coefficients of what `supervise` cannot see in `pred` against `truth`: (1, C) for the
    gradient (a constant), (3, C) for the Laplacian (a + b·y + c·x), per channel."""
    h, w, c = pred.shape
    design = _unseen_basis((h, w), 3 if supervise == "laplacian" else 1)
    coeffs, *_ = np.linalg.lstsq(design, (truth - pred).reshape(h * w, c).astype(np.float64), rcond=None)
    return coeffs


def add_unseen(values: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """`values` (H, W, C) plus the unseen part of `unseen_coefficients`, on a grid of any size (float32)."""
    h, w, c = values.shape
    design = _unseen_basis((h, w), len(coefficients))
    return (values.reshape(h * w, c) + design @ coefficients).reshape(h, w, c).astype(np.float32)


def derivative_psnr(pred: np.ndarray, target: np.ndarray) -> float:
    """PSNR of a fitted derivative map, with the target's range (max - min) as the peak (1 if it is constant)."""
    peak = float(np.max(target) - np.min(target)) or 1.0
    return psnr(pred, target, data_range=peak)


class PoissonTask:
    """Reconstruct an image from its gradient or Laplacian alone (Poisson; paper Sec. 4.1).

    The loss sees derivatives only, so the fit is exact up to what they cannot see: a constant
    for the gradient, a harmonic function (constant + linear trend removed) for the Laplacian.
    `evaluate` reports `psnr` after removing it and `psnr_raw` before.

    Example:
        >>> task = PoissonTask.from_config(PoissonConfig(size=32))
        >>> task.targets.shape
        (32, 32, 1, 2)
    """

    name = "poisson"
    fit_presets: ClassVar[dict[str, str]] = {"optimizer": "soap"}
    """SOAP at the default lr 1e-3: at the same steps and about the same time per step it reconstructs the cameraman,
    and the coins image it was not chosen on, closer than Adam from their gradients (docs/convergence.md). From a
    Laplacian it was only probed, with mixed results. --optimizer adam gives the paper's optimizer."""
    field_presets: ClassVar[dict[str, float]] = {"first_omega_0": 15.0}
    """A smoother first layer than the paper's 30. The field is trained on its gradient at the pixels only and is free
    between them; with ω0 30 it fits the gradient there closer and its values, which set the image's PSNR, worse
    (docs/convergence.md: 33.02 against 32.33 dB on the cameraman, gradient PSNR 55 against 61 dB).
    --first-omega-0 30 gives the paper's."""
    reports_psnr = True
    """Its metrics hold a "psnr", so `--target-psnr` can stop its runs (`TaskSpec.unused_fit_options`)."""
    in_features = 2
    shape: tuple[int, int]
    """The `shape` capability (`sirenkit.protocols`): the sampling grid, the image's (H, W) pixels; `fields.build` sizes a positional
    encoding's octaves for its smallest side."""

    def __init__(self, image: np.ndarray, *, config: PoissonConfig | None = None) -> None:
        self.config = config or PoissonConfig(size=0)
        image = np.asarray(image, np.float32)
        self.image = image[..., None] if image.ndim == 2 else image
        self.shape = self.image.shape[:2]
        self.out_features = self.image.shape[2]
        self.loss_weights = {self.config.supervise: self.config.loss_weights[self.config.supervise]}
        values = self.image * 2.0 - 1.0
        self.gradient = image_gradient(values, kind=self.config.gradient_filter)
        self.laplacian = image_laplacian(values)
        self.targets = self.gradient if self.config.supervise == "gradient" else self.laplacian
        flat = torch.from_numpy(self.targets).reshape(len(values.reshape(-1, self.out_features)), -1)
        self._sampler = GridSampler(grid(self.shape), flat)

    @classmethod
    def from_config(cls, config: PoissonConfig) -> PoissonTask:
        return cls(load_image(config.source, size=config.size or None), config=config)

    def to(self, device: torch.device) -> PoissonTask:
        self._sampler.to(device)
        return self

    @property
    def grid_sampler(self) -> GridSampler:
        """The `grid_sampler` capability: the pixel sampler, which the fit loop can switch to error-guided sampling."""
        return self._sampler

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        """`batch_size` pixels (0: every pixel) with the supervised derivative."""
        coords, target = self._sampler.sample(generator, batch_size=batch_size, step=step)
        return Batch(coords, {self.config.supervise: target})

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        """Mean squared error of ∇Φ (over points, channels and axes) or of ΔΦ (over points and channels)."""
        kind = self.config.supervise
        jet = ops.jet(field, batch.coords, laplacian=kind == "laplacian")
        fitted = jet.gradient if kind == "gradient" else jet.laplacian
        error = (fitted.reshape(len(batch.coords), -1) - batch.targets[kind]) ** 2
        self._sampler.observe(error.mean(-1))
        return {kind: error.mean()}

    def reconstruct(self, field: nn.Module) -> dict[str, np.ndarray]:
        """The field's values (raw and with the unseen part removed), gradients and Laplacians."""
        values, grads, laps = (t.numpy() for t in evaluate_derivatives(field, self.shape, chunk_size=self.config.chunk_size))
        unseen = unseen_coefficients(values, self.image * 2.0 - 1.0, self.config.supervise)
        to_image = lambda v: np.clip((v + 1.0) * 0.5, 0.0, 1.0)  # noqa: E731
        return {"raw": to_image(values), "image": to_image(add_unseen(values, unseen)), "gradient": grads, "laplacian": laps,
                "unseen": unseen}

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        r = self.reconstruct(field)
        return {"psnr": psnr(r["image"], self.image), "psnr_raw": psnr(r["raw"], self.image), "ssim": ssim(r["image"], self.image),
                "psnr_gradient": derivative_psnr(r["gradient"], self.gradient),
                "psnr_laplacian": derivative_psnr(r["laplacian"], self.laplacian)}

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]:
        r = self.reconstruct(field)
        norm = lambda g: np.linalg.norm(g.mean(-2), axis=-1)  # noqa: E731
        rows = [(f"target ({self.config.supervise} only is fitted)", self.image, norm(self.gradient), self.laplacian.mean(-1)),
                ("fit: reconstruction", r["image"], norm(r["gradient"]), r["laplacian"].mean(-1))]
        return [save_image(out_dir / "reconstruction.png", r["image"]),
                save_derivative_panel(out_dir / "panel.png", rows, truth=self.image),
                write_json(out_dir / UNSEEN_FILE, {"supervise": self.config.supervise, "coefficients": r["unseen"].tolist()})]

    @classmethod
    def render(cls, field: nn.Module, run: str | Path, *, out: str | Path, size: tuple[int, int] | None = None,
               chunk_size: int = DEFAULT_CHUNK_SIZE, allow_large: bool = False) -> list[Path]:
        """The reconstruction at any `size` (H, W), into `out` (PNG, JPEG, TIFF or BMP).

        The field alone is right up to what its derivatives cannot see; the part export fitted
        (`UNSEEN_FILE` in `run`) is added back, so the render at the training size is reconstruction.png.
        """
        saved = run_metadata(run, UNSEEN_FILE)
        if "coefficients" not in saved:
            raise ConfigError(f"{run} has no {UNSEEN_FILE} (the constant the gradient cannot see); render a run folder "
                              "written by 'sirenkit poisson', not a bare model file.")
        unseen = np.asarray(saved["coefficients"], dtype=np.float64)
        return [render_image_file(field, out, size, chunk_size=chunk_size, offset=lambda v: add_unseen(v, unseen),
                                  allow_large=allow_large)]
