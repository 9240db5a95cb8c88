"""Audio runs in the viewer: waveform envelopes, spectrograms and WAV clips of the original and of the fit.

The fit can be rendered at any sample rate and duration (the clip's time span stretched over it),
bounded by MAX_SAMPLES per request.
"""

from __future__ import annotations

import io

import numpy as np
import soundfile
from torch import nn

from sirenkit.tasks.audio import render_audio
from sirenkit.view.pixels import apply_colormap, png_bytes
from sirenkit.view.requests import BadRequest

MAX_SAMPLES = 1 << 21
"""Most samples one WAV request renders (about 47 s at 44.1 kHz, 8 MiB of float32 per channel)."""
MAX_BINS = 4096
SPECTROGRAM_SEGMENT = 512
SPECTROGRAM_COLUMNS = 1024
SPECTROGRAM_DB = 80.0
"""Dynamic range shown, below the loudest bin of the original."""


class AudioView:
    """The normalised original clip and the fit at the clip's samples, both in [-1, 1] (scale restores amplitude)."""

    def __init__(self, field: nn.Module, original: np.ndarray | None, *, sample_rate: int, num_samples: int, scale: float) -> None:
        if num_samples > MAX_SAMPLES:
            raise BadRequest(f"the clip has {num_samples} samples, more than the viewer's limit of {MAX_SAMPLES}")
        self.field = field
        self.sample_rate = int(sample_rate)
        self.scale = float(scale)
        self.fit = render_audio(field, num_samples)
        self.original = original
        self._reference_peak = _peak_power(original if original is not None else self.fit)

    def signal(self, which: str) -> np.ndarray:
        if which == "original":
            if self.original is None:
                raise BadRequest("this run's original clip cannot be read (its source file is missing); only 'fit' is available")
            return self.original
        return self.fit

    def describe(self) -> dict:
        return {"sample_rate": self.sample_rate, "num_samples": len(self.fit), "duration_s": len(self.fit) / self.sample_rate,
                "channels": self.fit.shape[1], "has_original": self.original is not None, "max_samples": MAX_SAMPLES}

    def envelope(self, which: str, bins: int) -> dict:
        """Min and max of the mono signal in `bins` equal spans, for drawing the waveform."""
        mono = self.signal(which).mean(-1)
        bins = min(bins, len(mono))
        edges = np.linspace(0, len(mono), bins + 1).astype(np.intp)
        lows = np.minimum.reduceat(mono, edges[:-1])
        highs = np.maximum.reduceat(mono, edges[:-1])
        return {"min": lows.round(5).tolist(), "max": highs.round(5).tolist()}

    def spectrogram_png(self, which: str) -> bytes:
        """Log-magnitude spectrogram (frequency up), at most SPECTROGRAM_COLUMNS wide."""
        from scipy.signal import spectrogram

        mono = self.signal(which).mean(-1).astype(np.float64)
        segment = min(SPECTROGRAM_SEGMENT, len(mono))
        step = max(segment // 4, (len(mono) - segment) // SPECTROGRAM_COLUMNS + 1)
        _, _, power = spectrogram(mono, fs=self.sample_rate, nperseg=segment, noverlap=max(0, segment - step))
        db = 10.0 * np.log10(power + 1e-20)
        top = 10.0 * np.log10(self._reference_peak + 1e-20)
        return png_bytes(apply_colormap(db[::-1], "magma", top - SPECTROGRAM_DB, top))

    def wav_bytes(self, which: str, sample_rate: int, duration_s: float) -> bytes:
        """A 16-bit WAV: the original as it is, or the fit over the clip's span with round(duration * rate) samples."""
        if which == "original":
            samples, rate = self.signal("original"), self.sample_rate
        else:
            count = round(duration_s * sample_rate)
            if not 2 <= count <= MAX_SAMPLES:
                raise BadRequest(f"rate {sample_rate} Hz x {duration_s:g} s = {count} samples; keep it within [2, {MAX_SAMPLES}]")
            samples, rate = render_audio(self.field, count), sample_rate
        buffer = io.BytesIO()
        soundfile.write(buffer, np.clip(samples * self.scale, -1.0, 1.0), rate, format="WAV", subtype="PCM_16")
        return buffer.getvalue()


def _peak_power(signal: np.ndarray) -> float:
    from scipy.signal import spectrogram

    mono = signal.mean(-1).astype(np.float64)
    _, _, power = spectrogram(mono, nperseg=min(SPECTROGRAM_SEGMENT, len(mono)))
    return float(power.max())
