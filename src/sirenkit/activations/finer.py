"""FINER's variable-periodic activation (Liu et al., CVPR 2024)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sirenkit.activations.base import Activation
from sirenkit.activations.sine import sine_bound


class Finer(Activation):
    """sin(omega_0 * (|x| + 1) * x): a sine whose frequency grows with |x|, widening the spectrum.

    Init: SIREN's weight init (paper Sec. 3.3; liuzhen0212/FINER models.py FinerLayer), biases
    PyTorch's default U(-1/sqrt(n), 1/sqrt(n)); the reference's optional wider first-layer bias
    (``--first_bias_scale``) is not used by its image runs' defaults and is left out.

    The reference detaches the factor |x| + 1 from autograd by default (``scale_req_grad=False``);
    here it is not detached, so gradients and `sirenkit.ops` derivatives are those of the function
    the field computes. Its reference lr for images is 5e-4 (run_finer.sh).
    """

    periodic = True

    def __init__(self, omega_0: float = 30.0) -> None:
        super().__init__()
        self.omega_0 = float(omega_0)

    def forward(self, x: Tensor) -> Tensor:
        return torch.sin(self.omega_0 * (torch.abs(x) + 1.0) * x)

    def init_linear_(self, linear: nn.Linear, *, is_first: bool) -> None:
        bound = sine_bound(linear.in_features, self.omega_0, is_first=is_first)
        with torch.no_grad():
            linear.weight.uniform_(-bound, bound)

    def extra_repr(self) -> str:
        return f"omega_0={self.omega_0:g}"
