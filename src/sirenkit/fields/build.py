"""Building a field from its config: the one place that maps an activation name to a class."""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from sirenkit.budget import check_memory, field_bytes
from sirenkit.config import FieldConfig, from_dict
from sirenkit.fields.encodings import nyquist_frequencies
from sirenkit.fields.mlp import MLP
from sirenkit.fields.siren import Siren
from sirenkit.protocols import capability, presets


def build_field(config: FieldConfig | None = None, *, task: object | None = None, seed: int | None = None,
                **overrides: object) -> nn.Module:
    """The field a config describes: Siren for 'sine' without an encoding, else an MLP.

    Args:
        config: the field's settings. Without one, the global defaults with the task's field
            presets on top (e.g. audio ``first_omega_0=3000``), then `overrides`, exactly as
            ``sirenkit <task>`` builds its field.
        task: sets in/out features (and what depends on its sampling, see `field_config_for`).
        seed: the init (and any random encoding) draws from this seed without touching the
            global RNG state.

    Example:
        >>> task = sirenkit.tasks.AudioTask.from_config(sirenkit.tasks.AudioConfig())  # doctest: +SKIP
        >>> sirenkit.build_field(task=task, seed=0).config.first_omega_0                 # doctest: +SKIP
        3000.0
    """
    if config is None:
        given = (presets(task)[0] if task is not None else {}) | overrides
        config = from_dict(FieldConfig, given, where="field")
    elif overrides:
        config = dataclasses.replace(config, **overrides)
    if task is not None:
        config = field_config_for(config, task)
    check_memory(f"a field {config.hidden_features} wide with {config.hidden_layers} hidden layers",
                 field_bytes(config.in_features, config.hidden_features, config.hidden_layers, config.out_features),
                 fix="pass a smaller --hidden-features or --hidden-layers (the paper's width is 256).")

    def make() -> nn.Module:
        if config.activation == "sine" and config.encoding == "identity":
            return Siren(config.in_features, config.hidden_features, config.hidden_layers, config.out_features,
                         first_omega_0=config.first_omega_0, hidden_omega_0=config.hidden_omega_0,
                         outermost_linear=config.outermost_linear, weight_scale=config.weight_scale,
                         init=config.init, init_radius=config.init_radius)
        return MLP(config.in_features, config.hidden_features, config.hidden_layers, config.out_features,
                   activation=config.activation, first_omega_0=config.first_omega_0, hidden_omega_0=config.hidden_omega_0,
                   scale=config.scale, encoding=config.encoding, encoding_frequencies=config.encoding_frequencies,
                   encoding_features=config.encoding_features, fourier_scale=config.fourier_scale,
                   weight_scale=config.weight_scale)

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
    shape = capability(task, "shape")
    if config.encoding == "positional" and not config.encoding_frequencies and shape:
        config = dataclasses.replace(config, encoding_frequencies=nyquist_frequencies(min(shape)))
    return config
