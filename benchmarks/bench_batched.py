"""Fitting many small images: one StackedSiren (all at once) vs one Siren per image, same process.

16 Olivetti faces (16 different people) downsampled to 32x32 grey, the paper's 3x256 SIREN per
image, full batch, Adam 1e-3 with sirenkit's cosine schedule. Both ways do the same arithmetic
(tests/fields/test_stacked.py checks that member k ends where a lone Siren ends), so the PSNRs
agree and only the time differs. Falls back to 32x32 crops of scikit-image pictures when
SIRENKIT_DATA has no faces/olivettifaces.mat.

    python benchmarks/bench_batched.py [--k 16] [--steps 300] [--hidden 256] [--out benchmarks/results/batched.json]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

import sirenkit.io.faces
from sirenkit.config import FitConfig
from sirenkit.devices import tune_cpu_allocator
from sirenkit.fields import Siren
from sirenkit.fit import lr_factor
from sirenkit.metrics import psnr
from sirenkit.samplers import grid
from sirenkit.tasks.image_set import fit_images
from sirenkit.versions import versions

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, data_dir, publish  # noqa: E402

LAYERS, LR = 3, 1e-3


def load_faces(k: int) -> tuple[np.ndarray, str]:
    """(k, 32, 32) faces in [0, 1], one per person, and where they came from."""
    path = data_dir() / "faces" / "olivettifaces.mat"
    if path.exists():
        faces = sirenkit.io.faces.load_faces(path, size=32)  # 10 photos per person: every 10th is a new one
        return (faces.images[::10][:k] + 1) / 2, str(path)
    from skimage import color, data, transform

    picture = transform.resize(color.rgb2gray(data.astronaut()), (128, 128), anti_aliasing=True)
    crops = [picture[32 * (i // 4):32 * (i // 4) + 32, 32 * (i % 4):32 * (i % 4) + 32] for i in range(k)]
    return np.stack(crops).astype(np.float32), "skimage astronaut, 32x32 crops"


def fit_one(image: torch.Tensor, steps: int, seed: int, hidden: int) -> float:
    """A lone Siren on one (H, W, 1) image in [-1, 1] with fit_images' recipe; its PSNR."""
    torch.manual_seed(seed)
    field = Siren(2, hidden, LAYERS, 1)
    optimizer = torch.optim.Adam(field.parameters(), lr=LR)
    config = FitConfig(steps=steps, lr=LR)
    coords, target = grid(image.shape[:2]), image.reshape(-1, 1)
    for step in range(1, steps + 1):
        optimizer.param_groups[0]["lr"] = LR * lr_factor(step, config)
        loss = torch.mean((field(coords) - target) ** 2)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        pred = ((field(coords).clamp(-1, 1) + 1) / 2).reshape(image.shape).numpy()
    return psnr(pred, ((image + 1) / 2).numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=256, help="hidden width (the paper's 256; small nets gain more)")
    parser.add_argument("--out", default="benchmarks/results/batched.json")
    args = parser.parse_args()
    provenance = Provenance("batched")
    faces, source = load_faces(args.k)
    images = torch.from_numpy(faces * 2 - 1)[..., None]  # (K, 32, 32, 1) in [-1, 1]

    tune_cpu_allocator()  # process-wide, so both ways get it (sirenkit.fit and fit_images set it)
    fit_images(images[:2], 3, LR, hidden_features=args.hidden, hidden_layers=LAYERS)  # warm-up, untimed
    fit_one(images[0], 3, 0, args.hidden)

    start = time.perf_counter()
    one_by_one = [fit_one(images[i], args.steps, seed=i, hidden=args.hidden) for i in range(args.k)]
    one_by_one_s = time.perf_counter() - start
    start = time.perf_counter()
    _, batched = fit_images(images, args.steps, LR, hidden_features=args.hidden, hidden_layers=LAYERS, seed=0)
    batched_s = time.perf_counter() - start

    rows = {"one by one (Siren per image)": (one_by_one_s, one_by_one), "batched (StackedSiren)": (batched_s, batched)}
    print(f"\n{args.k} images 32x32, 2-{args.hidden}x{LAYERS}-1 SIREN each, {args.steps} full-batch steps, "
          f"{torch.get_num_threads()} CPU threads\n")
    print("| way | total s | s per image | speed-up | mean PSNR dB | min PSNR dB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (seconds, psnrs) in rows.items():
        print(f"| {name} | {seconds:.1f} | {seconds / args.k:.2f} | {one_by_one_s / seconds:.2f}x "
              f"| {np.mean(psnrs):.2f} | {np.min(psnrs):.2f} |")
    result = {
        "benchmark": "batched",
        "command": f"python benchmarks/bench_batched.py --k {args.k} --steps {args.steps} --hidden {args.hidden} --out {args.out}",
        "data": source,
        "network": f"2-{args.hidden}x{LAYERS}-1 SIREN per image (omega_0 30), seed i for image i",
        "budget": {"steps": args.steps, "lr": LR, "lr_schedule": "cosine to 1%", "batch": "full 32x32 grid"},
        "threads": torch.get_num_threads(),
        "device": "cpu",
        "versions": versions(),
        "results": {
            "one_by_one": {"seconds": one_by_one_s, "psnr": one_by_one, "mean_psnr": float(np.mean(one_by_one))},
            "batched": {"seconds": batched_s, "psnr": batched, "mean_psnr": float(np.mean(batched))},
            "speedup": one_by_one_s / batched_s,
        },
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    publish(Path(args.out), result, provenance)
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
