"""Fit several fields to one image with the same data, steps and seed: the paper's Fig. 1 as a command.

Each model is a spec string: an activation (``sine``, ``relu``, ``finer``, ...), an encoding
alone (``positional``, ``fourier``, ``rbf``: a ReLU MLP behind it, as in the papers that
introduced them), or both (``relu+positional``, ``tanh+fourier``). Every model trains with its
own recommended learning rate (`RECOMMENDED_LR`), under the same cosine schedule, steps, seed
and pixels; `write_report` writes comparison.json, comparison.md, curves.png and grid.png.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sirenkit import runs
from sirenkit.activations import ACTIVATIONS
from sirenkit.callbacks import Callback
from sirenkit.config import FieldConfig, FitConfig, RunConfig
from sirenkit.errors import ConfigError
from sirenkit.fields import ENCODINGS, build_field, field_config_for
from sirenkit.fit import fit
from sirenkit.io.run_dir import atomic_path, write_json
from sirenkit.metrics import psnr, ssim
from sirenkit.render import derivative_images
from sirenkit.samplers import GridSampler
from sirenkit.tasks.base import ValueFit
from sirenkit.tasks.image import ImageTask, image_derivatives, save_panel
from sirenkit.versions import versions

log = logging.getLogger(__name__)

RECOMMENDED_LR: dict[str, float] = {
    "sine": 1e-3,  # sirenkit's default: beats the notebook's 1e-4 at 500 steps (benchmarks/results/image.json)
    "finer": 5e-4,  # liuzhen0212/FINER run_finer.sh (it runs SIREN at 5e-4 too)
    "wire": 5e-3,  # FINER run_wire.sh: its lr sweep on DIV2K peaks at 5e-3; WIRE's own script suggests 5e-3 to 2e-2
    "gauss": 5e-3,  # FINER run_gauss.sh
    "relu": 1e-3,  # FINER run_pemlp.sh (ReLU + positional encoding); the official code runs every model at 1e-4
}
"""Adam learning rate per activation (and for a ReLU MLP behind any encoding), with its source.

