"""Fixtures of the task tests: `tiny_task`, one tiny instance of every registered task (seconds to build)."""

from __future__ import annotations

import numpy as np
import pytest

from sirenkit.io.arrays import ReceiverData
from sirenkit.io.pointcloud import sphere_surface
from sirenkit.tasks import (
    AudioTask,
    BlendConfig,
    BlendTask,
    HelmholtzConfig,
    HelmholtzInverseConfig,
    HelmholtzInverseTask,
    HelmholtzTask,
    ImageTask,
    PoissonConfig,
    PoissonTask,
    SDFConfig,
    SDFTask,
    VideoTask,
    WaveConfig,
    WaveTask,
)


def _tiny_task(name: str):
    """The task `name` of `sirenkit.tasks.TASKS` on synthetic data of a few hundred points."""
    rng = np.random.default_rng(0)
    image = rng.random((12, 10, 3)).astype(np.float32)
    if name == "image":
        return ImageTask(image)
    if name == "audio":
        return AudioTask(np.sin(np.linspace(0, 60, 400, dtype=np.float32)), sample_rate=8000)
    if name == "video":
        return VideoTask((rng.random((3, 8, 8, 3)) * 255).astype(np.uint8))
    if name == "poisson":
        return PoissonTask(image, config=PoissonConfig(size=0))
    if name == "blend":
        background = rng.random((20, 20, 3)).astype(np.float32)
        return BlendTask(background, image[:8, :8], np.ones((8, 8, 1), np.float32), config=BlendConfig(at=(2, 3)))
    if name == "sdf":
        return SDFTask(sphere_surface(500), config=SDFConfig(resolution=16, metric_samples=500))
    if name == "helmholtz":
        return HelmholtzTask(HelmholtzConfig(reference_size=21, residual_size=8))
    if name == "helmholtz-inverse":
        data = ReceiverData(np.array([[0.2, 0.1], [-0.2, 0.0]]), rng.uniform(-0.4, 0.4, (6, 2)),
                            rng.normal(size=(6, 2)) + 1j * rng.normal(size=(6, 2)))
        return HelmholtzInverseTask(data, HelmholtzInverseConfig(reference_size=21, source_samples=10, pretrain_steps=1,
                                                                method="pinn"))
    if name == "wave":
        return WaveTask(WaveConfig(frame_size=16, frame_times=(0.0, 0.1), points=64, initial_points=16))
    raise KeyError(name)


@pytest.fixture
def tiny_task():
    """A function: task name -> a tiny instance of that task."""
    return _tiny_task
