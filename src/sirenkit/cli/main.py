"""The `sirenkit` command: one subcommand per task (from TASKS), plus render and info.

A thin layer: every command is one or two API calls. Flags are generated from the config
dataclasses, so `--help` shows the same text as the docstrings under each config field.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path

from sirenkit.cli.data import add_data_parser
from sirenkit.cli.prior import add_prior_parser
from sirenkit.config import FieldConfig, FitConfig, RunConfig, field_docs, from_dict, load_run_config
from sirenkit.errors import ConfigError, SirenkitError
from sirenkit.protocols import TaskSpec
from sirenkit.render import DEFAULT_CHUNK_SIZE

PROG = "sirenkit"
OMEGA_HELP = (
    "omega_0: each sine layer computes sin(omega_0 * (W x + b)). The first layer's omega_0 sets the "
    "highest frequency the field starts with (30 for images with coordinates in [-1, 1]; 3000 for audio); "
    "too low blurs detail, too high gives noise between samples."
)


class UsageError(ConfigError):
    """Bad command-line usage, reported as one line with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_dataclass_flags(parser: argparse.ArgumentParser, cls: type, title: str, *, skip: Sequence[str] = (),
                         defaults: object = None) -> None:
    group = parser.add_argument_group(title)
    docs = field_docs(cls)
    defaults = defaults or (cls() if cls is not RunConfig else None)
    for f in dataclasses.fields(cls):
        if f.name in skip or f.type not in ("int", "float", "str", "bool", "tuple[int, int]", "tuple[float, float]"):
            continue
        default = getattr(defaults, f.name)
        help_text = f"{docs.get(f.name, '')} (default: {default})"
        if f.type.startswith("tuple["):  # two numbers; the docstring starts with their names, e.g. "X Y: ..."
            group.add_argument(_flag(f.name), dest=f.name, type=int if "int" in f.type else float, nargs=2,
                               default=argparse.SUPPRESS, help=help_text, metavar=tuple(docs.get(f.name, "A B").split(":")[0].split()[:2]))
        elif f.type == "bool":
            group.add_argument(_flag(f.name), dest=f.name, action=argparse.BooleanOptionalAction,
                               default=argparse.SUPPRESS, help=help_text)
        else:
            kind = {"int": int, "float": float, "str": str}[f.type]
            group.add_argument(_flag(f.name), dest=f.name, type=kind, default=argparse.SUPPRESS, help=help_text,
                               metavar=f.name.upper() if kind is str else kind.__name__.upper())


