"""Does training on random mini-batches of pixels reach a PSNR sooner than full-batch steps?

Time (training seconds, evaluation excluded) to --target dB on cameraman 256^2 with the paper's
2-256x3-1 SIREN, for full batch and for random mini-batches of several sizes, each stopped at
--budget seconds. One process, one run after another.

    python benchmarks/bench_minibatch.py [--target 36.4] [--budget 60] [--out benchmarks/results/minibatch.json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sirenkit as sk
from sirenkit.tasks import ImageTask
from sirenkit.tasks.image import ImageConfig
from sirenkit.versions import versions

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, publish  # noqa: E402

RUNS = [(0, 1e-3, "fp32"), (16384, 1e-3, "fp32"), (8192, 1e-3, "fp32"), (4096, 1e-3, "fp32"),
        (8192, 5e-4, "fp32"), (8192, 1e-3, "bf16")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="camera")
    parser.add_argument("--target", type=float, default=36.4)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/minibatch.json"))
    args = parser.parse_args()
    provenance = Provenance("minibatch")
    rows = []
    for batch_size, lr, precision in RUNS:
        task = ImageTask.from_config(ImageConfig(source=args.image))
        field = sk.build_field(sk.FieldConfig(), seed=0)
        pixels = task.coords.shape[0]
        eval_every = 10 if batch_size == 0 else max(10, pixels // batch_size * 10)
        config = sk.FitConfig(steps=100000, lr=lr, batch_size=batch_size, eval_every=eval_every, device="cpu",
                              target_psnr=args.target, max_seconds=args.budget, precision=precision,
                              log_every=1000, save_every=100000)
        result = sk.fit(field, task, config)
        rows.append({"batch_size": batch_size or "full", "lr": lr, "precision": precision, "steps": result.steps,
                     "seconds": round(result.train_seconds, 1), "psnr": round(result.metrics["psnr"], 2),
                     "reached": result.stopped_by == "target_psnr"})
        print(rows[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    publish(Path(args.out), {"image": args.image, "target_db": args.target, "budget_s": args.budget,
                             "runs": rows, "versions": versions()}, provenance)
    print(f"| batch | lr | precision | steps | seconds | PSNR | reached {args.target} dB |\n| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['batch_size']} | {r['lr']:g} | {r['precision']} | {r['steps']} | {r['seconds']} | {r['psnr']} | {r['reached']} |")


if __name__ == "__main__":
    main()
