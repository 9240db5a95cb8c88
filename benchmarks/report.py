"""Every table and quoted figure of README.md and docs/*.md, generated from benchmarks/results/.

The docs hold two kinds of markers, invisible when rendered:

- a table: ``<!-- report:NAME -->`` ... ``<!-- /report -->``, whose body is ``TABLES[NAME]()``;
- a figure in prose: ``<!-- v FILE KEY/PATH FORMAT -->text<!-- /v -->``, whose text is the value at
  KEY/PATH in benchmarks/results/FILE written with the Python format spec FORMAT.

``python benchmarks/report.py`` rewrites the docs from the result files; ``--check`` changes
nothing and exits 1 when a doc disagrees with the results, when a marker names a file or key that
does not exist, or when a measured-looking figure (a decimal followed by dB, s, ×, %) stands
outside a marker and code (fenced or inline). Each table ends with the command and circumstances of the run
it comes from; a run marked disturbed (other processes were running, see _results.py) says so.

    python benchmarks/report.py [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

TABLE = re.compile(r"(<!-- report:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /report -->)", re.S)
VALUE = re.compile(r"(<!-- v (?P<file>[\w.-]+) (?P<path>.+?) (?P<fmt>\S+) -->)(?P<text>.*?)(<!-- /v -->)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]+`")
UNMARKED = re.compile(r"(?<![\w.])\d+\.\d+ ?(?:dB|s\b|s/step|×|%)")


class ReportError(Exception):
    """A marker that names no result file or key."""


@cache
def result(name: str) -> dict[str, Any]:
    path = RESULTS / name
    if not path.is_file():
        raise ReportError(f"benchmarks/results/{name} does not exist")
    return json.loads(path.read_text())


def lookup(name: str, path: str) -> Any:
    """The value at `path` ('a/b/0/c'); a key that itself holds a '/' (a lever named 'uniform1/4') matches too."""
    value: Any = result(name)
    parts = path.split("/")
    while parts:
        if isinstance(value, list):
            value, parts = value[int(parts[0])], parts[1:]
            continue
        for n in range(len(parts), 0, -1):  # the longest run of parts that is a key
            key = "/".join(parts[:n])
            if isinstance(value, dict) and key in value:
                value, parts = value[key], parts[n:]
                break
        else:
            raise ReportError(f"benchmarks/results/{name} has no key '{path}'")
    return value


def source(*names: str) -> str:
    """The italic line under a table: which file, which command, and the run's circumstances."""
    parts = []
    for name in names:
        r = result(name)
        p = r.get("provenance")
        command = (p or r).get("command", "command not recorded")
        if p is None:
            parts.append(f"`benchmarks/results/{name}` (`{command}`; written before provenance was recorded: "
                         "commit, machine and load unknown)")
            continue
        machine = p["machine"]
        load = f"load {p['load_before'][0]:.1f} → {p['load_after'][0]:.1f}"
        flag = " — **disturbed: other processes ran during the timing, rerun on a quiet machine**" if p["disturbed"] else ""
        parts.append(f"`benchmarks/results/{name}` (`{command}`, commit {p['git_commit'][:7]}{'+' if p['git_dirty'] else ''}, "
                     f"{machine['cores']} × {machine['cpu']}, {load}){flag}")
    return "*From " + "; ".join(parts) + ".*"


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def f(value: Any, spec: str) -> str:
    return "–" if value is None else format(value, spec)


# ---- tables, one per result family -------------------------------------------------------------


def speed_steps() -> str:
    r = result("speed_steps.json")["per_step"]
    names = {"official_eager_default_allocator": "official step, eager, glibc's default allocator",
             "sirenkit_fused_default_allocator": "sirenkit fused node, glibc's default allocator",
             "official_eager_tuned_allocator": "official step, eager, allocator tuned",
             "official_compiled_tuned_allocator": "official step under `torch.compile`, allocator tuned",
             "sirenkit_composite_tuned_allocator": "sirenkit composite path (no fused node), allocator tuned",
             "sirenkit_fused_tuned_allocator": "sirenkit fused node, allocator tuned (the CLI's path)"}
    rows = [[label, f(r["s_per_step"][k], ".3f"), f(r["speedup_vs_official_eager_default_allocator"][k], ".2f") + "×",
             f(r["gflops"][k], ".0f")] for k, label in names.items()]
    return table(["cameraman 256², 2-256×3-1, fp32, Adam, full batch", "s/step", "vs official eager", "GFLOP/s"], rows) + \
        "\n\n" + source("speed_steps.json")


