"""Siren: init against the reference code, init statistics, fused path against plain PyTorch."""

from __future__ import annotations

import math

import pytest
import torch

import sirenkit as sk


def test_init_bounds():
    field = sk.Siren(2, 128, 3, 1, first_omega_0=30, hidden_omega_0=20)
    assert field.layers[0].weight.abs().max() <= 1 / 2
    assert field.layers[0].weight.abs().max() > 0.45  # uses the whole range
    bound = math.sqrt(6 / 128) / 20
    for layer in field.layers[1:]:
        assert layer.weight.abs().max() <= bound
        assert layer.weight.abs().max() > 0.95 * bound


def test_init_statistics_wide_deep(device):
    """Hidden pre-activations ~ N(0, 1) and sine outputs ~ arcsine (paper Sec. 3.2, Fig. 2)."""
    torch.manual_seed(0)
    field = sk.Siren(2, 1024, 6, 1).to(device)
    x = (torch.rand(4096, 2) * 2 - 1).to(device)
    with torch.no_grad():
        for i, layer in enumerate(field.layers[:-1]):
            weight_part = field.omegas[i] * x @ layer.weight.t()
            z = weight_part + field.omegas[i] * layer.bias
            if i >= 1:
                # The init makes Var(omega_0 W x) = 2 E[x^2], i.e. 1 for arcsine-distributed x.
                # Measured: 1.003 behind the first layer, 0.95-0.97 deeper (sin of N(0, 1.2) has E[x^2] = 0.46).
                assert abs(weight_part.std().item() / (2 * x.pow(2).mean()).sqrt().item() - 1) < 0.03
                # PyTorch's default bias U(+-1/sqrt(n)), which the reference keeps, adds omega_0^2/(3n) = 0.29
                # to the variance: measured std of omega_0 (W x + b) 1.08-1.14.
                assert 0.95 < z.std().item() < 1.2, (i, z.std().item())
            x = torch.sin(z)
            # Kolmogorov-Smirnov distance of sin(z) to the arcsine law F(y) = 1/2 + arcsin(y)/pi:
            # measured 0.002 after the first layer, 0.026-0.035 after the hidden ones.
            y = x.flatten()[::37].sort().values
            empirical = torch.arange(1, len(y) + 1, device=device) / len(y)
            ks = (empirical - (0.5 + torch.asin(y.clamp(-1, 1)) / math.pi)).abs().max().item()
            assert ks < 0.05, (i, ks)


def _pair(seed: int = 0, **kwargs):
    siren = sk.Siren(2, 48, 2, 3, **kwargs)
    plain = sk.MLP(2, 48, 2, 3, activation="sine", first_omega_0=kwargs.get("first_omega_0", 30.0),
                   hidden_omega_0=kwargs.get("hidden_omega_0", 30.0))
    plain.load_state_dict(siren.state_dict())
    return siren, plain


def test_same_seed_same_weights_as_plain_mlp():
    torch.manual_seed(3)
    a = sk.Siren(2, 32, 2, 1)
    torch.manual_seed(3)
    b = sk.MLP(2, 32, 2, 1, activation="sine")
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        torch.testing.assert_close(va, vb, rtol=0, atol=0)


@pytest.mark.parametrize("grad_mode", ["no_grad", "params", "inputs"])
def test_fused_matches_plain_forward(grad_mode, device):
    siren, plain = (m.to(device) for m in _pair(first_omega_0=50.0, hidden_omega_0=20.0))
    coords = torch.rand(300, 2, device=device) * 2 - 1
    if grad_mode == "inputs":
        coords.requires_grad_()
    with torch.set_grad_enabled(grad_mode != "no_grad"):
        torch.testing.assert_close(siren(coords), plain(coords), rtol=1e-5, atol=1e-5)


