"""tanh baseline with Xavier-normal init, as in the reference code."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sirenkit.activations.base import Activation


class Tanh(Activation):
    """tanh(x); smooth, so its derivatives exist, but it fits fine detail poorly (paper Fig. 1)."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.tanh(x)

    def init_linear_(self, linear: nn.Linear, *, is_first: bool) -> None:
        nn.init.xavier_normal_(linear.weight)
