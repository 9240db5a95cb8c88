"""sirenkit on a GPU, measured in one process, through the public API (sk.fit, tasks, fit_images).

Sections, in this order (the JSON is rewritten after each one, so a run cut short keeps what it measured):

1. matmul_rate: torch.mm TFLOP/s in fp32, tf32 and bf16, square and at the SIREN layer shape.
2. camera_step: cameraman 256², 2-256x3-1, s/step of sk.fit eager (fp32), tf32, precision bf16 and
   --compile; the official notebook step eager and with its forward under bf16 torch.autocast.
3. time_to_psnr: time to 36.4 and 40 dB, sirenkit's default recipe (fp32 and bf16) and the official
   recipe (Adam 1e-4, constant, full batch; benchmarks/_official.py), training seconds only.
4. gemm_bound_limit: a plain 3x256 step at 512² full batch against FLOPs / measured matmul rate.
5. div2k: DIV2K-16 at 512² RGB, mean PSNR after --div2k-seconds of training per image, against the
   reference recipe's 37.10 dB after 5000 steps (180 s on an RTX 3090, EVOS's table).
6. many_signals: 64 Olivetti faces fitted at once (fit_images, a StackedSiren), images/s, against
   one sk.fit per image.
7. second_derivatives: Laplacian (Poisson) and Helmholtz steps, eager and --compile, as ratios to
   a plain value step on the same number of points.

Peak memory of each measurement: torch.cuda.max_memory_allocated on a GPU; in a CPU dry run the
process's peak RSS (monotonic, so not per measurement).

    python benchmarks/bench_gpu.py [--out benchmarks/results/gpu.json] [--time-limit-s 0]
    python benchmarks/bench_gpu.py --dry-run [--out PATH]   # every section on the CPU at tiny sizes, < 1 min

Without --dry-run it needs a CUDA device (exit 2 otherwise). A dry run never writes the committed
result file: its figures are CPU figures at tiny sizes.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

import sirenkit as sk
from sirenkit.callbacks import Callback
from sirenkit.io.faces import load_faces
from sirenkit.io.run_dir import write_json
from sirenkit.tasks import HelmholtzConfig, HelmholtzTask, ImageTask, PoissonConfig, PoissonTask
from sirenkit.tasks.image_set import fit_images
from sirenkit.versions import versions

sys.path.insert(0, str(Path(__file__).parent))
from _official import official_siren, official_step  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "gpu.json"
REFERENCE_DIV2K_DB = 37.10  # EVOS table: SIREN 3x256, Adam 1e-4, full batch, 5000 steps, 180 s on an RTX 3090
GOALS = {"time_to_40dB_s": 1.0, "div2k_mean_psnr_db": REFERENCE_DIV2K_DB, "div2k_seconds": 10.0, "gemm_bound_ratio": 2.0}
# The recipes whose time to quality is measured; the convergence issue's (#24) joins here once it has landed.
RECIPES: dict[str, dict[str, object]] = {"sirenkit_default_fp32": {}, "sirenkit_default_bf16": {"precision": "bf16"}}


@dataclass(frozen=True)
class Sizes:
    """Every size and budget of one run: the GPU run, or the tiny CPU dry run."""

    hidden: int
    layers: int
    camera_size: int
    warmup_steps: int
    timed_steps: int
    targets_db: tuple[float, float]
    eval_every: int
    official_steps: int
    official_max_s: float
    matmul_square: int
    matmul_points: int
    limit_size: int
    div2k_size: int
    div2k_images: int
    div2k_seconds: float
    stack_images: int
    stack_size: int
    stack_steps: int
    one_by_one: int
    derivative_size: int
    helmholtz_reference_size: int
    helmholtz_residual_size: int


GPU = Sizes(hidden=256, layers=3, camera_size=256, warmup_steps=5, timed_steps=50, targets_db=(36.4, 40.0), eval_every=10,
            official_steps=4000, official_max_s=30.0, matmul_square=8192, matmul_points=512 * 512, limit_size=512,
            div2k_size=512, div2k_images=16, div2k_seconds=10.0, stack_images=64, stack_size=64, stack_steps=500, one_by_one=4,
            derivative_size=256, helmholtz_reference_size=301, helmholtz_residual_size=128)
DRY = Sizes(hidden=32, layers=3, camera_size=32, warmup_steps=2, timed_steps=3, targets_db=(16.0, 18.0), eval_every=10,
            official_steps=400, official_max_s=10.0, matmul_square=128, matmul_points=1024, limit_size=32,
            div2k_size=32, div2k_images=2, div2k_seconds=0.5, stack_images=4, stack_size=16, stack_steps=20, one_by_one=2,
            derivative_size=16, helmholtz_reference_size=21, helmholtz_residual_size=8)


class Clock:
    """Wall time since the start, against an optional limit, so a long section can stop in time."""

    def __init__(self, limit_s: float) -> None:
        self.start, self.limit_s = time.perf_counter(), limit_s

    def left(self) -> float:
        return math.inf if not self.limit_s else self.limit_s - (time.perf_counter() - self.start)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@contextlib.contextmanager
def peak_memory(device: torch.device, into: dict) -> Iterator[None]:
    """Store the peak memory of the block in into['peak_memory_bytes']."""
    if device.type == "cuda":
        sync(device)
        torch.cuda.reset_peak_memory_stats(device)
    yield
    if device.type == "cuda":
        sync(device)
        into["peak_memory_bytes"] = torch.cuda.max_memory_allocated(device)
    else:
        into["peak_memory_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@contextlib.contextmanager
def matmul_precision(precision: str) -> Iterator[None]:
    """'highest' (fp32), 'high' (tf32 on CUDA; no change on a CPU) for the block, then back."""
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision(precision)
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before)


class StepTimes(Callback):
    """Cumulative training seconds after each step, as sk.fit counts them (evaluation excluded)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def on_step(self, state) -> None:
        self.seconds.append(state.train_seconds)


