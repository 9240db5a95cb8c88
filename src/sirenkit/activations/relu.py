"""ReLU baseline with Kaiming-normal (fan-in) init, as in the reference code."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sirenkit.activations.base import Activation


class ReLU(Activation):
    """max(x, 0); the paper's main baseline, which cannot represent second derivatives."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(x)

    def init_linear_(self, linear: nn.Linear, *, is_first: bool) -> None:
        nn.init.kaiming_normal_(linear.weight, a=0.0, nonlinearity="relu", mode="fan_in")
