"""Time to quality for every convergence lever of the fit loop, against the official recipe, in one process.

Image protocol (the held-out check of docs/convergence.md): the 512^2 cameraman, trained on the
pixels (2i, 2j) only, a 256^2 grid, so "psnr_train" is a 256^2 cameraman fit and "psnr_heldout"
scores the three quarters of the pixels between the samples. The paper's 3x256 SIREN. For each
lever: steps and seconds until the training pixels reach 36.4 and 40 dB, the held-out PSNR, and
at the end the PSNR of the fit's gradient and Laplacian on the 512^2 grid against central finite
differences of the full image (what SIREN exists for: derivatives between the samples).

The official recipe (explore_siren.ipynb: Adam 1e-4, constant lr, full batch) is re-implemented in
`_official.py` and runs first, before sirenkit tunes the CPU allocator, as a user of that code gets it.

    python benchmarks/bench_convergence.py [--levers NAME,...] [--seconds 170] [--out benchmarks/results/convergence.json]

Audio (``--task audio --clip bach``): the same levers on the paper's clip, with the audio presets
(omega_0 3000) and 16384 random samples per step as in bench_audio.py; the quality is the MSE over
every sample of the normalised clip, and the time is to the paper's MSE and to ten times it. ``--seeds 0,1,2`` repeats
each lever per seed; ``--heldout`` trains on the even samples and scores the odd ones between them.

Video (``--task video``): bench_video.py's clip (bikes frames 0:25 at 68x160), network and batch (16384 random
pixels per step, Adam 1e-3 cosine), mean frame PSNR and the seconds to the issue's 43 dB; with ``--frames 0:250
--video-size 0 0`` the whole clip at 272x640 and the seconds to the paper's 29.90 dB. Poisson (``--task
poisson``): `sirenkit poisson`'s task (the Sobel gradient of --image, longer side 256, every pixel each step), the
reconstruction's PSNR with its unseen constant removed, its gradient's PSNR, and the seconds to the paper's 32.91 dB.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

import sirenkit as sk
from sirenkit.callbacks import Callback
from sirenkit.differences import image_gradient, image_laplacian
from sirenkit.plots import figure, save_figure
from sirenkit.render import evaluate_derivatives
from sirenkit.tasks.audio import AudioTask, audio_metrics, render_audio
from sirenkit.tasks.image import ImageConfig, ImageTask
from sirenkit.tasks.poisson import derivative_psnr

sys.path.insert(0, str(Path(__file__).parent))
from _official import official_siren, official_step  # noqa: E402
from _results import Provenance, data_dir, publish  # noqa: E402

TARGETS = (36.4, 40.0)
"""Training-pixel PSNR targets of the issue: the paper's 256^2 cameraman figure, and 40 dB."""

QUARTER = 256 * 256 // 4
PAPER_INIT = {"weight_scale": 1.0}
"""Every lever starts from the paper's init unless it names its own weight scale (the task presets now say 1.5)."""
LEVERS: dict[str, tuple[str, dict, dict]] = {
    # name: (what it is, FieldConfig overrides, FitConfig overrides); steps are set so each gets about the same time
    "adam": ("Adam 1e-3, cosine to 1 %, full batch, alpha 1 (the image default before alpha 1.5)", {}, {"steps": 150}),
    "scale1.5": ("weight scale alpha 1.5", {"weight_scale": 1.5}, {"steps": 150}),
    "scale2.5": ("weight scale alpha 2.5 (its authors' default)", {"weight_scale": 2.5}, {"steps": 150}),
    "soap": ("SOAP (heavyball), lr 3e-3", {}, {"steps": 150, "optimizer": "soap", "lr": 3e-3}),
    "uniform1/4": ("a random quarter of the pixels per step", {}, {"steps": 450, "batch_size": QUARTER}),
    "error1/4": ("error-guided quarter (3/4 hardest + 1/4 random), full step every 10", {},
                 {"steps": 450, "batch_size": QUARTER, "sampler": "error"}),
    "bf16": ("hidden layers in bfloat16", {}, {"steps": 150, "precision": "bf16"}),
    "polish": ("Adam, then L-BFGS for the last 20 steps", {}, {"steps": 120, "polish_steps": 20}),
    "soap+error": ("SOAP 3e-3 with the error-guided quarter", {},
                   {"steps": 450, "optimizer": "soap", "lr": 3e-3, "batch_size": QUARTER, "sampler": "error"}),
    "scale1.5+uniform1/4": ("weight scale 1.5 with a random quarter per step", {"weight_scale": 1.5},
                            {"steps": 600, "batch_size": QUARTER}),
    "soap+uniform1/4": ("SOAP 3e-3 with a random quarter per step", {},
                        {"steps": 450, "optimizer": "soap", "lr": 3e-3, "batch_size": QUARTER}),
}


