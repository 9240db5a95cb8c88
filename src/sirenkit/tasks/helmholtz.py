"""The Helmholtz equation with a point source and a PML, solved by a field (paper Sec. 4.3).

(``problem='dirichlet'`` is DeepXDE's unit-square demo instead: see `sirenkit.tasks.helmholtz_dirichlet`.)

The field maps (x, y) in [-1, 1]² to the complex wavefield u = re + i·im (two output channels).
Training drives the residual of the PML-stretched equation (see `sirenkit.physics.helmholtz`)

    r = ∂x(A ∂x u) + ∂y(B ∂y u) + C·m·k²·u + g,    m = 1 / velocity²,

to zero at random points, where g is a unit Gaussian source. Sign and time convention are those
of `sirenkit.physics` (e^{-iωt}, e = 1 + i·a0·(d/width)²): the complex conjugate of the reference
code's (e = 1 - i·a0·(d/width)², hankel2). Conjugate a field to compare it with the reference's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from sirenkit import ops
from sirenkit.config import check_positive, same_setting
from sirenkit.errors import ConfigError
from sirenkit.io.arrays import load_velocity, save_array
from sirenkit.physics.helmholtz import (
    BUILTIN_VELOCITIES,
    FIELD_SCALE,
    gaussian_source,
    hankel_point_source,
    helmholtz_residual,
    mean_abs,
    mean_square,
    sample_map,
    solve_helmholtz_fd,
    velocity_model,
)
from sirenkit.physics.helmholtz_dirichlet import DEEPXDE_WAVENUMBER
from sirenkit.plots import save_complex_field_panels
from sirenkit.protocols import Batch, merge_loss_weights
from sirenkit.render import DEFAULT_CHUNK_SIZE, evaluate_complex
from sirenkit.samplers import RetainResample, disc_points, grid
from sirenkit.tasks.helmholtz_dirichlet import DIRICHLET_TERMS, HelmholtzDirichletTask

PROBLEMS = ("pml", "dirichlet")
"""pml: the paper's point source with a PML; dirichlet: DeepXDE's unit-square demo with an exact solution."""
RESIDUAL_LOSSES = {"square": mean_square, "abs": mean_abs}
"""How the pml problem's residual enters the loss: mean of re² + im² (with SOAP, the default), or the reference's mean |re|, |im|."""
PML_TERMS = ("residual_off", "residual_on")
LOSS_WEIGHTS = {"residual_off": 1.0, "residual_on": 0.25, "residual": 1.0, "boundary": 100.0}
"""Default weights of the Helmholtz terms of both problems (one config, one --loss-weight flag); see
`HelmholtzConfig.loss_weights`. dirichlet's boundary weight 100 is DeepXDE's example's."""
DEFAULT_WAVENUMBERS = {"pml": 20.0, "dirichlet": DEEPXDE_WAVENUMBER}
"""The wavenumber a problem gets with wavenumber 0: the reference's 20 ([-1, 1] units) and DeepXDE's 4π ([0, 1])."""
PML_OPTIONS = ("velocity", "source", "pml_width", "a0", "source_sigma", "source_samples", "field_scale", "reference_size",
               "residual_size", "residual_loss")
"""Options of the point-source problem that the dirichlet problem has no use for (it refuses changed values)."""


