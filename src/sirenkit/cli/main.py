"""The `sirenkit` command: one flat subcommand per task (from TASKS), plus render, info, mesh, compare, inpaint.

A thin layer: every command is one or two API calls. Flags are generated from the config
dataclasses (`cli.flags`), so `--help` shows the same text as the docstrings under each field.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path

from sirenkit.cli import runs as run_commands
from sirenkit.cli.data import add_data_parser
from sirenkit.cli.flags import CLI_FIT_DEFAULTS, PRECEDENCE, PROG, Parser, UsageError, add_dataclass_flags, add_run_flags, log_to
from sirenkit.cli.prior import add_prior_parsers
from sirenkit.cli.train import has_field_flags, train
from sirenkit.cli.view import add_view_parser
from sirenkit.config import FieldConfig, FitConfig, field_docs
from sirenkit.errors import ConfigError, SirenkitError
from sirenkit.render import DEFAULT_CHUNK_SIZE

OMEGA_HELP = (
    "omega_0: each sine layer computes sin(omega_0 * (W x + b)). The first layer's omega_0 sets the "
    "highest frequency the field starts with (30 for images with coordinates in [-1, 1]; 3000 for audio); "
    "too low blurs detail, too high gives noise between samples."
)
COMMAND_NAMES = {"prior": None, "image-set": "fit-images"}
"""Registry names whose command is spelt otherwise (the prior's is `prior-train`, in cli.prior)."""
RENAMED = {("prior", "train"): ["prior-train"], ("prior", "inpaint"): ["inpaint"], ("compare", "image"): ["compare"]}
"""Two-level commands before 0.2 -> their flat names; the old forms still work for one release, with a warning."""

__all__ = ["UsageError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from sirenkit.tasks import TASKS

    parser = Parser(prog=PROG, description="Implicit neural representations with periodic activations (SIREN).",
                    epilog=f"{OMEGA_HELP}\n\nExamples:\n  sirenkit image --steps 300 --size 128\n"
                           "  sirenkit render runs/image-camera --size 1024 1024 --out camera_1024.png",
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors (also accepted after the command)")
    parser.add_argument("--version", action="version", version=f"{PROG} {importlib.metadata.version('sirenkit')}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for name, spec in TASKS.items():
        command = COMMAND_NAMES.get(name, name)
        if command is None:
            continue
        doc = (spec.task.__doc__ or "").strip().splitlines()[0]
        examples = spec.cli_examples or (f"sirenkit {name} --steps 300 --size 128 --out runs/{name}-quick",
                                         f"sirenkit {name} astronaut --size 128 --steps 300 --hidden-features 128")
        p = sub.add_parser(
            command, help=doc, description=f"{doc}\n\n{OMEGA_HELP}\n\n{PRECEDENCE}",
            epilog="Examples (each runs on a laptop CPU in about a minute):\n" + "".join(f"  {e}\n" for e in examples),
            formatter_class=argparse.RawDescriptionHelpFormatter)
        defaults = spec.config()
        for positional in spec.positionals:
            p.add_argument(positional, nargs="?", default=argparse.SUPPRESS,
                           help=f"{field_docs(spec.config).get(positional, '')} (default: {getattr(defaults, positional)})")
        add_dataclass_flags(p, spec.config, f"{name} options", skip=spec.positionals)
        if has_field_flags(name):
            add_dataclass_flags(p, FieldConfig, "field (network) options", skip=("in_features", "out_features"),
                                defaults=FieldConfig(**spec.field_presets))
        add_dataclass_flags(p, FitConfig, "training options", defaults=FitConfig(**(CLI_FIT_DEFAULTS | spec.fit_presets)))
        add_run_flags(p, f"runs/{name}-<source>, numbered if it exists", loss_weights="loss_weights" in field_docs(spec.config))
        p.set_defaults(handler=train, task=name)
    add_prior_parsers(sub)

    render = sub.add_parser("render", help="render a saved image, audio or video run at any resolution (by the run's task)",
                            description="Render a saved run at any resolution, in chunks of bounded memory. What is drawn "
                                        "follows the task in the run's config.json: image runs as pictures, audio as sound, "
                                        "video as MP4; any other run is refused with what its task offers instead.",
                            epilog="Examples:\n  sirenkit render runs/image-camera --size 2048 2048 --out camera_2048.png\n"
                                   "  sirenkit render runs/audio-bach --sample-rate 88200 --out bach_2x.wav\n"
                                   "  sirenkit render runs/video-bikes --frames 64 --fps 8 --size 128 320 --out slow.mp4",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    render.add_argument("run", type=Path, help="run folder or model.safetensors")
    render.add_argument("--size", type=int, nargs=2, metavar=("H", "W"), default=None,
                        help="output height and width in pixels (images: required; video: default the fitted size)")
    render.add_argument("--out", type=Path, default=None,
                        help="output file: PNG for images, WAV for audio, MP4 for video (default: RUNNAME-render.png/.wav/.mp4 here)")
    render.add_argument("--sample-rate", type=int, default=None, help="audio: output rate in Hz (default: the clip's; 2x = upsampled)")
    render.add_argument("--duration-s", type=float, default=None,
                        help="audio: output length in seconds for the clip's time span (default: the clip's; longer = slower)")
    render.add_argument("--frames", type=int, default=None,
                        help="video: frames over the clip's time span (default: the clip's; more = slow motion)")
    render.add_argument("--fps", type=float, default=None, help="video: frame rate of the MP4 (default: the clip's)")
    render.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                        help=f"points per forward pass (default: {DEFAULT_CHUNK_SIZE})")
    render.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    render.set_defaults(handler=run_commands.render)

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
    mesh.set_defaults(handler=run_commands.mesh)
    _add_compare_parser(sub)
    add_view_parser(sub)
    add_data_parser(sub)

    info = sub.add_parser("info", help="describe a saved run or model (any task)",
                          description="Print a run's task, settings, model size, metrics and sub-runs.")
    info.add_argument("run", type=Path, help="run folder or model.safetensors")
    info.set_defaults(handler=run_commands.info)
    return parser


def _add_compare_parser(sub: argparse._SubParsersAction) -> None:
    from sirenkit.compare import DEFAULT_LR, HOLDOUTS, RECOMMENDED_LR

    lrs = ", ".join(f"{k} {v:g}" for k, v in RECOMMENDED_LR.items())
    p = sub.add_parser(
        "compare", help="fit several models to one image with the same pixels, steps and seed",
        description="Fit several models to one image with the same pixels, steps, seed and cosine schedule, each with its "
                    f"recommended Adam lr ({lrs}; others {DEFAULT_LR:g}). Writes comparison.json, comparison.md, "
                    "curves.png (PSNR vs step and seconds) and grid.png (fit, |grad|, Laplacian per model; paper Fig. 1).",
        epilog="Examples (each runs on a laptop CPU in about a minute):\n"
               "  sirenkit compare camera --size 64 --steps 200 --out runs/compare-quick\n"
               "  sirenkit compare --size 64 --models sine,finer,wire,relu+fourier --holdout every-other-pixel",
        formatter_class=argparse.RawDescriptionHelpFormatter)
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
    p.add_argument("--overwrite", action="store_true", help="replace the comparison already in --out (removes exactly its files)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or info messages")
    p.set_defaults(handler=_compare)


def _compare(args: argparse.Namespace) -> int:
    from sirenkit.cli.train import default_out
    from sirenkit.compare import compare_image, markdown_table, write_report
    from sirenkit.progress import ProgressBar
    from sirenkit.runs import LOG_FILE, lock, prepare, record
    from sirenkit.tasks.image import ImageConfig, ImageTask

    task = ImageTask.from_config(ImageConfig(source=args.source, size=args.size))
    models = [m for m in args.models.split(",") if m.strip()]
    if not models:
        raise ConfigError(f"--models {args.models!r} names no model; pass e.g. --models sine,relu,relu+positional.")
    out = args.out or default_out("compare", {"source": args.source})
    with lock(out):
        prepare(out, overwrite=args.overwrite)
        log_to(out / LOG_FILE, quiet=args.quiet)
        record(out, [LOG_FILE])
        results, fields = compare_image(task, models, steps=args.steps, seed=args.seed, eval_every=args.eval_every,
                                        device=args.device, holdout=args.holdout, hidden_features=args.hidden_features,
                                        hidden_layers=args.hidden_layers, callbacks=[ProgressBar(quiet=args.quiet)], out=out)
        info = {"command": " ".join(["sirenkit", *sys.argv[1:]]), "source": args.source, "steps": args.steps,
                "seed": args.seed, "holdout": args.holdout}
        paths = write_report(out, task, results, fields, info=info)
    print(markdown_table(results))
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def _flatten_renamed(argv: list[str]) -> list[str]:
    """`sirenkit prior train ...` -> `sirenkit prior-train ...` (and the like), with a warning on stderr."""
    at = next((i for i, a in enumerate(argv) if not a.startswith("-")), None)
    if at is not None and tuple(argv[at:at + 2]) in RENAMED:
        old = tuple(argv[at:at + 2])
        new = RENAMED[old]
        print(f"{PROG}: warning: '{PROG} {' '.join(old)}' is now '{PROG} {' '.join(new)}'; the old form goes in the next release.",
              file=sys.stderr)
        return argv[:at] + new + argv[at + 2:]
    return argv


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # outside the training loop (loading data, exporting), SIGTERM stops like Ctrl-C


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sirenkit` console script; returns the exit code."""
    argv = _flatten_renamed(list(sys.argv[1:] if argv is None else argv))
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]  # anywhere on the line, not only before the command
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
    except OSError as exc:  # unwritable folder, disk full: one line, not a traceback
        if debug:
            traceback.print_exc()
        print(f"{PROG}: error: {exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}; "
              "check the folder's permissions and free space.", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        from sirenkit.fit import Interrupted

        message = str(exc) if isinstance(exc, Interrupted) else "interrupted outside training; nothing of this command was saved"
        print(f"{PROG}: {message}", file=sys.stderr)
        return 130
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    raise SystemExit(main())
