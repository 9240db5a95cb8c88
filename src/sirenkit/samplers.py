"""Coordinate grids and the samplers that pick the coordinates of one training step."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from sirenkit.config import SAMPLERS
from sirenkit.errors import ConfigError


def grid(shape: Sequence[int], *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32) -> Tensor:
    """Coordinates of a regular grid spanning [-1, 1] in every axis, endpoints included.

    Axis order follows `shape` (rows, then columns for an image), so ``grid((H, W))[i * W + j]``
    is the coordinate (y_i, x_j) of pixel (i, j).

    Shape:
        returns: (prod(shape), len(shape))

    Example:
        >>> grid((2, 3))[:, 1]
        tensor([-1.,  0.,  1., -1.,  0.,  1.])
    """
    if not shape or any(int(n) < 1 for n in shape):
        raise ConfigError(f"grid shape {tuple(shape)} is invalid; every size must be >= 1, e.g. grid((256, 256)).")
    axes = [torch.linspace(-1.0, 1.0, int(n), device=device, dtype=dtype) if n > 1 else torch.zeros(1, device=device, dtype=dtype)
            for n in shape]
    mesh = torch.meshgrid(*axes, indexing="ij")
    return torch.stack(mesh, dim=-1).reshape(-1, len(shape))


def disc_points(n: int, centre: Tensor, radius: float, generator: torch.Generator) -> Tensor:
    """n points uniform (in area) in the disc of `radius` around `centre` (2,), on the CPU: the reference's extra samples
    near a point source.

    Shape:
        returns: (n, 2)
    """
    r = radius * torch.rand(n, generator=generator).sqrt()
    theta = 2.0 * math.pi * torch.rand(n, generator=generator)
    return centre.cpu() + torch.stack([r * torch.cos(theta), r * torch.sin(theta)], -1)


def _check_sampler(sampler: str, foreign: str, refusal: str) -> None:
    """ConfigError for an unknown sampler name, or `refusal` for the one (`foreign`) that belongs to the other kind of task."""
    if sampler not in SAMPLERS:
        raise ConfigError(f"sampler '{sampler}' is not valid; choose one of: {', '.join(SAMPLERS)}")
    if sampler == foreign:
        raise ConfigError(refusal)


HARD_FRACTION = 0.75
"""Share of an error-guided batch taken from the rows with the largest recorded error; the rest is uniform."""


class ErrorGuided:
    """Train mostly where the fit is worst: the soft-mining / INT / EVOS family, in its simplest form.

    Every `refresh_every`-th step (and the first) trains on every row, which records each row's
    squared error; the steps between take the ``HARD_FRACTION`` of `batch_size` rows with the
    largest recorded error and fill the rest uniformly from the others (so no region is starved),
    and record the errors of the rows they trained. The errors are part of the checkpoint, so a
    resumed run picks the same rows.

    Trades: a step on a quarter of the rows costs about a quarter, and the hard rows carry the
    detail, so the training error falls faster per second; the rows it skips are fitted only
    through their neighbours, so check the values between the samples (docs/convergence.md).
    """

    def __init__(self, rows: int, refresh_every: int) -> None:
        self.errors = torch.zeros(rows)
        self.refresh_every = refresh_every
        self.index: Tensor | None = None

    def choose(self, step: int, batch_size: int, generator: torch.Generator) -> Tensor | None:
        """Row indices of step `step` (on the CPU), or None for every row (a refresh step)."""
        rows = len(self.errors)
        if not 0 < batch_size < rows or (step - 1) % self.refresh_every == 0:
            self.index = None
            return None
        hard = int(batch_size * HARD_FRACTION)
        ranked = torch.topk(self.errors, hard).indices
        free = torch.ones(rows, dtype=torch.bool)
        free[ranked] = False
        others = free.nonzero().squeeze(1)
        extra = others[torch.randperm(len(others), generator=generator)[: batch_size - hard]]
        self.index = torch.cat([ranked, extra])
        return self.index

    def observe(self, row_errors: Tensor) -> None:
        """Record the squared error (one value per row of the last chosen batch)."""
        row_errors = row_errors.detach().float().cpu()
        if self.index is None:
            self.errors.copy_(row_errors)
        else:
            self.errors[self.index] = row_errors

    def state_dict(self) -> dict[str, Tensor]:
        return {"errors": self.errors.clone()}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        if state["errors"].shape != self.errors.shape:
            raise ValueError(f"the checkpoint's sampler holds {len(state['errors'])} rows, the task has {len(self.errors)}")
        self.errors.copy_(state["errors"])


class GridSampler:
    """Full batch, or `batch_size` rows of a fixed set of coordinates and targets per step.

    The batch size is an argument of `sample` (it comes from the fit config), not sampler state.
    Rows are drawn uniformly without replacement, or by `ErrorGuided` after `use("error")`;
    the draws come from the fit loop's generator, so a run is reproducible from its seed (and
    resumable from the generator's saved state and `state_dict`).
    """

    def __init__(self, coords: Tensor, target: Tensor) -> None:
        self.coords, self.target = coords, target
        self.guide: ErrorGuided | None = None

    def to(self, device: torch.device) -> GridSampler:
        self.coords, self.target = self.coords.to(device), self.target.to(device)
        return self

    def use(self, sampler: str, *, refresh_every: int = 10) -> None:
        """Pick the rows 'uniform'ly or by recorded 'error' from now on (the fit loop calls this at its start)."""
        _check_sampler(sampler, "residual", "--sampler residual keeps the collocation points of a PDE (helmholtz, wave); "
                       "this task fits values on a grid: use --sampler error.")
        self.guide = ErrorGuided(len(self.coords), refresh_every) if sampler == "error" else None

    def sample(self, generator: torch.Generator, *, batch_size: int = 0, step: int = 1) -> tuple[Tensor, Tensor]:
        """All rows when batch_size is 0 or covers them all, else batch_size rows (uniform, or by error)."""
        if self.guide is not None:
            index = self.guide.choose(step, batch_size, generator)
        elif 0 < batch_size < len(self.coords):
            index = torch.randperm(len(self.coords), generator=generator)[:batch_size]
        else:
            index = None
        if index is None:
            return self.coords, self.target
        index = index.to(self.coords.device)
        return self.coords[index], self.target[index]

    def observe(self, row_errors: Tensor) -> None:
        """The per-row squared error of the last batch; recorded by an error-guided sampler, else ignored."""
        if self.guide is not None:
            self.guide.observe(row_errors)

    def state_dict(self) -> dict[str, Tensor]:
        return self.guide.state_dict() if self.guide is not None else {}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        if self.guide is not None and state:
            self.guide.load_state_dict(state)


class RetainResample:
    """A PDE's collocation points: keep those whose residual is large, draw the rest afresh (R3).

    Retain-resample-release (Daw et al., "Mitigating propagation failures in physics-informed
    neural networks using retain-resample-release (R3) sampling", ICML 2023): after each step the
    points whose residual exceeded the step's mean are kept for the next one; the others are
    released and replaced by the task's fresh uniform draw. The kept points gather where the
    equation is not yet met (a wave front, the rim of a source) at no extra cost, since the
    residuals are the ones the loss computed anyway. With 'uniform' the fresh draw passes through.

    Trades: kept points are trained again and again, so fewer distinct points are seen (values
    between them are fitted through the fresh half only); the kept set is part of the checkpoint,
    so a resumed run draws the same points.
    """

    def __init__(self) -> None:
        self.active = False
        self.kept: Tensor | None = None

    def use(self, sampler: str, *, refresh_every: int = 10) -> None:
        """Keep points by 'residual' or draw them all 'uniform'ly from now on (the fit loop calls this at its start)."""
        _check_sampler(sampler, "error", "--sampler error ranks the rows of a fixed grid (image, audio, poisson); a PDE task "
                       "draws its points afresh: use --sampler residual.")
        self.active = sampler == "residual"

    def mix(self, fresh: Tensor) -> Tensor:
        """The step's points: the kept ones first, then as many of `fresh` (N, d) as make up N."""
        if not self.active or self.kept is None or not len(self.kept):
            return fresh
        kept = self.kept[: len(fresh)].to(fresh.device)
        return torch.cat([kept, fresh[len(kept):]])

    def observe(self, points: Tensor, residual: Tensor) -> None:
        """Keep the `points` (N, d) whose `residual` (N,) magnitude is above its mean (tasks call it only when `active`)."""
        residual = residual.detach()
        self.kept = points.detach()[residual > residual.mean()]

    def state_dict(self) -> dict[str, Tensor]:
        return {"kept": self.kept.cpu()} if self.active and self.kept is not None else {}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        self.kept = state.get("kept")
