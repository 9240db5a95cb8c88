"""Registry of tasks: one file each, one line here; the CLI makes one subcommand per entry."""

from __future__ import annotations

from sirenkit.tasks.base import Batch, Task
from sirenkit.tasks.image import ImageConfig, ImageTask
from sirenkit.tasks.sdf import SDFConfig, SDFTask

TASKS = {"image": (ImageTask, ImageConfig), "sdf": (SDFTask, SDFConfig)}
"""name -> (task class with ``from_config``, its config dataclass)."""

__all__ = ["TASKS", "Batch", "ImageConfig", "ImageTask", "SDFConfig", "SDFTask", "Task"]
