"""Quality metrics, all on images scaled to [0, 1] (the paper's convention)."""

from __future__ import annotations

import numpy as np
from skimage.metrics import structural_similarity


def psnr(pred: np.ndarray, target: np.ndarray, *, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB; inf for a perfect match.

    Computed in float64 from the mean squared error, so it is not capped by float32 rounding.
    """
    mse = float(np.mean((np.asarray(pred, np.float64) - np.asarray(target, np.float64)) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range**2 / mse))


def ssim(pred: np.ndarray, target: np.ndarray, *, data_range: float = 1.0) -> float:
    """Structural similarity (scikit-image) of two (H, W) or (H, W, C) images.

    The window shrinks to the largest odd size that fits, so tiny test images work too.
    """
    pred, target = np.asarray(pred, np.float64), np.asarray(target, np.float64)
    win = min(7, min(target.shape[:2]))
    win -= 1 - win % 2
    if win < 3:
        return float("nan")
    channel_axis = -1 if target.ndim == 3 else None
    return float(structural_similarity(pred, target, data_range=data_range, channel_axis=channel_axis, win_size=win))
