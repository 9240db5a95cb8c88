"""Building a field from its config: the one place that maps an activation name to a class."""

from __future__ import annotations

import torch
from torch import nn

from sirenkit.config import FieldConfig
from sirenkit.fields.mlp import MLP
from sirenkit.fields.siren import Siren


def build_field(config: FieldConfig, *, seed: int | None = None) -> nn.Module:
    """The field a config describes: Siren for 'sine', else an MLP with that activation.

    With `seed`, the init draws from that seed without touching the global RNG state.
    """
    def make() -> nn.Module:
        if config.activation == "sine":
            return Siren(config.in_features, config.hidden_features, config.hidden_layers, config.out_features,
                         first_omega_0=config.first_omega_0, hidden_omega_0=config.hidden_omega_0,
                         outermost_linear=config.outermost_linear)
        return MLP(config.in_features, config.hidden_features, config.hidden_layers, config.out_features,
                   activation=config.activation, first_omega_0=config.first_omega_0, hidden_omega_0=config.hidden_omega_0)

    if seed is None:
        return make()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make()
