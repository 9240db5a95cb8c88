"""Chunked evaluation gives what one forward pass gives, whatever the chunk size."""

from __future__ import annotations

import pytest
import torch

import sirenkit as sk
from sirenkit.errors import ConfigError
from sirenkit.render import evaluate_grid, evaluate_points


def test_values_chunked_evaluation_equals_one_forward(device):
    field = sk.Siren(2, 16, 1, 3).to(device)
    coords = torch.rand(103, 2, device=device) * 2 - 1
    with torch.no_grad():
        whole = field(coords).cpu()  # the renderer returns its values on the CPU
    torch.testing.assert_close(evaluate_points(field, coords, chunk_size=10), whole, rtol=0, atol=1e-6)
    with torch.no_grad():
        on_grid = field(sk.grid((9, 7), device=device)).reshape(9, 7, 3).cpu()
    torch.testing.assert_close(evaluate_grid(field, (9, 7), chunk_size=5), on_grid, rtol=0, atol=1e-6)
    with pytest.raises(ConfigError, match="chunk_size=0"):
        evaluate_points(field, coords, chunk_size=0)
