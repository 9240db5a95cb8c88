"""ops against analytic derivatives and central finite differences."""

from __future__ import annotations

import pytest
import torch

import sirenkit as sk
from sirenkit import ops


def _analytic(coords: torch.Tensor) -> torch.Tensor:
    x, y = coords[..., :1], coords[..., 1:]
    return torch.sin(3 * x) * torch.cos(2 * y)


@pytest.fixture
def points(device) -> torch.Tensor:
    return (torch.rand(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(device) * 2 - 1).requires_grad_()


def test_values_gradient_analytic(points):
    f = _analytic(points)
    x, y = points[:, :1].detach(), points[:, 1:].detach()
    expected = torch.cat([3 * torch.cos(3 * x) * torch.cos(2 * y), -2 * torch.sin(3 * x) * torch.sin(2 * y)], dim=-1)
    torch.testing.assert_close(ops.gradient(f, points), expected, atol=1e-10, rtol=0)


def test_values_laplacian_analytic(points):
    f = _analytic(points)
    torch.testing.assert_close(ops.laplacian(f, points), -13 * f.detach(), atol=1e-10, rtol=0)


def test_values_hessian_analytic(points):
    f = _analytic(points)
    x, y = points[:, 0].detach(), points[:, 1].detach()
    h = ops.hessian(f, points)
    torch.testing.assert_close(h[:, 0, 0], -9 * torch.sin(3 * x) * torch.cos(2 * y), atol=1e-10, rtol=0)
    torch.testing.assert_close(h[:, 0, 1], -6 * torch.cos(3 * x) * torch.sin(2 * y), atol=1e-10, rtol=0)
    torch.testing.assert_close(h[:, 0, 1], h[:, 1, 0], atol=1e-12, rtol=0)


def test_values_jacobian_and_divergence(points):
    v = torch.cat([points[:, :1] ** 2 * points[:, 1:], torch.sin(points[:, 1:])], dim=-1)  # (x^2 y, sin y)
    x, y = points[:, 0].detach(), points[:, 1].detach()
    j = ops.jacobian(v, points)
    assert j.shape == (200, 2, 2)
    torch.testing.assert_close(j[:, 0, 0], 2 * x * y, atol=1e-12, rtol=0)
    torch.testing.assert_close(j[:, 0, 1], x**2, atol=1e-12, rtol=0)
    torch.testing.assert_close(j[:, 1, 0], torch.zeros_like(x), atol=1e-12, rtol=0)
    torch.testing.assert_close(ops.divergence(v, points)[:, 0], 2 * x * y + torch.cos(y), atol=1e-12, rtol=0)


def _siren64(seed: int = 0) -> torch.nn.Module:
    return sk.build_field(sk.FieldConfig(hidden_features=32, hidden_layers=2), seed=seed).double()


def test_values_random_siren_vs_finite_differences(points, device):
    field = _siren64().to(device)
    h = 1e-4
    grad = ops.gradient(field(points), points)
    lap = ops.laplacian(field(points), points)
    p = points.detach()
    fd_grad, fd_lap = torch.zeros_like(p), torch.zeros(len(p), 1, dtype=p.dtype, device=device)
    with torch.no_grad():
        f0 = field(p)
        for i in range(2):
            e = torch.zeros(2, dtype=p.dtype, device=device)
            e[i] = h
            plus, minus = field(p + e), field(p - e)
            fd_grad[:, i] = ((plus - minus) / (2 * h))[:, 0]
            fd_lap += (plus - 2 * f0 + minus) / h**2
    # Central differences: O(h^2) error; the field's 4th derivatives are ~omega^4 = 8e5, so ~1e-3.
    torch.testing.assert_close(grad, fd_grad, atol=1e-5, rtol=1e-6)
    torch.testing.assert_close(lap, fd_lap, atol=5e-2, rtol=1e-4)


def test_gradcheck_siren_input_derivatives(device):
    field = _siren64().to(device)
    coords = (torch.rand(8, 2, dtype=torch.float64, device=device) * 2 - 1).requires_grad_()
    assert torch.autograd.gradcheck(lambda c: ops.gradient(field(c), c), (coords,))


def test_errors(device):
    coords = torch.rand(5, 2, device=device)
    with pytest.raises(sk.ShapeError, match="requires_grad"):
        ops.gradient(coords.sum(-1, keepdim=True), coords)
    coords.requires_grad_()
    with pytest.raises(sk.ShapeError, match="jacobian"):
        ops.gradient(coords * 2, coords)
    with pytest.raises(sk.ShapeError, match="one component per coordinate"):
        ops.divergence(coords[:, :1], coords)


@pytest.mark.parametrize("field", [
    sk.Siren(2, 32, 2, 1, first_omega_0=45.0, hidden_omega_0=25.0),
    sk.Siren(3, 16, 0, 1),
    sk.MLP(2, 16, 1, 1, activation="tanh"),  # falls back to double backprop
])
def test_values_jet_matches_double_backprop(field, device):
    torch.manual_seed(0)
    field = field.double().to(device)
    coords = (torch.rand(64, field.in_features, dtype=torch.float64, device=device) * 2 - 1).requires_grad_()
    value = field(coords)
    jet = ops.jet(field, coords.detach())
    torch.testing.assert_close(jet.value, value, rtol=0, atol=1e-12)
    torch.testing.assert_close(jet.gradient, ops.gradient(value, coords), rtol=0, atol=1e-10)
    torch.testing.assert_close(jet.laplacian, ops.laplacian(value, coords), rtol=1e-10, atol=1e-9)
    assert ops.jet(field, coords.detach(), laplacian=False).laplacian is None


def test_values_jet_parameter_gradients_match(device):
    """A loss on the jet trains the same as the same loss through double backprop."""
    field = _siren64().to(device)
    coords = torch.rand(40, 2, dtype=torch.float64, device=device) * 2 - 1
    grads = []
    for use_jet in (True, False):
        field.zero_grad()
        if use_jet:
            j = ops.jet(field, coords)
            grad, lap = j.gradient, j.laplacian
        else:
            c = coords.clone().requires_grad_()
            out = field(c)
            grad, lap = ops.gradient(out, c), ops.laplacian(out, c)
        (grad.square().mean() + 1e-4 * lap.square().mean()).backward()
        # the output bias has no gradient: derivatives do not depend on it
        grads.append([torch.zeros_like(p) if p.grad is None else p.grad.clone() for p in field.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("with_value", [False, True])
def test_values_fused_gradient_step_matches_double_backprop(with_value, device):
    """ops.jet(laplacian=False) trains through a hand-written backward: same parameter gradients."""
    torch.manual_seed(1)
    field = sk.Siren(2, 24, 2, 1, first_omega_0=35.0, hidden_omega_0=25.0).double().to(device)
    coords = torch.rand(50, 2, dtype=torch.float64, device=device) * 2 - 1
    target = torch.randn(50, 2, dtype=torch.float64, device=device)
    grads = []
    for fused in (True, False):
        field.zero_grad()
        if fused:
            value, grad, *_ = ops.jet(field, coords, laplacian=False)
        else:
            c = coords.clone().requires_grad_()
            value = field(c)
            grad = ops.gradient(value, c)
        loss = ((grad - target) ** 2).mean() + (value.square().mean() if with_value else 0)
        loss.backward()
        grads.append([torch.zeros_like(p) if p.grad is None else p.grad.clone() for p in field.parameters()])
    for (name, _), a, b in zip(field.named_parameters(), *grads):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12, msg=name)


@pytest.mark.parametrize("field", [sk.Siren(2, 24, 2, 3), sk.MLP(2, 16, 1, 3, activation="tanh")])
def test_values_jet_of_a_colour_field_is_one_jet_per_channel(field, device):
    torch.manual_seed(2)
    field = field.double().to(device)
    coords = (torch.rand(30, 2, dtype=torch.float64, device=device) * 2 - 1).requires_grad_()
    value = field(coords)
    jet = ops.jet(field, coords.detach())
    assert jet.gradient.shape == (30, 3, 2) and jet.laplacian.shape == (30, 3)
    torch.testing.assert_close(jet.gradient, ops.jacobian(value, coords), rtol=0, atol=1e-10)
    for c in range(3):
        torch.testing.assert_close(jet.laplacian[:, c : c + 1], ops.laplacian(value[:, c : c + 1], coords), rtol=1e-9, atol=1e-8)


@pytest.mark.parametrize("field", [
    sk.Siren(3, 24, 2, 2, first_omega_0=20.0), sk.Siren(2, 16, 1, 1), sk.MLP(3, 16, 1, 2, activation="tanh"),
])
def test_values_jet_hessian_diagonal_matches_the_hessian(field, device):
    """Each ∂²u/∂x_k² (what the Helmholtz and wave residuals need) equals the Hessian's diagonal."""
    torch.manual_seed(3)
    field = field.double().to(device)
    coords = (torch.rand(40, field.in_features, dtype=torch.float64, device=device) * 2 - 1).requires_grad_()
    value = field(coords)
    jet = ops.jet(field, coords.detach(), hessian_diagonal=True)
    assert jet.hessian_diagonal.shape == (40, field.out_features, field.in_features)
    for ch in range(field.out_features):
        expected = torch.diagonal(ops.hessian(value[:, ch : ch + 1], coords), dim1=-2, dim2=-1)
        torch.testing.assert_close(jet.hessian_diagonal[:, ch], expected, rtol=1e-9, atol=1e-8)
        torch.testing.assert_close(jet.laplacian[:, ch], expected.sum(-1), rtol=1e-9, atol=1e-8)


def test_jet_hands_the_work_to_a_field_that_has_its_own():
    """ops.jet knows no field class: a module with a `jet` method (a Siren) computes it; any other module falls back."""

    class Square(torch.nn.Module):
        """u = |x|², with its exact jet (gradient 2x, Laplacian 2d) written by hand."""

        calls = 0

        def forward(self, coords):
            return (coords**2).sum(-1, keepdim=True)

        def jet(self, coords, *, laplacian, hessian_diagonal):
            Square.calls += 1
            lap = torch.full((len(coords), 1), 2.0 * coords.shape[1], dtype=coords.dtype) if laplacian else None
            return ops.Jet(self(coords), 2 * coords, lap)

    coords = torch.rand(20, 3, dtype=torch.float64)
    own = ops.jet(Square(), coords)
    assert Square.calls == 1 and isinstance(Square(), ops.JetField)
    fallback = ops.double_backprop_jet(Square(), coords, laplacian=True, hessian_diagonal=False)
    torch.testing.assert_close(own.gradient, fallback.gradient)
    torch.testing.assert_close(own.laplacian, fallback.laplacian)
    assert isinstance(sk.Siren(2, 8, 1, 1), ops.JetField) and not isinstance(
        sk.build_field(sk.FieldConfig(activation="relu", hidden_features=8, hidden_layers=1)), ops.JetField)
