"""ELU baseline with the reference code's init, W ~ N(0, 1.5505188 / fan_in)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional

from sirenkit.activations.base import Activation

ELU_GAIN_SQUARED = 1.5505188080679277
"""Variance gain of ELU (alpha=1) used by the reference `init_weights_elu` (vsitzmann/siren modules.py)."""


class ELU(Activation):
    """x for x > 0, exp(x) - 1 otherwise; its second derivative jumps at 0 but is non-zero for x < 0."""

    def forward(self, x: Tensor) -> Tensor:
        return functional.elu(x)

    def init_linear_(self, linear: nn.Linear, *, is_first: bool) -> None:
        with torch.no_grad():
            linear.weight.normal_(0.0, math.sqrt(ELU_GAIN_SQUARED / linear.in_features))
