"""Classical full-waveform inversion: finite differences, the adjoint state, and L-BFGS on the velocity grid.

What a geophysicist would run on the data of `sirenkit helmholtz-inverse`, and the reference the
neural result is judged against: it shows how much the receiver data constrain the velocity.
The forward model is `physics.helmholtz.helmholtz_operator`, the FD stencil of
`solve_helmholtz_fd` (5 points, with the PML), A(m) u_s = f_s with m = 1/velocity² entering only the diagonal, C·k²·m. The misfit
J(m) = ½ Σ_s ||α P u_s − d_s||² / ||d||² (P: bilinear interpolation at the receivers, α: the
source amplitude and the Gaussian source's far-field factor) has the gradient
dJ/dm = −Re Σ_s conj(w_s) · C k² · u_s, where the adjoint field w_s = A^{-H} Pᵀ ᾱ r_s comes from
the same sparse LU factorisation as u_s (A is complex symmetric, so A^{-H} b = conj(A^{-1} conj b)).
The LU is `physics.helmholtz.factorize` (SuperLU's symmetric mode, one BLAS thread); bench_fwi.py --method fd
ran the 40 iterations of bench_fwi_fd.py to the same velocity (7 digits) as the default ordering.
One factorisation and 2·F triangular solves per misfit evaluation; scipy's L-BFGS-B bounds the
velocity to [v_min, v_max] (v_min = 1: the one-sided prior), with total variation and Bregman rounds
as options (`invert`). The velocity beyond `known_margin` is held at the background, as in the
neural task.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse
import torch
from scipy.optimize import minimize
from torch import Tensor

from sirenkit.errors import ConfigError
from sirenkit.physics.helmholtz import bilinear_sampler, factorize, helmholtz_operator, point_source_rhs


@dataclass
class FDInversionResult:
    """The fitted velocity (n, n), the relative receiver misfit after each iteration, and the cost."""

    velocity: np.ndarray
    misfits: list[float] = field(default_factory=list)
    iterations: int = 0
    evaluations: int = 0
    seconds: float = 0.0


class FDInversion:
    """The misfit of a velocity model and its adjoint-state gradient, for sources (F, 2), receivers (R, 2), data (R, F).

    Sources are discrete deltas at their place between nodes (`point_source_rhs`), scaled like
    `HelmholtzInverseTask`'s reference fields (amplitude times the Gaussian source's far-field factor
    in the background). Only nodes with |x|, |y| <= known_margin are free (``self.free``); the rest stay at 1.
    ``tv_weight`` > 0 adds that multiple of the velocity's total variation to what `invert` minimises
    (`total_variation`): 150 complex numbers cannot pin down thousands of nodes, and TV prefers the
    blocky model with the fewest edges among those that fit.
    """

    def __init__(self, sources: np.ndarray, receivers: np.ndarray, data: np.ndarray, *, n: int = 201, wavenumber: float = 20.0,
                 amplitude: complex = -1 + 1j, source_sigma: float = 0.01, pml_width: float = 0.5, a0: float = 5.0,
                 known_margin: float = 0.75, tv_weight: float = 0.0) -> None:
        if n < 11:
            raise ConfigError(f"n={n} nodes per axis is too coarse for FWI; use e.g. 201.")
        if tv_weight < 0:
            raise ConfigError(f"tv_weight={tv_weight} must be >= 0 (0: no total-variation term).")
        self.n, self.wavenumber, self.tv_weight = n, wavenumber, tv_weight
        self.base, self.c = helmholtz_operator(n, wavenumber, pml_width, a0)
        self.sampler = bilinear_sampler(receivers, n)
        xy = np.stack(np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1, 1, n), indexing="ij"), -1).reshape(-1, 2)
        self.free = np.abs(xy).max(-1) <= known_margin
        self.alpha = amplitude * math.exp(-0.5 * wavenumber**2 * source_sigma**2)
        self.rhs = np.stack([point_source_rhs(n, tuple(s)) for s in sources], -1)
        self.data = np.asarray(data, complex)
        self.target = self.data.copy()
        """What the misfit fits: the data, plus the residuals that Bregman rounds add back (`invert`)."""
        self.norm = float(np.linalg.norm(self.data) ** 2)
        self.evaluations = 0
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def full(self, v_free: np.ndarray) -> np.ndarray:
        """The (n*n,) velocity with `v_free` at the free nodes and the background elsewhere."""
        velocity = np.ones(self.n * self.n)
        velocity[self.free] = v_free
        return velocity

    def fields(self, velocity: np.ndarray) -> tuple[np.ndarray, object]:
        """Every source's field (n*n, F) and the LU factorisation of A(m) that made them."""
        k2 = self.wavenumber**2
        matrix = self.base + scipy.sparse.diags(self.c * k2 / velocity**2)
        lu = factorize(matrix)
        return lu.solve(self.rhs), lu

    def misfit_and_gradient(self, v_free: np.ndarray) -> tuple[float, np.ndarray]:
        """½ ||α P u − d||² / ||d||² and its gradient with respect to the free velocities (d: ``self.target``)."""
        velocity = self.full(v_free)
        u, lu = self.fields(velocity)
        predicted = self.alpha * (self.sampler @ u)
        residual = predicted - self.target
        w = np.conj(lu.solve(np.conj(self.sampler.T @ (np.conj(self.alpha) * residual))))
        grad_m = -np.real(np.sum(np.conj(w) * u, axis=1) * self.c * self.wavenumber**2) / self.norm
        self.evaluations += 1
        self._last = (v_free.copy(), predicted)
        return 0.5 * float(np.linalg.norm(residual) ** 2) / self.norm, (grad_m * (-2.0 / velocity**3))[self.free]

    def objective(self, v_free: np.ndarray) -> tuple[float, np.ndarray]:
        """What `invert` minimises: the misfit plus tv_weight times the total variation, and its gradient."""
        misfit, grad = self.misfit_and_gradient(v_free)
        if self.tv_weight == 0:
            return misfit, grad
        velocity = torch.from_numpy(self.full(v_free)).requires_grad_(True)
        tv = total_variation(velocity.view(self.n, self.n), 2.0 / (self.n - 1))
        tv.backward()
        return misfit + self.tv_weight * float(tv.detach()), grad + self.tv_weight * velocity.grad.numpy()[self.free]

    def predicted(self, v_free: np.ndarray) -> np.ndarray:
        """α P u at `v_free` (R, F), reusing the last evaluation when it was there (L-BFGS's accepted point)."""
        if self._last is None or not np.array_equal(self._last[0], v_free):
            self.misfit_and_gradient(v_free)
        return self._last[1]

    def relative_misfit(self, v_free: np.ndarray) -> float:
        """||α P u − d|| / ||d|| at `v_free` against the measured data, whatever the Bregman target."""
        return float(np.linalg.norm(self.predicted(v_free) - self.data) / math.sqrt(self.norm))

    def invert(self, *, iterations: int = 100, v_min: float = 0.5, v_max: float = 3.0, stop_at_misfit: float = 0.0,
               bregman_rounds: int = 1) -> FDInversionResult:
        """L-BFGS-B from the uniform background, the velocity bounded to [v_min, v_max]; `iterations` per round.

        ``v_min`` = 1 is the one-sided prior "nothing is slower than the background" (Esser et al. 2018 bound
        FWI's velocity the same way for salt): it removes the slow side-lobes a band-limited inversion puts
        around a fast inclusion, which a two-sided bound lets through; ``v_max`` = 1 is its mirror for a slow
        one. ``bregman_rounds`` > 1 runs Bregman iterations (Osher et al. 2005) for the total variation: after
        each round the residual d − αPu is added to the target the next round fits, which gives back the contrast TV takes away (a TV
        minimiser trades an inclusion's height for a smaller penalty), with the same weight. Each round
        fits the data closer; ``stop_at_misfit`` > 0 stops once the relative misfit against the measured
        data falls to it (Morozov's discrepancy principle: fitting the data closer than their error only
        fits the error).
        """
        if not (0 < v_min <= 1.0 <= v_max and v_min < v_max):
            raise ConfigError(f"velocity bounds [{v_min}, {v_max}] must satisfy 0 < v_min <= 1 <= v_max, v_min < v_max "
                              "(the background is 1).")
        if bregman_rounds < 1:
            raise ConfigError(f"bregman_rounds={bregman_rounds} must be >= 1 (1: a plain inversion).")
        start = time.perf_counter()
        self.target = self.data.copy()
        v = np.ones(int(self.free.sum()))
        misfits = [self.relative_misfit(v)]

        def after_iteration(v: np.ndarray) -> None:
            misfits.append(self.relative_misfit(v))
            if misfits[-1] <= stop_at_misfit:
                raise StopIteration

        total = 0
        for _ in range(bregman_rounds):
            opt = minimize(self.objective, v, jac=True, method="L-BFGS-B", bounds=[(v_min, v_max)] * len(v),
                           options={"maxiter": iterations, "maxcor": 20}, callback=after_iteration)
            v, total = opt.x, total + int(opt.nit)
            if misfits[-1] <= stop_at_misfit:
                break
            self.target = self.target + self.data - self.predicted(v)
        return FDInversionResult(self.full(v).reshape(self.n, self.n), misfits, total, self.evaluations,
                                 time.perf_counter() - start)