def speed_quality() -> str:
    r = result("speed.json")
    q, d = r["time_to_quality"], r["derivatives"]
    rows = []
    for key in ("30dB", "35dB", "36.4dB", "40dB", "45dB"):
        a, b = q["official"]["milestones"].get(key), q["sirenkit"]["milestones"].get(key)
        cell = lambda m: f"{m['seconds']:.1f} s (step {m['step']})" if m else "not reached"  # noqa: E731
        ratio = q["time_to_db_speedup"].get(key)
        rows.append([f"time to {key.replace('dB', ' dB')}", cell(a), cell(b), f(ratio, ".1f") + "×" if ratio else "–"])
    for kind in ("gradient", "laplacian"):
        rows.append([f"{kind}-supervised step / plain step (double backprop; `ops.jet`; `ops.jet` + `--compile`)", "",
                     "; ".join(f"{d[f'{kind}_{m}_ratio']:.2f}×" for m in ("double_backprop", "jet", "jet_compiled")), ""])
    for key in ("inference_default_allocator", "inference"):
        i = r[key]
        rows.append([f"inference points/s, 512² grid ({i['allocator']})", f(i["official_no_grad_qps"], ".3g"),
                     f(i["sirenkit_qps"], ".3g"), f(i["speedup"], ".2f") + "×"])
    return table(["measure", "official recipe", "sirenkit", "ratio"], rows) + "\n\n" + source("speed.json")


def image() -> str:
    r = result("image.json")
    o, s = r["official"], r["sirenkit"]
    rows = [["seconds per step", f(o["seconds_per_step"], ".3f"), f(s["seconds_per_step"], ".3f")]]
    rows += [[f"PSNR at step {k}", f(o["psnr_at_step"][k], ".2f") + " dB", f(s["psnr_at_step"][k], ".2f") + " dB"]
             for k in o["psnr_at_step"]]
    rows.append(["training seconds", f(o["train_seconds"], ".0f"), f(s["train_seconds"], ".0f")])
    return table(["cameraman 256², 2-256×3-1, 500 steps", "official recipe (Adam 1e-4)", "sirenkit defaults (Adam 1e-3, cosine)"], rows) + \
        "\n\n" + source("image.json")


def convergence(name: str) -> str:
    r = result(name)
    levers = r["levers"]
    official = {h["step"]: h["psnr_heldout"] for h in levers["official"]["history"]}
    rows = []
    for key, lever in levers.items():
        cells = [f"`{key}`: {lever['what']}"]
        for target in ("36.4", "40"):
            seconds, steps = lever[f"seconds_to_{target}"], lever[f"steps_to_{target}"]
            speedup, least = lever[f"speedup_to_{target}"], lever[f"speedup_to_{target}_at_least"]
            ratio = f", {speedup:.1f}×" if speedup else f", ≥ {least:.1f}×" if least else ""
            cells.append(f"{seconds:.1f} s (step {steps}{ratio})" if seconds is not None else "not reached")
            theirs = official.get(steps) if steps is not None else None
            cells.append(f(lever[f"heldout_at_{target}"], ".2f") + (f" ({theirs:.2f})" if theirs is not None else ""))
        cells += [f"{lever['psnr_train']:.2f} / {lever['psnr_heldout']:.2f}", f"{lever['steps']} / {lever['train_seconds']:.0f}",
                  f(lever["psnr_gradient"], ".2f"), f(lever["psnr_laplacian"], ".2f")]
        rows.append(cells)
    header = ["lever", "to 36.4 dB (× vs official)", "held-out there (official's at that step)", "to 40 dB (× vs official)",
              "held-out there (official's)", "final train / held-out dB", "steps / s", "∇ PSNR", "Δ PSNR"]
    notes = ""
    if "interpolation" in r:
        i = r["interpolation"]
        notes = (f"\n\nNo learning at all: linear interpolation of the training pixels scores {i['heldout_linear']:.2f} dB on the "
                 f"held-out pixels, cubic {i['heldout_cubic']:.2f} dB.")
    return table(header, rows) + notes + "\n\n" + source(name)


def convergence_audio(name: str) -> str:
    r = result(name)
    cell = lambda v: f"{v:.1f} s" if v is not None else "not reached"  # noqa: E731
    heldout = "heldout" in r
    rows = [[f"`{name}`: {lever['what']}", f"{lever['mse']:.3g}", *([f"{lever['mse_heldout']:.3g}"] if heldout else []),
             f"{lever['steps']} / {lever['train_seconds']:.0f}", cell(lever["seconds_to_10x_paper"]), cell(lever["seconds_to_paper"])]
            for name, lever in r["levers"].items()]
    header = [f"{r['clip']} ({r['samples']} {'training ' if heldout else ''}samples)", "final MSE",
              *(["held-out MSE (odd samples)"] if heldout else []), "steps / s", f"to {10 * r['paper_mse']:.3g} (10× paper)",
              f"to the paper's {r['paper_mse']:.3g}"]
    notes = (f"\n\nTrained on the even samples only. No learning at all: linear interpolation of them scores a held-out MSE "
             f"of {r['heldout_linear']:.3g}.") if heldout else ""
    return table(header, rows) + notes + "\n\n" + source(name)


def convergence_psnr(name: str, subject: str, target_key: str, target_label: str, columns: dict[str, str]) -> str:
    """A video or Poisson lever table: the `columns` metrics at the end, steps and seconds, and the time to the target."""
    r = result(name)
    target = r[target_key]
    key = f"seconds_to_{target:g}"
    rows = [[f"`{lever_name}`: {lever['what']}", *(f(lever[metric], ".2f") for metric in columns),
             f"{lever['steps']} / {lever['train_seconds']:.0f}", f"{lever[key]:.1f} s" if lever[key] is not None else "not reached"]
            for lever_name, lever in r["levers"].items()]
    return table([subject.format(**r), *columns.values(), "steps / s", target_label.format(target)], rows) + "\n\n" + source(name)


