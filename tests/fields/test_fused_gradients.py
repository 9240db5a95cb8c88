"""The hand-written backward passes against plain autograd: parameter gradients of one loss, float64.

Comparing parameters after Adam steps hides gradient bugs (Adam divides each gradient by its own
running magnitude, so a gradient off by a constant factor gives the same first steps). Here the
gradients themselves are compared, in float64, to 1e-10 relative: the fused nodes and autograd do
the same arithmetic in a different order, so anything larger is a bug.
"""

from __future__ import annotations

import pytest
import torch

import sirenkit as sk
from sirenkit.fields import StackedSiren

RTOL, ATOL = 1e-10, 1e-12


def _stack_reference(stack: StackedSiren, coords: torch.Tensor) -> torch.Tensor:
    """The stack's forward written with matmul and sin only, one member at a time, for autograd."""
    outs = []
    last = len(stack.weights) - 1
    for k in range(stack.k):
        x = coords[k]
        for i, (weight, bias) in enumerate(zip(stack.weights, stack.biases)):
            x = x @ weight[k] + bias[k, 0]
            if i < last:
                x = torch.sin(stack.omegas[i] * x)
        outs.append(x)
    return torch.stack(outs)


def _has_node(output: torch.Tensor, name: str) -> bool:
    """Whether the autograd graph of `output` holds a node called `name` (the fused path was taken)."""
    seen, todo = set(), [output.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if type(node).__name__.startswith(name):
            return True
        todo += [n for n, _ in node.next_functions]
    return False


def _grads(module: torch.nn.Module, loss: torch.Tensor) -> list[torch.Tensor]:
    module.zero_grad(set_to_none=True)
    loss.backward()
    return [p.grad.clone() for p in module.parameters()]


@pytest.mark.parametrize(("out_features", "hidden_layers"), [(1, 2), (3, 1)])
def test_stacked_node_parameter_gradients_equal_autograd(out_features, hidden_layers):
    """StackedSirenFunction (coords without grad) against autograd through plain ops, per member and layer."""
    stack = StackedSiren(3, 2, 24, hidden_layers, out_features, first_omega_0=40.0, hidden_omega_0=25.0, seed=2).double()
    generator = torch.Generator().manual_seed(0)
    coords = torch.rand(3, 70, 2, dtype=torch.float64, generator=generator) * 2 - 1
    target = torch.randn(3, 70, out_features, dtype=torch.float64, generator=generator)
    member_weights = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)[:, None, None]  # members see different losses

    def loss_of(pred: torch.Tensor) -> torch.Tensor:
        return (member_weights * (pred - target) ** 2).mean(dim=(1, 2)).sum() + pred.abs().mean()

    fused_out = stack(coords)
    assert _has_node(fused_out, "StackedSirenFunction")
    fused = _grads(stack, loss_of(fused_out))
    plain = _grads(stack, loss_of(_stack_reference(stack, coords)))
    for (name, _), a, b in zip(stack.named_parameters(), fused, plain):
        assert a.abs().max() > 0, name
        torch.testing.assert_close(a, b, rtol=RTOL, atol=ATOL, msg=lambda m, name=name: f"{name}: {m}")


def test_stacked_node_gradient_matches_finite_differences():
    """One directional derivative of the loss, by central differences, equals <grad, direction>."""
    stack = StackedSiren(2, 2, 16, 1, 1, first_omega_0=20.0, seed=4).double()
    generator = torch.Generator().manual_seed(1)
    coords = torch.rand(2, 40, 2, dtype=torch.float64, generator=generator) * 2 - 1
    params = list(stack.parameters())
    grads = _grads(stack, stack(coords).square().mean())
    directions = [torch.randn(p.shape, dtype=p.dtype, generator=generator) for p in params]
    analytic = sum(float((g * d).sum()) for g, d in zip(grads, directions))
    h = 1e-6
    values = []
    for sign in (1.0, -1.0):
        with torch.no_grad():
            for p, d in zip(params, directions):
                p.add_(sign * h * d)
            values.append(float(stack(coords).square().mean()))
            for p, d in zip(params, directions):
                p.sub_(sign * h * d)
    numeric = (values[0] - values[1]) / (2 * h)
    assert abs(numeric - analytic) <= 1e-6 * abs(analytic), (numeric, analytic)


def _siren_reference(siren: sk.Siren, coords: torch.Tensor) -> torch.Tensor:
    x = coords
    for i, layer in enumerate(siren.layers):
        x = torch.nn.functional.linear(x, layer.weight, layer.bias)
        if i < len(siren.layers) - 1 or not siren.outermost_linear:
            x = torch.sin(siren.omegas[i] * x)
    return x


@pytest.mark.parametrize(("out_features", "outermost_linear", "in_features"), [(1, True, 2), (3, True, 3), (2, False, 1)])
def test_siren_fused_node_parameter_gradients_equal_autograd_in_float64(out_features, outermost_linear, in_features):
    """SirenFunction (Siren's CPU training path) against autograd, float64, tight: the fp32 test allows 1e-4."""
    torch.manual_seed(3)
    siren = sk.Siren(in_features, 40, 2, out_features, first_omega_0=35.0, hidden_omega_0=20.0,
                     outermost_linear=outermost_linear).double()
    generator = torch.Generator().manual_seed(5)
    coords = torch.rand(90, in_features, dtype=torch.float64, generator=generator) * 2 - 1
    target = torch.randn(90, out_features, dtype=torch.float64, generator=generator)

    def loss_of(pred: torch.Tensor) -> torch.Tensor:
        return ((pred - target) ** 2).mean() + 0.1 * pred.sum()

    fused_out = siren(coords)
    assert _has_node(fused_out, "SirenFunction")
    fused = _grads(siren, loss_of(fused_out))
    plain = _grads(siren, loss_of(_siren_reference(siren, coords)))
    for (name, _), a, b in zip(siren.named_parameters(), fused, plain):
        torch.testing.assert_close(a, b, rtol=RTOL, atol=ATOL, msg=lambda m, name=name: f"{name}: {m}")
