"""The one training loop, shared by every task: the only place in sirenkit that steps an optimizer.

One process, or several under torchrun (WORLD_SIZE > 1): then `fit` joins the process group
(gloo on CPU, nccl on CUDA), trains the field wrapped in DistributedDataParallel on the task's
share (``task.shard(rank, world)``), and only rank 0 writes the run folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from sirenkit import budget, runs
from sirenkit.callbacks import Callback, Checkpointer, FitState, MetricsLog
from sirenkit.config import RESUMABLE, FieldConfig, FitConfig, RunConfig, from_dict, same_setting
from sirenkit.devices import cpu_lacks_bf16, resolve_device, tune_cpu_allocator
from sirenkit.errors import ConfigError, DivergenceError
from sirenkit.io.checkpoint import CHECKPOINT_FILE, load_checkpoint
from sirenkit.io.run_dir import write_json
from sirenkit.optimizers import make_optimizer, make_polish, polish_closure
from sirenkit.protocols import Batch, Task, capability, presets
from sirenkit.samplers import GridSampler, RetainResample

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


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a fit between two steps; the message says what was saved."""


def lr_factor(step: int, config: FitConfig) -> float:
    """Learning rate of optimizer step `step` (1-based) as a fraction of config.lr."""
    if step <= config.warmup_steps:
        return step / (config.warmup_steps + 1)
    span = config.schedule_steps or config.steps
    progress = (step - 1 - config.warmup_steps) / max(1, span - 1 - config.warmup_steps)
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
    """Train `field` on `task` (Adam or SOAP, then optionally L-BFGS); the same loop for every modality.

    Args:
        field: the network (moved to the config's device).
        task: anything implementing `sirenkit.protocols.Task`.
        config: a `FitConfig`; without one, the task's own fit presets (``protocols.presets``,
            e.g. audio lr 1e-4), exactly as the CLI uses them. Keyword `overrides` replace its
            fields (``steps=200, lr=1e-4``).
        out: run folder; when given, fit locks it, writes config.json (before step 0),
            metrics.jsonl, metrics.json, checkpoint.pt, model.safetensors, the task's exports and
            manifest.json there. `sirenkit.runs.prepare` checks the folder first.
        resume: continue from ``out/checkpoint.pt``; gives the same result as a run that was
            never interrupted (same seed, CPU).
        callbacks: extra `Callback`s (progress bar, ...).

    Returns:
        FitResult with the final ``metrics`` (task metrics plus ``steps``, ``train_seconds`` =
        wall time of the optimisation steps only, ``seconds_per_step``).

    Raises:
        DivergenceError: a loss term became NaN or inf, or the total grew `divergence_factor`
            times over its best; names the term, the last good checkpoint and what to change.
        Interrupted: SIGINT or SIGTERM; the last finished step was saved first (with `out`).
    """
    config = _resolve_config(config, overrides, task)
    world, rank, local_rank = (int(os.environ.get(k, d)) for k, d in (("WORLD_SIZE", 1), ("RANK", 0), ("LOCAL_RANK", 0)))
    device = resolve_device(config.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if device.type == "cpu" and config.tune_allocator:
        tune_cpu_allocator()
    out = Path(out) if out is not None else None
    if resume and out is None:
        raise ConfigError("resume=True needs out=RUN_FOLDER holding checkpoint.pt.")
    writer = out is not None and rank == 0
    joined = world > 1 and not dist.is_initialized()
    if joined:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        with runs.lock(out) if writer else contextlib.nullcontext():
            return _fit(field, task, config, device, out, writer, resume, callbacks, world, rank)
    finally:
        if joined:
            dist.destroy_process_group()


def _fit(field: nn.Module, task: Task, config: FitConfig, device: torch.device, out: Path | None, writer: bool,
         resume: bool, callbacks: Sequence[Callback], world: int, rank: int) -> FitResult:
    if world > 1:
        shard = capability(task, "shard")
        if shard is None:
            raise ConfigError(f"the {task.name} task cannot train on {world} processes (it has no shard(rank, world)); "
                              "run it in one process, without torchrun.")
        task = shard(rank, world)
    field.to(device)
    task.to(device)
    if config.precision != "fp32":
        if not hasattr(field, "precision"):
            raise ConfigError(f"precision='{config.precision}' needs a Siren (its fused training path); "
                              f"{type(field).__name__} trains in fp32 only. Use --precision fp32.")
        field.precision = config.precision
        if device.type == "cpu" and cpu_lacks_bf16():
            log.warning("--precision bf16: this CPU has no bfloat16 matrix units (avx512_bf16 or AMX), so torch emulates bf16 "
                        "and a step is many times slower than fp32; use --precision fp32 here.")
    weights = _loss_weights(task)
    generator = torch.Generator().manual_seed(config.seed)
    if config.polish_steps and world > 1:
        raise ConfigError("--polish-steps: an L-BFGS line search needs the loss of the whole batch, which each of several "
                          "processes sees only a share of; run the polish in one process, or drop --polish-steps.")
    sampler = _sampler(task, config)
    _check_step_budget(task, field, config)
    polish_start = config.steps - config.polish_steps
    checkpoint = load_checkpoint(out / CHECKPOINT_FILE) if resume else None
    in_polish = checkpoint is not None and int(checkpoint.get("step", 0)) > polish_start
    optimizer = make_polish(field.parameters()) if in_polish else make_optimizer(config.optimizer, field.parameters(), config.lr)
    state = FitState(field, task, config, optimizer, generator, out=out if writer else None, run=_run_entry(task, field),
                     sampler=sampler)
    if checkpoint is not None:
        _refuse_changes(out, checkpoint, state.run, config)
        state.restore(checkpoint, out / CHECKPOINT_FILE)
        log.info("resuming %s from step %d", out, state.step)
    if config.target_psnr and not resume:
        _check_reports_psnr(task, field)
    all_callbacks: list[Callback] = list(callbacks) if rank == 0 else []
    run_config = RunConfig(task=task.name, task_config=state.run["task_config"], fit=config,
                           field=from_dict(FieldConfig, state.run["field"]) if state.run["field"] is not None else None)
    if writer:
        if not resume:  # a resumed run's config.json changes only once the run it describes exists (see below)
            runs.write_config(out, run_config)
        runs.record(out, runs.CORE_FILES)
        all_callbacks[:0] = [MetricsLog(out), Checkpointer(out)]  # first: a user callback that raises cannot cost a logged step
    model = DistributedDataParallel(field, device_ids=[device.index] if device.type == "cuda" else None) if world > 1 else field

    stopped_by = "steps"
    first_step = state.step + 1  # its loss comes from weights no update of this call has touched
    # compiled, Taylor-mode derivatives fuse their elementwise work (the hand-written fused nodes step aside)
    losses = torch.compile(task.losses) if config.compile else task.losses
    field.train()
    for cb in all_callbacks:
        cb.on_start(state)
    try:
        with _StopSignals() as signals:
            while state.step < config.steps:
                if signals.received and world == 1:
                    raise Interrupted(_interrupted_message(state, signals.received))
                step = state.step + 1
                polishing = step > polish_start
                if polishing and not isinstance(optimizer, torch.optim.LBFGS):
                    optimizer = state.optimizer = make_polish(field.parameters())
                    log.info("step %d: L-BFGS polish for the last %d steps", step, config.polish_steps)
                if not polishing:
                    for group in optimizer.param_groups:
                        group["lr"] = config.lr * lr_factor(step, config)
                start = time.perf_counter()
                batch = task.sample(step, generator, batch_size=0 if polishing else config.batch_size)
                terms = losses(model, batch)
                total = _weighted_total(terms, weights, task.name)
                optimizer.zero_grad(set_to_none=True)
                total.backward()
                if config.clip_grad:
                    nn.utils.clip_grad_norm_(field.parameters(), config.clip_grad)
                total_value, received = _agree(float(total.detach()), signals.received, world)
                if received:
                    raise Interrupted(_interrupted_message(state, received))
                _check_divergence(state, step, terms, total_value, batch=batch, first=step == first_step)
                for cb in all_callbacks:
                    cb.on_verified(state)
                state.between_steps = False
                if polishing:
                    optimizer.step(polish_closure(optimizer, total, lambda b=batch: _weighted_total(losses(model, b), weights, task.name)))
                else:
                    optimizer.step()
                state.train_seconds += time.perf_counter() - start
                state.step, state.between_steps = step, True
                state.generator_state = generator.get_state()
                state.losses = {name: float(value.detach()) for name, value in terms.items()} | {"total": total_value}
                if step % config.log_every == 0 or step == 1:
                    active = _active_terms(state.losses)
                    best = state.best_total if active == state.best_terms else math.inf
                    state.best_total, state.best_terms = min(best, total_value), active
                if state.step % config.eval_every == 0 or state.step == config.steps:
                    _evaluate(state, all_callbacks, rank)
                for cb in all_callbacks:
                    cb.on_step(state)
                if config.target_psnr and state.metrics.get("psnr", -math.inf) >= config.target_psnr:
                    stopped_by = "target_psnr"
                if config.max_seconds and state.train_seconds >= config.max_seconds:
                    stopped_by = "max_seconds"
                if _agree_stop(stopped_by != "steps", world):
                    stopped_by = stopped_by if stopped_by != "steps" else "another process"
                    break
        if not state.history or state.history[-1]["step"] != state.step:
            _evaluate(state, all_callbacks, rank)
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
    if writer:
        if resume:
            runs.write_config(out, run_config)
        write_json(out / runs.METRICS_FILE, metrics)
        exported = task.export(field, out)
        runs.record(out, exported)
        log.info("wrote %s", ", ".join(p.name for p in exported))
    if world > 1:
        dist.barrier()  # ranks leave together, after rank 0 wrote the run folder (a resume on any rank reads it)
    return FitResult(metrics, state.history, state.step, state.train_seconds, stopped_by)


def _resolve_config(config: FitConfig | None, overrides: dict[str, object], task: object) -> FitConfig:
    if config is None:
        config = from_dict(FitConfig, presets(task)[1], where=f"{getattr(task, 'name', 'task')} fit presets")
    if overrides:
        known = {f.name for f in dataclasses.fields(FitConfig)}
        if set(overrides) - known:
            from_dict(FitConfig, overrides)  # raises the ConfigError naming the unknown key
        config = dataclasses.replace(config, **overrides)
    return config


def _sampler(task: Task, config: FitConfig) -> GridSampler | RetainResample | None:
    """The task's sampler (its grid's or its collocation points'), switched to `config.sampler`; ConfigError where it cannot."""
    sampler = capability(task, "grid_sampler") or capability(task, "point_sampler")
    if sampler is None:
        if config.sampler != "uniform":
            raise ConfigError(f"--sampler {config.sampler}: the {task.name} task has no sampler to switch (image, audio and "
                              "poisson have error, helmholtz and wave residual); use --sampler uniform.")
        return None
    sampler.use(config.sampler, refresh_every=config.sampler_refresh_every)
    return sampler


def _check_step_budget(task: Task, field: nn.Module, config: FitConfig) -> None:
    """Refuse a step whose activations cannot fit in memory (a full grid of many points through a wide field)."""
    field_config = getattr(field, "config", None)
    shape = capability(task, "shape")
    points = config.batch_size or (budget.grid_points(shape) if shape else 0)
    if isinstance(field_config, FieldConfig) and points:
        budget.check_memory(f"one training step on {points} points through a field {field_config.hidden_features} wide",
                            budget.activation_bytes(points, field_config.hidden_features, field_config.hidden_layers),
                            fix="pass --batch-size (points per step), or a smaller --hidden-features or --size.")


def _check_reports_psnr(task: Task, field: nn.Module) -> None:
    """--target-psnr on a task whose metrics hold no 'psnr' would never stop the run: refuse it before step 1."""
    metrics = task.evaluate(field)
    field.train()
    if "psnr" not in metrics:
        raise ConfigError(f"--target-psnr: the {task.name} task reports no PSNR (its metrics: {', '.join(metrics) or 'none'}), "
                          "so it could never stop the run; stop it with --steps or --max-seconds instead.")


def _loss_weights(task: Task) -> dict[str, float]:
    weights = getattr(task, "loss_weights", None)
    if not isinstance(weights, dict):
        raise ConfigError(f"the {getattr(task, 'name', type(task).__name__)} task has no loss_weights dict; a task gives "
                          "every term its losses() returns a weight (see sirenkit.protocols.merge_loss_weights).")
    for name, value in weights.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ConfigError(f"loss weight {name}={value!r} must be a finite number >= 0 (0 turns the term off); "
                              f"pass e.g. --loss-weight {name}=1.")
    return weights


def _refuse_changes(out: Path, checkpoint: dict[str, Any], now: dict[str, Any], config: FitConfig) -> None:
    """ConfigError naming the first data or architecture setting that differs from the run being resumed.

    A changed schedule (steps, lr, ...) is applied, with a warning naming it: through the API a resume
    may extend a run on purpose (the CLI refuses that too, and says how to start a longer run).
    """
    saved = checkpoint.get("run") or {}
    schedule = {f.name for f in dataclasses.fields(FitConfig)}  # a task config may mirror them (the prior's steps, lr)
    for part in ("task_config", "field"):
        old, new = saved.get(part), now.get(part)
        if not isinstance(old, dict) or not isinstance(new, dict):
            continue
        for key in old:
            if key in new and not same_setting(old[key], new[key]) and not (part == "task_config" and key in schedule):
                raise ConfigError(f"resume: {out} was started with {key}={old[key]!r} and this run asks for "
                                  f"{key}={new[key]!r} ({part}); a resume continues the run as it was started. Pass "
                                  f"{key}={old[key]!r} (on the command line --{key.replace('_', '-')} {old[key]}, or "
                                  "drop it), or start a new run with the new value in another folder (--out NEW_FOLDER "
                                  "--config RUN/config.json) or in this one with --overwrite.")
    started = runs.read_config(out).fit if (out / runs.CONFIG_FILE).is_file() else None
    if started is not None:
        old, new = dataclasses.asdict(started), dataclasses.asdict(config)
        changed = [f"{k} {old[k]!r} -> {new[k]!r}" for k in old if k not in RESUMABLE and not same_setting(old[k], new.get(k))]
        if changed:
            log.warning("resume: %s continues on a changed schedule (%s), not the one it was started with", out,
                        ", ".join(changed))


def _weighted_total(terms: dict[str, torch.Tensor], weights: dict[str, float], task: str) -> torch.Tensor:
    for name in terms:
        if name not in weights:
            raise ConfigError(f"the {task} task's loss term '{name}' has no weight in its loss_weights "
                              f"({', '.join(weights) or 'empty'}); give it one, e.g. --loss-weight {name}=1.")
    return sum(weights[name] * value for name, value in terms.items())


def _agree(total: float, received: int, world: int) -> tuple[float, int]:
    """One process: as given. Several: the mean total and whether any process got a stop signal, the same on all."""
    if world == 1:
        return total, received
    both = torch.tensor([total, float(received)], dtype=torch.float64)
    dist.all_reduce(both)
    return float(both[0]) / world, int(both[1] > 0) * (received or signal.SIGTERM)


def _agree_stop(stop: bool, world: int) -> bool:
    if world == 1:
        return stop
    flag = torch.tensor([float(stop)])
    dist.all_reduce(flag)
    return bool(flag[0] > 0)


def _active_terms(losses: dict[str, float]) -> tuple[str, ...]:
    """The names of the non-zero loss terms (the total left out): which phase of its loss a task is in."""
    return tuple(sorted(name for name, value in losses.items() if name != "total" and value != 0))


def _check_divergence(state: FitState, step: int, terms: dict[str, torch.Tensor], total: float, *, batch: Batch,
                      first: bool) -> None:
    """DivergenceError when the total is NaN/inf or `divergence_factor` times its best; the weights stay unsaved.

    The advice names the cause: NaN in the batch is the data's fault, and a NaN before any update of
    this call comes from the weights or the encoding, not the learning rate.
    """
    exploded = state.config.divergence_factor and math.isfinite(state.best_total) and state.best_total > 0 \
        and total > state.config.divergence_factor * state.best_total
    values = {name: float(value.detach()) for name, value in terms.items()} if exploded or not math.isfinite(total) else {}
    if exploded and _active_terms(values) != state.best_terms:
        exploded = False  # another phase of the task's loss (e.g. after pretraining): not comparable with that best
    if math.isfinite(total) and not exploded:
        return
    state.diverged = True
    if exploded:
        bad = max(values, key=lambda name: values[name] * state.task.loss_weights[name])
        what = (f"loss grew to {total:.3g}, {total / state.best_total:.3g}x its best logged total {state.best_total:.3g} "
                f"(divergence_factor {state.config.divergence_factor:g}), at step {step} (term '{bad}')")
    else:
        bad = next((name for name, value in values.items() if not math.isfinite(value)), "total")
        shown = "NaN" if math.isnan(values.get(bad, total)) else "inf"
        what = f"loss became {shown} at step {step} (term '{bad}')"
    field_config = getattr(state.field, "config", None)
    omega = f" or --first-omega-0 (now {field_config.first_omega_0:g})" if getattr(field_config, "activation", "") == "sine" else ""
    if state.out is not None and state.saved_step:
        where = (f"the run folder keeps its last good checkpoint, {state.out / CHECKPOINT_FILE} (step {state.saved_step}); "
                 "the diverged weights were not saved")
    else:
        where = "no checkpoint was written (nothing was saved)"
    raise DivergenceError(f"{what}; {where}. {_advice(state, batch, first, exploded, omega)}")


def _advice(state: FitState, batch: Batch, first: bool, exploded: bool, omega: str) -> str:
    """What to change after a divergence, from its cause: the data, the starting weights or encoding, or the steps."""
    named = [("coords", batch.coords), *batch.targets.items()]
    bad = next((name for name, t in named if torch.is_tensor(t) and t.is_floating_point() and not torch.isfinite(t).all()), None)
    if bad is not None:
        return (f"The training data holds NaN or inf (the batch's '{bad}'), so no learning rate helps: clean the input "
                "(every sample finite) and start again with --overwrite (or into another --out).")
    if first and not exploded:
        if not all(torch.isfinite(p).all() for p in state.field.parameters()):
            return ("The field's weights held NaN or inf before this step: load finite weights, or start a new run "
                    "(--overwrite, or another --out).")
        field_config = getattr(state.field, "config", None)
        encoding = getattr(field_config, "encoding", "identity")
        culprit = (f"its encoding ('{encoding}', encoding_frequencies {field_config.encoding_frequencies}, fourier_scale "
                   f"{field_config.fourier_scale:g})" if encoding != "identity" else "its first_omega_0 or its inputs")
        return (f"The field's output was NaN or inf before any update, so the learning rate is not the cause: {culprit} "
                "overflow float32; lower --encoding-frequencies, --fourier-scale or --first-omega-0.")
    return f"Lower --lr (now {state.config.lr:g}){omega}, or pass --clip-grad 1.0."


def _interrupted_message(state: FitState, signum: int) -> str:
    name = signal.Signals(signum).name if signum in iter(signal.Signals) else f"signal {signum}"
    if state.out is None:
        return f"interrupted by {name} after step {state.step}; there is no run folder, so nothing was saved."
    if state.step == 0:
        return f"interrupted by {name} before the first step finished; nothing to resume (start {state.out} again with --overwrite)."
    return (f"interrupted by {name}: {state.out / CHECKPOINT_FILE} holds step {state.step} (the last finished step); "
            f"continue with --resume --out {state.out}")


def _evaluate(state: FitState, callbacks: Sequence[Callback], rank: int) -> None:
    state.metrics = state.task.evaluate(state.field) if rank == 0 else {}
    state.field.train()
    state.history.append({"step": state.step, "train_seconds": state.train_seconds, **state.metrics})
    for cb in callbacks:
        cb.on_eval(state)


def _run_entry(task: Task, field: nn.Module) -> dict[str, Any]:
    task_config = dataclasses.asdict(task.config) if dataclasses.is_dataclass(task.config) else {}
    field_config = getattr(field, "config", None)
    return {"task": task.name, "task_config": task_config,
            "field": dataclasses.asdict(field_config) if isinstance(field_config, FieldConfig) else None}


class _StopSignals:
    """While training, SIGINT and SIGTERM only set `received`; the loop stops between two steps.

    A second signal stops at once (KeyboardInterrupt), for a step that never ends. Outside the
    main thread (where Python allows no handlers) nothing is installed.
    """

    def __init__(self) -> None:
        self.received = 0
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> _StopSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        if self.received:
            raise KeyboardInterrupt
        self.received = signum
        log.warning("%s received: stopping after the current step", signal.Signals(signum).name)

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
