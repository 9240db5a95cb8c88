"""Absurd sizes are refused before anything is allocated, with the estimate and the limit; normal sizes pass.

Each refusal is shown with the limit monkeypatched small (so nothing large is ever allocated here);
`test_values_*` check the estimates against the sizes they count.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
import torch

import sirenkit as sk
from sirenkit import budget
from sirenkit.io.image import load_image
from sirenkit.io.pointcloud import sphere_surface
from sirenkit.mesh import sdf_volume
from sirenkit.render import render_image_file
from sirenkit.tasks.sdf import SDFConfig, SDFTask

pytestmark = pytest.mark.reliability("absurd size")
MIB = 1 << 20


@pytest.fixture
def small_limit(monkeypatch):
    """A 64 MiB memory limit: a request over it is refused, however much memory this machine has."""
    monkeypatch.setattr(budget, "memory_limit", lambda: 64 * MIB)
    return 64 * MIB


def _field(**sizes):
    return sk.build_field(sk.FieldConfig(**({"hidden_features": 16, "hidden_layers": 1} | sizes)), seed=0)


def test_values_available_memory_is_the_kernels_figure():
    with open("/proc/meminfo") as f:
        meminfo = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f}
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    available = budget.available_memory()
    assert abs(available - meminfo["MemAvailable"]) < 256 * MIB  # read moments apart: allow the page cache to move
    assert 0 < available <= total


def test_values_field_size_counts_every_weight():
    field = sk.build_field(sk.FieldConfig(in_features=3, hidden_features=24, hidden_layers=2, out_features=5), seed=0)
    assert budget.field_parameters(3, 24, 2, 5) == sum(p.numel() for p in field.parameters())
    assert budget.field_bytes(3, 24, 2, 5) == 16 * budget.field_parameters(3, 24, 2, 5)  # fp32 weight, grad, 2 Adam moments
    assert budget.flop_per_point(field) == 2 * budget.field_parameters(3, 24, 2, 5)


def test_errors_wide_field_refused_before_its_weights_exist(small_limit):
    # 2048 wide, 3 hidden layers: 12.6 M weights x 16 bytes = 201 MB > 64 MiB
    with pytest.raises(sk.ConfigError, match=r"a field 2048 wide with 3 hidden layers needs about 192 MiB of memory, "
                                             r"more than the 64 MiB this machine has available; pass a smaller --hidden-features"):
        sk.build_field(sk.FieldConfig(hidden_features=2048, hidden_layers=3), seed=0)
    assert _field(hidden_features=256).config.hidden_features == 256  # 0.8 MiB: passes


def test_errors_image_size_refused_before_the_resize(small_limit):
    with pytest.raises(sk.ConfigError, match=r"an image of 2048x2048 pixels needs about 192 MiB of memory, more than the 64 MiB"):
        load_image("camera", size=2048)  # 2048^2 x 1 channel x 48 bytes
    assert load_image("camera", size=256).shape == (256, 256, 1)


def test_errors_render_size_and_frames_refused_before_evaluating(small_limit, tmp_path):
    field = _field()
    with pytest.raises(sk.ConfigError, match=r"rendering 4096x4096 pixels needs about 256 MiB .* pass a smaller --size"):
        render_image_file(field, tmp_path / "big.png", (4096, 4096))
    assert not (tmp_path / "big.png").exists()
    render_image_file(field, tmp_path / "ok.png", (32, 32))
    assert (tmp_path / "ok.png").is_file()
    # a billion tiny frames fit in memory one at a time, but take more than a day: refused by time, not memory
    video = sk.build_field(sk.FieldConfig(in_features=3, out_features=3, hidden_features=16, hidden_layers=1), seed=0)
    from sirenkit.tasks.video import VideoTask

    with pytest.raises(sk.ConfigError, match=r"rendering 1000000000 frames of 8x8 would take about .* days .*allow_large=True"):
        VideoTask.render(video, tmp_path, out=tmp_path / "long.mp4", size=(8, 8), frames=10**9, fps=25.0)
    assert not (tmp_path / "long.mp4").exists()


def test_values_work_estimate_counts_flop_and_forward_passes():
    seconds = 10**17 / budget.FLOP_PER_SECOND + 10**6 * budget.SECONDS_PER_CALL
    message = f"{seconds / 86400:.3g} days"
    with pytest.raises(sk.ConfigError, match=re.escape(message)):
        budget.check_work("a job", 1e17, calls=10**6, fix="do less")
    budget.check_work("a job", 1e17, calls=10**6, fix="do less", allow_large=True)  # the opt-out
    budget.check_work("a small job", 1e12, calls=100, fix="do less")


def test_errors_mesh_resolution_refused_before_the_fit_and_before_meshing(small_limit):
    # 256^3 voxels x 16 bytes = 256 MiB
    with pytest.raises(sk.ConfigError, match=r"a 256\^3 marching-cubes grid needs about 256 MiB .* smaller --resolution"):
        SDFTask(sphere_surface(200), config=SDFConfig(resolution=256))
    with pytest.raises(sk.ConfigError, match=r"a 256\^3 marching-cubes grid"):
        sdf_volume(_field(in_features=3), 256)
    assert sdf_volume(_field(in_features=3), 16).shape == (16, 16, 16)


def test_errors_training_step_refused_before_step_one(small_limit, tmp_path):
    task = sk.tasks.ImageTask(np.random.default_rng(0).random((128, 128)))
    wide = sk.build_field(sk.FieldConfig(hidden_features=512, hidden_layers=1), task=task, seed=0)
    # 16384 points x 512 wide x 3 layers x 12 bytes = 288 MiB
    with pytest.raises(sk.ConfigError, match=r"one training step on 16384 points through a field 512 wide needs about 288 MiB"):
        sk.fit(wide, task, steps=1, out=tmp_path / "run", device="cpu")
    assert not (tmp_path / "run" / "checkpoint.pt").exists()
    result = sk.fit(wide, task, steps=1, batch_size=1024, device="cpu")  # --batch-size, as the message says: 18 MiB
    assert result.steps == 1 and torch.isfinite(torch.tensor(result.metrics["psnr"]))


def test_cli_render_of_a_bare_model_is_budgeted_and_allow_large_lifts_it(small_limit, tmp_path, capsys):
    """`sirenkit render model.safetensors --size H W` goes through the same budget as a run; --allow-large lets it through."""
    from sirenkit.cli.main import main

    model = sk.save(_field(), tmp_path / "model.safetensors")
    out = tmp_path / "big.png"
    assert main(["render", str(model), "--size", "4096", "4096", "--out", str(out)]) == 2  # 4096^2 x 16 bytes > 64 MiB
    assert "rendering 4096x4096 pixels" in capsys.readouterr().err and not out.exists()
    assert main(["render", str(model), "--size", "40", "40", "--out", str(out), "--allow-large"]) == 0
    assert out.is_file()
