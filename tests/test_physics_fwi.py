"""FD adjoint-state FWI: the gradient against finite differences, and recovery of a model from its own data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sirenkit.errors import ConfigError
from sirenkit.physics.fwi import FDInversion, pick_anomaly_sign, total_variation, velocity_metrics
from sirenkit.physics.helmholtz import bilinear_sampler, hankel_point_source, helmholtz_operator, solve_helmholtz_fd

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
    # (0.2, -0.1) is node 18 along x and halfway between nodes 13 and 14 along y: half the delta on each
    rhs[18 * N + 13] = rhs[18 * N + 14] = -0.5 * ((N - 1) / 2) ** 2
    assert np.abs(residual - rhs).max() < 1e-8 * np.abs(rhs).max()


def test_a_source_between_nodes_radiates_from_where_it_is() -> None:
    """The FD field of an off-node source against the analytic (i/4)·H0¹(k r) on a circle around it.

    Rounding the source to its nearest node (the old injection) left 6.2% here; bilinear weights 0.6%.
    """
    n, k, source = 101, 10.0, (0.1037, -0.0523)
    angle = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    points = np.asarray(source) + 0.35 * np.stack([np.cos(angle), np.sin(angle)], -1)
    field = bilinear_sampler(points, n) @ solve_helmholtz_fd(np.ones((n, n)), k, source).ravel()
    exact = hankel_point_source(points, source, k)
    assert np.linalg.norm(field - exact) / np.linalg.norm(exact) < 0.02


def test_total_variation_of_a_square_and_its_gradient() -> None:
    """A square of side 0.6 and height 0.5: each axis crosses two edges of length 0.6, TV = 4·0.6·0.5 = 1.2."""
    n = 61
    x = np.linspace(-1, 1, n)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    square = np.where((np.abs(xx) < 0.3 + 1e-9) & (np.abs(yy) < 0.3 + 1e-9), 1.5, 1.0)
    spacing = 2 / (n - 1)
    # the square spans nodes ±9 (0.6 wide, 19 nodes): each axis has 19 jumps per edge, 2 edges, each smoothed slightly
    assert float(total_variation(torch.from_numpy(square), spacing, smoothing=1e-6)) == pytest.approx(4 * 19 * spacing * 0.5, rel=1e-4)
    v = torch.from_numpy(1.0 + 0.1 * np.random.default_rng(0).random((n, n))).requires_grad_(True)
    total_variation(v, spacing).backward()
    d = torch.from_numpy(np.random.default_rng(1).standard_normal((n, n)))
    eps = 1e-6
    numeric = (total_variation(v.detach() + eps * d, spacing) - total_variation(v.detach() - eps * d, spacing)) / (2 * eps)
    assert float((v.grad * d).sum()) == pytest.approx(float(numeric), rel=1e-5)


def sharp_inclusion() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A disc of radius 0.2 and velocity 1.3 off the centre, seen by 6 sources and 24 receivers on rings: truth, the free
    region, the distance from the disc's centre, sources, receivers and the data."""
    x = np.linspace(-1, 1, N)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    distance = np.hypot(xx - 0.1, yy)
    truth = np.where(distance < 0.2, 1.3, 1.0)
    sources, receivers = ring(6, 0.4), ring(24, 0.45)
    return truth, np.maximum(np.abs(xx), np.abs(yy)) <= 0.5, distance, sources, receivers, synthetic(truth, sources, receivers)


def test_total_variation_removes_the_ringing_around_an_inclusion() -> None:
    """A sharp inclusion from 6 sources: TV keeps the background at least twice as flat as the plain misfit does."""
    truth, inside, distance, sources, receivers, data = sharp_inclusion()
    background = inside & (distance > 0.3)
    ringing = {}
    for weight in (0.0, 1e-3):
        result = FDInversion(sources, receivers, data, n=N, wavenumber=K, tv_weight=weight).invert(iterations=60)
        ringing[weight] = np.abs(result.velocity[background] - 1.0).mean()
    assert ringing[1e-3] < 0.5 * ringing[0.0]


def test_bregman_rounds_give_back_the_contrast_total_variation_takes() -> None:
    """A strong TV weight flattens the inclusion (contrast 0.20 of 0.3 here); Bregman rounds, same iterations, restore part of it.

    Measured with v_min = 1: contrast 0.198 -> 0.263 and velocity MAE 0.0158 -> 0.0075 (1 round of 90 iterations against 3 of 30).
    The one-sided bound v_min = 1 is accepted and holds.
    """
    truth, inside, _, sources, receivers, data = sharp_inclusion()
    metrics = {}
    for rounds, iterations in ((1, 90), (3, 30)):
        problem = FDInversion(sources, receivers, data, n=N, wavenumber=K, tv_weight=1e-2)
        result = problem.invert(iterations=iterations, bregman_rounds=rounds, v_min=1.0)
        assert result.velocity.min() >= 1.0
        metrics[rounds] = velocity_metrics(result.velocity, truth, inside)
    assert metrics[3]["velocity_contrast"] > metrics[1]["velocity_contrast"] + 0.03
    assert metrics[3]["velocity_mae"] < 0.75 * metrics[1]["velocity_mae"]


@pytest.mark.parametrize("velocity, sign", [(1.3, "fast"), (0.8, "slow")])
def test_the_pilot_inversions_tell_a_fast_inclusion_from_a_slow_one(velocity: float, sign: str) -> None:
    """The one-sided bound on the anomaly's true side fits the data several times better than the other one."""
    x = np.linspace(-1, 1, N)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    truth = np.where(np.hypot(xx - 0.1, yy) < 0.2, velocity, 1.0)
    sources, receivers = ring(6, 0.4), ring(24, 0.45)
    problem = FDInversion(sources, receivers, synthetic(truth, sources, receivers), n=N, wavenumber=K, tv_weight=1e-3)
    picked, misfits = pick_anomaly_sign(problem, iterations=30)
    other = "slow" if sign == "fast" else "fast"
    assert picked == sign
    assert misfits[sign] < 0.5 * misfits[other]


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
    with pytest.raises(ConfigError, match="v_min <= 1 <= v_max"):
        problem.invert(v_min=1.5, v_max=3.0)
    with pytest.raises(ConfigError, match="bregman_rounds=0"):
        problem.invert(bregman_rounds=0)
