"""The run folder under stress: signals on a real process, divergence, torn metrics, two writers, stale temporaries."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import sirenkit as sk
from sirenkit.cli.main import main
from sirenkit.io.checkpoint import load_checkpoint
from sirenkit.runs import LOCK_FILE, lock, prepare

SRC = str(Path(sk.__file__).resolve().parents[1])
RUN = ["image", "camera", "--size", "32", "--hidden-features", "16", "--hidden-layers", "1", "--eval-every", "1000",
       "--save-every", "100000", "--quiet", "--device", "cpu"]


def _cli(*argv: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=SRC, OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "sirenkit", *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _params(field: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in field.parameters()])


def _last_logged_step(out: Path) -> int:
    path = out / "metrics.jsonl"
    lines = path.read_text().splitlines() if path.is_file() else []
    return max((json.loads(line).get("step", 0) for line in lines if line.endswith("}")), default=0)


@pytest.mark.reliability("signal")
def test_sigterm_mid_run_saves_the_last_finished_step_and_resume_is_bit_identical(tmp_path):
    """No periodic checkpoint yet: SIGTERM must still leave checkpoint.pt at a step > 0, exit 130 with a true message."""
    straight = tmp_path / "straight"
    done = _cli(*RUN, "--steps", "2000", "--out", str(straight))
    assert done.wait(timeout=600) == 0, done.stderr.read()
    out = tmp_path / "killed"
    proc = _cli(*RUN, "--steps", "2000", "--out", str(out))
    deadline = time.time() + 300
    while time.time() < deadline and _last_logged_step(out) < 20:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 130
    err = proc.stderr.read()
    step = load_checkpoint(out / "checkpoint.pt")["step"]
    assert 0 < step < 2000 and f"holds step {step} (the last finished step)" in err and err.count("\n") == 1
    resumed = _cli("image", "--out", str(out), "--resume", "--quiet")
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read()
    assert torch.equal(_params(sk.load(out)), _params(sk.load(straight)))
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines() if "total" in line]
    assert steps == sorted(set(steps))  # no step logged twice


@pytest.mark.reliability("divergence")
def test_divergence_never_overwrites_the_good_checkpoint_or_model(tmp_path, camera_crop):
    task = sk.tasks.ImageTask(camera_crop[::4, ::4])
    out = tmp_path / "run"
    field = sk.build_field(sk.FieldConfig(hidden_features=16, hidden_layers=1), task=task, seed=0)
    good = sk.fit(field, task, out=out, steps=30, device="cpu", save_every=10)
    weights = _params(sk.load(out))
    checkpoint = (out / "checkpoint.pt").read_bytes()
    again = sk.build_field(sk.FieldConfig(hidden_features=16, hidden_layers=1), task=task, seed=0)
    with pytest.raises(sk.DivergenceError, match=r"last good checkpoint, .*checkpoint.pt \(step 30\); the diverged weights were not saved"):
        sk.fit(again, task, out=out, resume=True, steps=60, lr=1e4, lr_schedule="constant", device="cpu", save_every=1)
    assert (out / "checkpoint.pt").read_bytes() == checkpoint and torch.equal(_params(sk.load(out)), weights)
    assert json.loads((out / "config.json").read_text())["fit"]["lr"] == 1e-3  # still the settings of the good run
    assert json.loads((out / "metrics.json").read_text())["psnr"] == pytest.approx(good.metrics["psnr"])


@pytest.mark.reliability("divergence")
def test_a_loss_that_explodes_without_nan_is_divergence(camera_crop):
    task = sk.tasks.ImageTask(camera_crop[::4, ::4])
    field = sk.build_field(sk.FieldConfig(hidden_features=16, hidden_layers=1), task=task, seed=0)
    with pytest.raises(sk.DivergenceError, match="its best logged total"):
        sk.fit(field, task, steps=200, lr=10.0, lr_schedule="constant", log_every=1, device="cpu")


@pytest.mark.reliability("kill")
def test_resume_tolerates_a_torn_last_line_of_metrics_jsonl(tmp_path, camera_crop):
    task = sk.tasks.ImageTask(camera_crop[::4, ::4])
    fit = dict(steps=8, save_every=4, log_every=1, device="cpu")
    straight = sk.build_field(sk.FieldConfig(hidden_features=16, hidden_layers=1), task=task, seed=0)
    sk.fit(straight, task, out=tmp_path / "a", **fit)

    from sirenkit.callbacks import Callback

    class KillAt5(Callback):
        def on_step(self, state):
            if state.step == 5:
                raise KeyboardInterrupt

    field = sk.build_field(sk.FieldConfig(hidden_features=16, hidden_layers=1), task=task, seed=0)
    with pytest.raises(KeyboardInterrupt):
        sk.fit(field, task, out=tmp_path / "b", callbacks=[KillAt5()], **fit)
    with (tmp_path / "b" / "metrics.jsonl").open("a") as f:
        f.write('{"step": 6, "mse": 0.0')  # a kill in the middle of a write
    resumed = sk.build_field(sk.FieldConfig(hidden_features=16, hidden_layers=1), task=task, seed=3)
    sk.fit(resumed, task, out=tmp_path / "b", resume=True, **fit)
    assert torch.equal(_params(resumed), _params(straight))
    records = [json.loads(line) for line in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "total" in r] == list(range(1, 9))


@pytest.mark.reliability("concurrent writer")
def test_a_second_writer_is_refused_naming_the_holder_and_a_stale_lock_is_taken_over(tmp_path, capsys):
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        out.mkdir()
        (out / LOCK_FILE).write_text(f"{holder.pid}\n")
        assert main([*RUN, "--steps", "2", "--out", str(out), "--overwrite"]) == 2
        err = capsys.readouterr().err
        assert f"in use by another sirenkit process (pid {holder.pid})" in err and err.count("\n") == 1
    finally:
        holder.kill()
        holder.wait()
    assert main([*RUN, "--steps", "2", "--out", str(out), "--overwrite"]) == 0  # the dead holder's lock is taken over
    assert not (out / LOCK_FILE).exists()
    with lock(out):
        assert (out / LOCK_FILE).read_text().strip() == str(os.getpid())
        with lock(out):  # the same process may nest
            pass
        assert (out / LOCK_FILE).exists()


@pytest.mark.reliability("kill")
def test_prepare_removes_stale_temporaries_of_dead_writers(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f".checkpoint.pt.tmp{dead.pid}").write_bytes(b"half")
    (tmp_path / f".model.safetensors.tmp{os.getpid()}").write_bytes(b"mine, alive")
    (tmp_path / "checkpoint.pt").write_bytes(b"x")
    prepare(tmp_path, resume=True)
    assert not (tmp_path / f".checkpoint.pt.tmp{dead.pid}").exists()
    assert (tmp_path / f".model.safetensors.tmp{os.getpid()}").exists()
