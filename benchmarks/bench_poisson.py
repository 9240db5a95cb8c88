"""Poisson benchmark: cameraman 256^2 from its gradient or Laplacian alone, the cost of a
derivative-supervised step, and a gradient-domain blend.

Sections, all in one process on the paper's 3x256 SIREN:
- ceiling: the exact least-squares integration of each gradient target on the pixel grid (scipy
  lsqr), i.e. the best PSNR any method can reach from that target;
- fits: `PoissonTask` with sirenkit's default recipe (Adam 1e-3, cosine), full batch;
- steps: seconds per step (median of repeats) of a plain fitting step, a gradient-supervised and a
  Laplacian-supervised step, through `ops.jet` and through double backpropagation (the reference
  code's `gradient` / per-dimension `divergence`), all as ratios to the plain step;
- blend: the default `sirenkit blend` (astronaut + chelsea) at 256^2.

    python benchmarks/bench_poisson.py [--gradient-steps 500] [--laplacian-steps 300] [--blend-steps 300]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sparse
import torch
from scipy.sparse.linalg import lsqr

import sirenkit as sk
from sirenkit.devices import tune_cpu_allocator
from sirenkit.io.image import load_image
from sirenkit.metrics import psnr
from sirenkit.tasks import BlendConfig, BlendTask, PoissonConfig, PoissonTask
from sirenkit.versions import versions

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, publish  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAPER = {"gradient_psnr": 32.91, "laplacian_psnr_laplacian": 57.13}


def integration_ceiling(task: PoissonTask) -> float:
    """PSNR of the least-squares image whose forward differences best match the (averaged) target gradient."""
    image = task.image[..., 0] * 2 - 1
    n, m = image.shape
    hy, hx = 2 / (n - 1), 2 / (m - 1)

    def forward_difference(k: int, h: float) -> sparse.spmatrix:
        return sparse.diags([-np.ones(k - 1), np.ones(k - 1)], [0, 1], shape=(k - 1, k)) / h

    dx = sparse.kron(sparse.identity(n), forward_difference(m, hx))
    dy = sparse.kron(forward_difference(n, hy), sparse.identity(m))
    gy, gx = task.gradient[..., 0, 0], task.gradient[..., 0, 1]
    b = np.concatenate([0.5 * (gx[:, 1:] + gx[:, :-1]).ravel(), 0.5 * (gy[1:] + gy[:-1]).ravel()])
    u = lsqr(sparse.vstack([dx, dy]).tocsr(), b, atol=1e-10, btol=1e-10, iter_lim=20000)[0].reshape(n, m)
    u += (image - u).mean()
    return psnr(np.clip((u + 1) / 2, 0, 1), task.image[..., 0])


def fit_run(task, steps: int, out: Path) -> dict:
    field = sk.build_field(sk.FieldConfig(out_features=task.out_features), seed=0)
    result = sk.fit(field, task, sk.FitConfig(steps=steps, eval_every=max(steps // 5, 1), device="cpu"), out=out)
    keep = ("psnr", "psnr_raw", "ssim", "psnr_gradient", "psnr_laplacian", "psnr_background", "psnr_gradient_inside")
    return {k: result.metrics[k] for k in keep if k in result.metrics} | {
        "steps": result.steps, "seconds": result.train_seconds, "seconds_per_step": result.metrics["seconds_per_step"]}


def step_costs(task: PoissonTask, repeats: int) -> dict:
    field = sk.Siren(2, 256, 3, 1)
    optimizer = torch.optim.Adam(field.parameters(), lr=1e-4)
    coords = sk.grid(task.shape)
    values = torch.zeros(len(coords), 1)
    target = {"gradient": torch.zeros(len(coords), 2), "laplacian": torch.zeros(len(coords), 1)}

    def step(kind: str, method: str) -> None:
        if kind == "plain":
            pred, goal = field(coords), values
        elif method == "jet":
            jet = sk.ops.jet(field, coords, laplacian=kind == "laplacian")
            pred, goal = (jet.gradient if kind == "gradient" else jet.laplacian), target[kind]
        else:  # double backpropagation, as the reference code's diff_operators
            c = coords.clone().requires_grad_()
            out = field(c)
            pred, goal = (sk.ops.gradient(out, c) if kind == "gradient" else sk.ops.laplacian(out, c)), target[kind]
        loss = ((pred - goal) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def median_seconds(kind: str, method: str) -> float:
        step(kind, method)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            step(kind, method)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    plain = median_seconds("plain", "")
    out = {"points": len(coords), "plain_s": plain}
    for kind in ("gradient", "laplacian"):
        for method in ("jet", "double_backprop"):
            seconds = median_seconds(kind, method)
            out[f"{kind}_{method}_s"], out[f"{kind}_{method}_ratio"] = seconds, seconds / plain
    return out


def markdown(report: dict) -> str:
    rows = ["| run | steps | s/step | psnr (unseen part removed) | psnr_raw | psnr_gradient | psnr_laplacian | ceiling |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, r in report["fits"].items():
        ceiling = report["ceiling"].get(name)
        rows.append(f"| {name} | {r['steps']} | {r['seconds_per_step']:.2f} | {r['psnr']:.2f} | {r['psnr_raw']:.2f} | "
                    f"{r['psnr_gradient']:.2f} | {r['psnr_laplacian']:.2f} | {f'{ceiling:.2f}' if ceiling else '–'} |")
    s = report["steps"]
    rows += ["", f"| step ({report['size']}², full batch) | s/step | / plain step | goal |", "| --- | --- | --- | --- |",
             f"| plain fitting | {s['plain_s']:.3f} | 1.00x | |"]
    for kind, goal in (("gradient", "<= 2x"), ("laplacian", "<= 3x")):
        for method, label in (("jet", "sirenkit ops.jet"), ("double_backprop", "double backprop (reference)")):
            rows.append(f"| {kind}-supervised, {label} | {s[f'{kind}_{method}_s']:.3f} | {s[f'{kind}_{method}_ratio']:.2f}x | "
                        f"{goal if method == 'jet' else ''} |")
    b = report["blend"]
    rows += ["", f"Blend (astronaut + chelsea, 256², {b['steps']} steps, {b['seconds']:.0f} s): background kept to "
             f"{b['psnr_background']:.1f} dB outside the mask, pasted gradients fitted to {b['psnr_gradient_inside']:.1f} dB."]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gradient-steps", type=int, default=500)
    parser.add_argument("--laplacian-steps", type=int, default=300)
    parser.add_argument("--blend-steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "poisson.json")
    parser.add_argument("--pictures", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    provenance = Provenance("poisson")
    tune_cpu_allocator()
    camera = load_image("camera", size=args.size)
    tasks = {"gradient (sobel)": (PoissonTask(camera, config=PoissonConfig(supervise="gradient")), args.gradient_steps),
             "gradient (central)": (PoissonTask(camera, config=PoissonConfig(supervise="gradient", gradient_filter="central")),
                                    args.gradient_steps),
             "laplacian": (PoissonTask(camera, config=PoissonConfig(supervise="laplacian")), args.laplacian_steps)}
    report = {"versions": versions(), "threads": torch.get_num_threads(), "size": args.size, "paper": PAPER,
              "ceiling": {name: integration_ceiling(task) for name, (task, _) in tasks.items() if name.startswith("gradient")}}
    report["steps"] = step_costs(tasks["laplacian"][0], args.repeats)
    print(json.dumps(report["steps"], indent=1), flush=True)
    report["fits"] = {}
    args.pictures.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (task, steps) in tasks.items():
            out = Path(tmp) / name.replace(" ", "_").replace("(", "").replace(")", "")
            report["fits"][name] = fit_run(task, steps, out)
            print(name, json.dumps(report["fits"][name]), flush=True)
            shutil.copy(out / "panel.png", args.pictures / f"poisson_{out.name}.png")
        blend = BlendTask.from_config(BlendConfig())
        report["blend"] = fit_run(blend, args.blend_steps, Path(tmp) / "blend")
        shutil.copy(Path(tmp) / "blend" / "comparison.png", args.pictures / "blend_comparison.png")
    report["markdown"] = markdown(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    publish(Path(args.out), report, provenance)
    print(report["markdown"])


if __name__ == "__main__":
    sys.exit(main())