def compare(name: str) -> str:
    r = result(name)
    rows = []
    for img, models in r["images"].items():
        for model, m in models.items():
            rows.append([img, model, f(m.get("lr"), "g"), f"{m['params']:,}", f(m["psnr"], ".2f"), f(m["ssim"], ".3f"),
                         f(m["train_seconds"], ".1f")])
    return table(["image", "model", "lr", "params", "PSNR (dB)", "SSIM", "train s"], rows) + "\n\n" + source(name)


def audio() -> str:
    rows = []
    for name in ("audio.json", "audio_bach_4000.json"):
        r = result(name)
        for clip, c in r["results"].items():
            for model, m in c.items():
                if isinstance(m, dict):
                    rows.append([clip, model, f(m["mse"], ".3g"), f(m.get("paper_mse"), ".3g"), f(m.get("snr_db"), ".2f"),
                                 m.get("steps", r["budget"]["steps"]), f(m.get("train_seconds"), ".0f"), f"`{name}`"])
    return table(["clip", "network", "MSE", "paper MSE", "SNR (dB)", "steps", "train s", "file"], rows) + "\n\n" + \
        source("audio.json", "audio_bach_4000.json")


def video() -> str:
    r = result("video.json")
    rows = [[model, f"{m['psnr']:.2f} ± {m['psnr_std']:.2f}", f"{m['ssim']:.3f} ± {m['ssim_std']:.3f}", m["steps"],
             f(m["train_seconds"], ".0f")] for model, m in r["results"].items()]
    return table(["network", "frame PSNR (dB), mean ± std", "frame SSIM", "steps", "train s"], rows) + "\n\n" + source("video.json")


def poisson() -> str:
    r, c = result("poisson.json"), result("poisson_ceiling.json")["targets"]
    target = {"gradient (sobel)": "sobel", "gradient (central)": "central", "laplacian": "laplacian"}
    rows = []
    for name, m in r["fits"].items():
        t = c[target[name]]
        rows.append([name, m["steps"], f(m["seconds_per_step"], ".2f"), f(m["psnr"], ".2f"), f(t["zero_field_psnr"], ".2f"),
                     " / ".join(f(v, ".1f") for v in t["lsqr_psnr"].values()),
                     f(t["band_limited_psnr"], ".2f") if "band_limited_psnr" in t else "–",
                     f(m["psnr_gradient"], ".2f"), f(m["psnr_laplacian"], ".2f")])
    iters = " / ".join(next(iter(c.values()))["lsqr_psnr"])
    return table(["target", "steps", "s/step", "SIREN psnr", "zero field psnr", f"least squares psnr ({iters} lsqr iterations)",
                  "band-limited integration psnr", "psnr_gradient", "psnr_laplacian"], rows) + "\n\n" + source("poisson.json",
                                                                                                            "poisson_ceiling.json")


def poisson_steps() -> str:
    s = result("poisson.json")["steps"]
    rows = [["plain fitting", f(s["plain_s"], ".3f"), "1.00×"]]
    for kind in ("gradient", "laplacian"):
        for method, label in (("jet", "sirenkit `ops.jet`"), ("double_backprop", "double backprop (reference)")):
            rows.append([f"{kind}-supervised, {label}", f(s[f"{kind}_{method}_s"], ".3f"), f(s[f"{kind}_{method}_ratio"], ".2f") + "×"])
    return table(["step (256², full batch)", "s/step", "/ plain step"], rows) + "\n\n" + source("poisson.json")


def sdf(names: tuple[str, ...] = ("sdf.json", "sdf_omega15.json")) -> str:
    rows = []
    for name in names:
        r = result(name)
        for row in r["rows"]:
            rows.append([row["input"], r["network"].split("(")[1].rstrip(")"), row["steps"], f(row["train_seconds"], ".0f"),
                         f(row["chamfer_l1"], ".5f"), f(row["normal_consistency"], ".4f"), f(row["f_score"], ".4f"),
                         f"{row['precision']:.4f} / {row['recall']:.4f}"])
    return table(["input", "network", "steps", "train s", "Chamfer-L1", "normal consistency", "F-score@1%",
                  "precision / recall"], rows) + "\n\n" + source(*names)


SDF_MESH_HEADER = ["steps", "train s", "Chamfer-L1", "normal consistency", "F-score@1%", "precision / recall",
                   "inside < 0 (truth 1)", "outside > 0 (truth 1)"]


def sdf_mesh_columns(row: dict) -> list:
    """The SDF_MESH_HEADER columns of a bench_sdf.py row ("–" where the solid-interior check did not run: a raw scan)."""
    return [row["steps"], f(row["train_seconds"], ".0f"), f(row["chamfer_l1"], ".5f"), f(row["normal_consistency"], ".4f"),
            f(row["f_score"], ".4f"), f"{row['precision']:.4f} / {row['recall']:.4f}",
            f(row["inside_negative"], ".3f") if "inside_negative" in row else "–",
            f(row["outside_positive"], ".3f") if "outside_positive" in row else "–"]


