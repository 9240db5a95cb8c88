"""Deep-zoom tiles of a 2-D image field: Φ, |∇Φ|, ΔΦ, error, and the training image upsampled bicubically.

The zoom pyramid is a virtual image ZOOM× the training size (a Deep Zoom / OpenSeadragon pyramid:
level L is the full size halved maxLevel - L times, rounded up). Level L is exactly what
`sirenkit render --size hL wL` draws: pixel j of a level of width wL sits at x = -1 + 2 j / (wL - 1),
so a tile is a crop of that render, evaluated on its own coordinates only (TILE² points, chunked).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from sirenkit import ops
from sirenkit.metrics import psnr
from sirenkit.render import DEFAULT_CHUNK_SIZE, evaluate_points, render_image
from sirenkit.view.pixels import apply_colormap, png_bytes
from sirenkit.view.requests import BadRequest

TILE = 256
"""Tile side in pixels: a tile never evaluates more than TILE² points."""
ZOOM = 256
"""The deepest level is ZOOM times the training resolution."""
LAYERS = ("phi", "grad", "laplacian", "error", "bicubic")
ERROR_RANGE = 0.25
"""|fit - reference| (image units, [0, 1]) that maps to the top of the error colour map."""
LAYER_COLORMAPS = {"grad": "gray", "laplacian": "RdBu_r", "error": "inferno"}


@dataclass(frozen=True)
class Pyramid:
    """Level sizes of the zoom pyramid over an (H, W) training image."""

    height: int
    width: int

    @property
    def full(self) -> tuple[int, int]:
        return self.height * ZOOM, self.width * ZOOM

    @property
    def max_level(self) -> int:
        return math.ceil(math.log2(max(self.full)))

    def level_size(self, level: int) -> tuple[int, int]:
        scale = 0.5 ** (self.max_level - level)
        return max(1, math.ceil(self.full[0] * scale)), max(1, math.ceil(self.full[1] * scale))

    def level_of_zoom(self, zoom: int) -> int:
        """The level whose size is `zoom` times the training size (zoom a power of two up to ZOOM)."""
        return self.max_level - round(math.log2(ZOOM / zoom))

    def tile_box(self, level: int, x: int, y: int) -> tuple[int, int, int, int]:
        """(row0, col0, rows, cols) of tile (x, y) at `level`; BadRequest when it lies outside the pyramid."""
        if not 0 <= level <= self.max_level:
            raise BadRequest(f"level={level} is outside [0, {self.max_level}]")
        h, w = self.level_size(level)
        nx, ny = math.ceil(w / TILE), math.ceil(h / TILE)
        if not (0 <= x < nx and 0 <= y < ny):
            raise BadRequest(f"tile ({x}, {y}) is outside level {level}, which has {nx} x {ny} tiles")
        row0, col0 = y * TILE, x * TILE
        return row0, col0, min(TILE, h - row0), min(TILE, w - col0)

    def coords(self, level: int, box: tuple[int, int, int, int]) -> torch.Tensor:
        """The tile's pixel coordinates, (rows * cols, 2) as (row, col) in [-1, 1], like `grid_chunks`."""
        h, w = self.level_size(level)
        row0, col0, rows, cols = box
        axis_y = _axis(h, row0, rows)
        axis_x = _axis(w, col0, cols)
        yy, xx = torch.meshgrid(axis_y, axis_x, indexing="ij")
        return torch.stack([yy.reshape(-1), xx.reshape(-1)], dim=-1)


def _axis(n: int, start: int, count: int) -> torch.Tensor:
    """Entries start..start+count of torch.linspace(-1, 1, n): sliced from it (the very values `sirenkit render`
    uses) up to 2^20 entries, computed for those entries alone beyond."""
    if n == 1:
        return torch.zeros(1)
    if n <= 1 << 20:
        return torch.linspace(-1.0, 1.0, n)[start : start + count].clone()
    index = torch.arange(start, start + count, dtype=torch.float64)
    return (index * (2.0 / (n - 1)) - 1.0).float()


class LRUBytes:
    """A thread-safe least-recently-used cache of rendered bytes, bounded by their total size."""

    def __init__(self, max_bytes: int = 64 << 20) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self._size += len(value)
            while self._size > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)
        return value


