"""Every training command (one per task, `fit-images`, `prior-train`) is this one function: merge, check, prepare, fit."""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path

from sirenkit.cli.commands import COMMANDS, task_of
from sirenkit.cli.flags import (
    CLI_FIT_DEFAULTS,
    OMEGA_HELP,
    PRECEDENCE,
    add_dataclass_flags,
    add_run_flags,
    log_to,
    merge_run_config,
    read_config_json,
    refuse_changes,
)
from sirenkit.config import FieldConfig, FitConfig, field_docs, from_dict
from sirenkit.errors import ConfigError
from sirenkit.runs import IMAGE_SET, LOG_FILE, PRIOR, lock, prepare, record

HEADLINE = ("psnr", "ssim", "mse", "snr_db", "psnr_std", "f_score", "normal_consistency", "chamfer_l1", "surface_distance")
BOOKKEEPING = ("steps", "train_seconds", "seconds_per_step", "stopped_by")


def has_field_flags(task: str) -> bool:
    """Whether the task's model is a FieldConfig field (not a prior or a stack), so it gets the field flags."""
    return task not in (PRIOR, IMAGE_SET)


def add_task_parser(sub: argparse._SubParsersAction, command: str) -> None:
    """The training command of one registry task: its config, the field's and the fit's flags, and the run folder's."""
    from sirenkit.tasks import TASKS

    name = task_of(command)
    spec = TASKS[name]
    examples = spec.cli_examples or (f"sirenkit {name} --steps 300 --size 128 --out runs/{name}-quick",
                                     f"sirenkit {name} astronaut --size 128 --steps 300 --hidden-features 128")
    summary = COMMANDS[command].summary
    p = sub.add_parser(
        command, help=summary, description=f"{summary}\n\n{OMEGA_HELP}\n\n{PRECEDENCE}",
        epilog="Examples:\n" + "".join(f"  {e}\n" for e in examples)
        + _variant_help(spec), formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = spec.config()
    for positional in spec.positionals:
        p.add_argument(positional, nargs="?", default=argparse.SUPPRESS,
                       help=f"{field_docs(spec.config).get(positional, '')} (default: {getattr(defaults, positional)})")
    add_dataclass_flags(p, spec.config, f"{name} options", skip=spec.positionals, defaults=spec.config(**spec.config_presets))
    if has_field_flags(name):
        add_dataclass_flags(p, FieldConfig, "field (network) options", skip=("in_features", "out_features"),
                            defaults=FieldConfig(**spec.field_presets))
    add_dataclass_flags(p, FitConfig, "training options", skip=spec.unused_fit_options,
                        defaults=FitConfig(**(CLI_FIT_DEFAULTS | spec.fit_presets)))
    add_run_flags(p, f"runs/{name}-<source>, numbered if it exists",
                  loss_weights=defaults.loss_weights if "loss_weights" in field_docs(spec.config) else None)
    p.set_defaults(handler=train, task=name)


def _variant_help(spec) -> str:
    """'With --method pinn the defaults are: ...' for each variant but the default (`protocols.variant_class`)."""
    from sirenkit.protocols import presets

    if not hasattr(spec.task, "variants"):
        return ""
    key, classes = spec.task.variants()
    lines = []
    for value, cls in classes.items():
        if cls is spec.default_variant:
            continue
        field_presets, fit_presets = presets(cls)
        settings = getattr(cls, "config_presets", {}) | field_presets | fit_presets
        lines.append(f"With --{key.replace('_', '-')} {value} the defaults are: "
                     + " ".join(f"--{k.replace('_', '-')} {v:g}" if isinstance(v, float) else f"--{k.replace('_', '-')} {v}"
                                for k, v in settings.items()) + " (flags win).\n")
    return "\n" + "".join(lines)


def train(args: argparse.Namespace) -> int:
    """defaults < presets < --config < flags (written once, in merge_run_config); a resume may not change the run."""
    from sirenkit.fit import fit
    from sirenkit.progress import ProgressBar
    from sirenkit.tasks import TASKS

    spec, name = TASKS[args.task], args.task
    if args.resume and args.out is None:
        raise ConfigError("--resume needs --out RUN_FOLDER, the run to continue.")
    presets = {"field_presets": spec.field_presets if has_field_flags(name) else None,
               "fit_presets": spec.fit_presets if name != PRIOR else None, "task_cls": spec.task}
    if args.resume:
        saved = read_config_json(args.out / "config.json") if (args.out / "config.json").is_file() else {}
        merged = merge_run_config(name, args, spec.config, base=saved, **presets)
        refuse_changes(args.out, saved, merged)
    else:
        merged = merge_run_config(name, args, spec.config, base=read_config_json(args.config) if args.config else None, **presets)
    merged["task_config"] = resolve_data_names(merged["task_config"])
    task_config = from_dict(spec.config, merged["task_config"], where="task_config")
    if name == PRIOR:
        from sirenkit.tasks.prior import check_world, fit_config

        check_world(task_config, int(os.environ.get("WORLD_SIZE", "1")))
        fit_settings = fit_config(task_config)
    else:
        fit_settings = from_dict(FitConfig, merged["fit"], where="fit")
    task = spec.task.from_config(task_config)  # bad input fails before a folder is made
    out = args.out or default_out(name, merged["task_config"])
    writer = int(os.environ.get("RANK", "0")) == 0
    with lock(out) if writer else contextlib.nullcontext():
        if writer:
            prepare(out, resume=args.resume, overwrite=args.overwrite)
            log_to(out / LOG_FILE, quiet=args.quiet)
            record(out, [LOG_FILE])
        if name == PRIOR and args.resume:
            from sirenkit.tasks.prior import check_resume

            check_resume(out, task_config)
        if writer:
            print(f"run folder: {out}", flush=True)
        model = _build_model(name, task, merged, fit_settings)
        callbacks = [ProgressBar(quiet=args.quiet or not writer)]
        if getattr(args, "tensorboard", False) and writer:
            from sirenkit.tensorboard import TensorBoard

            callbacks.append(TensorBoard())
        result = fit(model, task, fit_settings, out=out, resume=args.resume, callbacks=callbacks)
    if writer:
        _summary(name, out, task, result)
    return 0


def resolve_data_names(task_config: dict) -> dict:
    """A name from `sirenkit data list` (audio/gt_bach.wav, or a folder such as images/div2k16) stands for that file
    in the data folder wherever no local file has the name, so `sirenkit audio audio/gt_bach.wav` runs in any folder."""
    from sirenkit.data import local_copy

    resolved = dict(task_config)
    for key, value in task_config.items():
        if isinstance(value, str) and not Path(value).exists() and (local := local_copy(value)) is not None:
            resolved[key] = str(local)
    return resolved


def _build_model(name: str, task: object, merged: dict, fit_settings: FitConfig):
    if name == PRIOR:
        return task.build_model()  # type: ignore[attr-defined]
    if name == IMAGE_SET:
        return task.build_stack(seed=fit_settings.seed)  # type: ignore[attr-defined]
    from sirenkit.fields import build_field

    field_config = from_dict(FieldConfig, merged["field"], where="field")
    return build_field(field_config, task=task, seed=fit_settings.seed)


def _summary(name: str, out: Path, task: object, result) -> None:
    m = result.metrics
    print(f"run folder: {out}")
    if name == PRIOR:
        print("test MSE (pixels in [-1, 1]): " + ", ".join(f"{k[4:]} px {m[k]:.4f}" for k in m if k.startswith("mse_"))
              + f"; {int(m['steps'])} steps in {m['train_seconds']:.1f} s, peak memory {m['peak_rss_mib']:.0f} MiB")
        return
    if name == IMAGE_SET:
        import json

        members = json.loads((out / "images.json").read_text())["psnr"]
        for member, value in members.items():
            print(f"{member}: {value:.2f} dB")
        print(f"wrote {len(members)} models to {out}")
        return
    chosen = getattr(task, "headline_metrics", HEADLINE)
    quality = [k for k in chosen if k in m] or [k for k in m if k not in BOOKKEEPING][:3]
    headline = "".join(f"{k} {m[k]:.4g}, " for k in quality)
    print(f"{headline}{result.steps} steps in {result.train_seconds:.1f} s ({m['seconds_per_step']:.3f} s/step)")


def default_out(task: str, task_config: dict) -> Path:
    """runs/<task>-<source>, numbered when that folder is taken."""
    source = task_config.get("source", task_config.get("folder", task_config.get("model", task)))
    if not isinstance(source, str):  # helmholtz: the source is a position X Y; name the run by its medium
        source = task_config.get("velocity", task)
    source = Path(str(source)).stem or task
    out = Path("runs") / f"{task}-{source}"
    n = 2
    while out.exists() and any(out.iterdir()):
        out = Path("runs") / f"{task}-{source}-{n}"
        n += 1
    return out
