"""Every `sirenkit ...` line of README.md's ```bash blocks runs, in README order, in one folder, at tiny sizes.

A README command that breaks (a renamed flag, a data name that no longer resolves, a run folder
an example no longer writes) fails here. Each line runs in-process through `main`, with small
flags appended (later flags win) so the whole README takes about a minute on a laptop CPU; the
data comes from SIRENKIT_DATA (the shared data folder). Lines that set up the environment (make,
pip, venv) are not sirenkit commands and are left to `make test` itself.
"""

from __future__ import annotations

import re
import select
import shlex
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import skimage.data

from sirenkit.cli.main import main

REPO = Path(__file__).resolve().parents[1]
VIEW_START_S = 60
"""`sirenkit view` prints its address within this many seconds, or the line fails."""
TRAIN = ["--steps", "2", "--hidden-features", "8", "--hidden-layers", "1", "--quiet"]
TINY = {
    "image": [*TRAIN, "--size", "16"],
    "audio": TRAIN,
    "video": [*TRAIN, "--frames", "0:2", "--size", "8", "16"],
    "poisson": [*TRAIN, "--size", "16"],
    "blend": [*TRAIN, "--size", "32", "--foreground-size", "8", "--at", "2", "2"],
    "sdf": [*TRAIN, "--hidden-features", "64", "--samples", "256", "--metric-samples", "256", "--resolution", "16"],  # a surface
    "mesh": ["--resolution", "16"],
    "helmholtz": [*TRAIN, "--reference-size", "41", "--residual-size", "16", "--batch-size", "64"],
    "helmholtz --problem": [*TRAIN, "--batch-size", "64"],  # dirichlet: no reference grid (it refuses --reference-size)
    "helmholtz-inverse": [*TRAIN, "--pretrain-steps", "2", "--reference-size", "41", "--batch-size", "64"],
    "wave": [*TRAIN, "--points", "64", "--initial-points", "32", "--frame-size", "16"],
    "prior-train": ["--steps", "2", "--size", "16", "--hidden-features", "16", "--hidden-layers", "1", "--latent-features", "16",
                    "--encoder-features", "16", "--hyper-hidden-features", "16", "--context-max", "100", "--batch-size", "8",
                    "--quiet"],
    "inpaint": ["--test-index", "0,1"],
    "fit-images": ["--steps", "2", "--size", "8", "--hidden-features", "8", "--hidden-layers", "1", "--quiet"],
    "compare": [*TRAIN, "--size", "16", "--eval-every", "1"],
    "render runs/photo": ["--size", "16", "16"],
    "render runs/audio-gt_bach": ["--duration-s", "0.05"],
}
"""Flags appended to each command (or to 'command first-argument'); the README's own values stay where no tiny value
replaces them."""


def readme_commands(text: str) -> list[tuple[int, list[str]]]:
    """(line number, argv after 'sirenkit') of every sirenkit line in the ```bash blocks, comments removed."""
    commands = []
    for block in re.finditer(r"^```bash[ \t]*\n(.*?)^```[ \t]*$", text, flags=re.MULTILINE | re.DOTALL):
        first = text.count("\n", 0, block.start()) + 2
        for offset, line in enumerate(block.group(1).splitlines()):
            words = shlex.split(line, comments=True)
            if words[:1] == ["sirenkit"]:
                commands.append((first + offset, words[1:]))
    return commands


COMMANDS = readme_commands((REPO / "README.md").read_text(encoding="utf-8"))


def test_the_extractor_finds_sirenkit_lines_only():
    text = "```bash\nmake demo   # x\nsirenkit image --size 8   # a comment\n```\n```python\nsirenkit = 1\n```\n"
    assert readme_commands(text) == [(3, ["image", "--size", "8"])]
    assert len(COMMANDS) >= 20 and {argv[0] for _, argv in COMMANDS} >= {"image", "audio", "video", "sdf", "render", "view"}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, data_dir):
    """One folder for the whole README, as a user would have: run folders made by one line are read by later lines."""
    folder = tmp_path_factory.mktemp("readme")
    photo = skimage.data.astronaut()[::16, ::16]  # the user's own photo.jpg of the quick start
    iio.imwrite(folder / "photo.jpg", photo)
    return folder


@pytest.mark.parametrize(("line", "argv"), COMMANDS, ids=[f"README.md:{n} {' '.join(a[:2])}" for n, a in COMMANDS])
def test_readme_command_runs(line, argv, workspace, data_dir, monkeypatch, capsys):
    monkeypatch.chdir(workspace)
    monkeypatch.setenv("SIRENKIT_DATA", str(data_dir))
    if argv[0] == "view":  # serves until stopped: it must come up and print its address
        done = _serve_briefly([*argv, "--no-browser", "--port", "0"], workspace, data_dir)
        assert "serving 1 run(s) at http://127.0.0.1:" in done, f"README.md:{line} sirenkit {' '.join(argv)}:\n{done}"
        return
    code = main([*argv, *TINY.get(" ".join(argv[:2]), TINY.get(argv[0], []))])
    captured = capsys.readouterr()
    assert code == 0, f"README.md:{line} sirenkit {' '.join(argv)} exited {code}:\n{captured.err[-2000:]}"
    if argv[0] == "data":
        assert "ok " in captured.out  # every file checked against its sha256


def _serve_briefly(argv: list[str], cwd: Path, data_dir: Path) -> str:
    import os

    env = dict(os.environ, SIRENKIT_DATA=str(data_dir), PYTHONPATH=os.pathsep.join(
        p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p))
    server = subprocess.Popen([sys.executable, "-m", "sirenkit", *argv], cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        ready, _, _ = select.select([server.stdout], [], [], VIEW_START_S)
        return server.stdout.readline() if ready else f"nothing printed in {VIEW_START_S} s"
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()


def test_tiny_flags_only_name_commands_of_the_readme():
    """A README line removed or renamed leaves its tiny flags behind: catch the stale entry."""
    assert set(TINY) <= {argv[0] for _, argv in COMMANDS} | {" ".join(argv[:2]) for _, argv in COMMANDS}
    assert np.all([isinstance(v, list) for v in TINY.values()])
