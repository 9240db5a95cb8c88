"""FreSh (spectrum-matched init) against the image default and the paper's init, between the samples too.

For each image: FreSh picks the weight scale alpha (and, separately, the first layer's omega_0) whose
untrained field's spectrum is closest to the image's (`sirenkit.fresh`). Then the 3x256 SIREN is fitted
for a fixed number of steps from alpha 1 (the paper), alpha 1.5 (the image default) and FreSh's alpha,
trained on the pixels (2i, 2j) only: "psnr_train" on those, "psnr_heldout" on the other three quarters,
and the PSNR of the fit's gradient and Laplacian on the full grid against central finite differences.
Quality is compared at equal steps, so the figures do not depend on the machine's load; seconds are
recorded too.

    python benchmarks/bench_fresh.py [--images camera,astronaut,div2k:00,div2k:03] [--size 256] [--steps 300]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sirenkit as sk
from sirenkit.fresh import select
from sirenkit.tasks.image import ImageConfig, ImageTask

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, data_dir, publish  # noqa: E402
from bench_convergence import derivative_scores  # noqa: E402

ALPHAS = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5)
OMEGAS = (10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0)


def source(name: str) -> str:
    """'div2k:03' -> the shared DIV2K-16 file 03.png; anything else is a file or a scikit-image name."""
    if name.startswith("div2k:"):
        return str(data_dir() / "images" / "div2k16" / f"{name.split(':', 1)[1]}.png")
    return name


def fit_scores(task: ImageTask, weight_scale: float, steps: int) -> dict:
    field = sk.build_field(task=task, seed=0, weight_scale=weight_scale)
    start = time.perf_counter()
    result = sk.fit(field, task, steps=steps, eval_every=steps, tune_allocator=True)
    seconds = time.perf_counter() - start
    scores = {k: round(v, 2) for k, v in derivative_scores(field, task).items()} if task.out_features == 1 else {}
    return {"weight_scale": weight_scale, "psnr_train": round(result.metrics["psnr_train"], 2),
            "psnr_heldout": round(result.metrics["psnr_heldout"], 2), "seconds": round(seconds, 1), **scores}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default="camera,astronaut,div2k:00,div2k:03")
    parser.add_argument("--size", type=int, default=256, help="image side; the training grid is half of it")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/fresh.json"))
    args = parser.parse_args()
    provenance = Provenance("fresh")
    rows = {}
    for name in args.images.split(","):
        task = ImageTask.from_config(ImageConfig(source=source(name), size=args.size, train_every=2))
        target = task.image * 2.0 - 1.0
        start = time.perf_counter()
        alpha = select(target, task.shape, lambda a, s, task=task: sk.build_field(task=task, seed=s, weight_scale=a), ALPHAS)
        select_seconds = time.perf_counter() - start
        omega = select(target, task.shape,
                       lambda w, s, task=task: sk.build_field(task=task, seed=s, weight_scale=1.0, first_omega_0=w), OMEGAS)
        print(f"{name}: FreSh alpha {alpha.value}, omega_0 {omega.value} ({select_seconds:.1f} s)", file=sys.stderr, flush=True)
        fits = {}
        for label, scale in (("paper alpha 1", 1.0), ("default alpha 1.5", 1.5), ("FreSh alpha", alpha.value)):
            if any(f["weight_scale"] == scale for f in fits.values()):
                fits[label] = next(f for f in fits.values() if f["weight_scale"] == scale)
                continue
            fits[label] = fit_scores(task, scale, args.steps)
            print(f"  {label} ({scale}): {fits[label]}", file=sys.stderr, flush=True)
        rows[name] = {"channels": task.out_features, "fresh_alpha": alpha.value, "fresh_omega_0": omega.value,
                      "alpha_distances": alpha.distances, "omega_distances": omega.distances,
                      "select_seconds": round(select_seconds, 1), "fits": fits}
    publish(args.out, {"protocol": {"size": args.size, "train_every": 2, "steps": args.steps, "field": "3x256 SIREN",
                                    "alphas": list(ALPHAS), "omegas": list(OMEGAS)}, "images": rows}, provenance)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
