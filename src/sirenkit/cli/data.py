"""`sirenkit data list` and `sirenkit data fetch NAME|all`: the real data files, downloaded with their sha256 checked."""

from __future__ import annotations

import argparse

from sirenkit.cli.commands import COMMANDS


def add_data_parser(sub: argparse._SubParsersAction, name: str = "data") -> None:
    """Add the `data` command (subcommands `list` and `fetch`) to the top-level parser's subparsers."""
    data = sub.add_parser(
        name, help=COMMANDS[name].summary,
        description="The real data files of the README examples and benchmarks, each checked against its sha256. "
                    "They live in $SIRENKIT_DATA when it is set, else in the user cache directory.",
        epilog="Examples:\n  sirenkit data list\n  sirenkit data fetch audio/gt_bach.wav\n  sirenkit data fetch meshes\n"
               "  sirenkit data fetch all",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = data.add_subparsers(dest="data_command", metavar="ACTION", parser_class=type(data))
    actions.required = True
    listing = actions.add_parser("list", help="every data file: name, whether it is here, origin",
                                 description="Print every registered data file, whether it is in the data folder, and its origin.")
    listing.set_defaults(handler=_list)
    fetch = actions.add_parser("fetch", help="download data files (a name, a folder such as 'audio', or 'all')",
                               description="Download data files into the data folder and check their sha256; files already "
                                           "there are checked, not downloaded again.",
                               epilog="Examples:\n  sirenkit data fetch audio/gt_bach.wav\n  sirenkit data fetch all",
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    fetch.add_argument("names", nargs="+", metavar="NAME", help="a file name from `sirenkit data list`, a folder (audio, video, "
                                                                "meshes, faces, helmholtz, images/div2k16) or all")
    fetch.set_defaults(handler=_fetch)


def _list(args: argparse.Namespace) -> int:
    from sirenkit.data import REGISTRY, data_dir

    root = data_dir()
    print(f"data folder: {root}")
    width = max(len(name) for name in REGISTRY)
    for entry in REGISTRY.values():
        here = "here   " if (root / entry.name).is_file() else "missing"
        origin = f"{entry.url} ({entry.member})" if entry.member else entry.url
        print(f"{entry.name:<{width}}  {here}  {entry.description}; from {origin}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from sirenkit.data import data_dir, fetch, select

    for name in args.names:
        select(name)  # every name is checked before anything is downloaded
    print(f"data folder: {data_dir()}")
    for name in args.names:
        for entry in select(name):
            print(f"ok {fetch(entry.name)[0]}")
    return 0
