"""Helmholtz, inverse Helmholtz and wave runs in the viewer: real, imaginary and magnitude, velocity, u(t); and the
real field u of a dirichlet Helmholtz run beside its exact solution.

Each picture is the field on a resolution² grid over [-1, 1]² (rows follow the first coordinate, as
`sirenkit.grid`), coloured over its own range, which is returned with it for the colour bar. A dirichlet
run's u is the task's own (`HelmholtzDirichletTask.solution`: the network times the boundary factor when
the boundary is hard), never the raw network output.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from sirenkit.physics.helmholtz_dirichlet import exact_solution
from sirenkit.render import evaluate_points
from sirenkit.samplers import grid
from sirenkit.tasks.helmholtz_dirichlet import HelmholtzDirichletTask
from sirenkit.view.requests import BadRequest

TASKS = ("helmholtz", "helmholtz-inverse", "wave")
MAX_RESOLUTION = 512
"""Largest picture side: one request evaluates at most MAX_RESOLUTION² points."""
LAYER_COLORMAPS = {"real": "RdBu_r", "imag": "RdBu_r", "magnitude": "inferno", "velocity": "viridis", "u": "RdBu_r",
                   "exact": "RdBu_r", "error": "RdBu_r"}
DIRICHLET_LAYERS = ("u", "exact", "error")
"""A dirichlet run: the task's u, the exact sin(kx)·sin(ky) and u - exact."""


def is_dirichlet(task_name: str, config: dict[str, Any]) -> bool:
    """A `helmholtz --problem dirichlet` run (config.json's task_config.problem): one real channel, no medium."""
    return task_name == "helmholtz" and config.get("task_config", {}).get("problem") == "dirichlet"


def layers(task_name: str, task: Any) -> tuple[str, ...]:
    """The layers a run offers; the velocity needs the run's task (its medium or its data)."""
    if task_name == "wave":
        return ("u",)
    if isinstance(task, HelmholtzDirichletTask):
        return DIRICHLET_LAYERS
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
def layer_at(task_name: str, field: nn.Module, task: Any, layer: str, coords: torch.Tensor, *, t: float = 0.0,
             source: int = 0) -> np.ndarray:
    """One layer at coords (N, 2) in [-1, 1]², float32 (N,); BadRequest for a layer or source the run lacks."""
    if layer not in layers(task_name, task):
        raise BadRequest(f"layer={layer!r}: this run has {', '.join(layers(task_name, task))}")
    if task_name == "wave":
        return evaluate_points(field, torch.cat([torch.full((len(coords), 1), t), coords], dim=1))[:, 0].numpy()
    if isinstance(task, HelmholtzDirichletTask):
        xy = (coords.double() + 1.0) / 2.0  # the task's own units: x in [0, 1]²
        exact = exact_solution(xy, task.config.k)[:, 0].numpy()
        if layer == "exact":
            return exact.astype(np.float32)
        u = task.solution(field, xy)
        return (u if layer == "u" else u - exact).astype(np.float32)
    out = evaluate_points(field, coords)
    if layer == "velocity":
        speed = task.velocity_at(coords) if task_name == "helmholtz" else task.velocity_of(out, coords)
        return speed.reshape(-1).float().numpy()
    sources = task.n_sources if task_name == "helmholtz-inverse" and task is not None else 1
    if not 0 <= source < sources:
        raise BadRequest(f"source={source} is outside [0, {sources - 1}]")
    real, imag = out[:, 2 * source], out[:, 2 * source + 1]
    return {"real": real, "imag": imag, "magnitude": torch.hypot(real, imag)}[layer].float().numpy()


def layer_values(task_name: str, field: nn.Module, task: Any, layer: str, resolution: int, *, t: float = 0.0,
                 source: int = 0) -> np.ndarray:
    """One layer on the grid, (resolution, resolution) float32."""
    values = layer_at(task_name, field, task, layer, grid((resolution, resolution)), t=t, source=source)
    return values.reshape(resolution, resolution)


def point_values(task_name: str, field: nn.Module, task: Any, point: tuple[float, float], *, t: float = 0.0,
                 source: int = 0) -> dict[str, float]:
    """Every layer's value at one point (c1, c2) of [-1, 1]²: the page's click readout."""
    coords = torch.tensor([point], dtype=torch.float32)
    return {layer: float(layer_at(task_name, field, task, layer, coords, t=t, source=source)[0])
            for layer in layers(task_name, task)}


def relative_l2(field: nn.Module, task: Any) -> float | None:
    """A dirichlet run's score now, the task's own `relative_l2` (DeepXDE's test grid); None for other runs."""
    return float(task.evaluate(field)["relative_l2"]) if isinstance(task, HelmholtzDirichletTask) else None


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
