"""`sirenkit compare`: several models fitted to one image with the same pixels, steps and seed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sirenkit.cli.commands import COMMANDS
from sirenkit.cli.flags import DEVICE_HELP, add_size_flag, log_to
from sirenkit.errors import ConfigError


def add_compare_parser(sub: argparse._SubParsersAction, name: str = "compare") -> None:
    """The `compare` command."""
    from sirenkit.compare import DEFAULT_LR, HOLDOUTS, RECOMMENDED_LR

    lrs = ", ".join(f"{k} {v:g}" for k, v in RECOMMENDED_LR.items())
    p = sub.add_parser(
        name, help=COMMANDS[name].summary,
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
    add_size_flag(p, pair=False, default=256, help_text="longer image side in pixels (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of every model's init and encoding (default: %(default)s)")
    p.add_argument("--holdout", choices=HOLDOUTS, default="none",
                   help="every-other-pixel: train on pixels (2i, 2j), report PSNR on the held-out ones too (default: none)")
    p.add_argument("--hidden-features", type=int, default=256, help="width of every model (default: %(default)s)")
    p.add_argument("--hidden-layers", type=int, default=3, help="hidden-to-hidden layers of every model (default: %(default)s)")
    p.add_argument("--eval-every", type=int, default=25, help="PSNR history every this many steps (default: %(default)s)")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.add_argument("--out", type=Path, default=None, help="output folder (default: runs/compare-<source>, numbered if it exists)")
    p.add_argument("--overwrite", action="store_true", help="replace the comparison already in --out (removes exactly its files)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or info messages")
    p.set_defaults(handler=compare)


def compare(args: argparse.Namespace) -> int:
    """Fit every model of --models to one image and write the comparison."""
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
