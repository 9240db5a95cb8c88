"""SIREN: a multilayer perceptron with sine activations (Sitzmann et al. 2020, Sec. 3)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sirenkit.activations.sine import Sine
from sirenkit.config import FieldConfig
from sirenkit.errors import ShapeError


class _SineLinear(torch.autograd.Function):
    """y = sin(omega_0 * (x W^T + b)) in one GEMM, saving cos(.) instead of the argument.

    Saves x and cos(omega_0 z) for the backward, the same memory as autograd's composite
    (which saves x and z), but never recomputes the cosine or allocates omega_0 * z. It is used for
    parameter gradients only; input derivatives (ops, derivative losses) take the composite path,
    which autograd can differentiate twice.
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor, omega_0: float) -> Tensor:  # type: ignore[override]
        z = torch.addmm(bias, x, weight.t(), beta=omega_0, alpha=omega_0)
        cos = torch.cos(z)
        y = torch.sin(z, out=z)
        ctx.save_for_backward(x, weight, cos)
        ctx.omega_0 = omega_0
        return y

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_y: Tensor):  # type: ignore[override]
        x, weight, cos = ctx.saved_tensors
        grad_z = torch.mul(grad_y, cos).mul_(ctx.omega_0)
        grad_x = grad_z @ weight if ctx.needs_input_grad[0] else None
        # For a thin input (coordinates, K <= 8) MKL's grad_z^T @ x runs at ~1 GFLOP/s;
        # x^T @ grad_z, transposed, is the same product and streams grad_z once.
        grad_w = (x.t() @ grad_z).t() if x.shape[1] <= 8 else grad_z.t() @ x
        return grad_x, grad_w, grad_z.sum(0), None


def sine_linear(x: Tensor, linear: nn.Linear, omega_0: float, *, input_derivatives: bool = False) -> Tensor:
    """sin(omega_0 * linear(x)) for 2-D x, on the fastest path the autograd mode allows.

    No grad: one GEMM and an in-place sine. Parameter gradients only: the fused `_SineLinear`.
    ``input_derivatives=True`` (derivatives w.r.t. the coordinates are wanted): composite ops,
    differentiable any number of times.
    """
    if not torch.is_grad_enabled():
        return torch.addmm(linear.bias, x, linear.weight.t(), beta=omega_0, alpha=omega_0).sin_()
    if input_derivatives:
        return torch.sin(torch.addmm(linear.bias, x, linear.weight.t(), beta=omega_0, alpha=omega_0))
    return _SineLinear.apply(x, linear.weight, linear.bias, omega_0)


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
        widths = [in_features] + [hidden_features] * (hidden_layers + 1) + [out_features]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.omegas = [float(first_omega_0)] + [float(hidden_omega_0)] * (len(self.layers) - 1)
        for i, layer in enumerate(self.layers):
            Sine(self.omegas[i]).init_linear_(layer, is_first=i == 0)

    def forward(self, coords: Tensor) -> Tensor:
        if coords.shape[-1] != self.in_features:
            raise ShapeError(
                f"coords has shape {tuple(coords.shape)}; expected (..., {self.in_features}) for a field with "
                f"in_features={self.in_features}. Use sk.grid(shape) to build coordinates."
            )
        x = coords.reshape(-1, self.in_features)
        input_derivatives = coords.requires_grad
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            if i == last and self.outermost_linear:
                x = torch.nn.functional.linear(x, layer.weight, layer.bias)
            else:
                x = sine_linear(x, layer, self.omegas[i], input_derivatives=input_derivatives)
        return x.reshape(*coords.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"first_omega_0={self.omegas[0]:g}, hidden_omega_0={self.omegas[-1]:g}"
