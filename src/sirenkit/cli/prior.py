"""`sirenkit prior train` and `sirenkit prior inpaint`: learn a prior over faces, inpaint a face from a few pixels."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

from sirenkit.errors import ConfigError


def add_prior_parser(sub: argparse._SubParsersAction) -> None:
    """The `prior` command group, with its `train` and `inpaint` subcommands."""
    from sirenkit.cli.main import _add_dataclass_flags, _Parser
    from sirenkit.prior.config import PriorConfig

    prior = sub.add_parser("prior", help="learn a prior over faces (hypernetwork or modulated SIREN) and inpaint from a few pixels",
                           description="Priors over SIRENs (paper Sec. 4.4) on the Olivetti faces, split by person.")
    commands = prior.add_subparsers(dest="prior_command", metavar="{train,inpaint}", parser_class=_Parser)
    commands.required = True
    train = commands.add_parser(
        "train", help="train a prior on the training people; test MSE at 10/100/1000/half context pixels",
        description="Train a prior on the faces of the training people and report the test MSE (pixel values in [-1, 1], "
                    "all pixels) at 10, 100, 1000 context pixels and the top half. Runs on several processes with "
                    "'torchrun --nproc-per-node N -m sirenkit prior train ...' (DistributedDataParallel; gloo on CPU, nccl on GPU). "
                    "Precedence: command-line flags > --config run.json (or the resumed run's) > defaults.",
        epilog="Examples (each runs on a laptop CPU in about a minute):\n"
               "  sirenkit prior train --model modulated --steps 300 --out runs/prior-modulated\n"
               "  torchrun --nproc-per-node 2 -m sirenkit prior train --model hypernet-set --steps 300 --out runs/prior-set\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_dataclass_flags(train, PriorConfig, "prior options")
    run = train.add_argument_group("run folder")
    run.add_argument("--out", type=Path, required=True, help="run folder: config.json, metrics.jsonl, metrics.json, checkpoint.pt")
    run.add_argument("--config", type=Path, default=None, help="start from this config.json (flags still win)")
    run.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint (--steps may extend it)")
    run.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    run.add_argument("--quiet", action="store_true", help="no info messages")
    train.set_defaults(handler=_train)

    inpaint = commands.add_parser(
        "inpaint", help="inpaint faces from a few pixels with a trained prior",
        description="Show a trained prior a few pixels of each face and let it draw the rest. Writes inpaint.png (a row per "
                    "face: the context, blue where unseen, and the inpainted face for each --context, then the ground truth), "
                    "interpolation.png (faces from latents between the first two faces) and inpaint.json (MSE per face). "
                    "An --image of another size is converted to grey, cropped to its centre square and resized to the "
                    "prior's side (the conv encoder only reads that size).",
        epilog="Examples:\n  sirenkit prior inpaint runs/prior-modulated --test-index 0,10,20 --context 10,100,half --out runs/inpaint\n"
               "  sirenkit prior inpaint runs/prior-modulated --image face.png --context 100 --out runs/inpaint-mine\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    inpaint.add_argument("run", type=Path, help="run folder made by 'sirenkit prior train'")
    source = inpaint.add_mutually_exclusive_group()
    source.add_argument("--image", type=Path, default=None, help="an image file to inpaint (any size; see above)")
    source.add_argument("--test-index", default="0,10,20,30,40,50",
                        help="test faces to inpaint, comma-separated indices into the held-out people's photos (default: %(default)s)")
    inpaint.add_argument("--context", default=None,
                         help="context pixels, comma-separated: a count (10, 100, 1000, ...) or half (the top rows) "
                              "(default: 10,100,1000,half, leaving out counts larger than the image)")
    inpaint.add_argument("--out", type=Path, required=True, help="folder for inpaint.png, interpolation.png, inpaint.json")
    inpaint.set_defaults(handler=_inpaint)


def _train(args: argparse.Namespace) -> int:
    from sirenkit.cli.main import _log_to
    from sirenkit.config import from_dict
    from sirenkit.io.run_dir import prepare_run_dir
    from sirenkit.prior.config import PriorConfig
    from sirenkit.prior.train import load_split, train_prior

    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(PriorConfig) if hasattr(args, f.name)}
    source = args.config or (args.out / "config.json" if args.resume else None)
    base = _saved_prior_config(source) if source else {}
    if args.resume and "model" in given and base.get("model") not in (None, given["model"]):
        raise ConfigError(f"--resume: {args.out} is a '{base['model']}' prior; drop --model or pass --model {base['model']}.")
    config = from_dict(PriorConfig, base | given, where="prior")
    train_faces, test_faces = load_split(config)  # bad data fails before a folder is made
    rank = int(os.environ.get("RANK", "0"))
    if rank == 0:
        out = prepare_run_dir(args.out, resume=args.resume, overwrite=args.overwrite)
        _log_to(out / "log.txt", quiet=args.quiet)
    result = train_prior(config, args.out, resume=args.resume, train_faces=train_faces, test_faces=test_faces)
    if rank == 0:
        m = result.metrics
        print(f"run folder: {args.out}")
        print("test MSE (pixels in [-1, 1]): " + ", ".join(f"{k[4:]} px {m[k]:.4f}" for k in m if k.startswith("mse_"))
              + f"; {int(m['steps'])} steps in {m['train_seconds']:.1f} s, peak memory {m['peak_rss_mib']:.0f} MiB")
    return 0


def _saved_prior_config(path: Path) -> dict:
    from sirenkit.errors import DataError

    if not path.is_file():
        raise ConfigError(f"{path}: no such config file; pass a config.json written by 'sirenkit prior train'.")
    saved = json.loads(path.read_text())
    if "prior" not in saved:
        raise DataError(f"{path}: is a '{saved.get('task', 'unknown')}' run config, not a prior's; "
                        "pass a config.json written by 'sirenkit prior train'.")
    return saved["prior"]


def _inpaint(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from sirenkit.prior.context import CONTEXT_CHOICES, eval_context
    from sirenkit.prior.inpaint import load_face_image, write_inpainting
    from sirenkit.prior.train import load_prior, load_split

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
    paths = write_inpainting(args.out, model, faces.astype(np.float32), specs, labels=labels)
    print(f"wrote {', '.join(str(p) for p in paths)}")
    report = json.loads(paths[-1].read_text())["mse"]
    for label, mse in report.items():
        print(f"{label}: " + ", ".join(f"{k[4:]} px MSE {v:.4f}" for k, v in mse.items()), file=sys.stdout)
    return 0
