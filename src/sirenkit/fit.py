"""The one training loop, shared by every task."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from sirenkit.callbacks import Callback, Checkpointer, FitState, MetricsLog
from sirenkit.config import FitConfig, RunConfig, from_dict
from sirenkit.devices import resolve_device, tune_cpu_allocator
from sirenkit.errors import ConfigError, DivergenceError
from sirenkit.io.checkpoint import CHECKPOINT_FILE, load_checkpoint
from sirenkit.io.run_dir import write_json
from sirenkit.tasks.base import Task
from sirenkit.versions import versions

log = logging.getLogger(__name__)


@dataclass
class FitResult:
    """What `fit` returns: final metrics, the evaluation history, and why it stopped."""

    metrics: dict[str, float]
    history: list[dict[str, float]]
    steps: int
    train_seconds: float
    stopped_by: str
    """'steps', 'target_psnr' or 'max_seconds'."""


def lr_factor(step: int, config: FitConfig) -> float:
    """Learning rate of optimizer step `step` (1-based) as a fraction of config.lr."""
    if step <= config.warmup_steps:
        return step / (config.warmup_steps + 1)
    progress = (step - 1 - config.warmup_steps) / max(1, config.steps - 1 - config.warmup_steps)
    progress = min(progress, 1.0)
    if config.lr_schedule == "cosine":
        return config.lr_final + (1.0 - config.lr_final) * 0.5 * (1.0 + math.cos(math.pi * progress))
    if config.lr_schedule == "exponential":
        return config.lr_final**progress
    return 1.0


def fit(
    field: nn.Module,
    task: Task,
    config: FitConfig | None = None,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    callbacks: Sequence[Callback] = (),
    **overrides: object,
) -> FitResult:
    """Train `field` on `task` with Adam; the same loop for every modality.

    Args:
        field: the network (moved to the config's device).
        task: anything implementing `sirenkit.tasks.Task`.
        config: a `FitConfig`; keyword `overrides` replace its fields (``steps=200, lr=1e-4``).
        out: run folder; when given, fit writes config.json (before step 0), metrics.jsonl,
            metrics.json, checkpoint.pt, model.safetensors and the task's exports there.
            `sirenkit.io.prepare_run_dir` checks the folder first.
        resume: continue from ``out/checkpoint.pt``; gives the same result as a run that was
            never interrupted (same seed, CPU).
        callbacks: extra `Callback`s (progress bar, ...).

    Returns:
        FitResult with the final ``metrics`` (task metrics plus ``steps``, ``train_seconds`` =
        wall time of the optimisation steps only, ``seconds_per_step``).

    Raises:
        DivergenceError: a loss term became NaN or inf; names the term and what to change.
    """
    config = _resolve_config(config, overrides)
    device = resolve_device(config.device)
    if device.type == "cpu":
        tune_cpu_allocator()
    field.to(device)
    task.to(device)
    if config.precision != "fp32":
        if not hasattr(field, "precision"):
            raise ConfigError(f"precision='{config.precision}' needs a Siren (its fused training path); "
                              f"{type(field).__name__} trains in fp32 only. Use --precision fp32.")
        field.precision = config.precision
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(field.parameters(), lr=config.lr)
    out = Path(out) if out is not None else None
    state = FitState(field, task, config, optimizer, generator, out=out)
    all_callbacks: list[Callback] = list(callbacks)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        if resume:
            state.restore(load_checkpoint(out / CHECKPOINT_FILE))
            log.info("resuming %s from step %d", out, state.step)
        _write_config(out, field, task, config)
        all_callbacks += [MetricsLog(out), Checkpointer(out)]
    elif resume:
        raise ConfigError("resume=True needs out=RUN_FOLDER holding checkpoint.pt.")

    weights = dict(getattr(task, "loss_weights", {}))
    stopped_by = "steps"
    # compiled, Taylor-mode derivatives fuse their elementwise work (the hand-written fused nodes step aside)
    losses = torch.compile(task.losses) if config.compile else task.losses
    field.train()
    for cb in all_callbacks:
        cb.on_start(state)
    try:
        while state.step < config.steps:
            step = state.step + 1
            state.between_steps = False
            for group in optimizer.param_groups:
                group["lr"] = config.lr * lr_factor(step, config)
            start = time.perf_counter()
            batch = task.sample(step, generator, batch_size=config.batch_size)
            terms = losses(field, batch)
            total = sum(weights.get(name, 1.0) * value for name, value in terms.items())
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            if config.clip_grad:
                nn.utils.clip_grad_norm_(field.parameters(), config.clip_grad)
            total_value = float(total.detach())
            if not math.isfinite(total_value):
                state.between_steps = True
                raise _divergence(state, step, terms, field)
            optimizer.step()
            state.train_seconds += time.perf_counter() - start
            state.step, state.between_steps = step, True
            state.losses = {name: float(value.detach()) for name, value in terms.items()} | {"total": total_value}
            if state.step % config.eval_every == 0 or state.step == config.steps:
                _evaluate(state, all_callbacks)
            for cb in all_callbacks:
                cb.on_step(state)
            if config.target_psnr and state.metrics.get("psnr", -math.inf) >= config.target_psnr:
                stopped_by = "target_psnr"
                break
            if config.max_seconds and state.train_seconds >= config.max_seconds:
                stopped_by = "max_seconds"
                break
        if not state.history or state.history[-1]["step"] != state.step:
            _evaluate(state, all_callbacks)
    finally:
        for cb in all_callbacks:
            cb.on_end(state)
        if hasattr(field, "precision"):
            field.precision = "fp32"
    field.eval()
    metrics = dict(state.metrics) | {
        "steps": state.step,
        "train_seconds": state.train_seconds,
        "seconds_per_step": state.train_seconds / max(state.step, 1),
        "stopped_by": stopped_by,
    }
    if out is not None:
        write_json(out / "metrics.json", metrics)
        exported = task.export(field, out)
        log.info("wrote %s", ", ".join(p.name for p in exported))
    return FitResult(metrics, state.history, state.step, state.train_seconds, stopped_by)


def _resolve_config(config: FitConfig | None, overrides: dict[str, object]) -> FitConfig:
    config = config or FitConfig()
    if overrides:
        known = {f.name for f in dataclasses.fields(FitConfig)}
        if set(overrides) - known:
            from_dict(FitConfig, overrides)  # raises the ConfigError naming the unknown key
        config = dataclasses.replace(config, **overrides)
    return config


def _evaluate(state: FitState, callbacks: Sequence[Callback]) -> None:
    state.metrics = state.task.evaluate(state.field)
    state.field.train()
    state.history.append({"step": state.step, "train_seconds": state.train_seconds, **state.metrics})
    for cb in callbacks:
        cb.on_eval(state)


def _write_config(out: Path, field: nn.Module, task: Task, config: FitConfig) -> None:
    task_config = dataclasses.asdict(task.config) if dataclasses.is_dataclass(task.config) else {}
    run = dataclasses.asdict(RunConfig(task=task.name, task_config=task_config, fit=config, versions=versions()))
    field_config = getattr(field, "config", None)
    run["field"] = dataclasses.asdict(field_config) if dataclasses.is_dataclass(field_config) else None
    write_json(out / "config.json", run)


def _divergence(state: FitState, step: int, terms: dict[str, torch.Tensor], field: nn.Module) -> DivergenceError:
    values = {name: float(value.detach()) for name, value in terms.items()}
    bad = next((name for name, value in values.items() if not math.isfinite(value)), "total")
    shown = "NaN" if math.isnan(values.get(bad, math.nan)) else "inf"
    checkpoint = state.out / CHECKPOINT_FILE if state.out is not None and state.step > 0 else None
    field_config = getattr(field, "config", None)
    omega = f" or --first-omega-0 (now {field_config.first_omega_0:g})" if getattr(field_config, "activation", "") == "sine" else ""
    where = f"last good checkpoint: {checkpoint}" if checkpoint else "no step had finished yet"
    return DivergenceError(
        f"loss became {shown} at step {step} (term '{bad}'); {where}. "
        f"Lower --lr (now {state.config.lr:g}){omega}, or pass --clip-grad 1.0."
    )
