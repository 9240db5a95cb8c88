"""Priors over SIRENs: test-set inpainting MSE of each model vs two baselines, on the Olivetti faces 32x32.

Train people 32, test people 8 (80 photos of unseen identities, split by person, seed 0). MSE on
pixel values in [-1, 1] over all 1024 pixels of each test face, averaged over the faces, at 10,
100 and 1000 random context pixels and the top half; the contexts are the same for every model
and baseline (seed EVAL_SEED). Each model trains in its own process (`sirenkit prior-train`), so
its peak memory (ru_maxrss) is its own. Baselines:
- the mean training face (ignores the context);
- a SIREN fitted to each test face's context pixels only (the same 2-64x3-1 architecture as the
  generated SIRENs; all 80 fitted at once through vmap, Adam lr 1e-3 cosine, --baseline-steps).

    python benchmarks/bench_prior.py [--steps-set 3000] [--steps-conv 4000] [--steps-modulated 1300]
        [--runs runs/bench-prior] [--out benchmarks/results/prior.json] [--docs docs]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from sirenkit.fields.siren import Siren
from sirenkit.io.image import save_image
from sirenkit.prior import CONTEXT_CHOICES, PriorConfig, batched_siren, eval_context
from sirenkit.prior.inpaint import UNSEEN, inpaint_faces
from sirenkit.prior.models import context_mse
from sirenkit.prior.train import EVAL_SEED, load_prior, load_split, peak_rss_mib
from sirenkit.samplers import grid
from sirenkit.versions import versions

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, publish  # noqa: E402

PAPER = {"reference": "SIREN paper Table 3 (CelebA 32x32, MSE at 10 / 100 / 1000 context pixels)",
         "CNP": [0.039, 0.016, 0.009], "set encoder + hypernet": [0.035, 0.013, 0.009], "CNN encoder + hypernet": [0.033, 0.009, 0.008]}


def train_model(model: str, steps: int, runs: Path) -> dict:
    out = runs / model
    command = [sys.executable, "-m", "sirenkit", "prior-train", "--model", model, "--steps", str(steps),
               "--out", str(out), "--overwrite", "--quiet"]
    print(" ".join(command[1:]), file=sys.stderr)
    subprocess.run(command, check=True)
    return {"command": " ".join(["sirenkit", *command[3:]]), **json.loads((out / "metrics.json").read_text())}


def fit_context_sirens(test: np.ndarray, spec: str, steps: int, width: int) -> float:
    """Fit one SIREN per test face to its context pixels only; MSE over all pixels."""
    n, side = len(test), test.shape[-1]
    images = torch.from_numpy(test).reshape(n, -1)
    context = eval_context(n, side, spec, torch.Generator().manual_seed(EVAL_SEED))
    template = Siren(2, width, 3, 1)
    coords = grid((side, side))
    inits = []
    for i in range(n):  # each face its own SIREN init, drawn from seed i
        torch.manual_seed(i)
        inits.append(dict(Siren(2, width, 3, 1).named_parameters()))
    params = {name: torch.stack([init[name].detach() for init in inits]).requires_grad_() for name in inits[0]}
    optimizer = torch.optim.Adam(params.values(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps, eta_min=1e-5)
    seen_coords, seen = coords[context.index], context.gather(images[..., None])[..., 0]
    for _ in range(steps):
        loss = context_mse(batched_siren(template, params, seen_coords)[..., 0], seen, context) * n
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    with torch.no_grad():
        pred = batched_siren(template, params, coords)[..., 0]
    return float(((pred - images) ** 2).mean())


def comparison_picture(path: Path, runs: Path, models: list[str], test: np.ndarray, picks: list[int]) -> Path:
    """Rows: test faces; per context 10 and 100: the context, then each model's inpainting; last the ground truth."""
    zoom, gap = 2, 2
    faces = test[picks]

    def tiles(images: np.ndarray) -> np.ndarray:
        rgb = np.repeat(np.clip((images + 1) / 2, 0, 1)[..., None], 3, axis=-1)
        return rgb.repeat(zoom, 1).repeat(zoom, 2)

    columns = []
    for spec in ("10", "100"):
        mask = None
        preds = []
        for model in models:
            prior, _ = load_prior(runs / model)
            pred, mask = inpaint_faces(prior, faces, spec)
            preds.append(tiles(pred))
        shown = np.where(mask[..., None] > 0, np.repeat(np.clip((faces + 1) / 2, 0, 1)[..., None], 3, -1), UNSEEN)
        columns += [shown.repeat(zoom, 1).repeat(zoom, 2), *preds]
    columns.append(tiles(faces))
    h, w = columns[0].shape[1:3]
    canvas = np.ones((len(picks) * (h + gap) - gap, len(columns) * (w + gap) - gap, 3), np.float32)
    for c, column in enumerate(columns):
        for r in range(len(picks)):
            canvas[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = column[r]
    return save_image(path, canvas)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps-set", type=int, default=3000)
    parser.add_argument("--steps-conv", type=int, default=4000)
    parser.add_argument("--steps-modulated", type=int, default=1300)
    parser.add_argument("--baseline-steps", type=int, default=300)
    parser.add_argument("--runs", type=Path, default=Path("runs/bench-prior"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/prior.json"))
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    args = parser.parse_args()
    provenance = Provenance("prior")
    config = PriorConfig()
    train, test = load_split(config)
    steps = {"hypernet-set": args.steps_set, "hypernet-conv": args.steps_conv, "modulated": args.steps_modulated}
    models = {name: train_model(name, n, args.runs) for name, n in steps.items()}

    mean_face = train.images.mean(axis=0)
    mean_mse = float(((test.images - mean_face) ** 2).mean())
    baselines = {"mean training face": {f"mse_{s}": mean_mse for s in CONTEXT_CHOICES}}
    began = time.perf_counter()
    baselines["SIREN fitted to the context"] = {f"mse_{s}": fit_context_sirens(test.images, s, args.baseline_steps,
                                                                                 config.hidden_features)
                                                for s in CONTEXT_CHOICES}
    baselines["SIREN fitted to the context"]["fit_seconds"] = time.perf_counter() - began

    for m in models.values():
        m["beats_both_baselines_at_10_and_100"] = all(m[f"mse_{s}"] < b[f"mse_{s}"] for s in ("10", "100") for b in baselines.values())
    rows = ["| model | MSE 10 px | MSE 100 px | MSE 1000 px | MSE top half | steps | train s | peak MiB |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, m in models.items():
        rows.append(f"| {name} | " + " | ".join(f"{m[f'mse_{s}']:.4f}" for s in CONTEXT_CHOICES)
                    + f" | {int(m['steps'])} | {m['train_seconds']:.0f} | {m['peak_rss_mib']:.0f} |")
    for name, b in baselines.items():
        rows.append(f"| {name} | " + " | ".join(f"{b[f'mse_{s}']:.4f}" for s in CONTEXT_CHOICES) + " | | | |")
    rows.append("| paper, CNN encoder + hypernet (CelebA 32x32) | 0.033 | 0.009 | 0.008 | | | | |")
    table = "\n".join(rows)

    args.docs.mkdir(parents=True, exist_ok=True)
    best = min(models, key=lambda k: models[k]["mse_100"])
    picks = [0, 10, 20, 30, 40, 50]
    pictures = [comparison_picture(args.docs / "prior_models.png", args.runs, list(models), test.images, picks[:4])]
    subprocess.run([sys.executable, "-m", "sirenkit", "prior", "inpaint", str(args.runs / best), "--test-index",
                    ",".join(map(str, picks)), "--out", str(args.runs / "inpaint")], check=True)
    for name in ("inpaint.png", "interpolation.png"):
        target = args.docs / f"prior_{name}"
        target.write_bytes((args.runs / "inpaint" / name).read_bytes())
        pictures.append(target)

    report = {"benchmark": "prior", "command": " ".join(["python", *sys.argv]),
              "data": "Olivetti faces 32x32 (area-averaged from 64x64), 32 train people (320 photos), 8 test people (80 photos)",
              "metric": "MSE of pixel values in [-1, 1], all pixels of each test face, mean over the 80 test faces",
              "contexts": "10 / 100 / 1000 random pixels, or the top 16 rows; same pixels for every model and baseline",
              "threads": torch.get_num_threads(), "device": "cpu", "versions": versions(), "config_defaults": vars(config),
              "models": models, "baselines": baselines, "baseline_steps": args.baseline_steps, "best_at_100": best,
              "pictures": [str(p) for p in pictures], "paper": PAPER, "bench_peak_rss_mib": peak_rss_mib(), "table": table}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    publish(Path(args.out), report, provenance)
    print(table)
    print("beats both baselines at 10 and 100 px: " + ", ".join(f"{k} {v['beats_both_baselines_at_10_and_100']}"
                                                                for k, v in models.items()))


if __name__ == "__main__":
    os.environ.setdefault("SIRENKIT_DATA", str(Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))
    main()