AUDIO_BATCH = 16384
AUDIO_LEVERS: dict[str, tuple[str, dict, dict]] = {
    "adam": ("Adam 3e-4 (bench_audio.py's), cosine, 16384 random samples per step", {}, {"lr": 3e-4}),
    "scale1.5": ("weight scale alpha 1.5, Adam 3e-4", {"weight_scale": 1.5}, {"lr": 3e-4}),
    "scale2.0": ("weight scale alpha 2.0, Adam 3e-4", {"weight_scale": 2.0}, {"lr": 3e-4}),
    "scale2.25": ("weight scale alpha 2.25, Adam 3e-4", {"weight_scale": 2.25}, {"lr": 3e-4}),
    "scale2.5": ("weight scale alpha 2.5 (its authors' default), Adam 3e-4", {"weight_scale": 2.5}, {"lr": 3e-4}),
    "soap": ("SOAP (heavyball), lr 1e-3", {}, {"optimizer": "soap", "lr": 1e-3}),
    "full-clip": ("the audio command's presets until this lever: every sample each step, Adam 1e-4, weight scale alpha 1.5",
                  {"weight_scale": 1.5}, {"lr": 1e-4, "batch_size": 0}),
    "soap3e-4+scale1.5": ("SOAP (heavyball), lr 3e-4, weight scale alpha 1.5", {"weight_scale": 1.5},
                          {"optimizer": "soap", "lr": 3e-4}),
    "error": ("error-guided 16384 samples (full clip every 50 steps), Adam 3e-4", {},
              {"lr": 3e-4, "sampler": "error", "sampler_refresh_every": 50}),
}
AUDIO_PAPER_MSE = {"bach": 1.101e-5, "counting": 3.816e-4}

VIDEO_LEVERS: dict[str, tuple[str, dict, dict]] = {
    "adam": ("Adam 1e-3 (bench_video.py's), cosine, 16384 random pixels per step", {}, {}),
    "scale1.5": ("weight scale alpha 1.5, Adam 1e-3", {"weight_scale": 1.5}, {}),
    "soap": ("SOAP (heavyball), lr 1e-4", {}, {"optimizer": "soap", "lr": 1e-4}),
    "soap3e-4": ("SOAP (heavyball), lr 3e-4", {}, {"optimizer": "soap", "lr": 3e-4}),
    "soap1e-3": ("SOAP (heavyball), lr 1e-3", {}, {"optimizer": "soap", "lr": 1e-3}),
    "adam3e-3": ("Adam 3e-3, cosine", {}, {"lr": 3e-3}),
    "soap2e-3": ("SOAP (heavyball), lr 2e-3", {}, {"optimizer": "soap", "lr": 2e-3}),
    "soap1e-3-half-batch": ("SOAP (heavyball), lr 1e-3, 8192 pixels per step", {},
                            {"optimizer": "soap", "lr": 1e-3, "batch_size": 8192}),
    "soap1e-3-quarter-batch": ("SOAP (heavyball), lr 1e-3, 4096 pixels per step", {},
                               {"optimizer": "soap", "lr": 1e-3, "batch_size": 4096}),
    # the full-clip goal's ten minutes: steps sized from each optimizer's cost per step on the 250 x 272 x 640 clip
    "adam-5000-steps": ("Adam 1e-3, 5000 steps (the full clip's ten minutes)", {}, {"steps": 5000}),
    "soap1e-3-4000-steps": ("SOAP (heavyball), lr 1e-3, 4000 steps (the full clip's ten minutes)", {},
                            {"optimizer": "soap", "lr": 1e-3, "steps": 4000}),
}
VIDEO_TARGET_DB = 43.0
"""The convergence issue's goal for bikes 0:25 at 68x160: 43 dB mean frame PSNR (in 20 s)."""
VIDEO_PAPER_DB = 29.90
"""The paper's mean frame PSNR on its cat video (3x1024): the issue's goal for the whole bikes clip (in ten minutes)."""

