"""FreSh's spectrum and choice against signals whose spectrum is known in closed form."""

import numpy as np
import pytest
import torch
from torch import nn

import sirenkit as sk
from sirenkit.errors import ConfigError
from sirenkit.fresh import select, spectrum, spectrum_distance


def cosine(shape, cycles, axis=0):
    """cos(2 pi cycles n / N) along `axis` of a grid: its DFT amplitude sits at radial frequency `cycles` alone."""
    n = np.arange(shape[axis])
    wave = np.cos(2 * np.pi * cycles * n / shape[axis])
    return np.broadcast_to(wave.reshape([-1 if i == axis else 1 for i in range(len(shape))]), shape)[..., None]


def test_spectrum_of_a_cosine_is_one_bin():
    s = spectrum(cosine((32, 64), 5, axis=1), (32, 64))
    assert s.shape == (32,)
    assert s[5 - 1] == pytest.approx(1.0, abs=1e-9)
    assert s.sum() == pytest.approx(1.0)


def test_spectrum_is_radial_in_two_axes():
    # cos along rows at 3 cycles plus along columns at 3 cycles: both land in radius 3, nothing at the diagonal 4.24
    s = spectrum(cosine((64, 64), 3, 0) + cosine((64, 64), 3, 1), (64, 64))
    assert s[3 - 1] == pytest.approx(1.0, abs=1e-9)


def test_distance_counts_bins_moved():
    a, b = np.zeros(16), np.zeros(16)
    a[4], b[7] = 1.0, 1.0
    assert spectrum_distance(a, b) == pytest.approx(3.0)
    assert spectrum_distance(a, a) == 0.0
    with pytest.raises(ConfigError):
        spectrum_distance(a, b[:8])


class Tone(nn.Module):
    """A 'field' that is cos(pi * cycles * (x + 1)) along the last coordinate: `cycles` periods over [-1, 1]."""

    def __init__(self, cycles: float) -> None:
        super().__init__()
        self.cycles = nn.Parameter(torch.tensor(float(cycles)), requires_grad=False)

    def forward(self, coords):
        return torch.cos(torch.pi * self.cycles * (coords[:, -1:] + 1))


def test_select_picks_the_candidate_with_the_target_spectrum():
    shape = (1, 65)  # grid spans [-1, 1] with both ends: 64 intervals, so 8 periods are 8 cycles per 64 samples
    target = Tone(8.0)(sk.grid(shape)).numpy()
    choice = select(target, shape, lambda value, seed: Tone(value), (2, 4, 8, 16), seeds=1)
    assert choice.value == 8.0
    d = choice.distances
    assert d[8.0] < d[4.0] < d[2.0] and d[8.0] < d[16.0]


def test_select_on_a_siren_prefers_higher_frequencies_for_a_finer_signal():
    shape = (32, 32)
    rng = np.random.default_rng(0)
    smooth = cosine(shape, 1, 0) * 0.5
    noise = rng.uniform(-1, 1, (*shape, 1))

    def make(omega, seed):
        return sk.build_field(in_features=2, out_features=1, hidden_features=32, hidden_layers=1, first_omega_0=omega, seed=seed)

    omegas = (1.0, 30.0, 300.0)
    assert select(smooth, shape, make, omegas).value < select(noise, shape, make, omegas).value


def test_constant_signal_is_refused():
    with pytest.raises(ConfigError, match="constant"):
        spectrum(np.ones((8, 8, 1)), (8, 8))
