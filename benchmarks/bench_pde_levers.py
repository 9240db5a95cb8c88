"""The convergence levers on the PDE tasks: Helmholtz (point source, PML) and the wave equation, at equal steps.

Each lever runs the same number of steps from the same seed as the baseline (Adam on the
reference's loss, uniform collocation points): the residual sampler (R3, `--sampler residual`),
SOAP at two learning rates, the L-BFGS polish for the last steps, and for Helmholtz the squared
residual (`--residual-loss square`) with Adam and with SOAP. Quality at equal steps is what decides;
the seconds are recorded beside it (SOAP and the polish cost more per step).
- helmholtz: `HelmholtzTask` (k = 20, source at 0, PML; --velocity picks the medium), the paper's
  3x256 SIREN, 2048 points per step, lr 1e-4 cosine to 1e-5, --compile. Metric: relative MSE of the
  complex field against the reference inside the PML (a zero field scores 1).
- wave: `WaveTask` (3x128 SIREN, 4096 + 2000 points; --wave-center/--wave-sigma move and widen the
  pulse), lr 1e-4 cosine to 1e-5, the time window growing over the first 60 % of the steps,
  --compile. Metric: relative MSE of each frame against the FDTD reference, their mean and maximum.
- the lever "defaults" is the task's command with nothing changed (its presets, no --compile, its
  own steps): what `sirenkit helmholtz` and `sirenkit wave` give a new user.

    python benchmarks/bench_pde_levers.py [--helmholtz-steps 2000] [--wave-steps 1500] [--levers ...] [--velocity square]
    python benchmarks/bench_pde_levers.py --levers defaults --out benchmarks/results/pde_defaults.json --pictures docs/images
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from pathlib import Path

import torch

import sirenkit as sk
from sirenkit.devices import tune_cpu_allocator
from sirenkit.protocols import presets
from sirenkit.tasks.helmholtz import HelmholtzConfig, HelmholtzTask
from sirenkit.tasks.wave import WaveConfig, WaveTask
from sirenkit.versions import versions

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, publish  # noqa: E402
from bench_physics import copy_picture  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ABS = {"residual_loss": "abs"}
"""Helmholtz's loss as the reference has it (mean |re|, |im|); the wave task has only its squared residual."""
LEVERS = {
    "adam": {"fit": {"optimizer": "adam"}, "helmholtz": ABS},
    "residual sampler": {"fit": {"optimizer": "adam", "sampler": "residual"}, "helmholtz": ABS},
    "soap lr 1e-4": {"fit": {"optimizer": "soap"}, "helmholtz": ABS},
    "soap lr 1e-3": {"fit": {"optimizer": "soap", "lr": 1e-3}, "helmholtz": ABS},
    "L-BFGS polish": {"fit": {"optimizer": "adam", "polish_fraction": 0.02}, "helmholtz": ABS},
    "adam, squared residual": {"fit": {"optimizer": "adam"}, "helmholtz": {"residual_loss": "square"}, "only": "helmholtz"},
    "soap lr 1e-4, squared residual": {"fit": {"optimizer": "soap"}, "helmholtz": {"residual_loss": "square"},
                                       "only": "helmholtz"},
    "defaults": {},
}
"""Each lever's changes to the baseline fit ("fit"; polish_fraction is the share of the steps polished with L-BFGS) and to
the task's config (under the task's name); "only" names the one task a lever applies to."""


