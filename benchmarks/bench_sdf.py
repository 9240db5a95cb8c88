"""SDF fitting: the Stanford bunny mesh (and optionally its raw scan) with the paper's 3x256 SIREN.

Fits bunny.ply (250k surface samples with face normals) within a stated budget (steps and
seconds), meshes it at --resolution, and reports Chamfer-L1/L2 (fractions of the bounding-box
diagonal), normal consistency and F-score at 1 % of the diagonal (100k samples each way),
training time, meshing time and peak memory (max RSS of this process). With --scan, also fits
the raw range scan bunny_scan000.ply (no normals: estimated by PCA) and measures it against the
mesh over the scanned part (its mesh trimmed to 1 % of the diagonal around the scan points).
Issue target on the mesh: F-score >= 0.99, normal consistency >= 0.97. Whether the inside is
solid: on a grid over the bunny's bounding box, the fraction of the points inside the reference
mesh (odd crossings of a ray going up, away from the bunny's holes) where the fitted SDF is
negative, and of those outside where it is positive; the true SDF scores 1 and 1, a fit with an
inner ghost surface scores less inside. --inits compares field inits (FieldConfig.init).

    python benchmarks/bench_sdf.py [--steps 2000] [--max-seconds 540] [--inits reference,geometric] [--scan] [--docs docs]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import trimesh

import sirenkit as sk
from sirenkit.tasks import SDFConfig, SDFTask
from sirenkit.tasks.sdf import LOSS_WEIGHTS
from sirenkit.versions import versions

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, data_dir, publish  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = data_dir()
TARGETS = {"f_score": 0.99, "normal_consistency": 0.97, "inside_negative": 1.0}
SOLID_GRID = 32
"""Grid points per axis over the reference's bounding box for the solid-interior check."""


def inside_upward_rays(mesh: trimesh.Trimesh, axes: list[np.ndarray]) -> np.ndarray:
    """Which points of the grid `axes` (x, y, z ticks) lie inside `mesh`, by the parity of crossings of a ray towards +y.

    The Stanford bunny is open at the bottom (its holes face -y), so a ray going up crosses a
    closed surface: odd means inside. Each grid column (x, z) is tested once against every face
    (trimesh's `contains` needs rtree and a watertight mesh). Checked against generalized winding
    numbers (Jacobson et al. 2013) at random points when this was written: they agreed.
    """
    triangles = mesh.triangles  # (F, 3 corners, 3)
    px, pz = triangles[..., 0], triangles[..., 2]
    inside = np.zeros([len(a) for a in axes], bool)
    for i, x in enumerate(axes[0]):
        for k, z in enumerate(axes[2]):
            # barycentric coordinates of (x, z) in each face's projection on the xz-plane
            e1x, e1z, e2x, e2z = px[:, 1] - px[:, 0], pz[:, 1] - pz[:, 0], px[:, 2] - px[:, 0], pz[:, 2] - pz[:, 0]
            det = e1x * e2z - e2x * e1z
            with np.errstate(divide="ignore", invalid="ignore"):
                s = ((x - px[:, 0]) * e2z - e2x * (z - pz[:, 0])) / det
                t = (e1x * (z - pz[:, 0]) - (x - px[:, 0]) * e1z) / det
                hit = (s >= 0) & (t >= 0) & (s + t <= 1) & (det != 0)
            y_hits = (triangles[hit, 0, 1] + s[hit] * (triangles[hit, 1, 1] - triangles[hit, 0, 1])
                      + t[hit] * (triangles[hit, 2, 1] - triangles[hit, 0, 1]))
            inside[i, :, k] = (y_hits[None, :] > axes[1][:, None]).sum(1) % 2 == 1
    return inside


