"""Video fitting: (t, y, x) in [-1, 1]^3 -> colour in [-1, 1] (paper Sec. 3.1, Fig. 2).

Training draws random pixels from the whole clip each step (the reference train_video.py samples
0.38 % of all pixels per step); evaluation and export run frame by frame, in chunks, without a
graph, so their memory is one frame plus one chunk whatever the number of frames.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from sirenkit.budget import grid_points
from sirenkit.config import check_positive
from sirenkit.errors import ConfigError
from sirenkit.io.run_dir import write_json
from sirenkit.io.video import load_video, parse_frames, write_video
from sirenkit.metrics import psnr, ssim
from sirenkit.plots import save_frame_psnr, save_image_grid
from sirenkit.protocols import Batch, merge_loss_weights
from sirenkit.render import (
    DEFAULT_CHUNK_SIZE,
    VIDEO_SUFFIXES,
    check_chunk_size,
    check_render_budget,
    check_render_out,
    evaluate_grid,
    run_metadata,
)

log = logging.getLogger(__name__)

VIDEO_FILE = "video.json"
"""Frames, size and frame rate of a fitted clip, written beside the model for `render`."""

LOSS_WEIGHTS = {"mse": 1.0}
"""Default weight of each loss term: the video task has one, 'mse' on values in [-1, 1]."""


@dataclass
class VideoConfig:
    """What video to fit."""

    source: str = ""
    """Video file (MP4, ...) or a folder of equally sized PNG/JPEG frames, read in name order."""
    frames: str = ""
    """Frame range A:B (from 0, B exclusive, as a Python slice); empty keeps every frame."""
    size: tuple[int, int] = (0, 0)
    """H W: resize frames to H x W pixels (anti-aliased); 0 for one of them keeps the aspect; 0 0 keeps the size."""
    chunk_size: int = DEFAULT_CHUNK_SIZE
    """Points per forward pass when evaluating and exporting (bounds memory)."""
    loss_weights: dict[str, float] = field(default_factory=lambda: dict(LOSS_WEIGHTS))
    """Weight of each loss term; the video task has one, 'mse' on values in [-1, 1]."""

    def __post_init__(self) -> None:
        self.size = tuple(int(n) for n in self.size)  # type: ignore[assignment]  # JSON gives a list
        if len(self.size) != 2 or min(self.size) < 0:
            raise ConfigError(f"size={self.size} must be two sizes H W >= 0, e.g. --size 64 160 (0 0 keeps the video's size).")
        parse_frames(self.frames)
        check_positive(self, "chunk_size")
        self.loss_weights = merge_loss_weights(LOSS_WEIGHTS, self.loss_weights, task="video")


class VideoTask:
    """Fit a video: random pixels of the whole clip per step; metrics are mean and std of per-frame PSNR and SSIM.

    ``psnr`` and ``ssim`` in the metrics are the means over frames, ``psnr_std`` and ``ssim_std``
    their standard deviations (the paper reports mean +- std).

    Example:
        >>> task = VideoTask(np.zeros((4, 8, 8, 3), np.uint8))
        >>> task.shape
        (4, 8, 8)
    """

    name = "video"
    reports_psnr = True
    """Its metrics hold a "psnr", so `--target-psnr` can stop its runs (`TaskSpec.unused_fit_options`)."""
    in_features = 3
    shape: tuple[int, int, int]
    """The `shape` capability (`sirenkit.protocols`): the sampling grid, the clip's (T, H, W) pixels; `fields.build` sizes a positional
    encoding's octaves for its smallest side."""
    fit_presets: ClassVar[dict[str, float | int]] = {"batch_size": 16384, "eval_every": 1000, "steps": 1000}
    """FitConfig defaults for video: 16384 random pixels per step; evaluation covers every frame, so it runs rarely."""
    cli_examples: ClassVar[tuple[str, ...]] = (
        "sirenkit video clip.mp4 --frames 0:8 --size 64 0 --steps 300 --out runs/video-clip",
        "sirenkit video frames/ --size 96 96 --hidden-features 128 --steps 500",
    )

    def __init__(self, frames: np.ndarray, *, fps: float = 25.0, config: VideoConfig | None = None) -> None:
        frames = np.asarray(frames)
        if frames.ndim == 3:
            frames = frames[..., None]
        if frames.ndim != 4 or frames.shape[1] < 2 or frames.shape[2] < 2:
            raise ConfigError(f"frames have shape {frames.shape}; expected (T, H, W) or (T, H, W, C) with H, W >= 2.")
        if frames.dtype != np.uint8:
            if not np.isfinite(frames).all():
                raise ConfigError("frames hold NaN or inf values; pass uint8 frames or floats in [0, 1].")
            frames = np.rint(np.clip(frames, 0.0, 1.0) * 255.0).astype(np.uint8)
        self.config = config or VideoConfig()
        self.frames = frames
        self.fps = float(fps)
        self.shape = frames.shape[:3]
        self.out_features = frames.shape[3]
        self.loss_weights = dict(self.config.loss_weights)
        self._pixels = torch.from_numpy(frames.reshape(-1, self.out_features))  # uint8: 4x less memory than float

    @classmethod
    def from_config(cls, config: VideoConfig) -> VideoTask:
        if not config.source:
            raise ConfigError("no video given; pass an MP4 file or a frame folder, e.g. 'sirenkit video clip.mp4 --frames 0:8'.")
        frames, fps = load_video(config.source, frames=config.frames, size=config.size)
        return cls(frames, fps=fps, config=config)

    @classmethod
    def from_file(cls, source: str | Path, *, frames: str = "", size: tuple[int, int] = (0, 0)) -> VideoTask:
        """Task for a video file or frame folder, optionally cut to `frames` 'A:B' and resized to `size` (H, W)."""
        return cls.from_config(VideoConfig(source=str(source), frames=frames, size=size))

    def to(self, device: torch.device) -> VideoTask:
        self._pixels = self._pixels.to(device)
        return self

    def coords_of(self, index: Tensor) -> Tensor:
        """(t, y, x) in [-1, 1]^3 of flat pixel indices into the (T, H, W) clip, without building the whole grid."""
        t, h, w = self.shape
        ti, yi, xi = index // (h * w), (index // w) % h, index % w
        axes = [(i.to(torch.float32) * (2.0 / (n - 1)) - 1.0) if n > 1 else torch.zeros_like(i, dtype=torch.float32)
                for i, n in ((ti, t), (yi, h), (xi, w))]
        return torch.stack(axes, dim=-1)

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        """`batch_size` random pixels of the whole clip, drawn with replacement (0: every pixel of every frame)."""
        total = len(self._pixels)
        if 0 < batch_size < total:
            index = torch.randint(total, (batch_size,), generator=generator).to(self._pixels.device)
        else:
            index = torch.arange(total, device=self._pixels.device)
        values = self._pixels[index].to(torch.float32) * (2.0 / 255.0) - 1.0
        return Batch(self.coords_of(index), {"values": values})

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        return {"mse": torch.mean((field(batch.coords) - batch.targets["values"]) ** 2)}

    def fitted_frames(self, field: nn.Module) -> Iterator[np.ndarray]:
        """The fitted frames at the training size, one at a time, float32 (H, W, C) in [0, 1]."""
        yield from render_video_frames(field, self.shape[0], self.shape[1:], chunk_size=self.config.chunk_size)

    def frame_metrics(self, field: nn.Module) -> tuple[list[float], list[float]]:
        """PSNR (dB) and SSIM of every frame, on [0, 1]."""
        psnrs, ssims = [], []
        for truth, pred in zip(self.frames, self.fitted_frames(field)):
            truth = truth.astype(np.float32) / 255.0
            psnrs.append(psnr(pred, truth))
            ssims.append(ssim(pred, truth))
        return psnrs, ssims

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        psnrs, ssims = self.frame_metrics(field)
        return {"psnr": float(np.mean(psnrs)), "psnr_std": float(np.std(psnrs)),
                "ssim": float(np.mean(ssims)), "ssim_std": float(np.std(ssims))}

    @classmethod
    def render(cls, field: nn.Module, run: str | Path, *, out: str | Path, size: tuple[int, int] | None = None,
               frames: int | None = None, fps: float | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE,
               allow_large: bool = False) -> list[Path]:
        """The clip's time span as `out` (MP4), frame by frame: `frames` frames of `size` (H, W) at `fps`.

        Each defaults to the clip's, read from `VIDEO_FILE` in `run`; more frames than the clip had
        over the same span is slow motion, and any size works.
        """
        if frames is not None and frames < 1:  # a given 0 is a mistake, not "the clip's"
            raise ConfigError(f"--frames {frames} must be >= 1, e.g. --frames 100 (leave it out for the clip's count).")
        if fps is not None and not (math.isfinite(fps) and fps > 0):
            raise ConfigError(f"--fps {fps} must be a finite number > 0, e.g. --fps 25 (leave it out for the clip's rate).")
        meta = run_metadata(run, VIDEO_FILE)
        size = tuple(size) if size else (meta.get("height"), meta.get("width"))
        frames = frames if frames is not None else meta.get("frames")
        fps = fps if fps is not None else meta.get("fps", 25.0)
        if not all(isinstance(n, int) and n >= 1 for n in size):
            raise ConfigError(f"--size {size}: pass --size H W with both >= 1 (the run has no {VIDEO_FILE} to take the size from).")
        if not isinstance(frames, int) or frames < 1:
            raise ConfigError(f"--frames {frames}: pass the number of frames to render (>= 1), e.g. --frames 100.")
        if not isinstance(fps, (int, float)) or not (math.isfinite(fps) and fps > 0):
            raise ConfigError(f"{run}/{VIDEO_FILE} has fps {fps!r}; pass --fps FPS (> 0), e.g. --fps 25.")
        out = check_render_out(out, VIDEO_SUFFIXES, "a video")
        frame = grid_points(size)  # frames stream to the file one at a time: memory holds one, the work is all of them
        check_render_budget(field, frames * frame, frame * 3, what=f"rendering {frames} frames of {size[0]}x{size[1]}",
                            fix="pass a smaller --size or fewer --frames", calls=frames, chunk_size=chunk_size,
                            allow_large=allow_large)
        rendered = (np.rint(frame * 255.0).astype(np.uint8) for frame in
                    render_video_frames(field, frames, size, chunk_size=check_chunk_size(chunk_size)))
        log.info("rendering %d frames of %dx%d at %g fps", frames, size[0], size[1], fps)
        return [write_video(out, rendered, fps=fps, size=size)]

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]:
        psnrs: list[float] = []
        shown = np.unique(np.linspace(0, self.shape[0] - 1, min(6, self.shape[0])).round().astype(int))
        strip: list[np.ndarray] = []

        def frames() -> Iterator[np.ndarray]:
            for i, (truth, pred) in enumerate(zip(self.frames, self.fitted_frames(field))):
                psnrs.append(psnr(pred, truth.astype(np.float32) / 255.0))
                pixels = np.rint(pred * 255.0).astype(np.uint8)
                if i in shown:
                    strip.append(np.concatenate([truth, pixels], axis=0))
                yield pixels

        paths = [write_video(out_dir / "reconstruction.mp4", frames(), fps=self.fps, size=self.shape[1:])]
        paths.append(write_json(out_dir / VIDEO_FILE, {"frames": self.shape[0], "height": self.shape[1], "width": self.shape[2],
                                                       "channels": self.out_features, "fps": self.fps}))
        paths.append(save_strip(out_dir / "frames.png", strip, shown, psnrs))
        paths.append(save_frame_psnr(out_dir / "frame_psnr.png", psnrs))
        return paths