def run_lever(task_name: str, name: str, steps: int, out: Path, args: argparse.Namespace) -> dict:
    """One fit with the lever's settings: the final metrics, the steps, the seconds, and the metric's history."""
    lever = LEVERS[name]
    if task_name == "helmholtz":
        task = HelmholtzTask(HelmholtzConfig(velocity=args.velocity, **lever.get("helmholtz", {})))
        field = sk.build_field(sk.FieldConfig(out_features=2), seed=0)
    else:
        ramp = {} if name == "defaults" else {"ramp_steps": max(int(0.6 * steps), 1)}
        task = WaveTask(WaveConfig(center=tuple(args.wave_center), sigma=args.wave_sigma, **ramp))
        field = sk.build_field(sk.FieldConfig(in_features=3, out_features=1, hidden_features=128), seed=0)
    if name == "defaults":
        fit = sk.FitConfig(**{**presets(task)[1], "device": "cpu", "save_every": 10**9})
    else:
        settings = dict(lever["fit"])
        polish = int(settings.pop("polish_fraction", 0.0) * steps)
        batch_size = 2048 if task_name == "helmholtz" else task.config.points
        fit = sk.FitConfig(**{"steps": steps, "lr": 1e-4, "lr_schedule": "cosine", "lr_final": 0.1, "batch_size": batch_size,
                              "eval_every": max(steps // 4, 1), "save_every": 10**9, "device": "cpu", "compile": True,
                              "polish_steps": polish, **settings})
    result = sk.fit(field, task, fit, out=out)
    history = [{k: h[k] for k in ("step", "train_seconds", "relative_mse") if k in h} for h in result.history if "relative_mse" in h]
    keep = {k: v for k, v in result.metrics.items() if isinstance(v, float | int)}
    return keep | {"steps": fit.steps, "lr": fit.lr, "optimizer": fit.optimizer, "sampler": fit.sampler,
                   "polish_steps": fit.polish_steps, "batch_size": fit.batch_size, "compile": fit.compile,
                   "residual_loss": getattr(task.config, "residual_loss", "square"), "history": history}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--helmholtz-steps", type=int, default=2000)
    parser.add_argument("--wave-steps", type=int, default=1500)
    parser.add_argument("--levers", nargs="+", default=list(LEVERS), choices=list(LEVERS), metavar="LEVER",
                        help=f"which levers to run (default all: {', '.join(LEVERS)})")
    parser.add_argument("--tasks", nargs="+", default=["helmholtz", "wave"], choices=["helmholtz", "wave"])
    parser.add_argument("--velocity", default="uniform", help="Helmholtz medium: uniform, square or circle")
    parser.add_argument("--wave-center", type=float, nargs=2, default=[0.0, 0.0], metavar=("X", "Y"))
    parser.add_argument("--wave-sigma", type=float, default=5e-4, help="variance of the initial pulse")
    parser.add_argument("--pictures", type=Path, default=None,
                        help="copy each 'defaults' run's picture here as <task>_default.png (the field panels, the wave frames)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "pde_levers.json")
    args = parser.parse_args()
    provenance = Provenance("pde_levers")
    tune_cpu_allocator()
    report = {"versions": versions(), "threads": torch.get_num_threads(),
              "command": shlex.join(["python", "benchmarks/bench_pde_levers.py", *sys.argv[1:]]),
              "steps": {"helmholtz": args.helmholtz_steps, "wave": args.wave_steps}, "velocity": args.velocity,
              "wave_center": args.wave_center, "wave_sigma": args.wave_sigma, "rows": []}
    with tempfile.TemporaryDirectory() as tmp:
        for task_name, steps in (("helmholtz", args.helmholtz_steps), ("wave", args.wave_steps)):
            if task_name not in args.tasks:
                continue
            for name in args.levers:
                if LEVERS[name].get("only", task_name) != task_name:
                    continue
                row = {"task": task_name, "lever": name}
                out = Path(tmp) / f"{task_name}-{len(report['rows'])}"
                row |= run_lever(task_name, name, steps, out, args)
                if args.pictures is not None and name == "defaults":
                    args.pictures.mkdir(parents=True, exist_ok=True)
                    picture = "panels.png" if task_name == "helmholtz" else "frames.png"
                    copy_picture(out / picture, args.pictures / f"{task_name}_default.png")
                print(task_name, name, json.dumps({k: row[k] for k in ("relative_mse", "train_seconds")}), flush=True)
                report["rows"].append(row)
    publish(args.out, report, provenance)


if __name__ == "__main__":
    main()
