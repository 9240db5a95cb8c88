"""FreSh: pick a field's frequency scale before training, from the spectrum of the signal (Kania et al., ICLR 2025).

A SIREN whose first-layer omega_0 (or weight scale) is too low starts with a spectrum far below the
signal's and spends its first hundreds of steps moving energy up; one set too high starts as noise.
FreSh evaluates the untrained field for each candidate value, compares the amplitude spectrum of its
output with the target's, and keeps the closest. It costs a few forward passes, no training step.

Here the 1-D spectrum of an n-D grid signal is its DFT amplitude summed over channels and binned by
the integer radial frequency |k| (DC dropped, normalised to sum 1), and the distance is the
1-Wasserstein distance between two such histograms, in frequency bins. What it trades: it matches
the *initial* spectrum only, so a choice that starts closer can still fit noise between the samples;
check held-out pixels (`--train-every 2`) before adopting a value (docs/convergence.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from sirenkit.errors import ConfigError
from sirenkit.samplers import grid


def spectrum(values: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """The normalised radial amplitude spectrum of `values` (prod(shape), C) or (*shape, C) on the grid `shape`.

    Returns a 1-D array whose entry r is the share of the DFT amplitude (DC excluded) at integer radial
    frequency r, r = 1 .. max over axes of n // 2 (frequencies are in cycles over the whole domain).
    """
    shape = tuple(int(n) for n in shape)
    array = np.asarray(values, dtype=np.float64).reshape(*shape, -1)
    amplitude = np.abs(np.fft.fftn(array, axes=tuple(range(len(shape))))).sum(axis=-1)
    radius = np.sqrt(sum(np.square(axis) for axis in np.meshgrid(
        *[np.fft.fftfreq(n, 1.0 / n) for n in shape], indexing="ij")))
    bins = np.rint(radius).astype(np.int64)
    top = max(n // 2 for n in shape)
    histogram = np.bincount(bins.ravel(), weights=amplitude.ravel(), minlength=top + 1)[1:top + 1]
    total = histogram.sum()
    if not np.isfinite(total) or total <= 0:
        raise ConfigError("the signal is constant (no spectrum above DC); FreSh has nothing to match.")
    return histogram / total


def spectrum_distance(a: np.ndarray, b: np.ndarray) -> float:
    """1-Wasserstein distance, in frequency bins, between two normalised 1-D spectra of the same length."""
    if a.shape != b.shape:
        raise ConfigError(f"spectra of lengths {a.shape} and {b.shape} cannot be compared; evaluate both on one grid.")
    return float(np.abs(np.cumsum(a) - np.cumsum(b)).sum())


@dataclass(frozen=True)
class FreshChoice:
    """The candidate whose untrained field's spectrum is closest to the target's, and every candidate's distance."""

    value: float
    distances: dict[float, float]


def select(target: np.ndarray, shape: Sequence[int], make_field: Callable[[float, int], nn.Module],
           candidates: Sequence[float], *, seeds: int = 3, chunk_size: int = 65536) -> FreshChoice:
    """Evaluate ``make_field(value, seed)`` untrained on ``grid(shape)`` for each candidate and seed; keep the
    value whose mean spectrum distance to `target` is smallest.

    Args:
        target: the signal on the grid, (prod(shape), C) or (*shape, C), in the field's output units.
        shape: the sampling grid, e.g. an image's (H, W).
        make_field: builds an untrained field for a candidate value and a seed, e.g.
            ``lambda w, s: sk.build_field(task=task, seed=s, first_omega_0=w)``.
        candidates: the values to try (omega_0s, or weight scales).
        seeds: initialisations averaged per candidate (an init's spectrum is random).

    Example:
        >>> task = sk.tasks.ImageTask.from_source("camera", size=64)                      # doctest: +SKIP
        >>> select(task.image * 2 - 1, task.shape, lambda w, s: sk.build_field(task=task, seed=s, first_omega_0=w),
        ...        (10, 30, 60)).value                                                     # doctest: +SKIP
    """
    if not candidates:
        raise ConfigError("FreSh needs at least one candidate value.")
    if seeds < 1:
        raise ConfigError(f"seeds={seeds} must be >= 1.")
    wanted = spectrum(target, shape)
    coords = grid(shape)
    distances: dict[float, float] = {}
    for value in candidates:
        scores = []
        for seed in range(seeds):
            field = make_field(float(value), seed)
            device = next(field.parameters()).device
            with torch.no_grad():
                output = torch.cat([field(chunk.to(device)).float().cpu() for chunk in coords.split(chunk_size)])
            scores.append(spectrum_distance(spectrum(output.numpy(), shape), wanted))
        distances[float(value)] = float(np.mean(scores))
    best = min(distances, key=distances.__getitem__)
    return FreshChoice(best, distances)
