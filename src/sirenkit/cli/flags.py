"""Command-line plumbing shared by every subcommand: the parser, dataclass -> flags, logging, the config merge.

The precedence of a run's settings is written once, here (`merge_run_config`):
command-line flags > --config JSON (partial, merged over) > the task's presets > the defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sirenkit.config import RESUMABLE, FieldConfig, FitConfig, field_docs, same_setting
from sirenkit.errors import ConfigError

PROG = "sirenkit"
OMEGA_HELP = (
    "omega_0: each sine layer computes sin(omega_0 * (W x + b)). The first layer's omega_0 sets the "
    "highest frequency the field starts with (30 for images with coordinates in [-1, 1]; 3000 for audio); "
    "too low blurs detail, too high gives noise between samples."
)
DEVICE_HELP = "auto (cuda when available, else cpu), cpu, cuda or mps (Apple GPUs, where PyTorch has it) (default: auto)"
PRECEDENCE = "Precedence: command-line flags > --config run.json (a partial JSON merges over) > the task's presets > defaults."
RESUME_HELP = ("continue the run in --out from its checkpoint, on the schedule it was started with: a changed --steps "
               "(or any other setting but --device, --max-seconds, --target-psnr, --log-every, --eval-every, --save-every) "
               "is refused; to train longer, start a new run with --config RUN/config.json --steps N")
CLI_FIT_DEFAULTS = {"tune_allocator": True}
"""The CLI owns its process, so it tunes the CPU allocator (the API does not unless asked)."""


class UsageError(ConfigError):
    """Bad command-line usage, reported as one line with exit code 2."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become one `sirenkit: error:` line (exit 2), never a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


SIMPLE_TYPES = ("int", "float", "str", "bool", "tuple[int, int]", "tuple[float, float]")


def add_dataclass_flags(parser: argparse.ArgumentParser, cls: type, title: str, *, skip: Sequence[str] = (),
                        defaults: object = None) -> None:
    """One flag per simple field of dataclass `cls` (its docstring is the help); absent flags stay absent."""
    group = parser.add_argument_group(title)
    docs = field_docs(cls)
    defaults = defaults or cls()
    for f in dataclasses.fields(cls):
        if f.name in skip or f.type not in SIMPLE_TYPES:
            continue
        default = getattr(defaults, f.name)
        help_text = f"{docs.get(f.name, '')} (default: {default})"
        if f.name == "size":
            add_size_flag(group, pair=f.type.startswith("tuple["), default=argparse.SUPPRESS, help_text=help_text)
        elif f.type.startswith("tuple["):  # two numbers; the docstring starts with their names, e.g. "X Y: ..."
            group.add_argument(flag(f.name), dest=f.name, type=int if "int" in f.type else float, nargs=2,
                               default=argparse.SUPPRESS, help=help_text, metavar=tuple(docs.get(f.name, "A B").split(":")[0].split()[:2]))
        elif f.type == "bool":
            group.add_argument(flag(f.name), dest=f.name, action=argparse.BooleanOptionalAction,
                               default=argparse.SUPPRESS, help=help_text)
        else:
            kind = {"int": int, "float": float, "str": str}[f.type]
            group.add_argument(flag(f.name), dest=f.name, type=kind, default=argparse.SUPPRESS, help=help_text,
                               metavar=f.name.upper() if kind is str else kind.__name__.upper())


