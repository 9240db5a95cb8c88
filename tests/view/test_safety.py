"""Safety of `sirenkit view`, one request test per case, against a server started in-process on a free port."""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
from pathlib import Path

import imageio.v3 as iio
import pytest

from sirenkit.cli import view as cli_view
from sirenkit.view import ViewServer
from sirenkit.view.tiles import TILE

from .conftest import Client, start_server

TILE_PATH = "/api/runs/0/tile.png?layer={layer}&level={level}&x={x}&y={y}"


def test_binds_loopback_by_default_and_says_so(image_run: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    parser = argparse.ArgumentParser()
    cli_view.add_view_parser(parser.add_subparsers())
    args = parser.parse_args(["view", str(image_run), "--port", "0", "--no-browser"])
    assert args.host == "127.0.0.1"
    bound = []

    def stop_at_once(server: ViewServer) -> None:
        bound.append(server.server_address[0])
        raise KeyboardInterrupt

    monkeypatch.setattr(ViewServer, "serve_forever", stop_at_once)
    assert args.handler(args) == 0
    assert bound == ["127.0.0.1"]
    assert "on 127.0.0.1, this machine only" in capsys.readouterr().out


def test_another_host_is_announced_as_reachable(image_run: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    parser = argparse.ArgumentParser()
    cli_view.add_view_parser(parser.add_subparsers())
    args = parser.parse_args(["view", str(image_run), "--port", "0", "--no-browser", "--host", "0.0.0.0"])
    monkeypatch.setattr(ViewServer, "serve_forever", lambda server: (_ for _ in ()).throw(KeyboardInterrupt))
    args.handler(args)
    assert "REACHABLE FROM THE NETWORK" in capsys.readouterr().out


@pytest.mark.parametrize("path", [
    "/api/runs/0/files/../audio-tones/audio.json",   # a sibling run folder
    "/api/runs/0/files/%2e%2e/%2e%2e/etc/passwd",
    "/api/runs/0/files/..%2f..%2fetc%2fpasswd",
    "/api/runs/0/files//etc/passwd",                 # absolute path
    "/api/runs/0/files/%2Fetc%2Fpasswd",
    "/static/../server.py",                          # the package's own sources
    "/static/%2e%2e/server.py",
    "/static//etc/passwd",
    "/../../etc/passwd",
    "/api/runs/9/files/config.json",                 # no such run
    "/api/runs/-1/files/config.json",
])
def test_traversal_is_404(client: Client, path: str) -> None:
    status, body, _ = client.get(path)
    assert status == 404, body
    assert b"Traceback" not in body


def test_files_inside_the_run_are_served(client: Client, image_run: Path) -> None:
    status, body, _ = client.get("/api/runs/0/files/config.json")
    assert status == 200 and body == (image_run / "config.json").read_bytes()


def test_symlink_out_of_the_folder_is_404_and_inside_is_served(image_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(image_run, run)
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the run folder")
    os.symlink(secret, run / "leak.txt")
    os.symlink(tmp_path, run / "up")
    os.symlink(run / "config.json", run / "alias.json")
    server, thread = start_server([run])
    try:
        client = Client(server.url)
        assert client.get("/api/runs/0/files/leak.txt")[0] == 404
        assert client.get("/api/runs/0/files/up/secret.txt")[0] == 404
        status, body, _ = client.get("/api/runs/0/files/alias.json")
        assert status == 200 and body == (run / "config.json").read_bytes()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize("query", [
    "layer=phi&level=99&x=0&y=0",          # level past the deepest
    "layer=phi&level=-1&x=0&y=0",
    "layer=phi&level=abc&x=0&y=0",
    "layer=phi&level=99999999999999999999&x=0&y=0",
    "layer=phi&level=13&x=32&y=0",         # past the last tile of the deepest level (32 tiles of 256 for 32 px x 256)
    "layer=phi&level=13&x=0&y=32",
    "layer=phi&level=5&x=1&y=0",           # level 5 is 1 x 1 tiles
    "layer=phi&level=13&x=-1&y=0",
    "layer=phi&level=13&x=1e9&y=0",
    "layer=evil&level=5&x=0&y=0",
    "layer=phi&level=5&x=0",               # missing y
    "layer=phi&level=5&level=6&x=0&y=0",   # given twice
])
def test_bad_tile_requests_are_400(client: Client, query: str) -> None:
    status, body, content_type = client.get(f"/api/runs/0/tile.png?{query}")
    assert status == 400, body
    assert content_type.startswith("text/plain") and b"Traceback" not in body and len(body) < 300


@pytest.mark.parametrize("path", [
    "/api/runs/1/audio/clip.wav?which=fit&rate=192000&duration=3600",  # 691 M samples
    "/api/runs/1/audio/clip.wav?which=fit&rate=10000000&duration=1",
    "/api/runs/1/audio/clip.wav?which=fit&rate=44100&duration=nan",
    "/api/runs/1/audio/envelope?which=fit&bins=100000000",
    "/api/runs/2/sdf/slice.png?axis=z&position=0&resolution=100000",
    "/api/runs/2/sdf/slice.png?axis=w&position=0&resolution=64",
    "/api/runs/2/sdf/slice.png?axis=z&position=5&resolution=64",
    "/api/runs/0/metrics?since=-4",
    "/api/colorbar.png?map=../../x",
])
def test_unbounded_or_bad_renders_are_400(client: Client, path: str) -> None:
    status, body, _ = client.get(path)
    assert status == 400, body
    assert b"Traceback" not in body


def test_deepest_tile_is_bounded(client: Client, view_server: ViewServer) -> None:
    level = view_server.runs[0].image().pyramid.max_level
    status, body, _ = client.get(TILE_PATH.format(layer="laplacian", level=level, x=31, y=31))
    assert status == 200
    assert iio.imread(io.BytesIO(body)).shape[:2] == (TILE, TILE)


def test_a_run_of_another_kind_is_404_not_500(client: Client) -> None:
    for path in ("/api/runs/1/tile.png?layer=phi&level=0&x=0&y=0", "/api/runs/0/audio/clip.wav?which=fit",
                 "/api/runs/0/sdf/slice.png?axis=z&position=0&resolution=64"):
        status, body, _ = client.get(path)
        assert status == 404 and b"Traceback" not in body


def test_writes_are_refused(client: Client) -> None:
    for method in ("POST", "PUT", "DELETE"):
        assert client.get("/api/runs/0/files/config.json", method=method)[0] == 501


def _snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_read_only(client: Client, image_run: Path, audio_run: Path, sdf_run: Path) -> None:
    before = [_snapshot(run) for run in (image_run, audio_run, sdf_run)]
    names = [sorted(p.name for p in run.iterdir()) for run in (image_run, audio_run, sdf_run)]
    for path in ["/", "/api/runs", "/api/runs/0/metrics", TILE_PATH.format(layer="error", level=12, x=3, y=4),
                 TILE_PATH.format(layer="bicubic", level=8, x=0, y=0), "/api/runs/0/files/model.safetensors",
                 "/api/runs/1/audio/envelope?which=original", "/api/runs/1/audio/spectrogram.png?which=fit",
                 "/api/runs/1/audio/clip.wav?which=fit&rate=16000&duration=0.5", "/api/runs/2/sdf/slice.png?axis=x&position=0.2",
                 "/api/runs/2/files/mesh.obj"]:
        assert client.get(path)[0] == 200, path
    assert [_snapshot(run) for run in (image_run, audio_run, sdf_run)] == before
    assert [sorted(p.name for p in run.iterdir()) for run in (image_run, audio_run, sdf_run)] == names


@pytest.mark.parametrize("query", [
    "face=80&context=100",                 # the test set has faces 0-79
    "face=-1&context=100",
    "face=abc&context=100",
    "face=99999999999999999999&context=100",
    "face=1.5&context=100",
    "face=3&context=257",                  # more pixels than a 16 x 16 face
    "face=3&context=0",
    "face=3&context=-5",
    "face=3&context=1e3",
    "face=3&context=quarter",
    "face=3&context=100&context=half",     # given twice
    "face=3",                              # missing context
    "context=100",                         # missing face
])
def test_bad_prior_requests_are_400(prior_server: ViewServer, query: str) -> None:
    client = Client(prior_server.url)
    for route in ("inpaint", "picture.png?which=inpainted&"):
        path = f"/api/runs/0/prior/{route}{'' if route.endswith('&') else '?'}{query}"
        status, body, content_type = client.get(path)
        assert status == 400, (path, body)
        assert content_type.startswith("text/plain") and b"Traceback" not in body and len(body) < 300


def test_bad_prior_picture_is_400_and_other_runs_have_no_prior(prior_server: ViewServer, client: Client) -> None:
    status, body, _ = Client(prior_server.url).get("/api/runs/0/prior/picture.png?which=../x&face=0&context=10")
    assert status == 400 and b"Traceback" not in body
    status, body, _ = client.get("/api/runs/0/prior/inpaint?face=0&context=10")  # an image run
    assert status == 404 and b"Traceback" not in body


def test_prior_run_is_read_only(prior_server: ViewServer, prior_run: Path) -> None:
    client = Client(prior_server.url)
    before, names = _snapshot(prior_run), sorted(p.name for p in prior_run.iterdir())
    for path in ["/", "/api/runs", "/api/runs/0/metrics", "/api/runs/0/prior/inpaint?face=5&context=half",
                 "/api/runs/0/prior/picture.png?which=context&face=5&context=10", "/api/runs/0/files/checkpoint.pt"]:
        assert client.get(path)[0] == 200, path
    assert _snapshot(prior_run) == before and sorted(p.name for p in prior_run.iterdir()) == names
