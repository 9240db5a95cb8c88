"""Live view of a fit in TensorBoard: every loss term and metric, the fit and its derivatives, the config.

Needs the optional ``tensorboard`` package (``pip install 'sirenkit[tensorboard]'``); watch with
``tensorboard --logdir runs/``.
"""

from __future__ import annotations

import dataclasses
import json
import numbers
from pathlib import Path

import numpy as np

from sirenkit.callbacks import Callback, FitState
from sirenkit.errors import ConfigError

LOG_DIR = "tensorboard"


class TensorBoard(Callback):
    """Writes RUN/tensorboard/: scalars at each log step and evaluation, images at each evaluation.

    Scalars: ``loss/<term>`` for every loss term and the weighted ``loss/total`` plus ``lr`` at every
    `log_every` step, ``metrics/<name>`` at every evaluation. Images, for tasks on a 2-D grid (image,
    Poisson: a task with ``in_features == 2`` and a ``shape``): ``fit/image``, ``fit/gradient_norm`` and
    ``fit/laplacian``, the fitted field on the task's grid and the derivative panel of `sirenkit.render`.
    Text: ``config``, the run's config.json.

    Args:
        log_dir: where to write; default ``<out>/tensorboard`` of the fit (``fit(..., out=RUN)``).
        images: also write the image panel at each evaluation.

    Example:
        >>> fit(field, task, steps=2000, out="runs/camera", callbacks=[TensorBoard()])  # doctest: +SKIP
    """

    def __init__(self, log_dir: str | Path | None = None, *, images: bool = True) -> None:
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self.images = images
        self.writer = None

    def on_start(self, state: FitState) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError("TensorBoard logging needs the tensorboard package: pip install 'sirenkit[tensorboard]'.") from None
        if self.log_dir is None:
            if state.out is None:
                raise ConfigError("TensorBoard() needs a run folder: pass fit(..., out=RUN) or TensorBoard(log_dir=...).")
            self.log_dir = state.out / LOG_DIR
        # a resumed run drops the events written after its checkpoint, like metrics.jsonl
        self.writer = SummaryWriter(str(self.log_dir), purge_step=state.step or None)
        self.writer.add_text("config", _as_markdown_code(_config_json(state)), state.step)

    def on_step(self, state: FitState) -> None:
        if state.step % state.config.log_every == 0 or state.step == 1:
            for name, value in state.losses.items():
                self.writer.add_scalar(f"loss/{name}", value, state.step)
            self.writer.add_scalar("lr", state.optimizer.param_groups[0]["lr"], state.step)

    def on_eval(self, state: FitState) -> None:
        for name, value in state.metrics.items():
            if isinstance(value, numbers.Real):
                self.writer.add_scalar(f"metrics/{name}", float(value), state.step)
        if self.images:
            for tag, (image, dataformats) in panel_images(state).items():
                self.writer.add_image(tag, image, state.step, dataformats=dataformats)

    def on_end(self, state: FitState) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def panel_images(state: FitState) -> dict[str, tuple[np.ndarray, str]]:
    """The fit, |grad| and Laplacian on a 2-D task's grid as float images in [0, 1]; {} for other tasks."""
    task = state.task
    shape = getattr(task, "shape", None)
    if getattr(task, "in_features", None) != 2 or shape is None or len(shape) != 2:
        return {}
    import matplotlib

    from sirenkit.render import DEFAULT_CHUNK_SIZE, derivative_images, render_image

    chunk_size = getattr(getattr(task, "config", None), "chunk_size", None) or DEFAULT_CHUNK_SIZE
    image = render_image(state.field, tuple(shape), chunk_size=chunk_size)
    grad, lap = derivative_images(state.field, tuple(shape), chunk_size=chunk_size)
    grad_max = max(float(np.percentile(grad, 99)), 1e-12)  # the scaling of the run folder's panel.png
    lap_max = max(float(np.percentile(np.abs(lap), 99)), 1e-12)
    shown = image[..., 0] if image.shape[-1] == 1 else image[..., :3]
    return {
        "fit/image": (shown, "HW" if shown.ndim == 2 else "HWC"),
        "fit/gradient_norm": (matplotlib.colormaps["magma"](np.clip(grad / grad_max, 0, 1))[..., :3], "HWC"),
        "fit/laplacian": (matplotlib.colormaps["RdBu_r"](np.clip(0.5 + 0.5 * lap / lap_max, 0, 1))[..., :3], "HWC"),
    }


def _config_json(state: FitState) -> str:
    written = state.out / "config.json" if state.out is not None else None
    if written is not None and written.is_file():
        return written.read_text()
    task_config, field_config = getattr(state.task, "config", None), getattr(state.field, "config", None)
    run = {"task": getattr(state.task, "name", type(state.task).__name__), "fit": dataclasses.asdict(state.config),
           "task_config": dataclasses.asdict(task_config) if dataclasses.is_dataclass(task_config) else None,
           "field": dataclasses.asdict(field_config) if dataclasses.is_dataclass(field_config) else None}
    return json.dumps(run, indent=2, default=str)


def _as_markdown_code(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines())  # TensorBoard renders text as markdown
