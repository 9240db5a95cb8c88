"""MLP baselines: each activation's init, and clear errors for unknown names."""

from __future__ import annotations

import math

import pytest
import torch

import sirenkit as sk


@pytest.mark.parametrize("activation", ["relu", "tanh", "sine"])
def test_shapes_and_second_derivatives(activation):
    field = sk.MLP(2, 32, 2, 1, activation=activation).double()
    coords = (torch.rand(20, 2, dtype=torch.float64) * 2 - 1).requires_grad_()
    lap = sk.ops.laplacian(field(coords), coords)
    assert lap.shape == (20, 1)
    if activation == "relu":
        assert lap.abs().max() == 0  # piecewise linear: no curvature, the paper's point
    else:
        assert lap.abs().max() > 0


def test_init_relu_is_kaiming():
    torch.manual_seed(0)
    field = sk.MLP(2, 2048, 1, 1, activation="relu")
    w = field.layers[1].weight
    assert abs(w.std().item() - math.sqrt(2 / 2048)) < 0.02 * math.sqrt(2 / 2048)


def test_init_tanh_is_xavier():
    torch.manual_seed(0)
    field = sk.MLP(2, 2048, 1, 1, activation="tanh")
    w = field.layers[1].weight
    assert abs(w.std().item() - math.sqrt(2 / 4096)) < 0.02 * math.sqrt(2 / 4096)


def test_errors_unknown_activation():
    with pytest.raises(sk.ConfigError, match="did you mean 'sine'"):
        sk.MLP(2, 8, 1, 1, activation="sin")
