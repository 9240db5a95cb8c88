"""Reading and writing video: MP4 (and anything ffmpeg decodes) through the imageio-ffmpeg wheel, or a folder of frames.

The imageio-ffmpeg wheel bundles its own ffmpeg binary, so no system ffmpeg is needed
(a dependency of sirenkit).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from sirenkit.budget import check_memory, grid_points
from sirenkit.errors import ConfigError, DataError

FRAME_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
VIDEO_BYTES_PER_VALUE = 9
"""Bytes a video fit holds per pixel and channel: the uint8 clip and its float32 training targets and reconstruction."""


def _ffmpeg():
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ConfigError("video needs the imageio-ffmpeg wheel; install it with 'pip install imageio-ffmpeg'.") from None
    return imageio_ffmpeg


def parse_frames(spec: str) -> tuple[int, int | None]:
    """'A:B' -> (A, B) with B exclusive, as a Python slice; '' -> every frame; 'A:' -> from A to the end."""
    if not spec:
        return 0, None
    start, sep, stop = spec.partition(":")
    try:
        a = int(start) if start else 0
        b = int(stop) if stop else None
    except ValueError:
        a, b, sep = -1, None, ""
    if not sep or a < 0 or (b is not None and b <= a):
        raise ConfigError(f"--frames '{spec}' is not a range A:B of frame numbers with 0 <= A < B (B exclusive); e.g. --frames 0:30.")
    return a, b


def load_video(source: str | Path, *, frames: str = "", size: tuple[int, int] = (0, 0)) -> tuple[np.ndarray, float]:
    """Frames as uint8 (T, H, W, C) and the frame rate (fps; 25 for a folder of frames).

    Args:
        source: a video file (MP4, ...) or a folder of equally sized image files, read in name order.
        frames: 'A:B' keeps frames A..B-1 (counted from 0); '' keeps all.
        size: (H, W) to resize every frame to (anti-aliased); 0 in one place keeps the aspect, (0, 0) keeps the size.

    Raises:
        DataError: missing/corrupt file, no frames, frames of different sizes in a folder.
        ConfigError: a frame range outside the clip, a bad size.
    """
    path = Path(source)
    start, stop = parse_frames(frames)
    if path.is_dir():
        kept, fps = _read_folder(path, start, stop), 25.0
    elif path.is_file():
        kept, fps = _read_file(path, start, stop)
    else:
        raise DataError(f"{path}: no such video file or frame folder; pass an MP4 file or a folder of PNG/JPEG frames.")
    total = kept.pop()
    if not kept or (stop is not None and stop > total):
        raise ConfigError(f"--frames '{frames}' is outside {path.name}, which has {total} frames (0:{total}); "
                          f"pick a range inside it, e.g. --frames 0:{min(total, 30)}.")
    video = np.stack(kept)
    if video.ndim == 3:
        video = video[..., None]
    return _resize(video, size), fps


def _read_file(path: Path, start: int, stop: int | None) -> tuple[list, float]:
    """Decode frames start..stop-1; the list ends with the number of frames read (to check the range)."""
    ffmpeg = _ffmpeg()
    kept: list = []
    count = 0
    try:
        reader = ffmpeg.read_frames(str(path))
        meta = next(reader)
        w, h = meta["size"]
        for raw in reader:
            if count >= start and (stop is None or count < stop):
                kept.append(np.frombuffer(raw, dtype=np.uint8).reshape(h, w, 3))
            count += 1
            if stop is not None and count >= stop:
                break
        reader.close()
    except (OSError, RuntimeError, StopIteration, KeyError, ValueError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot decode it as video ({message[:200]}); pass a valid MP4 file or a folder of frames.") from None
    if count == 0:
        raise DataError(f"{path}: holds no video frames; pass a valid MP4 file or a folder of frames.")
    return [*kept, count], float(meta.get("fps") or 25.0)


def _read_folder(path: Path, start: int, stop: int | None) -> list:
    import imageio.v3 as iio

    files = sorted(p for p in path.iterdir() if p.suffix.lower() in FRAME_SUFFIXES)
    if not files:
        raise DataError(f"{path}: the folder holds no frames ({', '.join(FRAME_SUFFIXES)}); pass a folder of images or an MP4 file.")
    kept = []
    first_shape = None
    for name in files[start:stop]:
        try:
            frame = np.asarray(iio.imread(name))
        except Exception as exc:  # imageio raises many types for a corrupt file
            raise DataError(f"{name}: cannot read this frame ({type(exc).__name__}); replace or remove it.") from None
        if frame.dtype != np.uint8:
            raise DataError(f"{name}: frame has dtype {frame.dtype}; save the frames as 8-bit PNG or JPEG.")
        first_shape = first_shape or frame.shape
        if frame.shape != first_shape:
            raise DataError(f"{path}: frames have different sizes ({files[start].name} is {first_shape}, {name.name} is {frame.shape}); "
                            "resize them all to one size, or pass an MP4.")
        kept.append(frame)
    return [*kept, len(files)]


def _resize(video: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from skimage.transform import resize

    h, w = int(size[0]), int(size[1])
    if h < 0 or w < 0:
        raise ConfigError(f"--size {h} {w}: sizes must be >= 0 (0 keeps the aspect), e.g. --size 64 160.")
    if h == 0 and w == 0:
        return video
    t, h0, w0, c = video.shape
    h = h or max(2, round(h0 * w / w0))
    w = w or max(2, round(w0 * h / h0))
    if (h, w) == (h0, w0):
        return video
    check_memory(f"{t} frames of {h}x{w} pixels", t * grid_points((h, w, c)) * VIDEO_BYTES_PER_VALUE,
                 fix="pass a smaller --size H W or fewer frames (--frames A:B).")
    out = np.empty((t, h, w, c), dtype=np.uint8)
    for i, frame in enumerate(video):
        resized = resize(frame.astype(np.float32) / 255.0, (h, w, c), anti_aliasing=h < h0 or w < w0)
        out[i] = np.rint(np.clip(resized, 0.0, 1.0) * 255.0)
    return out


def write_video(path: str | Path, frames: Iterable[np.ndarray], *, fps: float, size: tuple[int, int]) -> Path:
    """Stream uint8 (H, W, 3) frames into an H.264 MP4, atomically; odd sizes are padded by one edge pixel.

    Frames are consumed one at a time, so a long render never holds the whole video.
    """
    from sirenkit.io.run_dir import atomic_path

    ffmpeg = _ffmpeg()
    h, w = size
    ph, pw = h + h % 2, w + w % 2  # yuv420p needs even sizes
    path = Path(path)
    with atomic_path(path) as tmp:
        writer = ffmpeg.write_frames(str(tmp), (pw, ph), fps=fps, macro_block_size=1, codec="libx264", quality=8,
                                     output_params=["-f", "mp4"])
        writer.send(None)
        for frame in frames:
            frame = np.asarray(frame, dtype=np.uint8)
            if frame.shape[-1] == 1:
                frame = np.repeat(frame, 3, axis=-1)
            if (ph, pw) != (h, w):
                frame = np.pad(frame, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
            writer.send(np.ascontiguousarray(frame))
        writer.close()
    return path


def iter_video(path: str | Path) -> Iterator[np.ndarray]:
    """Decoded uint8 (H, W, 3) frames of a video file, one at a time."""
    ffmpeg = _ffmpeg()
    reader = ffmpeg.read_frames(str(path))
    w, h = next(reader)["size"]
    for raw in reader:
        yield np.frombuffer(raw, dtype=np.uint8).reshape(h, w, 3)
