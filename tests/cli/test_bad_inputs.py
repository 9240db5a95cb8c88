"""Bad input through the real `sirenkit` process: one `sirenkit: error:` line naming the problem and the fix, exit 2.

Damaged side files, missing value checks, files cut short, degenerate inputs, a resume that changes
the run, and absurd sizes (refused before any allocation: each case would need gigabytes to petabytes).
Every case runs `python -m sirenkit` in a subprocess, so what is checked is what a user sees.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

REPO = Path(__file__).resolve().parents[2]
TINY = ["--steps", "3", "--hidden-features", "16", "--hidden-layers", "1", "--quiet", "--device", "cpu"]
WAV = "audio/gt_bach.wav"
PLY = "meshes/bunny.ply"
VIDEO = "video/bikes.mp4"


def _sirenkit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    path = os.pathsep.join(p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "sirenkit", *args], cwd=cwd, env=env, capture_output=True, timeout=300)


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    err = result.stderr.decode(errors="replace")
    assert result.returncode == 2, f"exit {result.returncode}: {err[-3000:]}"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("sirenkit: error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """An image run and an SDF run, made once through the CLI; each case works on its own copy."""
    base = tmp_path_factory.mktemp("runs")
    for argv in (["image", "camera", "--size", "16", *TINY, "--out", "image"],
                 ["sdf", "sphere", "--resolution", "16", "--samples", "500", *TINY, "--out", "sdf"]):
        result = _sirenkit(*argv, cwd=base)
        assert result.returncode == 0, result.stderr.decode()
    return base


@pytest.fixture
def work(runs, tmp_path) -> Path:
    for name in ("image", "sdf"):
        shutil.copytree(runs / name, tmp_path / name)
    return tmp_path


def _patch_model(run: Path, change: Callable[[dict], object]) -> None:
    """Rewrite model.safetensors with its metadata's field config changed (weights as they are)."""
    path = run / "model.safetensors"
    tensors = load_file(path)
    with safe_open(str(path), "pt") as f:
        metadata = f.metadata()
    config = json.loads(metadata["sirenkit_field"])
    changed = change(config)
    metadata["sirenkit_field"] = changed if isinstance(changed, str) else json.dumps(config)
    save_file(tensors, str(path), metadata=metadata)


def _patch_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _no_surface(run: Path) -> None:
    """Make the SDF run's field the constant 1 (no zero level set): its last layer outputs its bias only."""
    path = run / "model.safetensors"
    tensors = load_file(path)
    with safe_open(str(path), "pt") as f:
        metadata = f.metadata()
    last = sorted(k for k in tensors if k.endswith(".weight"))[-1]
    tensors[last] = torch.zeros_like(tensors[last])
    tensors[last.replace(".weight", ".bias")] = torch.ones_like(tensors[last.replace(".weight", ".bias")])
    save_file(tensors, str(path), metadata=metadata)


