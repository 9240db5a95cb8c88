"""Differential operators of a field's outputs with respect to its input coordinates.

All are batched over points: every output point depends on its own coordinates only, so one
vector-Jacobian product with a vector of ones gives every point's derivative at once. With
``create_graph=True`` (the default) the result can itself be a loss (Poisson, SDF, PDEs).
"""

from __future__ import annotations

from typing import NamedTuple, Protocol, runtime_checkable

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
    # outputs that do not depend on coords (the gradient of an nn.Linear) have derivative zero, not an autograd error
    if not outputs.requires_grad:
        return torch.zeros_like(coords)
    (grad,) = torch.autograd.grad(outputs, coords, torch.ones_like(outputs), create_graph=create_graph,
                                  retain_graph=retain_graph, materialize_grads=True)
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


@runtime_checkable
class JetField(Protocol):
    """A field that propagates its own derivatives forward (Taylor mode), as `sirenkit.Siren` does.

    `jet` hands such a field the work; any other module falls back to `double_backprop_jet`.
    """

    def jet(self, coords: Tensor, *, laplacian: bool, hessian_diagonal: bool) -> Jet: ...


def jet(field: nn.Module, coords: Tensor, *, laplacian: bool = True, hessian_diagonal: bool = False) -> Jet:
    """Value, gradient and Laplacian (or each ∂²/∂x_k²) of a field, in one pass where the field allows it.

    A field with its own ``jet`` method (`JetField`; `Siren.jet` propagates the derivatives
    forward through its sine layers, Sec. 3.1) computes them itself, which avoids double
    backpropagation, whose cost grows with every derivative taken. Every other field falls back to
    `double_backprop_jet`. Either way the result is an ordinary graph, so it can be a loss.
    ``hessian_diagonal=True`` (for PDEs such as Helmholtz with a PML, or the wave equation, whose
    operators weigh the axes differently) also fills `Jet.hessian_diagonal` and implies the Laplacian.

    Shape:
        coords: (N, d); returns a `Jet` of (N, C), (N, d) or (N, C, d), (N, C), (N, C, d).
    """
    laplacian = laplacian or hessian_diagonal
    if isinstance(field, JetField):
        return field.jet(coords, laplacian=laplacian, hessian_diagonal=hessian_diagonal)
    return double_backprop_jet(field, coords, laplacian=laplacian, hessian_diagonal=hessian_diagonal)


def double_backprop_jet(field: nn.Module, coords: Tensor, *, laplacian: bool, hessian_diagonal: bool) -> Jet:
    """`jet` of any field by reverse mode: the Jacobian, then one more backward pass per second derivative."""
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


__all__ = ["Jet", "JetField", "divergence", "double_backprop_jet", "gradient", "hessian", "jacobian", "jet", "laplacian"]
