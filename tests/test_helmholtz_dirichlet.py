"""`sirenkit helmholtz --problem dirichlet` (DeepXDE's demo): the residual against the exact solution, the boundary
condition, a tiny fit, and the options the problem refuses."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch
from torch import nn

import sirenkit as sk
from sirenkit import ops
from sirenkit.cli.main import main
from sirenkit.physics.helmholtz_dirichlet import constrained_jet, dirichlet_residual, evaluation_grid
from sirenkit.tasks.helmholtz import HelmholtzConfig, HelmholtzTask

K = 4.0 * math.pi


class Exact(nn.Module):
    """a·sin(kx)·sin(ky) with x = (c + 1) / 2, written here from the problem statement (not from sirenkit)."""

    def __init__(self, k: float, a: float = 1.0, divide_by_boundary_factor: bool = False) -> None:
        super().__init__()
        self.k, self.a, self.divide = k, a, divide_by_boundary_factor
        self.dummy = nn.Parameter(torch.zeros(()))  # a parameter, so evaluation finds the device

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        x, y = (coords[:, :1] + 1) / 2, (coords[:, 1:] + 1) / 2
        u = self.a * torch.sin(self.k * x) * torch.sin(self.k * y) + self.dummy
        return u / (16 * x * (1 - x) * y * (1 - y)) if self.divide else u


def _coords(n: int = 300) -> torch.Tensor:
    return (torch.rand(n, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2 - 1) * 0.98


def test_residual_vanishes_for_the_exact_solution_only():
    """-Δu - k²u - f: 0 for u*; (a - 1)·k²·u* for a·u* (u* is an eigenfunction of -Δ with 2k²): catches f's sign, the
    Laplacian's sign and the factor 4 of x = (c + 1) / 2, each of which leaves a residual of order k²."""
    coords = _coords()
    residual = dirichlet_residual(ops.jet(Exact(K).double(), coords), coords, K)
    assert residual.abs().max() <= 1e-9 * K**2  # measured 6e-14
    scaled = dirichlet_residual(ops.jet(Exact(K, a=1.5).double(), coords), coords, K)
    x, y = (coords[:, :1] + 1) / 2, (coords[:, 1:] + 1) / 2
    torch.testing.assert_close(scaled, 0.5 * K**2 * torch.sin(K * x) * torch.sin(K * y))


def test_hard_constraint_jet_is_the_product_rule():
    """g·N's jet from `constrained_jet` equals autograd's of the product; with N = u*/g it gives u*'s zero residual."""
    coords = _coords()
    field = sk.Siren(2, 32, 2, 1).double()
    constrained = constrained_jet(ops.jet(field, coords), coords)

    class Product(nn.Module):
        def forward(self, c: torch.Tensor) -> torch.Tensor:
            return (1 - c[:, :1] ** 2) * (1 - c[:, 1:] ** 2) * field(c)

    direct = ops.double_backprop_jet(Product(), coords, laplacian=True, hessian_diagonal=False)
    for ours, theirs in zip(constrained[:3], direct[:3]):
        torch.testing.assert_close(ours, theirs)
    exact = constrained_jet(ops.jet(Exact(K, divide_by_boundary_factor=True).double(), coords), coords)
    assert dirichlet_residual(exact, coords, K).abs().max() <= 1e-8 * K**2


def test_boundary_term_is_zero_for_the_exact_solution_and_not_otherwise():
    soft = HelmholtzTask.from_config(HelmholtzConfig(problem="dirichlet", boundary="soft"))
    batch = soft.sample(0, torch.Generator().manual_seed(0), batch_size=64)
    assert int(batch.targets["boundary"].sum()) == 32  # 4·ceil(√64) edge points beside the 64 interior ones
    assert float(soft.losses(Exact(K), batch)["boundary"].detach()) <= 1e-12
    random = sk.Siren(2, 32, 2, 1)
    assert float(soft.losses(random, batch)["boundary"].detach()) >= 1e-3
    assert soft.evaluate(random)["boundary_max"] >= 1e-2
    hard = HelmholtzTask.from_config(HelmholtzConfig(problem="dirichlet"))
    assert set(hard.losses(random, batch)) == {"residual"}
    assert hard.evaluate(random)["boundary_max"] == 0.0  # g vanishes on the edges exactly