class PsnrHistory(Callback):
    def __init__(self) -> None:
        self.points: list[tuple[int, float, float]] = []

    def on_eval(self, state) -> None:
        self.points.append((state.step, state.train_seconds, state.metrics["psnr"]))


def step_flops(points: int, in_features: int, hidden: int, layers: int, out_features: int) -> tuple[float, str]:
    """FLOPs of one full-batch training step's GEMMs, and the arithmetic as text.

    Per point: the forward's multiply-adds (MACs), the same again for the weight gradients, and the
    same less the first layer's for the input gradients (no gradient w.r.t. the coordinates).
    """
    forward = in_features * hidden + layers * hidden * hidden + hidden * out_features
    macs = 3 * forward - in_features * hidden
    flops = 2.0 * points * macs
    text = (f"forward MAC/point = {in_features}x{hidden} + {layers}x{hidden}x{hidden} + {hidden}x{out_features} = {forward}; "
            f"step MAC/point = 3 x {forward} - {in_features * hidden} (no input gradient at layer 0) = {macs}; "
            f"FLOP/step = 2 x {points} points x {macs} = {flops:.4g}")
    return flops, text


def fit_steps(task, sizes: Sizes, device: torch.device, *, out_features: int, batch_size: int = 0, **overrides) -> dict:
    """s/step of sk.fit over sizes.timed_steps steps after sizes.warmup_steps (the first includes any compile)."""
    torch.manual_seed(0)
    field = sk.Siren(2, sizes.hidden, sizes.layers, out_features)
    steps = sizes.warmup_steps + sizes.timed_steps
    times, row = StepTimes(), {}
    with peak_memory(device, row):
        sk.fit(field, task, steps=steps, eval_every=steps, log_every=steps, save_every=steps, batch_size=batch_size,
               device=device.type, callbacks=[times], **overrides)
    row["s_per_step"] = (times.seconds[-1] - times.seconds[sizes.warmup_steps - 1]) / sizes.timed_steps
    row["first_step_s"] = times.seconds[0]
    return row


