"""Differential operators of a field's outputs with respect to its input coordinates.

All are batched over points: every output point depends on its own coordinates only, so one
vector-Jacobian product with a vector of ones gives every point's derivative at once. With
``create_graph=True`` (the default) the result can itself be a loss (Poisson, SDF, PDEs).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from sirenkit.errors import ShapeError


def _check(outputs: Tensor, coords: Tensor, name: str) -> None:
    if not coords.requires_grad:
        raise ShapeError(
            f"{name}: coords does not require grad; call coords.requires_grad_() before computing "
            "outputs = field(coords)."
        )
    if outputs.shape[:-1] != coords.shape[:-1]:
        raise ShapeError(
            f"{name}: outputs has shape {tuple(outputs.shape)} and coords {tuple(coords.shape)}; "
            "they must share every dimension but the last (one output row per coordinate row)."
        )


def _vjp(outputs: Tensor, coords: Tensor, create_graph: bool, *, retain_graph: bool | None = None) -> Tensor:
    (grad,) = torch.autograd.grad(outputs, coords, torch.ones_like(outputs), create_graph=create_graph,
                                  retain_graph=retain_graph)
    return grad


def gradient(outputs: Tensor, coords: Tensor, *, create_graph: bool = True) -> Tensor:
    """Gradient of a scalar field with respect to coords.

    Shape:
        outputs: (..., 1); coords: (..., d) with requires_grad=True, used to compute outputs.
        returns: (..., d)
    """
    _check(outputs, coords, "gradient")
    if outputs.shape[-1] != 1:
        raise ShapeError(
            f"gradient: outputs has {outputs.shape[-1]} channels; expected 1. "
            "Use sirenkit.ops.jacobian for vector-valued outputs, or select a channel with outputs[..., :1]."
        )
    return _vjp(outputs, coords, create_graph)


def jacobian(outputs: Tensor, coords: Tensor, *, create_graph: bool = True) -> Tensor:
    """Jacobian d outputs_i / d coords_j, one backward pass per output channel.

    Shape:
        outputs: (..., m); coords: (..., d).
        returns: (..., m, d)
    """
    _check(outputs, coords, "jacobian")
    m = outputs.shape[-1]
    rows = [_vjp(outputs[..., i], coords, create_graph, retain_graph=create_graph or i < m - 1) for i in range(m)]
    return torch.stack(rows, dim=-2)


def divergence(vectors: Tensor, coords: Tensor, *, create_graph: bool = True) -> Tensor:
    """Divergence sum_i d vectors_i / d coords_i of a vector field.

    Shape:
        vectors: (..., d); coords: (..., d).
        returns: (..., 1)
    """
    _check(vectors, coords, "divergence")
    if vectors.shape[-1] != coords.shape[-1]:
        raise ShapeError(
            f"divergence: vectors has {vectors.shape[-1]} components but coords has {coords.shape[-1]}; "
            "the divergence needs one component per coordinate."
        )
    div = torch.zeros_like(vectors[..., :1])
    d = coords.shape[-1]
    for i in range(d):
        div = div + _vjp(vectors[..., i], coords, create_graph, retain_graph=create_graph or i < d - 1)[..., i : i + 1]
    return div


def laplacian(outputs: Tensor, coords: Tensor, *, create_graph: bool = True) -> Tensor:
    """Sum of second derivatives of a scalar field w.r.t. coords (divergence of the gradient).

    Used by the Poisson and Helmholtz tasks; keeps the graph so the result can be a loss.

    Shape:
        outputs: (..., 1); coords: (..., d).
        returns: (..., 1)
    """
    return divergence(gradient(outputs, coords, create_graph=True), coords, create_graph=create_graph)


def hessian(outputs: Tensor, coords: Tensor, *, create_graph: bool = True) -> Tensor:
    """Matrix of second derivatives of a scalar field.

    Shape:
        outputs: (..., 1); coords: (..., d).
        returns: (..., d, d)
    """
    return jacobian(gradient(outputs, coords, create_graph=True), coords, create_graph=create_graph)




class Jet(NamedTuple):
    """A field's value with its gradient and, when asked for, its second derivatives at each point."""

    value: Tensor
    """(N, C)"""
    gradient: Tensor
    """(N, d) for a scalar field (C = 1); (N, C, d), the Jacobian, for C channels"""
    laplacian: Tensor | None
    """(N, C), one Laplacian per channel, or None when not asked for"""
    hessian_diagonal: Tensor | None = None
    """(N, C, d): ∂²u/∂x_k² per channel and axis (PDEs weigh the axes differently), or None when not asked for"""


