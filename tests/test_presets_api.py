"""The API applies a task's presets exactly as the CLI does, and fitting leaves the process's global state alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile

import sirenkit as sk
from sirenkit.cli.main import main
from sirenkit.fit import _resolve_config
from sirenkit.protocols import presets


def test_fit_and_build_field_take_the_audio_presets_like_the_cli(tmp_path):
    t = np.arange(300) / 8000
    soundfile.write(tmp_path / "a.wav", (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 8000)
    task = sk.tasks.AudioTask.from_config(sk.tasks.AudioConfig(source=str(tmp_path / "a.wav")))
    field = sk.build_field(task=task, hidden_features=8, hidden_layers=1, seed=0)
    assert field.config.first_omega_0 == 3000.0 and field.config.in_features == 1  # not the global 30
    config = _resolve_config(None, {}, task)
    assert (config.lr, config.batch_size, config.steps) == (3e-4, 16384, 950)  # the audio fit presets, not FitConfig's
    sk.fit(field, task, out=tmp_path / "api", steps=2)
    assert main(["audio", str(tmp_path / "a.wav"), "--steps", "2", "--hidden-features", "8", "--hidden-layers", "1", "--quiet",
                 "--out", str(tmp_path / "cli")]) == 0
    api = json.loads((tmp_path / "api" / "config.json").read_text())
    cli = json.loads((tmp_path / "cli" / "config.json").read_text())
    assert api["field"] == cli["field"]
    assert {k: v for k, v in api["fit"].items() if k != "tune_allocator"} == {k: v for k, v in cli["fit"].items() if k != "tune_allocator"}
    assert api["fit"]["tune_allocator"] is False and cli["fit"]["tune_allocator"] is True  # the API leaves malloc alone


def test_sdf_presets_reach_the_api():
    task = sk.tasks.SDFTask.from_config(sk.tasks.SDFConfig())
    field_presets, fit_presets = presets(task)
    config = _resolve_config(None, {"steps": 3}, task)
    assert fit_presets and all(getattr(config, k) == v for k, v in fit_presets.items() if k != "steps") and config.steps == 3
    field = sk.build_field(task=task)
    assert all(getattr(field.config, k) == v for k, v in field_presets.items())


def test_a_partial_config_json_merges_over_the_presets_and_loss_weights_merge(tmp_path, capsys):
    (tmp_path / "part.json").write_text(json.dumps({"fit": {"steps": 2}}))
    out = tmp_path / "run"
    assert main(["wave", "--config", str(tmp_path / "part.json"), "--points", "32", "--initial-points", "8", "--frame-size", "8",
                 "--hidden-features", "8", "--hidden-layers", "1", "--loss-weight", "initial=5", "--quiet", "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    fit_presets = sk.tasks.TASKS["wave"].fit_presets
    assert config["fit"]["steps"] == 2 and all(config["fit"][k] == v for k, v in fit_presets.items() if k != "steps")
    weights = config["task_config"]["loss_weights"]
    assert weights["initial"] == 5 and weights["residual"] == 1e2  # the other terms keep their defaults, never 1.0
    assert main(["sdf", "--loss-weight", "eikonall=1", "--out", str(tmp_path / "x"), "--quiet"]) == 2
    assert "did you mean 'eikonal'" in capsys.readouterr().err
    assert main(["sdf", "--loss-weight", "eikonal", "--out", str(tmp_path / "y"), "--quiet"]) == 2
    assert "write NAME=VALUE" in capsys.readouterr().err


def test_import_and_fit_with_out_leave_the_matplotlib_backend_alone(tmp_path):
    script = f"""
import matplotlib
matplotlib.use("svg")
import sirenkit as sk
from sirenkit.compare import compare_image
task = sk.tasks.ImageTask.from_source("camera", size=8)
field = sk.build_field(task=task, hidden_features=8, hidden_layers=1, seed=0)
sk.fit(field, task, out={str(tmp_path / 'run')!r}, steps=2, device="cpu")
compare_image(task, ["sine"], steps=1, hidden_features=8, hidden_layers=1, device="cpu", out={str(tmp_path / 'cmp')!r})
print(matplotlib.get_backend())
"""
    src = str(Path(sk.__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "svg"


def test_a_method_that_builds_another_task_starts_from_that_task_presets(tmp_path, data_dir):
    """--method hybrid and --problem dirichlet build other classes, whose presets (not the PINN's) start the run; flags win."""
    from sirenkit.tasks.helmholtz_dirichlet import HelmholtzDirichletTask
    from sirenkit.tasks.helmholtz_inverse import HelmholtzHybridTask, HelmholtzInverseTask

    out = tmp_path / "hybrid"
    assert main(["helmholtz-inverse", "--method", "hybrid", "--data", str(data_dir / "helmholtz" / "data_cylinder_5.mat"),
                 "--steps", "2", "--pretrain-steps", "1", "--reference-size", "31", "--lr", "5e-4", "--quiet", "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["fit"]["lr"] == 5e-4 and config["task_config"]["reference_size"] == 31  # flags win
    assert config["task_config"]["tv_weight"] == HelmholtzHybridTask.config_presets["tv_weight"] > 0
    assert config["field"]["hidden_features"] == HelmholtzHybridTask.field_presets["hidden_features"] != sk.FieldConfig().hidden_features
    assert config["fit"]["eval_every"] == HelmholtzHybridTask.fit_presets["eval_every"] != HelmholtzInverseTask.fit_presets["eval_every"]
    assert config["task_config"]["anomaly"] == "auto" and config["task_config"]["bregman_every"] > 0
    out = tmp_path / "dirichlet"
    assert main(["helmholtz", "--problem", "dirichlet", "--steps", "2", "--hidden-features", "8", "--quiet", "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["field"]["first_omega_0"] == HelmholtzDirichletTask.field_presets["first_omega_0"] == 10.0
    assert config["fit"]["batch_size"] == HelmholtzDirichletTask.fit_presets["batch_size"]
    pinn = tmp_path / "pinn"
    assert main(["helmholtz-inverse", "--method", "pinn", "--steps", "1", "--pretrain-steps", "1", "--reference-size", "21",
                 "--batch-size", "200", "--hidden-features", "8", "--quiet", "--out", str(pinn)]) == 0
    config = json.loads((pinn / "config.json").read_text())
    assert config["fit"]["lr"] == HelmholtzInverseTask.fit_presets["lr"] != HelmholtzHybridTask.fit_presets["lr"]
    assert config["task_config"]["tv_weight"] == 0 and config["field"]["first_omega_0"] == sk.FieldConfig().first_omega_0
    default = tmp_path / "default"
    assert main(["helmholtz-inverse", "--steps", "1", "--reference-size", "21", "--quiet", "--out", str(default)]) == 0
    config = json.loads((default / "config.json").read_text())
    assert config["task_config"]["method"] == "hybrid" and config["fit"]["lr"] == HelmholtzHybridTask.fit_presets["lr"]
    assert sk.tasks.TASKS["helmholtz-inverse"].fit_presets == HelmholtzHybridTask.fit_presets  # what --help shows
