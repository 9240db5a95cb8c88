"""SDF runs in the viewer: a slice through the signed distance field, coloured with a fixed diverging map."""

from __future__ import annotations

import torch
from torch import nn

from sirenkit.render import evaluate_points
from sirenkit.view.pixels import apply_colormap, png_bytes

AXES = ("x", "y", "z")
MAX_SLICE = 512
"""Largest slice side: one request evaluates at most MAX_SLICE² points."""
SDF_RANGE = 0.5
"""Signed distance (field units, the shape scaled into [-1, 1]^3) at the two ends of the colour bar."""
SDF_COLORMAP = "RdBu"


def slice_values(field: nn.Module, axis: str, position: float, resolution: int) -> torch.Tensor:
    """The SDF on a resolution² grid over [-1, 1]² in the plane axis = position; rows run top (+) to bottom (-).

    Shape:
        returns: (resolution, resolution)
    """
    free = [a for a in range(3) if a != AXES.index(axis)]
    line = torch.linspace(-1.0, 1.0, resolution)
    vertical, horizontal = torch.meshgrid(line.flip(0), line, indexing="ij")
    coords = torch.empty(resolution * resolution, 3)
    coords[:, AXES.index(axis)] = position
    coords[:, free[0]] = horizontal.reshape(-1)
    coords[:, free[1]] = vertical.reshape(-1)
    return evaluate_points(field, coords)[:, 0].reshape(resolution, resolution)


def slice_png(field: nn.Module, axis: str, position: float, resolution: int) -> bytes:
    """The slice coloured from -SDF_RANGE (red, inside) to +SDF_RANGE (blue, outside), the zero level in black."""
    values = slice_values(field, axis, position, resolution).numpy()
    image = apply_colormap(values, SDF_COLORMAP, -SDF_RANGE, SDF_RANGE)
    image[abs(values) < 1.5 / resolution] = 0.0
    return png_bytes(image)
