"""Tiny runs made with the real CLI, and a viewer server started in-process on a free port."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import soundfile

from sirenkit.cli.main import main
from sirenkit.view import ViewServer

AUDIO_RATE = 8000


def _fit(*argv: str) -> None:
    assert main([*argv, "--quiet"]) == 0


@pytest.fixture(scope="session")
def image_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "image-camera"
    _fit("image", "--size", "32", "--steps", "20", "--hidden-features", "32", "--out", str(out))
    return out


@pytest.fixture(scope="session")
def audio_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("audio")
    t = np.arange(int(0.25 * AUDIO_RATE)) / AUDIO_RATE
    clip = 0.6 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1250 * t)
    soundfile.write(folder / "tones.wav", clip.astype(np.float32), AUDIO_RATE)
    out = folder / "audio-tones"
    _fit("audio", str(folder / "tones.wav"), "--steps", "20", "--hidden-features", "32", "--out", str(out))
    return out


@pytest.fixture(scope="session")
def sdf_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "sdf-sphere"
    _fit("sdf", "--steps", "20", "--hidden-features", "32", "--samples", "5000", "--resolution", "32",
         "--metric-samples", "1000", "--out", str(out))
    return out


PRIOR_TINY = ("--size", "16", "--hidden-features", "16", "--hidden-layers", "2", "--latent-features", "16", "--encoder-features", "16",
              "--hyper-hidden-features", "16", "--context-max", "200", "--batch-size", "16", "--lr", "1e-3", "--device", "cpu")


@pytest.fixture(scope="session")
def prior_run(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A modulated prior on 16x16 faces, 100 steps (about 25 s on 2 cores): it beats the mean face (tests/prior)."""
    out = tmp_path_factory.mktemp("runs") / "prior-modulated"
    _fit("prior-train", "--model", "modulated", "--steps", "100", *PRIOR_TINY, "--faces", str(data_dir / "faces" / "olivettifaces.mat"),
         "--out", str(out))
    return out


class Client:
    """Raw HTTP requests to the server (paths sent exactly as written: no client-side normalising)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    def get(self, path: str, method: str = "GET") -> tuple[int, bytes, str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            return response.status, response.read(), response.getheader("Content-Type", "")
        finally:
            connection.close()


def start_server(runs: list[Path]) -> tuple[ViewServer, threading.Thread]:
    server = ViewServer(runs, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def serving(runs: list[Path]) -> Iterator[ViewServer]:
    """A server over `runs` for a fixture to yield from; shut down and joined when the fixture ends."""
    server, thread = start_server(runs)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def view_server(image_run: Path, audio_run: Path, sdf_run: Path) -> Iterator[ViewServer]:
    """One server over the three runs: 0 image, 1 audio, 2 sdf."""
    yield from serving([image_run, audio_run, sdf_run])


@pytest.fixture(scope="session")
def client(view_server: ViewServer) -> Client:
    return Client(view_server.url)


@pytest.fixture(scope="session")
def helmholtz_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "helmholtz-circle"
    _fit("helmholtz", "--velocity", "circle", "--steps", "3", "--hidden-features", "32", "--batch-size", "256",
         "--reference-size", "41", "--residual-size", "33", "--out", str(out))
    return out


@pytest.fixture(scope="session")
def wave_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "wave-pulse"
    _fit("wave", "--steps", "3", "--hidden-features", "32", "--points", "256", "--initial-points", "128", "--frame-size", "33",
         "--out", str(out))
    return out


@pytest.fixture(scope="session")
def dirichlet_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DeepXDE's unit-square Helmholtz problem, hard boundary (u = (1 - c1²)(1 - c2²)·N), 2 steps."""
    out = tmp_path_factory.mktemp("runs") / "helmholtz-dirichlet"
    _fit("helmholtz", "--problem", "dirichlet", "--steps", "2", "--hidden-features", "8", "--out", str(out))
    return out


@pytest.fixture(scope="session")
def dirichlet_soft_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same problem with a soft boundary: u is the network itself."""
    out = tmp_path_factory.mktemp("runs") / "helmholtz-dirichlet-soft"
    _fit("helmholtz", "--problem", "dirichlet", "--boundary", "soft", "--steps", "2", "--hidden-features", "8", "--out", str(out))
    return out


@pytest.fixture(scope="session")
def dirichlet_server(dirichlet_run: Path, dirichlet_soft_run: Path, helmholtz_run: Path) -> Iterator[ViewServer]:
    """0 dirichlet (hard), 1 dirichlet (soft), 2 helmholtz (pml)."""
    yield from serving([dirichlet_run, dirichlet_soft_run, helmholtz_run])


@pytest.fixture(scope="session")
def wave_server(helmholtz_run: Path, wave_run: Path) -> Iterator[ViewServer]:
    """0 helmholtz, 1 wave."""
    yield from serving([helmholtz_run, wave_run])


@pytest.fixture(scope="session")
def video_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6-frame 16 x 16 clip of a square moving right, fitted briefly."""
    import imageio.v3 as iio

    folder = tmp_path_factory.mktemp("video")
    (folder / "frames").mkdir()
    for k in range(6):
        frame = np.full((16, 16, 3), 30, np.uint8)
        frame[5:11, 2 + 2 * k : 6 + 2 * k] = (230, 180, 40)
        iio.imwrite(folder / "frames" / f"{k:02d}.png", frame)
    out = folder / "video-square"
    _fit("video", str(folder / "frames"), "--steps", "5", "--hidden-features", "32", "--batch-size", "512", "--out", str(out))
    return out


@pytest.fixture(scope="session")
def prior_server(prior_run: Path) -> Iterator[ViewServer]:
    yield from serving([prior_run])


@pytest.fixture(scope="session")
def video_server(video_run: Path) -> Iterator[ViewServer]:
    yield from serving([video_run])
