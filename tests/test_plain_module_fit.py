"""A field that is not a Siren (a plain nn.Linear, no `jet`) fits with out= and gets its derivative panel by autograd."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

import sirenkit as sk


def test_linear_field_fits_and_draws_its_panel(tmp_path):
    task = sk.tasks.ImageTask.from_source("camera", size=16)
    torch.manual_seed(0)
    result = sk.fit(torch.nn.Linear(2, 1), task, steps=3, device="cpu", out=tmp_path / "run")
    assert np.isfinite(result.metrics["psnr"])
    panel = np.asarray(Image.open(tmp_path / "run" / "panel.png"))
    assert panel.ndim == 3 and panel.shape[0] > 100


def test_jet_of_a_linear_map_is_its_weight_and_zero_laplacian():
    """Reference: for f(x) = W x + b, grad f = W everywhere and the Laplacian is 0 (no autograd error)."""
    layer = torch.nn.Linear(2, 3).double()
    coords = sk.grid((5, 5)).double()
    jet = sk.ops.jet(layer, coords)
    torch.testing.assert_close(jet.gradient, layer.weight.detach().expand(25, 3, 2))
    torch.testing.assert_close(jet.laplacian, torch.zeros(25, 3, dtype=torch.float64))
    frozen = torch.nn.Linear(2, 1).requires_grad_(False)  # no parameter needs grad: the Jacobian is a constant
    assert sk.ops.jet(frozen, sk.grid((4, 4))).laplacian.abs().max() == 0
