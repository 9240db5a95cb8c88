"""Shared fixtures: the device to test on, the real-data folder, a small image."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--device", default="cpu", help="device for the tests: cpu (default) or cuda")


@pytest.fixture
def device(request: pytest.FixtureRequest) -> torch.device:
    name = request.config.getoption("--device")
    if name.startswith("cuda") and not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    return torch.device(name)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Real data, read through SIRENKIT_DATA (default: ../shared/data beside the repository).

    Skipped where the folder is missing, except under CI=true, where a missing folder fails the run.
    """
    default = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    path = Path(os.environ.get("SIRENKIT_DATA", default)).resolve()
    if not path.is_dir():
        message = f"real data not found at {path}; set SIRENKIT_DATA to the shared data folder"
        if os.environ.get("CI", "").lower() in ("true", "1"):  # CI has the data beside the checkout: a miss is a failure
            pytest.fail(f"{message} (CI=true: the data tests must run, not skip)", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def camera_crop() -> np.ndarray:
    """A 64x64 crop of the cameraman with the tripod and coat edges, grey, in [0, 1]."""
    return (skimage.data.camera()[96:160, 224:288] / 255.0).astype(np.float32)


@pytest.fixture
def drawn(monkeypatch):
    """{file name: Figure} of every figure the code under test saves (the PNGs are still written)."""
    from sirenkit import plots

    figures = {}
    save = plots.save_figure

    def record(fig, path, **kwargs):
        figures[path.name] = fig
        return save(fig, path, **kwargs)

    monkeypatch.setattr(plots, "save_figure", record)
    return figures
