"""Image task: loading, metrics, and fitting floors on a real image."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest

import sirenkit as sk
from sirenkit.io.image import load_image
from sirenkit.tasks import ImageTask


def test_fit_siren_floor_and_margin_over_relu(camera_crop, device):
    task = ImageTask(camera_crop)
    psnrs = {}
    for activation in ("sine", "relu"):
        field = sk.build_field(sk.FieldConfig(activation=activation, hidden_features=64, hidden_layers=3), seed=0)
        psnrs[activation] = sk.fit(field, task, steps=300, device=device.type, eval_every=300).metrics["psnr"]
    # Measured (seeds 0/1): SIREN 51.4/52.1 dB, ReLU 21.3/21.0 dB after 300 steps at the defaults.
    assert psnrs["sine"] >= 45.0
    assert psnrs["sine"] - psnrs["relu"] >= 5.0


def test_values_metrics_of_a_perfect_and_a_noisy_fit(camera_crop):
    assert sk.metrics.psnr(camera_crop, camera_crop) == float("inf")
    noisy = camera_crop + 0.01
    assert sk.metrics.psnr(noisy, camera_crop) == pytest.approx(40.0, abs=1e-4)
    assert sk.metrics.ssim(camera_crop, camera_crop) == pytest.approx(1.0)


@pytest.mark.parametrize(("mode", "channels"), [("L", 1), ("RGB", 3), ("RGBA", 4)])
def test_load_image_file_modes(tmp_path, mode, channels):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(20, 30, channels), dtype=np.uint8)
    path = tmp_path / f"x_{mode}.png"
    iio.imwrite(path, pixels[..., 0] if channels == 1 else pixels)
    image = load_image(path)
    assert image.shape == (20, 30, channels)
    np.testing.assert_allclose(image * 255, pixels, atol=1e-3)
    assert load_image(path, size=15).shape == (10, 15, channels)  # longer side 15, aspect kept
    task = ImageTask(image)
    assert task.out_features == channels


def test_load_builtin_alias_and_16bit(tmp_path):
    np.testing.assert_array_equal(load_image("cameraman"), load_image("camera"))
    deep = (np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16)
    path = tmp_path / "deep.png"
    iio.imwrite(path, deep)
    assert load_image(path).max() == pytest.approx(deep.max() / 65535, rel=1e-6)


def test_errors(tmp_path):
    with pytest.raises(sk.DataError, match="no such image file"):
        load_image(tmp_path / "missing.png")
    (tmp_path / "corrupt.png").write_bytes(b"not a png at all")
    with pytest.raises(sk.DataError, match="cannot read it as an image"):
        load_image(tmp_path / "corrupt.png")
    with pytest.raises(sk.ConfigError, match="did you mean 'camera'"):
        load_image("camra")
    with pytest.raises(sk.ConfigError, match="NaN"):
        ImageTask(np.full((4, 4), np.nan))
    with pytest.raises(sk.ConfigError, match="expected"):
        ImageTask(np.zeros((1, 8)))
