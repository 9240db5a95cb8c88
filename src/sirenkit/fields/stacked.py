"""K independent SIRENs evaluated as one: fit many small signals in one batched matmul per layer.

Fitting a collection of small images one by one spends most of the time in per-step overhead
(tiny GEMMs, Python, the optimizer loop). Stacking the K networks' weights along a leading
dimension turns every layer into one ``torch.baddbmm`` over all members. Training one is a task
like any other (`sirenkit.tasks.image_set.ImageSetTask` on `sirenkit.fit`).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sirenkit.errors import ShapeError
from sirenkit.fields.siren import Siren


class StackedSiren(nn.Module):
    """K independent SIRENs: coords (K, N, in) or shared (N, in) -> values (K, N, out).

    Member k starts with exactly the weights of ``Siren(...)`` built after
    ``torch.manual_seed(seed + k)``, and ``member(k)`` returns it as an ordinary Siren. The members
    share no parameters, so a loss summed over members trains each as if it were alone (Adam is
    elementwise).

    Example:
        >>> stack = StackedSiren(4, 2, 32, 1, 1)
        >>> stack(torch.zeros(10, 2)).shape
        torch.Size([4, 10, 1])
    """

    def __init__(
        self,
        k: int,
        in_features: int,
        hidden_features: int,
        hidden_layers: int,
        out_features: int,
        *,
        first_omega_0: float = 30.0,
        hidden_omega_0: float = 30.0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if k < 1:
            raise ShapeError(f"k={k} members requested; a StackedSiren needs k >= 1.")
        self.k, self.in_features, self.out_features = k, in_features, out_features
        self.shape_args = (in_features, hidden_features, hidden_layers, out_features)
        self.omegas = [float(first_omega_0)] + [float(hidden_omega_0)] * (hidden_layers + 1)
        members = []
        for index in range(k):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed + index)
                members.append(Siren(*self.shape_args, first_omega_0=first_omega_0, hidden_omega_0=hidden_omega_0))
        # weights (K, in, out) so that x @ W is one baddbmm; biases (K, 1, out) broadcast over points
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([m.layers[i].weight.detach().t() for m in members]).contiguous())
            for i in range(len(self.omegas))
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([m.layers[i].bias.detach()[None] for m in members]).contiguous())
            for i in range(len(self.omegas))
        )

    def forward(self, coords: Tensor) -> Tensor:
        if coords.ndim == 2 and coords.shape[-1] == self.in_features:
            coords = coords.expand(self.k, *coords.shape)
        if coords.ndim != 3 or coords.shape[0] != self.k or coords.shape[-1] != self.in_features:
            raise ShapeError(
                f"coords has shape {tuple(coords.shape)}; a StackedSiren of {self.k} members expects "
                f"({self.k}, N, {self.in_features}) or shared (N, {self.in_features}) coordinates."
            )
        params = [p for pair in zip(self.weights, self.biases) for p in pair]
        if torch.is_grad_enabled() and not coords.requires_grad:
            return StackedSirenFunction.apply(coords, tuple(self.omegas), *params)
        x, last = coords, len(self.weights) - 1
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            if i == last:
                x = torch.baddbmm(bias, x, weight)
            else:
                x = torch.sin(torch.baddbmm(bias, x, weight, beta=self.omegas[i], alpha=self.omegas[i]))
        return x

    def member(self, k: int) -> Siren:
        """Member k as an ordinary Siren with its current weights (a copy)."""
        if not 0 <= k < self.k:
            raise ShapeError(f"member {k} does not exist; a StackedSiren of {self.k} members has 0..{self.k - 1}.")
        siren = Siren(*self.shape_args, first_omega_0=self.omegas[0], hidden_omega_0=self.omegas[-1])
        with torch.no_grad():
            for layer, weight, bias in zip(siren.layers, self.weights, self.biases):
                layer.weight.copy_(weight[k].t())
                layer.bias.copy_(bias[k, 0])
        return siren.to(self.weights[0].device)

    def extra_repr(self) -> str:
        return f"k={self.k}, first_omega_0={self.omegas[0]:g}, hidden_omega_0={self.omegas[-1]:g}"


class StackedSirenFunction(torch.autograd.Function):
    """The stack's forward and parameter backward as one node, like `fields.fused.SirenFunction`.

    Why: each layer writes sin(z) and cos(z) once and the backward reuses the cosine in place,
    instead of autograd's separate scale, sine and recomputed cosine passes over (K, N, hidden).
    """

    @staticmethod
    def forward(ctx, x: Tensor, omegas: tuple[float, ...], *params: Tensor) -> Tensor:  # type: ignore[override]
        inputs, cosines, h = [x], [], x
        for i in range(len(params) // 2 - 1):
            z = torch.baddbmm(params[2 * i + 1], h, params[2 * i], beta=omegas[i], alpha=omegas[i])
            cosines.append(torch.cos(z))
            h = z.sin_()
            inputs.append(h)
        ctx.inputs, ctx.cosines, ctx.omegas = inputs, cosines, omegas
        ctx.save_for_backward(*params)
        return torch.baddbmm(params[-1], h, params[-2])

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out: Tensor):  # type: ignore[override]
        params, inputs, cosines, omegas = ctx.saved_tensors, ctx.inputs, ctx.cosines, ctx.omegas
        grads: list[Tensor] = [None] * len(params)  # type: ignore[list-item]
        grad_h = grad_out.contiguous()
        grads[-2] = torch.bmm(inputs[-1].transpose(1, 2), grad_h)
        grads[-1] = grad_h.sum(1, keepdim=True)
        weight = params[-2]
        grad_h = grad_h * weight.transpose(1, 2) if weight.shape[2] == 1 else torch.bmm(grad_h, weight.transpose(1, 2))
        for i in reversed(range(len(cosines))):
            grad_z = cosines[i].mul_(grad_h)  # dL/dz / omega_0
            grads[2 * i] = torch.bmm(inputs[i].transpose(1, 2), grad_z).mul_(omegas[i])
            grads[2 * i + 1] = grad_z.sum(1, keepdim=True).mul_(omegas[i])
            if i > 0:
                grad_h = torch.bmm(grad_z, params[2 * i].transpose(1, 2) * omegas[i])
        ctx.inputs = ctx.cosines = None
        return (None, None, *grads)