Activations without an entry (tanh, sigmoid, softplus, elu, selu) use 1e-3, as ReLU: the
official code runs them at 1e-4 like every model, which only slows them down in short runs.
"""
DEFAULT_LR = 1e-3

MODEL_OPTIONS: dict[str, dict[str, float]] = {
    "wire": {"first_omega_0": 20.0, "hidden_omega_0": 20.0, "scale": 10.0},  # FINER run_wire.sh (WIRE's image setting)
    "gauss": {"scale": 30.0},  # FINER run_gauss.sh
}
"""FieldConfig options a model gets in a comparison when its spec names that activation."""

HOLDOUTS = ("none", "every-other-pixel")


@dataclass
class ModelSpec:
    """One model of a comparison: its spec string, field config (sizes set later) and lr."""

    name: str
    field: FieldConfig
    lr: float


def parse_model(spec: str, *, hidden_features: int = 256, hidden_layers: int = 3) -> ModelSpec:
    """The model a spec string names: 'sine', 'relu+positional', 'fourier' (= 'relu+fourier'), ...

    Raises:
        ConfigError: an unknown part, naming the valid activations and encodings.
    """
    parts = [p.strip() for p in spec.strip().lower().split("+") if p.strip()]
    activation, encoding = None, "identity"
    for part in parts:
        if part in ACTIVATIONS and activation is None:
            activation = part
        elif part in ENCODINGS and encoding == "identity":
            encoding = part
        else:
            raise ConfigError(
                f"model '{spec}': '{part}' is not an activation or encoding (or is given twice); write ACTIVATION, "
                f"ENCODING or ACTIVATION+ENCODING with activations {', '.join(sorted(ACTIVATIONS))} and encodings "
                f"{', '.join(e for e in ENCODINGS if e != 'identity')}, e.g. relu+positional.")
    if not parts:
        raise ConfigError(f"model '{spec}' is empty; pass e.g. --models sine,relu,relu+positional.")
    activation = activation or "relu"
    options = MODEL_OPTIONS.get(activation, {})
    field = FieldConfig(activation=activation, hidden_features=hidden_features, hidden_layers=hidden_layers, encoding=encoding,
                        **options)  # type: ignore[arg-type]
    name = activation if encoding == "identity" else f"{activation}+{encoding}"
    return ModelSpec(name, field, RECOMMENDED_LR.get(activation, DEFAULT_LR))


class HoldoutImageTask(ValueFit):
    """Train on pixels (2i, 2j) of an image and measure PSNR on the other three quarters as well.

    The generalisation protocol of Tancik et al. 2020 (Sec. 6, 2D images): fitting PSNR alone
    hides what a representation does between its samples. Metrics: ``psnr`` on the training
    pixels, ``heldout_psnr`` on the held-out ones, ``ssim`` on the whole image.
    """

    name = "image"
    in_features = 2

    def __init__(self, task: ImageTask) -> None:
        self.task, self.config, self.image, self.shape = task, task.config, task.image, task.shape
        self.out_features, self.loss_weights = task.out_features, task.loss_weights
        self.train_mask = np.zeros(self.shape, dtype=bool)
        self.train_mask[::2, ::2] = True
        index = torch.from_numpy(np.flatnonzero(self.train_mask.ravel()))
        self._sampler = GridSampler(task.coords[index], task.values[index])

    def to(self, device: torch.device) -> HoldoutImageTask:
        self.task.to(device)
        self._sampler.to(device)
        return self

    def reconstruct(self, field: nn.Module) -> np.ndarray:
        return self.task.reconstruct(field)

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        pred, mask = self.reconstruct(field), self.train_mask
        return {"psnr": psnr(pred[mask], self.image[mask]), "heldout_psnr": psnr(pred[~mask], self.image[~mask]),
                "ssim": ssim(pred, self.image)}

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]:
        return self.task.export(field, out_dir)


@dataclass
class ModelResult:
    """What one model reached: final metrics, size, time and its PSNR history."""

    name: str
    lr: float
    params: int
    psnr: float
    ssim: float
    train_seconds: float
    history: list[dict[str, float]]
    """One entry per evaluation: step, train_seconds, psnr (and heldout_psnr)."""
    field_config: dict
    heldout_psnr: float | None = None


class _Log(Callback):
    def __init__(self, name: str) -> None:
        self.name = name

    def on_eval(self, state) -> None:
        log.info("%s step %d: %.2f dB (%.1f s)", self.name, state.step, state.metrics["psnr"], state.train_seconds)


def compare_image(
    task: ImageTask,
    models: Sequence[str],
    *,
    steps: int = 500,
    seed: int = 0,
    eval_every: int = 25,
    device: str = "auto",
    holdout: str = "none",
    hidden_features: int = 256,
    hidden_layers: int = 3,
    callbacks: Sequence[Callback] = (),
    out: str | Path | None = None,
) -> tuple[list[ModelResult], dict[str, nn.Module]]:
    """Fit every model to `task` with the same pixels, steps, seed and schedule; each with its own lr.

    Each model trains through `sirenkit.fit`; with `out`, into its own run folder ``out/<model>``
    (checkpoint, model.safetensors, exports: `sirenkit render out/sine` works).

    Args:
        task: the image.
        models: spec strings (see `parse_model`).
        holdout: 'none', or 'every-other-pixel' (train on pixels (2i, 2j), report held-out PSNR).

    Returns:
        The results in the order given, and the trained fields by name (on the CPU, eval mode).
    """
    if holdout not in HOLDOUTS:
        raise ConfigError(f"holdout '{holdout}' is not valid; choose one of: {', '.join(HOLDOUTS)}.")
    if isinstance(models, str) or not [m for m in models if str(m).strip()]:
        raise ConfigError(f"models={list(models) if not isinstance(models, str) else models!r} names no model to compare; "
                          "pass a list of specs, e.g. ['sine', 'relu', 'relu+positional'].")
    specs = [parse_model(m, hidden_features=hidden_features, hidden_layers=hidden_layers) for m in models]
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ConfigError(f"--models names a model twice ({', '.join(names)}); give each once.")
    if not specs:
        raise ConfigError("no models to compare; pass e.g. --models sine,relu,relu+positional.")
    fit_task = HoldoutImageTask(task) if holdout == "every-other-pixel" else task
    if out is not None:
        source = getattr(task.config, "source", "")
        task_config = {"source": source, "size": getattr(task.config, "size", 0), "models": names, "holdout": holdout,
                       "hidden_features": hidden_features, "hidden_layers": hidden_layers}
        runs.write_config(Path(out), RunConfig(task=runs.COMPARE, task_config=task_config, field=None,
                                               fit=FitConfig(steps=steps, seed=seed, eval_every=eval_every, device=device)))
    results, fields = [], {}
    for spec in specs:
        field = build_field(field_config_for(spec.field, task), seed=seed)
        config = FitConfig(steps=steps, lr=spec.lr, seed=seed, eval_every=eval_every, device=device)
        model_out = Path(out) / spec.name if out is not None else None
        result = fit(field, fit_task, config, out=model_out, callbacks=[_Log(spec.name), *callbacks])
        field.cpu()
        fit_task.to(torch.device("cpu"))
        history = [{k: h[k] for k in ("step", "train_seconds", "psnr", "heldout_psnr") if k in h} for h in result.history]
        m = result.metrics
        results.append(ModelResult(spec.name, spec.lr, sum(p.numel() for p in field.parameters()), m["psnr"], m["ssim"],
                                   result.train_seconds, history, dataclasses.asdict(field.config), m.get("heldout_psnr")))
        fields[spec.name] = field
    return results, fields


def write_report(out: str | Path, task: ImageTask, results: Sequence[ModelResult], fields: dict[str, nn.Module],
                 *, info: dict | None = None) -> list[Path]:
    """comparison.json, comparison.md, curves.png and grid.png in `out`; returns their paths (also in its manifest)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = dict(info or {}) | {"shape": list(task.shape), "versions": versions(),
                                 "models": {r.name: dataclasses.asdict(r) for r in results}}
    write_json(out / runs.METRICS_FILE, {"members": [r.name for r in results]}
                    | {f"psnr_{r.name}": r.psnr for r in results})
    paths = [write_json(out / "comparison.json", report)]
    md = out / "comparison.md"
    with atomic_path(md) as tmp:
        tmp.write_text(markdown_table(results) + "\n")
    paths.append(md)
    paths.append(plot_curves(out / "curves.png", results))
    paths.append(plot_grid(out / "grid.png", task, fields))
    runs.record(out, [*paths, runs.METRICS_FILE, *(f"{r.name}/{name}" for r in results for name in runs.manifest(out / r.name))])
    return paths


