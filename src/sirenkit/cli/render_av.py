"""`sirenkit render` for audio and video runs: any sample rate or duration, any frame size or frame count."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from torch import nn

from sirenkit.errors import ConfigError


def _run_meta(run: Path, name: str) -> dict:
    """The clip description (audio.json / video.json) written by the task's export, or {} for a bare model file."""
    path = (run if run.is_dir() else run.parent) / name
    return json.loads(path.read_text()) if path.is_file() else {}


def render_audio_run(args: argparse.Namespace, field: nn.Module) -> int:
    """Write the audio field as WAV/FLAC/OGG; the clip's span at --sample-rate over --duration-s."""
    from sirenkit.io.audio import save_audio
    from sirenkit.tasks.audio import AUDIO_FILE, render_audio

    meta = _run_meta(args.run, AUDIO_FILE)
    rate = args.sample_rate or meta.get("sample_rate")
    if not rate or rate < 1:
        raise ConfigError(f"{args.run} has no {AUDIO_FILE} with the clip's sample rate; pass --sample-rate HZ (>= 1), e.g. 44100.")
    duration = args.duration_s if args.duration_s is not None else meta.get("duration_s")
    if not duration or duration <= 0:
        raise ConfigError(f"{args.run} has no {AUDIO_FILE} with the clip's duration; pass --duration-s SECONDS (> 0).")
    if args.out.suffix.lower() not in (".wav", ".flac", ".ogg"):
        raise ConfigError(f"--out {args.out}: give an audio file name ending in .wav (or .flac, .ogg).")
    if args.chunk_size < 1:
        raise ConfigError(f"--chunk-size {args.chunk_size} must be >= 1, e.g. 16384.")
    num_samples = max(2, round(duration * rate))
    samples = render_audio(field, num_samples, chunk_size=args.chunk_size) * float(meta.get("scale", 1.0))
    save_audio(args.out, samples, rate)
    print(f"wrote {args.out} ({num_samples} samples at {rate} Hz, {samples.shape[1]} channel(s))")
    return 0


def render_video_run(args: argparse.Namespace, field: nn.Module) -> int:
    """Write the video field as MP4, frame by frame: --frames over the clip's span, at --size and --fps."""
    from sirenkit.io.video import write_video
    from sirenkit.tasks.video import VIDEO_FILE, render_video_frames

    meta = _run_meta(args.run, VIDEO_FILE)
    size = tuple(args.size) if args.size else (meta.get("height"), meta.get("width"))
    frames = args.frames or meta.get("frames")
    fps = args.fps or meta.get("fps", 25.0)
    if not all(size) or min(size) < 1:
        raise ConfigError(f"--size {size}: pass --size H W with both >= 1 (the run has no {VIDEO_FILE} to take the size from).")
    if not frames or frames < 1:
        raise ConfigError(f"--frames {frames}: pass the number of frames to render (>= 1), e.g. --frames 100.")
    if fps <= 0:
        raise ConfigError(f"--fps {fps} must be > 0, e.g. --fps 25.")
    if args.out.suffix.lower() != ".mp4":
        raise ConfigError(f"--out {args.out}: give a video file name ending in .mp4.")
    if args.chunk_size < 1:
        raise ConfigError(f"--chunk-size {args.chunk_size} must be >= 1, e.g. 16384.")
    rendered = (np.rint(frame * 255.0).astype(np.uint8) for frame in
                render_video_frames(field, frames, size, chunk_size=args.chunk_size))
    write_video(args.out, rendered, fps=fps, size=size)
    print(f"wrote {args.out} ({frames} frames of {size[0]}x{size[1]} at {fps:g} fps)")
    return 0
