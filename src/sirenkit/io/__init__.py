"""Input and output: images, checkpoints, model files, run folders."""

from sirenkit.io.checkpoint import load, load_checkpoint, save_checkpoint, save_model
from sirenkit.io.image import BUILTIN_IMAGES, load_image, save_image
from sirenkit.io.run_dir import prepare_run_dir, write_json

__all__ = ["BUILTIN_IMAGES", "load", "load_checkpoint", "load_image", "prepare_run_dir", "save_checkpoint",
           "save_image", "save_model", "write_json"]
