"""Registry of tasks: one file each, one line here; the CLI makes one subcommand per entry."""

from __future__ import annotations

from sirenkit.tasks.audio import AudioConfig, AudioTask
from sirenkit.tasks.base import Batch, Task
from sirenkit.tasks.blend import BlendConfig, BlendTask
from sirenkit.tasks.helmholtz import HelmholtzConfig, HelmholtzTask
from sirenkit.tasks.helmholtz_inverse import HelmholtzInverseConfig, HelmholtzInverseTask
from sirenkit.tasks.image import ImageConfig, ImageTask
from sirenkit.tasks.poisson import PoissonConfig, PoissonTask
from sirenkit.tasks.sdf import SDFConfig, SDFTask
from sirenkit.tasks.video import VideoConfig, VideoTask
from sirenkit.tasks.wave import WaveConfig, WaveTask

TASKS = {
    "image": (ImageTask, ImageConfig),
    "audio": (AudioTask, AudioConfig),
    "video": (VideoTask, VideoConfig),
    "poisson": (PoissonTask, PoissonConfig),
    "blend": (BlendTask, BlendConfig),
    "sdf": (SDFTask, SDFConfig),
    "helmholtz": (HelmholtzTask, HelmholtzConfig),
    "helmholtz-inverse": (HelmholtzInverseTask, HelmholtzInverseConfig),
    "wave": (WaveTask, WaveConfig),
}
"""name -> (task class with ``from_config``, its config dataclass)."""

__all__ = ["TASKS", "AudioConfig", "AudioTask", "Batch", "BlendConfig", "BlendTask", "HelmholtzConfig",
           "HelmholtzInverseConfig", "HelmholtzInverseTask", "HelmholtzTask", "ImageConfig", "ImageTask", "PoissonConfig",
           "PoissonTask", "SDFConfig", "SDFTask", "Task", "VideoConfig", "VideoTask", "WaveConfig", "WaveTask"]
