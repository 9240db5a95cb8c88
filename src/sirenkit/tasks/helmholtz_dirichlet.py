"""`sirenkit helmholtz --problem dirichlet`: DeepXDE's Helmholtz demo on the unit square, scored against its exact solution.

The equation, the exact solution and DeepXDE's point counts are in `sirenkit.physics.helmholtz_dirichlet`.
The field maps coords c in [-1, 1]² (x = (c + 1) / 2) to one real value. It is an external check:
the problem, its settings and the metric (relative L² error on DeepXDE's test grid) are DeepXDE's,
so the number can be set beside DeepXDE's own (``benchmarks/bench_helmholtz_deepxde.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np
import torch
from torch import Tensor, nn

from sirenkit import ops
from sirenkit.io.arrays import save_array
from sirenkit.physics.helmholtz_dirichlet import (
    constrained_jet,
    dirichlet_residual,
    evaluation_grid,
    exact_solution,
    perimeter_points,
    source_term,
    training_points,
)
from sirenkit.plots import save_real_field_panels
from sirenkit.protocols import Batch
from sirenkit.render import evaluate_points


class DirichletSettings(Protocol):
    """What this task reads of `sirenkit.tasks.helmholtz.HelmholtzConfig` (named here, not imported: that module builds this task)."""

    k: float
    boundary: str
    loss_weights: dict[str, float]
    chunk_size: int


DIRICHLET_TERMS = ("residual", "boundary")
"""The loss terms of the dirichlet problem (``boundary`` only with ``boundary='soft'``)."""


class HelmholtzDirichletTask:
    """-Δu - k²u = k²·sin(kx)·sin(ky) on [0, 1]², u = 0 on the edges; exact u = sin(kx)·sin(ky).

    Each step's points: with ``batch_size`` 0, DeepXDE's fixed training set (nx² interior Halton
    points and 4·nx boundary points, nx = 10 per wavelength: 400 + 80 at k = 4π); otherwise
    ``batch_size`` fresh uniform interior points and 4·ceil(√batch_size) boundary points. Loss
    terms (unweighted means, DeepXDE's): ``residual``, the mean square of -Δu - k²u - f at every
    point (boundary points included, as DeepXDE), and with ``boundary='soft'`` ``boundary``, the
    mean u² on the boundary points (weight 100, DeepXDE's).

    With ``boundary='hard'`` (the default, DeepXDE's too) u = (1 - c1²)(1 - c2²)·N(c): zero on the
    edges by construction, so no weight balances the edges against the PDE and every step trains
    the PDE alone; with the same field, steps and points it reaches a lower relative L² error than
    soft (rows sirenkit_recipe and soft_boundary of benchmarks/results/helmholtz_deepxde.json).

    The field: coords span 2 wavelengths at k = 4π, so a SIREN wants a low ω0 (first 10, hidden
    1); the image defaults (30, 30) fit noise between the points.

    `evaluate`: ``relative_l2`` = ||u - u*||₂ / ||u*||₂ on DeepXDE's test grid (30 points per
    wavelength, interior; a zero field scores 1), ``max_abs_error`` there, ``relative_residual``
    (rms of the residual over rms of f, same grid) and ``boundary_max`` (max |u| on the edges).
    """

    name = "helmholtz"
    headline_metrics: ClassVar[tuple[str, ...]] = ("relative_l2", "relative_residual")
    """What the CLI prints first: DeepXDE's metric against the exact solution, then the PDE's."""
    in_features = 2
    field_presets: ClassVar[dict[str, float]] = {"first_omega_0": 10.0, "hidden_omega_0": 1.0}
    """Coords span 2 wavelengths at k = 4π: a low ω0 (the image defaults 30 / 30 fit noise, and diverge at lr 1e-3)."""
    fit_presets: ClassVar[dict[str, float | int | str]] = {
        "steps": 2000, "lr": 1e-3, "lr_schedule": "cosine", "lr_final": 0.01, "batch_size": 400, "eval_every": 500,
        "log_every": 10, "save_every": 500}
    """sirenkit's recipe of benchmarks/results/helmholtz_deepxde.json (400 fresh points a step, cosine lr), at 2000 steps."""
    out_features = 1

    def __init__(self, config: DirichletSettings) -> None:
        self.config = config
        self.hard = config.boundary == "hard"
        self.loss_weights = {k: config.loss_weights[k] for k in (("residual",) if self.hard else DIRICHLET_TERMS)}
        self.device = torch.device("cpu")
        k = config.k
        self.test_xy = torch.from_numpy(evaluation_grid(k))
        self.exact = exact_solution(self.test_xy, k)[:, 0].numpy()
        interior, boundary = training_points(k)
        self._fixed = (torch.from_numpy(np.concatenate([interior, boundary])).float() * 2.0 - 1.0,
                       torch.arange(len(interior) + len(boundary)) >= len(interior))
        n = int(round(len(self.test_xy) ** 0.5))
        self.edge_xy = perimeter_points(torch.arange(4 * n, dtype=torch.float64) / n)  # the edges at the test spacing

    def to(self, device: torch.device) -> HelmholtzDirichletTask:
        self.device = device
        return self

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        """The fixed DeepXDE-sized set (batch_size 0), or batch_size fresh interior points and their boundary share.

        Shape: coords (N, 2) in [-1, 1]²; targets["boundary"] (N,) bool, True on the edges.
        """
        if batch_size == 0:
            coords, on_edge = self._fixed
        else:
            edge = 4 * int(np.ceil(np.sqrt(batch_size)))
            interior = torch.rand(batch_size, 2, generator=generator)
            boundary = perimeter_points(torch.rand(edge, generator=generator) * 4.0)
            coords = torch.cat([interior, boundary]) * 2.0 - 1.0
            on_edge = torch.arange(batch_size + edge) >= batch_size
        return Batch(coords.to(self.device), {"boundary": on_edge.to(self.device)})

    def solution_jet(self, field: nn.Module, coords: Tensor) -> ops.Jet:
        """Value, gradient and Laplacian of u (coords units): the network's, or g·N's with the hard constraint."""
        jet = ops.jet(field, coords)
        return constrained_jet(jet, coords) if self.hard else jet

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        """Mean square of the residual at every point; with a soft boundary, mean u² on the edge points."""
        jet = self.solution_jet(field, batch.coords)
        terms = {"residual": torch.mean(dirichlet_residual(jet, batch.coords, self.config.k) ** 2)}
        if not self.hard:
            terms["boundary"] = torch.mean(jet.value[batch.targets["boundary"]] ** 2)
        return terms

    def solution(self, field: nn.Module, xy: Tensor) -> np.ndarray:
        """u at xy (N, 2) in [0, 1]², float64 (N,): the network, times the boundary factor when hard."""
        coords = (xy * 2.0 - 1.0).float()
        with torch.no_grad():
            values = evaluate_points(field, coords, chunk_size=self.config.chunk_size)[:, 0].double()
        if self.hard:
            values = values * (1.0 - coords[:, 0].double() ** 2) * (1.0 - coords[:, 1].double() ** 2)
        return values.numpy()

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        pred = self.solution(field, self.test_xy)
        error = pred - self.exact
        return {"relative_l2": float(np.linalg.norm(error) / np.linalg.norm(self.exact)),
                "max_abs_error": float(np.abs(error).max()),
                "relative_residual": self._relative_residual(field),
                "boundary_max": float(np.abs(self.solution(field, self.edge_xy)).max())}

    def _relative_residual(self, field: nn.Module) -> float:
        device = next(field.parameters()).device
        squares = []
        for chunk in (self.test_xy * 2.0 - 1.0).float().split(self.config.chunk_size):
            c = chunk.to(device)
            with torch.no_grad():
                jet = ops.jet(field, c)
            jet = constrained_jet(jet, c) if self.hard else jet
            squares.append(dirichlet_residual(jet, c, self.config.k).detach().double().cpu() ** 2)
        f = source_term(self.test_xy, self.config.k)
        return float(torch.cat(squares).mean().sqrt() / f.pow(2).mean().sqrt())

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]:
        """field.npy (u on the test grid, (n, n), [i, j] at (x_i, y_j)) and panels.png (network, exact, error)."""
        n = len(self.edge_xy) // 4
        pred = self.solution(field, self.test_xy).reshape(n, n)
        exact = self.exact.reshape(n, n)
        rows = [("network", pred), ("exact sin(kx)·sin(ky)", exact), ("error", pred - exact)]
        return [save_array(Path(out_dir) / "field.npy", pred),
                save_real_field_panels(Path(out_dir) / "panels.png", rows, extent=(0.0, 1.0, 0.0, 1.0))]
