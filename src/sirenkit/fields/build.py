"""Building a field from its config: the one place that maps an activation name to a class."""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from sirenkit.config import FieldConfig
from sirenkit.fields.encodings import nyquist_frequencies
from sirenkit.fields.mlp import MLP
from sirenkit.fields.siren import Siren


def build_field(config: FieldConfig, *, seed: int | None = None) -> nn.Module:
    """The field a config describes: Siren for 'sine' without an encoding, else an MLP.

    With `seed`, the init (and any random encoding) draws from that seed without touching the
    global RNG state.
    """
    def make() -> nn.Module:
        if config.activation == "sine" and config.encoding == "identity":
            return Siren(config.in_features, config.hidden_features, config.hidden_layers, config.out_features,
                         first_omega_0=config.first_omega_0, hidden_omega_0=config.hidden_omega_0,
                         outermost_linear=config.outermost_linear)
        return MLP(config.in_features, config.hidden_features, config.hidden_layers, config.out_features,
                   activation=config.activation, first_omega_0=config.first_omega_0, hidden_omega_0=config.hidden_omega_0,
                   scale=config.scale, encoding=config.encoding, encoding_frequencies=config.encoding_frequencies,
                   encoding_features=config.encoding_features, fourier_scale=config.fourier_scale)

    if seed is None:
        return make()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make()


def field_config_for(config: FieldConfig, task: object) -> FieldConfig:
    """`config` with the task's input and output sizes, and what depends on its sampling.

    A positional encoding left at ``encoding_frequencies=0`` gets the reference's Nyquist rule
    for the task's smallest side (``task.shape``, e.g. an image's (H, W)).
    """
    config = dataclasses.replace(config, in_features=task.in_features, out_features=task.out_features)  # type: ignore[attr-defined]
    shape = getattr(task, "shape", None)
    if config.encoding == "positional" and not config.encoding_frequencies and shape:
        config = dataclasses.replace(config, encoding_frequencies=nyquist_frequencies(min(shape)))
    return config
