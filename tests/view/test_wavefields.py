"""Helmholtz and wave pictures against the velocity model, |u| = hypot(re, im), and the field evaluated at (t, x, y)."""

from __future__ import annotations

import io

import imageio.v3 as iio
import numpy as np
import torch

from sirenkit.io.checkpoint import load
from sirenkit.render import evaluate_points
from sirenkit.samplers import grid
from sirenkit.tasks.helmholtz import velocity_model
from sirenkit.view import ViewServer
from sirenkit.view.pixels import lookup_table

from .conftest import Client

N = 64


def _decoded(client: Client, path: str, colormap: str) -> np.ndarray:
    """The picture mapped back to values through its colour map and the range the server sent."""
    status, body, _ = client.get(path)
    assert status == 200, body
    pixels = iio.imread(io.BytesIO(body))[..., :3].astype(np.float32) / 255.0
    table = lookup_table(colormap)
    index = ((pixels.reshape(-1, 1, 3) - table[None]) ** 2).sum(-1).argmin(-1)
    return index.reshape(pixels.shape[:2]) / 255.0


def _range(server: ViewServer, path: str) -> tuple[float, float]:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    low, high = (float(v) for v in response.getheader("X-Value-Range").split(","))
    connection.close()
    return low, high


def test_velocity_layer_is_the_medium(wave_server: ViewServer) -> None:
    client = Client(wave_server.url)
    path = f"/api/runs/0/field.png?layer=velocity&resolution={N}"
    low, high = _range(wave_server, path)
    shown = low + _decoded(client, path, "viridis") * (high - low)
    truth = velocity_model("circle", grid((N, N))).reshape(N, N).numpy()
    assert (low, high) == (float(truth.min()), float(truth.max()))
    assert (np.abs(shown - truth) < 0.02 * (high - low)).mean() > 0.99


def test_magnitude_is_hypot_of_real_and_imaginary(wave_server: ViewServer) -> None:
    client = Client(wave_server.url)
    parts = {}
    for layer, colormap in (("real", "RdBu_r"), ("imag", "RdBu_r"), ("magnitude", "inferno")):
        path = f"/api/runs/0/field.png?layer={layer}&resolution={N}"
        low, high = _range(wave_server, path)
        parts[layer] = (low + _decoded(client, path, colormap) * (high - low), high - low)
    magnitude, span = parts["magnitude"]
    expected = np.hypot(parts["real"][0], parts["imag"][0])
    assert np.abs(magnitude - expected).mean() < 0.02 * span


def test_wave_time_slider_evaluates_at_t_first(wave_server: ViewServer, wave_run) -> None:
    field = load(wave_run)
    xy = grid((N, N))
    for t in (0.0, 0.3):
        low, high = _range(wave_server, f"/api/runs/1/field.png?layer=u&resolution={N}&t={t}")
        expected = evaluate_points(field, torch.cat([torch.full((len(xy), 1), t), xy], dim=1)).abs().max()
        assert abs(high - float(expected)) < 1e-5 * max(1.0, float(expected)) and low == -high