def sdf_init(*files: tuple[str, str]) -> str:
    """Field inits on the bunny at equal steps: the mesh metrics and whether the inside is solid; (file, label of its geometric init)."""
    rows = []
    for name, label in files:
        r = result(name)
        for row in r["rows"]:
            init = row.get("init", "reference")
            rows.append([init + (label if init == "geometric" else ""), f(row.get("weight_scale", 1.0), "g"), *sdf_mesh_columns(row)])
    header = ["init", "α", *SDF_MESH_HEADER]
    resolutions = sorted({result(name)["resolution"] for name, _ in files})
    return table(header, rows) + f"\n\nMeshed at {', '.join(f'{n}³' for n in resolutions)}. " + source(*(name for name, _ in files))


def sdf_sign(name: str) -> str:
    """The sign term's weight on the bunny mesh and its raw scan at equal steps: the mesh metrics and the interior."""
    r = result(name)
    rows = [[row["input"].split(", sign weight")[0], row["normals"], f(row["sign_weight"], "g"), *sdf_mesh_columns(row)]
            for row in r["rows"]]
    header = ["input", "normals", "sign weight", *SDF_MESH_HEADER]
    return table(header, rows) + f"\n\nMeshed at {r['resolution']}³. " + source(name)


def physics() -> str:
    return result("physics.json")["markdown"] + "\n\n" + source("physics.json")


def fwi_fd() -> str:
    r = result("fwi_fd.json")
    rows = [[rule, m["iterations"], f(m["seconds"], ".0f"), f"{m['data_misfit_start']:.3f} → {m['data_misfit']:.3f}",
             f(m["velocity_mae"], ".4f"), f(m["velocity_mae_start"], ".4f"), f(m["velocity_contrast"], ".2f"),
             f"{m['velocity_min']:.2f} – {m['velocity_max']:.2f}"] for rule, m in r["runs"].items()]
    header = ["stopping rule", "L-BFGS iterations", "seconds", "receiver misfit", "velocity MAE", "MAE of the uniform start",
              "velocity contrast (true 1)", "velocity range"]
    return table(header, rows) + f"\n\nReceiver misfit of the true model's FD fields (the floor): {r['data_misfit_true_model']:.3f}; " \
        f"grid {r['grid']}².\n\n" + source("fwi_fd.json")


FWI_METHODS = {"fd": "FD adjoint state, L-BFGS-B on the grid", "fd-tv": "FD adjoint state + total variation (weight 1e-3)",
               "fd-bregman-two-sided": "FD + TV 1e-3 + 6 Bregman rounds, bounds [0.5, 3]",
               "fd-bregman": "FD + TV 1e-3 + 6 Bregman rounds, one-sided bound v ≥ 1",
               "pinn": "PINN (the paper's), `--method pinn`", "pinn-bounded": "PINN, `--method pinn --bounded-velocity`",
               "hybrid": "hybrid without TV, `--tv-weight 0`",
               "hybrid-tv": "hybrid + total variation 1e-3 (`sirenkit helmholtz-inverse`'s default before `--anomaly auto`)",
               "hybrid-tv-soap": "the same with SOAP, `--optimizer soap --lr 3e-4`",
               "hybrid-bregman": "hybrid + TV 1e-3 + Bregman rounds, v ≥ 0.99: "
                                 "`--v-min 0.99 --bregman-every 200 --reference-size 201 --steps 1230 --lr 5e-4`",
               "hybrid-bregman-omega20": "the same with a sharper velocity network, `--first-omega-0 20`",
               "hybrid-bregman-cosine": "the same with ω0 20, TV 5e-4 and lr 1e-3 on a cosine schedule",
               "hybrid-bregman-width128": "the same with a 3x128 velocity network, ω0 20, TV 2.5e-4, lr 1e-3 cosine",
               "hybrid-bregman-width256": "the 3x128 settings with a 3x256 velocity network",
               "hybrid-bregman-two-sided": "the 3x128 settings without the prior: bounds [0.5, 3]",
               "hybrid-bregman-soap": "hybrid + TV + Bregman, v ≥ 0.99, 201², with SOAP at lr 3e-4",
               "default": "**`sirenkit helmholtz-inverse`'s default**: the 3x128 row's settings with `--anomaly auto`",
               "default_seed1": "the default with `--seed 1` (another init of the velocity network)",
               "default_seed2": "the default with `--seed 2`",
               "default-six-rounds": "the default before eight rounds: six Bregman rounds, `--steps 1230`",
               "default-six-rounds_seed1": "the same with `--seed 1`",
               "default-six-rounds_seed2": "the same with `--seed 2`"}


