"""Registry of tasks: one file each, one line here; the CLI makes one subcommand per entry."""

from __future__ import annotations

from sirenkit.protocols import Batch, Task, TaskSpec
from sirenkit.tasks.audio import AudioConfig, AudioTask
from sirenkit.tasks.blend import BlendConfig, BlendTask
from sirenkit.tasks.helmholtz import HelmholtzConfig, HelmholtzTask
from sirenkit.tasks.helmholtz_inverse import HelmholtzInverseConfig, HelmholtzInverseTask
from sirenkit.tasks.image import ImageConfig, ImageTask
from sirenkit.tasks.image_set import ImageSetConfig, ImageSetTask
from sirenkit.tasks.poisson import PoissonConfig, PoissonTask
from sirenkit.tasks.prior import PriorConfig, PriorTask
from sirenkit.tasks.sdf import SDFConfig, SDFTask
from sirenkit.tasks.video import VideoConfig, VideoTask
from sirenkit.tasks.wave import WaveConfig, WaveTask

TASKS = {spec.name: spec for spec in (
    TaskSpec("image", ImageTask, ImageConfig),
    TaskSpec("audio", AudioTask, AudioConfig),
    TaskSpec("video", VideoTask, VideoConfig),
    TaskSpec("poisson", PoissonTask, PoissonConfig),
    TaskSpec("blend", BlendTask, BlendConfig),
    TaskSpec("sdf", SDFTask, SDFConfig),
    TaskSpec("helmholtz", HelmholtzTask, HelmholtzConfig),
    TaskSpec("helmholtz-inverse", HelmholtzInverseTask, HelmholtzInverseConfig),
    TaskSpec("wave", WaveTask, WaveConfig),
    TaskSpec("prior", PriorTask, PriorConfig),
    TaskSpec("image-set", ImageSetTask, ImageSetConfig),
)}
"""name -> TaskSpec (the task class with ``from_config``, its config dataclass and presets)."""

__all__ = ["TASKS", "TaskSpec", "AudioConfig", "AudioTask", "Batch", "BlendConfig", "BlendTask", "HelmholtzConfig",
           "HelmholtzInverseConfig", "HelmholtzInverseTask", "HelmholtzTask", "ImageConfig", "ImageSetConfig", "ImageSetTask",
           "ImageTask", "PoissonConfig", "PoissonTask", "PriorConfig", "PriorTask", "SDFConfig", "SDFTask", "Task", "VideoConfig",
           "VideoTask", "WaveConfig", "WaveTask"]
