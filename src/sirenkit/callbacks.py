"""Things that watch the fit loop: progress bar, metrics log, checkpoints."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sirenkit.config import FieldConfig
from sirenkit.errors import DataError
from sirenkit.io.checkpoint import CHECKPOINT_FILE, MODEL_FILE, save_checkpoint, save_model
from sirenkit.io.run_dir import append_jsonl, read_jsonl, write_jsonl
from sirenkit.protocols import capability
from sirenkit.runs import METRICS_LOG


@dataclass
class FitState:
    """What the loop holds between steps; callbacks read it, the checkpoint stores it."""

    field: nn.Module
    task: Any
    config: Any
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    out: Path | None = None
    step: int = 0
    train_seconds: float = 0.0
    losses: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)
    between_steps: bool = True
    """False while the optimizer is updating the weights; a checkpoint is only taken between steps."""
    generator_state: torch.Tensor | None = None
    """The generator as it was when the last finished step ended (the next step's sampling has moved it)."""
    best_total: float = math.inf
    """Lowest weighted total loss of a logged step; a total 1000x above it is divergence."""
    best_terms: tuple[str, ...] = ()
    """The loss terms that were non-zero when `best_total` was logged: a total is only compared with totals of the
    same terms, so a task that changes its loss (pretraining, then the real objective) is not taken for diverging."""
    diverged: bool = False
    """Set when the loss became NaN, inf or exploded: the weights are then never saved."""
    saved_step: int | None = None
    """Step held by the checkpoint on disk (None: none written or restored yet)."""
    run: dict[str, Any] = field(default_factory=dict)
    """Task name, task config and field config, stored in the checkpoint so a resume can check them."""
    sampler: Any = None
    """The task's sampler (the `grid_sampler` or `point_sampler` capability), whose state (recorded errors, kept points) the
    checkpoint keeps; None without one."""

    def checkpoint(self) -> dict[str, Any]:
        """Plain tensors, numbers and dicts only, so it loads with torch.load(weights_only=True)."""
        return {
            "step": self.step,
            "train_seconds": self.train_seconds,
            "field": {k: v.detach().cpu() for k, v in self.field.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator_state if self.generator_state is not None else self.generator.get_state(),
            "history": self.history,
            "best_total": self.best_total,
            "best_terms": list(self.best_terms),
            "run": self.run,
            "sampler": self.sampler.state_dict() if self.sampler is not None else {},
            "task": training.state_dict() if (training := capability(self.task, "training_state")) is not None else {},
        }

    def restore(self, checkpoint: dict[str, Any], path: Path) -> None:
        """Continue from a checkpoint; DataError when it belongs to another task or architecture."""
        saved = checkpoint.get("run") or {}
        if saved.get("task") not in (None, self.run.get("task")):
            raise DataError(f"{path}: is a checkpoint of a '{saved['task']}' run, not of '{self.run.get('task')}'; "
                            "resume it with its own command, or start a new run (--overwrite, or another --out).")
        try:
            self.field.load_state_dict(checkpoint["field"])
            self.optimizer.load_state_dict(checkpoint["optimizer"])
            self.generator.set_state(checkpoint["generator"])
            self.step, self.train_seconds = int(checkpoint["step"]), float(checkpoint["train_seconds"])
            self.history = list(checkpoint["history"])
            if self.sampler is not None:
                self.sampler.load_state_dict(checkpoint.get("sampler") or {})
            if (training := capability(self.task, "training_state")) is not None:
                training.load_state_dict(checkpoint.get("task") or {})
        except (KeyError, RuntimeError, ValueError, TypeError) as exc:
            changed = _changed(saved.get("field"), self.run.get("field"))
            hint = f" (changed: {changed})" if changed else ""
            raise DataError(f"{path}: does not fit this model{hint}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}. "
                            "Resume with the run's own settings (its config.json), or start a new run (--overwrite, "
                            "or another --out).") from None
        self.generator_state = self.generator.get_state()
        self.best_total = float(checkpoint.get("best_total", math.inf))
        self.best_terms = tuple(checkpoint.get("best_terms", ()))
        self.metrics = dict(self.history[-1]) if self.history else {}
        self.saved_step = self.step


def _changed(old: dict | None, new: dict | None) -> str:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return ""
    return ", ".join(f"{k} {old[k]} -> {new.get(k)}" for k in old if old[k] != new.get(k))


class Callback:
    """Hooks called by `fit`; override the ones you need."""

    def on_start(self, state: FitState) -> None: ...

    def on_step(self, state: FitState) -> None: ...

    def on_verified(self, state: FitState) -> None:
        """The weights of the last finished step gave a finite, sane loss; they are safe to save."""

    def on_eval(self, state: FitState) -> None: ...

    def on_end(self, state: FitState) -> None: ...


class MetricsLog(Callback):
    """metrics.jsonl: one line per logged step with each loss term, the total, lr and time.

    Appended to line by line; on resume the lines after the checkpoint (and a line a kill cut in
    half) are dropped by one atomic rewrite, so the file is never left empty or torn.
    """

    def __init__(self, out: Path) -> None:
        self.path = out / METRICS_LOG

    def on_start(self, state: FitState) -> None:
        if self.path.exists():
            records = read_jsonl(self.path)
            write_jsonl(self.path, [r for r in records if isinstance(r.get("step", 0), int) and r.get("step", 0) <= state.step])

    def on_step(self, state: FitState) -> None:
        if state.step % state.config.log_every == 0 or state.step == 1:
            record = {"step": state.step, **state.losses, "lr": state.optimizer.param_groups[0]["lr"],
                      "train_seconds": round(state.train_seconds, 4)}
            append_jsonl(self.path, record)

    def on_eval(self, state: FitState) -> None:
        append_jsonl(self.path, {"step": state.step, "train_seconds": round(state.train_seconds, 4), **state.metrics})


class Checkpointer(Callback):
    """checkpoint.pt and model.safetensors every `save_every` steps and at the end, atomically.

    A periodic save of step k waits until step k+1's loss has been checked (`on_verified`), so a
    checkpoint on disk always holds weights that gave a finite loss; diverged weights are never
    written (not even on the way out), so the good checkpoint and model stay.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.due = False

    def save(self, state: FitState) -> None:
        save_checkpoint(self.out / CHECKPOINT_FILE, state.checkpoint())
        if isinstance(getattr(state.field, "config", None), FieldConfig):  # a sirenkit field, loadable by sk.load
            save_model(self.out / MODEL_FILE, state.field)
        state.saved_step = state.step

    def on_step(self, state: FitState) -> None:
        if state.step % state.config.save_every == 0:
            self.due = True

    def on_verified(self, state: FitState) -> None:
        if self.due:
            self.save(state)
            self.due = False

    def on_end(self, state: FitState) -> None:
        # also on Ctrl-C or an error, so no finished step is lost; never diverged weights
        if state.between_steps and not state.diverged and state.step > 0 and state.saved_step != state.step:
            self.save(state)
