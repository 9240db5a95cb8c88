"""The `sirenkit` command: one flat subcommand per task (from TASKS), plus render, info, mesh, compare, inpaint, ...

A thin layer: every command is one or two API calls. Flags are generated from the config
dataclasses (`cli.flags`), so `--help` shows the same text as the docstrings under each field.
The top-level parser comes from the command table (`cli.commands`) without importing torch; only
the command on the line gets its full parser.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import signal
import sys
import threading
import traceback
from collections.abc import Iterable, Sequence

from sirenkit.cli.commands import COMMANDS
from sirenkit.cli.flags import OMEGA_HELP, PROG, Parser, UsageError
from sirenkit.errors import SirenkitError

RENAMED = {("prior", "train"): ["prior-train"], ("prior", "inpaint"): ["inpaint"], ("compare", "image"): ["compare"]}
"""Two-level commands before 0.2 -> their flat names; the old forms still work for one release, with a warning."""

__all__ = ["UsageError", "build_parser", "main"]


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The `sirenkit` parser with the full parsers of `commands` (None: all of them) and one-line stubs for the rest.

    `main` builds only the command on the line, so `sirenkit --help` imports no torch.
    """
    full = set(COMMANDS) if commands is None else set(commands)
    parser = Parser(prog=PROG, description="Implicit neural representations with periodic activations (SIREN).",
                    epilog=f"{OMEGA_HELP}\n\nExamples:\n  sirenkit image --steps 300 --size 128\n"
                           "  sirenkit render runs/image-camera --size 1024 1024 --out camera_1024.png\n\n"
                           "'sirenkit COMMAND --help' shows a command's options.",
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors (also accepted after the command)")
    parser.add_argument("--version", action="version", version=f"{PROG} {importlib.metadata.version('sirenkit')}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for name, command in COMMANDS.items():
        if name in full:
            command.add_parser(sub, name)
        else:
            sub.add_parser(name, help=command.summary, add_help=False)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand on the line: the first word that is not an option (the top level has no option with a value)."""
    return next((a for a in argv if not a.startswith("-")), None)


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
        args = build_parser([c for c in [_command(argv)] if c in COMMANDS]).parse_args(argv)
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
