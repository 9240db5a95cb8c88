"""Registry of tasks: one file each, one line here; the CLI makes one subcommand per entry."""

from __future__ import annotations

from sirenkit.tasks.base import Batch, Task
from sirenkit.tasks.blend import BlendConfig, BlendTask
from sirenkit.tasks.image import ImageConfig, ImageTask
from sirenkit.tasks.poisson import PoissonConfig, PoissonTask
from sirenkit.tasks.sdf import SDFConfig, SDFTask

TASKS = {
    "image": (ImageTask, ImageConfig),
    "poisson": (PoissonTask, PoissonConfig),
    "blend": (BlendTask, BlendConfig),
    "sdf": (SDFTask, SDFConfig),
}
"""name -> (task class with ``from_config``, its config dataclass)."""

__all__ = ["TASKS", "Batch", "BlendConfig", "BlendTask", "ImageConfig", "ImageTask", "PoissonConfig", "PoissonTask", "SDFConfig",
           "SDFTask", "Task"]
