"""`sirenkit prior-train` and `sirenkit inpaint`: learn a prior over faces, inpaint a face from a few pixels."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sirenkit.cli.commands import COMMANDS
from sirenkit.cli.flags import PRECEDENCE, add_dataclass_flags, add_run_flags
from sirenkit.cli.train import train
from sirenkit.errors import ConfigError


def add_prior_train_parser(sub: argparse._SubParsersAction, name: str = "prior-train") -> None:
    """The `prior-train` command."""
    from sirenkit.prior.config import PriorConfig

    p = sub.add_parser(
        name, help=COMMANDS[name].summary,
        description="Train a prior (hypernetwork or modulated SIREN, paper Sec. 4.4) on the Olivetti faces of the training "
                    "people and report the test MSE (pixel values in [-1, 1], all pixels) at 10, 100, 1000 context pixels "
                    "and the top half. Trains on the one loop (checkpoints, exact --resume, NaN guard). Runs on several "
                    "processes with 'torchrun --nproc-per-node N -m sirenkit prior-train ...' (DistributedDataParallel; "
                    f"gloo on CPU, nccl on GPU). {PRECEDENCE}",
        epilog="Examples (each runs on a laptop CPU in about a minute):\n"
               "  sirenkit prior-train --model modulated --steps 300 --out runs/prior-modulated\n"
               "  torchrun --nproc-per-node 2 -m sirenkit prior-train --model hypernet-set --steps 300 --out runs/prior-set\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_dataclass_flags(p, PriorConfig, "prior options")
    add_run_flags(p, "runs/prior-<model>")
    p.set_defaults(handler=train, task="prior")


def add_inpaint_parser(sub: argparse._SubParsersAction, name: str = "inpaint") -> None:
    """The `inpaint` command."""
    inpaint = sub.add_parser(
        name, help=COMMANDS[name].summary,
        description="Show a trained prior a few pixels of each face and let it draw the rest. Writes inpaint.png (a row per "
                    "face: the context, blue where unseen, and the inpainted face for each --context, then the ground truth), "
                    "interpolation.png (faces from latents between the first two faces) and inpaint.json (MSE per face). "
                    "An --image of another size is converted to grey, cropped to its centre square and resized to the "
                    "prior's side (the conv encoder only reads that size).",
        epilog="Examples:\n  sirenkit inpaint runs/prior-modulated --test-index 0,10,20 --context 10,100,half --out runs/inpaint\n"
               "  sirenkit inpaint runs/prior-modulated --image face.png --context 100 --out runs/inpaint-mine\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    inpaint.add_argument("run", type=Path, help="run folder made by 'sirenkit prior-train'")
    source = inpaint.add_mutually_exclusive_group()
    source.add_argument("--image", type=Path, default=None, help="an image file to inpaint (any size; see above)")
    source.add_argument("--test-index", default="0,10,20,30,40,50",
                        help="test faces to inpaint, comma-separated indices into the held-out people's photos (default: %(default)s)")
    inpaint.add_argument("--context", default=None,
                         help="context pixels, comma-separated: a count (10, 100, 1000, ...) or half (the top rows) "
                              "(default: 10,100,1000,half, leaving out counts larger than the image)")
    inpaint.add_argument("--out", type=Path, default=None,
                         help="folder for inpaint.png, interpolation.png, inpaint.json (default: runs/inpaint-RUNNAME)")
    inpaint.set_defaults(handler=_inpaint)


def _inpaint(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from sirenkit.prior.context import CONTEXT_CHOICES, eval_context
    from sirenkit.prior.inpaint import load_face_image, write_inpainting
    from sirenkit.prior.train import load_prior
    from sirenkit.tasks.prior import load_split

    model, config = load_prior(args.run)
    pixels = config.size * config.size
    default = [c for c in CONTEXT_CHOICES if c == "half" or int(c) <= pixels]
    specs = [s.strip() for s in args.context.split(",") if s.strip()] if args.context else default
    for spec in specs:  # bad --context fails before any work
        eval_context(1, config.size, spec, torch.Generator())
    if args.image is not None:
        faces, labels = load_face_image(args.image, config.size)[None], [args.image.name]
    else:
        test = load_split(config)[1]
        try:
            indices = [int(i) for i in args.test_index.split(",") if i.strip()]
        except ValueError:
            raise ConfigError(f"--test-index {args.test_index!r}: give comma-separated integers, e.g. 0,10,20.") from None
        bad = [i for i in indices if not 0 <= i < len(test.images)]
        if bad or not indices:
            raise ConfigError(f"--test-index {args.test_index}: the test set has {len(test.images)} faces (0-{len(test.images) - 1}).")
        faces, labels = np.stack([test.images[i] for i in indices]), [f"test {i}" for i in indices]
    out = args.out or Path("runs") / f"inpaint-{Path(args.run).resolve().name}"
    paths = write_inpainting(out, model, faces.astype(np.float32), specs, labels=labels)
    print(f"wrote {', '.join(str(p) for p in paths)}")
    report = json.loads(paths[-1].read_text())["mse"]
    for label, mse in report.items():
        print(f"{label}: " + ", ".join(f"{k[4:]} px MSE {v:.4f}" for k, v in mse.items()), file=sys.stdout)
    return 0
