"""FWI methods side by side on data_cylinder_5.mat: the FD adjoint baseline, the PINN, the PINN with a bounded velocity, the hybrid.

One method per run (each fits in 10 minutes on a 2-core CPU), each into its own result file
benchmarks/results/fwi_method_<method>.json; `report.py` joins them into one table. Budgets are
counts of iterations or steps, not seconds, so the quality figures do not depend on the machine's
load; the time is reported next to them. Every method is scored by the task's metrics on the same
n×n grid (`physics.fwi.velocity_metrics`: the velocity inside the PML against the true cylinder,
r 0.1, velocity 2; the receiver misfit, relative L2).

- fd: `physics.fwi.FDInversion`, L-BFGS-B on the velocity grid bounded to [0.5, 3], from the
  uniform background (what `bench_fwi_fd.py` runs, with a smaller budget).
- pinn: `sirenkit helmholtz-inverse` as it is (the paper's method; 3x256 SIREN with 11 outputs,
  the first third of the steps pretraining the fields with the velocity held at the background).
- pinn-bounded: the same with --bounded-velocity (v = 0.5 + 2.5·sigmoid(θ + θ₀)).
- fd-bregman: the same with total variation, the one-sided bound v >= 1 (`--v-min 1`: nothing slower than the
  background) and Bregman rounds that add the residual back to the data (`FDInversion.invert`'s bregman_rounds).
- hybrid-bregman: the hybrid with TV and Bregman rounds (--bregman-every), bounds from --v-min.
- default: `sirenkit helmholtz-inverse --data data_cylinder_5.mat` with nothing else changed, run in this process
  (the hybrid with its presets: TV, Bregman rounds on the 201² grid, and --anomaly auto's one-sided bound); --n is
  ignored, the command's own 201² grid scores it.
- hybrid: --method hybrid (velocity = bounded SIREN, wavefields from the FD solver on the n×n
  grid, the adjoint-state gradient chained into the network), after `--hybrid-pretrain` steps
  fitting the velocity to the background.

    SIRENKIT_DATA=../shared/data python benchmarks/bench_fwi.py --method METHOD   (one of METHODS)
    SIRENKIT_DATA=../shared/data python benchmarks/bench_fwi.py --method fd-bregman --n 201 --v-min 1
    SIRENKIT_DATA=../shared/data python benchmarks/bench_fwi.py --method hybrid-bregman --n 201 --v-min 0.99 --hybrid-lr 5e-4
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

import sirenkit as sk
from sirenkit.physics.fwi import velocity_metrics
from sirenkit.plots import save_velocity_panel
from sirenkit.tasks.helmholtz_inverse import HelmholtzInverseConfig, HelmholtzInverseTask

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, data_dir, publish  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("fd", "fd-tv", "fd-bregman", "pinn", "pinn-bounded", "hybrid", "hybrid-tv", "hybrid-bregman", "default")
PRETRAIN_FRACTION = 1 / 3
"""PINN: this share of the steps first fits the fields with the velocity held at the background (as bench_physics.py)."""


def run_fd(task: HelmholtzInverseTask, args: argparse.Namespace, tv_weight: float) -> tuple[dict, np.ndarray]:
    problem = task.fd_inversion(args.n, tv_weight=tv_weight)
    if args.method == "fd-bregman":
        result = problem.invert(iterations=args.bregman_iterations, bregman_rounds=args.bregman_rounds, v_min=args.v_min)
        budget = f"{args.bregman_rounds} Bregman rounds, {result.iterations} L-BFGS iterations in all ({result.evaluations} solves)"
    else:
        result = problem.invert(iterations=args.fd_tv_iterations if tv_weight else args.fd_iterations, v_min=args.v_min)
        budget = f"{result.iterations} L-BFGS iterations ({result.evaluations} solves)"
    return {"budget": budget, "seconds": result.seconds, "v_min": args.v_min, "misfits": result.misfits,
            "data_misfit": result.misfits[-1], "velocity_min": float(result.velocity.min()),
            "velocity_max": float(result.velocity.max()),
            **velocity_metrics(result.velocity, task.true_velocity, task.inside)}, result.velocity


def run_neural(task: HelmholtzInverseTask, field_config: sk.FieldConfig, fit: sk.FitConfig, budget: str) -> tuple[dict, np.ndarray]:
    field = sk.build_field(field_config, task=task, seed=fit.seed)
    start = time.perf_counter()
    result = sk.fit(field, task, fit)
    seconds = time.perf_counter() - start
    _, velocity = task.predict(field)
    history = [{k: h[k] for k in ("step", "train_seconds", "velocity_mae", "velocity_contrast", "data_misfit") if k in h}
               for h in result.history]
    return {"budget": budget, "seconds": seconds, "train_seconds": result.train_seconds, "data_misfit": result.metrics["data_misfit"],
            "velocity_min": float(velocity.min()), "velocity_max": float(velocity.max()), "field": asdict(field_config),
            "fit": asdict(fit), "history": history, **velocity_metrics(velocity, task.true_velocity, task.inside)}, velocity


def run_default(data: str, seed: int) -> tuple[dict, np.ndarray, dict]:
    """`sirenkit helmholtz-inverse --data DATA --seed SEED` as a user runs it: its metrics, its velocity and its resolved config."""
    from sirenkit.cli.main import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        start = time.perf_counter()
        if cli(["helmholtz-inverse", "--data", data, "--seed", str(seed), "--quiet", "--out", str(out)]) != 0:
            raise SystemExit("the default command failed")
        seconds = time.perf_counter() - start
        metrics = json.loads((out / "metrics.json").read_text())
        config = json.loads((out / "config.json").read_text())
        velocity = np.load(out / "velocity.npy")
    fit = config["fit"]
    row = {"budget": f"{fit['steps'] - config['task_config']['pretrain_steps']} FD steps "
                     f"(after {config['task_config']['pretrain_steps']} pretraining)",
           "seconds": seconds, "train_seconds": metrics["train_seconds"], "data_misfit": metrics["data_misfit"],
           "velocity_min": float(velocity.min()), "velocity_max": float(velocity.max()), "config": config,
           "seed": config["fit"]["seed"], "anomaly_picked": "fast" if metrics["anomaly_fast"] else "slow",
           "pilot_misfit_fast": metrics["pilot_misfit_fast"], "pilot_misfit_slow": metrics["pilot_misfit_slow"]}
    row |= {k: metrics[k] for k in ("velocity_mae", "velocity_rmse", "velocity_mae_start", "velocity_contrast")}
    return row, velocity, config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=METHODS, required=True)
    parser.add_argument("--n", type=int, default=101, help="grid nodes per axis: the metrics' grid, the FD and hybrid solves")
    parser.add_argument("--fd-iterations", type=int, default=40)
    parser.add_argument("--pinn-steps", type=int, default=750)
    parser.add_argument("--pinn-lr", type=float, default=1e-4, help="the CLI's default")
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--hybrid-steps", type=int, default=110, help="in all, pretraining included")
    parser.add_argument("--hybrid-pretrain", type=int, default=30)
    parser.add_argument("--hybrid-lr", type=float, default=1e-3)
    parser.add_argument("--hybrid-optimizer", default="adam", help="the hybrid's optimizer: adam (the CLI's) or soap")
    parser.add_argument("--hybrid-schedule", default="constant",
                        help="the hybrid's lr schedule (cosine: down to FitConfig's lr_final, 0.01 of --hybrid-lr)")
    parser.add_argument("--hybrid-omega", type=float, default=10.0, help="the hybrid SIREN's first_omega_0 (smoothness of the velocity)")
    parser.add_argument("--hybrid-hidden", type=int, default=64)
    parser.add_argument("--fd-tv-iterations", type=int, default=400)
    parser.add_argument("--hybrid-tv-steps", type=int, default=630, help="in all, pretraining included")
    parser.add_argument("--tv-weight", type=float, default=1e-3,
                        help="fd-tv, fd-bregman, hybrid-tv: weight of the velocity's total variation")
    parser.add_argument("--bregman-rounds", type=int, default=6, help="fd-bregman: rounds, each adding the residual back")
    parser.add_argument("--bregman-every", type=int, default=200, help="hybrid-bregman: Adam steps per round")
    parser.add_argument("--bregman-iterations", type=int, default=100, help="fd-bregman: L-BFGS iterations per round")
    parser.add_argument("--v-min", type=float, default=0.5,
                        help="lower velocity bound of every method but the PINN (1: nothing slower than the background)")
    parser.add_argument("--seed", type=int, default=0,
                        help="the neural methods' seed (their network's init; default: the command's --seed), to see the spread")
    parser.add_argument("--picture", type=Path, default=None, help="also save the fitted and true velocity side by side here")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default); 1 when other work shares the CPU")
    parser.add_argument("--out", type=Path, default=None, help="default: benchmarks/results/fwi_method_<method>.json")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    provenance = Provenance(f"fwi_method_{args.method}")
    data = str(data_dir() / "helmholtz" / "data_cylinder_5.mat")
    base = HelmholtzInverseConfig(data=data, reference_size=args.n)
    tv_weight = args.tv_weight if args.method.endswith(("-tv", "-bregman")) else 0.0
    if args.method == "default":
        row, velocity, config = run_default(data, args.seed)
        task = HelmholtzInverseTask.from_config(HelmholtzInverseConfig(data=data, reference_size=config["task_config"]["reference_size"]))
        args.n = task.config.reference_size
        tv_weight = config["task_config"]["tv_weight"]
    elif args.method.startswith("fd"):
        task = HelmholtzInverseTask.from_config(base)
        row, velocity = run_fd(task, args, tv_weight)
    elif args.method in ("pinn", "pinn-bounded"):
        config = HelmholtzInverseConfig(**{**asdict(base), "method": "pinn",
                                           "pretrain_steps": int(args.pinn_steps * PRETRAIN_FRACTION),
                                           "bounded_velocity": args.method == "pinn-bounded"})
        task = HelmholtzInverseTask.from_config(config)
        fit = sk.FitConfig(steps=args.pinn_steps, lr=args.pinn_lr, lr_schedule="cosine", lr_final=0.1, batch_size=args.batch_size,
                           eval_every=max(args.pinn_steps // 5, 1), save_every=10**9, device="cpu", seed=args.seed)
        row, velocity = run_neural(task, sk.FieldConfig(), fit, f"{args.pinn_steps} steps ({config.pretrain_steps} pretraining) "
                                                      f"of {args.batch_size} points")
    else:
        config = HelmholtzInverseConfig(**{**asdict(base), "method": "hybrid", "pretrain_steps": args.hybrid_pretrain,
                                           "tv_weight": tv_weight, "v_min": args.v_min,
                                           "bregman_every": args.bregman_every if args.method == "hybrid-bregman" else 0})
        task = HelmholtzInverseTask.from_config(config)
        field_config = sk.FieldConfig(hidden_features=args.hybrid_hidden, first_omega_0=args.hybrid_omega)
        steps = {"hybrid": args.hybrid_steps, "hybrid-tv": args.hybrid_tv_steps,
                 "hybrid-bregman": args.hybrid_pretrain + args.bregman_rounds * args.bregman_every}[args.method]
        fit = sk.FitConfig(steps=steps, lr=args.hybrid_lr, lr_schedule=args.hybrid_schedule, optimizer=args.hybrid_optimizer,
                           eval_every=max(steps // 5, 1), save_every=10**9, device="cpu", seed=args.seed)
        row, velocity = run_neural(task, field_config, fit, f"{steps - args.hybrid_pretrain} FD steps "
                                                  f"(after {args.hybrid_pretrain} pretraining)")
    report = {"method": args.method, "data": "helmholtz/data_cylinder_5.mat", "grid": args.n, "true_model": list(task.true_model),
              "data_misfit_true_model": task.true_model_misfit, "tv_weight": tv_weight, "threads": torch.get_num_threads(), "result": row}
    print(json.dumps({k: v for k, v in row.items() if k not in ("history", "field", "fit", "misfits")}), file=sys.stderr)
    if args.picture:
        save_velocity_panel(args.picture, velocity, task.true_velocity, task.data.receivers, task.data.sources)
    publish(args.out or ROOT / "benchmarks" / "results" / f"fwi_method_{args.method}.json", report, provenance)


if __name__ == "__main__":
    main()