def _reference(siren: sk.Siren):
    """Plain autograd on the same weights: layer by layer with torch.sin and F.linear."""

    def forward(coords):
        x = coords
        for i, layer in enumerate(siren.layers):
            x = torch.nn.functional.linear(x, layer.weight, layer.bias)
            if i < len(siren.layers) - 1 or not siren.outermost_linear:
                x = torch.sin(siren.omegas[i] * x)
        return x

    return forward


@pytest.mark.parametrize(("out_features", "outermost_linear"), [(1, True), (3, True), (2, False)])
def test_fused_matches_plain_parameter_gradients(device, out_features, outermost_linear):
    siren = sk.Siren(2, 48, 2, out_features, first_omega_0=40.0, outermost_linear=outermost_linear).to(device)
    coords = torch.rand(500, 2, device=device) * 2 - 1
    target = torch.rand(500, out_features, device=device)
    grads = []
    for model in (siren, _reference(siren)):
        siren.zero_grad()
        ((model(coords) - target) ** 2).mean().backward()
        grads.append([p.grad.clone() for p in siren.parameters()])
    for name, a, b in zip([n for n, _ in siren.named_parameters()], *grads):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6, msg=name)


def test_fused_two_forwards_before_backward_and_several_steps(device):
    """The reused workspace never changes results: two batches in one loss, then steps in a row."""
    siren, plain = (m.to(device) for m in _pair())
    opts = [torch.optim.Adam(m.parameters(), lr=1e-3) for m in (siren, plain)]
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):
        a, b = (torch.rand(256, 2, generator=gen) * 2 - 1).to(device), (torch.rand(300, 2, generator=gen) * 2 - 1).to(device)
        for model, opt in zip((siren, plain), opts):
            opt.zero_grad()
            (model(a).square().mean() + model(b).abs().mean()).backward()
            opt.step()
    for p, q in zip(siren.parameters(), plain.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


def test_fused_matches_plain_input_derivatives(device):
    siren, plain = (m.double().to(device) for m in _pair())
    coords = (torch.rand(100, 2, dtype=torch.float64, device=device) * 2 - 1).requires_grad_()
    lap_a = sk.ops.laplacian(siren(coords)[:, :1], coords)
    lap_b = sk.ops.laplacian(plain(coords)[:, :1], coords)
    torch.testing.assert_close(lap_a, lap_b, rtol=1e-9, atol=1e-9)


def test_shapes_leading_dims_and_sine_head(device):
    field = sk.Siren(3, 16, 1, 2, outermost_linear=False).to(device)
    out = field(torch.rand(4, 5, 3, device=device))
    assert out.shape == (4, 5, 2)
    assert out.abs().max() <= 1.0  # a sine head bounds the values
    assert len(field.layers) == 3


def test_errors_wrong_coordinate_shape():
    with pytest.raises(sk.ShapeError, match=r"expected \(\.\.\., 2\)"):
        sk.Siren(2, 8, 1, 1)(torch.rand(10, 3))


def test_bf16_training_gradients_close_to_fp32(device):
    """precision='bf16' runs the hidden layers in bfloat16: gradients within a few % of fp32."""
    torch.manual_seed(0)
    siren = sk.Siren(2, 64, 2, 1).to(device)
    coords, target = (torch.rand(400, 2) * 2 - 1).to(device), torch.rand(400, 1).to(device)
    grads = {}
    for precision in ("bf16", "fp32"):
        siren.zero_grad()
        siren.precision = precision
        ((siren(coords) - target) ** 2).mean().backward()
        grads[precision] = [p.grad.clone() for p in siren.parameters()]
    for (name, _), a, b in zip(siren.named_parameters(), grads["bf16"], grads["fp32"]):
        assert a.dtype == torch.float32
        # measured: 0.02 % (output bias) to 1.1 % (first layer) relative error
        assert (a - b).norm() / b.norm() < 0.03, name
    with torch.no_grad():  # evaluation ignores the training precision
        siren.precision = "bf16"
        out_bf16 = siren(coords)
        siren.precision = "fp32"
        torch.testing.assert_close(out_bf16, siren(coords), rtol=0, atol=0)