def render_video_frames(field: nn.Module, num_frames: int, size: tuple[int, int], *,
                        chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[np.ndarray]:
    """A video field at `num_frames` evenly spaced times over [-1, 1] and `size` (H, W), one frame at a time.

    More frames than the clip had over the same time span is slow motion; any size works.

    Shape:
        yields: (H, W, out_features) float32 in [0, 1]
    """
    if num_frames < 1:
        raise ConfigError(f"num_frames={num_frames} must be >= 1.")
    h, w = size
    times = torch.linspace(-1.0, 1.0, num_frames) if num_frames > 1 else torch.zeros(1)
    timed = _AtTime(field)
    for t in times:
        timed.t = float(t)
        yield evaluate_grid(timed, (h, w), chunk_size=chunk_size).add_(1.0).mul_(0.5).clamp_(0.0, 1.0).numpy()


class _AtTime(nn.Module):
    """A video field seen as an image field at the fixed time `t`."""

    def __init__(self, field: nn.Module) -> None:
        super().__init__()
        self.field, self.t = field, 0.0

    def forward(self, coords: Tensor) -> Tensor:
        t = torch.full_like(coords[..., :1], self.t)
        return self.field(torch.cat([t, coords], dim=-1))


def save_strip(path: Path, strip: list[np.ndarray], shown: np.ndarray, psnrs: list[float]) -> Path:
    """Ground truth (top row) over fit (bottom row) for evenly spaced frames, labelled with the frame and its PSNR."""
    h = strip[0].shape[0] // 2
    titles = [[f"frame {i}" for i in shown], [f"fit: PSNR {psnrs[i]:.1f} dB" for i in shown]]
    return save_image_grid(path, [[s[:h] for s in strip], [s[h:] for s in strip]], row_labels=["ground truth", "fit"],
                           titles=titles)
