"""Fields: nn.Modules mapping coordinates to values."""

from typing import Any

from sirenkit.fields.build import build_field, field_config_for
from sirenkit.fields.encodings import ENCODINGS
from sirenkit.fields.mlp import MLP
from sirenkit.fields.siren import Siren
from sirenkit.fields.stacked import StackedSiren

__all__ = ["ENCODINGS", "MLP", "Siren", "StackedSiren", "build_field", "field_config_for"]


def __getattr__(name: str) -> Any:
    if name == "fit_images":  # moved to sirenkit.tasks.image_set (fields know no loop); alias kept for one release
        import importlib

        return importlib.import_module("sirenkit.tasks.image_set").fit_images_deprecated
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
