"""Full-waveform inversion: the velocity map from receiver data of several sources (paper Sec. 4.3).

One field maps (x, y) to 2·F channels, the complex wavefields of the F sources, plus one for the
squared slowness m = 1/velocity², shared by all sources (the reference's design). The loss asks
every wavefield to satisfy the Helmholtz equation with the common m (`sirenkit.physics.helmholtz`) and to
match the measured values at the receivers; m is never observed, so it is found through the PDE.

The data file is the reference code's ``data_cylinder_5.mat``: ``source`` (F, 2), ``receivers``
(R, 2) and ``rec_val`` (R, F) complex, in the reference's conjugate convention; sirenkit
conjugates ``rec_val`` on reading, and its source amplitude is -1 + i (the reference's 1 + i,
conjugated, with the opposite sign of the source term).
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from scipy.interpolate import RegularGridInterpolator
from torch import Tensor, nn

from sirenkit import ops
from sirenkit.config import check_positive
from sirenkit.errors import ConfigError, DataError, did_you_mean
from sirenkit.io.arrays import DEFAULT_DATA, ReceiverData, load_receiver_data, save_array
from sirenkit.physics.fwi import (
    PILOT_GRID,
    PILOT_TV_WEIGHT,
    FDInversion,
    bounded_velocity,
    fd_misfit,
    pick_anomaly_sign,
    total_variation,
    velocity_metrics,
)
from sirenkit.physics.helmholtz import (
    FIELD_SCALE,
    cylinder_velocity,
    gaussian_source,
    helmholtz_residual,
    mean_abs,
    solve_helmholtz_fd,
)
from sirenkit.plots import save_complex_field_panels, save_velocity_panel
from sirenkit.protocols import Batch, merge_loss_weights
from sirenkit.render import DEFAULT_CHUNK_SIZE, evaluate_complex, evaluate_points
from sirenkit.samplers import disc_points, grid

log = logging.getLogger(__name__)

METHODS = ("pinn", "hybrid")
"""Inversion methods: see `HelmholtzInverseConfig.method`."""
ANOMALIES = ("any", "fast", "slow", "auto")
"""What the velocity may do against the background: see `HelmholtzInverseConfig.anomaly`."""
ONE_SIDED_BOUND = 0.01
"""A one-sided bound sits this far beyond the background 1 (0.99 or 1.01): the sigmoid map reaches a bound only at infinity."""
LOSS_WEIGHTS = {"residual_off": 1.0, "residual_on": 0.14, "data": 30.0, "background": 30.0}
"""Default weights of the FWI terms; see `HelmholtzInverseConfig.loss_weights`."""


@dataclass
class HelmholtzInverseConfig:
    """The receiver data, the true model to score against, and the equation's settings."""

    positionals: ClassVar[tuple[str, ...]] = ()
    field_holds_wavefields: ClassVar[bool] = True
    """The network's output holds the wavefields (real, imaginary per source) before the slowness; the hybrid's holds
    the velocity alone."""

    data: str = ""
    """FWI .mat file with source, receivers and rec_val (default: $SIRENKIT_DATA/helmholtz/data_cylinder_5.mat)."""
    true_radius: float = 0.0
    """Radius of the true cylinder, for the metrics only (the .mat holds no model); 0: the model fitted to
    data_cylinder_5.mat, radius 0.1 and velocity 2."""
    true_velocity: float = 0.0
    """Wave speed inside the true cylinder (background 1), for the metrics only; 0 with true_radius 0: the fitted values."""
    wavenumber: float = 20.0
    """k, as the reference (20)."""
    source_amplitude: tuple[float, float] = (-1.0, 1.0)
    """RE IM: complex amplitude of every source in sirenkit's convention (the reference's 1 + i, conjugated and negated)."""
    pml_width: float = 0.5
    """PML width at each side of [-1, 1]² (reference 0.5)."""
    a0: float = 5.0
    """PML strength (reference 5)."""
    known_margin: float = 0.75
    """Where |x| or |y| exceeds this the velocity is known to be 1 and not fitted (reference 0.75)."""
    source_sigma: float = 0.01
    """Standard deviation of each Gaussian source (reference: variance 1e-4)."""
    source_samples: int = 100
    """Points per step near each source (reference 100)."""
    field_scale: float = FIELD_SCALE
    """The network outputs each field divided by this (not the slowness): the same loss, a parametrisation that
    trains better than 1 (measured in sirenkit.physics.helmholtz)."""
    pretrain_steps: int = 0
    """First steps fit the fields with the velocity held at the background (term `background`, mean |m - 1|) and no
    receiver term, as the reference's --pretrain run before FWI; 0 starts FWI at once. The hybrid fits only the
    velocity to the background in these steps (no FD solve; a SIREN's last bias otherwise starts it up to 0.06 off in
    the logit): a few dozen suffice."""
    method: str = "hybrid"
    """hybrid (the default: it beats the PINN on every column of docs/results.md's fwi-methods table): the network holds
    only the velocity (always bounded, see v_min), the wavefields come from the FD solver on the reference grid and the
    loss is the receiver misfit, differentiated by the adjoint state (implicit FWI, Sun et al. 2023); it takes every
    free node of the grid each step (--batch-size is ignored). pinn: one network holds the wavefields and the slowness,
    trained on the PDE residual and the data (the paper's method). Each starts from its own presets (end of --help)."""
    bounded_velocity: bool = False
    """pinn: velocity = v_min + (v_max - v_min) sigmoid(theta), theta = 0 at the background, instead of the reference's
    slowness max(out, -0.999) + 1 (which lets the velocity run to 30)."""
    v_min: float = 0.5
    """Lowest velocity of the bounded parametrisation (--bounded-velocity, and the hybrid); below the background 1.
    --anomaly fast raises it to 0.99."""
    v_max: float = 3.0
    """Highest velocity of the bounded parametrisation; above the background 1. --anomaly slow lowers it to 1.01."""
    anomaly: str = "any"
    """The bounded velocity's prior against the background 1. any: [v_min, v_max]. fast: nothing slower than the
    background, [0.99, v_max]; slow: nothing faster, [v_min, 1.01]. auto (the hybrid's default): fast or slow, whichever
    lets a quick FD + TV pilot inversion fit the data better (`physics.fwi.pick_anomaly_sign`, a few seconds; metrics.json
    records both pilots' misfits). The one-sided bound is what recovers the cylinder (docs/results.md, table
    fwi-methods); auto assumes only that the anomaly is single-signed, and cannot recover one that is fast in parts
    and slow in others (use any)."""
    tv_weight: float = 0.0
    """hybrid: weight of the velocity's total variation (`physics.fwi.total_variation`) added to the receiver misfit; it
    removes the ringing a 5-source, 1-frequency inversion leaves around the inclusion, at the price of some contrast
    (docs/results.md, table fwi-methods). 0: no term."""
    bregman_every: int = 0
    """hybrid: after pretraining, every this many steps the receiver residual is added back to the data the misfit
    fits (Bregman iterations for the total variation, Osher et al. 2005): it gives back the contrast TV takes away.
    Each round should run until the velocity settles (a few hundred Adam steps); 0: off."""
    reference_size: int = 201
    """Nodes per axis of the grid for the FD reference fields and the velocity metric (and the hybrid's FD solves)."""
    chunk_size: int = DEFAULT_CHUNK_SIZE
    """Points per forward pass when evaluating and exporting (bounds memory)."""
    loss_weights: dict[str, float] = field(default_factory=lambda: dict(LOSS_WEIGHTS))
    """Weights of the mean |residual| off and on the sources, the mean |field - data| at the receivers and the
    pretraining's mean |m - 1|. The reference sums them (on-source x batch/1e3, data and background x batch); as means
    over 115² points and 5 sources that is 1 : 0.14 : 30 : 30."""

    def __post_init__(self) -> None:
        self.source_amplitude = tuple(float(c) for c in self.source_amplitude)  # type: ignore[assignment]
        check_positive(self, "wavenumber", "a0", "known_margin", "source_sigma", "source_samples", "field_scale",
                       "reference_size", "chunk_size")
        check_positive(self, "true_radius", "true_velocity", "pretrain_steps", "tv_weight", "bregman_every", allow_zero=True)
        if not 0.0 <= self.pml_width < 1.0:
            raise ConfigError(f"pml_width={self.pml_width} must lie in [0, 1); use the reference 0.5.")
        self.loss_weights = merge_loss_weights(LOSS_WEIGHTS, self.loss_weights, task="helmholtz-inverse")
        if self.method not in METHODS:
            raise ConfigError(f"unknown method '{self.method}'; choose one of: {', '.join(METHODS)}{did_you_mean(self.method, METHODS)}.")
        hybrid_only = [flag for flag, value in (("--tv-weight", self.tv_weight), ("--bregman-every", self.bregman_every)) if value]
        if self.method == "pinn" and hybrid_only:
            raise ConfigError(f"{hybrid_only[0]} acts on the velocity grid of --method hybrid; the PINN has none. Drop it, "
                              "or use --method hybrid.")
        if self.anomaly not in ANOMALIES:
            raise ConfigError(f"unknown anomaly '{self.anomaly}'; choose one of: {', '.join(ANOMALIES)}"
                              f"{did_you_mean(self.anomaly, ANOMALIES)}.")
        if self.method == "pinn" and not self.bounded_velocity and self.anomaly != "any":
            raise ConfigError(f"--anomaly {self.anomaly} bounds the velocity, which the PINN leaves free by default; add "
                              "--bounded-velocity, or use --method hybrid.")
        if not 0.0 < self.v_min < 1.0 < self.v_max:
            raise ConfigError(f"velocity bounds v_min={self.v_min}, v_max={self.v_max} must satisfy 0 < v_min < 1 < v_max "
                              "(the background velocity is 1); e.g. --v-min 0.5 --v-max 3.")


