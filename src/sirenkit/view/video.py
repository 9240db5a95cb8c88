"""Video runs in the viewer: frames of the original and of the fit, the fit at any number of frames (slow motion).

Frame k of N is the field at t = linspace(-1, 1, N)[k] over the clip's span, the same times as
`sirenkit render --frames N`; one request renders one frame.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from sirenkit.render import evaluate_points
from sirenkit.samplers import grid
from sirenkit.view.pixels import png_bytes
from sirenkit.view.requests import BadRequest

MAX_SLOW_MOTION = 16
"""The fit can be rendered at up to this many times the clip's frames."""
MAX_FRAME_PIXELS = 1 << 20
"""Largest frame one request renders (H x W)."""


def fit_frame_png(field: nn.Module, frame: int, num_frames: int, size: tuple[int, int]) -> bytes:
    """Frame `frame` of the fit rendered with `num_frames` frames over the clip's span, at `size` (H, W)."""
    if size[0] * size[1] > MAX_FRAME_PIXELS:
        raise BadRequest(f"the clip's frames are {size[0]}x{size[1]}, more than the viewer renders ({MAX_FRAME_PIXELS} pixels)")
    t = torch.linspace(-1.0, 1.0, num_frames)[frame] if num_frames > 1 else torch.tensor(0.0)
    xy = grid(size)
    values = evaluate_points(field, torch.cat([torch.full((len(xy), 1), float(t)), xy], dim=1))
    return png_bytes(values.add_(1.0).mul_(0.5).clamp_(0.0, 1.0).reshape(*size, -1).numpy())


def original_frame_png(frames: np.ndarray, frame: int) -> bytes:
    """Frame `frame` of the training clip (uint8, as fitted)."""
    return png_bytes(frames[frame])
