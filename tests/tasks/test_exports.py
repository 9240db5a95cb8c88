"""Every task's export writes the files it names, through sirenkit.plots, without touching matplotlib's global state."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch

import sirenkit as sk
from sirenkit.io.image import load_image
from sirenkit.runs import IMAGE_SET, PRIOR
from sirenkit.tasks import TASKS

FIELD_TASKS = [name for name in TASKS if name not in (PRIOR, IMAGE_SET)]
"""Tasks whose model is one field; the prior and image sets train other models (tests/prior, tests/cli)."""


class _Sphere(torch.nn.Module):
    """|x| - 0.9 (the tiny SDF task's sphere, so it meshes) plus a small linear part, for every task."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(in_features, out_features)

    def forward(self, coords):
        return 0.1 * self.linear(coords) + coords.norm(dim=-1, keepdim=True) - 0.9


@pytest.fixture
def foreign_backend():
    """matplotlib set to a backend sirenkit would never choose itself ('svg'), restored afterwards."""
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    yield "svg"
    matplotlib.use(before)


@pytest.mark.parametrize("name", FIELD_TASKS)
def test_export_writes_its_files_and_keeps_the_backend(name, tiny_task, tmp_path, foreign_backend):
    task = tiny_task(name)
    torch.manual_seed(0)
    paths = task.export(_Sphere(task.in_features, task.out_features), tmp_path)
    assert matplotlib.get_backend() == foreign_backend
    assert paths and all(p.is_file() and p.stat().st_size > 0 and p.parent == tmp_path for p in paths)
    for png in (p for p in paths if p.suffix == ".png"):
        image = load_image(png)
        assert min(image.shape[:2]) >= 8 and np.ptp(image) > 0  # a picture, not a blank page


def test_fit_with_out_keeps_the_backend(tmp_path, foreign_backend):
    task = sk.tasks.ImageTask(np.random.default_rng(0).random((12, 10, 3)).astype(np.float32))
    field = sk.build_field(sk.FieldConfig(out_features=3, hidden_features=16, hidden_layers=1), seed=0)
    sk.fit(field, task, steps=2, device="cpu", out=tmp_path / "run")
    assert (tmp_path / "run" / "panel.png").is_file()
    assert matplotlib.get_backend() == foreign_backend
