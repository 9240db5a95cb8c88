"""bench_poisson_ceiling's band-limited integration: an analytic field back from its exact gradient."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_poisson_ceiling import band_limited_integral  # noqa: E402


def test_band_limited_integral_recovers_a_smooth_field_from_its_gradient() -> None:
    """cos(πy)·cos(2πx) + 0.3·cos(3πx) on [-1, 1]² from its analytic gradient, up to a constant, to rounding error;
    a sign slip in either derivative symbol or a wrong mirror parity leaves errors of order 1."""
    n = 65
    y, x = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1, 1, n), indexing="ij")
    u = np.cos(np.pi * y) * np.cos(2 * np.pi * x) + 0.3 * np.cos(3 * np.pi * x)
    gradient = np.stack([-np.pi * np.sin(np.pi * y) * np.cos(2 * np.pi * x),
                         -2 * np.pi * np.cos(np.pi * y) * np.sin(2 * np.pi * x) - 0.9 * np.pi * np.sin(3 * np.pi * x)], -1)
    difference = band_limited_integral(gradient) - u
    assert np.abs(difference - difference.mean()).max() < 1e-9
