"""What every coordinate network shares: the stack of linear layers and the input check."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sirenkit.errors import ShapeError


def linear_layers(in_features: int, hidden_features: int, hidden_layers: int, out_features: int) -> nn.ModuleList:
    """in -> hidden, `hidden_layers` x hidden -> hidden, hidden -> out: hidden_layers + 2 layers."""
    widths = [in_features] + [hidden_features] * (hidden_layers + 1) + [out_features]
    return nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))


def scale_weights_(layers: nn.ModuleList, weight_scale: float) -> None:
    """Multiply every weight but the last layer's by `weight_scale` (Yeom et al., ICLR 2025), in place.

    Larger weights raise every layer's frequencies at the start, which is what makes the fit
    faster; the last layer stays as initialised so the output starts at the same amplitude.
    """
    if weight_scale != 1.0:
        with torch.no_grad():
            for layer in layers[:-1]:
                layer.weight.mul_(weight_scale)


def check_coords(coords: Tensor, in_features: int) -> None:
    """ShapeError unless coords is (..., in_features)."""
    if coords.shape[-1] != in_features:
        raise ShapeError(
            f"coords has shape {tuple(coords.shape)}; expected (..., {in_features}) for a field with "
            f"in_features={in_features}. Use sk.grid(shape) to build coordinates."
        )
