"""PNG encoding and colour maps shared by every rendered layer, spectrogram and slice."""

from __future__ import annotations

import functools
import io

import imageio.v3 as iio
import numpy as np


def to_uint8(image: np.ndarray) -> np.ndarray:
    """[0, 1] floats to bytes exactly as `sirenkit render` quantises (rint after clipping)."""
    return np.rint(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def png_bytes(image: np.ndarray) -> bytes:
    """An (H, W), (H, W, 1) or (H, W, 3) image in [0, 1] (or uint8) as PNG bytes."""
    pixels = image if image.dtype == np.uint8 else to_uint8(image)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    buffer = io.BytesIO()
    iio.imwrite(buffer, pixels, extension=".png")
    return buffer.getvalue()


@functools.cache
def lookup_table(name: str) -> np.ndarray:
    """A matplotlib colour map as a (256, 3) float table."""
    from matplotlib import colormaps

    return colormaps[name](np.linspace(0.0, 1.0, 256))[:, :3].astype(np.float32)


def apply_colormap(values: np.ndarray, name: str, low: float, high: float) -> np.ndarray:
    """Map values in [low, high] (clipped) through a colour map to an RGB float image."""
    scaled = (np.asarray(values, dtype=np.float32) - low) / max(high - low, 1e-12)
    index = np.rint(np.clip(np.nan_to_num(scaled), 0.0, 1.0) * 255.0).astype(np.intp)
    return lookup_table(name)[index]


def colorbar_png(name: str, width: int = 256, height: int = 12) -> bytes:
    """The colour map as a horizontal bar, low on the left."""
    row = lookup_table(name)[np.linspace(0, 255, width).round().astype(np.intp)]
    return png_bytes(np.broadcast_to(row, (height, width, 3)).copy())
