"""Reading and writing audio files (WAV, FLAC, OGG, ... through libsndfile via soundfile)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from sirenkit.errors import DataError


def load_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Samples as float32 (N, C) at the file's own rate, and that rate in Hz.

    Integer formats are scaled to [-1, 1] by soundfile; channels are kept (no down-mix).

    Raises:
        DataError: missing file, a file libsndfile cannot decode, no samples, or NaN/inf samples.
    """
    import soundfile

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such audio file; check the path (WAV, FLAC or OGG).")
    try:
        samples, sample_rate = soundfile.read(path, dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises LibsndfileError, RuntimeError or TypeError for bad files
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: cannot read it as audio ({message}); pass a WAV, FLAC or OGG file.") from None
    _check_complete(path, soundfile.info(path).extra_info)
    if len(samples) < 2:
        raise DataError(f"{path}: holds {len(samples)} audio sample(s); a fit needs at least 2. Pass a non-empty recording.")
    if not np.isfinite(samples).all():
        raise DataError(f"{path}: holds NaN or inf samples; clean the file (e.g. re-export it as 16-bit PCM).")
    return samples, int(sample_rate)


def _check_complete(path: Path, log: str) -> None:
    """DataError when libsndfile's log says a chunk is longer than the file holds (a recording cut short)."""
    match = re.search(r"^\s*data\s*:\s*(\d+)\s*\(should be (\d+)\)", log, re.MULTILINE)
    if match and int(match[2]) < int(match[1]) < 0xFFFFFFFF:  # 0xFFFFFFFF (or 0) marks a streamed WAV of unknown length
        raise DataError(f"{path}: the file is cut short: its header declares {int(match[1])} bytes of samples but it holds "
                        f"{int(match[2])}; copy or export the recording again.")


def save_audio(path: str | Path, samples: np.ndarray, sample_rate: int) -> Path:
    """Write (N,) or (N, C) float samples at `sample_rate` Hz, atomically; 32-bit float WAV for .wav."""
    import soundfile

    from sirenkit.io.run_dir import atomic_path

    path = Path(path)
    kind = path.suffix.lstrip(".").upper() or "WAV"
    subtype = "FLOAT" if kind == "WAV" else None
    with atomic_path(path) as tmp:
        soundfile.write(tmp, np.asarray(samples, dtype=np.float32), int(sample_rate), subtype=subtype, format=kind)
    return path
