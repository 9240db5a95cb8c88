"""What the viewer renders, against independent references: `sirenkit render`, finite differences, the clip itself."""

from __future__ import annotations

import io
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import soundfile
import torch

from sirenkit.cli.main import main
from sirenkit.io.checkpoint import load
from sirenkit.render import render_image
from sirenkit.tasks.audio import render_audio
from sirenkit.view import ViewServer
from sirenkit.view.sdf import slice_values
from sirenkit.view.tiles import TILE, LRUBytes, Pyramid, bicubic

from .conftest import AUDIO_RATE, Client


def _png(body: bytes) -> np.ndarray:
    return iio.imread(io.BytesIO(body)).astype(int)


def test_every_tile_of_a_level_equals_sirenkit_render(client: Client, image_run: Path, tmp_path: Path) -> None:
    """16x the training size is 512 px, 2 x 2 tiles: stitched, they are the CLI's 512 x 512 render."""
    pyramid = Pyramid(32, 32)
    level = pyramid.level_of_zoom(16)
    assert pyramid.level_size(level) == (512, 512)
    assert main(["render", str(image_run), "--size", "512", "512", "--out", str(tmp_path / "r.png")]) == 0
    reference = iio.imread(tmp_path / "r.png").astype(int)
    stitched = np.zeros_like(reference)
    for y in range(2):
        for x in range(2):
            status, body, _ = client.get(f"/api/runs/0/tile.png?layer=phi&level={level}&x={x}&y={y}")
            assert status == 200
            stitched[y * TILE : (y + 1) * TILE, x * TILE : (x + 1) * TILE] = _png(body)
    assert np.abs(stitched - reference).max() <= 1


def test_partial_edge_tiles_of_a_non_square_pyramid() -> None:
    """A 20 x 30 image: the deepest level is 5120 x 7680, level sizes halve rounding up, edge tiles are cropped."""
    pyramid = Pyramid(20, 30)
    assert pyramid.max_level == 13 and pyramid.level_size(13) == (5120, 7680)
    assert pyramid.level_size(2) == (3, 4) and pyramid.level_size(0) == (1, 1)
    level = pyramid.level_of_zoom(2)  # 40 x 60: one tile of 40 x 60
    assert pyramid.level_size(level) == (40, 60) and pyramid.tile_box(level, 0, 0) == (0, 0, 40, 60)
    coords = pyramid.coords(level, (0, 0, 40, 60)).reshape(40, 60, 2)
    assert torch.equal(coords[:, 0, 0], torch.linspace(-1, 1, 40)) and torch.equal(coords[0, :, 1], torch.linspace(-1, 1, 60))


def test_gradient_layer_matches_finite_differences(client: Client, image_run: Path, view_server: ViewServer) -> None:
    tiles = view_server.runs[0].image()
    level = tiles.pyramid.level_of_zoom(8)
    status, body, _ = client.get(f"/api/runs/0/tile.png?layer=grad&level={level}&x=0&y=0")
    shown = _png(body)[..., 0] / 255.0 * tiles.grad_scale  # the gray colour map is linear from 0 to grad_scale
    n, fine = 256, 4  # finite differences on a 4x finer grid whose every 4th point is a tile pixel: accurate for any field
    field = load(image_run)
    m = (n - 1) * fine + 1
    values = render_image(field, (m, m))[..., 0] * 2.0 - 1.0  # back to the field's own units
    dy, dx = np.gradient(values, 2.0 / (m - 1))
    expected = np.clip(np.hypot(dy, dx)[::fine, ::fine], 0.0, tiles.grad_scale)
    inner = (slice(2, -2), slice(2, -2))
    assert np.abs(shown - expected)[inner].mean() < 0.02 * tiles.grad_scale
    assert np.corrcoef(shown[inner].ravel(), expected[inner].ravel())[0, 1] > 0.97


def test_bicubic_layer_interpolates_the_training_image(view_server: ViewServer) -> None:
    tiles = view_server.runs[0].image()
    reference = tiles.reference
    coords = tiles.pyramid.coords(tiles.pyramid.level_of_zoom(1), (0, 0, 32, 32))
    assert np.allclose(bicubic(reference, coords).reshape(reference.shape), reference, atol=1e-5)  # passes through the pixels
    between = torch.tensor([[-1.0 + 1.0 / 31, -1.0]])  # half way between rows 0 and 1 of column 0
    value = bicubic(reference, between)[0, 0]
    assert min(reference[0, 0, 0], reference[1, 0, 0]) - 0.05 <= value <= max(reference[0, 0, 0], reference[1, 0, 0]) + 0.05


def test_psnr_readout_is_the_runs_psnr(view_server: ViewServer, image_run: Path) -> None:
    import json

    summary = json.loads((image_run / "metrics.json").read_text())
    assert abs(view_server.runs[0].image().psnr - summary["psnr"]) < 1e-3


def test_lru_cache_stays_within_its_byte_budget() -> None:
    cache = LRUBytes(max_bytes=1000)
    made = []
    for key in range(20):
        cache.get_or_make(key, lambda key=key: made.append(key) or bytes(300))
    assert sum(len(v) for v in cache._items.values()) <= 1000 and list(cache._items) == [17, 18, 19]
    cache.get_or_make(19, lambda: made.append("again") or b"")
    assert "again" not in made


def test_fit_at_another_rate_is_the_field_sampled_there(client: Client, audio_run: Path) -> None:
    status, body, content_type = client.get("/api/runs/1/audio/clip.wav?which=fit&rate=16000&duration=0.5")
    assert status == 200 and content_type == "audio/wav"
    samples, rate = soundfile.read(io.BytesIO(body), dtype="float32")
    assert rate == 16000 and len(samples) == 8000
    scale = float(np.abs(soundfile.read(audio_run.parent / "tones.wav", dtype="float32")[0]).max())
    expected = np.clip(render_audio(load(audio_run), 8000)[:, 0] * scale, -1, 1)
    assert np.abs(samples - expected).max() <= 1.0 / 32767 + 1e-6


def test_original_clip_and_envelope_are_the_source(client: Client, audio_run: Path) -> None:
    source, _ = soundfile.read(audio_run.parent / "tones.wav", dtype="float32")
    status, body, _ = client.get("/api/runs/1/audio/clip.wav?which=original")
    samples, rate = soundfile.read(io.BytesIO(body), dtype="float32")
    assert status == 200 and rate == AUDIO_RATE and np.abs(samples - source).max() <= 1.0 / 32767 + 1e-6
    import json

    envelope = json.loads(client.get("/api/runs/1/audio/envelope?which=original&bins=16")[1])
    normalised = source / np.abs(source).max()
    assert np.allclose(envelope["max"][0], normalised[:125].max(), atol=1e-4)
    assert np.allclose(envelope["min"][-1], normalised[-125:].min(), atol=1e-4)


def test_sdf_slice_orientation(sdf_run: Path) -> None:
    """Pixel (row, col) of a z slice is the field at x = col, y = -row (image up is +y), z = position."""
    field = load(sdf_run)
    values = slice_values(field, "z", 0.3, 17)
    line = torch.linspace(-1, 1, 17)
    with torch.no_grad():
        for row, col in ((0, 0), (3, 12), (16, 5)):
            expected = field(torch.tensor([[line[col], -line[row], 0.3]]))[0, 0]
            assert torch.allclose(values[row, col], expected, atol=1e-5)
    x_slice = slice_values(field, "x", -0.2, 17)
    with torch.no_grad():
        assert torch.allclose(x_slice[2, 9], field(torch.tensor([[-0.2, line[9], -line[2]]]))[0, 0], atol=1e-5)