def test_exact_solution_scores_zero_error_and_zero_field_scores_one():
    task = HelmholtzTask.from_config(HelmholtzConfig(problem="dirichlet", boundary="soft"))
    metrics = task.evaluate(Exact(K))
    assert metrics["relative_l2"] <= 1e-6 and metrics["relative_residual"] <= 1e-4
    assert task.evaluate(Exact(K, a=0.0))["relative_l2"] == pytest.approx(1.0)


def test_evaluation_grid_is_deepxdes():
    """DeepXDE's test set at k = 4π: int(1 / (0.5 / 30)) = 60 interior points per axis, spaced 1/61."""
    xy = evaluation_grid(K)
    assert xy.shape == (3600, 2)
    np.testing.assert_allclose(np.unique(xy[:, 0]), np.arange(1, 61) / 61)


def test_short_fit_beats_the_zero_field(device):
    task = HelmholtzTask.from_config(HelmholtzConfig(problem="dirichlet", wavenumber=2 * math.pi))
    field_config = sk.FieldConfig(out_features=1, hidden_features=64, hidden_layers=2, first_omega_0=5.0, hidden_omega_0=3.0)
    field = sk.build_field(field_config, seed=0)
    result = sk.fit(field, task, sk.FitConfig(steps=150, lr=1e-3, batch_size=256, eval_every=150, device=device.type))
    # measured: relative_l2 0.0018 after 150 steps (0.0051 with first_omega_0 3; a zero field: 1.0)
    assert result.metrics["relative_l2"] <= 0.05


def test_cli_writes_field_panels_and_headline(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["helmholtz", "--problem", "dirichlet", "--out", str(out), "--steps", "3", "--batch-size", "64",
                 "--hidden-features", "16", "--quiet"]) == 0
    assert np.load(out / "field.npy").shape == (60, 60)
    assert (out / "panels.png").stat().st_size > 10_000
    assert json.loads((out / "config.json").read_text())["task_config"]["problem"] == "dirichlet"
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.5 <= metrics["relative_l2"] <= 5.0  # 3 steps from a random field: near the zero field's 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("relative_l2 ")


@pytest.mark.parametrize(("argv", "match"), [
    (["--problem", "dirichlet", "--velocity", "square"], "--velocity is an option of the point-source problem"),
    (["--problem", "dirichlet", "--source", "0.1", "0.2"], "--source is an option of the point-source problem"),
    (["--problem", "dirichlet", "--pml-width", "0.3"], "--pml-width is an option"),
    (["--problem", "dirichlet", "--field-scale", "3"], "--field-scale is an option"),
    (["--problem", "dirichlet", "--loss-weight", "residual_on=1"], "'residual_on' is a term of the other Helmholtz problem"),
    (["--problem", "dirichlet", "--loss-weight", "boundary=5"], "acts only with --boundary soft"),
    (["--boundary", "soft"], "--boundary applies to --problem dirichlet"),
    (["--loss-weight", "boundary=5"], "'boundary' is a term of the other Helmholtz problem"),
    (["--problem", "neumann"], "choose pml .* or dirichlet"),
    (["--problem", "dirichlet", "--boundary", "exact"], "choose hard or soft"),
])
def test_cli_refuses_options_of_the_other_problem(argv, match, capsys, tmp_path):
    assert main(["helmholtz", *argv, "--steps", "1", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sirenkit: error: ")
    assert re.search(match, err[0]), err[0]
    assert not (tmp_path / "run").exists()


def test_soft_boundary_weight_is_accepted_and_used(tmp_path):
    assert main(["helmholtz", "--problem", "dirichlet", "--boundary", "soft", "--loss-weight", "boundary=5", "--steps", "1",
                 "--batch-size", "16", "--hidden-features", "8", "--out", str(tmp_path / "run"), "--quiet"]) == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())["task_config"]
    task = HelmholtzTask.from_config(HelmholtzConfig(**config))
    assert task.loss_weights == {"residual": 1.0, "boundary": 5.0}
