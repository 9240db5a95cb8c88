"""What `--compile` (torch.compile of a task's loss terms) does to one training step, per task.

Each row trains the same field from the same seed through the task's own `sample` and `losses`,
Adam, eagerly and then compiled, in one process: s/step over --steps timed steps after warm-up,
and the first step of each (the compiled one includes compiling, unless inductor's on-disk cache
already holds the kernels from an earlier run). Rows: a plain image fit
(sirenkit's fused node), a Laplacian Poisson fit (Taylor-mode jet), Helmholtz (per-axis second
derivatives of a 2-channel field, PML) and the wave equation (space-time second derivatives).

    python benchmarks/bench_compile.py [--steps 8] [--out benchmarks/results/compile.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

import sirenkit as sk
from sirenkit.devices import tune_cpu_allocator
from sirenkit.tasks import HelmholtzConfig, HelmholtzTask, ImageTask, PoissonConfig, PoissonTask, WaveConfig, WaveTask
from sirenkit.versions import versions

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, publish  # noqa: E402

CASES = {
    "image, camera 256², full batch, 2-256x3-1": (lambda: ImageTask.from_source("camera", size=256), (2, 256, 3, 1), 0),
    "Poisson from the Laplacian, camera 256², full batch, 2-256x3-1": (
        lambda: PoissonTask.from_config(PoissonConfig(size=256, supervise="laplacian")), (2, 256, 3, 1), 0),
    "Helmholtz uniform, 8192 points, 2-256x3-2": (lambda: HelmholtzTask(HelmholtzConfig()), (2, 256, 3, 2), 8192),
    "wave equation, 4096 + 2000 points, 3-128x3-1": (lambda: WaveTask(WaveConfig(frame_size=32)), (3, 128, 3, 1), 0),
}


def step_seconds(task, shape: tuple[int, int, int, int], batch_size: int, compiled: bool, steps: int) -> tuple[float, float]:
    """(s/step over `steps` timed steps, seconds of the first step) for one fresh field."""
    torch.manual_seed(0)
    field = sk.Siren(shape[0], shape[1], shape[2], shape[3])
    optimizer = torch.optim.Adam(field.parameters(), lr=1e-4)
    generator = torch.Generator().manual_seed(0)
    losses = torch.compile(task.losses) if compiled else task.losses

    def step(i: int) -> None:
        total = sum(losses(field, task.sample(i, generator, batch_size=batch_size)).values())
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()

    start = time.perf_counter()
    step(1)
    first = time.perf_counter() - start
    step(2)
    start = time.perf_counter()
    for i in range(steps):
        step(3 + i)
    return (time.perf_counter() - start) / steps, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=8, help="timed steps per measurement")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/compile.json"))
    args = parser.parse_args()
    provenance = Provenance("compile")
    tune_cpu_allocator()  # what fit does on the CPU
    rows = []
    for label, (make_task, shape, batch_size) in CASES.items():
        task = make_task()
        eager, eager_first = step_seconds(task, shape, batch_size, False, args.steps)
        compiled, compiled_first = step_seconds(task, shape, batch_size, True, args.steps)
        rows.append({"case": label, "eager_s_per_step": eager, "compiled_s_per_step": compiled, "speedup": eager / compiled,
                     "eager_first_step_s": eager_first, "compiled_first_step_s": compiled_first})
        print(json.dumps(rows[-1]), file=sys.stderr)
    table = ["| case | eager s/step | `--compile` s/step | speed-up | first step s, eager / compiled |",
             "| --- | --- | --- | --- | --- |"]
    table += [f"| {r['case']} | {r['eager_s_per_step']:.3f} | {r['compiled_s_per_step']:.3f} | {r['speedup']:.2f}× "
              f"| {r['eager_first_step_s']:.1f} / {r['compiled_first_step_s']:.1f} |" for r in rows]
    report = {"benchmark": "compile", "command": " ".join(["python", *sys.argv]), "threads": torch.get_num_threads(),
              "device": "cpu", "versions": versions(), "steps_timed": args.steps, "rows": rows, "markdown": "\n".join(table)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    publish(Path(args.out), report, provenance)
    print(report["markdown"])


if __name__ == "__main__":
    main()
