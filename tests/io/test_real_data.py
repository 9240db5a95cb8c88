"""The real audio, video and mesh files read through sirenkit.io, a short slice each, against independent readings.

Counts come from the files' own headers (RIFF chunks, PLY element lines, the container's duration),
read here without the libraries sirenkit.io uses, so a reader that drops, duplicates or reorders
samples, frames or vertices fails.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sirenkit.errors import ConfigError
from sirenkit.io.audio import load_audio
from sirenkit.io.pointcloud import load_mesh, load_surface
from sirenkit.io.video import load_video

REPO = Path(__file__).resolve().parents[2]


def _riff_chunks(path: Path) -> dict[bytes, bytes]:
    """The chunks of a RIFF/WAVE file by id, parsed with struct alone."""
    raw = path.read_bytes()
    assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE"
    chunks, at = {}, 12
    while at + 8 <= len(raw):
        name, size = raw[at : at + 4], struct.unpack("<I", raw[at + 4 : at + 8])[0]
        chunks[name] = raw[at + 8 : at + 8 + size]
        at += 8 + size + (size & 1)
    return chunks


def _ply_elements(path: Path) -> dict[str, int]:
    """'element NAME COUNT' lines of a PLY header."""
    counts = {}
    with open(path, "rb") as f:
        for line in f:
            words = line.decode("ascii", "replace").split()
            if words[:1] == ["element"]:
                counts[words[1]] = int(words[2])
            if words[:1] == ["end_header"]:
                return counts
    raise AssertionError(f"{path}: no end_header")


def test_bach_wav_rate_channels_length_and_samples(data_dir):
    path = data_dir / "audio" / "gt_bach.wav"
    samples, rate = load_audio(path)
    chunks = _riff_chunks(path)
    fmt_code, channels, header_rate = struct.unpack("<HHI", chunks[b"fmt "][:8])
    raw = np.frombuffer(chunks[b"data"], dtype="<f4")  # fmt 3: 32-bit IEEE float, interleaved
    assert (fmt_code, channels, header_rate) == (3, 1, 44100)
    assert rate == 44100 and samples.shape == (len(raw), 1) and samples.dtype == np.float32
    assert 6.9 < len(samples) / rate < 7.1  # the data README: 7 s of Bach
    middle = slice(len(raw) // 2, len(raw) // 2 + 2000)  # a short slice where the music is playing
    np.testing.assert_array_equal(samples[middle, 0], raw[middle])
    assert np.abs(raw[middle]).max() > 0.01


def test_bikes_mp4_short_slice_size_rate_and_frame_count(data_dir):
    path = data_dir / "video" / "bikes.mp4"
    clip, fps = load_video(path, frames="10:14")
    assert clip.shape == (4, 272, 640, 3) and clip.dtype == np.uint8 and fps == 25.0
    assert clip.std() > 10  # real pictures, not a blank decode
    assert not np.array_equal(clip[0], clip[3])  # consecutive slice of a moving scene
    # the slice is where a longer read puts it: frames 10..13 of 0..13
    longer, _ = load_video(path, frames="8:14")
    np.testing.assert_array_equal(longer[2:], clip)
    # 10 s at 25 fps: the last two frames exist, one past the end is refused naming the count
    assert load_video(path, frames="248:250")[0].shape[0] == 2
    with pytest.raises(ConfigError, match="has 250 frames"):
        load_video(path, frames="249:251")
    small, _ = load_video(path, frames="0:2", size=(0, 160))
    assert small.shape == (2, 68, 160, 3)  # aspect kept: 272 / 640 * 160


def test_bunny_mesh_counts_and_surface_samples(data_dir):
    path = data_dir / "meshes" / "bunny.ply"
    header = _ply_elements(path)
    mesh = load_mesh(path)
    assert header == {"vertex": 35947, "face": 69451}
    assert len(mesh.vertices) == 35947 and len(mesh.faces) == 69451
    surface = load_surface(path, samples=2000, seed=0)
    assert surface.points.shape == (2000, 3) and surface.normals.shape == (2000, 3)
    np.testing.assert_allclose(np.linalg.norm(surface.normals, axis=1), 1.0, atol=1e-5)
    lo, hi = mesh.bounds
    assert np.all(surface.points >= lo - 1e-6) and np.all(surface.points <= hi + 1e-6)


def test_bunny_raw_scan_points_without_normals(data_dir):
    path = data_dir / "meshes" / "bunny_scan000.ply"
    header = _ply_elements(path)
    scan = load_surface(path, estimate=False)
    assert header["vertex"] == 40256 and "face" not in header
    assert scan.points.shape == (40256, 3) and scan.normals is None
    first = _first_ply_vertex(path)
    np.testing.assert_allclose(scan.points[0], first, rtol=1e-6)
    # the same bunny as bun_zipper, in metres: about 15 cm across
    extent = scan.points.max(0) - scan.points.min(0)
    assert 0.1 < extent.max() < 0.2


def _first_ply_vertex(path: Path) -> np.ndarray:
    with open(path, "rb") as f:
        for line in f:
            if line.strip() == b"end_header":
                return np.array([float(v) for v in f.readline().split()[:3]])
    raise AssertionError(f"{path}: no end_header")


def test_ci_fails_instead_of_skipping_when_the_data_is_missing(tmp_path):
    """With CI=true a missing data folder errors the data tests (exit 1); without CI they skip (exit 0)."""
    target = f"{Path(__file__).relative_to(REPO)}::test_bunny_raw_scan_points_without_normals"
    base = {k: v for k, v in os.environ.items() if k != "CI"} | {"SIRENKIT_DATA": str(tmp_path / "missing")}
    runs = {}
    for ci in ("true", None):
        env = base | ({"CI": ci} if ci else {})
        runs[ci] = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target], cwd=REPO, env=env,
                                  capture_output=True, text=True, timeout=120)
    assert runs["true"].returncode == 1, runs["true"].stdout[-2000:]
    assert "CI=true: the data tests must run" in runs["true"].stdout
    assert runs[None].returncode == 0 and "1 skipped" in runs[None].stdout, runs[None].stdout[-2000:]