@dataclass
class HelmholtzConfig:
    """The medium, the source and the PML (or DeepXDE's unit-square problem: problem="dirichlet"); sampling and evaluation sizes."""

    positionals: ClassVar[tuple[str, ...]] = ()

    problem: str = "pml"
    """pml: a point source in a medium, radiating into a PML on [-1, 1]² (the paper's; complex field). dirichlet: DeepXDE's
    demo, -Δu - k²u = k²·sin(kx)·sin(ky) on [0, 1]² with u = 0 on the edges, a real field scored against the exact
    sin(kx)·sin(ky) by relative_l2 (the medium, source and PML options do not apply). It starts from its own presets
    (listed at the end of --help; the defaults shown below are the pml problem's): docs/results.md, "DeepXDE's Helmholtz demo"."""
    velocity: str = "uniform"
    """Wave speed: uniform (1), square (2 inside |x|,|y| < 0.3), circle (2 inside r < 0.1) as the reference, or FILE.npy
    (an (n, n) map over [-1, 1]², velocity[i, j] at (x_i, y_j))."""
    wavenumber: float = 0.0
    """k = ω / c0; 0 picks the problem's: pml 20 in units of the [-1, 1] domain (the reference's, about 6 wavelengths
    across), dirichlet 4π = 12.57 on [0, 1] (DeepXDE's, 2 wavelengths across)."""
    boundary: str = "hard"
    """dirichlet only: hard (the network times (1 - x²)(1 - y²) in [-1, 1]², so u = 0 on the edges exactly; DeepXDE's
    default, and the better here) or soft (a 'boundary' loss term on edge points, weight 100 as DeepXDE's)."""
    source: tuple[float, float] = (0.0, 0.0)
    """X Y: position of the point source, inside the PML's inner square."""
    pml_width: float = 0.5
    """Width of the perfectly matched layer at each side of [-1, 1]² (reference 0.5); the metric excludes it."""
    a0: float = 5.0
    """PML strength: the stretch is 1 + i·a0·(depth/width)² (reference 5)."""
    source_sigma: float = 0.01
    """Standard deviation of the Gaussian source (reference: variance 1e-4)."""
    source_samples: int = 100
    """Points per step drawn in the disc of radius 5·source_sigma around the source (reference 100)."""
    field_scale: float = FIELD_SCALE
    """The network outputs u / field_scale (the equation is linear): the same loss, a parametrisation that trains better
    than 1 (measured in sirenkit.physics.helmholtz)."""
    reference_size: int = 301
    """Nodes per axis of the reference grid over [-1, 1]² (FD solve for non-uniform media; 301: 0.44 percent error vs Hankel);
    the metric uses its nodes inside the PML's inner square."""
    residual_size: int = 128
    """Nodes per axis of the fixed grid over [-1, 1]² on which `evaluate` reports the mean residual."""
    residual_loss: str = "square"
    """square: the loss terms are means of the squared residual (re² + im²), the pairing with --optimizer soap that reaches
    the paper's accuracy here (docs/convergence.md, PDE tasks). abs: the reference's mean |re|, |im|, which suits Adam
    (--optimizer adam --residual-loss abs is the paper's recipe); Adam on the squared residual trains badly."""
    chunk_size: int = DEFAULT_CHUNK_SIZE
    """Points per forward pass when evaluating and exporting (bounds memory)."""
    loss_weights: dict[str, float] = field(default_factory=lambda: dict(LOSS_WEIGHTS))
    """pml: weights of the residual's loss away from the source and on it (g > 1e-5). The reference sums |r| and scales
    the on-source sum by batch/1e3; as means that is on:off = (on-source points)/1e3, about 0.25 at 230² points (kept for
    the squared residual too).
    dirichlet: the mean square residual and, with a soft boundary, the mean u² on the edges (DeepXDE's 1 and 100)."""

    def __post_init__(self) -> None:
        self.source = tuple(float(c) for c in self.source)  # type: ignore[assignment]
        if self.problem not in PROBLEMS:
            raise ConfigError(f"problem='{self.problem}' is not known; choose pml (point source with a PML) or dirichlet "
                              "(DeepXDE's unit-square demo), e.g. --problem dirichlet.")
        if self.residual_loss not in RESIDUAL_LOSSES:
            raise ConfigError(f"residual_loss='{self.residual_loss}' is not known; choose square or abs, e.g. --residual-loss square.")
        if self.boundary not in ("hard", "soft"):
            raise ConfigError(f"boundary='{self.boundary}' is not known; choose hard or soft, e.g. --boundary hard.")
        self._refuse_options_of_the_other_problem()
        check_positive(self, "a0", "source_sigma", "source_samples", "field_scale", "reference_size", "residual_size",
                       "chunk_size")
        check_positive(self, "wavenumber", allow_zero=True)
        if not 0.0 <= self.pml_width < 1.0:
            raise ConfigError(f"pml_width={self.pml_width} must lie in [0, 1); use the reference 0.5.")
        inner = 1.0 - self.pml_width
        if len(self.source) != 2 or not all(abs(c) < inner for c in self.source):
            raise ConfigError(f"source {self.source} lies outside the domain inside the PML (|x|, |y| < {inner:g}); "
                              "pass --source X Y with both in that range, e.g. --source 0 0.")
        if self.reference_size < 5:
            raise ConfigError(f"reference_size={self.reference_size} is too coarse; pass e.g. --reference-size 301.")
        self.loss_weights = merge_loss_weights(LOSS_WEIGHTS, self.loss_weights, task="helmholtz")
        if self.velocity not in BUILTIN_VELOCITIES and not self.velocity.endswith(".npy"):
            raise ConfigError(f"velocity='{self.velocity}' is not valid; choose uniform, square, circle or a FILE.npy map.")

    @property
    def k(self) -> float:
        """The wavenumber in use: `wavenumber`, or the problem's own (`DEFAULT_WAVENUMBERS`) where it is 0."""
        return self.wavenumber or DEFAULT_WAVENUMBERS[self.problem]

    def _refuse_options_of_the_other_problem(self) -> None:
        """A changed setting the chosen problem never reads is a mistake: say which problem reads it."""
        defaults = {f.name: f.default for f in fields(HelmholtzConfig) if f.name in PML_OPTIONS}
        changed = [name for name in PML_OPTIONS if not same_setting(getattr(self, name), defaults[name])]
        if self.problem == "dirichlet" and changed:
            raise ConfigError(f"--{changed[0].replace('_', '-')} is an option of the point-source problem (--problem pml); "
                              "--problem dirichlet has no medium, source or PML: drop it.")
        if self.problem == "pml" and self.boundary != "hard":
            raise ConfigError("--boundary applies to --problem dirichlet; the pml problem has no boundary condition: drop it.")
        if self.problem == "dirichlet" and self.boundary == "hard" and self.loss_weights.get("boundary", 100.0) != LOSS_WEIGHTS["boundary"]:
            raise ConfigError("loss weight 'boundary' acts only with --boundary soft (a hard boundary is exact): pass "
                              "--boundary soft, or drop the weight.")
        other = DIRICHLET_TERMS if self.problem == "pml" else PML_TERMS
        for name in other:
            if name in self.loss_weights and self.loss_weights[name] != LOSS_WEIGHTS[name]:
                terms = ", ".join(PML_TERMS if self.problem == "pml" else DIRICHLET_TERMS)
                raise ConfigError(f"loss weight '{name}' is a term of the other Helmholtz problem; --problem {self.problem}'s "
                                  f"terms are: {terms}.")


