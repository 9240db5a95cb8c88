"""The wave task: residual against calculus, sampling, a tiny fit against measured floors, bad input, CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from sirenkit.cli.main import main
from sirenkit.errors import ConfigError
from sirenkit.fields.siren import Siren
from sirenkit.fit import fit
from sirenkit.tasks import TASKS, WaveConfig, WaveTask

TINY = dict(frame_size=16, frame_times=(0.0, 0.1), points=64, initial_points=16)


class _Analytic(nn.Module):
    """u = sin(a t) sin(b x) cos(d y) + plane wave sin(x + 2y - sqrt(5) c t); float64."""

    def __init__(self, c: float) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones((), dtype=torch.float64))
        self.c = c

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        t, x, y = coords.unbind(-1)
        u = torch.sin(1.3 * t) * torch.sin(2.0 * x) * torch.cos(0.7 * y) + torch.sin(x + 2 * y - math.sqrt(5) * self.c * t)
        return (self.scale * u)[:, None]


def test_values_residual_matches_calculus(device):
    c = 1.7
    task = WaveTask(WaveConfig(velocity=c, **TINY))
    coords = torch.rand(200, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)).to(device) * 2 - 1
    u, grad, residual = task.residual(_Analytic(c).to(device), coords)
    t, x, y = coords.unbind(-1)
    standing = torch.sin(1.3 * t) * torch.sin(2.0 * x) * torch.cos(0.7 * y)
    expected = (-1.3**2 + c**2 * (2.0**2 + 0.7**2)) * standing  # the plane wave solves the equation: residual 0
    torch.testing.assert_close(residual[:, 0], expected, atol=1e-9, rtol=1e-9)
    u_t = (1.3 * torch.cos(1.3 * t) * torch.sin(2.0 * x) * torch.cos(0.7 * y)
           - math.sqrt(5) * c * torch.cos(x + 2 * y - math.sqrt(5) * c * t))
    torch.testing.assert_close(grad[:, 0], u_t, atol=1e-9, rtol=1e-9)


def test_sample_window_grows_and_initial_points_carry_the_pulse():
    config = WaveConfig(ramp_steps=100, t_max=0.4, **TINY)
    task = WaveTask(config)
    generator = torch.Generator().manual_seed(0)
    first = task.sample(0, generator)
    assert first.coords.shape == (64 + 32, 3) and torch.all(first.coords[:, 0] == 0)
    half = task.sample(50, generator).coords
    assert 0.15 < half[:64, 0].max() <= 0.2
    late = task.sample(1000, generator).coords
    assert 0.35 < late[:64, 0].max() <= 0.4 and late[:, 1:].abs().max() <= 1.0
    disc = late[64:80, 1:]
    assert disc.norm(dim=-1).max() <= 500 * config.sigma + 1e-6  # the reference's source disc, radius 0.25
    target = task.sample(7, generator).targets["initial"]
    assert target.max() <= 1.0 and target.max() > 0.1  # u0 / A: the network works in units of the pulse's peak


def test_network_works_in_units_of_the_peak():
    """The network outputs u / A: a field of u0 / A scores a zero frame MSE at t = 0, and frames come back in units of u."""
    config = WaveConfig(frame_size=33, frame_times=(0.0,), amplitude=0.02)
    task = WaveTask(config)

    class InitialOverPeak(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inverse_peak = nn.Parameter(torch.tensor(1.0 / config.amplitude))

        def forward(self, coords: torch.Tensor) -> torch.Tensor:
            u0 = torch.from_numpy(task.initial_displacement(coords[:, 1:].double().numpy())).float()
            return self.inverse_peak * u0[:, None]

    np.testing.assert_allclose(task.frames(InitialOverPeak())[0], task.reference[0], atol=1e-6 * config.amplitude)
    assert task.evaluate(InitialOverPeak())["mse_t0"] < 1e-12


def test_reference_frames_follow_the_exact_pulse():
    from sirenkit.physics import gaussian_pulse_exact

    task = WaveTask(WaveConfig(frame_size=65, frame_times=(0.0, 0.2), sigma=5e-3))
    exact = gaussian_pulse_exact(np.abs(task.nodes), 0.2, sigma=5e-3)
    error = np.abs(task.reference[1][:, 32] - exact).max()
    assert error < 2e-6, error  # Richardson-combined FDTD on 129 and 257 nodes: measured 3.0e-7 (1.5e-5 of the peak)


def test_fit_lowers_loss_and_frame_mse(device):
    # a wider pulse (sigma 5e-3) that a tiny SIREN can follow in 150 steps
    config = WaveConfig(sigma=5e-3, frame_size=32, frame_times=(0.0, 0.1, 0.2), points=256, initial_points=128, ramp_steps=100,
                        t_max=0.25, loss_weights={"initial": 1.0, "initial_velocity": 1.0, "residual": 1.0})
    task = WaveTask(config).to(device)
    torch.manual_seed(0)
    field = Siren(3, 32, 2, 1, first_omega_0=10.0).to(device)
    batch = task.sample(200, torch.Generator().manual_seed(1))
    before = {k: float(v.detach()) for k, v in task.losses(field, batch).items()}
    mse_before = task.evaluate(field)["mse"]
    result = fit(field, task, steps=150, lr=1e-3, eval_every=150, device=device.type)
    after = {k: float(v.detach()) for k, v in task.losses(field, batch).items()}
    total = lambda terms: sum(config.loss_weights[k] * v for k, v in terms.items())  # noqa: E731
    # measured (CPU, seed 0): weighted loss 3.0e-3 -> 5.8e-4; frame mse 1.04e-6 -> 2.6e-7; relative mse 1.20 -> 0.32
    # (below 1: better than a field that is zero everywhere).
    assert total(after) < 0.3 * total(before)
    assert result.metrics["mse"] < 4e-7 < 1e-6 < mse_before
    assert result.metrics["relative_mse"] < 0.5
    assert set(result.metrics) >= {"mse_t0", "mse_t0.1", "mse_t0.2", "mse"}


@pytest.mark.parametrize(("options", "message"), [
    ({"velocity": 0.0}, "velocity=0.0 must be > 0"),
    ({"velocity": -1.0}, "velocity=-1.0 must be > 0"),
    ({"t_max": -0.4}, "t_max=-0.4 must be > 0"),
    ({"sigma": -5e-4}, "sigma=-0.0005 must be > 0"),
    ({"center": (1.5, 0.0)}, "outside the domain"),
    ({"frame_times": (-0.1,)}, "frame_times"),
    ({"frame_size": 4}, "too coarse"),
    ({"loss_weights": {"residul": 1.0}}, "loss weight .residul. is not a term of the wave task.*did you mean .residual."),
])
def test_errors(options, message):
    with pytest.raises(ConfigError, match=message):
        WaveConfig(**options)


def test_warns_when_the_pulse_reaches_the_walls():
    with pytest.warns(UserWarning, match="reaches the domain's edge"):
        WaveConfig(center=(0.9, 0.0), frame_times=(0.0, 0.25))


def test_cli_runs_and_writes_frames(tmp_path, capsys):
    assert "wave" in TASKS
    out = tmp_path / "run"
    code = main(["wave", "--steps", "2", "--points", "64", "--initial-points", "16", "--frame-size", "16",
                 "--hidden-features", "16", "--hidden-layers", "1", "--quiet", "--out", str(out)])
    assert code == 0
    frames = np.load(out / "field.npy")
    assert frames.shape == (5, 16, 16) and np.isfinite(frames).all()
    assert np.load(out / "reference.npy").shape == (5, 16, 16)
    assert (out / "frames.png").stat().st_size > 1000
    assert "mse" in capsys.readouterr().out
    assert main(["wave", "--velocity", "-2", "--out", str(tmp_path / "bad")]) == 2
    assert "velocity=-2.0 must be > 0" in capsys.readouterr().err
    assert main(["wave", "--center", "0", "3", "--out", str(tmp_path / "bad")]) == 2
    assert "outside the domain" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["wave", "--help"])
    assert exit_info.value.code == 0 and "--ramp-steps" in capsys.readouterr().out
