"""Helmholtz, inverse Helmholtz and wave runs in the viewer: real, imaginary and magnitude, velocity, u(t).

Each picture is the field on a resolution² grid over [-1, 1]² (rows follow the first coordinate, as
`sirenkit.grid`), coloured over its own range, which is returned with it for the colour bar.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from sirenkit.render import evaluate_points
from sirenkit.samplers import grid
from sirenkit.view.requests import BadRequest

TASKS = ("helmholtz", "helmholtz-inverse", "wave")
MAX_RESOLUTION = 512
"""Largest picture side: one request evaluates at most MAX_RESOLUTION² points."""
LAYER_COLORMAPS = {"real": "RdBu_r", "imag": "RdBu_r", "magnitude": "inferno", "velocity": "viridis", "u": "RdBu_r"}


def layers(task_name: str, task: Any) -> tuple[str, ...]:
    """The layers a run offers; the velocity needs the run's task (its medium or its data)."""
    if task_name == "wave":
        return ("u",)
    if not getattr(task, "field_holds_wavefields", True):  # a hybrid inversion: its network is the velocity alone
        return ("velocity",)
    return ("real", "imag", "magnitude", "velocity") if task is not None else ("real", "imag", "magnitude")


def describe(task_name: str, task: Any, config: dict[str, Any]) -> dict[str, Any]:
    info = {"layers": list(layers(task_name, task)), "colormaps": LAYER_COLORMAPS, "max_resolution": MAX_RESOLUTION}
    if task_name == "wave":
        info["t_max"] = float(config.get("task_config", {}).get("t_max", 0.4))
    if task_name == "helmholtz-inverse" and task is not None:
        info["sources"] = int(task.n_sources)
    return info


@torch.no_grad()
def layer_values(task_name: str, field: nn.Module, task: Any, layer: str, resolution: int, *, t: float = 0.0,
                 source: int = 0) -> np.ndarray:
    """One layer on the grid, (resolution, resolution) float32."""
    if layer not in layers(task_name, task):
        raise BadRequest(f"layer={layer!r}: this run has {', '.join(layers(task_name, task))}")
    xy = grid((resolution, resolution))
    if task_name == "wave":
        return evaluate_points(field, torch.cat([torch.full((len(xy), 1), t), xy], dim=1))[:, 0].reshape(resolution, resolution).numpy()
    out = evaluate_points(field, xy)
    if layer == "velocity":
        speed = task.velocity_at(xy) if task_name == "helmholtz" else task.velocity_of(out, xy)
        return speed.reshape(resolution, resolution).float().numpy()
    sources = task.n_sources if task_name == "helmholtz-inverse" and task is not None else 1
    if not 0 <= source < sources:
        raise BadRequest(f"source={source} is outside [0, {sources - 1}]")
    real, imag = out[:, 2 * source], out[:, 2 * source + 1]
    values = {"real": real, "imag": imag, "magnitude": torch.hypot(real, imag)}[layer]
    return values.reshape(resolution, resolution).float().numpy()


def value_range(layer: str, values: np.ndarray) -> tuple[float, float]:
    """Symmetric about 0 for signed layers, from 0 for the magnitude, min to max for the velocity."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return -1.0, 1.0
    if layer == "velocity":
        low, high = float(finite.min()), float(finite.max())
        return (low, high) if high > low else (low - 0.5, high + 0.5)
    top = float(np.abs(finite).max()) or 1.0
    return (0.0, top) if layer == "magnitude" else (-top, top)