def build_parser() -> argparse.ArgumentParser:
    from sirenkit.tasks import TASKS

    parser = _Parser(prog=PROG, description="Implicit neural representations with periodic activations (SIREN).",
                     epilog=f"{OMEGA_HELP}\n\nExamples:\n  sirenkit image --steps 300 --size 128\n"
                            "  sirenkit render runs/image-camera --size 1024 1024 --out camera_1024.png",
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, spec in TASKS.items():
        task_cls, config_cls = spec.task, spec.config
        doc = (task_cls.__doc__ or "").strip().splitlines()[0]
        examples = spec.cli_examples or (f"sirenkit {name} --steps 300 --size 128 --out runs/{name}-quick",
                                         f"sirenkit {name} astronaut --size 128 --steps 300 --hidden-features 128")
        p = sub.add_parser(
            name, help=doc, description=f"{doc}\n\n{OMEGA_HELP}\n\nPrecedence: command-line flags > --config run.json > defaults.",
            epilog="Examples (each runs on a laptop CPU in about a minute):\n" + "".join(f"  {e}\n" for e in examples),
            formatter_class=argparse.RawDescriptionHelpFormatter)
        positionals = spec.positionals
        defaults = config_cls()
        for positional in positionals:
            p.add_argument(positional, nargs="?", default=argparse.SUPPRESS,
                           help=f"{field_docs(config_cls).get(positional, '')} (default: {getattr(defaults, positional)})")
        _add_dataclass_flags(p, config_cls, f"{name} options", skip=positionals)
        field_presets, fit_presets = _task_defaults(spec)
        _add_dataclass_flags(p, FieldConfig, "field (network) options", skip=("in_features", "out_features"), defaults=field_presets)
        _add_dataclass_flags(p, FitConfig, "training options", defaults=fit_presets)
        run = p.add_argument_group("run folder")
        run.add_argument("--out", type=Path, default=None,
                         help=f"run folder (default: runs/{name}-<source>, numbered if it exists)")
        run.add_argument("--config", type=Path, default=None, help="start from this config.json (flags still win)")
        run.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
        run.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
        run.add_argument("--quiet", action="store_true", help="no progress bar or info messages")
        p.set_defaults(handler=_run_task, task=name)

    render = sub.add_parser("render", help="evaluate a saved image, audio or video field at any resolution",
                            description="Render a saved field at any resolution, in chunks of bounded memory.",
                            epilog="Examples:\n  sirenkit render runs/image-camera --size 2048 2048 --out camera_2048.png\n"
                                   "  sirenkit render runs/audio-bach --sample-rate 88200 --out bach_2x.wav\n"
                                   "  sirenkit render runs/video-bikes --frames 64 --fps 8 --size 128 320 --out slow.mp4",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    render.add_argument("run", type=Path, help="run folder or model.safetensors")
    render.add_argument("--size", type=int, nargs=2, metavar=("H", "W"), default=None,
                        help="output height and width in pixels (images: required; video: default the fitted size)")
    render.add_argument("--out", type=Path, required=True, help="output file: PNG for images, WAV for audio, MP4 for video")
    render.add_argument("--sample-rate", type=int, default=None, help="audio: output rate in Hz (default: the clip's; 2x = upsampled)")
    render.add_argument("--duration-s", type=float, default=None,
                        help="audio: output length in seconds for the clip's time span (default: the clip's; longer = slower)")
    render.add_argument("--frames", type=int, default=None,
                        help="video: frames over the clip's time span (default: the clip's; more = slow motion)")
    render.add_argument("--fps", type=float, default=None, help="video: frame rate of the MP4 (default: the clip's)")
    render.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                        help=f"points per forward pass (default: {DEFAULT_CHUNK_SIZE})")
    render.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    render.set_defaults(handler=_render)

    many = sub.add_parser("fit-images", help="fit one SIREN per image of a folder, all at once (StackedSiren)",
                          description="Fit every image of a folder at once; writes OUT/<name>/model.safetensors and OUT/metrics.json.",
                          epilog="Example:\n  sirenkit fit-images faces/ --size 32 --steps 300 --out runs/faces\n"
                                 "  sirenkit render runs/faces/face01 --size 128 128 --out face01_128.png",
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    many.add_argument("folder", type=Path, help="folder of PNG/JPEG/TIFF/BMP images of one aspect ratio")
    many.add_argument("--size", type=int, required=True, help="resize so the longer side is this many pixels")
    many.add_argument("--steps", type=int, default=300, help="full-batch Adam steps (default: 300)")
    many.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate, cosine to 1%% (default: 1e-3)")
    many.add_argument("--hidden-features", type=int, default=256, help="hidden width of each SIREN (default: 256)")
    many.add_argument("--hidden-layers", type=int, default=3, help="hidden-to-hidden layers (default: 3)")
    many.add_argument("--seed", type=int, default=0, help="image k's SIREN starts from seed + k (default: 0)")
    many.add_argument("--out", type=Path, required=True, help="output folder")
    many.set_defaults(handler=_fit_images)

    mesh = sub.add_parser("mesh", help="mesh a saved SDF run again, at any resolution",
                          description="Marching cubes on a saved SDF run's field, evaluated in chunks (memory bounded by "
                                      "--chunk-size, plus resolution^3 floats for the grid); writes mesh.ply, mesh.obj and "
                                      "mesh.png in the input's original units.",
                          epilog="Example:\n  sirenkit mesh runs/sdf-bunny --resolution 512",
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    mesh.add_argument("run", type=Path, help="run folder made by 'sirenkit sdf'")
    mesh.add_argument("--resolution", type=int, default=256, help="grid points per axis (default: 256; 512 needs 512 MiB)")
    mesh.add_argument("--out", type=Path, default=None, help="folder for the mesh files (default: the run folder)")
    mesh.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                      help=f"points per forward pass (default: {DEFAULT_CHUNK_SIZE})")
    mesh.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    mesh.set_defaults(handler=_mesh)
    _add_compare_parser(sub)
    add_prior_parser(sub)
    add_data_parser(sub)

    info = sub.add_parser("info", help="describe a saved run or model", description="Print a saved field's config, size and metrics.")
    info.add_argument("run", type=Path, help="run folder or model.safetensors")
    info.set_defaults(handler=_info)
    return parser


def _task_defaults(spec: TaskSpec) -> tuple[FieldConfig, FitConfig]:
    """FieldConfig and FitConfig defaults with the task's presets (e.g. audio omega_0 3000)."""
    return FieldConfig(**spec.field_presets), FitConfig(**spec.fit_presets)


def _add_compare_parser(sub: argparse._SubParsersAction) -> None:
    from sirenkit.compare import DEFAULT_LR, HOLDOUTS, RECOMMENDED_LR

    lrs = ", ".join(f"{k} {v:g}" for k, v in RECOMMENDED_LR.items())
    p = sub.add_parser(
        "compare", help="fit several models to one image with the same pixels, steps and seed",
        description="Fit several models to one image with the same pixels, steps, seed and cosine schedule, each with its "
                    f"recommended Adam lr ({lrs}; others {DEFAULT_LR:g}). Writes comparison.json, comparison.md, "
                    "curves.png (PSNR vs step and seconds) and grid.png (fit, |grad|, Laplacian per model; paper Fig. 1).",
        epilog="Examples (each runs on a laptop CPU in about a minute):\n"
               "  sirenkit compare image camera --size 64 --steps 200 --out runs/compare-quick\n"
               "  sirenkit compare image --size 64 --models sine,finer,wire,relu+fourier --holdout every-other-pixel",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["image"], help="what the models fit (image)")
    p.add_argument("source", nargs="?", default="camera", help="image file or built-in scikit-image name (default: camera)")
    p.add_argument("--models", default="sine,relu,relu+positional,relu+fourier,tanh",
                   help="comma-separated ACTIVATION, ENCODING or ACTIVATION+ENCODING, e.g. sine,relu+positional,fourier,finer,wire,gauss; "
                        "an encoding alone has a ReLU MLP behind it (default: %(default)s)")
    p.add_argument("--steps", type=int, default=500, help="optimizer steps per model (default: %(default)s)")
    p.add_argument("--size", type=int, default=256, help="longer image side in pixels (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of every model's init and encoding (default: %(default)s)")
    p.add_argument("--holdout", choices=HOLDOUTS, default="none",
                   help="every-other-pixel: train on pixels (2i, 2j), report PSNR on the held-out ones too (default: none)")
    p.add_argument("--hidden-features", type=int, default=256, help="width of every model (default: %(default)s)")
    p.add_argument("--hidden-layers", type=int, default=3, help="hidden-to-hidden layers of every model (default: %(default)s)")
    p.add_argument("--eval-every", type=int, default=25, help="PSNR history every this many steps (default: %(default)s)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: runs/compare-<source>, numbered if it exists)")
    p.add_argument("--overwrite", action="store_true", help="write into a non-empty --out")
    p.add_argument("--quiet", action="store_true", help="no progress bars or info messages")
    p.set_defaults(handler=_compare)


def _compare(args: argparse.Namespace) -> int:
    from sirenkit.callbacks import ProgressBar
    from sirenkit.compare import compare_image, markdown_table, write_report
    from sirenkit.io.run_dir import prepare_run_dir
    from sirenkit.tasks.image import ImageConfig, ImageTask

    task = ImageTask.from_config(ImageConfig(source=args.source, size=args.size))
    out = prepare_run_dir(args.out or _default_out("compare", {"source": args.source}), overwrite=args.overwrite)
    _log_to(out / "log.txt", quiet=args.quiet)
    models = [m for m in args.models.split(",") if m.strip()]
    results, fields = compare_image(task, models, steps=args.steps, seed=args.seed, eval_every=args.eval_every, device=args.device,
                                    holdout=args.holdout, hidden_features=args.hidden_features, hidden_layers=args.hidden_layers,
                                    callbacks=[ProgressBar(quiet=args.quiet)])
    info = {"command": " ".join(["sirenkit", *sys.argv[1:]]), "source": args.source, "steps": args.steps, "seed": args.seed,
            "holdout": args.holdout}
    paths = write_report(out, task, results, fields, info=info)
    print(markdown_table(results))
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def _run_config(args: argparse.Namespace, config_cls: type) -> RunConfig:
    """defaults (the task's, then the global ones) < --config (or the resumed run's config.json) < flags."""
    from sirenkit.tasks import TASKS

    given = vars(args)
    source = args.config or (args.out / "config.json" if args.resume and args.out else None)
    field_presets, fit_presets = _task_defaults(TASKS[args.task])
    base = load_run_config(source) if source else RunConfig(task=args.task, task_config=dataclasses.asdict(config_cls()),
                                                            field=field_presets, fit=fit_presets)
    if base.task != args.task:
        raise ConfigError(f"{source} is a '{base.task}' run; use 'sirenkit {base.task}' with it.")

    def merged(cls: type, current: dict, skip: Sequence[str] = ()) -> dict:
        names = {f.name for f in dataclasses.fields(cls)} - set(skip)
        return current | {k: given[k] for k in names if k in given}

    task_dict = merged(config_cls, base.task_config)
    field_dict = merged(FieldConfig, dataclasses.asdict(base.field or FieldConfig()), skip=("in_features", "out_features"))
    fit_dict = merged(FitConfig, dataclasses.asdict(base.fit))
    return RunConfig(task=args.task, task_config=dataclasses.asdict(from_dict(config_cls, task_dict, where="task_config")),
                     field=from_dict(FieldConfig, field_dict, where="field"), fit=from_dict(FitConfig, fit_dict, where="fit"))


def _default_out(task: str, task_config: dict) -> Path:
    source = task_config.get("source", task)
    if not isinstance(source, str):  # helmholtz: the source is a position X Y; name the run by its medium
        source = task_config.get("velocity", task)
    source = Path(str(source)).stem or task
    out = Path("runs") / f"{task}-{source}"
    n = 2
    while out.exists() and any(out.iterdir()):
        out = Path("runs") / f"{task}-{source}-{n}"
        n += 1
    return out


def _run_task(args: argparse.Namespace) -> int:
    from sirenkit.callbacks import ProgressBar
    from sirenkit.fields import build_field, field_config_for
    from sirenkit.fit import fit
    from sirenkit.io.run_dir import prepare_run_dir
    from sirenkit.tasks import TASKS

    task_cls, config_cls = TASKS[args.task].task, TASKS[args.task].config
    if args.resume and args.out is None:
        raise ConfigError("--resume needs --out RUN_FOLDER, the run to continue.")
    run = _run_config(args, config_cls)
    task = task_cls.from_config(from_dict(config_cls, run.task_config))  # bad input fails before a folder is made
    out = prepare_run_dir(args.out or _default_out(args.task, run.task_config), resume=args.resume, overwrite=args.overwrite)
    _log_to(out / "log.txt", quiet=args.quiet)
    field_config = field_config_for(run.field, task)
    field = build_field(field_config, seed=run.fit.seed)
    result = fit(field, task, run.fit, out=out, resume=args.resume, callbacks=[ProgressBar(quiet=args.quiet)])
    m = result.metrics
    preferred = ("psnr", "ssim", "mse", "snr_db", "psnr_std", "f_score", "normal_consistency", "chamfer_l1", "surface_distance")
    bookkeeping = ("steps", "train_seconds", "seconds_per_step", "stopped_by")
    quality = [k for k in preferred if k in m] or [k for k in m if k not in bookkeeping][:3]
    headline = "".join(f"{k} {m[k]:.4g}, " for k in quality)
    print(f"run folder: {out}")
    print(f"{headline}{result.steps} steps in {result.train_seconds:.1f} s ({m['seconds_per_step']:.3f} s/step)")
    return 0


def _render(args: argparse.Namespace) -> int:
    from sirenkit.devices import resolve_device
    from sirenkit.io.checkpoint import load
    from sirenkit.io.image import save_image
    from sirenkit.render import render_image

    field = load(args.run).to(resolve_device(args.device))
    if field.config.in_features in (1, 3):
        from sirenkit.cli.render_av import render_audio_run, render_video_run

        return (render_audio_run if field.config.in_features == 1 else render_video_run)(args, field)
    if args.size is None:
        raise ConfigError("--size H W is required to render an image field, e.g. --size 1024 1024.")
    h, w = args.size
    if h < 1 or w < 1:
        raise ConfigError(f"--size {h} {w}: both must be >= 1 pixel, e.g. --size 1024 1024.")
    if args.chunk_size < 1:
        raise ConfigError(f"--chunk-size {args.chunk_size} must be >= 1, e.g. {DEFAULT_CHUNK_SIZE}.")
    if field.config.in_features != 2:
        raise ConfigError(f"{args.run} holds a field with {field.config.in_features}-D inputs; "
                          "'render' draws image (2-D), audio (1-D) and video (3-D) fields.")
    if args.out.suffix.lower() not in (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"):
        raise ConfigError(f"--out {args.out}: give an image file name ending in .png (or .jpg, .tif, .bmp).")
    save_image(args.out, render_image(field, (h, w), chunk_size=args.chunk_size))
    print(f"wrote {args.out} ({h}x{w})")
    return 0


def _fit_images(args: argparse.Namespace) -> int:
    from sirenkit.fields.stacked import fit_image_folder

    if args.size < 2 or args.steps < 1:
        raise ConfigError(f"--size {args.size} --steps {args.steps}: need size >= 2 and steps >= 1, e.g. --size 32 --steps 300.")
    psnrs = fit_image_folder(args.folder, args.out, size=args.size, steps=args.steps, lr=args.lr,
                             hidden_features=args.hidden_features, hidden_layers=args.hidden_layers, seed=args.seed)
    for name, value in psnrs.items():
        print(f"{name}: {value:.2f} dB")
    print(f"wrote {len(psnrs)} models to {args.out}")
    return 0


def _mesh(args: argparse.Namespace) -> int:
    from sirenkit.tasks.sdf import remesh

    if args.resolution < 8:
        raise ConfigError(f"--resolution {args.resolution} is too coarse; pass e.g. --resolution 256.")
    if args.chunk_size < 1:
        raise ConfigError(f"--chunk-size {args.chunk_size} must be >= 1, e.g. {DEFAULT_CHUNK_SIZE}.")
    paths, metrics = remesh(args.run, resolution=args.resolution, chunk_size=args.chunk_size, out=args.out, device=args.device)
    print(f"wrote {', '.join(str(p) for p in paths)} ({int(metrics['vertices'])} vertices, {int(metrics['faces'])} faces)")
    shown = ", ".join(f"{k} {metrics[k]:.4g}" for k in ("f_score", "normal_consistency", "chamfer_l1") if k in metrics)
    if shown:
        print(shown)
    return 0


def _info(args: argparse.Namespace) -> int:
    from sirenkit.io.checkpoint import load

    field = load(args.run)
    params = sum(p.numel() for p in field.parameters())
    print(f"field: {type(field).__name__}, {params:,} parameters")
    print(json.dumps(dataclasses.asdict(field.config), indent=2))
    metrics = Path(args.run) / "metrics.json"
    if metrics.is_file():
        print("metrics:", metrics.read_text().strip())
    return 0


def _log_to(path: Path, *, quiet: bool) -> None:
    logger = logging.getLogger("sirenkit")
    logger.setLevel(logging.INFO)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    file_handler = logging.FileHandler(path)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(file_handler)
    if not quiet:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.WARNING)
        logger.addHandler(console)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so `kill` (SIGTERM) also saves the last finished step, like Ctrl-C


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sirenkit` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except SirenkitError as exc:
        if debug:
            traceback.print_exc()
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; the last checkpoint is kept, continue with --resume --out RUN_FOLDER", file=sys.stderr)
        return 130
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    raise SystemExit(main())
