"""What a task is: a sampler, named loss terms, metrics and exports for one problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor, nn

from sirenkit.samplers import GridSampler


@dataclass
class Batch:
    """The coordinates of one training step and the targets the loss terms need."""

    coords: Tensor
    targets: dict[str, Tensor] = field(default_factory=dict)


@runtime_checkable
class Task(Protocol):
    """The protocol every task implements; `fit` knows nothing else about a modality.

    ``name`` is the task's registry key; ``config`` its dataclass (saved in config.json).
    """

    name: str
    config: Any
    in_features: int
    out_features: int

    def to(self, device: torch.device) -> Task: ...

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch: ...

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]: ...

    def evaluate(self, field: nn.Module) -> dict[str, float]: ...

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]: ...


class ValueFit:
    """What every task that fits values at sampled coordinates shares: a `GridSampler` in
    ``_sampler`` and one loss term, the mean squared error of the values ('mse')."""

    _sampler: GridSampler

    def to(self, device: torch.device) -> ValueFit:
        self._sampler.to(device)
        return self

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        coords, values = self._sampler.sample(generator, batch_size=batch_size)
        return Batch(coords, {"values": values})

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        return {"mse": torch.mean((field(batch.coords) - batch.targets["values"]) ** 2)}
