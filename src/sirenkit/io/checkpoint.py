"""Checkpoints (resumable training state) and model files (the field alone, loads anywhere)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from sirenkit.config import FieldConfig, from_dict
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
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataError(f"{path}: cannot read the checkpoint ({type(exc).__name__}); "
                        "it is damaged or not a sirenkit checkpoint. Start again with --overwrite.") from None


def save_model(path: Path, field: nn.Module) -> Path:
    """The field's weights as safetensors, its FieldConfig as JSON in the metadata."""
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in field.state_dict().items()}
    config = json.dumps(_field_config(field).__dict__)
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"sirenkit_field": config})
    return path


def _field_config(field: nn.Module) -> FieldConfig:
    config = getattr(field, "config", None)
    if not isinstance(config, FieldConfig):
        raise DataError(f"{type(field).__name__} has no FieldConfig in .config; save a sirenkit field (Siren, MLP).")
    return config


def load(run_or_model: str | Path) -> nn.Module:
    """Rebuild a saved field on the CPU, in eval mode: from a run folder or a model.safetensors.

    Example:
        >>> field = sirenkit.load("runs/camera")     # doctest: +SKIP
        >>> image = sirenkit.render.render_image(field, (1024, 1024))  # doctest: +SKIP
    """
    from sirenkit.fields import build_field

    path = Path(run_or_model)
    if path.is_dir():
        path = path / MODEL_FILE
    if not path.is_file():
        raise DataError(f"{run_or_model}: no model found; pass a run folder holding {MODEL_FILE}, or the file itself.")
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:
        raise DataError(f"{path}: cannot read it as safetensors ({type(exc).__name__}); pass a sirenkit model file.") from None
    if "sirenkit_field" not in metadata:
        raise DataError(f"{path}: holds no sirenkit field config in its metadata; it was not written by sirenkit.")
    field = build_field(from_dict(FieldConfig, json.loads(metadata["sirenkit_field"])))
    field.load_state_dict(tensors)
    return field.eval()


__all__ = ["load", "load_checkpoint", "save_checkpoint", "save_model"]