def fwi_methods() -> str:
    names = [f"fwi_method_{method}.json" for method in FWI_METHODS]
    rows = []
    for method, name in zip(FWI_METHODS, names):
        r = result(name)
        m = r["result"]
        met = m["velocity_contrast"] >= 0.8 and m["velocity_mae"] <= 0.5 * m["velocity_mae_start"]
        rows.append([FWI_METHODS[method], f"{r['grid']}²", m["budget"], f(m["seconds"], ".0f"), f(m["velocity_contrast"], ".3f"),
                     f(m["velocity_mae"], ".4f"), f(m["velocity_mae_start"], ".4f"),
                     f"{m['data_misfit']:.3f} ({r['data_misfit_true_model']:.3f})",
                     f"{m['velocity_min']:.2f} – {m['velocity_max']:.2f}", "**yes**" if met else "no"])
    header = ["method", "grid", "budget", "seconds", "velocity contrast (true 1)", "velocity MAE", "MAE of the uniform start",
              "receiver misfit (true model's)", "velocity range", "goal met"]
    return table(header, rows) + "\n\nIn brackets: the receiver misfit of the true model's FD fields on the row's grid, the " \
        "floor below which an inversion fits the solver's error (the PINN rows predate the source fix, which lowered it). " \
        "Goal of issue 25: contrast ≥ 0.8 and MAE ≤ half the uniform start's.\n\n" + source(*names)


def fwi_anomaly_sign() -> str:
    r = result("fwi_anomaly_sign.json")
    rows = [[row["data"], f"{row['velocity']:g}", f"{row['radius']:g}", f"({row['centre'][0]:g}, {row['centre'][1]:g})",
             row["truth"], f"{row['misfit_fast']:.4f}", f"{row['misfit_slow']:.4f}", row["picked"], "yes" if row["right"] else "**no**",
             f(row["seconds"], ".1f")] for row in r["rows"]]
    header = ["data", "cylinder velocity", "radius", "centre", "true side", "pilot misfit, v ≥ 1", "pilot misfit, v ≤ 1",
              "picked", "right", "seconds"]
    p = r["pilot"]
    return table(header, rows) + (f"\n\nEach pilot: FD + TV {p['tv_weight']:g} on a {p['grid']}² grid, {p['iterations']} "
                                  "L-BFGS-B iterations, from the uniform background; the relative receiver misfit after it."
                                  "\n\n") + source("fwi_anomaly_sign.json")


HELMHOLTZ_DEEPXDE_RUNS = {"deepxde_settings": "sirenkit, DeepXDE's training (its fixed 480 points, constant lr)",
                          "fixed_points_cosine": "sirenkit, DeepXDE's fixed 480 points, cosine lr",
                          "sirenkit_recipe": "sirenkit, 480 fresh points per step, cosine lr",
                          "soft_boundary": "sirenkit, as above with the soft boundary (a loss term)"}


def helmholtz_deepxde() -> str:
    r = result("helmholtz_deepxde.json")

    def errors(row: dict) -> str:
        e = row["relative_l2"]
        return f"**{e['mean']:.3g}**" + (f" ({e['min']:.3g} – {e['max']:.3g})" if len(row["runs"]) > 1 else "")

    d = r["deepxde"]
    first = next(iter(d["runs"].values()))
    reported = ", ".join(f"{run['deepxde_reported_final']:.3g}" for run in d["runs"].values())
    rows = [[f"DeepXDE {first['version']}, its example (FNN 2-150x3-1 sin, hard constraint)", len(d["runs"]), first["iterations"],
             "–", f(sum(run["wall_seconds"] for run in d["runs"].values()) / len(d["runs"]), ".0f"), errors(d), reported]]
    for name, label in HELMHOLTZ_DEEPXDE_RUNS.items():
        row = r["sirenkit"][name]
        m = next(iter(row["runs"].values()))
        seconds = sum(run["wall_seconds"] for run in row["runs"].values()) / len(row["runs"])
        rows.append([label, len(row["runs"]), m["steps"], f"{m['first_omega_0']:g} / {m['hidden_omega_0']:g}", f(seconds, ".0f"),
                     errors(row), "–"])
    header = ["run", "seeds", "steps", "ω0 first / hidden", "seconds per run", "relative L² error, mean (range)",
              "DeepXDE's own metric, per seed"]
    verdict = "below" if r["goal_met"] else "**not** below"
    return table(header, rows) + "\n\nRelative L² error = ‖u − u*‖₂ / ‖u*‖₂ on DeepXDE's 60² interior test grid, computed " \
        f"by sirenkit from each library's predictions. Every seed of sirenkit's recipe is {verdict} every seed of DeepXDE's " \
        f"(ratio of the means {r['ratio_of_means']:.0f}, DeepXDE / sirenkit). Every run: 480 points per step, Adam lr 1e-3; " \
        "sirenkit's field a SIREN 2-150x2-1 (DeepXDE's four linear layers); one thread each.\n\n" + source("helmholtz_deepxde.json")


def demo() -> str:
    r = result("demo.json")
    rows = [[i + 1, f(run["psnr"], ".2f"), run["steps"], f(run["train_seconds"], ".1f")] for i, run in enumerate(r["runs"])]
    return table(["run", "PSNR dB", "steps", "training s"], rows) + \
        f"\n\n`{r['command']}`; goal ≥ {r['goal_db']:g} dB in ≤ {r['goal_seconds']:g} s: **{'met' if r['goal_met'] else 'not met'}** " \
        f"(median {r['median_train_seconds']:.1f} s). Between the pixels (the 512² photo the 256² image was reduced from): " \
        f"the field {r['field_psnr_512']:.2f} dB, the bicubic enlargement of the training image {r['bicubic_psnr_512']:.2f} dB." \
        "\n\n" + source("demo.json")


