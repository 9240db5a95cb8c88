"""Versions recorded in every run folder, so a result can be traced to the code that made it."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version


def versions() -> dict[str, str]:
    """sirenkit, torch, numpy, scikit-image and Python versions."""
    found = {"python": platform.python_version()}
    for name in ("sirenkit", "torch", "numpy", "scikit-image"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found
