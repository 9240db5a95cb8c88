"""FD adjoint-state FWI: the gradient against finite differences, and recovery of a model from its own data."""

from __future__ import annotations

import numpy as np
import pytest

from sirenkit.errors import ConfigError
from sirenkit.physics.fwi import FDInversion, bilinear_sampler, velocity_metrics
from sirenkit.physics.helmholtz import helmholtz_operator, solve_helmholtz_fd

N, K = 31, 8.0


def ring(count: int, radius: float) -> np.ndarray:
    angle = np.linspace(0, 2 * np.pi, count, endpoint=False)
    return radius * np.stack([np.cos(angle), np.sin(angle)], -1)


def synthetic(truth: np.ndarray, sources: np.ndarray, receivers: np.ndarray) -> np.ndarray:
    """Receiver data of `truth` from the independent solver (physics.solve_helmholtz_fd), scaled as FDInversion scales."""
    alpha = (-1 + 1j) * np.exp(-0.5 * K**2 * 0.01**2)
    sampler = bilinear_sampler(receivers, N)
    return np.stack([alpha * (sampler @ solve_helmholtz_fd(truth, K, tuple(s)).ravel()) for s in sources], -1)


def model() -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(-1, 1, N)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    bump = np.exp(-((xx - 0.1) ** 2 + yy**2) / 0.05)
    return np.where(bump > 0.01, 1.0 + 0.3 * bump, 1.0), np.maximum(np.abs(xx), np.abs(yy)) <= 0.5


def test_operator_matches_the_solver() -> None:
    truth, _ = model()
    base, c = helmholtz_operator(N, K, 0.5, 5.0)
    u = solve_helmholtz_fd(truth, K, (0.2, -0.1)).ravel()
    residual = (base + np.diag(c * K**2 / truth.ravel() ** 2)) @ u
    rhs = np.zeros(N * N)
    rhs[int(round(1.2 / (2 / (N - 1)))) * N + int(round(0.9 / (2 / (N - 1))))] = -((N - 1) / 2) ** 2
    assert np.abs(residual - rhs).max() < 1e-8 * np.abs(rhs).max()


def test_gradient_matches_finite_differences() -> None:
    truth, _ = model()
    sources, receivers = ring(3, 0.35), ring(10, 0.45)
    problem = FDInversion(sources, receivers, synthetic(truth, sources, receivers), n=N, wavenumber=K)
    rng = np.random.default_rng(0)
    v = 1.0 + 0.1 * rng.random(int(problem.free.sum()))
    _, grad = problem.misfit_and_gradient(v)
    for _ in range(3):
        d = rng.standard_normal(len(v))
        eps = 1e-5
        numeric = (problem.misfit_and_gradient(v + eps * d)[0] - problem.misfit_and_gradient(v - eps * d)[0]) / (2 * eps)
        assert grad @ d == pytest.approx(numeric, rel=1e-4)


def test_recovers_a_smooth_anomaly_from_its_data() -> None:
    truth, inside = model()
    sources, receivers = ring(6, 0.4), ring(24, 0.45)
    problem = FDInversion(sources, receivers, synthetic(truth, sources, receivers), n=N, wavenumber=K)
    result = problem.invert(iterations=40)
    metrics = velocity_metrics(result.velocity, truth, inside)
    assert result.misfits[-1] < 0.05 * result.misfits[0]
    assert metrics["velocity_mae"] < 0.5 * metrics["velocity_mae_start"]  # the uniform start is the baseline


def test_bad_bounds_are_refused() -> None:
    truth, _ = model()
    problem = FDInversion(ring(2, 0.3), ring(4, 0.4), np.zeros((4, 2), complex) + 1, n=N, wavenumber=K)
    with pytest.raises(ConfigError, match="v_min < 1 < v_max"):
        problem.invert(v_min=1.5, v_max=3.0)
