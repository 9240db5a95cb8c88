"""Gaussian activation exp(-(scale * x)^2) (Ramasinghe & Lucey 2022; as in the WIRE and FINER code)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sirenkit.activations.base import Activation


class Gauss(Activation):
    """exp(-(scale * x)^2): a bump whose width 1/scale sets the detail a layer can fit.

    Init: PyTorch's default for nn.Linear, W, b ~ U(-1/sqrt(n), 1/sqrt(n)), as the WIRE and FINER
    reference code (GaussLayer) leaves it. Scale: 10 in WIRE's code, 30 in FINER's image runs.
    """

    scaled = True

    def __init__(self, scale: float = 10.0) -> None:
        super().__init__()
        self.scale = float(scale)

    def forward(self, x: Tensor) -> Tensor:
        return torch.exp(-(self.scale * x) ** 2)

    def init_linear_(self, linear: nn.Linear, *, is_first: bool) -> None:
        linear.reset_parameters()

    def extra_repr(self) -> str:
        return f"scale={self.scale:g}"
