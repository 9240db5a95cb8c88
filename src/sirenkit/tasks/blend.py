"""Poisson image editing: paste a foreground into a background in the gradient domain (Pérez et al. 2003; paper Fig. 3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from skimage.transform import resize
from torch import Tensor, nn

from sirenkit import ops
from sirenkit.config import check_choice, check_positive
from sirenkit.differences import GRADIENT_FILTERS, image_gradient
from sirenkit.errors import ConfigError, ShapeError
from sirenkit.io.image import load_image, save_image
from sirenkit.metrics import psnr
from sirenkit.plots import save_image_grid
from sirenkit.protocols import Batch, merge_loss_weights
from sirenkit.render import DEFAULT_CHUNK_SIZE, evaluate_derivatives, render_image_file
from sirenkit.samplers import GridSampler, grid
from sirenkit.tasks.poisson import derivative_psnr

GUIDES = ("foreground", "average", "mixed")
LOSS_WEIGHTS = {"gradient": 10.0, "anchor": 1.0}
"""Default weights of the blend task's terms (see `BlendConfig.loss_weights`)."""


@dataclass
class BlendConfig:
    """Which foreground to paste where, and how its gradients guide the blend."""

    positionals: ClassVar[tuple[str, ...]] = ("background", "foreground")

    background: str = "astronaut"
    """Background image file or built-in name; it is resized to --size."""
    foreground: str = "chelsea"
    """Foreground image file or built-in name; it is resized to --foreground-size and pasted at --at."""
    at: tuple[int, int] = (16, 16)
    """X Y: column and row (background pixels, after resizing) of the foreground's top-left corner."""
    mask: str = ""
    """Optional PNG the size of the foreground file: white pixels are pasted (default: the whole foreground)."""
    guide: str = "foreground"
    """Gradients inside the mask: foreground (Pérez' seamless cloning), average (the reference's 0.5 each) or mixed (the stronger)."""
    size: int = 256
    """Resize the background so its longer side has this many pixels (0 keeps the file's size)."""
    foreground_size: int = 96
    """Resize the foreground so its longer side has this many pixels (0 keeps the file's size)."""
    gradient_filter: str = "sobel"
    """Finite differences for the target gradients: sobel (reference code) or central."""
    chunk_size: int = DEFAULT_CHUNK_SIZE
    """Points per forward pass when evaluating and exporting (bounds memory)."""
    loss_weights: dict[str, float] = field(default_factory=lambda: dict(LOSS_WEIGHTS))
    """gradient: ∇Φ against the guide field, in per-pixel units; anchor: Φ against the background outside the mask.
    Measured on a 40^2 test blend: gradient weight 1 fits the pasted gradients to 27 dB, 10 to 42 dB, with the
    background kept within 0.005 either way."""

    def __post_init__(self) -> None:
        self.at = tuple(int(v) for v in self.at)  # a JSON config gives a list
        check_choice(self, "guide", GUIDES)
        check_choice(self, "gradient_filter", GRADIENT_FILTERS)
        check_positive(self, "size", allow_zero=True)
        check_positive(self, "foreground_size", allow_zero=True)
        check_positive(self, "chunk_size")
        if len(self.at) != 2:
            raise ConfigError(f"at={self.at} must be two numbers X Y, e.g. --at 16 16.")
        self.loss_weights = merge_loss_weights(LOSS_WEIGHTS, self.loss_weights, task="blend")


def _resized(image: np.ndarray, size: int, *, order: int = 1) -> np.ndarray:
    if not size:
        return image
    h, w = image.shape[:2]
    shape = (max(2, round(h * size / max(h, w))), max(2, round(w * size / max(h, w))), image.shape[2])
    return resize(image, shape, order=order, anti_aliasing=order > 0 and size < max(h, w), preserve_range=True).astype(np.float32)