def bicubic(reference: np.ndarray, coords: torch.Tensor) -> np.ndarray:
    """The training image sampled at coords by cubic-spline interpolation (scipy order 3), (N, C) in [0, 1]."""
    from scipy.ndimage import map_coordinates

    h, w = reference.shape[:2]
    rows = (coords[:, 0].double().numpy() + 1.0) * 0.5 * (h - 1)
    cols = (coords[:, 1].double().numpy() + 1.0) * 0.5 * (w - 1)
    channels = [map_coordinates(reference[..., c].astype(np.float64), [rows, cols], order=3, mode="nearest")
                for c in range(reference.shape[2])]
    return np.clip(np.stack(channels, axis=-1), 0.0, 1.0).astype(np.float32)


def _jet_chunks(field: nn.Module, coords: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """|∇Φ| and ΔΦ of the mean channel at coords, chunked."""
    grads, laps = [], []
    for chunk in coords.split(DEFAULT_CHUNK_SIZE):
        with torch.no_grad():
            _, grad, lap, _ = ops.jet(field, chunk)
        grad = grad.unsqueeze(1) if grad.dim() == 2 else grad
        grads.append(grad.detach().mean(1).norm(dim=-1))
        laps.append(lap.detach().mean(-1))
    return torch.cat(grads).numpy(), torch.cat(laps).numpy()


class ImageFieldTiles:
    """Tiles and readouts of one 2-D image field against its training image (the reference)."""

    def __init__(self, field: nn.Module, shape: tuple[int, int], reference: np.ndarray | None) -> None:
        self.field = field
        self.pyramid = Pyramid(*shape)
        self.reference = reference
        fitted = render_image(field, shape)
        grad, lap = _jet_chunks(field, self.pyramid.coords(self.pyramid.level_of_zoom(1), (0, 0, *shape)))
        self.grad_scale = float(np.percentile(grad, 99.5)) or 1.0
        self.laplacian_scale = float(np.percentile(np.abs(lap), 99.0)) or 1.0
        value = psnr(fitted, reference) if reference is not None and reference.shape == fitted.shape else None
        self.psnr = value if value is not None and math.isfinite(value) else None  # JSON has no inf

    @property
    def layers(self) -> tuple[str, ...]:
        return LAYERS if self.reference is not None else ("phi", "grad", "laplacian")

    def describe(self) -> dict:
        p = self.pyramid
        return {"height": p.height, "width": p.width, "full_height": p.full[0], "full_width": p.full[1], "max_level": p.max_level,
                "tile_size": TILE, "zoom": ZOOM, "layers": list(self.layers), "psnr_live": self.psnr,
                "ranges": {"grad": [0.0, self.grad_scale], "laplacian": [-self.laplacian_scale, self.laplacian_scale],
                           "error": [0.0, ERROR_RANGE]}, "colormaps": LAYER_COLORMAPS}

    def tile_png(self, layer: str, level: int, x: int, y: int) -> bytes:
        """One tile of `layer` as PNG; BadRequest for a layer this run lacks or a tile outside the pyramid."""
        if layer not in self.layers:
            raise BadRequest(f"layer={layer!r}: this run has {', '.join(self.layers)}")
        box = self.pyramid.tile_box(level, x, y)
        coords = self.pyramid.coords(level, box)
        rows, cols = box[2], box[3]
        if layer == "bicubic":
            return png_bytes(bicubic(self.reference, coords).reshape(rows, cols, -1))
        if layer in ("grad", "laplacian"):
            grad, lap = _jet_chunks(self.field, coords)
            if layer == "grad":
                image = apply_colormap(grad, "gray", 0.0, self.grad_scale)
            else:
                image = apply_colormap(lap, "RdBu_r", -self.laplacian_scale, self.laplacian_scale)
            return png_bytes(image.reshape(rows, cols, 3))
        values = evaluate_points(self.field, coords).add_(1.0).mul_(0.5).clamp_(0.0, 1.0).numpy()
        if layer == "phi":
            return png_bytes(values.reshape(rows, cols, -1))
        error = np.abs(values - bicubic(self.reference, coords)).mean(-1)
        return png_bytes(apply_colormap(error, "inferno", 0.0, ERROR_RANGE).reshape(rows, cols, 3))