def div2k16(name: str) -> str:
    r = result(name)

    def reached(row: dict, target: float) -> str:
        steps = row[f"steps_to_{target}"]
        return f"{steps} / {row[f'seconds_to_{target}']:.0f} s" if steps is not None else "not reached"

    rows = [[row["image"], f(row["psnr"], ".2f"), row["steps"], f(row["train_seconds"], ".0f"), reached(row, 34.34),
             reached(row, 37.1)] for row in r["rows"]]
    rows.append(["**mean**", f"**{r['mean_psnr']:.2f}**", f(r["mean_steps"], ".0f"), "", f"{r['reached']['34.34']} of {len(r['rows'])}",
                 f"{r['reached']['37.1']} of {len(r['rows'])}"])
    evos = r["evos_reference"]
    reference = ", ".join(f"{db:.2f} dB after {steps} steps" for steps, db in zip(evos["steps"], evos["mean_psnr"]))
    return table(["image", f"PSNR dB after {r['budget_train_seconds']:g} s", "steps", "training s", "steps / s to 34.34 dB",
                  "steps / s to 37.10 dB"], rows) + \
        f"\n\n{r['images']}; cosine schedule over {r['schedule_steps']} steps (the probe's {r['probe_s_per_step']:.2f} s/step). " \
        f"Goal: mean ≥ {r['goal_db']:.2f} dB: **{'met' if r['goal_met'] else 'not met'}**. EVOS's reference ({evos['recipe']}): " \
        f"{reference}.\n\n" + source(name)


PDE_LEVER_FILES = ("pde_levers.json", "pde_levers_square.json", "pde_levers_velocity_square.json", "pde_levers_wave_offcentre.json")
PDE_GOALS = {"helmholtz": ("mse", 4e-6, "field MSE ≤ 4e-6"), "wave": ("relative_mse_max", 0.01, "every frame's relative MSE ≤ 0.01")}
"""The physics issue's goals for the default commands (each within 600 s of training): the paper's Helmholtz accuracy in
sirenkit's units, and the wave frames."""


def _pde_setting(task: str, r: dict) -> str:
    if task == "helmholtz":
        return f"velocity {r.get('velocity', 'uniform')}"
    x, y = r.get("wave_center", (0.0, 0.0))
    return f"pulse at ({x:g}, {y:g}), variance {r.get('wave_sigma', 5e-4):g}"


def pde_levers() -> str:
    rows, baseline = [], {}
    for name in PDE_LEVER_FILES:
        r = result(name)
        for row in r["rows"]:
            setting = _pde_setting(row["task"], r)
            if row["lever"] == "adam":
                baseline[row["task"], setting] = row["relative_mse"]
            rows.append((row["task"], setting, row))
    cells = [[task, setting, row["lever"], row["steps"], row["polish_steps"] or "–", f(row["train_seconds"], ".0f"),
              f(row["relative_mse"], ".3g"), f(row["relative_mse"] / baseline[task, setting], ".3g"),
              f(row.get("relative_mse_max"), ".3g")] for task, setting, row in rows]
    return table(["task", "problem", "lever", "steps", "of them L-BFGS", "training s", "relative MSE", "vs adam",
                  "wave: worst frame's relative MSE"], cells) + "\n\n" + source(*PDE_LEVER_FILES)


def pde_defaults() -> str:
    r = result("pde_defaults.json")
    cells = []
    for row in r["rows"]:
        key, goal, words = PDE_GOALS[row["task"]]
        met = row[key] <= goal and row["train_seconds"] <= 600
        cells.append([f"`sirenkit {row['task']}`", row["steps"], f"{row['optimizer']}, {row['residual_loss']} residual",
                      f(row["train_seconds"], ".0f"), f(row["relative_mse"], ".3g"), f(row.get("relative_mse_max"), ".3g"),
                      f(row["mse"], ".3g"), f"{words} in ≤ 600 s", "**met**" if met else "**not met**"])
    return table(["command, nothing changed", "steps", "optimizer, loss", "training s", "relative MSE",
                  "worst frame's relative MSE", "MSE", "goal", "goal met"], cells) + "\n\n" + source("pde_defaults.json")


def compile_table() -> str:
    r = result("compile.json")
    rows = [[row["case"], f(row["eager_s_per_step"], ".3f"), f(row["compiled_s_per_step"], ".3f"), f(row["speedup"], ".2f") + "×",
             f"{row['eager_first_step_s']:.1f} / {row['compiled_first_step_s']:.1f}"] for row in r["rows"]]
    return table(["case", "eager s/step", "`--compile` s/step", "speed-up", "first step s, eager / compiled"], rows) + \
        "\n\n" + source("compile.json")


def precision() -> str:
    r = result("precision.json")
    rows = [[p, f(r[p]["seconds_per_step"], ".3f"), f(r[p]["final_psnr"], ".2f"),
             " / ".join(f(m["seconds"], ".1f") if m else "–" for m in r[p]["reached"].values())] for p in ("fp32", "bf16")]
    labels = " / ".join(r["fp32"]["reached"])
    header = ["precision", "s/step", f"PSNR after {r['steps']} steps", f"seconds to {labels}"]
    return table(header, rows) + "\n\n" + source("precision.json")


