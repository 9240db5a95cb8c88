"""A real kill: SIGKILL a `sirenkit image` process after a checkpoint, --resume it, compare with an uninterrupted run.

SIGKILL cannot be caught, so nothing is saved on the way out: the resumed run starts from whatever
checkpoint.pt the killed process had finished writing, which is what a crash or an OOM kill leaves.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from sirenkit.io.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[2]
STEPS, SAVE_EVERY, KILL_AFTER = 800, 50, 100
FIT = ["image", "camera", "--size", "32", "--steps", str(STEPS), "--save-every", str(SAVE_EVERY), "--eval-every", str(STEPS),
       "--hidden-features", "32", "--hidden-layers", "2", "--device", "cpu", "--quiet"]


def _env() -> dict[str, str]:
    # one thread in every run: the same reduction order, so CPU results are reproducible bit for bit
    path = os.pathsep.join(p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


def _sirenkit(*args: str) -> list[str]:
    return [sys.executable, "-m", "sirenkit", *args]


def _checkpoint_step(path: Path) -> int:
    try:
        return int(load_checkpoint(path)["step"]) if path.is_file() else 0
    except Exception:  # replaced between is_file and the read: try again on the next poll
        return 0


@pytest.mark.reliability("kill")
def test_sigkill_after_a_checkpoint_then_resume_equals_an_uninterrupted_run(tmp_path):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    process = subprocess.Popen(_sirenkit(*FIT, "--out", str(killed)), env=_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while _checkpoint_step(killed / "checkpoint.pt") < KILL_AFTER and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        stderr = process.communicate(timeout=60)[1].decode(errors="replace")
    assert process.returncode == -signal.SIGKILL, f"the run ended by itself before the kill (code {process.returncode}): {stderr[-2000:]}"
    at_kill = _checkpoint_step(killed / "checkpoint.pt")
    assert KILL_AFTER <= at_kill < STEPS and at_kill % SAVE_EVERY == 0
    assert not (killed / "metrics.json").exists()  # killed mid-run: no final files

    subprocess.run(_sirenkit("image", "--out", str(killed), "--resume", "--quiet"), env=_env(), check=True,
                   capture_output=True, timeout=300)
    subprocess.run(_sirenkit(*FIT, "--out", str(straight)), env=_env(), check=True, capture_output=True, timeout=300)

    resumed, uninterrupted = load_file(killed / "model.safetensors"), load_file(straight / "model.safetensors")
    assert resumed.keys() == uninterrupted.keys() and len(resumed) > 0
    for name in resumed:
        assert torch.equal(resumed[name], uninterrupted[name]), f"{name} differs after kill at step {at_kill} and resume"
    assert load_checkpoint(killed / "checkpoint.pt")["step"] == STEPS
