"""The paper's image comparison (Fig. 1) with newer activations: same pixels, steps and seed per model.

Cameraman (and astronaut, grey) at 256^2, the paper's 3x256 network for every model, 500 full-batch
steps, each model at its recommended lr (sirenkit.compare.RECOMMENDED_LR) under the same cosine
schedule, on the CPU. Writes benchmarks/results/compare.json, prints a markdown table per image,
and copies each image's grid.png and curves.png to docs/compare_<image>_{grid,curves}.png.

Budget: about 0.33 s/step for SIREN and 0.4-0.5 s/step for the others on this 2-core CPU, so one
model costs 3-4 minutes at 500 steps; the default list is what fits in about 15 minutes.

    python benchmarks/bench_compare.py [--images camera] [--models sine,relu+positional,relu+fourier,finer] [--steps 500]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
from skimage.color import rgb2gray

from sirenkit.compare import compare_image, markdown_table, write_report
from sirenkit.io.image import load_image
from sirenkit.tasks import ImageTask
from sirenkit.versions import versions

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, publish  # noqa: E402

DEFAULT_MODELS = "sine,relu+positional,relu+fourier,finer"
LEFT_OUT = {
    "relu": "tested at 64x64 instead (tests/test_compare.py: 30 dB below SIREN); ~3.5 min per model at 256^2 did not fit",
    "tanh": "as relu (35 dB below SIREN at 64x64)",
    "wire": "did not fit the 15-minute budget (real-valued Gabor variant; see sirenkit/activations/wire.py)",
    "gauss": "did not fit the 15-minute budget",
    "relu+rbf": "1024 centres make the first layer 4x wider; did not fit the budget",
    "astronaut": "a second image doubles the run to ~30 minutes; run with --images camera,astronaut",
}


def image_task(name: str, size: int) -> ImageTask:
    image = load_image(name, size=size)
    if image.shape[-1] == 3:
        image = rgb2gray(image).astype(np.float32)
    return ImageTask(image)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", default="camera")
    parser.add_argument("--models", default=DEFAULT_MODELS)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--eval-every", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/compare.json"))
    parser.add_argument("--figures", type=Path, default=Path("docs"))
    parser.add_argument("--runs", type=Path, default=Path("runs/bench-compare"))
    args = parser.parse_args()
    provenance = Provenance("compare")
    models = args.models.split(",")
    report = {
        "benchmark": "compare", "command": " ".join(["python", *sys.argv]), "steps": args.steps, "size": args.size,
        "network": "3x256 (5 linear layers) for every model", "schedule": "cosine to 0.01 x lr, full batch, seed 0",
        "threads": torch.get_num_threads(), "device": "cpu", "versions": versions(), "images": {},
        "left_out": {k: v for k, v in LEFT_OUT.items() if k not in models and k not in args.images.split(",")},
    }
    start = time.perf_counter()
    for name in args.images.split(","):
        task = image_task(name, args.size)
        results, fields = compare_image(task, models, steps=args.steps, eval_every=args.eval_every, device="cpu")
        run = args.runs / name
        write_report(run, task, results, fields, info={"source": name, "steps": args.steps})
        args.figures.mkdir(parents=True, exist_ok=True)
        for kind in ("grid", "curves"):
            shutil.copyfile(run / f"{kind}.png", args.figures / f"compare_{name}_{kind}.png")
        report["images"][name] = {
            r.name: {"psnr": r.psnr, "ssim": r.ssim, "params": r.params, "lr": r.lr, "train_seconds": r.train_seconds,
                     "seconds_per_step": r.train_seconds / args.steps, "psnr_history": {h["step"]: h["psnr"] for h in r.history}}
            for r in results}
        print(f"\n### {name} {task.shape[0]}x{task.shape[1]}, {args.steps} steps\n\n{markdown_table(results)}", flush=True)
    report["wall_seconds"] = time.perf_counter() - start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    publish(Path(args.out), report, provenance)
    print(f"\nwrote {args.out} ({report['wall_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
