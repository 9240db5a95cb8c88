"""SIREN: a multilayer perceptron with sine activations (Sitzmann et al. 2020, Sec. 3)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sirenkit.activations.sine import Sine
from sirenkit.config import FieldConfig
from sirenkit.fields.base import check_coords, linear_layers, scale_weights_
from sirenkit.fields.fused import SirenFunction, SirenGradientFunction, Workspace
from sirenkit.fields.geometric import sphere_init_
from sirenkit.ops import Jet, double_backprop_jet


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
        weight_scale: multiply every weight but the last layer's by this after the init
            (`FieldConfig.weight_scale`: fewer steps, more noise between the samples).
        init: 'reference' (above), or 'geometric': start as |x| - init_radius, the SDF of a
            sphere (`sirenkit.fields.geometric`; 2-D or 3-D input, one output).
        init_radius: the sphere's radius for ``init='geometric'``.

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
        weight_scale: float = 1.0,
        init: str = "reference",
        init_radius: float = 0.5,
    ) -> None:
        super().__init__()
        self.config = FieldConfig("sine", hidden_features, hidden_layers, first_omega_0, hidden_omega_0, in_features, out_features,
                                  outermost_linear, weight_scale=weight_scale, init=init, init_radius=init_radius)
        self.in_features, self.out_features = in_features, out_features
        self.outermost_linear = outermost_linear
        self.layers = linear_layers(in_features, hidden_features, hidden_layers, out_features)
        self.omegas = [float(first_omega_0)] + [float(hidden_omega_0)] * (len(self.layers) - 1)
        for i, layer in enumerate(self.layers):
            Sine(self.omegas[i]).init_linear_(layer, is_first=i == 0)
        scale_weights_(self.layers, weight_scale)
        if init == "geometric":
            sphere_init_(self.layers, self.omegas, init_radius)
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

    def jet(self, coords: Tensor, *, laplacian: bool = True, hessian_diagonal: bool = False) -> Jet:
        """Value, gradient and Laplacian (or each ∂²/∂x_k²) in one forward pass (Taylor mode); what `ops.jet` calls.

        The derivatives are propagated forward through the layers with the value (the derivative
        of a sine layer is a cosine layer, Sec. 3.1): each layer maps (h, ∂h/∂x_k, ∂²h/∂x_k²) to
        (sin z, cos z · ∂z_k, cos z · ∂²z_k - sin z · ∂z_k²) with z = ω0(W h + b); for the Laplacian
        alone the last stream is summed over k, so it costs one matrix product per layer whatever d is.
        With ``laplacian=False`` (value and gradient only), a scalar output, grad enabled and coords
        not requiring grad, it takes `SirenGradientFunction`, whose hand-written backward makes a
        gradient-supervised step cost about twice a plain one; it can be differentiated once (enough
        for a loss). A Siren that ends with a sine layer takes `ops.double_backprop_jet`.

        Shape:
            coords: (N, d); returns a `Jet` of (N, C), (N, d) or (N, C, d), (N, C), (N, C, d).
        """
        laplacian = laplacian or hessian_diagonal
        if not self.outermost_linear:
            return double_backprop_jet(self, coords, laplacian=laplacian, hessian_diagonal=hessian_diagonal)
        fused = torch.is_grad_enabled() and not coords.requires_grad and not torch.compiler.is_compiling()
        if self.out_features == 1 and not laplacian and fused:
            # training on (value, gradient): the hand-written second-order backward, once differentiable
            params = [p for layer in self.layers for p in (layer.weight, layer.bias)]
            value, grad = SirenGradientFunction.apply(coords, tuple(self.omegas), *params)
            return Jet(value, grad, None)
        n, d = coords.shape
        layers, omegas = self.layers, self.omegas
        first = layers[0]
        z = torch.addmm(first.bias, coords, first.weight.t(), beta=omegas[0], alpha=omegas[0])
        dz = (omegas[0] * first.weight.t()).unsqueeze(1)  # (d, 1, H): dz/dx_k, the same at every point
        d2z = None  # (d or 1, N, H): ∂²z/∂x_k² per axis, or summed; the first layer's argument is linear in x
        for i in range(1, len(layers)):
            sin, cos = torch.sin(z), torch.cos(z)
            h, dh = sin, cos * dz  # (N, H), (d, N, H)
            d2h = None
            if laplacian:
                d2h = -sin * (dz * dz if hessian_diagonal else (dz * dz).sum(0, keepdim=True))
                if d2z is not None:
                    d2h = d2h + cos * d2z
            layer, omega = layers[i], omegas[i] if i < len(layers) - 1 else 1.0
            dz = (dh.reshape(d * n, -1) @ layer.weight.t()).reshape(d, n, -1) * omega
            z = torch.addmm(layer.bias, h, layer.weight.t(), beta=omega, alpha=omega)
            if d2h is not None:
                d2z = (d2h.reshape(-1, d2h.shape[-1]) @ layer.weight.t()).reshape(-1, n, z.shape[1]) * omega
        scalar = z.shape[1] == 1
        grad = dz[..., 0].t() if scalar else dz.permute(1, 2, 0)
        if d2z is None:
            return Jet(z, grad, None)
        if hessian_diagonal:
            diagonal = d2z.permute(1, 2, 0)
            return Jet(z, grad, diagonal.sum(-1), diagonal)
        return Jet(z, grad, d2z[0])

    def extra_repr(self) -> str:
        return f"first_omega_0={self.omegas[0]:g}, hidden_omega_0={self.omegas[-1]:g}"
