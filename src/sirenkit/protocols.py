"""The contract between a task and the rest of sirenkit: the `Task` protocol and its registry entry.

`fit`, the CLI and the run folder know a modality only through what is declared here. Optional
capabilities (``shard``, ``render``, ``shape``) are looked up in exactly one place, `capability`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor, nn

from sirenkit.errors import ConfigError, did_you_mean


@dataclass
class Batch:
    """The coordinates of one training step and the targets the loss terms need."""

    coords: Tensor
    targets: dict[str, Tensor] = field(default_factory=dict)


@runtime_checkable
class Task(Protocol):
    """What every task implements; `fit` knows nothing else about a modality.

    ``name`` is the registry key, ``config`` the task's dataclass (saved in config.json) and
    ``loss_weights`` the complete weight of every term `losses` returns (see `merge_loss_weights`).
    `losses` returns unweighted means; `fit` multiplies, sums and logs them.
    ``batch_size`` is the number of training points of one step; 0 means the task's full set.
    """

    name: str
    config: Any
    in_features: int
    out_features: int
    loss_weights: dict[str, float]

    def to(self, device: torch.device) -> Task: ...

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch: ...

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]: ...

    def evaluate(self, field: nn.Module) -> dict[str, float]: ...

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]: ...


CAPABILITIES = ("shard", "render", "shape", "grid_sampler", "point_sampler", "training_state")
"""Optional members: ``shard(rank, world) -> Task`` (this rank's part, for DDP), ``render(field, run, **options)
-> list[Path]`` (what `sirenkit render` writes), ``shape`` (the sampling grid, e.g. an image's (H, W)),
``grid_sampler`` (the task's `samplers.GridSampler`, whose losses report each row's error: error-guided sampling),
``point_sampler`` (a PDE task's `samplers.RetainResample`, whose losses report each collocation point's residual),
``training_state`` (an object with ``state_dict()`` / ``load_state_dict(d)``: what the task changes while it trains,
kept in the checkpoint for an exact resume, e.g. the hybrid FWI's Bregman data target)."""


def capability(task: object, name: str) -> Any | None:
    """The task's optional member `name` (one of CAPABILITIES), or None when it does not offer it."""
    if name not in CAPABILITIES:
        raise ValueError(f"unknown capability '{name}'; known: {', '.join(CAPABILITIES)}")
    return getattr(task, name, None)


@dataclass(frozen=True)
class TaskSpec:
    """A task's registry entry (``sirenkit.tasks.TASKS[name]``): its class and its config dataclass.

    The presets are plain data on the task class, next to the task (``field_presets``,
    ``fit_presets``: FieldConfig and FitConfig values that differ from the global defaults for this
    task, e.g. audio ``first_omega_0`` 3000), read here and applied identically by the CLI and the API.
    """

    name: str
    task: type
    """The task class; ``task.from_config(config)`` builds it."""
    config: type
    """The task's config dataclass."""

    @property
    def default_variant(self) -> type:
        """The class the default settings build (`variant_class`): its presets are the command's defaults."""
        return variant_class(self.task, dataclasses.asdict(self.config()))

    @property
    def field_presets(self) -> dict[str, Any]:
        return presets(self.default_variant)[0]

    @property
    def config_presets(self) -> dict[str, Any]:
        """Task options the default variant starts from instead of the config's defaults (CLI only)."""
        return dict(getattr(self.default_variant, "config_presets", {}))

    @property
    def unused_fit_options(self) -> tuple[str, ...]:
        """FitConfig options that can never act on this task, so its command does not offer them: `target_psnr`
        unless the task's metrics hold a PSNR (class attribute ``reports_psnr``), the samplers unless it has the
        `grid_sampler` capability (`point_sampler`: --sampler without its refresh period)."""
        unused = () if getattr(self.task, "reports_psnr", False) else ("target_psnr",)
        if hasattr(self.task, "grid_sampler"):
            return unused
        return unused + (("sampler_refresh_every",) if hasattr(self.task, "point_sampler") else ("sampler", "sampler_refresh_every"))

    @property
    def fit_presets(self) -> dict[str, Any]:
        return presets(self.default_variant)[1]

    @property
    def cli_examples(self) -> tuple[str, ...]:
        """Example commands, shown at the end of --help."""
        return tuple(getattr(self.task, "cli_examples", ()))

    @property
    def positionals(self) -> tuple[str, ...]:
        """Config fields taken as positional CLI arguments (default: the config's first field)."""
        default = (dataclasses.fields(self.config)[0].name,)
        return tuple(getattr(self.config, "positionals", default))


def presets(task: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """(field presets, fit presets) of a task instance or class; empty where the task keeps the global defaults."""
    cls = task if isinstance(task, type) else type(task)
    return dict(getattr(cls, "field_presets", {})), dict(getattr(cls, "fit_presets", {}))


def variant_class(task_cls: type, settings: Mapping[str, Any]) -> type:
    """The class `task_cls.from_config` builds for these task settings, whose presets the run starts from.

    A command whose settings pick another method (helmholtz --problem dirichlet, helmholtz-inverse
    --method hybrid) needs another network and schedule: its class method ``variants()`` returns
    (the setting's name, {value: class}), and each class carries its own ``field_presets``,
    ``fit_presets`` and ``config_presets`` (the task options it starts from).
    """
    if not hasattr(task_cls, "variants"):
        return task_cls
    key, classes = task_cls.variants()
    return classes.get(settings.get(key), task_cls)


def merge_loss_weights(defaults: Mapping[str, float], given: Mapping[str, float] | None, *, task: str) -> dict[str, float]:
    """The task's default weights with the user's on top; unknown, negative and non-finite weights are refused.

    A partial `given` keeps the defaults of the terms it does not name (never an implicit 1.0).
    """
    given = dict(given or {})
    for name, value in given.items():
        if name not in defaults:
            raise ConfigError(f"loss weight '{name}' is not a term of the {task} task{did_you_mean(name, list(defaults))}; "
                              f"its terms are: {', '.join(defaults)}.")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ConfigError(f"loss weight {name}={value!r} must be a finite number >= 0, e.g. {name}={defaults[name]:g}.")
    return {name: float(given.get(name, weight)) for name, weight in defaults.items()}
