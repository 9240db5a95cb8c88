"""Things that watch the fit loop: progress bar, metrics log, checkpoints."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from sirenkit.config import FieldConfig
from sirenkit.io.checkpoint import CHECKPOINT_FILE, MODEL_FILE, save_checkpoint, save_model
from sirenkit.io.run_dir import append_jsonl


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
    """False while a step is half done; a checkpoint is only taken between steps."""

    def checkpoint(self) -> dict[str, Any]:
        """Plain tensors, numbers and dicts only, so it loads with torch.load(weights_only=True)."""
        return {
            "step": self.step,
            "train_seconds": self.train_seconds,
            "field": {k: v.detach().cpu() for k, v in self.field.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "history": self.history,
        }

    def restore(self, checkpoint: dict[str, Any]) -> None:
        self.step, self.train_seconds = int(checkpoint["step"]), float(checkpoint["train_seconds"])
        self.field.load_state_dict(checkpoint["field"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.generator.set_state(checkpoint["generator"])
        self.history = list(checkpoint["history"])
        self.metrics = dict(self.history[-1]) if self.history else {}


class Callback:
    """Hooks called by `fit`; override the ones you need."""

    def on_start(self, state: FitState) -> None: ...

    def on_step(self, state: FitState) -> None: ...

    def on_eval(self, state: FitState) -> None: ...

    def on_end(self, state: FitState) -> None: ...


class ProgressBar(Callback):
    """One tqdm bar: loss, latest PSNR, steps/s. Hidden when quiet or stderr is not a terminal."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.disable = quiet or not sys.stderr.isatty()
        self.bar: tqdm | None = None

    def on_start(self, state: FitState) -> None:
        self.bar = tqdm(total=state.config.steps, initial=state.step, disable=self.disable, unit="step",
                        dynamic_ncols=True, desc=state.task.name)

    def on_step(self, state: FitState) -> None:
        assert self.bar is not None
        self.bar.update(1)
        if state.step % state.config.log_every == 0 or state.step == 1:
            postfix = {"loss": f"{state.losses['total']:.3g}"}
            if "psnr" in state.metrics:
                postfix["psnr"] = f"{state.metrics['psnr']:.2f}"
            self.bar.set_postfix(postfix, refresh=False)

    def on_end(self, state: FitState) -> None:
        if self.bar is not None:
            self.bar.close()


class MetricsLog(Callback):
    """metrics.jsonl: one line per logged step with each loss term, the total, lr and time."""

    def __init__(self, out: Path) -> None:
        self.path = out / "metrics.jsonl"

    def on_start(self, state: FitState) -> None:
        if self.path.exists():  # resuming: drop lines written after the checkpoint
            lines = [line for line in self.path.read_text().splitlines() if line.strip()]
            kept = [line for line in lines if json.loads(line).get("step", 0) <= state.step]
            self.path.write_text("".join(line + "\n" for line in kept))

    def on_step(self, state: FitState) -> None:
        if state.step % state.config.log_every == 0 or state.step == 1:
            record = {"step": state.step, **state.losses, "lr": state.optimizer.param_groups[0]["lr"],
                      "train_seconds": round(state.train_seconds, 4)}
            append_jsonl(self.path, record)

    def on_eval(self, state: FitState) -> None:
        append_jsonl(self.path, {"step": state.step, "train_seconds": round(state.train_seconds, 4), **state.metrics})


class Checkpointer(Callback):
    """checkpoint.pt and model.safetensors every `save_every` steps and at the end, atomically."""

    def __init__(self, out: Path) -> None:
        self.out = out

    def save(self, state: FitState) -> None:
        save_checkpoint(self.out / CHECKPOINT_FILE, state.checkpoint())
        if isinstance(getattr(state.field, "config", None), FieldConfig):  # a sirenkit field, loadable by sk.load
            save_model(self.out / MODEL_FILE, state.field)

    def on_step(self, state: FitState) -> None:
        if state.step % state.config.save_every == 0:
            self.save(state)

    def on_end(self, state: FitState) -> None:
        if state.between_steps:  # also on Ctrl-C or an error, so no finished step is lost
            self.save(state)
