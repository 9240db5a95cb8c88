"""Poisson reconstruction against the zero-field baseline, and the blend guide fields against numpy.

From a Laplacian alone, the evaluation removes a constant and a plane (what the Laplacian cannot
see), so even a field that is zero everywhere scores a PSNR: on the 64x64 test crop 12.97 dB, above
the old floor of 12 dB. A reconstruction is worth something only above that baseline.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import sirenkit as sk
from sirenkit.differences import image_gradient
from sirenkit.metrics import psnr
from sirenkit.tasks import BlendConfig, BlendTask, PoissonConfig, PoissonTask


def _zero_field(out_features: int) -> sk.Siren:
    field = sk.Siren(2, 16, 1, out_features)
    with torch.no_grad():
        field.layers[-1].weight.zero_()
        field.layers[-1].bias.zero_()
    return field


def _plane_removed_zero_psnr(image: np.ndarray) -> float:
    """PSNR of the best a + b·y + c·x (least squares, in [-1, 1] units) against the image: u = 0 after plane removal."""
    h, w = image.shape
    y, x = np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing="ij")
    design = np.stack([np.ones(h * w), y.ravel(), x.ravel()], 1)
    values = (image * 2 - 1).ravel().astype(np.float64)
    plane = design @ np.linalg.lstsq(design, values, rcond=None)[0]
    return psnr(np.clip((plane.reshape(h, w) + 1) / 2, 0, 1), image)


def test_laplacian_reconstruction_beats_the_zero_field_on_the_test_crop(camera_crop):
    task = PoissonTask(camera_crop, config=PoissonConfig(supervise="laplacian"))
    zero = task.evaluate(_zero_field(1))["psnr"]
    assert zero == pytest.approx(_plane_removed_zero_psnr(camera_crop), abs=1e-3)  # same metric, same plane removal
    assert zero > 12.0  # measured 12.97 dB: the old floor of 12 dB was below it
    field = sk.build_field(sk.FieldConfig(hidden_features=64, hidden_layers=3), seed=0)
    metrics = sk.fit(field, task, steps=200, optimizer="adam", device="cpu", eval_every=200).metrics
    # measured with Adam, 200 steps, seed 0: 13.8 dB, 0.8 dB above the zero field (the README's 256^2 figure: 13.18 vs
    # 12.81). The task's default, SOAP, reaches only 13.3 dB on this crop with this small network.
    assert metrics["psnr"] >= zero + 0.5, (metrics["psnr"], zero)


def _blend(guide: str) -> tuple[BlendTask, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y, x = np.meshgrid(np.linspace(0, 1, 30), np.linspace(0, 1, 30), indexing="ij")
    background = np.stack([0.3 + 0.4 * np.sin(9 * x) * y, 0.5 + 0.3 * np.cos(7 * y), 0.2 + 0.5 * x * y], -1)
    background = (background + 0.05 * rng.random((30, 30, 3))).astype(np.float32)
    foreground = rng.random((10, 10, 3)).astype(np.float32)  # rough: stronger than the background in most places, not all
    mask = np.zeros((10, 10, 1), np.float32)
    mask[1:9, 2:9] = 1.0
    task = BlendTask(background, foreground, mask, config=BlendConfig(at=(12, 7), guide=guide))
    return task, background, foreground, mask[..., 0] > 0.5


def _reference_guide(background, foreground, inside, guide: str, at=(12, 7)) -> np.ndarray:
    """The guide field computed pixel by pixel and channel by channel, with plain loops."""
    (x0, y0), (h, w) = at, foreground.shape[:2]
    expected = image_gradient(background * 2 - 1).copy()
    fg = image_gradient(foreground * 2 - 1) * np.array([(30 - 1) / (h - 1), (30 - 1) / (w - 1)])  # to background pixels
    for i in range(h):
        for j in range(w):
            if not inside[i, j]:
                continue
            for c in range(3):
                ours, theirs = fg[i, j, c], expected[y0 + i, x0 + j, c]
                if guide == "foreground":
                    pick = ours
                elif guide == "average":
                    pick = 0.5 * (ours + theirs)
                else:  # mixed: the stronger of the two gradients, as a vector per channel
                    pick = ours if np.hypot(*ours) > np.hypot(*theirs) else theirs
                expected[y0 + i, x0 + j, c] = pick
    return expected


@pytest.mark.parametrize("guide", ["foreground", "average", "mixed"])
def test_blend_guide_field_matches_a_pixelwise_reference(guide):
    task, background, foreground, inside = _blend(guide)
    expected = _reference_guide(background, foreground, inside, guide)
    np.testing.assert_allclose(task.guide, expected, rtol=1e-6, atol=1e-6)


def test_blend_guides_differ_where_they_should():
    """average lies halfway between the other two inside the mask; mixed takes the foreground where it is stronger."""
    tasks = {g: _blend(g)[0] for g in ("foreground", "average", "mixed")}
    _, background, _, inside = _blend("foreground")
    mask = tasks["foreground"].mask
    bg = image_gradient(background * 2 - 1)
    np.testing.assert_allclose(tasks["average"].guide[mask], 0.5 * (tasks["foreground"].guide[mask] + bg[mask]), rtol=1e-6, atol=1e-6)
    stronger = np.linalg.norm(tasks["foreground"].guide[mask], axis=-1) > np.linalg.norm(bg[mask], axis=-1)
    assert 0.1 < stronger.mean() < 0.99  # both cases occur, so the choice is exercised
    mixed = tasks["mixed"].guide[mask]
    np.testing.assert_array_equal(mixed[stronger], tasks["foreground"].guide[mask][stronger])
    np.testing.assert_array_equal(mixed[~stronger], bg[mask][~stronger])
    for task in tasks.values():  # outside the mask every guide is the background's gradient
        np.testing.assert_array_equal(task.guide[~mask], bg[~mask])


def test_blend_average_fit_follows_the_averaged_guide():
    """A tiny fit with --guide average: its gradient inside the mask is closer to the average than to either source."""
    task, background, _, _ = _blend("average")
    field = sk.build_field(sk.FieldConfig(hidden_features=64, hidden_layers=3, out_features=3), seed=0)
    metrics = sk.fit(field, task, steps=300, device="cpu", eval_every=300).metrics
    _, grads = task.reconstruct(field)
    mask = task.mask & _interior(task.mask)
    foreground_guide = _blend("foreground")[0].guide
    sources = {"average": task.guide, "foreground": foreground_guide, "background": image_gradient(background * 2 - 1)}
    errors = {name: np.abs(grads[mask] - g[mask]).mean() for name, g in sources.items()}
    assert errors["average"] < 0.6 * min(errors["foreground"], errors["background"]), errors
    assert metrics["psnr_background"] >= 30.0, metrics


def _interior(mask: np.ndarray) -> np.ndarray:
    """Pixels whose 3x3 neighbourhood lies inside the mask (the Sobel stencil does not cross its edge)."""
    inner = mask.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            inner &= np.roll(np.roll(mask, dy, 0), dx, 1)
    return inner
