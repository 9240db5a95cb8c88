"""Every activation: builds, runs forward and backward, has the second derivatives its maths has, and its init."""

from __future__ import annotations

import math

import pytest
import torch

import sirenkit as sk
from sirenkit.activations import ACTIVATIONS, make_activation

ALL = sorted(ACTIVATIONS)


@pytest.mark.parametrize("activation", ALL)
def test_forward_backward_and_laplacian(activation, device):
    field = sk.MLP(2, 32, 2, 1, activation=activation).double().to(device)
    coords = (torch.rand(64, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)).to(device) * 2 - 1).requires_grad_()
    values = field(coords)
    lap = sk.ops.laplacian(values, coords)
    assert values.shape == (64, 1) and lap.shape == (64, 1)
    assert torch.isfinite(lap).all()
    (values.sum() + lap.abs().sum()).backward()  # second derivatives are themselves differentiable w.r.t. the weights
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in field.parameters())
    if activation == "relu":
        assert lap.abs().max() == 0  # piecewise linear in the coordinates: its Laplacian is exactly zero
    else:
        assert lap.abs().max() > 1e-6  # smooth (or, for elu, piecewise smooth with curvature for x < 0)


@pytest.mark.parametrize("activation", ALL)
def test_laplacian_matches_finite_differences(activation, device):
    if activation == "relu":
        pytest.skip("zero Laplacian, tested above")
    field = sk.MLP(2, 16, 1, 1, activation=activation, first_omega_0=3.0, hidden_omega_0=3.0, scale=1.0).double().to(device)
    x = torch.tensor([[0.31, -0.27]], dtype=torch.float64, device=device, requires_grad=True)
    lap = sk.ops.laplacian(field(x), x).item()
    h, fd = 1e-4, 0.0
    with torch.no_grad():
        for axis in range(2):
            e = torch.zeros(1, 2, dtype=torch.float64, device=device)
            e[0, axis] = h
            fd += ((field(x + e) - 2 * field(x) + field(x - e)) / h**2).item()
    assert lap == pytest.approx(fd, rel=1e-4, abs=1e-5)


def test_values_of_the_formulas(device):
    x = torch.linspace(-1, 1, 11, dtype=torch.float64, device=device)
    assert torch.allclose(make_activation("gauss", scale=3.0)(x), torch.exp(-(3 * x) ** 2))
    assert torch.allclose(make_activation("finer", omega_0=5.0)(x), torch.sin(5 * (x.abs() + 1) * x))
    assert torch.allclose(make_activation("wire", omega_0=20.0, scale=2.0)(x), torch.cos(20 * x) * torch.exp(-(2 * x) ** 2))
    assert torch.allclose(make_activation("softplus")(x), torch.log1p(torch.exp(x)))
    assert torch.allclose(make_activation("sigmoid")(x), 1 / (1 + torch.exp(-x)))
    capped = make_activation("gauss", scale=30.0)(torch.tensor([1.0], device=device)).item()
    assert capped == pytest.approx(math.exp(-50), rel=1e-5)  # capped


def _hidden_weight(activation: str, width: int = 2048) -> torch.Tensor:
    torch.manual_seed(0)
    return sk.MLP(2, width, 1, 1, activation=activation).layers[1].weight.detach()


@pytest.mark.parametrize(("activation", "std"), [
    ("sigmoid", math.sqrt(2 / 4096)),  # Xavier normal
    ("softplus", math.sqrt(2 / 2048)),  # Kaiming normal, fan-in
    ("elu", math.sqrt(1.5505188080679277 / 2048)),  # reference init_weights_elu
    ("selu", math.sqrt(1 / 2048)),  # LeCun normal
    ("gauss", 1 / math.sqrt(3 * 2048)),  # PyTorch default U(+-1/sqrt(n)): std 1/sqrt(3n)
    ("wire", 1 / math.sqrt(3 * 2048)),
])
def test_init_std(activation, std):
    assert _hidden_weight(activation).std().item() == pytest.approx(std, rel=0.02)


def test_init_finer_is_siren():
    torch.manual_seed(0)
    field = sk.MLP(2, 512, 1, 1, activation="finer", first_omega_0=30.0, hidden_omega_0=30.0)
    assert field.layers[0].weight.abs().max() <= 1 / 2
    bound = math.sqrt(6 / 512) / 30
    assert field.layers[1].weight.abs().max() <= bound and field.layers[1].weight.abs().max() > 0.99 * bound


def test_errors_unknown_activation_lists_all():
    with pytest.raises(sk.ConfigError, match="choose one of: elu, finer, gauss, relu, selu, sigmoid, sine, softplus, tanh, wire"):
        make_activation("gabor")
    with pytest.raises(sk.ConfigError, match="did you mean 'finer'"):
        sk.build_field(sk.FieldConfig(activation="finr"))

