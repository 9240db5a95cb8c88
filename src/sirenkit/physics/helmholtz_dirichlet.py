"""The Helmholtz equation on the unit square with u = 0 on its edges: DeepXDE's manufactured-solution demo.

DeepXDE's documented example (``examples/pinn_forward/Helmholtz_Dirichlet_2d.py``, lululxvi/deepxde):

    -u_xx - u_yy - k0²·u = f   on [0, 1]²,    u = 0 on the boundary,
    f = k0²·sin(k0 x)·sin(k0 y),  k0 = 2π·n (n = 2),  exact solution u = sin(k0 x)·sin(k0 y).

(u is an eigenfunction of -Δ with eigenvalue 2k0², so -Δu - k0²u = k0²u = f.) The example trains
on 10 points per wavelength (num_domain = nx², num_boundary = 4·nx, nx = int(1 / (λ / 10)), λ = 1/n)
and tests on the interior uniform grid of 30 points per wavelength.

A field works on coords c in [-1, 1]² (sirenkit's convention); x = (c + 1) / 2, so ∂²/∂x² = 4·∂²/∂c².
The hard constraint multiplies the network by g(c) = (1 - c1²)(1 - c2²) = 16·x(1 - x)·y(1 - y),
which vanishes on the edges; DeepXDE's ``transform`` is x(1 - x)·y(1 - y) (1/16 of g: a scale only).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.stats import qmc
from torch import Tensor

from sirenkit.ops import Jet

DEEPXDE_WAVENUMBER = 4.0 * math.pi
"""k0 = 2π·n with n = 2 wavelengths across [0, 1] (DeepXDE's example)."""
TRAIN_POINTS_PER_WAVELENGTH = 10
"""DeepXDE's ``precision_train``: the training set is nx² interior and 4·nx boundary points."""
TEST_POINTS_PER_WAVELENGTH = 30
"""DeepXDE's ``precision_test``: the test grid is (nx_test)² interior points."""


def points_per_side(wavenumber: float, points_per_wavelength: int) -> int:
    """DeepXDE's nx = int(1 / h), h = λ / points_per_wavelength, λ = 2π / k0 (20 for training, 60 for testing at k0 = 4π)."""
    return max(1, int(1.0 / ((2.0 * math.pi / wavenumber) / points_per_wavelength)))


def evaluation_grid(wavenumber: float) -> np.ndarray:
    """The test points of DeepXDE's example, x in (0, 1)², float64 (nx², 2), [i * nx + j] at (x_i, y_j).

    DeepXDE's ``Hypercube.uniform_points(nx², boundary=False)``: nx points per axis at k / (nx + 1), k = 1..nx.
    """
    n = points_per_side(wavenumber, TEST_POINTS_PER_WAVELENGTH)
    axis = np.linspace(0.0, 1.0, n + 1, endpoint=False)[1:]
    return np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)


def training_points(wavenumber: float) -> tuple[np.ndarray, np.ndarray]:
    """A fixed training set of DeepXDE's size: nx² interior points (Halton, low discrepancy, as DeepXDE's default
    Hammersley) and 4·nx equispaced boundary points, x in [0, 1]², float64."""
    n = points_per_side(wavenumber, TRAIN_POINTS_PER_WAVELENGTH)
    interior = qmc.Halton(d=2, scramble=False).random(n * n + 1)[1:]  # the first Halton point is the corner (0, 0)
    return interior, perimeter_points((np.arange(4 * n) + 0.5) / n)


def perimeter_points(t: np.ndarray | Tensor) -> np.ndarray | Tensor:
    """Points on the edges of [0, 1]² at perimeter positions t in [0, 4) (one edge per unit, counter-clockwise)."""
    lib = torch if isinstance(t, Tensor) else np
    side, s = lib.floor(t), t - lib.floor(t)
    x = lib.where(side == 0, s, lib.where(side == 1, 1.0 + 0 * s, lib.where(side == 2, 1.0 - s, 0 * s)))
    y = lib.where(side == 0, 0 * s, lib.where(side == 1, s, lib.where(side == 2, 1.0 + 0 * s, 1.0 - s)))
    return lib.stack([x, y], -1)


def exact_solution(xy: Tensor, wavenumber: float) -> Tensor:
    """u*(x, y) = sin(k0 x)·sin(k0 y) at xy (N, 2) in [0, 1]²; returns (N, 1)."""
    return (torch.sin(wavenumber * xy[:, :1]) * torch.sin(wavenumber * xy[:, 1:]))


def source_term(xy: Tensor, wavenumber: float) -> Tensor:
    """f(x, y) = k0²·sin(k0 x)·sin(k0 y) at xy (N, 2) in [0, 1]²; returns (N, 1)."""
    return wavenumber**2 * exact_solution(xy, wavenumber)


def boundary_factor(coords: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """g = (1 - c1²)(1 - c2²) with its gradient and Laplacian in coords units: (N, 1), (N, 2), (N, 1)."""
    a, b = 1.0 - coords[:, :1] ** 2, 1.0 - coords[:, 1:] ** 2
    return a * b, torch.cat([-2.0 * coords[:, :1] * b, -2.0 * coords[:, 1:] * a], -1), -2.0 * (a + b)


def constrained_jet(jet: Jet, coords: Tensor) -> Jet:
    """The jet of u = g·N from the jet of a scalar network N (hard constraint): Δu = Δg·N + 2∇g·∇N + g·ΔN."""
    g, grad_g, lap_g = boundary_factor(coords)
    value = g * jet.value
    grad = grad_g * jet.value + g * jet.gradient
    lap = lap_g * jet.value + 2.0 * (grad_g * jet.gradient).sum(-1, keepdim=True) + g * jet.laplacian
    return Jet(value, grad, lap)


def dirichlet_residual(jet: Jet, coords: Tensor, wavenumber: float) -> Tensor:
    """-Δu - k0²u - f at coords (N, 2) in [-1, 1]² from the jet of u in coords units (Δ_x = 4·Δ_c); (N, 1).

    Zero for the exact solution; the same expression as DeepXDE's ``pde`` (in x units, unscaled).
    """
    xy = (coords + 1.0) / 2.0
    return -4.0 * jet.laplacian - wavenumber**2 * jet.value - source_term(xy, wavenumber)