PILOT_GRID = 101
"""Nodes per axis of `pick_anomaly_sign`'s pilot inversions (at most the task's own grid)."""
PILOT_ITERATIONS = 100
"""L-BFGS-B iterations of each pilot: enough to tell the signs apart (benchmarks/bench_fwi_sign.py)."""
PILOT_TV_WEIGHT = 1e-3
"""The pilots' total-variation weight: the fd-tv row of docs/results.md."""


def pick_anomaly_sign(problem: FDInversion, *, v_min: float = 0.5, v_max: float = 3.0,
                      iterations: int = PILOT_ITERATIONS) -> tuple[str, dict[str, float]]:
    """'fast' or 'slow': which one-sided bound lets an FD + TV inversion of `problem`'s data fit them better.

    The model selection behind `helmholtz-inverse --anomaly auto`. The one-sided bound is the prior that
    recovers the cylinder (docs/results.md), but it needs the anomaly's sign; a single-signed anomaly
    explains the data far better with the right bound than with the wrong one, which can only put
    side-lobes where the inclusion should be. Returns the sign and each pilot's relative receiver misfit.
    `problem` sets the grid and the TV weight (the task uses PILOT_GRID and PILOT_TV_WEIGHT). Where neither
    pilot fits the data, the choice means little: benchmarks/bench_fwi_sign.py measures where it holds.
    """
    misfits = {}
    for sign, (low, high) in {"fast": (1.0, v_max), "slow": (v_min, 1.0)}.items():
        misfits[sign] = problem.invert(iterations=iterations, v_min=low, v_max=high).misfits[-1]
    return min(misfits, key=misfits.__getitem__), misfits


