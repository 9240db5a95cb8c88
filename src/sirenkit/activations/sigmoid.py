"""sigmoid baseline with Xavier-normal init, as in the reference code."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sirenkit.activations.base import Activation


class Sigmoid(Activation):
    """1 / (1 + exp(-x)); smooth and saturating, a baseline of the paper's Helmholtz experiment."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.sigmoid(x)

    def init_linear_(self, linear: nn.Linear, *, is_first: bool) -> None:
        nn.init.xavier_normal_(linear.weight)
