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

    def get(self, name: str, shape: tuple[int, ...], like: Tensor, dtype: torch.dtype) -> Tensor:
        buf = self.buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype or buf.device != like.device:
            buf = self.buffers[name] = torch.empty(shape, dtype=dtype, device=like.device)
        return buf


def _fresh(name: str, shape: tuple[int, ...], like: Tensor, dtype: torch.dtype) -> Tensor:
    return torch.empty(shape, dtype=dtype, device=like.device)


class SirenFunction(torch.autograd.Function):
    """outputs = Siren(x) with parameters (W0, b0, W1, b1, ...); gradients for the parameters only.

    With ``hidden_dtype=torch.bfloat16`` the hidden-to-hidden layers run their GEMMs, sines and
    saved activations in bfloat16 (AMX / tensor cores); the first layer, whose arguments reach
    omega_0 * 50, the output layer, the parameters and their gradients stay in float32.
    """

    @staticmethod
    def forward(ctx, x: Tensor, omegas: tuple[float, ...], outermost_linear: bool, workspace: Workspace | None,  # type: ignore[override]
                hidden_dtype: torch.dtype, *params: Tensor) -> Tensor:
        use_workspace = workspace is not None and not workspace.busy
        buffer = workspace.get if use_workspace else _fresh
        n_layers = len(params) // 2
        n_sine = n_layers - 1 if outermost_linear else n_layers
        dtypes = [x.dtype] + [hidden_dtype] * (n_layers - 1)  # the dtype each layer computes in
        inputs, cosines = [x], []
        h = x
        for i in range(n_sine):
            weight, bias, omega, dtype = params[2 * i], params[2 * i + 1], omegas[i], dtypes[i]
            if dtype != weight.dtype:
                weight, bias = weight.to(dtype), bias.to(dtype)
            z = buffer(f"z{i}", (len(h), weight.shape[0]), h, dtype)
            torch.addmm(bias, h, weight.t(), beta=omega, alpha=omega, out=z)
            cos = torch.cos(z, out=buffer(f"c{i}", z.shape, z, dtype))
            next_dtype = dtypes[i + 1] if i + 1 < n_layers else dtype
            h = z.sin_() if next_dtype == dtype else torch.sin(z, out=buffer(f"h{i}", z.shape, z, next_dtype))
            inputs.append(h)
            cosines.append(cos)
        if outermost_linear:
            if h.dtype != x.dtype:  # the output layer reads a float32 copy of the last activation
                h = inputs[-1] = h.to(x.dtype)
            out = torch.addmm(params[-1], h, params[-2].t())
        else:
            out = h.to(x.dtype) if h.dtype != x.dtype else (h.clone() if use_workspace else h)
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
            grads[2 * i] = grad_w.to(weight.dtype).mul_(omega)
            grads[2 * i + 1] = grad_z.sum(0, dtype=weight.dtype).mul_(omega)
            if i > 0:
                reuse = grad_h.shape == (len(h), weight.shape[1]) and grad_h.dtype == grad_z.dtype and grad_h is not grad_out
                grad_h = torch.mm(grad_z, (weight * omega).to(grad_z.dtype), out=grad_h if reuse else None)
        if ctx.workspace is not None:
            ctx.workspace.busy = False
        ctx.inputs = ctx.cosines = None
        return (None, None, None, None, None, *grads)


class SirenGradientFunction(torch.autograd.Function):
    """(value, gradient w.r.t. x) of a scalar Siren, with a hand-written second-order backward.

    Why: a loss on the gradient (Poisson, SDF normals, Eikonal) through autograd backpropagates
    twice through a graph of many small ops. Here the input gradient is one reverse sweep
    (u_{i-1} = omega_i (u_i * cos z_i) W_i) and its parameter gradients one adjoint sweep up that
    chain and one down the forward chain: six GEMMs per hidden layer against three for a plain
    step, the least reverse mode needs. Differentiable once (a training loss), like SirenFunction.
    """

    @staticmethod
    def forward(ctx, x: Tensor, omegas: tuple[float, ...], *params: Tensor) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        n = len(params) // 2 - 1  # sine layers; the last layer is linear with one output
        acts, cosines = [x], []
        a = x
        for i in range(n):
            z = torch.addmm(params[2 * i + 1], a, params[2 * i].t(), beta=omegas[i], alpha=omegas[i])
            cosines.append(torch.cos(z))
            a = z.sin_()
            acts.append(a)
        w_out = params[-2]
        value = torch.addmm(params[-1], a, w_out.t())
        us, vs = [w_out.expand_as(a)], []  # u_i = dy/da_i, v_i = dy/dz_i
        for i in reversed(range(n)):
            v = cosines[i] * us[0]
            vs.insert(0, v)
            us.insert(0, torch.mm(v, params[2 * i] * omegas[i]))
        ctx.acts, ctx.cosines, ctx.us, ctx.vs, ctx.omegas = acts, cosines, us, vs, omegas
        ctx.save_for_backward(*params)
        return value, us[0]

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_value: Tensor | None, grad_gradient: Tensor | None):  # type: ignore[override]
        params = ctx.saved_tensors
        acts, cosines, us, vs, omegas = ctx.acts, ctx.cosines, ctx.us, ctx.vs, ctx.omegas
        n = len(cosines)
        x = acts[0]
        grads = [torch.zeros_like(p) for p in params]
        w_out = params[-2]
        u_bar = grad_gradient if grad_gradient is not None else torch.zeros_like(x)
        c_bars = []
        for i in range(n):  # adjoint of the reverse sweep, from the input gradient up to the output
            weight, omega = params[2 * i], omegas[i]
            v_bar = torch.mm(u_bar, weight.t() * omega) if u_bar.shape[1] > 8 else omega * _thin_mm(u_bar, weight)
            grads[2 * i] += omega * _weight_grad(vs[i], u_bar)
            c_bars.append(v_bar * us[i + 1])
            u_bar = v_bar.mul_(cosines[i])
        grads[-2] += u_bar.sum(0, keepdim=True)  # u_n = w_out at every point
        a_bar = None
        if grad_value is not None:
            grads[-2] += grad_value.t() @ acts[-1]
            grads[-1] += grad_value.sum(0)
            a_bar = grad_value * w_out[0]
        for i in reversed(range(n)):  # adjoint of the forward sweep
            weight, omega = params[2 * i], omegas[i]
            z_bar = torch.mul(acts[i + 1], c_bars[i]).neg_()  # d cos z / dz = -sin z
            if a_bar is not None:
                z_bar.addcmul_(a_bar, cosines[i])
            grads[2 * i] += omega * _weight_grad(z_bar, acts[i])
            grads[2 * i + 1] += omega * z_bar.sum(0)
            if i > 0:
                a_bar = torch.mm(z_bar, weight * omega)
        ctx.acts = ctx.cosines = ctx.us = ctx.vs = None
        return (None, None, *grads)


def _weight_grad(grad_z: Tensor, h: Tensor) -> Tensor:
    """grad_z^T @ h; for thin h (coordinates) as (h^T @ grad_z)^T, which MKL runs far faster."""
    return (h.t() @ grad_z).t() if h.shape[1] <= 8 else grad_z.t() @ h


def _thin_mm(u: Tensor, weight: Tensor) -> Tensor:
    """u @ weight^T for a thin u (N, d) with d <= 8: a sum of d broadcast products."""
    out = u[:, :1] * weight[:, 0]
    for k in range(1, u.shape[1]):
        out.addcmul_(u[:, k : k + 1], weight[:, k])
    return out
