"""EXIF orientation: a phone photo stored sideways with an orientation tag loads upright."""

import numpy as np
import pytest
from PIL import Image, ImageOps

from sirenkit.io.image import load_image

ORIENTATION = 0x0112


def write_photo(path, orientation):
    """A 16x32 JPEG: white left half, black right half, grey top-left corner block; tagged with `orientation`."""
    pixels = np.zeros((16, 32, 3), np.uint8)
    pixels[:, :16] = 255
    pixels[:8, :8] = 128
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    Image.fromarray(pixels).save(path, quality=95, exif=exif)
    return path


def test_orientation_6_is_turned_a_quarter_clockwise(tmp_path):
    image = load_image(write_photo(tmp_path / "phone.jpg", 6))[..., 0]
    assert image.shape == (32, 16)  # stored landscape, shown portrait
    assert image[9:14].mean() > 0.9 and image[:6, :6].mean() > 0.9 and image[20:].mean() < 0.1  # the white left half is on top
    assert abs(image[2:6, 10:14].mean() - 0.5) < 0.05  # and the grey top-left corner is top right


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_matches_pillows_exif_transpose(tmp_path, orientation):
    path = write_photo(tmp_path / f"o{orientation}.jpg", orientation)
    with Image.open(path) as im:
        expected = np.asarray(ImageOps.exif_transpose(im), dtype=np.float32) / 255.0
    np.testing.assert_array_equal(load_image(path), expected)
