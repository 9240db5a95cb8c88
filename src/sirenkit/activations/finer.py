"""FINER's variable-periodic activation (Liu et al., CVPR 2024)."""

from __future__ import annotations

import torch
from torch import Tensor

from sirenkit.activations.sine import Sine


class Finer(Sine):
    """sin(omega_0 * (|x| + 1) * x): a sine whose frequency grows with |x|, widening the spectrum.

    Init: SIREN's weight init, inherited from `Sine` (paper Sec. 3.3; liuzhen0212/FINER models.py FinerLayer), biases
    PyTorch's default U(-1/sqrt(n), 1/sqrt(n)); the reference's optional wider first-layer bias
    (``--first_bias_scale``) is not used by its image runs' defaults and is left out.

    The reference detaches the factor |x| + 1 from autograd by default (``scale_req_grad=False``);
    here it is not detached, so gradients and `sirenkit.ops` derivatives are those of the function
    the field computes. Its reference lr for images is 5e-4 (run_finer.sh).
    """

    def forward(self, x: Tensor) -> Tensor:
        return torch.sin(self.omega_0 * (torch.abs(x) + 1.0) * x)
