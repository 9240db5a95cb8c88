"""The FD Helmholtz solver against the analytic Hankel field, its PML, and its input checks."""

import numpy as np
import pytest

from sirenkit.errors import ConfigError, DataError, ShapeError
from sirenkit.physics import hankel_point_source, solve_helmholtz_fd

N = 201  # h = 0.01: about 31 nodes per wavelength at k = 20


def _grid(n):
    x = np.linspace(-1.0, 1.0, n)
    return np.meshgrid(x, x, indexing="ij")


def _interior(x, y):
    """Outside the PML (|x|, |y| <= 0.5) and at least 10 cells from the source at the origin."""
    return (np.abs(x) <= 0.5) & (np.abs(y) <= 0.5) & (np.hypot(x, y) >= 0.1)


def _relative_error(u, ref, mask):
    return np.linalg.norm(u[mask] - ref[mask]) / np.linalg.norm(ref[mask])


def test_fd_matches_hankel_field_in_uniform_medium():
    x, y = _grid(N)
    u = solve_helmholtz_fd(np.ones((N, N)), 20.0, (0.0, 0.0))
    ref = hankel_point_source(np.stack([x, y], -1), (0.0, 0.0), 20.0)
    # measured 0.0100 at n = 201 (0.0044 at n = 301)
    assert _relative_error(u, ref, _interior(x, y)) <= 0.015


def test_pml_absorbs_outgoing_waves():
    x, y = _grid(N)
    interior = _interior(x, y)
    outer_band = np.maximum(np.abs(x), np.abs(y)) >= 0.9
    ref = hankel_point_source(np.stack([x, y], -1), (0.0, 0.0), 20.0)
    with_pml = solve_helmholtz_fd(np.ones((N, N)), 20.0, (0.0, 0.0))
    without_pml = solve_helmholtz_fd(np.ones((N, N)), 20.0, (0.0, 0.0), pml_width=0.0)
    energy_ratio = np.mean(np.abs(with_pml[outer_band]) ** 2) / np.mean(np.abs(with_pml[interior]) ** 2)
    # measured 5.6e-9 with the reference's PML (e = 1 + i·a0·(d/width)²) vs 0.67 without it
    # (reflections from the u = 0 wall)
    assert energy_ratio <= 1e-7
    # measured interior error 174 without the PML (a resonant box) vs 0.010 with it
    assert _relative_error(without_pml, ref, interior) >= 1.0


@pytest.mark.parametrize(
    ("velocity", "source", "error"),
    [
        (np.ones((5, 6)), (0.0, 0.0), ShapeError),
        (np.full((5, 5), -1.0), (0.0, 0.0), DataError),
        (np.full((5, 5), np.nan), (0.0, 0.0), DataError),
        (np.ones((5, 5)), (1.5, 0.0), ConfigError),
    ],
)
def test_bad_inputs_raise_clear_errors(velocity, source, error):
    with pytest.raises(error, match="velocity|source_xy"):
        solve_helmholtz_fd(velocity, 20.0, source)


def test_pml_stretch_is_one_function_for_the_fd_reference_and_the_residual():
    """The NumPy stretch (FD reference) and the torch one (training residual) agree; its derivative matches differences."""
    import torch

    from sirenkit.physics import pml_stretch, pml_stretch_derivative

    x = np.linspace(-1.0, 1.0, 401)
    on_torch = pml_stretch(torch.from_numpy(x), 20.0, 0.5, 5.0).numpy()
    np.testing.assert_allclose(on_torch, pml_stretch(x, 20.0, 0.5, 5.0), rtol=0, atol=1e-14)
    assert np.abs(pml_stretch(x, 20.0)[np.abs(x) <= 0.5] - 1).max() == 0 and pml_stretch(np.array([1.0]), 20.0)[0] == 1 + 5j
    h = 1e-6
    differences = (pml_stretch(x + h, 20.0) - pml_stretch(x - h, 20.0)) / (2 * h)
    np.testing.assert_allclose(pml_stretch_derivative(torch.from_numpy(x)).numpy(), differences, atol=1e-5)
