"""A tiny run of every task through the CLI: `info` describes it, `render` renders it or refuses in one line,
`--overwrite` leaves none of the previous run's files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

from sirenkit.cli.main import main
from sirenkit.io.image import save_image
from sirenkit.io.video import write_video
from sirenkit.protocols import capability
from sirenkit.tasks import TASKS as TASKS_BY_NAME

NET = ["--hidden-features", "8", "--hidden-layers", "1", "--quiet"]
PRIOR = ["--size", "16", "--hidden-features", "8", "--hidden-layers", "1", "--latent-features", "8", "--encoder-features", "8",
         "--hyper-hidden-features", "8", "--context-max", "50", "--batch-size", "8", "--quiet"]


def _inputs(tmp_path, data_dir):
    t = np.arange(400) / 8000
    soundfile.write(tmp_path / "a.wav", (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 8000)
    frames = np.zeros((4, 8, 8, 3), np.uint8)
    frames[:, 2:6, 2:6] = 200
    write_video(tmp_path / "v.mp4", iter(frames), fps=4, size=(8, 8))
    (tmp_path / "pics").mkdir()
    rng = np.random.default_rng(0)
    for name in ("p", "q"):
        save_image(tmp_path / "pics" / f"{name}.png", rng.random((6, 6)))
    faces = str(data_dir / "faces" / "olivettifaces.mat")
    fwi = str(data_dir / "helmholtz" / "data_cylinder_5.mat")
    return {
        "image": (["image", "camera", "--size", "8", "--steps", "2", *NET], "png"),
        "audio": (["audio", str(tmp_path / "a.wav"), "--steps", "2", *NET], "wav"),
        "video": (["video", str(tmp_path / "v.mp4"), "--steps", "2", "--batch-size", "64", *NET], "mp4"),
        "poisson": (["poisson", "camera", "--size", "8", "--steps", "2", *NET], None),
        "blend": (["blend", "astronaut", "coffee", "--size", "16", "--foreground-size", "8", "--at", "0", "0", "--steps", "2", *NET], None),
        "sdf": (["sdf", "--steps", "30", "--resolution", "16", "--batch-size", "256", "--hidden-features", "16",
                 "--hidden-layers", "1", "--quiet"], None),  # 30 steps: enough for a zero level set to mesh
        "helmholtz": (["helmholtz", "--steps", "2", "--batch-size", "64", "--reference-size", "21", "--residual-size", "8", *NET],
                      None),
        "helmholtz-inverse": (["helmholtz-inverse", "--data", fwi, "--steps", "2", "--batch-size", "64", "--reference-size", "21",
                               *NET], None),
        "wave": (["wave", "--steps", "2", "--points", "32", "--initial-points", "8", "--frame-size", "8", *NET], None),
        "prior": (["prior-train", "--model", "modulated", "--steps", "2", "--faces", faces, *PRIOR], None),
        "image-set": (["fit-images", str(tmp_path / "pics"), "--size", "6", "--steps", "2", *NET], None),
        "compare": (["compare", "camera", "--size", "8", "--steps", "2", "--eval-every", "1", "--models", "sine,relu",
                     "--hidden-features", "8", "--hidden-layers", "1", "--quiet"], None),
    }


TASKS = ["image", "audio", "video", "poisson", "blend", "sdf", "helmholtz", "helmholtz-inverse", "wave", "prior", "image-set",
         "compare"]


@pytest.mark.parametrize("task", TASKS)
def test_every_run_has_info_render_and_a_clean_overwrite(task, tmp_path, data_dir, capsys):
    argv, renders = _inputs(tmp_path, data_dir)[task]
    out = tmp_path / "run"
    assert main([*argv, "--out", str(out)]) == 0, capsys.readouterr().err
    first = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    config = json.loads((out / "config.json").read_text())
    assert config["task"] == task and set(config) == {"task", "task_config", "field", "fit", "versions"}
    capsys.readouterr()

    assert main(["info", str(out)]) == 0
    assert f"task: {task}" in capsys.readouterr().out

    # renders what its task renders: the CLI's own image/audio/video renderers, or the task's render capability
    offers = task in TASKS_BY_NAME and capability(TASKS_BY_NAME[task].task, "render") is not None
    renders = renders or ("png" if offers else None)
    target = tmp_path / f"rendered.{renders or 'png'}"
    code = main(["render", str(out), *([] if renders == "wav" else ["--size", "8", "8"]), "--out", str(target)])
    captured = capsys.readouterr()
    if renders:
        assert code == 0 and target.is_file(), captured.err
    else:  # refused in one line that says what the task offers instead
        assert code == 2 and not target.exists()
        assert captured.err.count("\n") == 1 and "Traceback" not in captured.err and "'render' draws" in captured.err

    (out / "mine.txt").write_text("a file the user keeps")
    marker = next(p for p in sorted(first) if p.name not in ("config.json", "manifest.json"))
    (out / marker).write_bytes(b"stale")  # a previous run's file that the new run must replace or remove
    assert main([*argv, "--out", str(out), "--overwrite"]) == 0, capsys.readouterr().err
    second = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    assert second - first == {p for p in second - first if p.name == "mine.txt"}  # nothing new but the user's file
    assert (out / "mine.txt").read_text() == "a file the user keeps"
    assert (out / marker).read_bytes() != b"stale" if (out / marker).exists() else True


def test_overwrite_removes_files_the_previous_run_exported_and_this_one_does_not(tmp_path, capsys):
    out = tmp_path / "run"
    helmholtz = ["helmholtz", "--steps", "1", "--batch-size", "64", "--reference-size", "21", "--residual-size", "8", *NET]
    assert main([*helmholtz, "--out", str(out)]) == 0
    assert (out / "field.npy").is_file() and (out / "panels.png").is_file()
    assert main(["image", "camera", "--size", "8", "--steps", "1", *NET, "--out", str(out), "--overwrite"]) == 0
    names = {p.name for p in out.iterdir()}
    assert "field.npy" not in names and "panels.png" not in names and "reconstruction.png" in names
    assert json.loads((out / "config.json").read_text())["task"] == "image"