def jet(field: nn.Module, coords: Tensor, *, laplacian: bool = True, hessian_diagonal: bool = False) -> Jet:
    """Value, gradient and Laplacian (or each ∂²/∂x_k²) of a field in one forward pass (Taylor mode).

    For a `Siren` the derivatives are propagated forward through the layers with the value
    (the derivative of a sine layer is a cosine layer, Sec. 3.1): each layer maps
    (h, ∂h/∂x_k, ∂²h/∂x_k²) to (sin z, cos z · ∂z_k, cos z · ∂²z_k - sin z · ∂z_k²) with
    z = ω0(W h + b); for the Laplacian alone the last stream is summed over k, so it costs one
    matrix product per layer whatever d is. That avoids double backpropagation, whose cost grows
    with every derivative taken; the result is an ordinary graph, so it can be a loss.
    ``hessian_diagonal=True`` (for PDEs such as Helmholtz with a PML, or the wave equation, whose
    operators weigh the axes differently) also fills `Jet.hessian_diagonal` and implies the Laplacian.
    With ``laplacian=False`` (value and gradient only), a scalar output, grad enabled and coords
    not requiring grad, a Siren takes `SirenGradientFunction`, whose hand-written backward makes
    a gradient-supervised step cost about twice a plain one; it can be differentiated once
    (enough for a loss). Other fields fall back to double backpropagation.

    Shape:
        coords: (N, d); returns a `Jet` of (N, C), (N, d) or (N, C, d), (N, C), (N, C, d).
    """
    from sirenkit.fields.fused import SirenGradientFunction
    from sirenkit.fields.siren import Siren

    laplacian = laplacian or hessian_diagonal
    is_siren = isinstance(field, Siren) and field.outermost_linear
    fused = torch.is_grad_enabled() and not coords.requires_grad and not torch.compiler.is_compiling()
    if is_siren and field.out_features == 1 and not laplacian and fused:
        # training on (value, gradient): the hand-written second-order backward, once differentiable
        params = [p for layer in field.layers for p in (layer.weight, layer.bias)]
        value, grad = SirenGradientFunction.apply(coords, tuple(field.omegas), *params)
        return Jet(value, grad, None)
    if not is_siren:
        return _double_backprop_jet(field, coords, laplacian=laplacian, hessian_diagonal=hessian_diagonal)
    n, d = coords.shape
    layers, omegas = field.layers, field.omegas
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


def _double_backprop_jet(field: nn.Module, coords: Tensor, *, laplacian: bool, hessian_diagonal: bool) -> Jet:
    c = coords if coords.requires_grad else coords.detach().requires_grad_()
    with torch.enable_grad():
        value = field(c)
        jac = jacobian(value, c)  # (N, C, d)
        grad = jac[:, 0] if value.shape[-1] == 1 else jac
        if hessian_diagonal:
            diagonal = torch.stack(
                [torch.stack([gradient(jac[:, ch, k : k + 1], c)[:, k] for k in range(c.shape[1])], -1)
                 for ch in range(value.shape[-1])], 1)
            return Jet(value, grad, diagonal.sum(-1), diagonal)
        if not laplacian:
            return Jet(value, grad, None)
        return Jet(value, grad, torch.stack([divergence(jac[:, ch], c)[:, 0] for ch in range(value.shape[-1])], -1))


__all__ = ["Jet", "divergence", "gradient", "hessian", "jacobian", "jet", "laplacian"]
