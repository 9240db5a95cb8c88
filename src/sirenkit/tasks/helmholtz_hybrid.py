"""Hybrid full-waveform inversion: the velocity is a network, the wavefields come from the FD solver.

The neural reparameterisation of classical FWI (implicit FWI, Sun et al. 2023): the field maps
(x, y) to one value θ, the velocity is v = v_min + (v_max − v_min)·sigmoid(θ + θ₀)
(`physics.fwi.bounded_velocity`, θ = 0 at the background), and the loss is the receiver misfit of
the FD Helmholtz fields in that velocity, ½||αPu − d||²/||d||² (`physics.fwi.FDInversion`). Its
gradient comes from the adjoint state, one LU factorisation and 2·F triangular solves per step,
and autograd chains it into the network (`physics.fwi.fd_misfit`). Unlike the PINN method no
network learns the wavefields, so no PDE residual is traded against the data; unlike the FD
baseline the velocity is a smooth function of few parameters, not one value per node.

`sirenkit helmholtz-inverse --method hybrid` builds it; the data, the true model and the metrics
are those of `HelmholtzInverseTask`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from sirenkit.io.arrays import ReceiverData
from sirenkit.physics.fwi import FDInversion, bounded_velocity, fd_misfit
from sirenkit.protocols import Batch
from sirenkit.render import evaluate_points
from sirenkit.tasks.helmholtz_inverse import HelmholtzInverseConfig, HelmholtzInverseTask


class HelmholtzHybridTask(HelmholtzInverseTask):
    """FWI with velocity = bounded network output and FD wavefields on the `reference_size` grid.

    Each step takes every node with |x|, |y| <= known_margin (the rest are held at 1). Loss terms
    (weight 1 each): ``misfit``, and in the first `pretrain_steps` instead ``background``, the mean
    |v − 1| (the velocity fitted to the uniform start, no FD solve). `evaluate` reports the metrics of `HelmholtzInverseTask`, the
    fields being the FD solves in the fitted velocity.
    """

    def __init__(self, data: ReceiverData, config: HelmholtzInverseConfig | None = None) -> None:
        super().__init__(data, config)
        cfg = self.config
        self.out_features = 1
        self.loss_weights = {"misfit": 1.0, "background": 1.0}
        self.problem = FDInversion(data.sources, data.receivers, data.values, n=cfg.reference_size, wavenumber=cfg.wavenumber,
                                   amplitude=self.amplitude, source_sigma=cfg.source_sigma, pml_width=cfg.pml_width, a0=cfg.a0,
                                   known_margin=cfg.known_margin)
        self.free_coords = self.nodes[torch.from_numpy(self.problem.free)]

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        """The free nodes of the FD grid, every step (the solver needs the whole velocity map)."""
        pretrain = torch.tensor(float(step <= self.config.pretrain_steps))
        return Batch(self.free_coords.to(self.device), {"pretrain": pretrain.to(self.device)})

    def velocity(self, out: Tensor) -> Tensor:
        """The bounded velocity from the network's output (N, 1). Shape: (N,)."""
        return bounded_velocity(out[:, 0], self.config.v_min, self.config.v_max)

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        velocity = self.velocity(field(batch.coords))
        zero = velocity.new_zeros(())
        if batch.targets["pretrain"]:
            return {"misfit": zero, "background": torch.mean(torch.abs(velocity - 1.0))}
        return {"misfit": fd_misfit(velocity, self.problem), "background": zero}

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
