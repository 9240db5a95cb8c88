"""Where `helmholtz-inverse --anomaly auto` picks the right side: the pilot inversions on the real data and on cylinders of known sign.

`physics.fwi.pick_anomaly_sign` runs two FD + TV inversions (PILOT_GRID², PILOT_TV_WEIGHT,
PILOT_ITERATIONS), one bounded to v >= 1 and one to v <= 1, and keeps the side that fits the data
better. Here it runs on data_cylinder_5.mat (the fast cylinder, velocity 2) and on synthetic data of
the same sources and receivers for cylinders of radius 0.1 and 0.12, fast and slow, centred and off
the centre; the synthetic data come from FD solves on a 201² grid, twice as fine as the pilots'
(not the pilots' own discretisation). One result file, benchmarks/results/fwi_anomaly_sign.json.

    SIRENKIT_DATA=../shared/data python benchmarks/bench_fwi_sign.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from sirenkit.io.arrays import load_receiver_data
from sirenkit.physics.fwi import PILOT_GRID, PILOT_ITERATIONS, PILOT_TV_WEIGHT, FDInversion, pick_anomaly_sign
from sirenkit.physics.helmholtz import cylinder_velocity

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, data_dir, publish  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
AMPLITUDE = -1 + 1j
"""The sources' amplitude in sirenkit's convention (HelmholtzInverseConfig.source_amplitude)."""
CYLINDERS = [(2.0, 0.1, (0.0, 0.0)), (1.5, 0.1, (0.0, 0.0)), (1.5, 0.12, (0.2, -0.1)), (1.2, 0.12, (-0.3, 0.2)),
             (0.8, 0.12, (-0.3, 0.2)), (0.7, 0.1, (0.0, 0.0)), (0.7, 0.12, (0.2, -0.1)), (0.5, 0.1, (0.0, 0.0))]
"""(velocity, radius, centre) of each synthetic cylinder in the background 1."""


def synthetic_data(sources: np.ndarray, receivers: np.ndarray, velocity: float, radius: float, centre: tuple[float, float],
                   n: int) -> np.ndarray:
    """Receiver data (R, F) of a cylinder from FD solves on an n² grid, scaled as FDInversion predicts them."""
    solver = FDInversion(sources, receivers, np.ones((len(receivers), len(sources)), complex), n=n, amplitude=AMPLITUDE)
    xy = np.stack(np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1, 1, n), indexing="ij"), -1).reshape(-1, 2)
    fields, _ = solver.fields(cylinder_velocity(xy - np.asarray(centre), radius, velocity))
    return solver.alpha * (solver.sampler @ fields)


def pilot(sources: np.ndarray, receivers: np.ndarray, data: np.ndarray) -> dict:
    problem = FDInversion(sources, receivers, data, n=PILOT_GRID, amplitude=AMPLITUDE, tv_weight=PILOT_TV_WEIGHT)
    start = time.perf_counter()
    sign, misfits = pick_anomaly_sign(problem)
    return {"picked": sign, "misfit_fast": misfits["fast"], "misfit_slow": misfits["slow"], "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-grid", type=int, default=201, help="grid of the FD solves that make the synthetic data")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "fwi_anomaly_sign.json")
    args = parser.parse_args()
    provenance = Provenance("fwi_anomaly_sign")
    measured = load_receiver_data(data_dir() / "helmholtz" / "data_cylinder_5.mat")
    rows = [{"data": "data_cylinder_5.mat", "velocity": 2.0, "radius": 0.1, "centre": [0.0, 0.0], "truth": "fast"}
            | pilot(measured.sources, measured.receivers, measured.values)]
    for velocity, radius, centre in CYLINDERS:
        data = synthetic_data(measured.sources, measured.receivers, velocity, radius, centre, args.data_grid)
        rows.append({"data": f"FD on {args.data_grid}²", "velocity": velocity, "radius": radius, "centre": list(centre),
                     "truth": "fast" if velocity > 1 else "slow"} | pilot(measured.sources, measured.receivers, data))
        print(rows[-1], file=sys.stderr, flush=True)
    for row in rows:
        row["right"] = row["picked"] == row["truth"]
    report = {"pilot": {"grid": PILOT_GRID, "iterations": PILOT_ITERATIONS, "tv_weight": PILOT_TV_WEIGHT}, "rows": rows}
    publish(args.out, report, provenance)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