PAPER_OMEGA = {"first_omega_0": 30.0}
"""The paper's first-layer ω0: every Poisson lever but the ω0 ones pins it, since the poisson command's preset is now 15."""
POISSON_LEVERS: dict[str, tuple[str, dict, dict]] = {
    "adam": ("Adam 1e-3 (the poisson command's before SOAP), cosine, every pixel each step", PAPER_OMEGA, {"optimizer": "adam"}),
    "scale1.5": ("weight scale alpha 1.5, Adam 1e-3", PAPER_OMEGA | {"weight_scale": 1.5}, {"optimizer": "adam"}),
    "soap3e-4": ("SOAP (heavyball), lr 3e-4", PAPER_OMEGA, {"optimizer": "soap", "lr": 3e-4}),
    "soap1e-3": ("SOAP (heavyball), lr 1e-3", PAPER_OMEGA, {"optimizer": "soap", "lr": 1e-3}),
    "soap1e-3+scale1.5": ("SOAP (heavyball), lr 1e-3, weight scale alpha 1.5", PAPER_OMEGA | {"weight_scale": 1.5},
                          {"optimizer": "soap", "lr": 1e-3}),
    "soap1e-3+omega20": ("SOAP (heavyball), lr 1e-3, first omega_0 20", {"first_omega_0": 20.0},
                         {"optimizer": "soap", "lr": 1e-3}),
    "soap1e-3+omega15": ("SOAP (heavyball), lr 1e-3, first omega_0 15", {"first_omega_0": 15.0},
                         {"optimizer": "soap", "lr": 1e-3}),
}
POISSON_PAPER_DB = 32.91
"""The paper's PSNR of the cameraman 256^2 reconstructed from its (Sobel) gradient."""


