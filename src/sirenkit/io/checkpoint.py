"""Checkpoints (resumable training state) and model files (the field alone, loads anywhere).

Reading and writing only: rebuilding a field from a model file is `sirenkit.runs.load`, so
that io knows no field classes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch import Tensor, nn

from sirenkit.config import FieldConfig
from sirenkit.errors import DataError
from sirenkit.io.run_dir import atomic_path

MODEL_FILE = "model.safetensors"
CHECKPOINT_FILE = "checkpoint.pt"


def save_checkpoint(path: Path, state: dict[str, Any]) -> Path:
    """torch.save of plain tensors, numbers and dicts (loads with weights_only=True), atomically."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return path


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by `save_checkpoint`, onto the CPU."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataError(f"{path}: cannot read the checkpoint ({type(exc).__name__}); "
                        "it is damaged or not a sirenkit checkpoint. Start again with --overwrite.") from None
    if not isinstance(state, dict):
        raise DataError(f"{path}: holds a {type(state).__name__}, not a sirenkit checkpoint. Start again with --overwrite.")
    return state


def save_model(path: Path, field: nn.Module) -> Path:
    """The field's weights as safetensors, its FieldConfig as JSON in the metadata."""
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in field.state_dict().items()}
    config = json.dumps(_field_config(field).__dict__)
    with atomic_path(path) as tmp:  # bytes, not a path string: safetensors cannot open a path that is not UTF-8
        Path(tmp).write_bytes(save_tensors(tensors, metadata={"sirenkit_field": config}))
    return path


def read_model(path: Path) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """The weights of a model file and its field config (a dict, as saved), without building the field.

    Raises:
        DataError: not a safetensors file, or one not written by sirenkit.
    """
    try:  # read as bytes: safetensors cannot open a path that is not UTF-8 (a folder named in another encoding)
        data = Path(path).read_bytes()
        tensors = load_tensors(data)
        metadata = _metadata(data)
    except Exception as exc:
        raise DataError(f"{path}: cannot read it as safetensors ({type(exc).__name__}); pass a sirenkit model file.") from None
    if "sirenkit_field" not in metadata:
        raise DataError(f"{path}: holds no sirenkit field config in its metadata; it was not written by sirenkit.")
    try:
        config = json.loads(metadata["sirenkit_field"])
    except json.JSONDecodeError:
        config = None
    if not isinstance(config, dict):
        raise DataError(f"{path}: its sirenkit field config is damaged (not a JSON object); the file cannot be rebuilt.")
    return tensors, config


def _metadata(data: bytes) -> dict[str, str]:
    """The __metadata__ of a safetensors file's bytes: an 8-byte little-endian header length, then the JSON header."""
    length = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + length]).get("__metadata__") or {}


def _field_config(field: nn.Module) -> FieldConfig:
    config = getattr(field, "config", None)
    if not isinstance(config, FieldConfig):
        raise DataError(f"{type(field).__name__} has no FieldConfig in .config; save a sirenkit field (Siren, MLP).")
    return config


def __getattr__(name: str) -> Any:
    if name == "load":  # moved to sirenkit.runs.load (io builds no fields); alias kept for one release
        import importlib
        import warnings

        warnings.warn("sirenkit.io.checkpoint.load moved to sirenkit.runs.load (also sirenkit.load); "
                      "the old name goes in the next release.", FutureWarning, stacklevel=2)
        return importlib.import_module("sirenkit.runs").load
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CHECKPOINT_FILE", "MODEL_FILE", "load_checkpoint", "read_model", "save_checkpoint", "save_model"]
