"""SIREN's sine activation and its principled init (Sitzmann et al. 2020, Sec. 3.2)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from sirenkit.activations.base import Activation


def sine_bound(in_features: int, omega_0: float, *, is_first: bool) -> float:
    """Half-width of SIREN's uniform weight init.

    First layer: 1/n, so that omega_0 alone sets the input frequencies. Hidden layers:
    sqrt(6/n)/omega_0, so that omega_0 * (W x + b) is close to N(0, 1) for arcsine-distributed x.
    The paper prints the first-layer bound as sqrt(6/n)/omega_0 too; the reference code and its
    authors (vsitzmann/siren#4) use 1/n, which we follow.
    """
    return 1.0 / in_features if is_first else math.sqrt(6.0 / in_features) / omega_0


class Sine(Activation):
    """sin(omega_0 * x), applied to x = W u + b; omega_0 stays a factor, not folded into W."""

    periodic = True

    def __init__(self, omega_0: float = 30.0) -> None:
        super().__init__()
        self.omega_0 = float(omega_0)

    def forward(self, x: Tensor) -> Tensor:
        return torch.sin(self.omega_0 * x)

    def init_linear_(self, linear: nn.Linear, *, is_first: bool) -> None:
        bound = sine_bound(linear.in_features, self.omega_0, is_first=is_first)
        with torch.no_grad():
            linear.weight.uniform_(-bound, bound)

    def extra_repr(self) -> str:
        return f"omega_0={self.omega_0:g}"