class _MetricHistory(Callback):
    """Records the named metrics at every evaluation."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.history: list[dict] = []

    def on_eval(self, state) -> None:
        self.history.append({"step": state.step, "train_seconds": state.train_seconds} | {n: state.metrics[n] for n in self.names})
        shown = ", ".join(f"{n} {state.metrics[n]:.4g}" for n in self.names)
        print(f"  step {state.step}: {shown}, {state.train_seconds:.0f} s", file=sys.stderr, flush=True)


def run_task_levers(task, levers: dict[str, tuple[str, dict, dict]], names: list[str], seconds: float, steps: int,
                    metrics: tuple[str, ...], seed: int = 0, **fit_settings) -> dict[str, dict]:
    """Each lever for `steps` steps (its cosine schedule spans them) or `seconds` of training, from the same `seed`; the
    `metrics` at every evaluation and at the end."""
    results = {}
    for name in names:
        description, field_overrides, fit_overrides = levers[name]
        print(f"{name} (seed {seed}): {description}", file=sys.stderr, flush=True)
        field = sk.build_field(task=task, seed=seed, **(PAPER_INIT | field_overrides))
        record = _MetricHistory(metrics)
        sk.fit(field, task, **({"steps": steps, "max_seconds": seconds, "tune_allocator": True, "callbacks": [record], "seed": seed}
                               | fit_settings | fit_overrides))
        last = record.history[-1]
        results[name] = {"what": description, "history": record.history, "field": field_overrides, "fit": fit_overrides,
                         "steps": last["step"], "train_seconds": round(last["train_seconds"], 1)} | {n: last[n] for n in metrics}
    return results


def seconds_to(history: list[dict], metric: str, target: float, *, above: bool) -> float | None:
    """Training seconds at the first evaluation where `metric` reached `target` (None: never)."""
    hit = next((h for h in history if (h[metric] >= target if above else h[metric] <= target)), None)
    return round(hit["train_seconds"], 1) if hit else None


class _EvenSamples(AudioTask):
    """A clip's even samples as the training set, its odd ones held out: `evaluate` adds "mse_heldout", the MSE of the
    field at the samples between the training ones (what weight scaling may trade for speed)."""

    def __init__(self, clip: AudioTask) -> None:
        self.clip = clip.samples[: len(clip.samples) - 1 + len(clip.samples) % 2]  # odd length: the even samples span [-1, 1]
        super().__init__(self.clip[::2], sample_rate=clip.sample_rate // 2)

    def evaluate(self, field: torch.nn.Module) -> dict[str, float]:
        """One render of the whole clip: its even samples are the training ones, its odd ones those between."""
        pred, truth = render_audio(field, len(self.clip)), self.clip / self.scale
        return audio_metrics(pred[::2], truth[::2]) | {"mse_heldout": float(np.mean((pred[1::2] - truth[1::2]) ** 2))}

    def linear_baseline(self) -> float:
        """Held-out MSE of linear interpolation of the training samples: no learning at all, an independent reference."""
        between = (self.clip[:-1:2] + self.clip[2::2]) / 2
        return float(np.mean((between - self.clip[1::2]) ** 2) / self.scale**2)


def run_audio(clip: str, names: list[str], seconds: float, steps: int, seeds: list[int], heldout: bool) -> dict:
    """Each audio lever for `steps` steps or `seconds` of training, once per seed (rows "lever@seedN" when there are
    several); MSE over the whole clip every 100 steps. With `heldout`, training sees the even samples only and the
    odd ones score the values between them."""
    task = AudioTask.from_file(data_dir() / "audio" / f"gt_{clip}.wav")
    if heldout:
        task = _EvenSamples(task)
    metrics = ("mse", "mse_heldout") if heldout else ("mse",)
    paper = AUDIO_PAPER_MSE[clip]
    results = {}
    for seed in seeds:
        rows = run_task_levers(task, AUDIO_LEVERS, names, seconds, steps, metrics, seed=seed, batch_size=AUDIO_BATCH, eval_every=100)
        results |= {(f"{name}@seed{seed}" if len(seeds) > 1 else name): row for name, row in rows.items()}
    for row in results.values():
        for label, target in (("paper", paper), ("10x_paper", 10 * paper)):
            row[f"seconds_to_{label}"] = seconds_to(row["history"], "mse", target, above=False)
    report = {"clip": clip, "samples": len(task.samples), "paper_mse": paper, "batch_size": AUDIO_BATCH, "seeds": seeds,
              "levers": results}
    if heldout:
        report |= {"heldout": "trained on the even samples, scored on the odd ones", "heldout_linear": task.linear_baseline()}
    return report


def run_video(names: list[str], seconds: float, steps: int, frames: str, size: tuple[int, int], eval_every: int | None) -> dict:
    """Each video lever on bikes `frames` at `size` (bench_video.py's clip, 0:25 at 68x160, and network); mean frame
    PSNR over every pixel of every frame, at each evaluation (every tenth of `steps` unless `eval_every` says)."""
    from sirenkit.tasks import VideoTask

    task = VideoTask.from_file(data_dir() / "video" / "bikes.mp4", frames=frames, size=size)
    results = run_task_levers(task, VIDEO_LEVERS, names, seconds, steps, ("psnr", "psnr_std"), batch_size=16384, lr=1e-3,
                              eval_every=eval_every or max(steps // 10, 1))
    target = VIDEO_TARGET_DB if task.shape[1:] == (68, 160) else VIDEO_PAPER_DB
    for row in results.values():
        row[f"seconds_to_{target:g}"] = seconds_to(row["history"], "psnr", target, above=True)
    frames_shown = frames or f"0:{task.shape[0]}"
    return {"clip": f"bikes.mp4 frames {frames_shown} at {task.shape[1]}x{task.shape[2]}", "target_db": target,
            "batch_size": 16384, "levers": results}


def run_poisson(image: str, names: list[str], seconds: float, steps: int) -> dict:
    """Each lever on `sirenkit poisson`'s task (the image's Sobel gradient, longer side 256, every pixel each step): the
    PSNR of the reconstruction (its unseen constant removed) and of its gradient."""
    from sirenkit.tasks.poisson import PoissonConfig, PoissonTask

    task = PoissonTask.from_config(PoissonConfig(source=image))
    results = run_task_levers(task, POISSON_LEVERS, names, seconds, steps, ("psnr", "psnr_gradient"),
                              eval_every=max(steps // 10, 1))
    for row in results.values():
        row[f"seconds_to_{POISSON_PAPER_DB:g}"] = seconds_to(row["history"], "psnr", POISSON_PAPER_DB, above=True)
    return {"image": image, "size": task.config.size, "gradient_filter": task.config.gradient_filter, "paper_db": POISSON_PAPER_DB,
            "levers": results}


TASK_LEVERS = {"audio": AUDIO_LEVERS, "video": VIDEO_LEVERS, "poisson": POISSON_LEVERS}


def ground_truth_derivatives(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference gradient (H, W, 2) and Laplacian (H, W) of a grey image, in the field's units."""
    values = image * 2.0 - 1.0
    return image_gradient(values, kind="central")[:, :, 0], image_laplacian(values)[:, :, 0]