def total_variation(velocity: Tensor, spacing: float, smoothing: float = 1e-2) -> Tensor:
    """∫ |∂x v| + |∂y v| over the grid, each |.| smoothed to sqrt(. ² + smoothing²) so that it has a gradient at 0.

    The regulariser of blocky models (Rudin-Osher-Fatemi): a jump costs its height times its length
    whatever its steepness, so an inclusion stays sharp while the oscillations a band-limited
    inversion leaves around it cost their full length. It also favours a wide, faint inclusion over
    a narrow, strong one that scatters the same: it trades contrast for smoothness (docs/results.md).
    The anisotropic form (one smoothed |.| per axis) keeps both differences on their natural grids.

    Shape:
        velocity: (n, n), [i, j] at (x_i, y_j) with `spacing` between nodes; returns a scalar
    """
    dx = torch.diff(velocity, dim=0) / spacing
    dy = torch.diff(velocity, dim=1) / spacing
    return spacing**2 * (torch.sqrt(dx**2 + smoothing**2).sum() + torch.sqrt(dy**2 + smoothing**2).sum())


def bounded_velocity(theta: Tensor, v_min: float, v_max: float) -> Tensor:
    """v_min + (v_max − v_min)·sigmoid(θ + θ₀), θ₀ chosen so that θ = 0 is the background velocity 1.

    The bound of neural FWI (deepwave's FWI example, implicit FWI): the velocity can never leave
    [v_min, v_max] however the network moves, and a network whose output starts near 0 (a SIREN's
    last layer does: std about 0.02) starts at the uniform background.
    """
    if not 0 < v_min < 1.0 < v_max:
        raise ConfigError(f"velocity bounds [{v_min}, {v_max}] must satisfy 0 < v_min < 1 < v_max (the background is 1).")
    p = (1.0 - v_min) / (v_max - v_min)
    return v_min + (v_max - v_min) * torch.sigmoid(theta + math.log(p / (1.0 - p)))


class _FDMisfit(torch.autograd.Function):
    @staticmethod
    def forward(ctx, v_free: Tensor, problem: FDInversion) -> Tensor:  # type: ignore[override]
        misfit, grad = problem.misfit_and_gradient(v_free.detach().cpu().double().numpy())
        ctx.save_for_backward(torch.from_numpy(grad).to(v_free))
        return torch.tensor(misfit, dtype=v_free.dtype, device=v_free.device)

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        (grad,) = ctx.saved_tensors
        return grad_output * grad, None


def fd_misfit(v_free: Tensor, problem: FDInversion) -> Tensor:
    """`problem`'s misfit ½||αPu − d||²/||d||² as a torch scalar of the free velocities, differentiable by the adjoint state.

    The bridge of the hybrid inversion: a network that outputs the velocity trains through the FD
    solver, whose gradient (one LU and 2·F triangular solves, `FDInversion.misfit_and_gradient`)
    autograd chains into the network's parameters. Computed in float64 on the CPU whatever `v_free`'s device.

    Shape:
        v_free: (problem.free.sum(),), in the order of the free nodes; returns a scalar
    """
    return _FDMisfit.apply(v_free, problem)


def velocity_metrics(velocity: np.ndarray, truth: np.ndarray, inside: np.ndarray) -> dict[str, float]:
    """The FWI velocity metrics of `HelmholtzInverseTask.evaluate`, for any velocity on its reference grid."""
    error = velocity[inside] - truth[inside]
    anomaly = truth[inside] != 1.0
    return {"velocity_mae": float(np.mean(np.abs(error))), "velocity_rmse": float(np.sqrt(np.mean(error**2))),
            "velocity_mae_start": float(np.mean(np.abs(1.0 - truth[inside]))),
            "velocity_contrast": float(velocity[inside][anomaly].mean() - velocity[inside][~anomaly].mean())}
