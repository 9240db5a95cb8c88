"""Video task: tiny-video PSNR floor, bounded evaluation memory, export and render, bad inputs."""

from __future__ import annotations

import json
import weakref

import imageio.v3 as iio
import numpy as np
import pytest
import torch

import sirenkit as sk
from sirenkit.cli.main import main
from sirenkit.io.video import iter_video, load_video, write_video
from sirenkit.tasks import VideoTask

PSNR_FLOOR = 36.0


def moving_blob(frames: int = 4, h: int = 16, w: int = 16) -> np.ndarray:
    """A soft colour blob drifting right over a gradient, uint8 (T, H, W, 3)."""
    y, x = np.mgrid[0:h, 0:w] / np.array([h - 1, w - 1])[:, None, None]
    video = []
    for t in range(frames):
        blob = np.exp(-((x - 0.3 - 0.1 * t) ** 2 + (y - 0.5) ** 2) / 0.05)
        video.append(np.stack([blob, 0.5 * x, 1 - blob * y], -1))
    return np.rint(np.clip(video, 0, 1) * 255).astype(np.uint8)


def test_fit_tiny_video_psnr_floor(device):
    task = VideoTask(moving_blob())
    field = sk.build_field(sk.FieldConfig(in_features=3, out_features=3, hidden_features=64), seed=0)
    metrics = sk.fit(field, task, steps=300, device=device.type, eval_every=300, batch_size=512).metrics
    # Measured (seeds 0/1): 46.2/42.5 dB mean frame PSNR after 300 steps of 512 random pixels; floor 36 dB.
    assert metrics["psnr"] >= PSNR_FLOOR
    assert 0 <= metrics["psnr_std"] < 3 and metrics["ssim"] > 0.8


class _Probe(torch.nn.Module):
    """A field that records the largest batch it saw, whether grad was on, and how many of its outputs were alive at once."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 3)
        self.max_rows, self.max_alive, self.grad_seen, self._outputs = 0, 0, False, []

    def forward(self, coords):
        self._outputs = [ref for ref in self._outputs if ref() is not None]
        self.max_alive = max(self.max_alive, len(self._outputs))
        self.max_rows = max(self.max_rows, len(coords))
        self.grad_seen |= torch.is_grad_enabled()
        out = self.linear(coords)
        self._outputs.append(weakref.ref(out))
        return out


@pytest.mark.parametrize("frames", [4, 32])
def test_evaluation_memory_is_one_chunk_whatever_the_frame_count(frames):
    task = VideoTask(np.zeros((frames, 24, 24, 3), np.uint8), config=sk.tasks.VideoConfig(chunk_size=100))
    probe = _Probe()
    metrics = task.evaluate(probe)
    assert np.isfinite(metrics["psnr"])
    assert probe.max_rows <= 100  # one chunk per forward pass, never a frame or the video
    assert probe.max_alive <= 1  # at most the previous chunk is alive during a forward: nothing accumulates
    assert not probe.grad_seen


def test_cli_export_render_and_coords(tmp_path, capsys):
    write_video(tmp_path / "clip.mp4", moving_blob(6, 16, 24), fps=10, size=(16, 24))
    out = tmp_path / "run"
    assert main(["video", str(tmp_path / "clip.mp4"), "--frames", "1:5", "--steps", "20", "--hidden-features", "32",
                 "--quiet", "--out", str(out)]) == 0
    for name in ("reconstruction.mp4", "frames.png", "frame_psnr.png", "video.json"):
        assert (out / name).is_file()
    assert json.loads((out / "video.json").read_text()) == {"frames": 4, "height": 16, "width": 24, "channels": 3, "fps": 10.0}
    assert [f.shape for f in iter_video(out / "reconstruction.mp4")] == [(16, 24, 3)] * 4
    assert iio.imread(out / "frames.png").ndim == 3  # a labelled figure; its labels are tested in tests/test_plots.py
    assert main(["render", str(out), "--frames", "9", "--size", "8", "12", "--out", str(tmp_path / "slow.mp4")]) == 0
    assert [f.shape for f in iter_video(tmp_path / "slow.mp4")] == [(8, 12, 3)] * 9
    capsys.readouterr()
    for flag, value in (("--frames", "0"), ("--fps", "0"), ("--fps", "nan")):  # a given 0 is not "the clip's"
        assert main(["render", str(out), flag, value, "--out", str(tmp_path / "bad.mp4")]) == 2
        err = capsys.readouterr().err
        assert flag in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bad.mp4").exists()
    task = VideoTask(np.zeros((3, 2, 5, 1), np.uint8))
    corners = task.coords_of(torch.tensor([0, 4, 5, 29]))
    torch.testing.assert_close(corners, torch.tensor([[-1.0, -1, -1], [-1, -1, 1], [-1, 1, -1], [1, 1, 1]]))


def test_errors(tmp_path, capsys):
    (tmp_path / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    with pytest.raises(sk.DataError, match="cannot decode it as video"):
        load_video(tmp_path / "corrupt.mp4")
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(4):
        iio.imwrite(frames / f"{i:02d}.png", np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(sk.ConfigError, match="outside frames, which has 4 frames"):
        load_video(frames, frames="2:10")
    write_video(tmp_path / "clip.mp4", moving_blob(4), fps=10, size=(16, 16))
    with pytest.raises(sk.ConfigError, match="has 4 frames"):
        load_video(tmp_path / "clip.mp4", frames="5:7")
    with pytest.raises(sk.ConfigError, match="not a range A:B"):
        load_video(frames, frames="3")
    iio.imwrite(frames / "04.png", np.zeros((8, 9, 3), np.uint8))
    with pytest.raises(sk.DataError, match="frames have different sizes"):
        load_video(frames)
    assert main(["video", str(tmp_path / "corrupt.mp4"), "--out", str(tmp_path / "r")]) == 2
    assert "corrupt.mp4: cannot decode it as video" in capsys.readouterr().err
