"""Coordinate grids and the samplers that pick the coordinates of one training step."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from sirenkit.errors import ConfigError


def grid(shape: Sequence[int], *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32) -> Tensor:
    """Coordinates of a regular grid spanning [-1, 1] in every axis, endpoints included.

    Axis order follows `shape` (rows, then columns for an image), so ``grid((H, W))[i * W + j]``
    is the coordinate (y_i, x_j) of pixel (i, j).

    Shape:
        returns: (prod(shape), len(shape))

    Example:
        >>> grid((2, 3))[:, 1]
        tensor([-1.,  0.,  1., -1.,  0.,  1.])
    """
    if not shape or any(int(n) < 1 for n in shape):
        raise ConfigError(f"grid shape {tuple(shape)} is invalid; every size must be >= 1, e.g. grid((256, 256)).")
    axes = [torch.linspace(-1.0, 1.0, int(n), device=device, dtype=dtype) if n > 1 else torch.zeros(1, device=device, dtype=dtype)
            for n in shape]
    mesh = torch.meshgrid(*axes, indexing="ij")
    return torch.stack(mesh, dim=-1).reshape(-1, len(shape))


def disc_points(n: int, centre: Tensor, radius: float, generator: torch.Generator) -> Tensor:
    """n points uniform (in area) in the disc of `radius` around `centre` (2,), on the CPU: the reference's extra samples
    near a point source.

    Shape:
        returns: (n, 2)
    """
    r = radius * torch.rand(n, generator=generator).sqrt()
    theta = 2.0 * math.pi * torch.rand(n, generator=generator)
    return centre.cpu() + torch.stack([r * torch.cos(theta), r * torch.sin(theta)], -1)


class GridSampler:
    """Full batch, or `batch_size` random rows of a fixed set of coordinates and targets per step.

    The batch size is an argument of `sample` (it comes from the fit config), not sampler state.

    Random rows are drawn without replacement from the fit loop's generator, so a run is
    reproducible from its seed (and resumable from the generator's saved state).
    """

    def __init__(self, coords: Tensor, target: Tensor) -> None:
        self.coords, self.target = coords, target

    def to(self, device: torch.device) -> GridSampler:
        self.coords, self.target = self.coords.to(device), self.target.to(device)
        return self

    def sample(self, generator: torch.Generator, *, batch_size: int = 0) -> tuple[Tensor, Tensor]:
        """All rows when batch_size is 0 or covers them all, else batch_size rows drawn without replacement."""
        if not 0 < batch_size < len(self.coords):
            return self.coords, self.target
        index = torch.randperm(len(self.coords), generator=generator)[:batch_size].to(self.coords.device)
        return self.coords[index], self.target[index]
