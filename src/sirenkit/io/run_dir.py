"""Durable writes for run folders: atomic replace with fsync, JSON and JSON-lines files.

The names of a run folder's files, and the folder's life cycle (prepare, lock, manifest), belong
to `sirenkit.runs`; this module only knows how to write a file so that a kill or a power cut
leaves either the old file or the new one, never a half-written one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TMP_MARK = ".tmp"
"""Temporary siblings are named ``.NAME.tmpPID``; `stale_temporaries` finds those of dead processes."""


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `path`; on success it is fsynced and replaces `path` in one rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # as an ordinary new file: some writers (safetensors) create theirs 0600
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened for fsync
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def stale_temporaries(folder: Path) -> list[Path]:
    """Temporary files (``.NAME.tmpPID``) in `folder` whose writing process no longer runs."""
    found = []
    for path in Path(folder).glob(f".*{TMP_MARK}*"):
        pid = path.name.rpartition(TMP_MARK)[2]
        if pid.isdigit() and not pid_alive(int(pid)):
            found.append(path)
    return found


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (on this machine)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True


def write_json(path: Path, data: Any) -> Path:
    """Write JSON atomically; non-finite floats become null so any JSON reader accepts the file."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_finite(data), indent=2) + "\n")
    return path


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line (metrics.jsonl); a kill can tear only this last line, which `read_jsonl` skips."""
    with path.open("a") as f:
        f.write(json.dumps(_finite(record)) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines file; a line cut by a kill (or any unreadable line) is skipped with a warning."""
    records = []
    if not path.is_file():
        return records
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            log.warning("%s: line %d is cut or damaged (an interrupted write); it is dropped", path, number)
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    """Rewrite a JSON-lines file atomically (used to drop the lines a resumed run will write again)."""
    with atomic_path(path) as tmp:
        tmp.write_text("".join(json.dumps(_finite(r)) + "\n" for r in records))
    return path


def _finite(data: Any) -> Any:
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def __getattr__(name: str) -> Any:
    if name in ("prepare_run_dir", "RUN_FILES"):  # moved to sirenkit.runs; alias kept for one release
        import importlib
        import warnings

        runs = importlib.import_module("sirenkit.runs")
        new = {"prepare_run_dir": "prepare", "RUN_FILES": "LEGACY_FILES"}[name]
        warnings.warn(f"sirenkit.io.run_dir.{name} moved to sirenkit.runs.{new}; the old name goes in the next release.",
                      FutureWarning, stacklevel=2)
        return getattr(runs, new)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
