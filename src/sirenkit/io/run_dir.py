"""Run folders: atomic writes, refusing to clobber an earlier run, metrics files."""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sirenkit.errors import ConfigError


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `path`; on success it replaces `path` in one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path: Path, data: Any) -> Path:
    """Write JSON atomically; non-finite floats become null so any JSON reader accepts the file."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_finite(data), indent=2) + "\n")
    return path


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line (metrics.jsonl)."""
    with path.open("a") as f:
        f.write(json.dumps(_finite(record)) + "\n")


def _finite(data: Any) -> Any:
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def prepare_run_dir(out: str | Path, *, resume: bool = False, overwrite: bool = False) -> Path:
    """Create the run folder; refuse a non-empty one unless resuming or overwriting (never a prompt)."""
    out = Path(out)
    if resume and overwrite:
        raise ConfigError("--resume and --overwrite contradict each other; pass only one.")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; pass a folder path.")
    if resume:
        if not (out / "checkpoint.pt").is_file():
            raise ConfigError(f"--resume: {out} holds no checkpoint.pt; start a new run without --resume.")
        return out
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise ConfigError(f"--out {out} is not empty; pass --resume to continue that run, "
                              "--overwrite to replace it, or choose another folder.")
        for name in RUN_FILES:
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    return out


RUN_FILES = ("config.json", "metrics.jsonl", "metrics.json", "checkpoint.pt", "model.safetensors",
             "reconstruction.png", "panel.png", "log.txt", "blend.png", "naive.png", "comparison.png",
             "normalization.json", "mesh.ply", "mesh.obj", "mesh.png", "sdf_slices.png",
             "reconstruction.wav", "waveform.png", "spectrogram.png", "audio.json",
             "reconstruction.mp4", "frames.png", "frame_psnr.png", "video.json")
