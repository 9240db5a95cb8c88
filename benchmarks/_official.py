"""The official SIREN recipe (explore_siren.ipynb), re-implemented in plain PyTorch as a baseline.

Benchmarks import it so that every comparison runs against the same code, in the same process.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class OfficialSineLayer(nn.Module):
    """The notebook's SineLayer: sin(omega_0 * linear(x)) with the reference init."""

    def __init__(self, in_features: int, out_features: int, *, is_first: bool, omega_0: float = 30.0) -> None:
        super().__init__()
        self.omega_0, self.linear = omega_0, nn.Linear(in_features, out_features)
        bound = 1 / in_features if is_first else math.sqrt(6 / in_features) / omega_0
        with torch.no_grad():
            self.linear.weight.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.omega_0 * self.linear(x))


def official_siren(in_features: int = 2, hidden: int = 256, layers: int = 3, out_features: int = 1) -> nn.Sequential:
    """The notebook's Siren(outermost_linear=True): 2 -> 256 x 3 -> 1 for images."""
    net = [OfficialSineLayer(in_features, hidden, is_first=True)]
    net += [OfficialSineLayer(hidden, hidden, is_first=False) for _ in range(layers)]
    final = nn.Linear(hidden, out_features)
    with torch.no_grad():
        bound = math.sqrt(6 / hidden) / 30.0
        final.weight.uniform_(-bound, bound)
    return nn.Sequential(*net, final)


def official_step(model: nn.Module, optimizer: torch.optim.Optimizer, coords: torch.Tensor, target: torch.Tensor) -> float:
    """One step of the notebook's loop: full batch, MSE, Adam."""
    loss = ((model(coords) - target) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def copy_into_siren(official: nn.Sequential, siren: nn.Module) -> None:
    """Give a sirenkit Siren the official model's weights (same maths, same numbers)."""
    linears = [m.linear if hasattr(m, "linear") else m for m in official]
    siren.load_state_dict({f"layers.{i}.{k}": v for i, lin in enumerate(linears) for k, v in lin.state_dict().items()})
