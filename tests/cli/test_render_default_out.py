"""`sirenkit render RUN` without --out writes RUNNAME-render.<ext> in the current folder, never into the run."""

from __future__ import annotations

import numpy as np

from sirenkit.cli.main import main
from sirenkit.io.image import load_image


def test_render_without_out_names_the_file_after_the_run(tmp_path, monkeypatch):
    run = tmp_path / "cam"
    assert main(["image", "--size", "16", "--steps", "5", "--hidden-features", "16", "--quiet", "--device", "cpu",
                 "--out", str(run)]) == 0
    before = sorted(p.name for p in run.iterdir())
    monkeypatch.chdir(tmp_path)
    assert main(["render", str(run), "--size", "24", "24", "--device", "cpu"]) == 0
    image = load_image(tmp_path / "cam-render.png")
    assert image.shape[:2] == (24, 24) and np.isfinite(image).all()
    assert sorted(p.name for p in run.iterdir()) == before
