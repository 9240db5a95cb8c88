"""`render(field, run, **options)`: offered by the tasks with a picture or a signal to resample, at any size or rate."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import sirenkit as sk
from sirenkit.io.audio import load_audio
from sirenkit.io.image import load_image
from sirenkit.io.video import load_video
from sirenkit.protocols import capability
from sirenkit.tasks import TASKS

RENDERING = ("image", "audio", "video", "poisson", "blend")


class _Offset(torch.nn.Module):
    """0.3 + a small linear map: a field with a constant a gradient fit cannot see."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.linear = torch.nn.Linear(in_features, out_features)

    def forward(self, coords):
        return 0.3 + 0.2 * torch.tanh(self.linear(coords))


def test_render_is_offered_exactly_by_the_tasks_that_render():
    assert sorted(n for n, spec in TASKS.items() if capability(spec.task, "render")) == sorted(RENDERING)


@pytest.mark.parametrize("name", ["image", "blend"])
def test_image_render_at_any_size_is_the_field_on_that_grid(name, tiny_task, tmp_path):
    field = _Offset(2, 3)
    [path] = TASKS[name].task.render(field, tmp_path, out=tmp_path / "big.png", size=(15, 9))
    with torch.no_grad():
        expected = ((field(sk.grid((15, 9))) + 1) / 2).clamp(0, 1).reshape(15, 9, 3).numpy()
    assert np.abs(load_image(path) - expected).max() <= 0.5 / 255 + 1e-6
    with pytest.raises(sk.ConfigError, match="ending in .png"):
        TASKS[name].task.render(field, tmp_path, out=tmp_path / "big.txt", size=(15, 9))
    with pytest.raises(sk.ConfigError, match="--size H W is required"):
        TASKS[name].task.render(field, tmp_path, out=tmp_path / "big.png")


def test_poisson_render_adds_back_what_the_gradient_cannot_see(tiny_task, tmp_path):
    task, field = tiny_task("poisson"), _Offset(2, 3)
    with pytest.raises(sk.ConfigError, match="no unseen.json"):
        task.render(field, tmp_path, out=tmp_path / "x.png", size=task.shape)
    task.export(field, tmp_path)
    [path] = task.render(field, tmp_path, out=tmp_path / "same.png", size=task.shape)
    assert np.abs(load_image(path) - load_image(tmp_path / "reconstruction.png")).max() <= 1 / 255 + 1e-6
    raw = task.reconstruct(field)["raw"]
    assert np.abs(raw - load_image(tmp_path / "reconstruction.png")).max() > 0.05  # the constant matters
    [big] = task.render(field, tmp_path, out=tmp_path / "big.png", size=(24, 20))
    assert load_image(big).shape == (24, 20, 3)


def test_audio_render_at_the_clips_rate_is_the_export_and_twice_the_rate_doubles_the_samples(tiny_task, tmp_path):
    task, field = tiny_task("audio"), _Offset(1, 1)
    task.export(field, tmp_path)
    [same] = task.render(field, tmp_path, out=tmp_path / "same.wav")
    samples, rate = load_audio(same)
    exported, exported_rate = load_audio(tmp_path / "reconstruction.wav")
    assert rate == exported_rate == 8000 and samples.shape == exported.shape
    np.testing.assert_allclose(samples, exported, atol=1e-4)
    [up] = task.render(field, tmp_path / "model.safetensors", out=tmp_path / "up.flac", sample_rate=16000)
    assert load_audio(up)[0].shape == (800, 1) and load_audio(up)[1] == 16000
    with pytest.raises(sk.ConfigError, match="sample rate"):
        task.render(field, tmp_path / "other" / "model.safetensors", out=tmp_path / "x.wav")


def test_video_render_takes_any_frame_count_and_size(tiny_task, tmp_path):
    task, field = tiny_task("video"), _Offset(3, 3)
    task.export(field, tmp_path)
    [same] = task.render(field, tmp_path, out=tmp_path / "same.mp4")
    frames, _ = load_video(same)
    exported, _ = load_video(tmp_path / "reconstruction.mp4")
    assert frames.shape == exported.shape == (3, 8, 8, 3)
    assert np.abs(frames.astype(int) - exported).max() <= 2
    [slow] = task.render(field, tmp_path, out=tmp_path / "slow.mp4", frames=7, size=(16, 12))
    assert load_video(slow)[0].shape == (7, 16, 12, 3)
    with pytest.raises(sk.ConfigError, match="ending in .mp4"):
        task.render(field, tmp_path, out=tmp_path / "x.gif")
