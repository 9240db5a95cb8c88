"""`sirenkit prior train` / `sirenkit prior inpaint` in-process: run folder, pictures, one-line errors (exit 2)."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pytest

from sirenkit.cli.main import main

TINY = ["--size", "16", "--hidden-features", "16", "--hidden-layers", "2", "--latent-features", "16", "--encoder-features", "16",
        "--hyper-hidden-features", "16", "--context-max", "100", "--batch-size", "8", "--lr", "1e-3", "--quiet"]


@pytest.fixture(scope="module")
def prior_run(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("prior") / "run"
    faces = str(data_dir / "faces" / "olivettifaces.mat")
    assert main(["prior-train", "--model", "hypernet-conv", "--steps", "4", *TINY, "--faces", faces, "--out", str(out)]) == 0
    return out


def test_train_writes_run_folder_and_inpaint_writes_pictures(prior_run, tmp_path, capsys, drawn):
    for name in ("config.json", "metrics.jsonl", "metrics.json", "checkpoint.pt", "log.txt"):
        assert (prior_run / name).is_file(), name
    metrics = json.loads((prior_run / "metrics.json").read_text())
    assert metrics["steps"] == 4 and 0 < metrics["mse_10"] < 1 and 0 < metrics["mse_half"] < 1 and "mse_1000" not in metrics
    assert json.loads((prior_run / "config.json").read_text())["task_config"]["model"] == "hypernet-conv"
    out = tmp_path / "inpaint"
    assert main(["inpaint", str(prior_run), "--test-index", "0,5,79", "--context", "10,half", "--out", str(out)]) == 0
    # a row per face, 5 tiles per row (2 contexts x (context, inpainted) + ground truth), each column titled
    grid = drawn["inpaint.png"]
    assert [ax.get_title() for ax in grid.axes[:5]] == ["context: 10 px (blue unseen)", "inpainted from 10",
                                                        "context: half px (blue unseen)", "inpainted from half", "ground truth"]
    assert [ax.get_ylabel() for ax in grid.axes if ax.get_ylabel()] == ["test 0", "test 5", "test 79"]
    assert [ax.get_title() for ax in drawn["interpolation.png"].axes][::9] == ["test 0", "test 5"]
    assert iio.imread(out / "inpaint.png").ndim == 3
    report = json.loads((out / "inpaint.json").read_text())["mse"]
    assert set(report) == {"test 0", "test 5", "test 79"} and all(0 < v < 1 for m in report.values() for v in m.values())
    image = tmp_path / "face.png"
    iio.imwrite(image, np.tile(np.linspace(0, 255, 50).astype(np.uint8), (40, 1)))
    assert main(["inpaint", str(prior_run), "--image", str(image), "--context", "100", "--out", str(tmp_path / "mine")]) == 0
    assert "face.png: 100 px MSE" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--context", "1000"], "larger than the image (16x16 = 256 pixels)"),
    (["--test-index", "80"], "the test set has 80 faces"),
])
def test_errors_inpaint_bad_options_exit_2_with_one_line(prior_run, tmp_path, capsys, args, message):
    assert main(["inpaint", str(prior_run), *args, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_errors_runs_that_are_not_this_prior_exit_2(prior_run, tmp_path, capsys, data_dir):
    image_run = tmp_path / "image-run"
    assert main(["image", "camera", "--size", "16", "--steps", "1", "--hidden-features", "8", "--quiet", "--out", str(image_run)]) == 0
    capsys.readouterr()
    assert main(["inpaint", str(image_run), "--out", str(tmp_path / "x")]) == 2
    assert "is a 'image' run, not a prior" in capsys.readouterr().err
    faces = str(data_dir / "faces" / "olivettifaces.mat")
    assert main(["prior-train", "--model", "modulated", "--resume", "--steps", "6", *TINY, "--faces", faces,
                 "--out", str(prior_run)]) == 2
    assert "is a 'hypernet-conv' prior; drop --model" in capsys.readouterr().err
    assert main(["prior-train", "--faces", str(tmp_path / "none.mat"), "--out", str(tmp_path / "y")]) == 2
    assert "none.mat: no such file" in capsys.readouterr().err
    assert not (tmp_path / "y").exists()


@pytest.mark.parametrize("command", ["prior-train", "inpaint"])
def test_help_shows_the_defaults(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "(default:" in capsys.readouterr().out
