"""SELU baseline with LeCun-normal init, W ~ N(0, 1 / fan_in), as in the reference code."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional

from sirenkit.activations.base import Activation


class SELU(Activation):
    """Scaled ELU (Klambauer et al. 2017); self-normalising with LeCun-normal weights."""

    def forward(self, x: Tensor) -> Tensor:
        return functional.selu(x)

    def init_linear_(self, linear: nn.Linear, *, is_first: bool) -> None:
        with torch.no_grad():
            linear.weight.normal_(0.0, 1.0 / math.sqrt(linear.in_features))
