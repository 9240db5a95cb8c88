"""`sirenkit view RUN [RUN ...]`: serve the viewer page for run folders and open it in the browser."""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path

from sirenkit.cli.commands import COMMANDS
from sirenkit.errors import ConfigError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def add_view_parser(subparsers: argparse._SubParsersAction, name: str = "view") -> None:
    """The `view` subcommand."""
    p = subparsers.add_parser(
        name, help=COMMANDS[name].summary,
        description="Serve a local, read-only page for one or more run folders (side by side). It renders tiles, "
                    "audio and slices from each saved field on demand and shows metrics.jsonl as it grows, so it "
                    "also works on a run that is still training. Works offline.",
        epilog="Examples:\n  sirenkit view runs/image-camera\n  sirenkit view runs/image-camera runs/image-camera-2 --port 8001\n"
               "  sirenkit view runs/sdf-bunny --no-browser",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", type=Path, nargs="+", metavar="RUN", help="run folder(s) written by a sirenkit command")
    p.add_argument("--port", type=int, default=8000, help="TCP port; 0 picks a free one (default: 8000)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0 shares the page with your network)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser, only print the address")
    p.set_defaults(handler=run_view)


def run_view(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C."""
    from sirenkit.view import ViewServer

    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port} must be in 0..65535, e.g. --port 8000 (0 picks a free port).")
    for run in args.runs:
        if not run.is_dir():
            raise ConfigError(f"{run}: not a folder; pass run folders written by a sirenkit command, e.g. runs/image-camera.")
    try:
        server = ViewServer(args.runs, host=args.host, port=args.port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {args.host}:{args.port} ({exc.strerror}); pass another --port, e.g. --port 0.") from None
    reach = "this machine only" if args.host in LOCAL_HOSTS else "REACHABLE FROM THE NETWORK (read-only)"
    print(f"sirenkit view: serving {len(args.runs)} run(s) at {server.url} on {args.host}, {reach}; Ctrl-C stops", flush=True)
    if not args.no_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("sirenkit view: stopped")
    finally:
        server.server_close()
    return 0
