"""The command table: `--help`/`--version` without torch, summaries from the registry, and one `--size`/`--out` everywhere."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from sirenkit.cli.commands import COMMANDS, TASK_COMMANDS
from sirenkit.cli.main import build_parser, main

NO_TORCH = """
import sys
from sirenkit.cli.main import main
try:
    code = main({argv!r})
except SystemExit as done:
    code = done.code
heavy = sorted(m for m in ("torch", "numpy", "scipy", "skimage", "trimesh", "matplotlib") if m in sys.modules)
print("IMPORTED", ",".join(heavy), "EXIT", code)
"""


@pytest.mark.parametrize("argv", [["--help"], ["--version"], []])
def test_help_and_version_import_no_torch(argv):
    done = subprocess.run([sys.executable, "-c", NO_TORCH.format(argv=argv)], capture_output=True, text=True, timeout=60)
    last = done.stdout.strip().splitlines()[-1]
    assert last == f"IMPORTED  EXIT {0 if argv else 2}", done.stdout + done.stderr
    if argv == ["--help"]:
        listed = done.stdout.split("positional arguments:")[1].split("options:")[0]
        assert [line.split()[0] for line in listed.splitlines()[2:] if line.startswith("    ") and not line.startswith("     ")] \
            == list(COMMANDS)


def test_task_summaries_match_the_registry():
    """The table is the registry's copy for `--help`: every task has its command, with its docstring's first line."""
    from sirenkit.tasks import TASKS

    for name, spec in TASKS.items():
        command = TASK_COMMANDS.get(name, name)
        assert command in COMMANDS, f"task '{name}' has no entry in cli.commands.COMMANDS"
        if name != "prior":  # the prior's command has its own summary, in cli.prior's terms
            assert COMMANDS[command].summary == spec.task.__doc__.strip().splitlines()[0], name


def _subparser(name: str) -> argparse.ArgumentParser:
    sub = next(a for a in build_parser([name])._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def _leaves(name: str) -> list[tuple[list[str], argparse.ArgumentParser]]:
    """(words before the options, parser) of every runnable command under `name` (`data list`, `data fetch`, ...)."""
    parser = _subparser(name)
    nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not nested:
        return [([name], parser)]
    return [([name, action], p) for action, p in nested[0].choices.items()]


def _required_positionals(parser: argparse.ArgumentParser) -> list[str]:
    return ["x" for a in parser._actions if not a.option_strings and a.nargs in (None, "+")
            and not isinstance(a, argparse._SubParsersAction)]


LEAVES = [leaf for name in COMMANDS for leaf in _leaves(name)]


@pytest.mark.parametrize(("words", "parser"), LEAVES, ids=[" ".join(w) for w, _ in LEAVES])
def test_size_and_out_mean_the_same_in_every_command(words, parser):
    base = [*words, *_required_positionals(parser)]
    options = {s for a in parser._actions for s in a.option_strings}
    top = build_parser([words[0]])
    if "--size" in options:
        one, two = top.parse_args([*base, "--size", "48"]), top.parse_args([*base, "--size", "48", "48"])
        assert one.size == two.size and one.size in (48, (48, 48))
    if "--out" in options:
        assert top.parse_args(base).out is None  # optional everywhere, with a named default in the help
        assert top.parse_args([*base, "--out", "somewhere"]).out == Path("somewhere")
        help_text = next(a.help for a in parser._actions if "--out" in a.option_strings)
        assert "default" in help_text


def test_every_sized_command_is_covered():
    """The walk above must reach the commands the issue names; a command losing --size fails here."""
    sized = {words[0] for words, p in LEAVES if any("--size" in a.option_strings for a in p._actions)}
    assert {"image", "video", "poisson", "blend", "fit-images", "prior-train", "render", "compare"} <= sized


def test_size_with_two_different_numbers_is_refused_where_the_aspect_is_kept(capsys):
    assert main(["image", "--size", "64", "80"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("sirenkit: error:") and "--size 80" in err and len(err.splitlines()) == 1
    assert build_parser(["video"]).parse_args(["video", "--size", "64", "80"]).size == (64, 80)
    assert main(["render", "x", "--size", "1", "2", "3"]) == 2
