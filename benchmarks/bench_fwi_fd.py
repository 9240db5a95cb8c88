"""Classical FWI on the data of `sirenkit helmholtz-inverse`: FD adjoint state + L-BFGS-B on the velocity grid.

The baseline the neural inversion is judged against (issue: physics that recovers the truth). It
inverts `data_cylinder_5.mat` on an n×n grid (the task's reference grid), from the uniform
background, and reports the task's own velocity metrics against the true cylinder. Two stopping
rules: a fixed iteration budget, and the discrepancy principle (stop when the receiver misfit
reaches that of the true model's FD fields, the floor set by the data's model error).

    SIRENKIT_DATA=../shared/data python benchmarks/bench_fwi_fd.py [--n 101] [--iterations 40]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sirenkit.physics.fwi import velocity_metrics
from sirenkit.tasks.helmholtz_inverse import HelmholtzInverseConfig, HelmholtzInverseTask

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, publish  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=101, help="grid nodes per axis (the task's reference grid too)")
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/fwi_fd.json"))
    args = parser.parse_args()
    provenance = Provenance("fwi_fd")
    task = HelmholtzInverseTask.from_config(HelmholtzInverseConfig(reference_size=args.n))
    runs = {}
    for rule, stop in (("budget", 0.0), ("discrepancy", task.true_model_misfit)):
        problem = task.fd_inversion(args.n)
        result = problem.invert(iterations=args.iterations, stop_at_misfit=stop)
        runs[rule] = {"stop_at_misfit": stop, "iterations": result.iterations, "evaluations": result.evaluations,
                      "seconds": result.seconds, "data_misfit_start": result.misfits[0], "data_misfit": result.misfits[-1],
                      "velocity_max": float(result.velocity.max()), "velocity_min": float(result.velocity.min()),
                      **velocity_metrics(result.velocity, task.true_velocity, task.inside)}
        print(rule, runs[rule], file=sys.stderr, flush=True)
    report = {"data": "helmholtz/data_cylinder_5.mat", "grid": args.n, "true_model": list(task.true_model),
              "data_misfit_true_model": task.true_model_misfit, "runs": runs}
    publish(args.out, report, provenance)


if __name__ == "__main__":
    main()
