"""SIREN: a multilayer perceptron with sine activations (Sitzmann et al. 2020, Sec. 3)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sirenkit.activations.sine import Sine
from sirenkit.config import FieldConfig
from sirenkit.fields.base import check_coords, linear_layers
from sirenkit.fields.fused import SirenFunction, Workspace


def sine_linear(x: Tensor, linear: nn.Linear, omega_0: float) -> Tensor:
    """sin(omega_0 * linear(x)) for 2-D x in one GEMM; differentiable any number of times."""
    z = torch.addmm(linear.bias, x, linear.weight.t(), beta=omega_0, alpha=omega_0)
    return z.sin_() if not torch.is_grad_enabled() else torch.sin(z)


class Siren(nn.Module):
    """Sine-activated MLP: coords (..., in_features) -> values (..., out_features).

    ``hidden_layers`` counts the hidden-to-hidden layers: ``hidden_layers=3`` means 5 linear
    layers in all (in -> hidden, 3 x hidden -> hidden, hidden -> out), the paper's network.

    Init (reference code, explore_siren.ipynb): first layer W ~ U(-1/n, 1/n), later layers
    W ~ U(-sqrt(6/n)/omega_0, sqrt(6/n)/omega_0), biases PyTorch's default U(-1/sqrt(n), 1/sqrt(n)).
    The paper misprints the first-layer bound as sqrt(6/n)/omega_0; the code is right
    (vsitzmann/siren#4). Each layer computes sin(omega_0 * (W x + b)), omega_0 kept as a factor.

    Args:
        in_features: coordinate dimension (2 for images, 1 audio, 3 video/SDF).
        hidden_features: width of the hidden layers.
        hidden_layers: number of hidden-to-hidden layers.
        out_features: value dimension.
        first_omega_0: frequency scale of the first layer; sets the finest detail it can fit.
        hidden_omega_0: frequency scale of the later layers.
        outermost_linear: end with a plain linear layer (True) or one more sine layer.

    Example:
        >>> field = Siren(2, 256, 3, 1)
        >>> field(torch.zeros(10, 2)).shape
        torch.Size([10, 1])
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: int,
        hidden_layers: int,
        out_features: int,
        *,
        first_omega_0: float = 30.0,
        hidden_omega_0: float = 30.0,
        outermost_linear: bool = True,
    ) -> None:
        super().__init__()
        self.config = FieldConfig("sine", hidden_features, hidden_layers, first_omega_0, hidden_omega_0, in_features, out_features,
                                  outermost_linear)
        self.in_features, self.out_features = in_features, out_features
        self.outermost_linear = outermost_linear
        self.layers = linear_layers(in_features, hidden_features, hidden_layers, out_features)
        self.omegas = [float(first_omega_0)] + [float(hidden_omega_0)] * (len(self.layers) - 1)
        for i, layer in enumerate(self.layers):
            Sine(self.omegas[i]).init_linear_(layer, is_first=i == 0)
        self._workspace = Workspace()
        # 'bf16': training steps run the hidden layers in bfloat16 (fit's precision option sets it);
        # evaluation, rendering and input derivatives always use the parameters' dtype.
        self.precision = "fp32"

    def forward(self, coords: Tensor) -> Tensor:
        check_coords(coords, self.in_features)
        x = coords.reshape(-1, self.in_features)
        # The fused node serves the module's own parameters only; weights passed in through
        # torch.func.functional_call (a hypernetwork's output, under vmap) take the composite path,
        # which vmap and higher-order gradients support.
        # Under torch.compile the composite path is traced and fused by the compiler instead.
        own_parameters = isinstance(self.layers[0].weight, nn.Parameter)
        if torch.is_grad_enabled() and not coords.requires_grad and own_parameters and not torch.compiler.is_compiling():
            params = [p for layer in self.layers for p in (layer.weight, layer.bias)]
            hidden_dtype = torch.bfloat16 if self.precision == "bf16" else x.dtype
            x = SirenFunction.apply(x, tuple(self.omegas), self.outermost_linear, self._workspace, hidden_dtype, *params)
        else:  # inference, or derivatives w.r.t. the coordinates are wanted (ops, derivative losses)
            last = len(self.layers) - 1
            for i, layer in enumerate(self.layers):
                if i == last and self.outermost_linear:
                    x = torch.nn.functional.linear(x, layer.weight, layer.bias)
                else:
                    x = sine_linear(x, layer, self.omegas[i])
        return x.reshape(*coords.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"first_omega_0={self.omegas[0]:g}, hidden_omega_0={self.omegas[-1]:g}"