def minibatch() -> str:
    r = result("minibatch.json")
    rows = [[run["batch_size"], f(run["lr"], "g"), run["precision"], run["steps"], f(run["seconds"], ".1f"), f(run["psnr"], ".2f"),
             "yes" if run["reached"] else "no"] for run in r["runs"]]
    return table(["batch", "lr", "precision", "steps", "seconds", "PSNR", f"reached {r['target_db']} dB"], rows) + \
        "\n\n" + source("minibatch.json")


def batched() -> str:
    rows = []
    for name in ("batched.json", "batched_h64.json"):
        r = result(name)["results"]
        rows.append([result(name)["network"].split(" ")[0], f(r["one_by_one"]["seconds"], ".1f"), f(r["batched"]["seconds"], ".1f"),
                     f(r["speedup"], ".2f") + "×", f"{r['one_by_one']['mean_psnr']:.2f} / {r['batched']['mean_psnr']:.2f}"])
    return table(["network per image", "one by one s", "batched s", "speed-up", "mean PSNR one by one / batched (dB)"], rows) + \
        "\n\n" + source("batched.json", "batched_h64.json")


def prior() -> str:
    r = result("prior.json")
    keys = ("mse_10", "mse_100", "mse_1000", "mse_half")
    rows = [[name, *(f(m[k], ".4f") for k in keys), m["steps"], f(m["train_seconds"], ".0f")] for name, m in r["models"].items()]
    rows += [[name, *(f(m.get(k), ".4f") for k in keys), "", ""] for name, m in r["baselines"].items()]
    header = ["model", "MSE 10 px", "MSE 100 px", "MSE 1000 px", "MSE top half", "steps", "train s"]
    return table(header, rows) + "\n\n" + source("prior.json")


def autoencoder() -> str:
    r = result("autoencoder.json")["results"]
    rows = [[name, f(m["test"]["psnr"], ".2f"), f(m["test"]["sobel_psnr"], ".2f"), "yes" if m["diverged"] else "no"]
            for name, m in r.items()]
    return table(["variant", "test PSNR (dB)", "Sobel-gradient PSNR (dB)", "diverged"], rows) + "\n\n" + source("autoencoder.json")


def fresh() -> str:
    r = result("fresh.json")
    rows = []
    for name, image in r["images"].items():
        for label, fit in image["fits"].items():
            rows.append([name if label.startswith("paper") else "", f"{label} (α {fit['weight_scale']:g})",
                         f"{fit['psnr_train']:.2f}", f"{fit['psnr_heldout']:.2f}", f(fit.get("psnr_gradient"), ".2f"),
                         f(fit.get("psnr_laplacian"), ".2f")])
        rows.append(["", f"FreSh's picks: α {image['fresh_alpha']:g}, first-layer ω0 {image['fresh_omega_0']:g} "
                         f"({image['select_seconds']:.0f} s)", "", "", "", ""])
    header = ["image", "init", "train dB", "held-out dB", "∇ PSNR (dB)", "Δ PSNR (dB)"]
    return table(header, rows) + "\n\n" + source("fresh.json")


RELIABILITY_CHECKS = {
    "bad input": "one `sirenkit: error:` line naming the problem and the fix, exit 2, no traceback (through the API: one SirenkitError)",
    "absurd size": "refused before any allocation or training, with the estimate and the limit (`sirenkit.budget`)",
    "signal": "SIGTERM mid-step: the last finished step is saved, exit 130, `--resume` gives the uninterrupted result",
    "kill": "SIGKILL, or what one leaves (a torn metrics.jsonl line, stale temporaries): the checkpoint stays whole, "
            "`--resume` continues",
    "concurrent writer": "a second writer of a run folder is refused naming the holder; a dead holder's lock is taken over",
    "divergence": "a NaN or exploding loss never overwrites the good checkpoint, and the message names the cause",
}
"""What each kind of reliability test asserts (the counts come from reliability.json)."""


def reliability() -> str:
    r = result("reliability.json")
    rows = [[kind, entry["cases"], len(entry["files"]), RELIABILITY_CHECKS.get(kind, "")] for kind, entry in r["kinds"].items()]
    rows.append(["total", r["total_cases"], "", ""])
    p = r["provenance"]
    line = (f"*Counted by `{p['command']}` (commit {p['git_commit'][:7]}{'+' if p['git_dirty'] else ''}) into "
            "`benchmarks/results/reliability.json`: the collected cases marked `@pytest.mark.reliability(KIND)`; "
            "`pytest -m reliability` runs them.*")
    return table(["kind", "cases", "test files", "each case checks"], rows) + "\n\n" + line


