"""`sirenkit render` at 4096² in a fresh process, its own peak memory measured and bounded.

ru_maxrss of the test process is a high-water mark over every earlier test, so it can neither
show growth nor its absence. Here each command runs in a child of its own and os.wait4 returns
that child's peak resident memory alone. The baseline child (`sirenkit info`) imports the same
libraries and loads the same model, so the difference is what rendering costs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio

from sirenkit.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def _peak_rss_mib(args: list[str]) -> float:
    """Run `python -m sirenkit ARGS` to completion; that process's peak RSS in MiB (Linux ru_maxrss is in KiB)."""
    path = os.pathsep.join(p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="1")
    process = subprocess.Popen([sys.executable, "-m", "sirenkit", *args], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, f"sirenkit {' '.join(args)} exited with {process.returncode}"
    return usage.ru_maxrss / 1024


def test_render_4096_squared_grows_memory_by_the_image_not_the_network(tmp_path):
    run = tmp_path / "run"
    assert main(["image", "camera", "--size", "32", "--steps", "4", "--hidden-features", "16", "--hidden-layers", "1",
                 "--quiet", "--out", str(run)]) == 0
    baseline = _peak_rss_mib(["info", str(run)])
    rendering = _peak_rss_mib(["render", str(run), "--size", "4096", "4096", "--out", str(tmp_path / "huge.png"),
                               "--chunk-size", "262144", "--device", "cpu"])
    assert iio.imread(tmp_path / "huge.png").shape == (4096, 4096)
    # measured growth 49 MiB. 16.8 M points: the float32 output 64 MiB, the uint8 image 16 MiB, PNG encoding, and one chunk of
    # 262144 x 16 floats (16 MiB) per activation. One forward of the whole grid instead would hold
    # 16.8 M x 16 floats = 1 GiB per activation.
    grown = rendering - baseline
    assert grown < 256, f"render peak {rendering:.0f} MiB, baseline {baseline:.0f} MiB"
