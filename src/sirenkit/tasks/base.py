"""Helpers shared by tasks; the contract itself (`Task`, `Batch`) lives in `sirenkit.protocols`."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sirenkit.protocols import Batch, Task
from sirenkit.samplers import GridSampler


class ValueFit:
    """What every task that fits values at sampled coordinates shares: a `GridSampler` in
    ``_sampler`` and one loss term, the mean squared error of the values ('mse').

    ``batch_size`` in `sample` is the number of grid points of one step, drawn without
    replacement; 0 (or at least the grid's size) takes every point.
    """

    _sampler: GridSampler

    @property
    def grid_sampler(self) -> GridSampler:
        """The `grid_sampler` capability: the grid sampler, which the fit loop switches to error-guided sampling."""
        return self._sampler

    def to(self, device: torch.device) -> ValueFit:
        self._sampler.to(device)
        return self

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        coords, values = self._sampler.sample(generator, batch_size=batch_size, step=step)
        return Batch(coords, {"values": values})

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        error = (field(batch.coords) - batch.targets["values"]) ** 2
        self._sampler.observe(error.mean(-1))
        return {"mse": error.mean()}


__all__ = ["Batch", "Task", "ValueFit"]
