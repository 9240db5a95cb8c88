"""WIRE's Gabor wavelet activation (Saragadam et al., CVPR 2023), in a real-valued network."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sirenkit.activations.base import Activation
from sirenkit.activations.gauss import gaussian


class Wire(Activation):
    """cos(omega_0 * x) * exp(-(scale * x)^2): the real part of WIRE's complex Gabor wavelet.

    WIRE (paper Eq. 4; vishwa91/wire modules/wire.py) computes exp(j omega_0 z - |scale z|^2) with
    complex weights after the first layer (hidden width divided by sqrt 2 to keep the parameter
    count) and outputs the real part. sirenkit keeps every layer a real nn.Linear, so that
    `sirenkit.ops`, checkpoints and the fit loop treat it like any field; the activation is then
    the real part of the complex Gabor evaluated at a real z, the paper's "real Gabor" variant
    with one linear map for both the sinusoid and the envelope. The paper reports the complex
    form fits better, so expect this one to trail WIRE's published numbers.

    Init: PyTorch's default nn.Linear init, as in the reference. omega_0 = 20, scale = 10 are
    WIRE's image settings as FINER runs them (run_wire.sh, lr 5e-3).
    """

    periodic = True
    scaled = True

    def __init__(self, omega_0: float = 20.0, scale: float = 10.0) -> None:
        super().__init__()
        self.omega_0, self.scale = float(omega_0), float(scale)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cos(self.omega_0 * x) * gaussian(x, self.scale)

    def init_linear_(self, linear: nn.Linear, *, is_first: bool) -> None:
        linear.reset_parameters()

    def extra_repr(self) -> str:
        return f"omega_0={self.omega_0:g}, scale={self.scale:g}"
