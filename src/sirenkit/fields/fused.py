"""A whole SIREN's forward and backward as one autograd node, for parameter gradients.

Why: in eager PyTorch a SIREN training step is memory-bound outside its GEMMs. Every layer
allocates fresh 64 MiB activations (page faults and write-allocate traffic), multiplies by
omega_0 in a separate pass, and recomputes cos(z) in the backward. Here each layer does one
GEMM (omega_0 folded into alpha/beta), writes cos(z) and sin(z) once, and the backward reuses
the saved cosine buffer in place. Buffers live in a `Workspace` reused across steps, so a
steady-state step allocates no large tensors.

Only parameter gradients flow through this node (it is differentiable once); when derivatives
with respect to the coordinates are wanted, `Siren` uses composite ops that autograd can
differentiate any number of times.
"""

from __future__ import annotations

import torch
from torch import Tensor


class Workspace:
    """Activation buffers of one field, reused step after step.

    One training forward may hold it at a time (until its backward ran); a second forward in
    the meantime (two batches in one loss) gets fresh buffers, so results never depend on it.
    """

    def __init__(self) -> None:
        self.buffers: dict[str, Tensor] = {}
        self.busy = False

    def get(self, name: str, shape: tuple[int, ...], like: Tensor) -> Tensor:
        buf = self.buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != like.dtype or buf.device != like.device:
            buf = self.buffers[name] = torch.empty(shape, dtype=like.dtype, device=like.device)
        return buf


def _fresh(name: str, shape: tuple[int, ...], like: Tensor) -> Tensor:
    return torch.empty(shape, dtype=like.dtype, device=like.device)


class SirenFunction(torch.autograd.Function):
    """outputs = Siren(x) with parameters (W0, b0, W1, b1, ...); gradients for the parameters only."""

    @staticmethod
    def forward(ctx, x: Tensor, omegas: tuple[float, ...], outermost_linear: bool, workspace: Workspace | None,  # type: ignore[override]
                *params: Tensor) -> Tensor:
        use_workspace = workspace is not None and not workspace.busy
        buffer = workspace.get if use_workspace else _fresh
        n_layers = len(params) // 2
        n_sine = n_layers - 1 if outermost_linear else n_layers
        inputs, cosines = [x], []
        h = x
        for i in range(n_sine):
            weight, bias, omega = params[2 * i], params[2 * i + 1], omegas[i]
            z = buffer(f"z{i}", (len(h), weight.shape[0]), h)
            torch.addmm(bias, h, weight.t(), beta=omega, alpha=omega, out=z)
            cos = torch.cos(z, out=buffer(f"c{i}", z.shape, z))
            h = z.sin_()
            inputs.append(h)
            cosines.append(cos)
        if outermost_linear:
            out = torch.addmm(params[-1], h, params[-2].t())
        else:
            out = h.clone() if use_workspace else h
        ctx.inputs, ctx.cosines, ctx.omegas, ctx.n_sine = inputs, cosines, omegas, n_sine
        ctx.outermost_linear = outermost_linear
        ctx.workspace = workspace if use_workspace else None
        ctx.save_for_backward(*params)
        if use_workspace:
            workspace.busy = True
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out: Tensor):  # type: ignore[override]
        params = ctx.saved_tensors
        inputs, cosines, omegas = ctx.inputs, ctx.cosines, ctx.omegas
        grads: list[Tensor | None] = [None] * len(params)
        grad_h = grad_out.contiguous()
        if ctx.outermost_linear:
            weight = params[-2]
            grads[-2] = grad_h.t() @ inputs[-1]
            grads[-1] = grad_h.sum(0)
            # A K = out_features product: for one output channel an outer product, done as a broadcast multiply.
            grad_h = grad_h * weight[0] if weight.shape[0] == 1 else grad_h @ weight
        for i in reversed(range(ctx.n_sine)):
            weight, omega = params[2 * i], omegas[i]
            grad_z = cosines[i].mul_(grad_h)  # dL/dz / omega_0, in the cosine's buffer
            h = inputs[i]
            # For thin inputs (coordinates, K <= 8) MKL's grad_z^T @ h runs at ~1 GFLOP/s; h^T @ grad_z is fast.
            grad_w = (h.t() @ grad_z).t() if h.shape[1] <= 8 else grad_z.t() @ h
            grads[2 * i] = grad_w.mul_(omega)
            grads[2 * i + 1] = grad_z.sum(0).mul_(omega)
            if i > 0:
                grad_h = torch.mm(grad_z, weight * omega, out=grad_h if grad_h.shape == (len(h), weight.shape[1])
                                  and grad_h is not grad_out and grad_h.is_contiguous() else None)
        if ctx.workspace is not None:
            ctx.workspace.busy = False
        ctx.inputs = ctx.cosines = None
        return (None, None, None, None, *grads)
