"""sirenkit: implicit neural representations with periodic activations (SIREN, arXiv 2006.09661).

Example:
    >>> import sirenkit as sk
    >>> field = sk.Siren(in_features=2, hidden_features=64, hidden_layers=2, out_features=1)
    >>> task = sk.tasks.ImageTask.from_source("camera", size=32)
    >>> result = sk.fit(field, task, steps=20, device="cpu")   # doctest: +SKIP
"""

import importlib

from sirenkit import metrics, nn, ops
from sirenkit.config import FieldConfig, FitConfig, RunConfig
from sirenkit.errors import ConfigError, DataError, DivergenceError, ShapeError, SirenkitError
from sirenkit.fields import MLP, Siren, build_field
from sirenkit.fit import FitResult, fit
from sirenkit.render import render_image
from sirenkit.runs import Run, load, load_run
from sirenkit.samplers import grid

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """`sk.tasks` on first use: importing the loop or a field must not import every task (trimesh, the SDF one's)."""
    if name == "tasks":
        return importlib.import_module("sirenkit.tasks")
    raise AttributeError(f"module 'sirenkit' has no attribute '{name}'")

__all__ = [
    "MLP", "ConfigError", "DataError", "DivergenceError", "FieldConfig", "FitConfig", "FitResult", "RunConfig",
    "Run", "ShapeError", "Siren", "SirenkitError", "__version__", "build_field", "fit", "grid", "load", "load_run", "metrics",
    "nn", "ops", "render_image", "tasks",
]
