"""A small VQ-VAE-style conv autoencoder whose activation is swappable, and the Olivetti faces it learns.

Shared by benchmarks/bench_autoencoder.py and tests/test_nn.py. Variants (VARIANTS):
  relu          ReLU, PyTorch's default init;
  sine-default  sin(x), PyTorch's default init (what people try first);
  siren-w1      sin(x), siren_init_ at omega_0 = 1;
  siren-w30     sin(30 x), siren_init_ at omega_0 = 30.
With SIREN init, the conv that sees the image is `is_first`; every other conv (including the
encoder's 1x1 projection to the codes, the decoder's first conv on the codes and the output conv,
which have no sine after them or none before them) uses the hidden bound, as `Siren` does for its
output layer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sirenkit.nn import Sine, siren_init_

VARIANTS = {"relu": None, "sine-default": 1.0, "siren-w1": 1.0, "siren-w30": 30.0}
"""Variant name -> omega_0 of its sine (None: ReLU)."""


def load_faces(path: Path) -> tuple[Tensor, Tensor]:
    """Olivetti faces as (400, 1, 64, 64) floats in [-1, 1], and each image's person (0..39)."""
    faces = scipy.io.loadmat(str(path))["faces"]  # (4096, 400) uint8, column-major 64x64 per column
    images = faces.T.reshape(400, 64, 64).transpose(0, 2, 1).astype(np.float32) / 127.5 - 1.0
    return torch.from_numpy(np.ascontiguousarray(images))[:, None], torch.arange(400) // 10


class VectorQuantiser(nn.Module):
    """Nearest-codebook-vector bottleneck with a straight-through gradient (van den Oord et al. 2017)."""

    def __init__(self, codes: int, dim: int, beta: float = 0.25) -> None:
        super().__init__()
        self.codebook = nn.Parameter(torch.empty(codes, dim).uniform_(-1.0 / codes, 1.0 / codes))
        self.beta = beta

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Quantised z (N, D, H, W), the codebook + commitment loss, and the code indices (N, H, W)."""
        flat = z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])
        index = torch.cdist(flat, self.codebook).argmin(dim=1)
        quantised = self.codebook[index].view(z.shape[0], z.shape[2], z.shape[3], -1).permute(0, 3, 1, 2)
        loss = F.mse_loss(quantised, z.detach()) + self.beta * F.mse_loss(z, quantised.detach())
        return z + (quantised - z).detach(), loss, index.view(z.shape[0], z.shape[2], z.shape[3])


class ConvAutoencoder(nn.Module):
    """64x64 -> 16x16 grid of `codes` codebook vectors -> 64x64; widths `width` and 2 * width."""

    def __init__(self, variant: str, *, width: int = 32, dim: int = 16, codes: int = 64) -> None:
        super().__init__()
        omega_0 = VARIANTS[variant]
        w, w2 = width, 2 * width
        self.encoder = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), self._act(omega_0),
            nn.Conv2d(w, w, 4, stride=2, padding=1), self._act(omega_0),      # 32x32
            nn.Conv2d(w, w2, 4, stride=2, padding=1), self._act(omega_0),     # 16x16
            nn.Conv2d(w2, dim, 1))
        self.quantiser = VectorQuantiser(codes, dim)
        self.decoder = nn.Sequential(
            nn.Conv2d(dim, w2, 3, padding=1), self._act(omega_0),
            nn.Upsample(scale_factor=2), nn.Conv2d(w2, w, 3, padding=1), self._act(omega_0),  # 32x32
            nn.Upsample(scale_factor=2), nn.Conv2d(w, w, 3, padding=1), self._act(omega_0),   # 64x64
            nn.Conv2d(w, 1, 3, padding=1))
        if variant.startswith("siren"):
            convs = [m for m in self.modules() if isinstance(m, nn.Conv2d)]
            for i, conv in enumerate(convs):
                siren_init_(conv, omega_0=omega_0, is_first=i == 0)

    @staticmethod
    def _act(omega_0: float | None) -> nn.Module:
        return nn.ReLU() if omega_0 is None else Sine(omega_0)

    def sine_omegas(self) -> dict[str, float]:
        """Layer name -> the omega_0 its following sine multiplies by (for `preactivation_stats`)."""
        omegas, previous = {}, None
        for name, module in self.named_modules():
            if isinstance(module, nn.Conv2d):
                previous = name
            elif isinstance(module, Sine) and previous is not None:
                omegas[previous] = module.omega_0
        return omegas

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Reconstruction, vector-quantisation loss, code indices."""
        quantised, vq_loss, index = self.quantiser(self.encoder(images))
        return self.decoder(quantised), vq_loss, index


def train_step(model: ConvAutoencoder, optimizer: torch.optim.Optimizer, images: Tensor) -> tuple[float, float]:
    """One step on reconstruction MSE + VQ loss; returns both, as measured before the step."""
    recon, vq_loss, _ = model(images)
    recon_loss = F.mse_loss(recon, images)
    optimizer.zero_grad(set_to_none=True)
    (recon_loss + vq_loss).backward()
    optimizer.step()
    return recon_loss.item(), vq_loss.item()
