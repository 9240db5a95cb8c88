"""Encodings in front of an MLP: sizes, formulas, the Nyquist rule, seeding, saving, derivatives."""

from __future__ import annotations

import json
import math

import pytest
import torch

import sirenkit as sk
from sirenkit.fields import field_config_for
from sirenkit.fields.encodings import Fourier, Positional, make_encoding, nyquist_frequencies
from sirenkit.io.checkpoint import save_model
from sirenkit.tasks import ImageTask


def test_nyquist_rule_matches_reference():
    assert [nyquist_frequencies(n) for n in (64, 256, 512)] == [4, 6, 7]  # floor(log2(n / 4))
    with pytest.raises(sk.ConfigError, match="--encoding-frequencies"):
        nyquist_frequencies(4)


def test_positional_values(device):
    enc = Positional(2, 3).to(device)
    x = torch.tensor([[0.25, -0.5]], device=device)
    y = enc(x)
    assert y.shape == (1, 2 + 2 * 2 * 3) and enc.out_features == 14
    expected = [0.25, -0.5]
    for i in range(3):
        for c in (0.25, -0.5):
            expected += [math.sin(2**i * math.pi * c), math.cos(2**i * math.pi * c)]
    assert torch.allclose(y[0], torch.tensor(expected, device=device), atol=1e-6)


def test_fourier_is_seeded_and_scaled(device):
    config = sk.FieldConfig(activation="relu", encoding="fourier", encoding_features=4096, fourier_scale=10.0, hidden_features=8)
    a, b = sk.build_field(config, seed=3), sk.build_field(config, seed=3)
    assert torch.equal(a.encoding.frequencies, b.encoding.frequencies)
    assert a.encoding.frequencies.std().item() == pytest.approx(10.0, rel=0.03)
    y = Fourier(2, 5, 1.0).to(device)(torch.zeros(3, 2, device=device))
    assert torch.equal(y, torch.cat([torch.zeros(3, 5, device=device), torch.ones(3, 5, device=device)], -1))  # sin 0, cos 0


@pytest.mark.parametrize("encoding", ["positional", "fourier", "rbf"])
def test_relu_behind_encoding_has_curvature(encoding, device):
    config = sk.FieldConfig(activation="relu", encoding=encoding, encoding_frequencies=4, encoding_features=64, hidden_features=32,
                            hidden_layers=2)
    field = sk.build_field(config, seed=0).double().to(device)
    coords = (torch.rand(50, 2, dtype=torch.float64, device=device) * 2 - 1).requires_grad_()
    lap = sk.ops.laplacian(field(coords), coords)
    assert torch.isfinite(lap).all() and lap.abs().max() > 1e-3  # plain ReLU: exactly 0; the encoding adds curvature
    lap.abs().sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in field.parameters() if p.grad is not None)


def test_positional_frequencies_from_the_task():
    task = ImageTask.from_source("camera", size=64)
    config = field_config_for(sk.FieldConfig(activation="relu", encoding="positional"), task)
    assert config.encoding_frequencies == 4 and config.in_features == 2
    assert field_config_for(sk.FieldConfig(encoding="positional", encoding_frequencies=9), task).encoding_frequencies == 9
    with pytest.raises(sk.ConfigError, match="encoding_frequencies"):
        sk.build_field(sk.FieldConfig(activation="relu", encoding="positional"))


@pytest.mark.parametrize("encoding", ["fourier", "rbf", "positional"])
def test_saved_model_round_trip(tmp_path, encoding, device):
    config = sk.FieldConfig(activation="relu", encoding=encoding, encoding_frequencies=3, encoding_features=16, hidden_features=8)
    field = sk.build_field(config, seed=1).to(device)
    save_model(tmp_path / "model.safetensors", field)
    loaded = sk.load(tmp_path / "model.safetensors")
    x = torch.rand(10, 2) * 2 - 1
    x = x.to(device)
    assert torch.equal(field(x), loaded.to(device)(x))  # the random frequencies / learned centres travel with the weights


def test_errors_unknown_encoding():
    with pytest.raises(sk.ConfigError, match="choose one of: fourier, identity, positional, rbf"):
        make_encoding(sk.FieldConfig(encoding="hash"))


def test_cli_image_with_encoding(tmp_path):
    from sirenkit.cli.main import main

    out = tmp_path / "run"
    argv = ["image", "--size", "32", "--steps", "3", "--hidden-features", "8", "--hidden-layers", "1", "--quiet",
            "--activation", "relu", "--encoding", "positional", "--out", str(out)]
    assert main(argv) == 0
    field = json.loads((out / "config.json").read_text())["field"]
    assert (field["encoding"], field["encoding_frequencies"]) == ("positional", 3)  # floor(log2(32 / 4)), saved resolved
    assert sk.load(out).encoding.frequencies == 3