class HelmholtzTask:
    """Solve the Helmholtz equation: a point source with a PML (complex; vs a solver) or --problem dirichlet (real; vs exact).

    Each step draws `batch_size` points (0: the reference's 230²): uniform in [-1, 1]², the last
    `source_samples` of them in the disc of radius 5σ around the source. Loss terms (unweighted
    means; weights in `HelmholtzConfig.loss_weights`): ``residual_off``, the mean of re² + im² (or of
    |re|, |im|: `HelmholtzConfig.residual_loss`) of the residual where the source is 0, and
    ``residual_on`` where it is not; the residual's
    derivatives come from `sirenkit.ops.jet` (forward mode for a Siren, autograd otherwise).

    `evaluate` reports ``mse`` of the complex field (|Δre|² + |Δim|², halved: the mean over both
    channels) against the reference on the reference grid's nodes inside the PML, excluding the
    disc of radius 5σ around the source, ``relative_mse`` (mse / mean |reference|² · 2), and the mean
    residuals on a fixed grid. Reference: exp(-k²σ²/2m)·(i/4)·H0¹(k r) (the analytic field of the
    Gaussian source outside its support) for 'uniform', the finite-difference solve of
    `sirenkit.physics` times the same factor otherwise.

    Example:
        >>> task = HelmholtzTask.from_config(HelmholtzConfig(reference_size=101))
        >>> task.reference.shape
        (2396,)
    """

    name = "helmholtz"
    headline_metrics: ClassVar[tuple[str, ...]] = ("relative_mse", "mse")
    """What the CLI prints first: the relative error against the FD solve (a zero field scores 1), then the mse."""
    in_features = 2
    out_features = 2
    fit_presets: ClassVar[dict[str, float | int | str]] = {
        "steps": 2000, "optimizer": "soap", "lr": 1e-4, "lr_schedule": "cosine", "lr_final": 0.1, "batch_size": 2048,
        "eval_every": 500, "log_every": 10, "save_every": 250}
    """CLI start for a CPU (flags win): SOAP on the squared residual, 2048 points, lr 1e-4 cosine (docs/convergence.md, PDE
    tasks). The paper's 7.9e-6 took Adam, 230² points, lr 2e-5, 50,000 steps on a GPU."""
    cli_examples: ClassVar[tuple[str, ...]] = ("sirenkit helmholtz --steps 300 --out runs/helmholtz-uniform",
                                               "sirenkit helmholtz --velocity square --source 0.2 -0.1 --steps 300")

    def __init__(self, config: HelmholtzConfig | None = None, *, velocity_map: np.ndarray | None = None) -> None:
        self.config = config = config or HelmholtzConfig()
        if config.problem != "pml":
            raise ConfigError(f"HelmholtzTask solves problem='pml', got '{config.problem}'; build the task with "
                              "HelmholtzTask.from_config(config), which picks the problem's task.")
        self.loss_weights = {name: config.loss_weights[name] for name in PML_TERMS}
        self.device = torch.device("cpu")
        self.source_xy = torch.tensor(config.source, dtype=torch.float32)
        self._map = torch.from_numpy(velocity_map) if velocity_map is not None else None
        n = config.reference_size
        self.nodes = grid((n, n))
        velocity_nodes = self.velocity_at(self.nodes.double()).reshape(n, n).numpy()
        self.velocity_nodes = velocity_nodes
        inner = 1.0 - config.pml_width
        xy = self.nodes.double().numpy()
        r = np.hypot(xy[:, 0] - config.source[0], xy[:, 1] - config.source[1])
        self.eval_mask = (np.abs(xy).max(-1) <= inner + 1e-9) & (r >= 5.0 * config.source_sigma)
        near_source = (r < 5.0 * config.source_sigma).reshape(n, n)
        self.reference_full = np.where(near_source, np.nan, self._reference(velocity_nodes))  # neither solver holds there
        self.reference = self.reference_full.ravel()[self.eval_mask]
        m = self.residual_grid = grid((config.residual_size, config.residual_size))
        self._residual_targets = (gaussian_source(m, self.source_xy, config.source_sigma)[:, None],
                                  1.0 / self.velocity_at(m) ** 2)
        self._points = RetainResample()

    @classmethod
    def variants(cls) -> tuple[str, dict[str, type]]:
        """--problem dirichlet builds `HelmholtzDirichletTask`, which starts from its own presets (`protocols.variant_class`)."""
        return "problem", {"dirichlet": HelmholtzDirichletTask}

    @classmethod
    def from_config(cls, config: HelmholtzConfig) -> HelmholtzTask | HelmholtzDirichletTask:
        """The task of `config.problem`: this class for pml, the class `variants` names for another problem."""
        other = cls.variants()[1].get(config.problem)
        if other is not None:
            return other(config)
        builtin = config.velocity in BUILTIN_VELOCITIES
        return cls(config, velocity_map=None if builtin else load_velocity(config.velocity))

    def velocity_at(self, coords: Tensor) -> Tensor:
        """Wave speed at coords (N, 2): the built-in model, or the map interpolated bilinearly."""
        if self._map is None:
            return velocity_model(self.config.velocity, coords)
        return sample_map(self._map, coords)

    def _reference(self, velocity_nodes: np.ndarray) -> np.ndarray:
        cfg = self.config
        n = cfg.reference_size
        slowness2_source = 1.0 / float(self.velocity_at(self.source_xy[None].double())[0]) ** 2
        smoothing = math.exp(-0.5 * cfg.k**2 * slowness2_source * cfg.source_sigma**2)
        if cfg.velocity == "uniform":
            field_values = hankel_point_source(self.nodes.double().numpy(), cfg.source, cfg.k)
            return smoothing * field_values.reshape(n, n)
        return smoothing * solve_helmholtz_fd(velocity_nodes, cfg.k, cfg.source, cfg.pml_width, cfg.a0)

    @property
    def point_sampler(self) -> RetainResample:
        """The `point_sampler` capability: --sampler residual keeps the uniform points where the residual is large."""
        return self._points

    def to(self, device: torch.device) -> HelmholtzTask:
        self.device = device
        return self

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        """`batch_size` collocation points, the last `source_samples` near the source.

        Deviation: a PDE has no finite training set, so 0 means the reference's 230² points per step.
        """
        n = batch_size if batch_size > 0 else 230 * 230
        near = min(self.config.source_samples, n)
        coords = torch.rand(n, 2, generator=generator) * 2.0 - 1.0
        coords[n - near:] = disc_points(near, self.source_xy, 5.0 * self.config.source_sigma, generator)
        coords[: n - near] = self._points.mix(coords[: n - near])
        targets = {"source": gaussian_source(coords, self.source_xy, self.config.source_sigma)[:, None],
                   "slowness2": 1.0 / self.velocity_at(coords) ** 2}
        return Batch(coords.to(self.device), {k: v.to(self.device) for k, v in targets.items()})

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        """Mean square (or mean |re|, |im|: `residual_loss`) of the residual plus source, away from the source and on it."""
        cfg = self.config
        jet = ops.jet(field, batch.coords, hessian_diagonal=True)
        source = batch.targets["source"]
        r = cfg.field_scale * helmholtz_residual(jet, batch.coords, batch.targets["slowness2"], cfg.k, cfg.pml_width,
                                                 cfg.a0) + source
        on = source[:, 0] != 0
        if self._points.active:  # the per-point magnitudes only where --sampler residual reads them
            uniform = len(r) - min(cfg.source_samples, len(r))
            self._points.observe(batch.coords[:uniform], torch.view_as_real(r[:uniform]).abs().sum((-2, -1)))
        loss = RESIDUAL_LOSSES[cfg.residual_loss]
        return {"residual_off": loss(r[~on]), "residual_on": loss(r[on])}

    def predict(self, field: nn.Module) -> np.ndarray:
        """The field on the reference grid over [-1, 1]², complex (n, n), [i, j] at (x_i, y_j)."""
        n = self.config.reference_size
        return self.config.field_scale * evaluate_complex(field, self.nodes, chunk_size=self.config.chunk_size)[:, 0].reshape(n, n)

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        pred = self.predict(field).ravel()[self.eval_mask]
        mse = float(np.mean(np.abs(pred - self.reference) ** 2) / 2.0)
        off, on = _residual_on_grid(field, self.config, self.residual_grid, *self._residual_targets)
        return {"mse": mse, "relative_mse": mse / float(np.mean(np.abs(self.reference) ** 2) / 2.0),
                "residual_off": off, "residual_on": on}

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]:
        """field.npy (complex (n, n) on the reference grid, [i, j] at (x_i, y_j)) and panels.png."""
        pred = self.predict(field)
        rows = [("network", pred), ("reference", self.reference_full), ("error", pred - self.reference_full)]
        return [save_array(out_dir / "field.npy", pred),
                save_complex_field_panels(out_dir / "panels.png", rows, self.velocity_nodes, self.config.pml_width)]


def _residual_on_grid(field: nn.Module, cfg: HelmholtzConfig, coords: Tensor, source: Tensor, slowness2: Tensor
                     ) -> tuple[float, float]:
    """Mean |residual + source| away from and on the source over fixed coords (chunked, no graph kept)."""
    device = next(field.parameters()).device
    sums, counts = [0.0, 0.0], [0, 0]
    for start in range(0, len(coords), cfg.chunk_size):
        part = slice(start, start + cfg.chunk_size)
        c = coords[part].to(device)
        with torch.no_grad():
            jet = ops.jet(field, c, hessian_diagonal=True)
        r = cfg.field_scale * helmholtz_residual(jet, c, slowness2[part].to(device), cfg.k, cfg.pml_width, cfg.a0)
        r = (r + source[part].to(device)).detach()  # fields without a forward-mode jet took autograd
        on = (source[part] != 0).any(-1).to(device)
        for k, mask in enumerate((~on, on)):
            sums[k] += float(torch.view_as_real(r[mask]).abs().sum())
            counts[k] += int(mask.sum()) * r.shape[1] * 2
    return sums[0] / max(counts[0], 1), sums[1] / max(counts[1], 1)