class SizeAction(argparse.Action):
    """`--size N` or `--size H W`, in every command: N means N N, so both forms give the same result.

    A command whose size is one number (the longer side, aspect kept) takes H W only when H = W, and says so otherwise.
    """

    def __init__(self, option_strings: Sequence[str], dest: str, *, pair: bool, **kwargs: Any) -> None:
        self.pair = pair
        super().__init__(option_strings, dest, nargs="+", type=int, metavar=("H", "W"), **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        if len(values) > 2:
            raise argparse.ArgumentError(self, f"expected N or H W, got {len(values)} numbers ({' '.join(map(str, values))})")
        h, w = values if len(values) == 2 else (values[0], values[0])
        if self.pair:
            setattr(namespace, self.dest, (h, w))
        elif h == w:
            setattr(namespace, self.dest, h)
        else:
            raise argparse.ArgumentError(self, f"{h} {w}: this command keeps the picture's aspect, so --size is one number, "
                                               f"its longer side (--size {max(h, w)}; --size N N means the same as --size N)")


def add_size_flag(group: argparse._ActionsContainer, *, pair: bool, default: Any, help_text: str) -> None:
    """The one `--size` flag: N or H W (see SizeAction)."""
    forms = "N or H W (N = N N)" if pair else "N, the longer side (--size N N is the same)"
    group.add_argument("--size", dest="size", action=SizeAction, pair=pair, default=default,
                       help=f"{forms}: {help_text.removeprefix('H W: ')}")


def add_run_flags(parser: argparse.ArgumentParser, default_out: str, *, loss_weights: Mapping[str, float] | None = None) -> None:
    """--out, --config, --resume, --overwrite, --quiet (and, given the task's default `loss_weights`, --loss-weight), the
    same for every training command."""
    run = parser.add_argument_group("run folder")
    run.add_argument("--out", type=Path, default=None, help=f"run folder (default: {default_out})")
    run.add_argument("--config", type=Path, default=None,
                     help="start from this config.json; a partial one ({\"fit\": {\"steps\": 5}}) merges over the presets (flags win)")
    run.add_argument("--resume", action="store_true", help=RESUME_HELP)
    run.add_argument("--overwrite", action="store_true", help="replace the run already in --out (removes exactly its files)")
    run.add_argument("--quiet", action="store_true", help="no progress bar or info messages")
    run.add_argument("--tensorboard", action="store_true",
                     help="also write RUN/tensorboard/: every loss term, the metrics, the fit's images and the config "
                          "(pip install 'sirenkit[tensorboard]'; watch with tensorboard --logdir runs/)")
    if loss_weights:
        terms = ", ".join(f"{name} {weight:g}" for name, weight in loss_weights.items())
        example = next(iter(loss_weights))
        run.add_argument("--loss-weight", action="append", default=[], metavar="NAME=VALUE", dest="loss_weight",
                         help=f"weight of one loss term, repeatable (e.g. --loss-weight {example}=1); the other terms keep "
                              f"theirs. Terms and default weights: {terms}")


def parse_loss_weights(items: Sequence[str]) -> dict[str, float]:
    """['eikonal=50', ...] -> {'eikonal': 50.0}; ConfigError naming a malformed item."""
    weights = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise UsageError(f"--loss-weight {item!r}: write NAME=VALUE, e.g. --loss-weight eikonal=50.")
    return weights


def read_config_json(path: Path) -> dict[str, Any]:
    """A --config file as a dict: a whole run config.json or any part of one."""
    if not path.is_file():
        raise ConfigError(f"--config {path}: no such file; pass a run's config.json or a JSON file such as {{\"fit\": {{\"steps\": 5}}}}.")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--config {path}: not valid JSON ({exc}); fix the file or start from a run's config.json.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"--config {path}: expected a JSON object with task_config, field and fit, got {type(data).__name__}.")
    from sirenkit.runs import upgrade_config

    data = upgrade_config(data)
    unknown = sorted(set(data) - {"task", "task_config", "field", "fit", "versions"})
    if unknown:
        raise ConfigError(f"--config {path}: unknown key '{unknown[0]}'; a run config has task, task_config, field and fit.")
    for key in ("task_config", "field", "fit"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise ConfigError(f"--config {path}: '{key}' must be a JSON object, got {type(data[key]).__name__}.")
    return data


def merge_run_config(task: str, args: argparse.Namespace, config_cls: type, *, field_presets: dict | None,
                     fit_presets: dict | None, base: dict[str, Any] | None = None, task_cls: type | None = None) -> dict[str, dict]:
    """The task, field and fit dicts of a run: defaults < presets < `base` (--config, or the resumed run) < flags.

    `field_presets` None means the run has no FieldConfig (prior, image set); `fit_presets` None no FitConfig flags.
    When the settings pick a variant of `task_cls` (`protocols.variant_class`, e.g. --method hybrid), that
    variant's presets replace the task's.
    """
    from sirenkit.protocols import merge_loss_weights, presets, variant_class

    given = vars(args)
    base = base or {}
    if base.get("task") not in (None, task):
        raise ConfigError(f"{args.config or args.out} is a '{base['task']}' run config; use 'sirenkit {base['task']}' with it.")

    def merged(cls: type, start: dict, part: dict | None, skip: Sequence[str] = ()) -> dict:
        names = {f.name for f in dataclasses.fields(cls)} - set(skip)
        return start | dict(part or {}) | {k: given[k] for k in names if k in given}

    defaults = dataclasses.asdict(config_cls())
    base_task = {k: v for k, v in (base.get("task_config") or {}).items() if k != "loss_weights"}
    task_dict = merged(config_cls, defaults, base_task)
    if task_cls is not None:
        variant = variant_class(task_cls, task_dict)
        defaults |= getattr(variant, "config_presets", {})
        task_dict = merged(config_cls, defaults, base_task)
        variant_field, variant_fit = presets(variant)
        field_presets = None if field_presets is None else variant_field
        fit_presets = None if fit_presets is None else variant_fit
    if "loss_weights" in defaults:
        weights = merge_loss_weights(defaults["loss_weights"], (base.get("task_config") or {}).get("loss_weights"), task=task)
        task_dict["loss_weights"] = merge_loss_weights(weights, parse_loss_weights(getattr(args, "loss_weight", [])), task=task)
    elif getattr(args, "loss_weight", []):
        raise ConfigError(f"the {task} command has no --loss-weight; its loss weights are its own options (see --help).")
    result = {"task_config": task_dict}
    if field_presets is not None:
        start = dataclasses.asdict(FieldConfig()) | field_presets
        result["field"] = merged(FieldConfig, start, base.get("field"), skip=("in_features", "out_features"))
    if fit_presets is not None:
        result["fit"] = merged(FitConfig, dataclasses.asdict(FitConfig()) | CLI_FIT_DEFAULTS | fit_presets, base.get("fit"))
    return result


def refuse_changes(out: Path, saved: dict[str, Any], now: dict[str, Any]) -> None:
    """--resume: one line naming the first setting that differs from the run's config.json, and how to go on."""
    for part in ("task_config", "field", "fit"):
        old, new = saved.get(part) or {}, now.get(part) or {}
        for key in new:
            if key in RESUMABLE or key not in old or same_setting(old[key], new[key]):
                continue
            if key == "steps":
                raise ConfigError(f"--resume continues {out} on the schedule it was started with ({old[key]} steps), so "
                                  f"--steps {new[key]} is refused; to train for {new[key]} steps start a new run: "
                                  f"--config {out / 'config.json'} --steps {new[key]} --out NEW_FOLDER.")
            if key == "model":
                raise ConfigError(f"--resume: {out} is a '{old[key]}' prior; drop --model or pass --model {old[key]}.")
            raise ConfigError(f"--resume continues {out} as it was started, but {flag(key)} changed ({old[key]} -> {new[key]}); "
                              f"drop {flag(key)}, or start a new run with --config {out / 'config.json'} and the new value.")


def log_to(path: Path, *, quiet: bool) -> None:
    """Log sirenkit's messages to the run's log.txt, and warnings to stderr unless quiet."""
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
