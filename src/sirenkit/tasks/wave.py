"""The 2-D wave equation u_tt = c²Δu in space-time, from a Gaussian pulse at rest (paper Sec. 4.3).

The field maps (t, x, y) to u. It never sees the solution: it learns from the initial
displacement, the initial velocity (zero) and the PDE residual at random points, with a time
window that grows during training (the reference's `WaveSource`). It is scored against a
finite-difference time-domain solution (`sirenkit.physics.wave.solve_wave_fdtd`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from sirenkit import ops
from sirenkit.config import check_positive
from sirenkit.errors import ConfigError
from sirenkit.io.arrays import save_array
from sirenkit.physics.wave import gaussian_pulse, solve_wave_fdtd
from sirenkit.plots import field_label, save_wave_frames
from sirenkit.protocols import Batch, merge_loss_weights
from sirenkit.render import DEFAULT_CHUNK_SIZE, evaluate_points
from sirenkit.samplers import RetainResample

LOSS_WEIGHTS = {"initial": 1.0, "initial_velocity": 1.0, "residual": 1e2}
"""Default weights of the wave terms; see `WaveConfig.loss_weights`."""
SOURCE_RADIUS_PER_SIGMA = 500.0
"""The reference samples its source points in a disc of radius 500·σ (0.25 for σ = 5e-4)."""


@dataclass
class WaveConfig:
    """The pulse, the time window and the collocation points of the wave problem.

    Reference (vsitzmann/siren train_wave_equation.py, dataio.WaveSource): c = 1, σ = 5e-4,
    peak 0.02, 340² = 115,600 points per step (the last 2000 at t = 0, 1000 of them in the source
    disc), t in [0, 0.4·step/100k], 3→512×3→1 SIREN, Adam lr 2e-5, 100k steps; frames
    0, 0.05, 0.1, 0.15, 0.25 on 256². The defaults here are sized for a CPU (see README).
    """

    positionals: ClassVar[tuple[str, ...]] = ()

    velocity: float = 1.0
    """Wave speed c (constant), in domain half-widths per time unit (reference: 1)."""
    sigma: float = 5e-4
    """Variance of the initial Gaussian exp(-|x - centre|² / (2 sigma)), as in the reference (std sqrt(5e-4) = 0.022)."""
    amplitude: float = 0.02
    """Peak of the initial displacement (the reference divides its Gaussian by 50 times the peak: 0.02)."""
    center: tuple[float, float] = (0.0, 0.0)
    """X Y: centre of the initial pulse, inside [-1, 1]^2."""
    t_max: float = 0.4
    """End of the time window the PDE is trained on (reference 0.4; frames up to 0.25 are scored)."""
    ramp_steps: int = 900
    """Steps over which the window grows linearly from t = 0 to t_max (reference: all its 100k steps; here 60 percent of
    the default 1500 steps)."""
    points: int = 4096
    """Collocation points per step, uniform in [0, window] x [-1, 1]^2 (reference: 340^2 = 115600)."""
    initial_points: int = 1000
    """Points at t = 0 per step in the source disc, plus as many uniform in space at t = 0 (reference: 1000 + 1000)."""
    frame_times: tuple[float, ...] = (0.0, 0.05, 0.1, 0.15, 0.25)
    """Times of the scored and exported frames (reference summary: 0, 0.05, 0.1, 0.15, 0.25)."""
    frame_size: int = 256
    """Frames are scored on a frame_size^2 node grid over [-1, 1]^2 (reference: 256)."""
    fdtd_refine: int = 2
    """Reference solution: FDTD on grids frame_size refined 2x and 4x this (Richardson-combined); 2 gives about 0.2 percent error."""
    chunk_size: int = DEFAULT_CHUNK_SIZE
    """Points per forward pass when evaluating and exporting (bounds memory)."""
    loss_weights: dict[str, float] = field(default_factory=lambda: dict(LOSS_WEIGHTS))
    """Weights of the dimensionless terms (see WaveTask). Residual 1e2: after 600 steps (3x128, 4096 points, lr 1e-4) the
    mean relative frame MSE was 0.67, 0.32, 0.24, 0.90, 0.64, 0.95 at weights 1, 10, 1e2, 1e3, 1e4, 1e5."""

    def __post_init__(self) -> None:
        check_positive(self, "velocity", "sigma", "amplitude", "t_max", "ramp_steps", "points", "initial_points", "frame_size",
                       "fdtd_refine", "chunk_size")
        self.center = tuple(float(c) for c in self.center)
        if len(self.center) != 2 or not all(math.isfinite(c) and -1.0 <= c <= 1.0 for c in self.center):
            raise ConfigError(f"center={self.center} lies outside the domain [-1, 1]^2; pass e.g. --center 0 0.")
        if self.frame_size < 8:
            raise ConfigError(f"frame_size={self.frame_size} is too coarse to score a frame; pass e.g. --frame-size 256.")
        self.frame_times = tuple(float(t) for t in self.frame_times)
        if not self.frame_times or not all(math.isfinite(t) and 0.0 <= t for t in self.frame_times):
            raise ConfigError(f"frame_times={self.frame_times} must be one or more times >= 0, e.g. (0, 0.05, 0.1, 0.15, 0.25).")
        reach = 1.0 - max(abs(c) for c in self.center) - 4.0 * math.sqrt(self.sigma)
        if self.velocity * max(self.frame_times) > reach:
            warnings.warn(f"the pulse reaches the domain's edge before t = {max(self.frame_times):g}; the FDTD reference "
                          "reflects it there (u = 0 walls), the network's free-space solution does not, so late frames disagree.",
                          stacklevel=2)
        self.loss_weights = merge_loss_weights(LOSS_WEIGHTS, self.loss_weights, task="wave")


class WaveTask:
    """Solve the 2-D wave equation from a Gaussian pulse at rest; score frames against an FDTD solver.

    Coordinates are (t, x, y); t is not rescaled (window [0, t_max]), x, y span [-1, 1]. Each step
    samples `points` collocation points with t uniform in [0, t_max·min(1, step/ramp_steps)] and
    2·`initial_points` points at t = 0 (half in the source disc).

    The network outputs u / A, the field in units of the pulse's peak A: the equation is linear,
    and a SIREN's output at initialisation is about 0.03 rms, larger than the reference's A = 0.02,
    so fitting u itself first has to silence that noise everywhere (600 steps, residual weight 1e4:
    relative frame MSE 8.2 fitting u, 0.64 fitting u / A). `frames` and the
    metrics are in units of u. Loss terms are means over the points, made dimensionless with A and
    the width L = sqrt(sigma) (time unit L/c), so 1e-4 means a 1% rms error; with Φ = u / A:

    - ``initial``: (Φ(0, x) - u0(x) / A)² at the t = 0 points;
    - ``initial_velocity``: (Φ_t(0, x) · L / c)² at the t = 0 points;
    - ``residual``: ((Φ_tt - c²ΔΦ) · sigma / c²)² at every point.

    Derivatives come from one Taylor-mode pass, `sirenkit.ops.jet(hessian_diagonal=True)`; with
    `--compile` a step takes about half the time (benchmarks/bench_compile.py).

    Example:
        >>> task = WaveTask(WaveConfig(frame_size=16, frame_times=(0.0, 0.1)))
        >>> task.reference.shape
        (2, 16, 16)
    """

    name = "wave"
    headline_metrics: ClassVar[tuple[str, ...]] = ("relative_mse", "mse")
    """What the CLI prints first: the relative error (a zero field scores 1), as the mse alone says nothing of the field's size."""
    in_features = 3
    out_features = 1
    fit_presets: ClassVar[dict[str, float | int | str]] = {"steps": 1500, "optimizer": "soap", "lr": 1e-4, "lr_schedule": "cosine",
                                                            "lr_final": 0.1, "eval_every": 500}
    """FitConfig defaults for the wave task: SOAP, lr 1e-4 cosine, 1500 steps (docs/convergence.md, PDE tasks: about 50x lower
    relative frame MSE than Adam at equal steps). The reference: Adam at a constant lr 2e-5 for 100k steps."""
    field_presets: ClassVar[dict[str, int]] = {"hidden_features": 128}
    """3 hidden layers of 128 (reference: 512; about 16x slower per point on a CPU)."""
    cli_examples: ClassVar[tuple[str, ...]] = (
        "sirenkit wave --steps 300 --points 2048 --frame-size 128 --out runs/wave-quick",
        "sirenkit wave --steps 300 --hidden-features 64 --points 1024 --initial-points 500 --out runs/wave-small",
    )

    def __init__(self, config: WaveConfig | None = None) -> None:
        self.config = config or WaveConfig()
        self.loss_weights = dict(self.config.loss_weights)
        self.frame_times = tuple(float(t) for t in self.config.frame_times)
        self.nodes = np.linspace(-1.0, 1.0, self.config.frame_size)
        self.reference = self._solve_reference()
        self.device = torch.device("cpu")
        self._points = RetainResample()

    @classmethod
    def from_config(cls, config: WaveConfig) -> WaveTask:
        return cls(config)

    def initial_displacement(self, xy: np.ndarray) -> np.ndarray:
        """u0 at points xy (..., 2)."""
        c = self.config
        return gaussian_pulse(xy, tuple(c.center), sigma=c.sigma, amplitude=c.amplitude)

    def _solve_reference(self) -> np.ndarray:
        c = self.config
        solutions = []
        for factor in (c.fdtd_refine, 2 * c.fdtd_refine):
            nodes = np.linspace(-1.0, 1.0, factor * (c.frame_size - 1) + 1)
            xy = np.stack(np.meshgrid(nodes, nodes, indexing="ij"), axis=-1)
            frames = solve_wave_fdtd(self.initial_displacement(xy), self.frame_times, velocity=c.velocity)
            solutions.append(frames[:, ::factor, ::factor])
        coarse, fine = solutions
        return ((4.0 * fine - coarse) / 3.0).astype(np.float32)  # Richardson: cancels the h² error term

    @property
    def point_sampler(self) -> RetainResample:
        """The `point_sampler` capability: --sampler residual keeps the space-time points where the residual is large."""
        return self._points

    def to(self, device: torch.device) -> WaveTask:
        self.device = torch.device(device)
        return self

    def window(self, step: int) -> float:
        """End of the sampled time range at optimizer step `step` (the reference's growing window)."""
        return self.config.t_max * min(1.0, step / self.config.ramp_steps)

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        """`batch_size` space-time points (0: the config's `points`), then 2·initial_points at t = 0.

        Deviation: a PDE has no finite training set, so 0 means `WaveConfig.points`; the t = 0 points come on top.
        """
        c = self.config
        n, m = batch_size or c.points, c.initial_points
        inner = torch.rand(n, 3, generator=generator) * torch.tensor([self.window(step), 2.0, 2.0]) - torch.tensor([0.0, 1.0, 1.0])
        inner = self._points.mix(inner)
        radius = min(SOURCE_RADIUS_PER_SIGMA * c.sigma, 2.0) * torch.rand(m, 1, generator=generator).sqrt()
        angle = 2.0 * math.pi * torch.rand(m, 1, generator=generator)
        disc = torch.cat([radius * torch.cos(angle) + c.center[0], radius * torch.sin(angle) + c.center[1]], dim=1)
        spread = torch.rand(m, 2, generator=generator) * 2.0 - 1.0
        initial = torch.cat([torch.zeros(2 * m, 1), torch.cat([disc, spread])], dim=1)
        target = torch.from_numpy(self.initial_displacement(initial[:, 1:].numpy()) / c.amplitude).float()[:, None]
        coords = torch.cat([inner, initial]).to(self.device)
        return Batch(coords, {"initial": target.to(self.device)})

    def residual(self, field: nn.Module, coords: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Φ = u / A, its gradient (Φ_t, Φ_x, Φ_y) and the residual Φ_tt - c²(Φ_xx + Φ_yy) at coords (N, 3), all with graph."""
        jet = ops.jet(field, coords, hessian_diagonal=True)
        second = jet.hessian_diagonal[:, 0]  # (N, 3): u_tt, u_xx, u_yy
        residual = second[:, :1] - self.config.velocity**2 * (second[:, 1:2] + second[:, 2:3])
        return jet.value, jet.gradient, residual

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        c = self.config
        u, grad, residual = self.residual(field, batch.coords)
        m = len(batch.targets["initial"])
        width = math.sqrt(c.sigma)
        if self._points.active:  # the per-point magnitudes only where --sampler residual reads them
            self._points.observe(batch.coords[:-m], residual[:-m, 0].abs())
        return {
            "initial": torch.mean((u[-m:] - batch.targets["initial"]) ** 2),
            "initial_velocity": torch.mean((grad[-m:, :1] * width / c.velocity) ** 2),
            "residual": torch.mean((residual * c.sigma / c.velocity**2) ** 2),
        }

    @torch.no_grad()
    def frames(self, field: nn.Module) -> np.ndarray:
        """The field at `frame_times` on the frame_size² node grid: (frames, frame_size, frame_size) float32."""
        nodes = torch.from_numpy(self.nodes).float()
        xy = torch.stack(torch.meshgrid(nodes, nodes, indexing="ij"), dim=-1).reshape(-1, 2)
        out = []
        for t in self.frame_times:
            coords = torch.cat([torch.full((len(xy), 1), t), xy], dim=1)
            values = evaluate_points(field, coords, chunk_size=self.config.chunk_size)
            out.append(self.config.amplitude * values.reshape(len(nodes), len(nodes)).float().numpy())
        return np.stack(out)

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        """MSE per frame against the FDTD reference (``mse_t<time>``) and relative to the frame's mean square
        (``relative_mse_t<time>``; a zero field scores 1), their means ``mse`` and ``relative_mse``, and the worst
        frame's ``relative_mse_max``."""
        errors = ((self.frames(field) - self.reference) ** 2).mean(axis=(1, 2))
        relative = errors / (self.reference.astype(np.float64) ** 2).mean(axis=(1, 2))
        metrics = {f"mse_t{t:g}": float(e) for t, e in zip(self.frame_times, errors)}
        metrics |= {f"relative_mse_t{t:g}": float(e) for t, e in zip(self.frame_times, relative)}
        return metrics | {"mse": float(errors.mean()), "relative_mse": float(relative.mean()), "relative_mse_max": float(relative.max())}

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]:
        """field.npy and reference.npy (frames, frame_size, frame_size) and frames.png (network, FDTD, difference)."""
        out_dir = Path(out_dir)
        frames = self.frames(field)
        return [save_array(out_dir / "field.npy", frames), save_array(out_dir / "reference.npy", self.reference),
                save_wave_frames(out_dir / "frames.png", frames, self.reference, self.frame_times,
                                 method=field_label(field))]