def derivative_scores(field: torch.nn.Module, task: ImageTask) -> dict[str, float]:
    gradient, laplacian = ground_truth_derivatives(task.image)
    _, grads, laps = evaluate_derivatives(field, task.shape)
    return {"psnr_gradient": derivative_psnr(grads[:, :, 0].numpy(), gradient),
            "psnr_laplacian": derivative_psnr(laps[:, :, 0].numpy(), laplacian)}


def summarise(history: list[dict], description: str) -> dict:
    """Steps and seconds to each target on the training pixels, and the held-out PSNR when it was reached."""
    out: dict = {"what": description, "history": history}
    for target in TARGETS:
        hit = next((h for h in history if h["psnr_train"] >= target), None)
        key = f"{target:g}"
        out[f"steps_to_{key}"] = hit["step"] if hit else None
        out[f"seconds_to_{key}"] = round(hit["train_seconds"], 2) if hit else None
        out[f"heldout_at_{key}"] = round(hit["psnr_heldout"], 2) if hit else None
    last = history[-1]
    out |= {"steps": last["step"], "train_seconds": round(last["train_seconds"], 2), "psnr_train": round(last["psnr_train"], 2),
            "psnr_heldout": round(last["psnr_heldout"], 2), "best_heldout": round(max(h["psnr_heldout"] for h in history), 2)}
    return out


def interpolation_baseline(task: ImageTask) -> dict[str, float]:
    """Held-out PSNR of cubic and linear interpolation of the training pixels: what 'between the samples' can reach
    without learning anything (an independent reference for the held-out column)."""
    from scipy.interpolate import RegularGridInterpolator

    h, w = task.shape
    rows, cols = np.arange(0, h, 2), np.arange(0, w, 2)
    known = task.image[::2, ::2]
    points = np.stack(np.meshgrid(np.arange(h), np.arange(w), indexing="ij"), -1).reshape(-1, 2).clip(0, [rows[-1], cols[-1]])
    held = ~task.trained
    out = {}
    for method in ("linear", "cubic"):
        pred = RegularGridInterpolator((rows, cols), known, method=method)(points).reshape(task.image.shape).clip(0, 1)
        out[f"heldout_{method}"] = round(float(sk.metrics.psnr(pred[held], task.image[held])), 2)
    return out