TABLES: dict[str, Callable[[], str]] = {
    "speed-steps": speed_steps, "speed-quality": speed_quality, "image": image,
    "compare": lambda: compare("compare.json"), "compare-astronaut": lambda: compare("compare_astronaut.json"),
    "audio": audio, "video": video, "poisson": poisson, "poisson-steps": poisson_steps, "sdf": sdf, "physics": physics,
    "compile": compile_table, "demo": demo, "div2k16": lambda: div2k16("div2k16.json"),
    "div2k16-batch16384": lambda: div2k16("div2k16_batch16384.json"), "fwi-fd": fwi_fd, "fwi-methods": fwi_methods,
    "fwi-anomaly-sign": fwi_anomaly_sign, "helmholtz-deepxde": helmholtz_deepxde, "pde-levers": pde_levers, "pde-defaults": pde_defaults,
    "precision": precision, "minibatch": minibatch, "batched": batched, "prior": prior,
    "autoencoder": autoencoder, "reliability": reliability, "convergence": lambda: convergence("convergence.json"),
    "convergence-astronaut": lambda: convergence("convergence_astronaut.json"),
    "convergence-combo": lambda: convergence("convergence_combo.json"),
    "convergence-official": lambda: convergence("convergence_official.json"),
    "convergence-sdf": lambda: sdf(("sdf_300_steps.json",)),
    "convergence-sdf-sign": lambda: sdf_sign("sdf_sign_300_steps.json"),
    "convergence-sdf-init": lambda: sdf_init(("sdf_init_300_steps_nearlinear.json", ", first version (nearly linear layers)"),
                                             ("sdf_init_300_steps.json", " (final: waves, half the units), radius 0.5"),
                                             ("sdf_init_300_steps_r07.json", " (final), --init-radius 0.7")),
    **{f"convergence-audio{suffix}": lambda suffix=suffix: convergence_audio(f"convergence_audio{suffix.replace('-', '_')}.json")
       for suffix in ("", "-counting", "-120s", "-120s-full-clip", "-counting-120s", "-seeds", "-counting-seeds", "-heldout",
                      "-counting-heldout", "-scale225-seeds", "-scale25-seeds")},
    **{name: lambda file=file: convergence_psnr(file, "{clip}", "target_db", "to {:g} dB", {"psnr": "mean frame PSNR (dB)"})
       for name, file in (("convergence-video", "convergence_video.json"),
                          ("convergence-video-frames100", "convergence_video_frames100.json"))},
    "convergence-video-full-clip": lambda: convergence_psnr(
        "convergence_video_full_clip.json", "{clip}", "target_db", "to the paper's {:g} dB",
        {"psnr": "mean frame PSNR (dB)", "psnr_std": "its std over frames (dB)"}),
    **{f"convergence-poisson{suffix}": lambda name=name: convergence_psnr(
        name, "{image} (longer side {size}), from its {gradient_filter} gradient", "paper_db", "to the paper's {:g} dB",
        {"psnr": "PSNR (dB)", "psnr_gradient": "gradient PSNR (dB)"})
       for suffix, name in (("", "convergence_poisson.json"), ("-coins", "convergence_poisson_coins.json"),
                            ("-omega15", "convergence_poisson_omega15.json"),
                            ("-coins-omega15", "convergence_poisson_coins_omega15.json"))},
    "fresh": fresh,
}


# ---- rewriting and checking ------------------------------------------------------------------


def render(text: str, problems: list[str], where: str) -> str:
    def table_body(m: re.Match) -> str:
        name = m["name"]
        try:
            body = TABLES[name]() if name in TABLES else None
        except (ReportError, KeyError) as exc:
            problems.append(f"{where}: table '{name}': {exc}")
            return m.group(0)
        if body is None:
            problems.append(f"{where}: unknown table '{name}'; known: {', '.join(TABLES)}")
            return m.group(0)
        return f"{m.group(1)}{body}\n{m.group(4)}"

    def value(m: re.Match) -> str:
        try:
            text = format(lookup(m["file"], m["path"]), m["fmt"])
        except (ReportError, ValueError, TypeError) as exc:
            problems.append(f"{where}: figure '{m.group(1)}': {exc}")
            return m.group(0)
        return f"{m.group(1)}{text}{m.group(6)}"

    return VALUE.sub(value, TABLE.sub(table_body, text))


def unmarked(text: str, where: str) -> list[str]:
    """Measured-looking figures outside markers and code blocks: each must come from a result file."""
    stripped = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    stripped = TABLE.sub(lambda m: "\n" * m.group(0).count("\n"), stripped)
    stripped = VALUE.sub("", stripped)
    stripped = INLINE_CODE.sub("", stripped)  # commands and example output, not measurements
    return [f"{where}:{stripped[:m.start()].count(chr(10)) + 1}: '{m.group(0)}' is not generated from benchmarks/results "
            "(wrap it in a <!-- v FILE KEY FORMAT --> marker)" for m in UNMARKED.finditer(stripped)]


def main(argv: list[str] | None = None) -> int:
    global RESULTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when the docs and the results disagree")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root holding README.md, docs/ and benchmarks/results/")
    args = parser.parse_args(argv)
    RESULTS = args.root / "benchmarks" / "results"
    result.cache_clear()
    problems: list[str] = []
    for path in [args.root / "README.md", *sorted((args.root / "docs").glob("*.md"))]:
        where = str(path.relative_to(args.root))
        text = path.read_text()
        new = render(text, problems, where)
        problems += unmarked(new, where)
        if new != text:
            if args.check:
                problems.append(f"{where}: out of date with benchmarks/results (run python benchmarks/report.py)")
            else:
                path.write_text(new)
                print(f"rewrote {where}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
