"""--precision bf16 against fp32 on the same fit: seconds per step, PSNR reached, and its ceiling.

Cameraman 256^2, the paper's 2-256x3-1 SIREN, sirenkit's default recipe (Adam 1e-3, cosine over
--steps), same seed; one process, fp32 first.

    python benchmarks/bench_precision.py [--steps 1000] [--out benchmarks/results/precision.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

import sirenkit as sk
from sirenkit.callbacks import Callback
from sirenkit.tasks import ImageTask
from sirenkit.versions import versions

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, publish  # noqa: E402


class _History(Callback):
    def __init__(self) -> None:
        self.points: list[dict] = []

    def on_eval(self, state) -> None:
        self.points.append({"step": state.step, "seconds": state.train_seconds, "psnr": state.metrics["psnr"]})
        print(f"{state.config.precision} step {state.step}: {state.metrics['psnr']:.2f} dB", file=sys.stderr)


def run(task: ImageTask, precision: str, steps: int) -> dict:
    history = _History()
    field = sk.build_field(sk.FieldConfig(), seed=0)
    result = sk.fit(field, task, steps=steps, eval_every=max(1, steps // 20), precision=precision, device="cpu", callbacks=[history])
    best = max(history.points, key=lambda p: p["psnr"])
    reach = {f"{db}dB": next((p for p in history.points if p["psnr"] >= db), None) for db in (30, 35, 40, 45)}
    return {"seconds_per_step": result.train_seconds / result.steps, "final_psnr": result.metrics["psnr"],
            "best_psnr": best["psnr"], "reached": reach, "history": history.points}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/precision.json"))
    args = parser.parse_args()
    provenance = Provenance("precision")
    task = ImageTask.from_source("camera", size=256)
    fp32, bf16 = run(task, "fp32", args.steps), run(task, "bf16", args.steps)
    report = {"benchmark": "precision", "command": " ".join(["python", *sys.argv]), "image": "camera 256^2",
              "threads": torch.get_num_threads(), "versions": versions(), "steps": args.steps, "fp32": fp32, "bf16": bf16,
              "speedup_per_step": fp32["seconds_per_step"] / bf16["seconds_per_step"],
              "final_psnr_difference_db": bf16["final_psnr"] - fp32["final_psnr"]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    publish(Path(args.out), report, provenance)
    print(json.dumps({k: v for k, v in report.items() if k not in ("fp32", "bf16")} | {
        p: {k: report[p][k] for k in ("seconds_per_step", "final_psnr", "best_psnr")} for p in ("fp32", "bf16")}, indent=2))


if __name__ == "__main__":
    main()
