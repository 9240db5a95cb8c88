"""Encodings: fixed or learned maps applied to coordinates before a field's first layer.

`positional` (NeRF), `fourier` (Gaussian random Fourier features) and `rbf` (the reference
code's radial-basis input layer) let a ReLU MLP fit detail it cannot reach from raw coordinates
(the spectral bias); they are the baselines SIREN is compared with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from sirenkit.activations.gauss import EXPONENT_CAP
from sirenkit.config import FieldConfig
from sirenkit.errors import ConfigError, unknown_choice

FOURIER_FEATURES = 256
"""Default number of random Fourier features (Tancik et al. 2020, mapping size 256)."""
RBF_CENTRES = 1024
"""Default number of RBF centres (vsitzmann/siren modules.py, `rbf_centers`)."""


def nyquist_frequencies(samples: int) -> int:
    """Octaves of a positional encoding for `samples` points per side, by the reference's Nyquist rule.

    vsitzmann/siren `PosEncodingNeRF.get_num_frequencies_nyquist`: floor(log2(samples / 4)), so the
    highest frequency 2^(L-1) pi stays below the Nyquist rate of `samples` points on [-1, 1].
    6 for 256 samples, 7 for 512.
    """
    if samples < 8:
        raise ConfigError(f"a positional encoding needs >= 8 samples per side for the Nyquist rule, got {samples}; "
                          "pass --encoding-frequencies L instead.")
    return int(math.floor(math.log2(samples / 4)))


class Identity(nn.Module):
    """coords unchanged."""

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.out_features = in_features

    def forward(self, coords: Tensor) -> Tensor:
        return coords


class Positional(nn.Module):
    """NeRF's encoding (Mildenhall et al. 2020): [x, sin(2^i pi x), cos(2^i pi x) for i < L], per coordinate.

    Shape:
        coords: (..., d); returns (..., d + 2 d L), the reference's layout.
    """

    def __init__(self, in_features: int, frequencies: int) -> None:
        super().__init__()
        self.frequencies = frequencies
        self.out_features = in_features * (1 + 2 * frequencies)
        self.register_buffer("bands", math.pi * 2.0 ** torch.arange(frequencies, dtype=torch.float32), persistent=False)

    def forward(self, coords: Tensor) -> Tensor:
        angles = (coords[..., None, :] * self.bands[:, None]).flatten(-2)  # (..., L * d), octave-major
        pairs = torch.stack([torch.sin(angles), torch.cos(angles)], dim=-1).flatten(-2)
        return torch.cat([coords, pairs], dim=-1)

    def extra_repr(self) -> str:
        return f"frequencies={self.frequencies}"


class Fourier(nn.Module):
    """Gaussian random Fourier features (Tancik et al. 2020): [sin(pi B x), cos(pi B x)], B ~ N(0, sigma^2).

    With coords in [-1, 1], pi B x equals Tancik's 2 pi B x' on x' = (x + 1) / 2 in [0, 1] up to a
    constant phase, so sigma means the same as theirs: cycles per image side. B is drawn from the
    torch RNG (`build_field(seed=...)` makes it reproducible) and saved with the weights.

    Shape:
        coords: (..., d); returns (..., 2 * features).
    """

    def __init__(self, in_features: int, features: int, sigma: float) -> None:
        super().__init__()
        self.sigma = sigma
        self.out_features = 2 * features
        self.register_buffer("frequencies", torch.randn(features, in_features) * sigma)

    def forward(self, coords: Tensor) -> Tensor:
        angles = math.pi * coords @ self.frequencies.t()
        return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)

    def extra_repr(self) -> str:
        return f"features={self.out_features // 2}, sigma={self.sigma:g}"


class RBF(nn.Module):
    """The reference code's RBF input layer: exp(-(s_k * |x - c_k|^2)^2) for learned centres c_k and widths s_k.

    vsitzmann/siren modules.py `RBFLayer`: centres ~ U(-1, 1), s_k = 10 at init, both trained; note
    that the reference squares the already-squared distance, which is kept here. The exponent is
    capped at 50 as in the gauss activation, so CPU float32 never goes subnormal (slow).

    Shape:
        coords: (..., d); returns (..., centres).
    """

    def __init__(self, in_features: int, centres: int) -> None:
        super().__init__()
        self.out_features = centres
        self.centres = nn.Parameter(torch.empty(centres, in_features).uniform_(-1.0, 1.0))
        self.sigmas = nn.Parameter(torch.full((centres,), 10.0))

    def forward(self, coords: Tensor) -> Tensor:
        # |x - c|^2 = |x|^2 - 2 x.c + |c|^2: one GEMM instead of a (points, centres, d) tensor
        squared = (coords**2).sum(-1, keepdim=True) - 2.0 * coords @ self.centres.t() + (self.centres**2).sum(-1)
        distances = squared.clamp(min=0.0) * self.sigmas
        return torch.exp(-torch.clamp(distances**2, max=EXPONENT_CAP))


ENCODINGS: Sequence[str] = ("identity", "positional", "fourier", "rbf")


def make_encoding(config: FieldConfig) -> nn.Module:
    """The encoding a field config names; it has ``out_features``, the width the first layer sees."""
    d = config.in_features
    if config.encoding == "identity":
        return Identity(d)
    if config.encoding == "positional":
        if not config.encoding_frequencies:
            raise ConfigError("encoding='positional' needs encoding_frequencies L (--encoding-frequencies); "
                              "sirenkit.fields.field_config_for(config, task) sets it from the task's sampling.")
        return Positional(d, config.encoding_frequencies)
    if config.encoding == "fourier":
        return Fourier(d, config.encoding_features or FOURIER_FEATURES, config.fourier_scale)
    if config.encoding == "rbf":
        return RBF(d, config.encoding_features or RBF_CENTRES)
    raise unknown_choice("encoding", config.encoding, ENCODINGS)