def solid_interior(field: torch.nn.Module, task: SDFTask) -> dict[str, float]:
    """Fractions of grid points inside the reference where the field is negative and outside where it is positive."""
    low, high = task.reference.bounds
    axes = [np.linspace(lo, hi, SOLID_GRID) for lo, hi in zip(low, high)]
    points = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    inside = inside_upward_rays(task.reference, axes).reshape(-1)
    with torch.no_grad():
        values = field(torch.from_numpy(task.normalization.to_unit(points)).float()).numpy()[:, 0]
    return {"inside_negative": float((values[inside] < 0).mean()), "outside_positive": float((values[~inside] > 0).mean()),
            "solid_grid_points_inside": int(inside.sum())}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(name: str, config: SDFConfig, fit: sk.FitConfig, out: Path, field_config: sk.FieldConfig) -> dict:
    """Fit one input, mesh it, and measure the mesh and the interior."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        task = SDFTask.from_config(config)
    load_seconds = time.perf_counter() - start
    field = sk.build_field(field_config, seed=fit.seed)
    start = time.perf_counter()
    result = sk.fit(field, task, fit, out=out)
    total = time.perf_counter() - start
    m = result.metrics
    row = {
        "input": name, "init": field_config.init, "weight_scale": field_config.weight_scale, "points": len(task.points),
        "normals": "estimated (PCA)" if task.surface.normals_estimated else "from file",
        "steps": result.steps, "stopped_by": result.stopped_by, "train_seconds": result.train_seconds,
        "seconds_per_step": m["seconds_per_step"], "load_seconds": load_seconds,
        "mesh_and_export_seconds": total - result.train_seconds,
        **{k: m[k] for k in ("chamfer_l1", "chamfer_l2", "normal_consistency", "f_score", "precision", "recall",
                             "surface_distance", "normal_cosine", "vertices", "faces", "watertight") if k in m},
        **(solid_interior(field.cpu(), task) if task.reference is not None and task.surface.mesh is not None else {}),
        "warnings": [str(w.message) for w in caught], "peak_rss_mib_so_far": peak_rss_mib(),
        "run_folder": str(out),
    }
    print(f"{name}: F {row.get('f_score', float('nan')):.4f}, NC {row.get('normal_consistency', float('nan')):.4f}, "
          f"CD-L1 {row.get('chamfer_l1', float('nan')):.5f}, inside negative {row.get('inside_negative', float('nan')):.3f}, "
          f"{result.steps} steps in {result.train_seconds:.0f} s", file=sys.stderr)
    return row


def markdown(rows: list[dict], resolution: int) -> str:
    lines = [f"| input | normals | steps | train s | mesh {resolution}³ + export s | Chamfer-L1 | Chamfer-L2 | normal consistency "
             "| F-score@1% | precision / recall | inside < 0 / outside > 0 |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        solid = f"{r['inside_negative']:.3f} / {r['outside_positive']:.3f}" if "inside_negative" in r else "-"
        lines.append(f"| {r['input']} | {r['normals']} | {r['steps']} | {r['train_seconds']:.0f} | {r['mesh_and_export_seconds']:.0f} "
                     f"| {r['chamfer_l1']:.5f} | {r['chamfer_l2']:.2e} | {r['normal_consistency']:.4f} | {r['f_score']:.4f} "
                     f"| {r['precision']:.4f} / {r['recall']:.4f} | {solid} |")
    return "\n".join(lines)


def _sign_suffix(sign: float, prefix: str) -> str:
    """What a row's name or folder adds for a sign-term weight other than the task's default (nothing for the default)."""
    return f"{prefix}{sign:g}" if sign != LOSS_WEIGHTS["sign"] else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=SDFTask.fit_presets["steps"])
    parser.add_argument("--max-seconds", type=float, default=540.0, help="training time budget per fit")
    parser.add_argument("--batch-size", type=int, default=SDFTask.fit_presets["batch_size"],
                        help="surface points per step (+ as many uniform)")
    parser.add_argument("--lr", type=float, default=SDFTask.fit_presets["lr"])
    parser.add_argument("--resolution", type=int, default=256)
    parser.add_argument("--first-omega-0", type=float, default=30.0)
    parser.add_argument("--weight-scales", default="1", help="comma-separated weight scales alpha; the mesh is fitted once per value")
    parser.add_argument("--inits", default="reference",
                        help="comma-separated field inits (FieldConfig.init: reference, geometric); the mesh is fitted once per "
                             "init and weight scale")
    parser.add_argument("--sign-weights", default=str(LOSS_WEIGHTS["sign"]),
                        help="comma-separated weights of the sign term (SDFTask; 0: the paper's loss); the mesh is fitted once per value")
    parser.add_argument("--init-radius", type=float, default=sk.FieldConfig.init_radius,
                        help="radius of the sphere the geometric init starts from (FieldConfig.init_radius)")
    parser.add_argument("--slices", type=Path, default=None,
                        help="copy each mesh fit's sdf_slices.png here as sdf_<steps>_steps_<init>[_<alpha>]_slices.png")
    parser.add_argument("--scan", action="store_true", help="also fit the raw scan bunny_scan000.ply")
    parser.add_argument("--scan-steps", type=int, default=1000)
    parser.add_argument("--runs", type=Path, default=ROOT / "runs" / "bench-sdf")
    parser.add_argument("--docs", type=Path, default=None, help="copy the pictures here (README)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sdf.json")
    args = parser.parse_args()
    provenance = Provenance("sdf")
    torch.set_num_threads(min(torch.get_num_threads(), os.cpu_count() or 1))

    fit = sk.FitConfig(**{**SDFTask.fit_presets, "steps": args.steps, "max_seconds": args.max_seconds,
                          "batch_size": args.batch_size, "lr": args.lr, "device": "cpu"})
    field_config = sk.FieldConfig(in_features=3, out_features=1, first_omega_0=args.first_omega_0, init_radius=args.init_radius)
    rows = []
    mesh_config = SDFConfig(source=str(DATA / "meshes" / "bunny.ply"), resolution=args.resolution)
    variants = [(init, float(alpha), float(sign)) for init in args.inits.split(",") for alpha in args.weight_scales.split(",")
                for sign in args.sign_weights.split(",")]
    for init, alpha, sign in variants:
        name = "bunny.ply (mesh)" + (f", {init} init (radius {args.init_radius:g})" if init != "reference" else "") + (
            f", weight scale {alpha:g}" if alpha != 1.0 else "") + _sign_suffix(sign, ", sign weight ")
        folder = "bunny" + (f"-{init}" if init != "reference" else "") + (f"-{alpha:g}" if alpha != 1.0 else "") + (
            _sign_suffix(sign, "-sign"))
        config = dataclasses.replace(field_config, weight_scale=alpha, init=init)  # an unknown init stops here, listing them
        task_config = dataclasses.replace(mesh_config, loss_weights={"sign": sign})
        rows.append(run(name, task_config, fit, _fresh(args.runs / folder), config) | {"sign_weight": sign})
        if args.slices:
            args.slices.mkdir(parents=True, exist_ok=True)
            variant = folder.removeprefix("bunny-") if folder != "bunny" else "reference"
            shutil.copy(Path(rows[-1]["run_folder"]) / "sdf_slices.png", args.slices / f"sdf_{args.steps}_steps_{variant}_slices.png")
    if args.scan:
        scan_config = SDFConfig(source=str(DATA / "meshes" / "bunny_scan000.ply"), reference=mesh_config.source,
                                resolution=args.resolution, trim=0.01)
        scan_fit = sk.FitConfig(**{**fit.__dict__, "steps": args.scan_steps})
        for sign in sorted({float(w) for w in args.sign_weights.split(",")}):
            rows.append(run("bunny_scan000.ply (raw scan, scanned part)" + _sign_suffix(sign, ", sign weight "),
                            dataclasses.replace(scan_config, loss_weights={"sign": sign}), scan_fit,
                            _fresh(args.runs / ("scan" + _sign_suffix(sign, "-sign"))), field_config) | {"sign_weight": sign})
    if args.docs:
        args.docs.mkdir(parents=True, exist_ok=True)
        pictured = [(rows[0], "sdf_bunny")] + [(r, "sdf_scan") for r in rows if r["input"].startswith("bunny_scan")]
        for row, stem in pictured:
            for picture in ("mesh.png", "sdf_slices.png"):
                shutil.copy(Path(row["run_folder"]) / picture, args.docs / f"{stem}_{Path(picture).stem}.png")
    table = markdown(rows, args.resolution)
    result = {
        "benchmark": "sdf", "command": "python " + " ".join(sys.argv),
        "network": f"SIREN 3-256x3-1 (first omega_0 {args.first_omega_0:g}, hidden 30)",
        "device": "cpu", "threads": torch.get_num_threads(), "versions": versions(), "fit": fit.__dict__,
        "resolution": args.resolution, "targets": TARGETS, "peak_rss_mib": peak_rss_mib(), "rows": rows,
        "markdown": table,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    publish(Path(args.out), result, provenance)
    print(table)
    print(f"\npeak memory (max RSS): {result['peak_rss_mib']:.0f} MiB")


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    return path


if __name__ == "__main__":
    main()