TRUE_CYLINDER = (0.1, 2.0)
"""(radius, velocity) of the model behind data_cylinder_5.mat: the reference dataio's 'circle'. The .mat holds no
model; this one was found by fitting FD solves of centred cylinders to rec_val (radius 0.1, velocity 2 left the
smallest misfit; the next best, (0.1, 1.5), about twice it). Its misfit on the task's grid is `true_model_misfit`
(the fwi tables of docs/results.md print it): the floor of any inversion on that grid."""


class HelmholtzInverseTask:
    """Recover a velocity map from receiver data of several sources (full-waveform inversion).

    Each step draws `batch_size` points (0: the reference's 115²) uniform in [-1, 1]², the
    receivers first and `source_samples` near each source last. Loss terms (unweighted means):
    ``residual_off`` and ``residual_on``, the mean |re|, |im| of every source's residual off and on
    its own source; ``data``, the mean |re|, |im| of field - measurement at the receivers. The
    squared slowness is ``max(out[-1], -0.999) + 1`` (the reference's), fixed to 1 beyond
    `known_margin`; with ``bounded_velocity`` it is 1/v² of `physics.fwi.bounded_velocity` instead.
    This class is ``method="pinn"`` (the paper's method); ``method="hybrid"``, the default, makes `from_config` build
    `HelmholtzHybridTask` (velocity network, FD wavefields).

    `evaluate` reports the velocity error (``velocity_mae``, ``velocity_rmse``; and ``velocity_mae_start``
    of the uniform starting model) against the true cylinder on the reference grid inside the PML,
    ``velocity_contrast``, the mean fitted velocity inside the true anomaly minus that around it
    (``velocity_contrast_true``: 1 for the cylinder; near 0: the anomaly does not show), ``mse`` of
    every field against the FD solve with the true model (inside the PML, outside the source discs),
    and ``data_misfit``, the relative L2 misfit at the receivers (next to ``data_misfit_true_model``, that of
    the true model's FD fields: the floor).
    """

    name = "helmholtz-inverse"
    headline_metrics: ClassVar[tuple[str, ...]] = ("velocity_contrast", "velocity_mae", "velocity_mae_start", "data_misfit")
    """What the CLI prints first: how much of the cylinder shows (true 1) and the velocity error next to the uniform
    start's, then the receiver misfit; the wavefields' mse is in metrics.json."""
    in_features = 2
    fit_presets: ClassVar[dict[str, float | int | str]] = {
        "steps": 1000, "lr": 1e-4, "lr_schedule": "cosine", "lr_final": 0.1, "batch_size": 4096, "eval_every": 250,
        "log_every": 10, "save_every": 250}
    """The PINN's start for a CPU (--method pinn; flags win). The reference: 115² points, lr 2e-5, 80,000 steps on a GPU."""
    cli_examples: ClassVar[tuple[str, ...]] = (
        "sirenkit helmholtz-inverse --out runs/fwi",
        "sirenkit helmholtz-inverse --method pinn --steps 3000 --pretrain-steps 1000 --compile --out runs/fwi-pinn",
        "sirenkit helmholtz-inverse --data $SIRENKIT_DATA/helmholtz/data_cylinder_5.mat --anomaly fast --out runs/fwi-fast",
        "sirenkit helmholtz-inverse --anomaly any --out runs/fwi-two-sided",
        )

    def __init__(self, data: ReceiverData, config: HelmholtzInverseConfig | None = None) -> None:
        self.config = config = config or HelmholtzInverseConfig()
        self.loss_weights = dict(config.loss_weights)
        self.device = torch.device("cpu")
        inner = 1.0 - config.pml_width
        outside = [tuple(float(c) for c in s) for s in data.sources if not (abs(s[0]) < inner and abs(s[1]) < inner)]
        if outside:
            raise DataError(f"source {outside[0]} lies in the PML or outside the domain; sources must satisfy |x|, |y| < {inner:g}")
        self.data = data
        self.n_sources = len(data.sources)
        self.out_features = 2 * self.n_sources + 1
        self.sources = torch.tensor(data.sources, dtype=torch.float32)
        self.receivers = torch.tensor(data.receivers, dtype=torch.float32)
        measured = torch.from_numpy(data.values.astype(np.complex64))
        self.measured = measured
        self.amplitude = complex(*config.source_amplitude)
        self.v_bounds, self.anomaly_metrics = self._velocity_bounds()
        radius, velocity = (config.true_radius, config.true_velocity) if config.true_radius else TRUE_CYLINDER
        self.true_model = (radius, velocity)
        n = config.reference_size
        self.nodes = grid((n, n))
        xy = self.nodes.double().numpy()
        self.true_velocity = cylinder_velocity(xy, radius, velocity).reshape(n, n)
        self.inside = (np.abs(xy).max(-1) <= inner + 1e-9).reshape(n, n)
        self.reference = np.stack([self._reference_field(tuple(s)) for s in data.sources])
        axis = np.linspace(-1.0, 1.0, n)
        predicted = np.stack([RegularGridInterpolator((axis, axis), u)(data.receivers) for u in self.reference], -1)
        self.true_model_misfit = float(np.linalg.norm(predicted - data.values) / np.linalg.norm(data.values))
        """Relative L2 misfit of the true model's FD fields at the receivers: the floor a perfect inversion would leave."""
        near = np.zeros((n, n), bool)
        for s in data.sources:
            near |= (np.hypot(xy[:, 0] - s[0], xy[:, 1] - s[1]) < 5.0 * config.source_sigma).reshape(n, n)
        self.reference[:, near] = np.nan  # the point-source solve does not hold inside a source's support
        self.field_mask = self.inside & ~near

    @classmethod
    def variants(cls) -> tuple[str, dict[str, type]]:
        """--method hybrid builds `HelmholtzHybridTask`, pinn this class; each starts from its own presets (`protocols.variant_class`)."""
        return "method", {"hybrid": HelmholtzHybridTask, "pinn": HelmholtzInverseTask}

    @classmethod
    def from_config(cls, config: HelmholtzInverseConfig) -> HelmholtzInverseTask:
        path = config.data or str(Path(os.environ.get("SIRENKIT_DATA", Path(__file__).resolve().parents[3] / ".." / "shared"
                                                      / "data")) / DEFAULT_DATA)
        _, classes = cls.variants()
        return classes[config.method](load_receiver_data(path), config)

    def fd_inversion(self, n: int, *, tv_weight: float = 0.0) -> FDInversion:
        """The classical FWI problem of this task's data and equation on an n² grid (`physics.fwi.FDInversion`)."""
        cfg = self.config
        return FDInversion(self.data.sources, self.data.receivers, self.data.values, n=n, wavenumber=cfg.wavenumber,
                           amplitude=self.amplitude, source_sigma=cfg.source_sigma, pml_width=cfg.pml_width, a0=cfg.a0,
                           known_margin=cfg.known_margin, tv_weight=tv_weight)

    def _velocity_bounds(self) -> tuple[tuple[float, float], dict[str, float]]:
        """The bounds of the bounded velocity after `anomaly`, and (auto) what the pilot inversions found."""
        cfg, found = self.config, {}
        sign = cfg.anomaly
        if sign == "auto":
            pilot = self.fd_inversion(min(PILOT_GRID, cfg.reference_size), tv_weight=PILOT_TV_WEIGHT)
            sign, misfits = pick_anomaly_sign(pilot, v_min=cfg.v_min, v_max=cfg.v_max)
            log.info("--anomaly auto: %s (pilot misfit %.4f with v >= 1, %.4f with v <= 1)", sign, misfits["fast"], misfits["slow"])
            found = {"anomaly_fast": float(sign == "fast"), "pilot_misfit_fast": misfits["fast"], "pilot_misfit_slow": misfits["slow"]}
        bounds = {"any": (cfg.v_min, cfg.v_max), "fast": (1.0 - ONE_SIDED_BOUND, cfg.v_max),
                  "slow": (cfg.v_min, 1.0 + ONE_SIDED_BOUND)}[sign]
        return bounds, found

    def _reference_field(self, source: tuple[float, float]) -> np.ndarray:
        cfg = self.config
        slowness2 = 1.0 / float(cylinder_velocity(np.asarray(source), *self.true_model)) ** 2
        smoothing = math.exp(-0.5 * cfg.wavenumber**2 * slowness2 * cfg.source_sigma**2)
        u = solve_helmholtz_fd(self.true_velocity, cfg.wavenumber, source, cfg.pml_width, cfg.a0)
        return self.amplitude * smoothing * u

    def to(self, device: torch.device) -> HelmholtzInverseTask:
        self.device = device
        return self

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        """`batch_size` points: the receivers first, `source_samples` near each source last, uniform in between.

        Deviation: a PDE has no finite training set, so 0 means the reference's 115² points; a step never takes
        fewer than the receivers plus the near-source points.
        """
        n_near = self.config.source_samples * self.n_sources
        n = max(batch_size if batch_size > 0 else 115 * 115, len(self.receivers) + n_near)
        coords = torch.rand(n, 2, generator=generator) * 2.0 - 1.0
        coords[: len(self.receivers)] = self.receivers
        near = [disc_points(self.config.source_samples, s, 5.0 * self.config.source_sigma, generator) for s in self.sources]
        coords[n - n_near:] = torch.cat(near)
        g = torch.stack([gaussian_source(coords, s, self.config.source_sigma) for s in self.sources], -1)
        pretrain = torch.tensor(float(step <= self.config.pretrain_steps))
        return Batch(coords.to(self.device), {"source": g.to(self.device), "pretrain": pretrain.to(self.device)})

    def slowness2(self, out: Tensor, coords: Tensor) -> Tensor:
        """Squared slowness from the last channel, 1 beyond known_margin. Shape: (N,).

        The reference's max(out, -0.999) + 1, or 1/v² of `bounded_velocity` with --bounded-velocity.
        """
        if self.config.bounded_velocity:
            m = bounded_velocity(out[:, -1], *self.v_bounds) ** -2
        else:
            m = out[:, -1].clamp(min=-0.999) + 1.0
        known = coords.abs().max(-1).values > self.config.known_margin
        return torch.where(known, torch.ones_like(m), m)

    def velocity_of(self, out: Tensor, coords: Tensor) -> Tensor:
        """The velocity at `coords` from the network's output there, 1 beyond known_margin (what the viewer draws). Shape: (N,)."""
        return self.slowness2(out, coords).rsqrt()

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        cfg = self.config
        jet = ops.jet(field, batch.coords, hessian_diagonal=True)
        m = self.slowness2(jet.value, batch.coords)
        fields = ops.Jet(jet.value[:, :-1], jet.gradient[:, :-1], None, jet.hessian_diagonal[:, :-1])
        source = batch.targets["source"] * self.amplitude
        r = cfg.field_scale * helmholtz_residual(fields, batch.coords, m, cfg.wavenumber, cfg.pml_width, cfg.a0) + source
        on = batch.targets["source"] != 0
        n_rec = len(self.receivers)
        at_receivers = cfg.field_scale * torch.complex(jet.value[:n_rec, 0:-1:2], jet.value[:n_rec, 1:-1:2])
        pretrain = batch.targets["pretrain"]
        return {"residual_off": mean_abs(r[~on]), "residual_on": mean_abs(r[on]),
                "data": (1 - pretrain) * mean_abs(at_receivers - self.measured.to(at_receivers.device)),
                "background": pretrain * torch.mean(torch.abs(m - 1.0))}

    def predict(self, field: nn.Module) -> tuple[np.ndarray, np.ndarray]:
        """Fields (F, n, n) complex and velocity (n, n) on the reference grid, [.., i, j] at (x_i, y_j)."""
        n = self.config.reference_size
        out = evaluate_points(field, self.nodes, chunk_size=self.config.chunk_size)
        values = torch.cat([out[:, :-1], self.slowness2(out, self.nodes)[:, None]], -1).double().numpy()
        fields = self.config.field_scale * (values[:, 0:-1:2] + 1j * values[:, 1:-1:2]).T.reshape(-1, n, n)
        return fields, (1.0 / np.sqrt(values[:, -1])).reshape(n, n)

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        fields, velocity = self.predict(field)
        at_receivers = evaluate_complex(field, self.receivers, chunk_size=self.config.chunk_size)[:, : self.n_sources]
        return self.score(fields, velocity, self.config.field_scale * at_receivers)

    def score(self, fields: np.ndarray, velocity: np.ndarray, at_receivers: np.ndarray) -> dict[str, float]:
        """The metrics of fields (F, n, n), velocity (n, n) on the reference grid and the fields at the receivers (R, F)."""
        truth = self.true_velocity[self.inside]
        anomaly = truth != 1.0
        mse = float(np.mean(np.abs(fields[:, self.field_mask] - self.reference[:, self.field_mask]) ** 2) / 2.0)
        misfit = np.linalg.norm(at_receivers - self.data.values) / np.linalg.norm(self.data.values)
        return velocity_metrics(velocity, self.true_velocity, self.inside) | {
                "velocity_contrast_true": float(truth[anomaly].mean() - truth[~anomaly].mean()),
                "mse": mse,
                "relative_mse": mse / float(np.nanmean(np.abs(self.reference[:, self.field_mask]) ** 2) / 2.0),
                "data_misfit": float(misfit), "data_misfit_true_model": self.true_model_misfit} | self.anomaly_metrics

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]:
        """field.npy (F, n, n) complex, velocity.npy (n, n), velocity.png and fields.png (middle source)."""
        fields, velocity = self.predict(field)
        paths = [save_array(out_dir / "field.npy", fields), save_array(out_dir / "velocity.npy", velocity)]
        paths.append(save_velocity_panel(out_dir / "velocity.png", velocity, self.true_velocity, self.receivers.numpy(),
                                         self.sources.numpy()))
        j = self.n_sources // 2
        rows = [(f"network, source {j}", fields[j]), ("FD, true model", self.reference[j]), ("error", fields[j] - self.reference[j])]
        paths.append(save_complex_field_panels(out_dir / "fields.png", rows, velocity, self.config.pml_width, "fitted velocity"))
        return paths


