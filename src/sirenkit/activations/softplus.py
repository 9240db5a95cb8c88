"""softplus baseline with Kaiming-normal (fan-in) init, as in the reference code."""

from __future__ import annotations

from torch import Tensor, nn
from torch.nn import functional

from sirenkit.activations.base import Activation


class Softplus(Activation):
    """log(1 + exp(x)): a smooth ReLU, so its second derivatives exist (unlike ReLU's)."""

    def forward(self, x: Tensor) -> Tensor:
        return functional.softplus(x)

    def init_linear_(self, linear: nn.Linear, *, is_first: bool) -> None:
        nn.init.kaiming_normal_(linear.weight, a=0.0, nonlinearity="relu", mode="fan_in")
