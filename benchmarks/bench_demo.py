"""`make demo`'s fit, timed, and looked at between its pixels: the convergence issue's demo goal (≥ 40 dB in ≤ 30 s).

Runs the demo's own command (the Makefile's `sirenkit image camera ...` line, read from the
Makefile so the two cannot drift apart) `--repeats` times in a subprocess, each into a fresh
folder, and reads the PSNR, steps and training seconds from its metrics.json. Then it checks the
field between the pixels it was trained on: the 256² cameraman is scikit-image's 512² photo
reduced by area, so the 512² photo is a truth for the points halfway between training pixels. The
field is evaluated at the 512² pixel centres (in the training grid's coordinates) and scored
against the photo, next to the bicubic enlargement of the 256² training image (the baseline any
image viewer offers). Time it on a quiet machine.

    python benchmarks/bench_demo.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import skimage.data
import torch
from skimage.transform import resize

import sirenkit as sk
from sirenkit.io.image import load_image
from sirenkit.metrics import psnr
from sirenkit.render import evaluate_points

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, publish  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GOAL_DB, GOAL_SECONDS = 40.0, 30.0


def demo_command() -> list[str]:
    """The Makefile's demo line, after `$(BIN)/sirenkit`, without its --out and --overwrite."""
    line = next(line for line in (ROOT / "Makefile").read_text().splitlines() if "/sirenkit image camera" in line)
    words = shlex.split(line.split("/sirenkit", 1)[1])
    kept, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word == "--out":
            skip = True
        elif word != "--overwrite":
            kept.append(word)
    return kept


def between_pixels(run: Path) -> dict[str, float]:
    """PSNR at the 512² photo's pixel centres: the field, and the bicubic enlargement of the 256² training image."""
    photo = skimage.data.camera().astype(np.float64) / 255.0
    train = load_image("camera", size=256)[..., 0].astype(np.float64)
    n = photo.shape[0]
    # training pixel j (of n/2) sits at -1 + 2j/(n/2 - 1) and covers photo pixels 2j, 2j+1: photo pixel i sits at -1 + (i - 0.5)·2/(n-2)
    axis = -1.0 + (np.arange(n) - 0.5) * 2.0 / (n - 2)
    coords = torch.from_numpy(np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)).float()
    field = sk.load(run).eval()
    values = evaluate_points(field, coords).double().numpy()[:, 0].reshape(n, n)
    fit = np.clip((values + 1.0) / 2.0, 0.0, 1.0)
    bicubic = np.clip(resize(train, photo.shape, order=3, anti_aliasing=False), 0.0, 1.0)
    return {"field_psnr_512": psnr(fit, photo), "bicubic_psnr_512": psnr(bicubic, photo)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "demo.json")
    args = parser.parse_args()
    command = demo_command()
    provenance = Provenance("demo")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            out = Path(tmp) / f"run{repeat}"
            subprocess.run([sys.executable, "-m", "sirenkit", *command, "--out", str(out), "--quiet"], check=True,
                           stdout=subprocess.DEVNULL)
            metrics = json.loads((out / "metrics.json").read_text())
            runs.append({"psnr": metrics["psnr"], "steps": int(metrics["steps"]), "train_seconds": metrics["train_seconds"]})
            print(runs[-1], flush=True)
        between = between_pixels(out)
    seconds = sorted(r["train_seconds"] for r in runs)
    report = {"command": "sirenkit " + " ".join(command), "runs": runs, "median_train_seconds": seconds[len(seconds) // 2],
              "psnr": runs[-1]["psnr"], **between, "goal_db": GOAL_DB, "goal_seconds": GOAL_SECONDS,
              "goal_met": all(r["psnr"] >= GOAL_DB for r in runs) and seconds[len(seconds) // 2] <= GOAL_SECONDS}
    print(json.dumps({k: v for k, v in report.items() if k != "runs"}))
    publish(args.out, report, provenance)


if __name__ == "__main__":
    main()