def _write(name: str, content: bytes | Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(work: Path) -> None:
        if callable(content):
            content(work / name)
        else:
            (work / name).write_bytes(content)
    return setup


def _cut(source: str, fraction: float, name: str) -> Callable[[Path], None]:
    def setup(work: Path) -> None:
        data = (Path(os.environ.get("SIRENKIT_DATA", REPO.parent / "shared" / "data")) / source).read_bytes()
        (work / name).write_bytes(data[: int(len(data) * fraction)])
    return setup


def _npz_as_npy(path: Path) -> None:
    np.savez(path.with_suffix(".npz"), v=np.ones((8, 8)))
    path.with_suffix(".npz").rename(path)


NPZ = _write("velocity.npy", _npz_as_npy)
CASES = {
    # damaged side files
    "safetensors metadata not JSON": (lambda w: _patch_model(w / "image", lambda c: "{not json"),
                                      ["render", "image", "--size", "8", "8", "--out", "x.png"], "its sirenkit field config is damaged"),
    "safetensors metadata of another width": (lambda w: _patch_model(w / "image", lambda c: c.update(hidden_features=32)),
                                              ["info", "image/model.safetensors"], "its weights do not fit the model in its config"),
    "safetensors metadata with a fractional width": (lambda w: _patch_model(w / "image", lambda c: c.update(hidden_features=16.5)),
                                                     ["render", "image", "--size", "8", "8", "--out", "x.png"],
                                                     "hidden_features=16.5 is not a whole number"),
    "normalization.json scale 0": (lambda w: _patch_json(w / "sdf" / "normalization.json", lambda d: d.update(scale=0)),
                                   ["mesh", "sdf", "--resolution", "16"], "the normalisation is damaged (center"),
    "normalization.json scale NaN": (lambda w: _patch_json(w / "sdf" / "normalization.json", lambda d: d.update(scale=float("nan"))),
                                     ["mesh", "sdf", "--resolution", "16"], "scale nan; expected 3 finite numbers"),
    "config.json task_config null, render": (lambda w: _patch_json(w / "image" / "config.json", lambda d: d.update(task_config=None)),
                                             ["render", "image", "--size", "8", "8", "--out", "x.png"], "not a sirenkit run config"),
    "config.json task_config null, resume": (lambda w: _patch_json(w / "image" / "config.json", lambda d: d.update(task_config=None)),
                                             ["image", "--out", "image", "--resume", "--quiet"], "not a sirenkit run config"),
    "binary --config": (_write("binary.json", bytes(range(256))), ["image", "--config", "binary.json", *TINY, "--out", "new"],
                        "not valid JSON"),
    "float hidden_features in a config file": (_write("c.json", b'{"field": {"hidden_features": 16.5}}'),
                                               ["image", "--config", "c.json", "--steps", "2", "--out", "new"],
                                               "hidden_features=16.5 is not a whole number"),
    "foreign checkpoint.pt": (lambda w: torch.save({"weights": torch.zeros(3)}, w / "image" / "checkpoint.pt"),
                              ["image", "--out", "image", "--resume", "--quiet"], "checkpoint.pt: does not fit this model"),
    # missing value checks
    "velocity .npz saved as .npy": (NPZ, ["helmholtz", "--velocity", "velocity.npy", *TINY, "--out", "new"], "is an .npz archive"),
    "velocity of strings": (_write("velocity.npy", lambda p: np.save(p, np.full((8, 8), "fast"))),
                            ["helmholtz", "--velocity", "velocity.npy", *TINY, "--out", "new"], "holds <U4 values, not numbers"),
    "complex velocity": (_write("velocity.npy", lambda p: np.save(p, np.full((8, 8), 1 + 0.5j))),
                         ["helmholtz", "--velocity", "velocity.npy", *TINY, "--out", "new"], "the velocity map is complex"),
    "SDF points at 1e300": (_write("far.xyz", b"0 0 0 0 0 1\n1 0 0 0 0 1\n1e300 0 0 0 0 1\n"),
                            ["sdf", "far.xyz", *TINY, "--out", "new"], "where float32 training overflows"),
    "SDF point at inf": (_write("inf.xyz", b"0 0 0 0 0 1\n1 0 0 0 0 1\ninf 0 0 0 0 1\n"),
                         ["sdf", "inf.xyz", *TINY, "--out", "new"], "have NaN or inf coordinates (first at row 3)"),
    "NaN loss weight": (None, ["image", "--size", "16", *TINY, "--loss-weight", "mse=nan", "--out", "new"],
                        "loss weight mse=nan must be a finite number >= 0"),
    "negative loss weight": (None, ["image", "--size", "16", *TINY, "--loss-weight", "mse=-1", "--out", "new"],
                             "loss weight mse=-1.0 must be a finite number >= 0"),
    "compare --models ,": (None, ["compare", "--models", ",", "--size", "16", "--steps", "2", "--out", "new"], "names no model"),
    # files cut short
    "WAV cut in half": (_cut(WAV, 0.5, "half.wav"), ["audio", "half.wav", *TINY, "--out", "new"], "half.wav: the file is cut short"),
    "PLY cut to a third": (_cut(PLY, 1 / 3, "third.ply"), ["sdf", "third.ply", *TINY, "--out", "new"], "third.ply: the file is cut short"),
    # degenerate inputs
    "3 points without normals": (_write("three.xyz", b"0 0 0\n1 0 0\n0 1 0\n"), ["sdf", "three.xyz", *TINY, "--out", "new"],
                                 "3 points without normals; a surface cannot be recovered from so few"),
    "mesh of a field with no surface": (lambda w: _no_surface(w / "sdf"), ["mesh", "sdf", "--resolution", "16"],
                                        "the field has no zero level set in [-1, 1]^3 (values from 1 to 1"),
    "foreground larger than the background": (None, ["blend", "--size", "64", "--foreground-size", "96", *TINY, "--out", "new"],
                                              "is larger than the background (64x64), so it fits at no --at"),
    # a resume that changes the run
    "--resume with another --size": (None, ["image", "--out", "image", "--resume", "--size", "24", "--quiet"],
                                     "--size changed (16 -> 24)"),
    "--resume with another --steps": (None, ["image", "--out", "image", "--resume", "--steps", "9", "--quiet"],
                                      "on the schedule it was started with (3 steps), so --steps 9 is refused"),
    "--resume of a run that never finished a step": (lambda w: (w / "image" / "checkpoint.pt").unlink(),
                                                     ["image", "--out", "image", "--resume", "--quiet"], "again with --overwrite"),
    # absurd sizes, refused before anything is allocated or trained
    "render --size 100000 100000": (None, ["render", "image", "--size", "100000", "100000", "--out", "x.png"],
                                    "rendering 100000x100000 pixels needs about"),
    "render --frames 1000000000": (None, ["render", "video", "--frames", "1000000000", "--out", "x.mp4"], "would take about"),
    "video --size 100000 100000": (None, ["video", "VIDEO", "--frames", "0:2", "--size", "100000", "100000", *TINY, "--out", "new"],
                                   "2 frames of 100000x100000 pixels needs about"),
    "render --sample-rate 1e12": (None, ["render", "audio", "--sample-rate", "1000000000000", "--out", "x.wav"],
                                  "at 1000000000000 Hz) needs about"),
    "image --size 100000": (None, ["image", "--size", "100000", *TINY, "--out", "new"], "an image of 100000x100000 pixels needs"),
    "--hidden-features 100000": (None, ["image", "--size", "16", *TINY, "--hidden-features", "100000", "--out", "new"],
                                 "a field 100000 wide with 1 hidden layers needs about"),
    "mesh --resolution 100000": (None, ["mesh", "sdf", "--resolution", "100000"], "a 100000^3 marching-cubes grid needs about"),
    "sdf --resolution 100000 (before the fit)": (None, ["sdf", "--resolution", "100000", *TINY, "--out", "new"],
                                                 "a 100000^3 marching-cubes grid needs about"),
}


ABSURD = {name for name in CASES if "100000" in name or "1e12" in name or "1000000000" in name}


@pytest.mark.parametrize("case", [pytest.param(name, marks=pytest.mark.reliability("absurd size" if name in ABSURD else "bad input"))
                                  for name in CASES])
def test_errors_one_line_exit_2(case, work, runs, data_dir):
    setup, argv, message = CASES[case]
    if setup is not None:
        setup(work)
    if argv[0] == "render" and argv[1] in ("video", "audio"):  # these render cases need a run of that kind: fit one, tiny
        kind = argv[1]
        source = [str(data_dir / VIDEO), "--frames", "0:2", "--size", "8", "8"] if kind == "video" else [str(data_dir / WAV)]
        assert _sirenkit(kind, *source, *TINY, "--out", kind, cwd=work).returncode == 0
    argv = [str(data_dir / VIDEO) if a == "VIDEO" else a for a in argv]
    line = _one_error_line(_sirenkit(*argv, cwd=work))
    assert message in line, line
    new = work / "new"
    assert not (new / "checkpoint.pt").exists() and not (new / "metrics.json").exists()  # refused before training


@pytest.mark.reliability("bad input")
def test_a_run_in_a_folder_with_a_non_utf8_name_renders_and_reports(runs, tmp_path):
    folder = os.fsencode(tmp_path) + b"/run-\xff\xfe"
    shutil.copytree(runs / "image", os.fsdecode(folder))
    result = _sirenkit("render", os.fsdecode(folder), "--size", "8", "8", "--out", "x.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert (tmp_path / "x.png").is_file()
    info = _sirenkit("info", os.fsdecode(folder), cwd=tmp_path)
    assert info.returncode == 0 and b'"hidden_features": 16' in info.stdout, info.stderr.decode(errors="replace")
