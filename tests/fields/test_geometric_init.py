"""--init geometric: a SIREN that starts as the signed distance |x| - r to a sphere (sirenkit.fields.geometric)."""

from __future__ import annotations

import json
import math

import pytest
import torch

import sirenkit as sk
from sirenkit.cli.main import main
from sirenkit.errors import ConfigError
from sirenkit.fields.geometric import FREQUENCIES, HALF_PERIOD, SPHERE_SHARE, series_of_abs
from sirenkit.tasks import SDFConfig, SDFTask


def _geometric(dim: int = 3, hidden: int = 256, layers: int = 3, radius: float = 0.5, seed: int = 0) -> torch.nn.Module:
    config = sk.FieldConfig(in_features=dim, out_features=1, hidden_features=hidden, hidden_layers=layers,
                            init="geometric", init_radius=radius)
    return sk.build_field(config, seed=seed)


def _grid(dim: int, n: int, half: float = 0.95) -> torch.Tensor:
    ticks = torch.linspace(-half, half, n)
    return torch.stack(torch.meshgrid(*[ticks] * dim, indexing="ij"), -1).reshape(-1, dim)


@pytest.mark.parametrize("dim, hidden, layers, radius", [(3, 256, 3, 0.5), (3, 256, 1, 0.7), (2, 64, 2, 0.3), (3, 256, 0, 0.5)])
def test_the_field_starts_as_the_distance_to_a_sphere(dim, hidden, layers, radius):
    field = _geometric(dim, hidden, layers, radius)
    coords = _grid(dim, 17 if dim == 3 else 41).requires_grad_()
    values = field(coords)[:, 0]
    (grad,) = torch.autograd.grad(values.sum(), coords)
    norm = coords.detach().norm(dim=-1)
    error = (values.detach() - (norm - radius)).abs()
    assert error.mean() < 0.015 and error.max() < 0.15, (error.mean(), error.max())
    away = norm > 0.3  # the truncated series rounds the cone's tip at the origin
    grad_norm = grad.norm(dim=-1)[away]
    assert (grad_norm - 1.0).abs().max() < 0.25 and (grad_norm - 1.0).abs().mean() < 0.07
    radial = (grad[away] * coords.detach()[away]).sum(-1) / norm[away] / grad_norm  # the gradient points away from 0
    assert radial.min() > 0.9 and radial.mean() > 0.99
    assert field(torch.zeros(1, dim)).item() < -radius + 0.15  # negative at the centre: the tip is rounded up by < 0.15
    corners = torch.cartesian_prod(*[torch.tensor([-1.0, 1.0])] * dim)
    assert (field(corners)[:, 0] > 0).all()


def test_the_other_units_keep_the_reference_first_layer_and_add_nothing_yet():
    reference = sk.build_field(sk.FieldConfig(in_features=3, hidden_features=64, hidden_layers=2), seed=3)
    geometric = _geometric(hidden=64, layers=2, seed=3)
    used = int(64 * SPHERE_SHARE) // len(FREQUENCIES) * len(FREQUENCIES)
    torch.testing.assert_close(geometric.layers[0].weight[used:], reference.layers[0].weight[used:])
    assert (geometric.layers[-1].weight[0, used:] == 0).all() and (geometric.layers[-1].weight[0, :used] != 0).all()
    # those units do reach the output once trained: the output weight's gradient is their value, not 0
    coords = torch.rand(32, 3) * 2 - 1
    geometric(coords).sum().backward()
    assert geometric.layers[-1].weight.grad[0, used:].abs().min() > 0


def test_with_no_hidden_layer_the_series_is_the_cosine_series_of_abs():
    coefficients, constant = series_of_abs(0)  # least squares over the first harmonics = the Fourier coefficients
    expected = [-4.0 * HALF_PERIOD / (math.pi * k) ** 2 for k in FREQUENCIES]
    assert coefficients.tolist() == pytest.approx(expected, abs=1e-4) and constant == pytest.approx(HALF_PERIOD / 2, abs=1e-4)


def test_an_sdf_task_builds_the_sphere_from_its_presets_and_flags():
    task = SDFTask.from_config(SDFConfig(source="sphere", resolution=16))
    field = sk.build_field(task=task, seed=1, init="geometric", hidden_features=64, hidden_layers=1, init_radius=0.4)
    assert field.config.init == "geometric" and field.config.in_features == 3
    on_sphere, centre = torch.tensor([[0.0, 0.4, 0.0], [0.0, 0.0, -0.9]]), torch.zeros(1, 3)
    assert field(on_sphere)[:, 0].tolist() == pytest.approx([0.0, 0.5], abs=0.05)
    assert field(centre).item() < -0.25


def test_the_init_survives_the_run_folder(tmp_path):
    task = SDFTask.from_config(SDFConfig(source="sphere", resolution=16, metric_samples=1000))
    field = _geometric(hidden=32, layers=1)
    sk.fit(field, task, steps=1, batch_size=64, out=tmp_path / "run")
    saved = json.loads((tmp_path / "run" / "config.json").read_text())["field"]
    assert (saved["init"], saved["init_radius"]) == ("geometric", 0.5)
    loaded = sk.load(tmp_path / "run")
    for a, b in zip(loaded.parameters(), field.parameters()):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("overrides, words", [
    ({"out_features": 3}, ["out_features=3", "--init reference"]),
    ({"activation": "relu"}, ["activation='relu'", "sine"]),
    ({"encoding": "positional"}, ["encoding"]),
    ({"in_features": 1}, ["in_features=1", "2-D or 3-D"]),
    ({"weight_scale": 1.5}, ["weight_scale"]),
    ({"outermost_linear": False}, ["outermost_linear"]),
])
def test_geometric_is_refused_where_a_sphere_makes_no_sense(overrides, words):
    with pytest.raises(ConfigError) as caught:
        sk.FieldConfig(init="geometric", **overrides)
    message = str(caught.value)
    assert "\n" not in message and all(w in message for w in words), message


def test_bad_init_names_and_radii_are_one_line_exit_2(tmp_path, capsys):
    for i, (argv, words) in enumerate(((["sdf", "--init", "geometrik"], ["init='geometrik'", "reference, geometric"]),
                        (["sdf", "--init", "geometric", "--init-radius", "0"], ["init_radius"]),
                        (["image", "--size", "16", "--init", "geometric"], ["weight_scale=1.5", "--weight-scale 1"]))):
        assert main([*argv, "--steps", "1", "--out", str(tmp_path / f"run{i}"), "--quiet"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("sirenkit: error:") and all(w in err for w in words), err
        assert not (tmp_path / f"run{i}" / "checkpoint.pt").exists()
