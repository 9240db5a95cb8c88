"""Finite-difference derivatives of a sampled image, in the units a field sees.

A field maps coordinates in [-1, 1] to values in [-1, 1], so a derivative per pixel is
multiplied by (n - 1) / 2 per axis. The reference code instead multiplies the image by 10
before a Sobel filter and by 1e4 before a Laplace filter: for a 256² image those factors are
0.63x and 0.62x the exact conversions (Sobel / 8 · 127.5 = 15.9 · Sobel, Laplace · 127.5² =
16256 · Laplace), i.e. the same idea rounded, and tied to one image size. sirenkit uses the exact
factor for any size, so a field fitted to these targets reproduces the image at its own scale.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from sirenkit.errors import ConfigError

GRADIENT_FILTERS = ("sobel", "central")


def _spacing(shape: tuple[int, ...]) -> tuple[float, float]:
    return 2.0 / max(shape[0] - 1, 1), 2.0 / max(shape[1] - 1, 1)


def image_gradient(values: np.ndarray, *, kind: str = "sobel") -> np.ndarray:
    """Per-channel gradient (d/dy, d/dx) of an (H, W, C) image, w.r.t. coordinates in [-1, 1].

    ``sobel`` is the reference code's target: the derivative smoothed with [1, 2, 1] across it.
    Inverted with its own stencil it gives the image back; a smooth field whose exact gradient
    matches it is a blurred image (benchmarks/bench_poisson_ceiling.py measures both).
    ``central`` is the plain central difference (one-sided at the border).

    Shape:
        values: (H, W, C); returns (H, W, C, 2)
    """
    if kind not in GRADIENT_FILTERS:
        raise ConfigError(f"gradient filter '{kind}' is unknown; choose one of {', '.join(GRADIENT_FILTERS)}.")
    hy, hx = _spacing(values.shape)
    values = np.asarray(values, np.float64)
    if kind == "sobel":  # scipy.ndimage.sobel per channel (its smoothing must not run along the channel axis)
        smooth = lambda v, axis: ndimage.correlate1d(v, [1.0, 2.0, 1.0], axis=axis, mode="reflect")  # noqa: E731
        diff = lambda v, axis: ndimage.correlate1d(v, [-1.0, 0.0, 1.0], axis=axis, mode="reflect")  # noqa: E731
        gy = smooth(diff(values, 0), 1) / (8.0 * hy)
        gx = smooth(diff(values, 1), 0) / (8.0 * hx)
    else:
        gy, gx = np.gradient(values, hy, axis=0), np.gradient(values, hx, axis=1)
    return np.stack([gy, gx], axis=-1).astype(np.float32)


def image_laplacian(values: np.ndarray) -> np.ndarray:
    """Per-channel 5-point Laplacian of an (H, W, C) image w.r.t. coordinates in [-1, 1].

    Mirror-reflected at the border like ``scipy.ndimage.laplace`` (the reference's target).

    Shape:
        values: (H, W, C); returns (H, W, C)
    """
    hy, hx = _spacing(values.shape)
    values = np.asarray(values, np.float64)
    second = [1.0, -2.0, 1.0]
    lap = ndimage.correlate1d(values, second, axis=0, mode="reflect") / hy**2
    lap += ndimage.correlate1d(values, second, axis=1, mode="reflect") / hx**2
    return lap.astype(np.float32)