class BlendTask:
    """Seamless cloning: the fitted field has the background's values outside the mask and the guide's gradients inside.

    The guide field is the background's gradient with the foreground's pasted inside the mask;
    the values outside the mask anchor the colours, as the boundary condition of Poisson editing.
    """

    name = "blend"
    in_features = 2
    shape: tuple[int, int]
    """The `shape` capability (`sirenkit.protocols`): the sampling grid, the background's (H, W) pixels; `fields.build` sizes a positional
    encoding's octaves for its smallest side."""

    def __init__(self, background: np.ndarray, foreground: np.ndarray, mask: np.ndarray, *, config: BlendConfig) -> None:
        self.config = config
        if background.shape[2] != foreground.shape[2]:
            raise ShapeError(f"background has {background.shape[2]} channels and foreground {foreground.shape[2]}; "
                             "blend images of the same kind (both grey or both RGB): convert one of them first.")
        if mask.shape[:2] != foreground.shape[:2]:
            raise ShapeError(f"mask is {mask.shape[1]}x{mask.shape[0]} pixels but the foreground {foreground.shape[1]}x"
                             f"{foreground.shape[0]}; give a mask of the foreground's size.")
        (x, y), (h, w), (bh, bw) = config.at, foreground.shape[:2], background.shape[:2]
        if w > bw or h > bh:  # no position fits: only a smaller foreground (or a larger background) does
            raise ConfigError(f"the foreground ({w}x{h}) is larger than the background ({bw}x{bh}), so it fits at no --at; "
                              f"pass --foreground-size at most {min(bw, bh)}, or a larger --size.")
        if x < 0 or y < 0 or x + w > bw or y + h > bh:
            raise ConfigError(f"foreground ({w}x{h}) at X={x} Y={y} does not fit inside the background ({bw}x{bh}); "
                              f"choose --at with 0 <= X <= {bw - w} and 0 <= Y <= {bh - h}, or a smaller --foreground-size.")
        self.background = background
        self.shape = background.shape[:2]
        self.out_features = background.shape[2]
        self.mask = np.zeros(self.shape, bool)
        self.mask[y : y + h, x : x + w] = mask[..., 0] > 0.5
        self.naive = background.copy()
        self.naive[y : y + h, x : x + w][mask[..., 0] > 0.5] = foreground[mask[..., 0] > 0.5]
        self.guide = self._guide(background, foreground, (x, y))
        self.loss_weights = dict(config.loss_weights)
        self._pixel_scale = ((self.shape[0] - 1) / 2.0, (self.shape[1] - 1) / 2.0)  # coordinate -> pixel derivatives
        n, c = self.shape[0] * self.shape[1], self.out_features
        target = np.concatenate([self.guide.reshape(n, 2 * c), (background * 2 - 1).reshape(n, c),
                                 (~self.mask).reshape(n, 1)], axis=1)
        self._sampler = GridSampler(grid(self.shape), torch.from_numpy(target.astype(np.float32)))

    def _guide(self, background: np.ndarray, foreground: np.ndarray, at: tuple[int, int]) -> np.ndarray:
        kind = self.config.gradient_filter
        guide = image_gradient(background * 2 - 1, kind=kind)
        (x, y), (h, w) = at, foreground.shape[:2]
        inside = guide[y : y + h, x : x + w]
        to_background_units = np.array([(self.shape[0] - 1) / (h - 1), (self.shape[1] - 1) / (w - 1)])
        fg = image_gradient(foreground * 2 - 1, kind=kind) * to_background_units
        if self.config.guide == "average":
            fg = 0.5 * (fg + inside)
        elif self.config.guide == "mixed":
            stronger = np.linalg.norm(fg, axis=-1, keepdims=True) > np.linalg.norm(inside, axis=-1, keepdims=True)
            fg = np.where(stronger, fg, inside)
        m = self.mask[y : y + h, x : x + w]
        inside[m] = fg[m]
        return guide

    @classmethod
    def from_config(cls, config: BlendConfig) -> BlendTask:
        background = load_image(config.background, size=config.size or None)
        foreground_file = load_image(config.foreground)
        mask_file = load_image(config.mask).mean(-1, keepdims=True) if config.mask else np.ones_like(foreground_file[..., :1])
        if mask_file.shape[:2] != foreground_file.shape[:2]:
            raise ShapeError(f"mask {config.mask} is {mask_file.shape[1]}x{mask_file.shape[0]} pixels but the foreground "
                             f"{config.foreground} is {foreground_file.shape[1]}x{foreground_file.shape[0]}; give a mask of the "
                             "foreground file's size (white = paste).")
        foreground = _resized(foreground_file, config.foreground_size)
        mask = _resized(mask_file, config.foreground_size, order=0)
        return cls(background, foreground, mask, config=config)

    def to(self, device: torch.device) -> BlendTask:
        self._sampler.to(device)
        return self

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        """`batch_size` random pixels of the background (0: every pixel), each with its guide gradient and anchor."""
        coords, packed = self._sampler.sample(generator, batch_size=batch_size)
        c = self.out_features
        return Batch(coords, {"guide": packed[:, : 2 * c], "background": packed[:, 2 * c : 3 * c], "outside": packed[:, 3 * c :]})

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        value, grad, *_ = ops.jet(field, batch.coords, laplacian=False)
        scale = torch.tensor(self._pixel_scale, device=grad.device)
        error = (grad - batch.targets["guide"].reshape(grad.shape)) / scale  # per-pixel units, like the anchor's values
        outside = batch.targets["outside"]
        anchor = (outside * (value - batch.targets["background"]) ** 2).sum() / outside.sum().clamp_min(1) / self.out_features
        return {"gradient": (error**2).sum(-1).mean(), "anchor": anchor}

    def reconstruct(self, field: nn.Module) -> tuple[np.ndarray, np.ndarray]:
        """The blended image (H, W, C) in [0, 1] and the field's gradient (H, W, C, 2)."""
        values, grads, _ = evaluate_derivatives(field, self.shape, chunk_size=self.config.chunk_size)
        return np.clip((values.numpy() + 1) * 0.5, 0, 1), grads.numpy()

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        """PSNR against the background outside the mask, and of the gradient against the guide inside it."""
        image, grads = self.reconstruct(field)
        outside = ~self.mask
        return {"psnr_background": psnr(image[outside], self.background[outside]),
                "psnr_gradient_inside": derivative_psnr(grads[self.mask], self.guide[self.mask])}

    @classmethod
    def render(cls, field: nn.Module, run: str | Path, *, out: str | Path, size: tuple[int, int] | None = None,
               chunk_size: int = DEFAULT_CHUNK_SIZE, allow_large: bool = False) -> list[Path]:
        """The blended image at any `size` (H, W), into `out` (PNG, JPEG, TIFF or BMP); `run` is not read."""
        return [render_image_file(field, out, size, chunk_size=chunk_size, allow_large=allow_large)]

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]:
        image, _ = self.reconstruct(field)
        paths = [save_image(out_dir / "blend.png", image), save_image(out_dir / "naive.png", self.naive)]
        titles = ["background", "naive paste (cut and paste)", f"blended by the field (guide: {self.config.guide})"]
        paths.append(save_image_grid(out_dir / "comparison.png", [[self.background, self.naive, image]], column_titles=titles,
                                     tile_inches=3.2))
        return paths
