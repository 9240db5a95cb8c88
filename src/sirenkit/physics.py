"""Reference solvers for the 2-D Helmholtz and wave equations, used to score neural fits.

Equation on [-1, 1]² with the reference's PML (a0 = 5, width 0.5):
    ∂x(A ∂x u) + ∂y(B ∂y u) + C·m·k²·u = -source,   m = 1 / velocity²,
    A = ey/ex, B = ex/ey, C = ex·ey,   e = 1 + i·s/k,   s = k·a0·(distance into PML / width)².
(As the reference code's loss_functions.helmholtz_pml: e = 1 + i·a0·(d/width)², whatever k.)
Time convention e^{-iωt}: the outgoing field of Δu + k²u = -δ is u = (i/4)·H0¹(k r).
The reference code uses the complex-conjugate convention (e = 1 - i·s/k with hankel2);
conjugate our fields to compare with it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
from scipy.special import hankel1

from sirenkit.errors import ConfigError, DataError, ShapeError


def hankel_point_source(coords: np.ndarray, source_xy: tuple[float, float], wavenumber: float) -> np.ndarray:
    """Analytic field (i/4)·H0¹(k r) of a unit point source in a homogeneous medium (velocity 1).

    coords has shape (..., 2); the field is singular (complex inf) exactly at the source.
    """
    coords = np.asarray(coords, dtype=float)
    if coords.shape[-1] != 2:
        raise ShapeError(f"coords must have shape (..., 2), got {coords.shape}; pass (x, y) pairs")
    r = np.hypot(coords[..., 0] - source_xy[0], coords[..., 1] - source_xy[1])
    with np.errstate(all="ignore"):
        return 0.25j * hankel1(0, wavenumber * r)


def pml_stretch(x: np.ndarray, wavenumber: float, pml_width: float = 0.5, a0: float = 5.0) -> np.ndarray:
    """Complex coordinate stretch e = 1 + i·s/k, s = k·a0·(d/width)², along one axis (d: depth into the PML).

    The reference's profile: the imaginary part grows to a0 = 5 at the outer edge, whatever k.
    """
    if pml_width == 0.0:
        return np.ones_like(x, dtype=complex)
    depth = np.clip(np.abs(x) - (1.0 - pml_width), 0.0, None)
    damping = wavenumber * a0 * (depth / pml_width) ** 2
    return 1.0 + 1j * damping / wavenumber


def _check_inputs(velocity: np.ndarray, source_xy: tuple[float, float], pml_width: float) -> np.ndarray:
    velocity = np.asarray(velocity, dtype=float)
    if velocity.ndim != 2 or velocity.shape[0] != velocity.shape[1] or velocity.shape[0] < 3:
        raise ShapeError(
            f"velocity must be a square (n, n) grid with n >= 3, got shape {velocity.shape}; "
            "resample it onto a square grid over [-1, 1]²"
        )
    if not np.all(np.isfinite(velocity)) or np.any(velocity <= 0):
        raise DataError(
            "velocity holds non-positive, NaN or inf values; give a strictly positive finite wave speed everywhere"
        )
    if len(source_xy) != 2 or not all(-1.0 <= float(c) <= 1.0 for c in source_xy):
        raise ConfigError(f"source_xy {tuple(source_xy)} lies outside the domain [-1, 1]²; move it inside")
    if not 0.0 <= pml_width < 1.0:
        raise ConfigError(f"pml_width {pml_width} must lie in [0, 1); use the reference 0.5")
    return velocity


def solve_helmholtz_fd(
    velocity: np.ndarray,
    wavenumber: float,
    source_xy: tuple[float, float],
    pml_width: float = 0.5,
    a0: float = 5.0,
) -> np.ndarray:
    """Field of a unit point source by 5-point finite differences with the PML; complex (n, n).

    velocity[i, j] is the wave speed at (x_i, y_j) on an n×n node grid over [-1, 1]² (indexing="ij");
    the source is a discrete delta 1/h² at the nearest node; u = 0 just outside the grid.
    """
    velocity = _check_inputs(velocity, source_xy, pml_width)
    n = velocity.shape[0]
    h = 2.0 / (n - 1)
    nodes = np.linspace(-1.0, 1.0, n)
    mids = 0.5 * (nodes[:-1] + nodes[1:])
    ex_node, ey_node = pml_stretch(nodes, wavenumber, pml_width, a0), pml_stretch(nodes, wavenumber, pml_width, a0)
    ex_mid = pml_stretch(mids, wavenumber, pml_width, a0)
    # A = ey/ex at x-midpoints (i+1/2, j); B = ex/ey at y-midpoints (i, j+1/2); C = ex·ey at nodes.
    a_mid = ey_node[None, :] / ex_mid[:, None]
    b_mid = ex_node[:, None] / ex_mid[None, :]
    c_node = ex_node[:, None] * ey_node[None, :]

    index = np.arange(n * n).reshape(n, n)
    diag = c_node * wavenumber**2 / velocity**2 + 0j
    rows, cols, vals = [], [], []
    diag[:-1, :] -= a_mid / h**2
    diag[1:, :] -= a_mid / h**2
    diag[:, :-1] -= b_mid / h**2
    diag[:, 1:] -= b_mid / h**2
    for a, b, coef in (
        (index[:-1, :], index[1:, :], a_mid),
        (index[:, :-1], index[:, 1:], b_mid),
    ):
        rows += [a.ravel(), b.ravel()]
        cols += [b.ravel(), a.ravel()]
        vals += [coef.ravel() / h**2] * 2
    rows.append(index.ravel())
    cols.append(index.ravel())
    vals.append(diag.ravel())
    matrix = scipy.sparse.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n * n, n * n)
    )
    rhs = np.zeros(n * n, dtype=complex)
    i = int(round((source_xy[0] + 1.0) / h))
    j = int(round((source_xy[1] + 1.0) / h))
    rhs[index[i, j]] = -1.0 / h**2
    return scipy.sparse.linalg.spsolve(matrix, rhs).reshape(n, n)


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