def markdown_table(results: Sequence[ModelResult]) -> str:
    """One row per model: lr, parameters, PSNR, SSIM (held-out PSNR when measured), time."""
    heldout = any(r.heldout_psnr is not None for r in results)
    head = "| model | lr | params | PSNR (dB) |" + (" held-out PSNR (dB) |" if heldout else "") + " SSIM | train s | s/step |"
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        steps = r.history[-1]["step"] if r.history else 1
        cells = [r.name, f"{r.lr:g}", f"{r.params:,}", f"{r.psnr:.2f}"]
        cells += [f"{r.heldout_psnr:.2f}"] if heldout else []
        cells += [f"{r.ssim:.3f}", f"{r.train_seconds:.1f}", f"{r.train_seconds / max(steps, 1):.3f}"]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def plot_curves(path: Path, results: Sequence[ModelResult]) -> Path:
    """PSNR against optimizer steps and against training seconds (dashed: held-out pixels).

    Drawn on a `matplotlib.figure.Figure` (no pyplot state), so a notebook's backend is left as it was.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), constrained_layout=True)
    axes = fig.subplots(1, 2)
    for i, r in enumerate(results):
        colour = f"C{i % 10}"
        steps = [h["step"] for h in r.history]
        seconds = [h["train_seconds"] for h in r.history]
        for ax, x in zip(axes, (steps, seconds)):
            ax.plot(x, [h["psnr"] for h in r.history], color=colour, label=r.name)
            if r.heldout_psnr is not None:
                ax.plot(x, [h["heldout_psnr"] for h in r.history], color=colour, linestyle="--")
    axes[0].set_xlabel("step")
    axes[1].set_xlabel("training seconds")
    title = "PSNR (solid: training pixels, dashed: held-out)" if any(r.heldout_psnr is not None for r in results) else "PSNR"
    for ax in axes:
        ax.set_ylabel("PSNR (dB)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    return path


def plot_grid(path: Path, task: ImageTask, fields: dict[str, nn.Module]) -> Path:
    """Rows: ground truth then each model; columns: image, |grad|, Laplacian (paper Fig. 1).

    Each derivative panel is scaled to its own 99th percentile, so a field whose Laplacian is
    zero (ReLU) shows as blank and every other one shows its structure.
    """
    rows = [("ground truth (finite diff.)", task.image, *image_derivatives(task.image))]
    for name, field in fields.items():
        rows.append((name, task.reconstruct(field), *derivative_images(field, task.shape)))
    return save_panel(path, rows)
