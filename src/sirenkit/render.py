"""Evaluating a field on grids of any size, in chunks of bounded memory; the checks `Task.render` shares."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from sirenkit import ops
from sirenkit.budget import FLOAT_BYTES, check_memory, check_work, flop_per_point, grid_points
from sirenkit.errors import ConfigError

DEFAULT_CHUNK_SIZE = 16384
"""Points per forward pass when evaluating: 16384 x 256 floats = 16 MiB per hidden activation.

Measured on a 2-core CPU (3x256 SIREN, 512^2 grid): 0.70 M points/s at 16384, 0.55 M at 65536."""
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
"""File endings `render` writes images to (image, poisson and blend runs)."""
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
"""File endings `render` writes audio to."""
VIDEO_SUFFIXES = (".mp4",)
"""File endings `render` writes video to."""


def grid_chunks(shape: Sequence[int], chunk_size: int, *, device: torch.device | str = "cpu") -> Iterator[Tensor]:
    """The coordinates of `sirenkit.grid(shape)`, `chunk_size` rows at a time, never all at once."""
    if chunk_size < 1:
        raise ConfigError(f"chunk_size={chunk_size} must be >= 1; pass e.g. --chunk-size {DEFAULT_CHUNK_SIZE}.")
    axes = [torch.linspace(-1.0, 1.0, n, device=device) if n > 1 else torch.zeros(1, device=device) for n in shape]
    total = int(np.prod(shape))
    for start in range(0, total, chunk_size):
        flat = torch.arange(start, min(start + chunk_size, total), device=device)
        index = torch.unravel_index(flat, tuple(shape))
        yield torch.stack([axis[i] for axis, i in zip(axes, index)], dim=-1)


def field_channels(field: nn.Module, default: int) -> int:
    """Channels a field returns, from its config; `default` (the most the caller's kind of signal has) for a custom module."""
    return int(getattr(getattr(field, "config", None), "out_features", default))


def _device_of(field: nn.Module) -> torch.device:
    return next(field.parameters()).device


@torch.no_grad()
def evaluate_points(field: nn.Module, coords: Tensor, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Tensor:
    """Field values at arbitrary coords (N, d), `chunk_size` at a time on the field's device; returned on the CPU.

    Shape:
        returns: (N, out_features)
    """
    if chunk_size < 1:
        raise ConfigError(f"chunk_size={chunk_size} must be >= 1; pass e.g. --chunk-size {DEFAULT_CHUNK_SIZE}.")
    device = _device_of(field)
    return torch.cat([field(chunk.to(device)).cpu() for chunk in coords.split(chunk_size)])


@torch.no_grad()
def evaluate_grid(field: nn.Module, shape: Sequence[int], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Tensor:
    """Field values on the grid `shape`, on the CPU.

    Shape:
        returns: (*shape, out_features)
    """
    device = _device_of(field)
    values, start = None, 0
    for coords in grid_chunks(shape, chunk_size, device=device):
        chunk = field(coords)
        if values is None:  # sized by the first chunk: any module mapping coords to values works
            values = torch.empty(int(np.prod(shape)), chunk.shape[-1])
        values[start : start + len(coords)] = chunk
        start += len(coords)
    return values.reshape(*shape, -1)


def evaluate_complex(field: nn.Module, coords: Tensor, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> np.ndarray:
    """The field's complex values, channels (2j, 2j+1) = (re, im) of field j, at coords (N, d), chunked, no grad.

    An odd last channel (FWI's slowness) is not a field and is left out.

    Shape:
        returns: (N, F) complex128
    """
    v = evaluate_points(field, coords, chunk_size=chunk_size).double().numpy()
    pairs = v.shape[1] // 2
    return v[:, 0:2 * pairs:2] + 1j * v[:, 1:2 * pairs:2]


def render_image(field: nn.Module, shape: tuple[int, int], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> np.ndarray:
    """An image field rendered at (H, W), mapped from [-1, 1] to [0, 1] and clipped.

    Shape:
        returns: (H, W, C) float32
    """
    values = evaluate_grid(field, shape, chunk_size=chunk_size)
    return values.add_(1.0).mul_(0.5).clamp_(0.0, 1.0).numpy()


def evaluate_derivatives(field: nn.Module, shape: Sequence[int], *, chunk_size: int = DEFAULT_CHUNK_SIZE
                         ) -> tuple[Tensor, Tensor, Tensor]:
    """Every channel's value, gradient and Laplacian on a grid, chunked, on the CPU.

    Derivatives are taken w.r.t. the coordinates in [-1, 1], as the fit sees them, with
    `ops.jet` (forward mode for a Siren, so no graph is kept).

    Shape:
        returns: (*shape, C), (*shape, C, d), (*shape, C)
    """
    device = _device_of(field)
    values, grads, laps = [], [], []
    for coords in grid_chunks(shape, chunk_size, device=device):
        with torch.no_grad():
            value, grad, lap, _ = ops.jet(field, coords)
        values.append(value.detach().cpu())
        grads.append((grad.unsqueeze(1) if grad.dim() == 2 else grad).detach().cpu())
        laps.append(lap.detach().cpu())
    d = len(shape)
    return (torch.cat(values).reshape(*shape, -1), torch.cat(grads).reshape(*shape, -1, d), torch.cat(laps).reshape(*shape, -1))


def derivative_images(field: nn.Module, shape: tuple[int, int], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """|grad| and Laplacian of the field's mean channel on an (H, W) grid, chunked.

    Shape:
        returns: two (H, W) float32 arrays
    """
    _, grad, lap = evaluate_derivatives(field, shape, chunk_size=chunk_size)
    return grad.mean(-2).norm(dim=-1).numpy(), lap.mean(-1).numpy()


def check_render_out(out: str | Path, suffixes: tuple[str, ...], kind: str) -> Path:
    """`out` as a Path when it ends in one of `suffixes`, else the ConfigError that names them."""
    out = Path(out)
    if out.suffix.lower() not in suffixes:
        others = ", ".join(suffixes[1:])
        raise ConfigError(f"--out {out}: give {kind} file name ending in {suffixes[0]}" + (f" (or {others})." if others else "."))
    return out


def check_render_size(size: Sequence[int] | None, *, where: str = "") -> tuple[int, int]:
    """(H, W) of a render, both >= 1 pixel, else the ConfigError that says how to pass them."""
    if size is None or len(size) != 2:
        raise ConfigError(f"--size H W is required to render {where or 'an image field'}, e.g. --size 1024 1024.")
    h, w = (int(n) for n in size)
    if h < 1 or w < 1:
        raise ConfigError(f"--size {h} {w}: both must be >= 1 pixel, e.g. --size 1024 1024.")
    return h, w


def check_chunk_size(chunk_size: int) -> int:
    if chunk_size < 1:
        raise ConfigError(f"--chunk-size {chunk_size} must be >= 1, e.g. {DEFAULT_CHUNK_SIZE}.")
    return chunk_size


def run_metadata(run: str | Path, name: str) -> dict:
    """The JSON file `name` that a task's export wrote beside the model (audio.json, ...), or {} when there is none.

    `run` is a run folder or a model file inside one.
    """
    run = Path(run)
    path = (run if run.is_dir() else run.parent) / name
    return json.loads(path.read_text()) if path.is_file() else {}


RENDER_BYTES_PER_VALUE = 4 * FLOAT_BYTES
"""A rendered image holds each value about four times at its peak: the float32 result, the [0, 1] copy, and the
8-bit conversion's float buffers."""


def check_render_budget(field: nn.Module, points: int, values: int, *, what: str, fix: str, calls: int = 1,
                        chunk_size: int = DEFAULT_CHUNK_SIZE, allow_large: bool = False) -> None:
    """Refuse a render whose `values` do not fit in memory, or whose `points` in `calls` grids take over a day (`budget`)."""
    check_memory(what, values * RENDER_BYTES_PER_VALUE, fix=fix, allow_large=allow_large)
    passes = calls * -(-points // (calls * chunk_size))  # each grid is evaluated in chunks of chunk_size points
    check_work(what, points * flop_per_point(field), calls=passes, fix=fix, allow_large=allow_large)


def render_image_file(field: nn.Module, out: str | Path, size: Sequence[int] | None, *, chunk_size: int = DEFAULT_CHUNK_SIZE,
                      offset: Callable[[np.ndarray], np.ndarray] | None = None, allow_large: bool = False) -> Path:
    """An image field rendered at `size` (H, W) into the image file `out`, in chunks: what image-like tasks' `render` writes.

    `offset`, when given, maps the field's values (H, W, C) in [-1, 1] before they become pixels
    (Poisson adds back the part its supervision cannot see). A size whose pixels do not fit in
    memory, or take over a day to evaluate, is refused first (`sirenkit.budget`) unless `allow_large`.
    """
    from sirenkit.io.image import save_image

    out = check_render_out(out, IMAGE_SUFFIXES, "an image")
    shape = check_render_size(size)
    check_chunk_size(chunk_size)
    points = grid_points(shape)
    check_render_budget(field, points, points * field_channels(field, 4), what=f"rendering {shape[0]}x{shape[1]} pixels",
                        fix="pass a smaller --size", chunk_size=chunk_size, allow_large=allow_large)
    if offset is None:
        return save_image(out, render_image(field, shape, chunk_size=chunk_size))
    values = offset(evaluate_grid(field, shape, chunk_size=chunk_size).numpy())
    return save_image(out, np.clip((values + 1.0) * 0.5, 0.0, 1.0))