def run_official(task: ImageTask, seconds: float, eval_every: int) -> tuple[dict, torch.nn.Module]:
    """The official recipe until its cap or until its training pixels reach the last target, whichever comes first."""
    torch.manual_seed(0)
    model = official_siren(out_features=task.out_features)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    history, elapsed, step = [], 0.0, 0
    while elapsed < seconds:
        start = time.perf_counter()
        official_step(model, optimizer, task.coords, task.values)
        elapsed += time.perf_counter() - start
        step += 1
        if step % eval_every == 0:
            history.append({"step": step, "train_seconds": elapsed, **_scores(task, model)})
            print(f"official step {step}: {history[-1]['psnr_train']:.2f} dB train, {history[-1]['psnr_heldout']:.2f} held-out, "
                  f"{elapsed:.0f} s", file=sys.stderr, flush=True)
            if history[-1]["psnr_train"] >= max(TARGETS):
                break
    return summarise(history, "official recipe: Adam 1e-4 constant, full batch (explore_siren.ipynb)"), model


def _scores(task: ImageTask, field: torch.nn.Module) -> dict[str, float]:
    metrics = task.evaluate(field)
    return {"psnr_train": metrics["psnr_train"], "psnr_heldout": metrics["psnr_heldout"]}


class _History(Callback):
    def __init__(self) -> None:
        self.history: list[dict] = []

    def on_eval(self, state) -> None:
        m = state.metrics
        self.history.append({"step": state.step, "train_seconds": state.train_seconds,
                             "psnr_train": m["psnr_train"], "psnr_heldout": m["psnr_heldout"]})
        print(f"  step {state.step}: {m['psnr_train']:.2f} dB train, {m['psnr_heldout']:.2f} held-out, {state.train_seconds:.0f} s",
              file=sys.stderr, flush=True)


def run_lever(task: ImageTask, name: str, seconds: float, eval_every: int) -> tuple[dict, torch.nn.Module]:
    description, field_overrides, fit_overrides = LEVERS[name]
    field = sk.build_field(task=task, seed=0, **(PAPER_INIT | field_overrides))
    record = _History()
    every = eval_every * (3 if fit_overrides.get("batch_size") else 1)
    sk.fit(field, task, callbacks=[record], eval_every=every, max_seconds=seconds, tune_allocator=True, **fit_overrides)
    return summarise(record.history, description) | {"field": field_overrides, "fit": fit_overrides}, field


