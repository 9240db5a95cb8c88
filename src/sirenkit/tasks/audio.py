"""Audio fitting: time in [-1, 1] -> normalised amplitude, one output per channel (paper Sec. 3.1, Fig. 3).

About omega_0: the reference code (vsitzmann/siren, ``ImplicitAudioWrapper``) keeps omega_0 = 30
and stretches time to [-100, 100]. A first layer sin(30 * (W * 100 t + b)) equals
sin(3000 * (W t + b / 100)): with time in [-1, 1] and first_omega_0 = 3000 the network, its
frequencies at init (W ~ U(-1, 1) for one input) and the function family are the same; only the
first bias is parametrised 100x smaller, which changes its Adam step, not what can be fitted.
The official Colab uses first_omega_0 = 3000 on [-1, 1] directly, as here.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from sirenkit.config import check_positive
from sirenkit.errors import ConfigError, DataError
from sirenkit.io.audio import load_audio, save_audio
from sirenkit.io.run_dir import write_json
from sirenkit.plots import save_spectrogram, save_waveform
from sirenkit.protocols import merge_loss_weights
from sirenkit.render import (
    AUDIO_SUFFIXES,
    DEFAULT_CHUNK_SIZE,
    check_chunk_size,
    check_render_budget,
    check_render_out,
    evaluate_grid,
    field_channels,
    run_metadata,
)
from sirenkit.samplers import GridSampler, grid
from sirenkit.tasks.base import ValueFit

log = logging.getLogger(__name__)

AUDIO_FILE = "audio.json"
"""Sample rate, length, channels and amplitude scale of a fitted clip, written beside the model for `render`."""

LOSS_WEIGHTS = {"mse": 1.0}
"""Default weight of each loss term: the audio task has one, 'mse' on the normalised signal."""


@dataclass
class AudioConfig:
    """What audio clip to fit."""

    source: str = ""
    """Audio file: WAV, FLAC or OGG, mono or multi-channel, any sample rate."""
    chunk_size: int = DEFAULT_CHUNK_SIZE
    """Samples per forward pass when evaluating and exporting (bounds memory)."""
    loss_weights: dict[str, float] = field(default_factory=lambda: dict(LOSS_WEIGHTS))
    """Weight of each loss term; the audio task has one, 'mse' on the normalised signal."""

    def __post_init__(self) -> None:
        check_positive(self, "chunk_size")
        self.loss_weights = merge_loss_weights(LOSS_WEIGHTS, self.loss_weights, task="audio")


class AudioTask(ValueFit):
    """Fit an audio clip: time in [-1, 1] -> amplitude / max|amplitude|; metrics MSE and SNR (dB).

    The amplitude scale (max |sample|) is kept and restored in reconstruction.wav. Long clips
    train on random time mini-batches (``batch_size``); evaluation is always full length, chunked.

    Example:
        >>> t = np.linspace(0, 0.2, 1600, dtype=np.float32)
        >>> task = AudioTask(np.sin(2 * np.pi * 440 * t), sample_rate=8000)
        >>> task.samples.shape, task.scale
        ((1600, 1), 1.0)
    """

    name = "audio"
    in_features = 1
    field_presets: ClassVar[dict[str, float]] = {"first_omega_0": 3000.0, "weight_scale": 2.0}
    """FieldConfig defaults for audio: first_omega_0 = 3000 with time in [-1, 1] (see the module docstring), and weight
    scaling 2.0, chosen on Bach over three seeds and checked on the counting clip and on samples held out between the
    training ones (docs/convergence.md, audio). On images a larger α trades the values between the samples for speed;
    on these clips the held-out samples stayed as close as the trained ones. A scratch fit with 8192 samples per step
    failed to converge at α = 2.0: with a smaller batch, `--weight-scale 1.5` is the safer start."""
    fit_presets: ClassVar[dict[str, float | int]] = {"steps": 950, "lr": 3e-4, "batch_size": 16384, "eval_every": 250}
    """FitConfig defaults for audio: 16384 random samples per step at lr 3e-4 (cosine), 950 steps. The reference
    train_audio.py steps on the whole clip at lr 1e-4 (`--batch-size 0 --lr 1e-4`): a step then costs some twenty of
    these, and in the same seconds it ends far higher on Bach and on the counting clip (docs/convergence.md, audio)."""
    cli_examples: ClassVar[tuple[str, ...]] = (
        "sirenkit audio clip.wav --steps 500 --out runs/audio-clip",
        "sirenkit audio voice.flac --steps 300 --hidden-features 128 --batch-size 0",
    )

    def __init__(self, samples: np.ndarray, *, sample_rate: int, config: AudioConfig | None = None) -> None:
        samples = np.asarray(samples, dtype=np.float32)
        if samples.ndim == 1:
            samples = samples[:, None]
        if samples.ndim != 2 or len(samples) < 2 or samples.shape[1] < 1:
            raise ConfigError(f"audio samples have shape {samples.shape}; expected (N,) or (N, channels) with N >= 2.")
        if not np.isfinite(samples).all():
            raise ConfigError("audio samples hold NaN or inf values; pass finite samples.")
        if int(sample_rate) < 1:
            raise ConfigError(f"sample_rate={sample_rate} must be a positive number of Hz, e.g. 44100.")
        peak = float(np.abs(samples).max())
        if peak == 0.0:
            raise DataError(f"{(config.source if config else '') or 'the audio'} is pure silence; there is nothing to fit.")
        self.config = config or AudioConfig()
        self.samples = samples
        self.sample_rate = int(sample_rate)
        self.scale = peak
        self.out_features = samples.shape[1]
        self.loss_weights = dict(self.config.loss_weights)
        self._sampler = GridSampler(grid((len(samples),)), torch.from_numpy(samples / peak))

    @classmethod
    def from_config(cls, config: AudioConfig) -> AudioTask:
        if not config.source:
            raise ConfigError("no audio file given; pass one, e.g. 'sirenkit audio clip.wav --out runs/clip'.")
        samples, sample_rate = load_audio(config.source)
        return cls(samples, sample_rate=sample_rate, config=config)

    @classmethod
    def from_file(cls, path: str | Path) -> AudioTask:
        """Task for a WAV/FLAC/OGG file."""
        return cls.from_config(AudioConfig(source=str(path)))

    @property
    def values(self) -> Tensor:
        """The normalised signal, (N, C) in [-1, 1]."""
        return self._sampler.target

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate

    def reconstruct(self, field: nn.Module) -> np.ndarray:
        """The fitted normalised signal at the clip's samples, (N, C)."""
        return render_audio(field, len(self.samples), chunk_size=self.config.chunk_size)

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        return audio_metrics(self.reconstruct(field), self.samples / self.scale)

    @classmethod
    def render(cls, field: nn.Module, run: str | Path, *, out: str | Path, sample_rate: int | None = None,
               duration_s: float | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE, allow_large: bool = False) -> list[Path]:
        """The clip's time span as `out` (WAV, FLAC or OGG) at `sample_rate` over `duration_s` seconds.

        Both default to the clip's, read from `AUDIO_FILE` in `run`; twice the rate over the same
        duration upsamples, a longer duration at the same rate slows the clip down.
        """
        if sample_rate is not None and not sample_rate >= 1:  # a given 0 is a mistake, not "the clip's"
            raise ConfigError(f"--sample-rate {sample_rate} must be >= 1 Hz, e.g. 44100 (leave it out for the clip's rate).")
        if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
            raise ConfigError(f"--duration-s {duration_s} must be a finite number of seconds > 0 (leave it out for the clip's).")
        meta = run_metadata(run, AUDIO_FILE)
        rate = sample_rate if sample_rate is not None else meta.get("sample_rate")
        if not isinstance(rate, (int, float)) or not rate >= 1:
            raise ConfigError(f"{run} has no {AUDIO_FILE} with the clip's sample rate; pass --sample-rate HZ (>= 1), e.g. 44100.")
        duration = duration_s if duration_s is not None else meta.get("duration_s")
        if not isinstance(duration, (int, float)) or not (math.isfinite(duration) and duration > 0):
            raise ConfigError(f"{run} has no {AUDIO_FILE} with the clip's duration; pass --duration-s SECONDS (> 0).")
        rate = int(rate)
        out = check_render_out(out, AUDIO_SUFFIXES, "an audio")
        num_samples = max(2, round(duration * rate))
        check_render_budget(field, num_samples, num_samples * field_channels(field, 2), what=f"rendering {num_samples} samples "
                            f"({duration:g} s at {rate} Hz)", fix="pass a lower --sample-rate or a shorter --duration-s",
                            chunk_size=chunk_size, allow_large=allow_large)
        samples = render_audio(field, num_samples, chunk_size=check_chunk_size(chunk_size)) * float(meta.get("scale", 1.0))
        log.info("rendering %d samples at %d Hz, %d channel(s)", num_samples, rate, samples.shape[1])
        return [save_audio(out, samples, rate)]

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]:
        pred = self.reconstruct(field)
        truth = self.samples / self.scale
        paths = [save_audio(out_dir / "reconstruction.wav", pred * self.scale, self.sample_rate)]
        paths.append(write_json(out_dir / AUDIO_FILE, {"sample_rate": self.sample_rate, "num_samples": len(self.samples),
                                                       "channels": self.out_features, "scale": self.scale,
                                                       "duration_s": self.duration_s}))
        paths.append(save_waveform(out_dir / "waveform.png", truth, pred, self.sample_rate))
        paths.append(save_spectrogram(out_dir / "spectrogram.png", truth, pred, self.sample_rate))
        return paths


def render_audio(field: nn.Module, num_samples: int, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> np.ndarray:
    """An audio field sampled at `num_samples` evenly spaced times over [-1, 1], chunked.

    Rendering the clip's span with more samples than it has upsamples it (2x samples at 2x the
    rate); playing them at the clip's rate instead slows it down.

    Shape:
        returns: (num_samples, out_features) float32, normalised amplitude
    """
    if num_samples < 2:
        raise ConfigError(f"num_samples={num_samples} must be >= 2.")
    return evaluate_grid(field, (num_samples,), chunk_size=chunk_size).numpy()


def audio_metrics(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """MSE on the normalised signal (the paper's audio metric, Sec. 3.1) and SNR in dB."""
    pred, target = np.asarray(pred, np.float64), np.asarray(target, np.float64)
    err = float(np.sum((pred - target) ** 2))
    snr = float("inf") if err == 0 else float(10.0 * np.log10(np.sum(target**2) / err))
    return {"mse": err / target.size, "snr_db": snr}
