"""Reading and writing images: files or scikit-image's built-in pictures."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import skimage.data
from skimage.transform import resize

from sirenkit.budget import check_memory, grid_points
from sirenkit.errors import ConfigError, DataError, did_you_mean

IMAGE_BYTES_PER_VALUE = 48
"""Bytes an image fit holds per pixel and channel: the float64 resize, the float32 image and training targets, the
coordinates, the rendered reconstruction, and its gradient and Laplacian panels."""

BUILTIN_IMAGES = {
    "camera": "camera", "cameraman": "camera", "astronaut": "astronaut", "coffee": "coffee",
    "chelsea": "chelsea", "cat": "cat", "moon": "moon", "brick": "brick", "grass": "grass",
    "gravel": "gravel", "coins": "coins", "text": "text", "page": "page", "rocket": "rocket",
    "horse": "horse", "retina": "retina", "immunohistochemistry": "immunohistochemistry",
}


def load_image(source: str | Path, *, size: int | None = None) -> np.ndarray:
    """An image as float32 (H, W, C) in [0, 1], from a file or a built-in name.

    Args:
        source: a PNG/JPEG/TIFF/BMP path, or a scikit-image name ('camera', alias 'cameraman';
            'astronaut', 'coffee', 'chelsea', ...). A JPEG/PNG/WebP's EXIF orientation is applied, so a
            phone photo comes out upright.
        size: if given, resize (anti-aliased) so the longer side is `size` pixels, keeping the aspect.

    Raises:
        DataError: missing or unreadable file, or a file that is not an image.
        ConfigError: unknown built-in name, or a non-positive size.
    """
    source_str = str(source)
    if source_str in BUILTIN_IMAGES:
        image = getattr(skimage.data, BUILTIN_IMAGES[source_str])()
    elif Path(source_str).suffix or Path(source_str).exists() or "/" in source_str:
        path = Path(source_str)
        if not path.is_file():
            raise DataError(f"{path}: no such image file; check the path, or use a built-in name such as 'camera'.")
        try:
            image = _read_upright(path)
        except Exception as exc:  # imageio raises many types for a corrupt file
            raise DataError(f"{path}: cannot read it as an image ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                            "pass a valid PNG, JPEG, TIFF or BMP file.") from None
    else:
        names = sorted(BUILTIN_IMAGES)
        raise ConfigError(f"unknown built-in image '{source_str}'{did_you_mean(source_str, names)}; "
                          f"choose one of: {', '.join(names)}, or pass an image file path.")
    return _to_float(image, source_str, size)


_EXIF_SUFFIXES = (".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".mpo")


def _read_upright(path: Path) -> np.ndarray:
    """The file's pixels as shown by a viewer: phone photos store them sideways plus an EXIF orientation tag."""
    if path.suffix.lower() in _EXIF_SUFFIXES:
        return iio.imread(path, plugin="pillow", rotate=True)
    return iio.imread(path)


def _to_float(image: np.ndarray, name: str, size: int | None) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 2, 3, 4) or min(image.shape[:2]) < 2:
        raise DataError(f"{name}: image of shape {image.shape} is not a 2-D grey, RGB or RGBA picture; "
                        "pass a single still image (an animation or volume is not supported).")
    if image.dtype == bool:
        image = image.astype(np.float32)
    elif np.issubdtype(image.dtype, np.integer):
        image = image.astype(np.float32) / np.iinfo(image.dtype).max
    else:
        image = image.astype(np.float32)
        if not np.isfinite(image).all():
            raise DataError(f"{name}: the image holds NaN or inf values; clean it or save it as 8-bit PNG.")
        lo, hi = float(image.min()), float(image.max())
        if lo < 0 or hi > 1:
            image = (image - lo) / max(hi - lo, 1e-12)
    if size is not None:
        if size < 2:
            raise ConfigError(f"size={size} must be >= 2 pixels; pass e.g. --size 256.")
        h, w = image.shape[:2]
        scale = size / max(h, w)
        shape = (max(2, round(h * scale)), max(2, round(w * scale)), image.shape[2])
        check_memory(f"an image of {shape[0]}x{shape[1]} pixels", grid_points(shape) * IMAGE_BYTES_PER_VALUE,
                     fix="pass a smaller --size (the paper fits 256 or 512).")
        if shape != image.shape:
            image = resize(image, shape, anti_aliasing=scale < 1, preserve_range=True).astype(np.float32)
    return np.clip(image, 0.0, 1.0)


def save_image(path: str | Path, image: np.ndarray) -> Path:
    """Write a float image in [0, 1] ((H, W) or (H, W, C)) as 8-bit PNG, atomically."""
    from sirenkit.io.run_dir import atomic_path

    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    pixels = np.empty(image.shape, dtype=np.uint8)
    for rows in range(0, len(image), 256):  # in bands, so a 4096^2 render needs no extra full-size copies
        pixels[rows : rows + 256] = np.rint(np.clip(image[rows : rows + 256], 0.0, 1.0) * 255.0)
    path = Path(path)
    with atomic_path(path) as tmp:
        iio.imwrite(tmp, pixels, extension=path.suffix or ".png")
    return path
