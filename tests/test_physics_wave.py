"""The finite-difference wave solver against exact solutions."""

import numpy as np
import pytest

from sirenkit.errors import ConfigError, DataError, ShapeError
from sirenkit.physics import gaussian_pulse, gaussian_pulse_exact, solve_wave_fdtd


def _mode_error(n: int, velocity: float) -> float:
    x = np.linspace(-1, 1, n)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    u0 = np.sin(np.pi * xx) * np.sin(np.pi * yy)
    times = (0.0, 0.3, 0.7, 0.71)
    frames = solve_wave_fdtd(u0, times, velocity=velocity)
    exact = [u0 * np.cos(np.sqrt(2) * np.pi * velocity * t) for t in times]
    return max(float(np.abs(f - e).max()) for f, e in zip(frames, exact))


def test_standing_mode_second_order():
    # sin(pi x) sin(pi y) cos(sqrt(2) pi c t) with u = 0 walls; measured max errors 4.1e-3, 1.0e-3, 2.5e-4 (c = 1)
    errors = [_mode_error(n, 1.0) for n in (21, 41, 81)]
    assert errors[-1] < 3e-4
    assert errors[0] / errors[1] > 3.5 and errors[1] / errors[2] > 3.5  # halving h quarters the error
    assert _mode_error(41, 2.5) < 1e-2  # a faster medium (2.5x the phase travelled): measured 6.2e-3


def test_gaussian_pulse_matches_hankel_solution():
    # the wave task's own problem (sigma 5e-4, peak 0.02) against the Hankel-transform solution, along y = 0;
    # measured relative L2 error at t = 0.25: 4.9e-2 (n = 401), 1.2e-2 (n = 801): second order
    x = np.linspace(-1, 1, 401)
    xy = np.stack(np.meshgrid(x, x, indexing="ij"), axis=-1)
    times = (0.0, 0.1, 0.25)
    frames = solve_wave_fdtd(gaussian_pulse(xy), times)
    for frame, t in zip(frames, times):
        exact = gaussian_pulse_exact(np.abs(x), t)
        error = np.sqrt(np.sum((frame[:, 200] - exact) ** 2) / np.sum(exact**2))
        assert error < 0.06, (t, error)
    assert np.allclose(gaussian_pulse_exact(np.abs(x), 0.0), gaussian_pulse(np.stack([x, 0 * x], -1)), atol=1e-12)


def test_frame_order_and_energy():
    x = np.linspace(-1, 1, 101)
    xy = np.stack(np.meshgrid(x, x, indexing="ij"), axis=-1)
    u0 = gaussian_pulse(xy, sigma=5e-3, amplitude=1.0)
    forward = solve_wave_fdtd(u0, (0.1, 0.3))
    backward = solve_wave_fdtd(u0, (0.3, 0.1))
    assert np.allclose(forward, backward[::-1], atol=1e-12)
    # the displacement spreads: the peak falls while the wave has not reached the walls
    assert forward[1].max() < forward[0].max() < 1.0


def test_errors():
    u0 = np.zeros((8, 8))
    with pytest.raises(DataError, match="non-positive"):
        solve_wave_fdtd(u0, (0.1,), velocity=-1.0)
    with pytest.raises(ShapeError, match="velocity has shape"):
        solve_wave_fdtd(u0, (0.1,), velocity=np.ones((4, 4)))
    with pytest.raises(ShapeError, match="square"):
        solve_wave_fdtd(np.zeros((8, 5)), (0.1,))
    with pytest.raises(ConfigError, match="times"):
        solve_wave_fdtd(u0, (-0.1,))
    with pytest.raises(ConfigError, match="courant"):
        solve_wave_fdtd(u0, (0.1,), courant=1.5)
