"""Training and inference speed of sirenkit against the official recipe, in one process.

Cameraman 256^2 (65,536 points), the paper's 2-256x3-1 SIREN. Measures, in this order:

1. GEMM peak of this machine (torch.mm, fp32 and bf16) at the SIREN shape and at 1024^3.
2. Per step at identical maths (fp32, Adam 1e-4, full batch), one row per lever: the official
   notebook step eager with glibc's default allocator, sirenkit's fused step with the default
   allocator, then with the allocator tuned: official eager, official under torch.compile,
   sirenkit's composite path (no fused node) and sirenkit's fused node. Checks that the models
   still hold the same weights afterwards.
3. Time to quality: the official recipe for --official-steps, sirenkit's default recipe until
   its time runs out; time to 30/35/36.4/40/45 dB and PSNR at the official time to 36.4 dB.
4. Derivative supervision: a gradient- and a Laplacian-supervised step vs a plain step.
5. Inference: queries/s of sirenkit's chunked renderer vs the official model's torch.no_grad().

    python benchmarks/bench_speed.py [--official-steps 1000] [--sections per_step,...] [--out benchmarks/results/speed.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

import sirenkit as sk
from sirenkit.callbacks import Callback
from sirenkit.devices import tune_cpu_allocator
from sirenkit.fields.siren import sine_linear
from sirenkit.render import evaluate_grid
from sirenkit.tasks import ImageTask

sys.path.insert(0, str(Path(__file__).parent))
from _official import copy_into_siren, official_siren, official_step  # noqa: E402
from _results import Provenance, publish  # noqa: E402

STEP_GFLOP = 2 * 65536 * (2 * 256 + 3 * 256 * 256 + 256) * 3 / 1e9  # fwd + 2 bwd GEMMs per layer
MILESTONES = (30.0, 35.0, 36.4, 40.0, 45.0)
DERIVATIVE_MODES = ("double_backprop", "jet", "jet_compiled")


def timed(fn, repeats: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def gemm_peak() -> dict:
    """torch.mm GFLOP/s at the three GEMM shapes of a SIREN step and at 1024^3; 'fp32_peak' is the best."""
    out = {}
    for dtype in (torch.float32, torch.bfloat16):
        a, w, g = (torch.randn(65536, 256, dtype=dtype), torch.randn(256, 256, dtype=dtype), torch.randn(65536, 256, dtype=dtype))
        b = torch.randn(1024, 1024, dtype=dtype)
        name, flop = str(dtype).split(".")[-1], 2 * 65536 * 256 * 256 / 1e9
        out[f"{name}_forward_shape_gflops"] = flop / timed(lambda a=a, w=w: a @ w.t(), 10)
        out[f"{name}_input_grad_shape_gflops"] = flop / timed(lambda g=g, w=w: g @ w, 10)
        out[f"{name}_weight_grad_shape_gflops"] = flop / timed(lambda g=g, a=a: g.t() @ a, 10)
        out[f"{name}_1024_gflops"] = 2 * 1024**3 / 1e9 / timed(lambda b=b: b @ b, 10)
    out["fp32_peak"] = max(v for k, v in out.items() if k.startswith("float32"))
    return out


def twin_models() -> tuple[torch.nn.Module, sk.Siren]:
    """The official model and a sirenkit Siren holding the same weights (seed 0)."""
    torch.manual_seed(0)
    official = official_siren()
    siren = sk.Siren(2, 256, 3, 1)
    copy_into_siren(official, siren)
    return official, siren


def composite_step(siren: sk.Siren, optimizer: torch.optim.Optimizer, coords: torch.Tensor, target: torch.Tensor) -> None:
    """sirenkit's Siren without its fused node: the composite per-layer path (`sine_linear`) autograd sees."""
    x = coords
    for layer, omega_0 in zip(siren.layers[:-1], siren.omegas):
        x = sine_linear(x, layer, omega_0)
    x = torch.nn.functional.linear(x, siren.layers[-1].weight, siren.layers[-1].bias)
    loss = ((x - target) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def per_step(task: ImageTask, steps: int) -> dict:
    """s/step of the official and sirenkit steps at identical maths, with control rows for each lever.

    glibc's allocator setting is process-wide and cannot be undone, so the rows with the default
    allocator run first. Rows: official eager and sirenkit fused with the default allocator; then,
    tuned: official eager, official under torch.compile, sirenkit composite (no fused node), sirenkit fused.
    """
    official, siren = twin_models()
    coords, target = task.coords, task.values
    opt_official = torch.optim.Adam(official.parameters(), lr=1e-4)
    opt_siren = torch.optim.Adam(siren.parameters(), lr=1e-4)
    rows = {"official_eager_default_allocator": timed(lambda: official_step(official, opt_official, coords, target), steps),
            "sirenkit_fused_default_allocator": timed(lambda: official_step(siren, opt_siren, coords, target), steps)}
    tuned = tune_cpu_allocator()  # what the sirenkit CLI does on the CPU
    rows["official_eager_tuned_allocator"] = timed(lambda: official_step(official, opt_official, coords, target), steps)
    compiled = torch.compile(official)
    rows["official_compiled_tuned_allocator"] = timed(lambda: official_step(compiled, opt_official, coords, target), steps)
    rows["sirenkit_composite_tuned_allocator"] = timed(lambda: composite_step(siren, opt_siren, coords, target), steps)
    rows["sirenkit_fused_tuned_allocator"] = timed(lambda: official_step(siren, opt_siren, coords, target), steps)
    drift = max((p - q.linear.weight if hasattr(q, "linear") else p - q.weight).abs().max().item()
                for p, q in zip([layer.weight for layer in siren.layers], official))
    base = rows["official_eager_default_allocator"]
    return {"s_per_step": rows, "speedup_vs_official_eager_default_allocator": {k: base / v for k, v in rows.items()},
            "gflops": {k: STEP_GFLOP / v for k, v in rows.items()}, "allocator_tuned": tuned,
            "max_weight_difference_after_steps": drift, "steps_timed": steps}


class _History(Callback):
    def __init__(self) -> None:
        self.points: list[tuple[int, float, float]] = []

    def on_eval(self, state) -> None:
        self.points.append((state.step, state.train_seconds, state.metrics["psnr"]))


def milestones(points: list[tuple[int, float, float]]) -> dict:
    found = {}
    for db in MILESTONES:
        hit = next(((s, t) for s, t, p in points if p >= db), None)
        found[f"{db:g}dB"] = {"step": hit[0], "seconds": hit[1]} if hit else None
    return found


def time_to_quality(task: ImageTask, official_steps: int, eval_every: int) -> dict:
    torch.manual_seed(0)
    model = official_siren()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    seconds, points = 0.0, []
    for step in range(1, official_steps + 1):
        start = time.perf_counter()
        official_step(model, optimizer, task.coords, task.values)
        seconds += time.perf_counter() - start
        if step % eval_every == 0:
            points.append((step, seconds, task.evaluate(model)["psnr"]))
            print(f"official {step}: {points[-1][2]:.2f} dB at {seconds:.1f} s", file=sys.stderr)
    official = {"milestones": milestones(points), "final_psnr": points[-1][2], "seconds": seconds, "steps": official_steps}
    budget = (official["milestones"]["36.4dB"] or {"seconds": seconds})["seconds"]
    history = _History()
    field = sk.build_field(sk.FieldConfig(), seed=0)
    config = sk.FitConfig(steps=100000, eval_every=eval_every, device="cpu", max_seconds=budget)
    result = sk.fit(field, task, config, callbacks=[history])
    ours = {"milestones": milestones(history.points), "psnr_at_official_time_to_36.4dB": result.metrics["psnr"],
            "seconds": result.train_seconds, "steps": result.steps, "stopped_by": result.stopped_by,
            "recipe": {"lr": config.lr, "schedule": config.lr_schedule, "schedule_steps": config.steps}}
    ratios = {}
    for key, value in official["milestones"].items():
        if value and ours["milestones"].get(key):
            ratios[key] = value["seconds"] / ours["milestones"][key]["seconds"]
    return {"official": official, "sirenkit": ours, "time_to_db_speedup": ratios, "equal_time_budget_s": budget}


def derivative_steps(task: ImageTask, repeats: int) -> dict:
    field = sk.Siren(2, 256, 3, 1)
    optimizer = torch.optim.Adam(field.parameters(), lr=1e-4)
    coords, values = task.coords, task.values
    target_grad, target_lap = torch.zeros(len(coords), 2), torch.zeros(len(coords), 1)

    def plain() -> None:
        official_step(field, optimizer, coords, values)

    def loss(kind: str, taylor: bool) -> torch.Tensor:
        if taylor:  # sk.ops.jet: forward-mode derivatives
            jet = sk.ops.jet(field, coords, laplacian=kind == "laplacian")
            pred = jet.gradient if kind == "gradient" else jet.laplacian
        else:  # double backpropagation, as the reference code does
            c = coords.clone().requires_grad_()
            out = field(c)
            pred = sk.ops.gradient(out, c) if kind == "gradient" else sk.ops.laplacian(out, c)
        return ((pred - (target_grad if kind == "gradient" else target_lap)) ** 2).mean()

    compiled_loss = torch.compile(loss)  # what FitConfig(compile=True) does to a task's losses

    def supervised(kind: str, mode: str) -> None:
        value = compiled_loss(kind, True) if mode == "jet_compiled" else loss(kind, mode == "jet")
        optimizer.zero_grad()
        value.backward()
        optimizer.step()

    plain_s = timed(plain, repeats)
    out = {"plain_s": plain_s}
    for kind in ("gradient", "laplacian"):
        for mode in DERIVATIVE_MODES:
            seconds = timed(lambda kind=kind, mode=mode: supervised(kind, mode), repeats)  # the untimed first call compiles
            out[f"{kind}_{mode}_s"], out[f"{kind}_{mode}_ratio"] = seconds, seconds / plain_s
    return out


def inference(repeats: int, label: str) -> dict:
    official, siren = twin_models()
    coords = sk.grid((512, 512))

    def plain() -> None:
        with torch.no_grad():
            official(coords)

    plain_s = timed(plain, repeats)
    ours_s = timed(lambda: evaluate_grid(siren, (512, 512)), repeats)
    n = len(coords)
    return {"allocator": label, "points": n, "official_no_grad_qps": n / plain_s, "sirenkit_qps": n / ours_s,
            "speedup": plain_s / ours_s}


SECTIONS = ("per_step", "gemm_peak", "time_to_quality", "derivatives", "inference")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--official-steps", type=int, default=1000, help="official recipe steps for time to quality")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per measurement")
    parser.add_argument("--eval-every", type=int, default=10)
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated subset of {', '.join(SECTIONS)} (per_step first: it needs the default allocator)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/speed.json"))
    args = parser.parse_args()
    sections = [s for s in args.sections.split(",") if s]
    if unknown := set(sections) - set(SECTIONS):
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    provenance = Provenance("speed")
    task = ImageTask.from_source("camera", size=256)
    report = {"image": "camera 256^2", "network": "SIREN 2-256x3-1", "device": "cpu", "step_gflop": STEP_GFLOP}
    if "per_step" in sections:  # first: every later section runs with the allocator tuned
        report["per_step"] = per_step(task, args.repeats)
        print(json.dumps(report["per_step"]), file=sys.stderr)
    if "inference" in sections:
        report["inference"] = inference(args.repeats, "tuned" if tune_cpu_allocator() else "glibc default")
    if "gemm_peak" in sections:
        report["gemm_peak"] = gemm_peak()
    if "time_to_quality" in sections:
        report["time_to_quality"] = time_to_quality(task, args.official_steps, args.eval_every)
    if "derivatives" in sections:
        report["derivatives"] = derivative_steps(task, args.repeats)
    print(json.dumps(publish(args.out, report, provenance), indent=2))


if __name__ == "__main__":
    main()
