"""sirenkit: implicit neural representations with periodic activations (SIREN, arXiv 2006.09661).

Example:
    >>> import sirenkit as sk
    >>> field = sk.Siren(in_features=2, hidden_features=64, hidden_layers=2, out_features=1)
    >>> task = sk.tasks.ImageTask.from_source("camera", size=32)
    >>> result = sk.fit(field, task, steps=20, device="cpu")   # doctest: +SKIP
"""

from sirenkit import metrics, nn, ops, tasks
from sirenkit.config import FieldConfig, FitConfig, RunConfig
from sirenkit.errors import ConfigError, DataError, DivergenceError, ShapeError, SirenkitError
from sirenkit.fields import MLP, Siren, build_field
from sirenkit.fit import FitResult, fit
from sirenkit.render import render_image
from sirenkit.runs import Run, load, load_run
from sirenkit.samplers import grid

__version__ = "0.1.0"

__all__ = [
    "MLP", "ConfigError", "DataError", "DivergenceError", "FieldConfig", "FitConfig", "FitResult", "RunConfig",
    "Run", "ShapeError", "Siren", "SirenkitError", "__version__", "build_field", "fit", "grid", "load", "load_run", "metrics",
    "nn", "ops", "render_image", "tasks",
]
