"""Context pixels: which pixels of an image a prior is shown before it inpaints the rest.

A batch of contexts is a padded index list (the paper's masked sets): ``index (B, K)`` pixel
numbers in row-major order and ``weight (B, K)``, 1 for an observed pixel and 0 for padding, so
faces in one batch may see different numbers of pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from sirenkit.errors import ConfigError

CONTEXT_CHOICES = ("10", "100", "1000", "half")
"""Test contexts of the paper (Sec. 4.4): 10, 100, 1000 random pixels, or the top half of the image."""
EVAL_SEED = 1234
"""Seed of the test contexts, the same for every model and baseline so their MSEs compare."""


@dataclass
class Context:
    """Observed pixels of B images: index (B, K) row-major pixel numbers, weight (B, K) 1 = observed, 0 = padding."""

    index: Tensor
    weight: Tensor

    def to(self, device: torch.device | str) -> Context:
        return Context(self.index.to(device), self.weight.to(device))

    def __getitem__(self, rows: slice | Tensor) -> Context:
        return Context(self.index[rows], self.weight[rows])

    def gather(self, values: Tensor) -> Tensor:
        """values (B, P, C) at the context pixels -> (B, K, C); padding rows repeat a real pixel and carry weight 0."""
        return values.gather(1, self.index[..., None].expand(-1, -1, values.shape[-1]))

    def mask(self, pixels: int) -> Tensor:
        """(B, P) float mask, 1 at the observed pixels."""
        mask = torch.zeros(len(self.index), pixels, dtype=self.weight.dtype, device=self.weight.device)
        return mask.scatter_(1, self.index, self.weight)


def random_context(batch: int, pixels: int, low: int, high: int, generator: torch.Generator) -> Context:
    """For each of `batch` images, distinct random pixels, their count log-uniform in [low, high] (training contexts).

    Log-uniform, not the reference's uniform 10-200: one model then serves 10 to 1000 pixels, and
    small contexts, the hard case, still get most of the draws.
    """
    check_count(high, pixels)
    u = torch.rand(batch, generator=generator)
    counts = torch.exp(math.log(low) + u * (math.log(high + 1) - math.log(low))).floor().long().clamp(low, high)
    order = torch.rand(batch, pixels, generator=generator).argsort(dim=1)
    k = int(counts.max())
    return Context(order[:, :k], (torch.arange(k)[None] < counts[:, None]).float())


def eval_context(batch: int, side: int, spec: str, generator: torch.Generator) -> Context:
    """The paper's test contexts on side x side images: '10', '100', '1000' random pixels, or 'half' (the top rows).

    Raises:
        ConfigError: an unknown spec, or more pixels than the image has.
    """
    pixels = side * side
    if spec == "half":
        index = torch.arange(pixels // 2).expand(batch, -1).clone()
        return Context(index, torch.ones(batch, pixels // 2))
    try:
        count = int(spec)
    except ValueError:
        raise ConfigError(f"--context {spec!r} is not a pixel count; use one of {', '.join(CONTEXT_CHOICES)} "
                          "(or any count up to the image's pixels).") from None
    if count < 1:
        raise ConfigError(f"--context {count}: show at least 1 pixel, e.g. --context 10.")
    check_count(count, pixels)
    order = torch.rand(batch, pixels, generator=generator).argsort(dim=1)
    return Context(order[:, :count], torch.ones(batch, count))


def check_count(count: int, pixels: int) -> None:
    """ConfigError when a context asks for more pixels than an image has."""
    if count > pixels:
        side = int(round(pixels ** 0.5))
        raise ConfigError(f"context of {count} pixels is larger than the image ({side}x{side} = {pixels} pixels); "
                          f"use at most {pixels}, or 'half'.")
