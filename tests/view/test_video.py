"""Video frames: the fit at N frames equals `render_video_frames`, the original is the clip, bad indices are 400."""

from __future__ import annotations

import io
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from sirenkit.io.checkpoint import load
from sirenkit.tasks.video import render_video_frames
from sirenkit.view import ViewServer

from .conftest import Client


def test_slow_motion_frame_is_the_field_at_that_time(video_server: ViewServer, video_run: Path) -> None:
    client = Client(video_server.url)
    expected = list(render_video_frames(load(video_run), 12, (16, 16)))  # 2x slow motion of 6 frames
    for k in (0, 5, 11):
        status, body, _ = client.get(f"/api/runs/0/video/frame.png?which=fit&frame={k}&frames=12")
        assert status == 200
        shown = iio.imread(io.BytesIO(body)).astype(int)
        assert np.abs(shown - np.rint(expected[k] * 255)).max() <= 1


def test_original_frame_is_the_clip(video_server: ViewServer, video_run: Path) -> None:
    status, body, _ = Client(video_server.url).get("/api/runs/0/video/frame.png?which=original&frame=3")
    assert status == 200
    assert np.array_equal(iio.imread(io.BytesIO(body)), iio.imread(video_run.parent / "frames" / "03.png"))


@pytest.mark.parametrize("query", ["which=original&frame=6", "which=fit&frame=12&frames=12", "which=fit&frame=0&frames=97",
                                   "which=fit&frame=-1", "which=both&frame=0"])
def test_bad_frame_requests_are_400(video_server: ViewServer, query: str) -> None:
    status, body, _ = Client(video_server.url).get(f"/api/runs/0/video/frame.png?{query}")
    assert status == 400 and b"Traceback" not in body
