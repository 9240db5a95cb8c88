"""The 2-D wave equation u_tt = c²Δu: the Gaussian pulse, its free-space solution and an FDTD reference."""

from __future__ import annotations

import numpy as np

from sirenkit.errors import ConfigError, DataError, ShapeError


def gaussian_pulse(coords: np.ndarray, center: tuple[float, float] = (0.0, 0.0), *, sigma: float = 5e-4,
                   amplitude: float = 0.02) -> np.ndarray:
    """amplitude · exp(-|x - center|² / (2 σ)): the wave task's initial displacement.

    σ is a *variance*, as in the reference code (dataio.gaussian: exp(-0.5 |x - μ|² / σ)), so
    σ = 5e-4 is a standard deviation of √σ ≈ 0.022; the reference divides by 50 times the peak,
    hence its amplitude 0.02. coords has shape (..., 2); returns (...).
    """
    coords = np.asarray(coords, dtype=float)
    r2 = (coords[..., 0] - center[0]) ** 2 + (coords[..., 1] - center[1]) ** 2
    return amplitude * np.exp(-0.5 * r2 / sigma)


def gaussian_pulse_exact(r: np.ndarray, t: float, *, sigma: float = 5e-4, amplitude: float = 0.02,
                         velocity: float = 1.0, quad_points: int = 2000) -> np.ndarray:
    """Free-space solution of u_tt = c²Δu from `gaussian_pulse` at rest, at distances r and time t.

    By the Hankel transform: u(r, t) = A σ ∫ exp(-σ k²/2) cos(c k t) J0(k r) k dk (Gauss-Legendre
    quadrature up to k = 12/√σ, where the integrand is below 1e-31 of its peak). Used to test the
    finite-difference solver on the very problem it serves.
    """
    from scipy.special import j0

    k_max = 12.0 / np.sqrt(sigma)
    nodes, weights = np.polynomial.legendre.leggauss(quad_points)
    k, w = 0.5 * k_max * (nodes + 1.0), 0.5 * k_max * weights
    r = np.asarray(r, dtype=float)
    spectrum = amplitude * sigma * np.exp(-0.5 * sigma * k**2) * np.cos(velocity * k * t) * k * w
    return (j0(np.multiply.outer(r, k)) * spectrum).sum(-1)


def solve_wave_fdtd(u0: np.ndarray, times: tuple[float, ...] | list[float] | np.ndarray, *, velocity: float | np.ndarray = 1.0,
                    courant: float = 0.5) -> np.ndarray:
    """Frames of u_tt = c²Δu on [-1, 1]² from displacement u0 at rest, by leapfrog finite differences.

    Second order in space (5-point Laplacian) and time; u = 0 on the boundary nodes (a wave that
    reaches the walls reflects, so keep frames before it does). Steps are uniform between frame
    times, c·dt/h at most `courant`/√2 (stable up to 1/√2); where the step changes at a frame, the
    variable-step leapfrog u⁺ = u + (dt₁/dt₀)(u - u⁻) + dt₁(dt₀ + dt₁)/2 · c²Δu keeps second order.

    Args:
        u0: (n, n) initial displacement on the node grid linspace(-1, 1, n)² (indexing="ij").
        times: frame times >= 0, in the units where the domain is [-1, 1] and c the wave speed.
        velocity: wave speed c, a positive number or an (n, n) map.
        courant: fraction of the stability limit, in (0, 1].

    Returns:
        (len(times), n, n) frames, in the order of `times`.
    """
    u0 = np.asarray(u0, dtype=float)
    if u0.ndim != 2 or u0.shape[0] != u0.shape[1] or u0.shape[0] < 3:
        raise ShapeError(f"u0 must be a square (n, n) grid with n >= 3, got shape {u0.shape}; sample it on linspace(-1, 1, n)²")
    speed = np.broadcast_to(np.asarray(velocity, dtype=float), u0.shape) if np.ndim(velocity) == 0 else np.asarray(velocity, float)
    if speed.shape != u0.shape:
        raise ShapeError(f"velocity has shape {speed.shape} but u0 has {u0.shape}; give one wave speed per node, or a number")
    if not np.all(np.isfinite(speed)) or np.any(speed <= 0):
        raise DataError("velocity holds non-positive, NaN or inf values; give a strictly positive finite wave speed everywhere")
    times = np.asarray(times, dtype=float).reshape(-1)
    if times.size == 0 or not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ConfigError(f"times {times.tolist()} must be one or more finite values >= 0, e.g. (0, 0.05, 0.1)")
    if not 0.0 < courant <= 1.0:
        raise ConfigError(f"courant={courant} must lie in (0, 1]; 0.5 is a safe choice")
    n = u0.shape[0]
    h = 2.0 / (n - 1)
    dt_max = courant * h / (np.sqrt(2.0) * float(speed.max()))
    c2_over_h2 = speed**2 / h**2

    def acceleration(u: np.ndarray) -> np.ndarray:
        a = np.zeros_like(u)
        a[1:-1, 1:-1] = (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4.0 * u[1:-1, 1:-1]) * c2_over_h2[1:-1, 1:-1]
        return a

    u = u0.copy()
    u[0, :] = u[-1, :] = u[:, 0] = u[:, -1] = 0.0
    previous, dt_previous, now = None, 0.0, 0.0
    frames = {}
    for target in np.unique(times):
        steps = int(np.ceil((target - now) / dt_max - 1e-9))
        dt = (target - now) / max(steps, 1)
        for _ in range(steps):
            if previous is None:  # first step from rest: u(dt) = u0 + dt²/2 · c²Δu0
                u, previous = u + 0.5 * dt**2 * acceleration(u), u
            else:
                u, previous = u + (dt / dt_previous) * (u - previous) + 0.5 * dt * (dt_previous + dt) * acceleration(u), u
            dt_previous = dt
        now = float(target)
        frames[float(target)] = u.copy()
    return np.stack([frames[float(t)] for t in times])
