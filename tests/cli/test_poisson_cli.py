"""The poisson and blend commands: run folders, metrics, and one-line errors."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np

from sirenkit.cli.main import main

QUICK = ["--steps", "4", "--hidden-features", "16", "--hidden-layers", "1", "--quiet", "--eval-every", "2"]


def test_poisson_writes_metrics_and_panels(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["poisson", "astronaut", "--supervise", "laplacian", "--size", "24", *QUICK, "--out", str(out)]) == 0
    assert "psnr" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"psnr", "psnr_raw", "psnr_gradient", "psnr_laplacian"} <= set(metrics)
    assert metrics["psnr"] >= metrics["psnr_raw"]
    assert iio.imread(out / "reconstruction.png").shape == (24, 24, 3)
    assert (out / "panel.png").is_file()


def test_blend_at_and_mask(tmp_path):
    mask = np.zeros((20, 30), np.uint8)
    mask[5:15, 5:25] = 255
    iio.imwrite(tmp_path / "mask.png", mask)
    fg = np.full((20, 30, 3), 200, np.uint8)
    iio.imwrite(tmp_path / "fg.png", fg)
    out = tmp_path / "run"
    assert main(["blend", "astronaut", str(tmp_path / "fg.png"), "--at", "3", "4", "--mask", str(tmp_path / "mask.png"),
                 "--size", "40", "--foreground-size", "0", *QUICK, "--out", str(out)]) == 0
    assert json.loads((out / "config.json").read_text())["task_config"]["at"] == [3, 4]
    naive = iio.imread(out / "naive.png")
    assert naive.shape == (40, 40, 3) and (naive[4 + 5 : 4 + 15, 3 + 5 : 3 + 25] == 200).all()
    assert (out / "blend.png").is_file() and (out / "comparison.png").is_file()


def test_blend_errors_are_one_line(tmp_path, capsys):
    iio.imwrite(tmp_path / "mask.png", np.zeros((7, 7), np.uint8))
    cases = [(["--mask", str(tmp_path / "mask.png")], "give a mask of the foreground file's size"),
             (["--at", "300", "0"], "does not fit inside the background"),
             (["camera", "chelsea"], "same kind")]
    for extra, message in cases:
        argv = ["blend", *(extra if extra[0] == "camera" else []), "--size", "64", "--foreground-size", "16",
                *(extra if extra[0] != "camera" else []), *QUICK, "--out", str(tmp_path / "x")]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