class BregmanTarget:
    """The data the hybrid's misfit fits, which each Bregman round moves by the residual: kept in the checkpoint."""

    def __init__(self, problem: FDInversion) -> None:
        self.problem = problem
        self.applied_at = 0
        """The step whose round end was last applied (a step's losses may be evaluated more than once)."""

    def add_residual(self, v_free: np.ndarray, step: int) -> None:
        """target += d − αPu(v): the next round fits what this one left out."""
        self.problem.target = self.problem.target + self.problem.data - self.problem.predicted(v_free)
        self.applied_at = step

    def state_dict(self) -> dict[str, Tensor | int]:
        return {"target": torch.view_as_real(torch.from_numpy(self.problem.target.copy())), "applied_at": self.applied_at}

    def load_state_dict(self, state: dict) -> None:
        if state:
            self.problem.target = torch.view_as_complex(state["target"]).numpy().copy()
            self.applied_at = int(state["applied_at"])


class HelmholtzHybridTask(HelmholtzInverseTask):
    """FWI with velocity = bounded network output and FD wavefields on the `reference_size` grid (``method="hybrid"``).

    The neural reparameterisation of classical FWI (implicit FWI, Sun et al. 2023): the field maps
    (x, y) to one value θ, the velocity is `physics.fwi.bounded_velocity` of it, and the loss is the
    receiver misfit of the FD Helmholtz fields in that velocity (`physics.fwi.FDInversion`), whose
    gradient comes from the adjoint state and is chained into the network by autograd
    (`physics.fwi.fd_misfit`). Unlike the PINN method no network learns the wavefields, so no PDE
    residual is traded against the data; unlike the FD baseline the velocity is a smooth function
    of few parameters, not one value per node.

    Each step takes every node with |x|, |y| <= known_margin (the rest are held at 1). Loss terms
    (weight 1 each): ``misfit``, and in the first `pretrain_steps` instead ``background``, the mean
    |v − 1| (the velocity fitted to the uniform start, no FD solve). `evaluate` reports the metrics of `HelmholtzInverseTask`, the
    fields being the FD solves in the fitted velocity.
    """

    field_holds_wavefields = False
    field_presets: ClassVar[dict[str, float | int]] = {"hidden_features": 128, "first_omega_0": 20.0}
    """A small velocity network (the FD solver, not the network, carries the wavefields); 3x128 with first ω0 20 came
    closest to the truth of the widths and ω0 tried (docs/results.md, table fwi-methods)."""
    fit_presets: ClassVar[dict[str, float | int | str]] = {
        "steps": 1630, "lr": 1e-3, "lr_schedule": "cosine", "eval_every": 400, "log_every": 10, "save_every": 200}
    """30 steps to the background, then eight Bregman rounds of 200 FD steps, lr 1e-3 on a cosine decay (over eight rounds
    the lr stays high through the rounds where the contrast is won; six rounds on the same decay end lower at seed 0)."""
    config_presets: ClassVar[dict[str, float | int | str]] = {"tv_weight": 2.5e-4, "reference_size": 201, "pretrain_steps": 30,
                                                              "bregman_every": 200, "anomaly": "auto"}
    """Total variation with Bregman rounds on the 201² grid (the later rounds fit the data closer than the 101² grid's own
    error), and the one-sided bound on the side the pilot inversions pick: the `default` row of docs/results.md's
    fwi-methods table."""

    def __init__(self, data: ReceiverData, config: HelmholtzInverseConfig | None = None) -> None:
        super().__init__(data, config)
        cfg = self.config
        self.out_features = 1
        self.loss_weights = {"misfit": 1.0, "background": 1.0, "tv": cfg.tv_weight}
        self.problem = self.fd_inversion(cfg.reference_size)
        self.free_mask = torch.from_numpy(self.problem.free)
        self.free_coords = self.nodes[self.free_mask]
        self.bregman = BregmanTarget(self.problem)
        self.training_state = self.bregman

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        """The free nodes of the FD grid, every step (the solver needs the whole velocity map).

        ``bregman_step`` is the step number where a Bregman round ends (the target gains the residual first), else 0.
        """
        cfg = self.config
        pretrain = torch.tensor(float(step <= cfg.pretrain_steps))
        since = step - cfg.pretrain_steps - 1
        due = cfg.bregman_every and since > 0 and since % cfg.bregman_every == 0
        return Batch(self.free_coords.to(self.device), {"pretrain": pretrain.to(self.device),
                                                         "bregman_step": torch.tensor(step if due else 0)})

    def velocity(self, out: Tensor) -> Tensor:
        """The bounded velocity from the network's output (N, 1). Shape: (N,)."""
        return bounded_velocity(out[:, 0], *self.v_bounds)

    def velocity_of(self, out: Tensor, coords: Tensor) -> Tensor:
        """The bounded velocity at `coords`, 1 beyond known_margin where the FD solver holds it. Shape: (N,)."""
        known = coords.abs().max(-1).values > self.config.known_margin
        return torch.where(known, torch.ones(()), self.velocity(out))

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        velocity = self.velocity(field(batch.coords))
        zero = velocity.new_zeros(())
        if batch.targets["pretrain"]:
            return {"misfit": zero, "background": torch.mean(torch.abs(velocity - 1.0)), "tv": zero}
        due = int(batch.targets["bregman_step"])
        if due and due != self.bregman.applied_at:
            self.bregman.add_residual(velocity.detach().cpu().double().numpy(), due)
        n = self.config.reference_size
        free = self.free_mask.to(velocity.device)
        grid_velocity = torch.ones(n * n, dtype=velocity.dtype, device=velocity.device).masked_scatter(free, velocity)
        tv = total_variation(grid_velocity.view(n, n), 2.0 / (n - 1)) if self.config.tv_weight else zero
        return {"misfit": fd_misfit(velocity, self.problem), "background": zero, "tv": tv}

    def predict(self, field: nn.Module) -> tuple[np.ndarray, np.ndarray]:
        """FD fields (F, n, n) complex in the fitted velocity, scaled as the data, and that velocity (n, n)."""
        n = self.config.reference_size
        out = evaluate_points(field, self.nodes, chunk_size=self.config.chunk_size)
        velocity = self.problem.full(self.velocity(out).double().numpy()[self.problem.free])
        fields, _ = self.problem.fields(velocity)
        return self.problem.alpha * fields.T.reshape(-1, n, n), velocity.reshape(n, n)

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        fields, velocity = self.predict(field)
        at_receivers = (self.problem.sampler @ fields.reshape(self.n_sources, -1).T)
        return self.score(fields, velocity, at_receivers)