def timed_loop(step: Callable[[], object], device: torch.device, warmup: int, repeats: int) -> float:
    for _ in range(warmup):
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    sync(device)
    return (time.perf_counter() - start) / repeats


def official_model(sizes: Sizes, out_features: int, device: torch.device) -> torch.nn.Module:
    torch.manual_seed(0)
    return official_siren(2, sizes.hidden, sizes.layers, out_features).to(device)


def official_steps(task: ImageTask, sizes: Sizes, device: torch.device, mode: str) -> dict:
    """The notebook's step (Adam 1e-4, full batch) eager, or with the forward under bf16 autocast."""
    model = official_model(sizes, task.out_features, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    coords, target = task.coords, task.values

    def autocast_step() -> float:
        with torch.autocast(device.type, dtype=torch.bfloat16):
            loss = ((model(coords).float() - target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    step = autocast_step if mode == "autocast_bf16" else (lambda: official_step(model, optimizer, coords, target))
    row: dict = {}
    with peak_memory(device, row):
        start = time.perf_counter()
        step()
        row["first_step_s"] = time.perf_counter() - start
        row["s_per_step"] = timed_loop(step, device, sizes.warmup_steps - 1, sizes.timed_steps)
    return row


def section_matmul_rate(sizes: Sizes, device: torch.device) -> dict:
    """torch.mm TFLOP/s on random data: an n^3 square product and the SIREN hidden-layer shape (points x 256 x 256)."""
    n, points, hidden = sizes.matmul_square, sizes.matmul_points, sizes.hidden
    out: dict = {"square_n": n, "layer_shape": [points, hidden, hidden], "repeats": 10}
    for name, dtype, precision in (("fp32", torch.float32, "highest"), ("tf32", torch.float32, "high"),
                                   ("bf16", torch.bfloat16, "highest")):
        with matmul_precision(precision):
            a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
            x, w = torch.randn(points, hidden, device=device, dtype=dtype), torch.randn(hidden, hidden, device=device, dtype=dtype)
            square = timed_loop(lambda a=a, b=b: a @ b, device, 3, 10)
            layer = timed_loop(lambda x=x, w=w: x @ w, device, 3, 10)
        out[f"{name}_square_tflops"] = 2 * n**3 / square / 1e12
        out[f"{name}_layer_shape_tflops"] = 2 * points * hidden * hidden / layer / 1e12
    if device.type == "cpu":
        out["note"] = "CPU: tf32 does not exist there, so the tf32 rows are fp32"
    return out


def section_camera_step(sizes: Sizes, device: torch.device) -> dict:
    task = ImageTask.from_source("camera", size=sizes.camera_size).to(device)
    rows = {"sirenkit_eager_fp32": fit_steps(task, sizes, device, out_features=1)}
    with matmul_precision("high"):
        rows["sirenkit_eager_tf32"] = fit_steps(task, sizes, device, out_features=1)
    rows["sirenkit_bf16"] = fit_steps(task, sizes, device, out_features=1, precision="bf16")
    rows["sirenkit_compiled"] = fit_steps(task, sizes, device, out_features=1, compile=True)
    for mode in ("eager", "autocast_bf16"):
        rows[f"official_{mode}"] = official_steps(task, sizes, device, mode)
    base = rows["sirenkit_eager_fp32"]["s_per_step"]
    return {"image": f"camera {sizes.camera_size}^2", "network": f"2-{sizes.hidden}x{sizes.layers}-1",
            "steps_timed": sizes.timed_steps, "after_warmup_steps": sizes.warmup_steps, "rows": rows,
            "official_eager_over_sirenkit_eager": rows["official_eager"]["s_per_step"] / base,
            "speedup_over_sirenkit_eager_fp32": {name: base / row["s_per_step"] for name, row in rows.items()}}


def milestones(points: list[tuple[int, float, float]], targets: tuple[float, ...]) -> dict:
    found = {}
    for db in targets:
        hit = next(((step, seconds) for step, seconds, psnr in points if psnr >= db), None)
        found[f"{db:g}dB"] = {"step": hit[0], "seconds": hit[1]} if hit else None
    return found


def section_time_to_psnr(sizes: Sizes, device: torch.device) -> dict:
    """Training seconds to each target (evaluation every sizes.eval_every steps, not counted)."""
    task = ImageTask.from_source("camera", size=sizes.camera_size).to(device)
    rows = {}
    for name, overrides in RECIPES.items():
        torch.manual_seed(0)
        sk.fit(sk.Siren(2, sizes.hidden, sizes.layers, 1), task, steps=3, eval_every=3, device=device.type, **overrides)  # warm-up
        torch.manual_seed(0)
        field, history, row = sk.Siren(2, sizes.hidden, sizes.layers, 1), PsnrHistory(), {}
        with peak_memory(device, row):
            result = sk.fit(field, task, eval_every=sizes.eval_every, target_psnr=max(sizes.targets_db), device=device.type,
                            callbacks=[history], **overrides)
        config = dataclasses.replace(sk.FitConfig(), **overrides)
        row |= {"recipe": {"lr": config.lr, "schedule": config.lr_schedule, "schedule_steps": config.steps,
                           "precision": config.precision, "batch": "full"},
                "milestones": milestones(history.points, sizes.targets_db), "best_psnr": max(p for *_, p in history.points),
                "steps": result.steps, "train_seconds": result.train_seconds, "stopped_by": result.stopped_by}
        rows[name] = row
    rows["official"] = official_time_to_psnr(task, sizes, device)
    ratios = {}
    for key, hit in rows["official"]["milestones"].items():
        ours = rows["sirenkit_default_fp32"]["milestones"][key]
        if hit and ours:
            ratios[key] = hit["seconds"] / ours["seconds"]
    return {"image": f"camera {sizes.camera_size}^2", "network": f"2-{sizes.hidden}x{sizes.layers}-1",
            "eval_every": sizes.eval_every, "rows": rows, "official_over_sirenkit_default_fp32": ratios}


def official_time_to_psnr(task: ImageTask, sizes: Sizes, device: torch.device) -> dict:
    model = official_model(sizes, 1, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    seconds, points, row = 0.0, [], {}
    with peak_memory(device, row):
        for step in range(1, sizes.official_steps + 1):
            start = time.perf_counter()
            official_step(model, optimizer, task.coords, task.values)  # returns float(loss): synchronises
            seconds += time.perf_counter() - start
            if step % sizes.eval_every == 0:
                points.append((step, seconds, task.evaluate(model)["psnr"]))
                if points[-1][2] >= max(sizes.targets_db) or seconds >= sizes.official_max_s:
                    break
    return row | {"recipe": {"lr": 1e-4, "schedule": "constant", "batch": "full", "max_steps": sizes.official_steps,
                             "max_train_seconds": sizes.official_max_s},
                  "milestones": milestones(points, sizes.targets_db), "best_psnr": max(p for *_, p in points),
                  "steps": points[-1][0], "train_seconds": seconds}


def section_gemm_bound_limit(sizes: Sizes, device: torch.device, rates: dict) -> dict:
    """A plain full-batch step at limit_size² against its GEMM FLOPs over the measured matmul rate."""
    task = ImageTask.from_source("camera", size=sizes.limit_size).to(device)
    points = sizes.limit_size**2
    flops, arithmetic = step_flops(points, 2, sizes.hidden, sizes.layers, 1)
    rows = {}
    for name, precision, overrides in (("fp32", "highest", {}), ("tf32", "high", {}), ("bf16", "highest", {"precision": "bf16"})):
        with matmul_precision(precision):
            row = fit_steps(task, sizes, device, out_features=1, **overrides)
        for rate_name in ("square", "layer_shape"):
            rate = rates[f"{name}_{rate_name}_tflops"] * 1e12
            row[f"limit_s_at_{rate_name}_rate"] = flops / rate
            row[f"ratio_to_limit_at_{rate_name}_rate"] = row["s_per_step"] / (flops / rate)
        row["achieved_tflops"] = flops / row["s_per_step"] / 1e12
        rows[name] = row
    best = min(("tf32", "bf16"), key=lambda n: rows[n]["ratio_to_limit_at_square_rate"])
    return {"image": f"camera {sizes.limit_size}^2, full batch ({points} points)", "network": f"2-{sizes.hidden}x{sizes.layers}-1",
            "step_flops": flops, "arithmetic": arithmetic,
            "limit": "step FLOPs / the matmul rate measured in section matmul_rate at the same precision (square product); "
                     "bf16 counts every GEMM at the bf16 rate although the first and last layers stay fp32 (0.4 % of the FLOPs)",
            "rows": rows, "best_precision": best, "best_ratio_to_limit": rows[best]["ratio_to_limit_at_square_rate"]}


def data_root() -> Path:
    return Path(os.environ.get("SIRENKIT_DATA", ROOT / ".." / "shared" / "data")).resolve()


def section_div2k(sizes: Sizes, device: torch.device, clock: Clock) -> dict:
    """sirenkit's default recipe per image, its cosine schedule stretched over the steps that fit in the budget."""
    folder = data_root() / "images" / "div2k16"
    paths = sorted(folder.glob("*.png"))[:sizes.div2k_images]
    if not paths:
        raise FileNotFoundError(f"{folder}: no PNG images; set SIRENKIT_DATA to the shared data folder")
    probe = fit_steps(ImageTask.from_source(paths[0], size=sizes.div2k_size).to(device), sizes, device, out_features=3)
    steps = max(1, int(sizes.div2k_seconds / probe["s_per_step"]))
    per_image, row = [], {}
    with peak_memory(device, row):
        for path in paths:
            if clock.left() < sizes.div2k_seconds + 15:
                break
            task = ImageTask.from_source(path, size=sizes.div2k_size)
            torch.manual_seed(0)
            result = sk.fit(sk.Siren(2, sizes.hidden, sizes.layers, 3), task, steps=steps, max_seconds=sizes.div2k_seconds,
                            eval_every=steps, log_every=steps, save_every=steps, device=device.type)
            per_image.append({"image": path.name, "psnr": result.metrics["psnr"], "steps": result.steps,
                              "train_seconds": result.train_seconds})
    psnrs = [r["psnr"] for r in per_image]
    return row | {"images": f"{folder.name}: {len(per_image)} of {len(paths)} at {sizes.div2k_size}^2 RGB",
                  "images_fitted": len(per_image), "complete": len(per_image) == len(paths),
                  "recipe": {"lr": sk.FitConfig().lr, "schedule": f"cosine over {steps} steps (what fits in the budget at the probe's "
                                                                  f"{probe['s_per_step']:.4g} s/step)", "batch": "full",
                             "budget_train_seconds": sizes.div2k_seconds},
                  "probe_s_per_step": probe["s_per_step"], "mean_psnr": float(np.mean(psnrs)), "min_psnr": float(np.min(psnrs)),
                  "reference_mean_psnr": REFERENCE_DIV2K_DB,
                  "reference": "EVOS table: SIREN 3x256, Adam 1e-4, full batch, 5000 steps, 180 s on an RTX 3090",
                  "per_image": per_image}


def section_many_signals(sizes: Sizes, device: torch.device) -> dict:
    """fit_images (one StackedSiren) on K faces, and sk.fit one image at a time, same steps, wall seconds."""
    path = data_root() / "faces" / "olivettifaces.mat"
    faces = load_faces(path, size=sizes.stack_size).images[:sizes.stack_images]  # (K, side, side) in [-1, 1]
    images = torch.from_numpy(faces)[..., None].to(device)
    fit_images(images[:2], 2, hidden_features=sizes.hidden, hidden_layers=sizes.layers)  # warm-up
    stacked: dict = {}
    with peak_memory(device, stacked):
        start = time.perf_counter()
        _, psnrs = fit_images(images, sizes.stack_steps, hidden_features=sizes.hidden, hidden_layers=sizes.layers)
        sync(device)
        stacked["seconds"] = time.perf_counter() - start
    stacked |= {"images_per_s": len(faces) / stacked["seconds"], "mean_psnr": float(np.mean(psnrs)), "min_psnr": float(np.min(psnrs))}
    alone: dict = {}
    with peak_memory(device, alone):
        start, alone_psnrs = time.perf_counter(), []
        for face in faces[:sizes.one_by_one]:
            torch.manual_seed(0)
            task = ImageTask((face + 1) / 2)
            result = sk.fit(sk.Siren(2, sizes.hidden, sizes.layers, 1), task, steps=sizes.stack_steps, eval_every=sizes.stack_steps,
                            log_every=sizes.stack_steps, save_every=sizes.stack_steps, device=device.type)
            alone_psnrs.append(result.metrics["psnr"])
        sync(device)
        alone["seconds"] = time.perf_counter() - start
    alone |= {"images": sizes.one_by_one, "images_per_s": sizes.one_by_one / alone["seconds"], "mean_psnr": float(np.mean(alone_psnrs))}
    return {"images": f"{len(faces)} Olivetti faces at {sizes.stack_size}^2 grey", "network": f"2-{sizes.hidden}x{sizes.layers}-1 each",
            "recipe": {"steps": sizes.stack_steps, "lr": 1e-3, "schedule": "cosine", "batch": "full"},
            "stacked_fit_images": stacked, "one_sk_fit_per_image": alone,
            "stacked_over_one_by_one_images_per_s": stacked["images_per_s"] / alone["images_per_s"]}


def section_second_derivatives(sizes: Sizes, device: torch.device, clock: Clock) -> dict:
    """Each case's step eager and compiled over a plain sk.fit value step of the same points and outputs."""
    n = sizes.derivative_size
    camera = ImageTask.from_source("camera", size=n).image[..., 0]
    cases = {
        "laplacian": (PoissonTask.from_config(PoissonConfig(size=n, supervise="laplacian")), ImageTask(camera), 1),
        "helmholtz": (HelmholtzTask(HelmholtzConfig(reference_size=sizes.helmholtz_reference_size,
                                                    residual_size=sizes.helmholtz_residual_size)),
                      ImageTask(np.stack([camera, camera[::-1]], -1)), 2),
    }
    out: dict = {"points": n * n, "network": f"2-{sizes.hidden}x{sizes.layers}-(1 or 2)", "steps_timed": sizes.timed_steps}
    for name, (task, plain_task, channels) in cases.items():
        if clock.left() < 45:
            out[name] = {"skipped": "--time-limit-s reached"}
            continue
        plain = fit_steps(plain_task.to(device), sizes, device, out_features=channels)
        eager = fit_steps(task, sizes, device, out_features=channels, batch_size=n * n)
        compiled = fit_steps(task, sizes, device, out_features=channels, batch_size=n * n, compile=True)
        out[name] = {"plain": plain, "eager": eager, "compiled": compiled,
                     "eager_over_plain": eager["s_per_step"] / plain["s_per_step"],
                     "compiled_over_plain": compiled["s_per_step"] / plain["s_per_step"]}
    return out


def device_info(device: torch.device) -> dict:
    if device.type != "cuda":
        return {"type": "cpu", "name": "cpu (dry run)", "threads": torch.get_num_threads()}
    props = torch.cuda.get_device_properties(device)
    info = {"type": "cuda", "name": props.name, "capability": f"{props.major}.{props.minor}", "memory_bytes": props.total_memory,
            "multiprocessors": props.multi_processor_count, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        info["driver"] = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                        capture_output=True, text=True, timeout=20).stdout.strip()
    return info


def git_commit() -> str:
    """SIRENKIT_GIT_COMMIT (gpu_check.sh sets it: the commit the carried wheel was built from), else HEAD."""
    if os.environ.get("SIRENKIT_GIT_COMMIT"):
        return os.environ["SIRENKIT_GIT_COMMIT"]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        found = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=20)
        if found.returncode == 0:
            return found.stdout.strip()
    return "unknown"


def goals(report: dict) -> dict:
    """Each goal of issue #23 with the measured figure; None where its section did not run."""
    s = report["sections"]
    hit = s.get("time_to_psnr", {}).get("rows", {}).get("sirenkit_default_fp32", {}).get("milestones", {}).get("40dB")
    div2k, limit = s.get("div2k", {}), s.get("gemm_bound_limit", {})
    return {
        "time_to_40dB_s": {"goal": f"<= {GOALS['time_to_40dB_s']}", "measured": hit["seconds"] if hit else None,
                           "met": bool(hit and hit["seconds"] <= GOALS["time_to_40dB_s"])},
        "div2k_mean_psnr_db": {"goal": f">= {GOALS['div2k_mean_psnr_db']} in {GOALS['div2k_seconds']} s per image, all 16",
                               "measured": div2k.get("mean_psnr"),
                               "met": bool(div2k.get("complete") and div2k.get("mean_psnr", 0) >= GOALS["div2k_mean_psnr_db"])},
        "gemm_bound_ratio": {"goal": f"<= {GOALS['gemm_bound_ratio']}", "measured": limit.get("best_ratio_to_limit"),
                             "precision": limit.get("best_precision"),
                             "met": bool(limit and limit["best_ratio_to_limit"] <= GOALS["gemm_bound_ratio"])},
    }


def summary(report: dict) -> list[str]:
    """The headline figures, one per line (the device tool's reply shows the end of the output)."""
    s, lines = report["sections"], []
    for row, value in s.get("camera_step", {}).get("rows", {}).items():
        lines.append(f"camera step {row}: {value['s_per_step'] * 1e3:.3f} ms")
    for row, value in s.get("time_to_psnr", {}).get("rows", {}).items():
        hits = ", ".join(f"{key} {hit['seconds']:.3f} s" if hit else f"{key} not reached" for key, hit in value["milestones"].items())
        lines.append(f"time to PSNR {row}: {hits}")
    if "gemm_bound_limit" in s:
        side = report["sizes"]["limit_size"]
        lines += [f"{side}^2 step {name}: {row['s_per_step'] * 1e3:.3f} ms = {row['ratio_to_limit_at_square_rate']:.2f}x GEMM-bound"
                  for name, row in s["gemm_bound_limit"]["rows"].items()]
    if "div2k" in s:
        lines.append(f"DIV2K: mean {s['div2k']['mean_psnr']:.2f} dB over {s['div2k']['images_fitted']} images after "
                     f"{s['div2k']['recipe']['budget_train_seconds']:g} s each (reference {REFERENCE_DIV2K_DB} dB)")
    if "many_signals" in s:
        lines.append(f"many signals: {s['many_signals']['stacked_fit_images']['images_per_s']:.2f} images/s stacked, "
                     f"{s['many_signals']['one_sk_fit_per_image']['images_per_s']:.2f} one by one")
    for case in ("laplacian", "helmholtz"):
        row = s.get("second_derivatives", {}).get(case, {})
        if "eager" in row:
            lines.append(f"{case} step / plain step: eager {row['eager_over_plain']:.2f}x, compiled {row['compiled_over_plain']:.2f}x")
    lines += [f"error in {name}: {message}" for name, message in report["errors"].items()]
    return lines


def refuse(message: str) -> None:
    print(f"bench_gpu.py: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="every section on the CPU at tiny sizes (< 1 min); never the real file")
    parser.add_argument("--out", type=Path, default=None, help=f"JSON to write (default {RESULT.relative_to(ROOT)}; dry run: a temp file)")
    parser.add_argument("--time-limit-s", type=float, default=0.0, help="wall seconds the whole run may take; long sections stop "
                                                                        "in time, sections past it are skipped (0: no limit)")
    parser.add_argument("--div2k-images", type=int, default=None, help="how many DIV2K-16 images (default 16)")
    parser.add_argument("--compile-backend", default=None, help="torch.compile backend of every compiled row (default inductor; "
                                                                "dry run: aot_eager, which traces the same forward and backward "
                                                                "graphs without minutes of C++ kernel builds)")
    args = parser.parse_args()
    sizes = DRY if args.dry_run else GPU
    if args.div2k_images is not None:
        sizes = dataclasses.replace(sizes, div2k_images=args.div2k_images)
    if args.dry_run:
        out = args.out or Path(tempfile.mkstemp(prefix="bench_gpu_dry_", suffix=".json")[1])
        if out.resolve() == RESULT:
            refuse(f"a dry run writes CPU figures at tiny sizes and must not write {RESULT.relative_to(ROOT)}; pass another --out")
        device = torch.device("cpu")
        torch.set_num_threads(1)  # tiny sizes: more threads only spin against each other on a busy machine
    else:
        if not torch.cuda.is_available():
            refuse("no CUDA device is visible to PyTorch, and the result is a GPU measurement; "
                   "on a CPU run `python benchmarks/bench_gpu.py --dry-run --out PATH`")
        out, device = args.out or RESULT, torch.device("cuda")
    backend = args.compile_backend or ("aot_eager" if args.dry_run else "inductor")
    if backend != "inductor":  # sk.fit(compile=True) calls torch.compile(task.losses): give it the backend
        torch.compile = functools.partial(torch.compile, backend=backend)
    clock = Clock(args.time_limit_s)
    report: dict = {"benchmark": "gpu", "command": " ".join(["python", *sys.argv]), "git_commit": git_commit(),
                    "dry_run": args.dry_run, "device": device_info(device), "versions": versions() | {"cuda": str(torch.version.cuda)},
                    "peak_memory": "torch.cuda.max_memory_allocated per measurement" if device.type == "cuda"
                    else "CPU dry run: the process's peak RSS so far (ru_maxrss), not per measurement",
                    "compile_backend": backend, "sizes": dataclasses.asdict(sizes), "sections": {}, "errors": {}, "complete": False}
    sections: dict[str, Callable[[], dict]] = {
        "matmul_rate": lambda: section_matmul_rate(sizes, device),
        "camera_step": lambda: section_camera_step(sizes, device),
        "time_to_psnr": lambda: section_time_to_psnr(sizes, device),
        "gemm_bound_limit": lambda: section_gemm_bound_limit(sizes, device, report["sections"]["matmul_rate"]),
        "div2k": lambda: section_div2k(sizes, device, clock),
        "many_signals": lambda: section_many_signals(sizes, device),
        "second_derivatives": lambda: section_second_derivatives(sizes, device, clock),
    }
    for name, run in sections.items():
        if clock.left() <= 0:
            report["errors"][name] = "skipped: --time-limit-s reached"
            continue
        start = time.perf_counter()
        try:
            report["sections"][name] = run() | {"section_wall_s": time.perf_counter() - start}
        except Exception as exc:  # one failing section must not lose the others' figures
            report["errors"][name] = f"{type(exc).__name__}: {exc}"
        print(f"{name}: {time.perf_counter() - start:.1f} s{' FAILED: ' + report['errors'][name] if name in report['errors'] else ''}",
              file=sys.stderr)
        write_json(out, report)
    report["goals"] = goals(report) if not args.dry_run else "not judged: CPU dry run at tiny sizes"
    report["complete"] = not report["errors"]
    report["wall_s"] = time.perf_counter() - clock.start
    write_json(out, report)
    print("\n".join(summary(report)))
    print(f"wrote {out}")
    raise SystemExit(0 if report["complete"] else 1)


if __name__ == "__main__":
    main()
