"""Input and output: images, checkpoints, model files, durable writes."""

from typing import Any

from sirenkit.io.checkpoint import load_checkpoint, read_model, save_checkpoint, save_model
from sirenkit.io.image import BUILTIN_IMAGES, load_image, save_image
from sirenkit.io.run_dir import write_json

__all__ = ["BUILTIN_IMAGES", "load_checkpoint", "load_image", "read_model", "save_checkpoint", "save_image", "save_model",
           "write_json"]


def __getattr__(name: str) -> Any:
    if name in ("load", "prepare_run_dir"):  # moved to sirenkit.runs; aliases kept for one release
        import importlib
        import warnings

        new = {"load": "load", "prepare_run_dir": "prepare"}[name]
        warnings.warn(f"sirenkit.io.{name} moved to sirenkit.runs.{new}; the old name goes in the next release.",
                      FutureWarning, stacklevel=2)
        return getattr(importlib.import_module("sirenkit.runs"), new)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