def plot(path: Path, results: dict[str, dict], image: str, size: int) -> Path:
    fig, axes = figure(1, 2, figsize=(12, 4.4))
    axes = axes[0]
    for i, (name, r) in enumerate(results.items()):
        seconds = [h["train_seconds"] for h in r["history"]]
        axes[0].plot(seconds, [h["psnr_train"] for h in r["history"]], color=f"C{i % 10}", label=name)
        axes[1].plot(seconds, [h["psnr_heldout"] for h in r["history"]], color=f"C{i % 10}", label=name)
    for ax, title in zip(axes, ("training pixels (2i, 2j)", "held-out pixels (the other 3/4)")):
        ax.set_xlabel("training seconds (2-core CPU)")
        ax.set_ylabel("PSNR (dB)")
        ax.set_title(f"{image} {size}^2, {title}")
        ax.grid(alpha=0.3)
    for target in TARGETS:
        axes[0].axhline(target, color="grey", linewidth=0.8, linestyle=":")
    axes[0].legend(fontsize=8)
    return save_figure(fig, path, dpi=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levers", default=",".join(LEVERS), help="comma-separated lever names (the official recipe always runs)")
    parser.add_argument("--seconds", type=float, default=170.0, help="training-time cap of each lever")
    parser.add_argument("--official-seconds", type=float, default=2400.0,
                        help="training-time cap of the official recipe; it stops sooner once its training pixels reach the "
                             "last target, so the speed-ups are ratios of two measured times")
    parser.add_argument("--eval-every", type=int, default=None,
                        help="steps between evaluations: 10 on the image; a tenth of --steps elsewhere")
    parser.add_argument("--size", type=int, default=512, help="image side; the training grid is half of it")
    parser.add_argument("--image", default="camera",
                        help="image file or scikit-image name; a default is checked on images it was not chosen on")
    parser.add_argument("--task", choices=("image", *TASK_LEVERS), default="image")
    parser.add_argument("--frames", default="0:25",
                        help="bikes.mp4 frames (--task video); the goal's are 0:25, others check a lever chosen there")
    parser.add_argument("--video-size", type=int, nargs=2, default=(68, 160), metavar=("H", "W"),
                        help="bikes.mp4 frame size (--task video); 0 0 keeps 272x640, the full-clip goal's")
    parser.add_argument("--clip", default="bach", choices=tuple(AUDIO_PAPER_MSE), help="audio clip (--task audio)")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds of each audio lever (--task audio)")
    parser.add_argument("--heldout", action="store_true",
                        help="train on the clip's even samples and score the odd ones between them (--task audio)")
    parser.add_argument("--steps", type=int, default=600,
                        help="steps of each audio, video or poisson lever (its cosine schedule spans them)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/convergence.json"))
    parser.add_argument("--plot", type=Path, default=Path("docs/images/convergence_image.png"))
    args = parser.parse_args()
    names = [n for n in args.levers.split(",") if n]
    levers = TASK_LEVERS.get(args.task, LEVERS)
    if args.task != "image" and args.levers == ",".join(LEVERS):
        names = list(levers)
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s]
    except ValueError:
        parser.error(f"--seeds {args.seeds!r} must be comma-separated integers, e.g. 0,1,2")
    unknown = [n for n in names if n not in levers]
    if unknown:
        parser.error(f"unknown {args.task} lever {unknown[0]}; known: {', '.join(levers)}")
    provenance = Provenance("convergence")
    if args.task != "image":
        run = {"audio": lambda: run_audio(args.clip, names, args.seconds, args.steps, seeds, args.heldout),
               "video": lambda: run_video(names, args.seconds, args.steps, args.frames, tuple(args.video_size), args.eval_every),
               "poisson": lambda: run_poisson(args.image, names, args.seconds, args.steps)}[args.task]
        publish(args.out, run(), provenance)
        print(f"wrote {args.out}", file=sys.stderr)
        return
    task = ImageTask.from_config(ImageConfig(source=args.image, size=args.size, train_every=2))
    results, fields = {}, {}
    eval_every = args.eval_every or 10
    results["official"], fields["official"] = run_official(task, args.official_seconds, eval_every)
    for name in names:
        print(f"{name}: {LEVERS[name][0]}", file=sys.stderr, flush=True)
        results[name], fields[name] = run_lever(task, name, args.seconds, eval_every)
    for name, field in fields.items():
        results[name] |= {k: round(v, 2) for k, v in derivative_scores(field, task).items()}
    base = results["official"]
    for r in results.values():
        for target in TARGETS:
            key = f"{target:g}"
            mine, theirs = r[f"seconds_to_{key}"], base[f"seconds_to_{key}"]
            r[f"speedup_to_{key}"] = round(theirs / mine, 1) if mine and theirs else None
            r[f"speedup_to_{key}_at_least"] = round(args.official_seconds / mine, 1) if mine and not theirs else None
    report = {"interpolation": interpolation_baseline(task),
              "protocol": {"image": args.image, "size": args.size, "train_every": 2, "targets_db": list(TARGETS),
                           "field": "3x256 SIREN, omega_0 30", "seconds_cap": args.seconds, "official_seconds_cap": args.official_seconds},
              "levers": results}
    publish(args.out, report, provenance)
    plot(args.plot, results, args.image, args.size)
    print(f"wrote {args.out} and {args.plot}", file=sys.stderr)


if __name__ == "__main__":
    main()
