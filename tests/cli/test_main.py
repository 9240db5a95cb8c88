"""The CLI in-process: run folders, resume/overwrite, render, and one-line errors (exit 2)."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pytest

from sirenkit.cli.main import main

QUICK = ["--size", "32", "--steps", "6", "--hidden-features", "16", "--hidden-layers", "1", "--quiet", "--eval-every", "3"]


def test_image_writes_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["image", "camera", *QUICK, "--out", str(out)]) == 0
    assert f"run folder: {out}" in capsys.readouterr().out
    for name in ("config.json", "metrics.jsonl", "metrics.json", "checkpoint.pt", "model.safetensors",
                 "reconstruction.png", "panel.png", "log.txt"):
        assert (out / name).is_file(), name
    config = json.loads((out / "config.json").read_text())
    assert config["fit"]["steps"] == 6 and config["field"]["hidden_features"] == 16
    assert config["task_config"]["size"] == 32 and "torch" in config["versions"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 6 and metrics["psnr"] > 10 and metrics["train_seconds"] > 0
    assert iio.imread(out / "reconstruction.png").shape == (32, 32)


def test_refuses_non_empty_out_then_overwrite_and_resume(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["image", *QUICK, "--out", out]) == 0
    assert main(["image", *QUICK, "--out", out]) == 2
    assert "is not empty; pass --resume" in capsys.readouterr().err
    assert main(["image", *QUICK, "--out", out, "--overwrite", "--steps", "4"]) == 0
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["steps"] == 4
    capsys.readouterr()
    # --resume continues the schedule the run was started with; a longer one is refused with how to get it
    assert main(["image", "--out", out, "--resume", "--steps", "9", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "on the schedule it was started with (4 steps)" in err and "start a new run" in err and err.count("\n") == 1
    assert main(["image", "--out", out, "--resume", "--hidden-features", "32", "--quiet"]) == 2
    assert "--hidden-features changed (16 -> 32)" in capsys.readouterr().err
    assert main(["image", "--out", out, "--resume", "--quiet"]) == 0  # the rest from config.json
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["steps"] == 4
    longer = str(tmp_path / "longer")
    assert main(["image", "--config", f"{out}/config.json", "--steps", "9", "--out", longer, "--quiet"]) == 0
    assert json.loads((tmp_path / "longer" / "metrics.json").read_text())["steps"] == 9
    assert json.loads((tmp_path / "longer" / "config.json").read_text())["field"]["hidden_features"] == 16


def test_config_file_and_flag_precedence(tmp_path):
    assert main(["image", *QUICK, "--out", str(tmp_path / "a"), "--first-omega-0", "40"]) == 0
    assert main(["image", "--config", str(tmp_path / "a" / "config.json"), "--steps", "2", "--quiet",
                 "--out", str(tmp_path / "b")]) == 0
    config = json.loads((tmp_path / "b" / "config.json").read_text())
    assert config["field"]["first_omega_0"] == 40 and config["fit"]["steps"] == 2


def test_render_any_size_and_info(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["image", "astronaut", *QUICK, "--out", str(run)]) == 0
    assert main(["render", str(run), "--size", "48", "80", "--out", str(tmp_path / "big.png")]) == 0
    assert iio.imread(tmp_path / "big.png").shape == (48, 80, 3)
    # the training size reproduces the exported reconstruction exactly
    assert main(["render", str(run / "model.safetensors"), "--size", "32", "32", "--out", str(tmp_path / "same.png")]) == 0
    np.testing.assert_array_equal(iio.imread(tmp_path / "same.png"), iio.imread(run / "reconstruction.png"))
    assert main(["info", str(run)]) == 0
    printed = capsys.readouterr().out
    assert "Siren" in printed and '"out_features": 3' in printed


def test_render_4096_squared_in_bounded_memory(tmp_path):
    import resource

    run = tmp_path / "run"
    assert main(["image", *QUICK, "--out", str(run)]) == 0
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert main(["render", str(run), "--size", "4096", "4096", "--out", str(tmp_path / "huge.png"), "--chunk-size", "262144"]) == 0
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert iio.imread(tmp_path / "huge.png").shape == (4096, 4096)
    # 16.8 M points: output 64 MiB + uint8 image 16 MiB + one chunk of 262144 x 16 floats; measured ~160 MiB
    assert grown_mib < 512


@pytest.mark.parametrize(("argv", "message"), [
    (["image", "missing.png"], "missing.png: no such image file"),
    (["image", "camra"], "unknown built-in image 'camra' (did you mean 'camera'?)"),
    (["image", "--steps", "0"], "steps=0 must be > 0"),
    (["image", "--steps", "-5"], "steps=-5 must be > 0"),
    (["image", "--size", "-1"], "size=-1 must be >= 0"),
    (["image", "--lr-schedule", "linear"], "lr_schedule='linear' is not valid; choose one of: constant, cosine, exponential"),
    (["image", "--activation", "sinus"], "unknown activation 'sinus'; choose one of: elu, finer, gauss, relu, selu, sigmoid, sine, "
                                             "softplus, tanh, wire (did you mean 'sine'?)"),
    (["image", "--device", "tpu"], "device='tpu' is not valid"),
    (["image", "--precision", "fp16"], "precision='fp16' is not valid; choose one of: fp32, bf16"),
    (["image", "--steps", "ten"], "argument --steps: invalid int value: 'ten'"),
    (["image", "--bogus"], "unrecognized arguments: --bogus"),
    (["image", "--resume"], "--resume needs --out"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["render", "nowhere", "--size", "8", "8", "--out", "x.png"], "nowhere: no model found"),
    (["info", "nowhere"], "nowhere: no model found"),
])
@pytest.mark.reliability("bad input")
def test_errors_exit_2_with_one_line(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--quiet"] if argv[0] == "image" else argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("sirenkit: error: ") and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_errors_corrupt_image_and_bad_render_size(tmp_path, capsys):
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert main(["image", str(tmp_path / "corrupt.png"), "--quiet", "--out", str(tmp_path / "r")]) == 2
    assert "corrupt.png: cannot read it as an image" in capsys.readouterr().err
    run = tmp_path / "run"
    assert main(["image", *QUICK, "--out", str(run)]) == 0
    assert main(["render", str(run), "--size", "0", "8", "--out", str(tmp_path / "x.png")]) == 2
    assert "--size 0 8: both must be >= 1" in capsys.readouterr().err
    assert main(["render", str(run), "--size", "8", "8", "--out", str(tmp_path / "x.txt")]) == 2
    assert "ending in .png" in capsys.readouterr().err


@pytest.mark.reliability("signal")
def test_sigterm_saves_checkpoint_and_resume_finishes(tmp_path, monkeypatch, capsys):
    """`kill` during training: exit 130, checkpoint of the last finished step, --resume completes."""
    import os
    import signal

    from sirenkit.callbacks import Checkpointer
    from sirenkit.io.checkpoint import load_checkpoint

    original = Checkpointer.on_step

    def kill_at_step_4(self, state):
        original(self, state)
        if state.step == 4:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(Checkpointer, "on_step", kill_at_step_4)
    out = tmp_path / "run"
    assert main(["image", *QUICK, "--out", str(out), "--save-every", "100"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert load_checkpoint(out / "checkpoint.pt")["step"] == 4
    monkeypatch.setattr(Checkpointer, "on_step", original)
    assert main(["image", "--out", str(out), "--resume", "--quiet"]) == 0
    assert json.loads((out / "metrics.json").read_text())["steps"] == 6


def test_old_two_level_commands_still_work_with_a_warning(tmp_path, capsys):
    assert main(["compare", "image", "--models", "sine,sin", "--out", str(tmp_path / "x"), "--size", "16"]) == 2
    err = capsys.readouterr().err
    assert "'sirenkit compare image' is now 'sirenkit compare'" in err and "'sin' is not an activation or encoding" in err
    with pytest.raises(SystemExit):
        main(["prior", "train", "--help"])
    captured = capsys.readouterr()
    assert "'sirenkit prior train' is now 'sirenkit prior-train'" in captured.err and "--model MODEL" in captured.out


@pytest.mark.parametrize("command", ["sdf", "poisson", "helmholtz"])
def test_loss_weight_help_names_the_tasks_terms_and_their_defaults(command, capsys):
    """`--loss-weight` is only useful if the user can see which terms there are: --help lists each with its default."""
    from sirenkit.tasks import TASKS

    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    listed = text.split("Terms and default weights:")[1]
    for name, weight in TASKS[command].config().loss_weights.items():
        assert f"{name} {weight:g}" in listed
