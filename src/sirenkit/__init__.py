"""sirenkit: implicit neural representations with periodic activations (SIREN, arXiv 2006.09661).

Example:
    >>> import sirenkit as sk
    >>> field = sk.Siren(in_features=2, hidden_features=64, hidden_layers=2, out_features=1)
    >>> task = sk.tasks.ImageTask.from_source("camera", size=32)
    >>> result = sk.fit(field, task, steps=20, device="cpu")   # doctest: +SKIP

The public names load on first use (PEP 562), so `import sirenkit` and `sirenkit --help` do not
import torch; `sk.Siren` imports what it needs the first time it is read.
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

_WHERE = {
    "MLP": "sirenkit.fields", "Siren": "sirenkit.fields", "build_field": "sirenkit.fields",
    "FieldConfig": "sirenkit.config", "FitConfig": "sirenkit.config", "RunConfig": "sirenkit.config",
    "ConfigError": "sirenkit.errors", "DataError": "sirenkit.errors", "DivergenceError": "sirenkit.errors",
    "ShapeError": "sirenkit.errors", "SirenkitError": "sirenkit.errors",
    "FitResult": "sirenkit.fit", "fit": "sirenkit.fit",
    "render_image": "sirenkit.render",
    "Run": "sirenkit.runs", "load": "sirenkit.runs", "load_run": "sirenkit.runs", "save": "sirenkit.runs",
    "grid": "sirenkit.samplers",
}
"""Public name -> the module that defines it (submodules such as `sk.ops` and `sk.tasks` load as themselves)."""

__all__ = [
    "MLP", "ConfigError", "DataError", "DivergenceError", "FieldConfig", "FitConfig", "FitResult", "RunConfig",
    "Run", "ShapeError", "Siren", "SirenkitError", "__version__", "build_field", "fit", "grid", "load", "load_run", "metrics",
    "nn", "ops", "render_image", "save", "tasks",
]


def __getattr__(name: str) -> object:
    """Import a public name (or a submodule, `sk.fields`) the first time it is read, then keep it."""
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
    else:
        try:
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 'sirenkit' has no attribute '{name}'") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps `sk.fit` the function once the submodule `sirenkit.fit` is imported (the import system sets the attribute)."""

    def __setattr__(self, name: str, value: object) -> None:
        if _WHERE.get(name, "").rpartition(".")[2] == name and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
