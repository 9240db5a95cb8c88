"""The convergence levers of the fit loop: weight scaling, SOAP, the L-BFGS polish, error-guided and residual sampling, the hold-out."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

import sirenkit as sk
from sirenkit.callbacks import Callback
from sirenkit.cli.main import main
from sirenkit.errors import ConfigError
from sirenkit.metrics import psnr
from sirenkit.samplers import HARD_FRACTION, ErrorGuided, RetainResample
from sirenkit.tasks import HelmholtzConfig, HelmholtzTask, ImageTask, WaveConfig, WaveTask
from sirenkit.tasks.image import ImageConfig


@pytest.fixture
def small_task(camera_crop):
    return ImageTask(camera_crop[::2, ::2])  # 32 x 32


def _field(seed: int = 0, **overrides):
    return sk.build_field(sk.FieldConfig(hidden_features=32, hidden_layers=2, **overrides), seed=seed)


def _params(field):
    return torch.cat([p.detach().flatten() for p in field.parameters()])


def test_weight_scale_multiplies_every_weight_but_the_last():
    plain, scaled = _field(weight_scale=1.0), _field(weight_scale=2.5)
    layers = list(zip(plain.layers, scaled.layers))
    for a, b in layers[:-1]:
        torch.testing.assert_close(b.weight, 2.5 * a.weight)
        torch.testing.assert_close(b.bias, a.bias)
    torch.testing.assert_close(layers[-1][1].weight, layers[-1][0].weight)
    mlp = sk.build_field(sk.FieldConfig(activation="relu", hidden_features=16, hidden_layers=1, weight_scale=2.0), seed=0)
    ref = sk.build_field(sk.FieldConfig(activation="relu", hidden_features=16, hidden_layers=1), seed=0)
    torch.testing.assert_close(mlp.layers[0].weight, 2.0 * ref.layers[0].weight)
    with pytest.raises(ConfigError, match="weight_scale"):
        sk.FieldConfig(weight_scale=0.0)


def test_weight_scale_survives_the_run_folder(tmp_path, small_task):
    field = _field(weight_scale=1.5)
    sk.fit(field, small_task, steps=2, out=tmp_path / "run")
    assert json.loads((tmp_path / "run" / "config.json").read_text())["field"]["weight_scale"] == 1.5
    loaded = sk.load(tmp_path / "run")
    torch.testing.assert_close(_params(loaded), _params(field))


def _mean_image_psnr(task: ImageTask) -> float:
    return psnr(np.broadcast_to(task.image.mean(), task.image.shape), task.image)


def test_soap_fits_far_beyond_the_mean_image(small_task):
    result = sk.fit(_field(), small_task, steps=60, optimizer="soap", lr=3e-3, eval_every=60)
    assert result.metrics["psnr"] > _mean_image_psnr(small_task) + 15


class _Losses(Callback):
    def __init__(self) -> None:
        self.totals: list[float] = []

    def on_step(self, state) -> None:
        self.totals.append(state.losses["total"])


def test_lbfgs_polish_never_raises_the_loss_and_lowers_it_below_adam(small_task):
    polished, adam = _Losses(), _Losses()
    sk.fit(_field(), small_task, steps=30, polish_steps=10, callbacks=[polished])
    sk.fit(_field(), small_task, steps=30, callbacks=[adam])
    polish = polished.totals[19:]  # the loss each polish step started from; a line search only accepts decreases
    assert all(b <= a for a, b in zip(polish, polish[1:]))
    assert polished.totals[-1] < adam.totals[-1]


def test_error_guided_choice_takes_the_hardest_rows_and_refreshes():
    guide = ErrorGuided(100, refresh_every=5)
    generator = torch.Generator().manual_seed(0)
    assert guide.choose(1, 20, generator) is None  # step 1 trains every row
    errors = torch.arange(100.0)
    guide.observe(errors)
    index = guide.choose(2, 20, generator)
    hard = int(20 * HARD_FRACTION)
    assert set(index[:hard].tolist()) == set(range(100 - hard, 100))
    assert len(set(index.tolist())) == 20  # the random rest never repeats a hard row
    guide.observe(torch.zeros(20))
    assert guide.errors[index].eq(0).all() and guide.errors.sum() == errors.sum() - errors[index].sum()
    assert guide.choose(6, 20, generator) is None  # 1 + refresh_every


def test_error_sampler_trains_more_on_the_detailed_half():
    image = np.full((32, 32), 0.5, np.float32)  # mid-grey: the value 0 a fresh field already outputs
    image[:, 16:] = np.random.default_rng(0).random((32, 16))  # left half flat, right half noise
    task = ImageTask(image)
    seen = torch.zeros(len(task.coords))

    class Count(Callback):
        def on_step(self, state) -> None:
            if state.task.grid_sampler.guide.index is not None:
                seen[state.task.grid_sampler.guide.index] += 1

    sk.fit(_field(), task, steps=40, batch_size=128, sampler="error", sampler_refresh_every=10, callbacks=[Count()])
    right = task.coords[:, 1] > 0
    assert seen[right].sum() > 3 * seen[~right].sum()


@pytest.mark.parametrize("levers", [dict(optimizer="soap"), dict(polish_steps=4),
                                    dict(sampler="error", batch_size=256, sampler_refresh_every=3)],
                         ids=["soap", "polish", "error-sampler"])
def test_every_lever_resumes_exactly(tmp_path, small_task, levers):
    fit = dict(steps=12, save_every=4, eval_every=5, seed=7, **levers)
    straight = _field()
    sk.fit(straight, small_task, out=tmp_path / "a", **fit)

    class Stop(Callback):
        def on_step(self, state) -> None:
            if state.step == 9:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sk.fit(_field(), small_task, out=tmp_path / "b", callbacks=[Stop()], **fit)
    resumed = _field(seed=3)
    sk.fit(resumed, small_task, out=tmp_path / "b", resume=True, **fit)
    torch.testing.assert_close(_params(resumed), _params(straight), rtol=0, atol=0)


class _Lookup(nn.Module):
    """A 'field' that returns the image at its pixel centres: exact where `known`, -1 (black) elsewhere."""

    def __init__(self, image: np.ndarray, known: np.ndarray) -> None:
        super().__init__()
        h, w = image.shape[:2]
        self.shape = (h, w)
        values = torch.from_numpy(image.reshape(h, w, -1) * 2 - 1)
        values[torch.from_numpy(~known)] = -1.0
        self.values = nn.Parameter(values, requires_grad=False)

    def forward(self, coords):
        h, w = self.shape
        i = ((coords[:, 0] + 1) * (h - 1) / 2).round().long()
        j = ((coords[:, 1] + 1) * (w - 1) / 2).round().long()
        return self.values[i, j]


def test_train_every_scores_the_pixels_between_the_samples(camera_crop):
    task = ImageTask(camera_crop, config=ImageConfig(size=0, train_every=2))
    assert len(task.coords) == 32 * 32 and task.trained.sum() == 32 * 32
    metrics = task.evaluate(_Lookup(camera_crop, task.trained))  # memorised the samples, black between them
    heldout = camera_crop[~task.trained]
    assert metrics["psnr_train"] > 80
    assert metrics["psnr_heldout"] == pytest.approx(psnr(np.zeros_like(heldout), heldout), abs=1e-4)
    with pytest.raises(ConfigError, match="train_every"):
        ImageTask(camera_crop, config=ImageConfig(size=0, train_every=64))


@pytest.mark.parametrize("argv, words", [
    (["--optimizer", "adma"], ["optimizer", "adam, soap"]),
    (["--sampler", "error"], ["batch-size"]),
    (["--polish-steps", "9", "--steps", "5"], ["polish_steps=9", "--polish-steps"]),
    (["--weight-scale", "-1"], ["weight_scale"]),
])
def test_bad_lever_values_are_one_line_exit_2(tmp_path, capsys, argv, words):
    assert main(["image", "--size", "16", "--steps", "3", "--out", str(tmp_path / "run"), "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and all(w in err for w in words), err
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_error_sampler_is_refused_where_the_task_has_no_grid(small_task):
    task = WaveTask(WaveConfig(frame_size=16, frame_times=(0.0, 0.1), points=64, initial_points=16))  # draws its own points
    with pytest.raises(ConfigError, match="use --sampler residual"):
        sk.fit(_field(), task, steps=2, batch_size=10, sampler="error")
    with pytest.raises(ConfigError, match="use --sampler error"):
        sk.fit(_field(), small_task, steps=2, sampler="residual")


def test_retain_resample_keeps_the_points_above_the_mean_residual():
    points = torch.arange(12.0).reshape(6, 2)
    sampler = RetainResample()
    sampler.use("residual")
    sampler.observe(points, torch.tensor([0.0, 5.0, 0.0, 0.0, 7.0, 0.0]))  # mean 2: rows 1 and 4 stay
    fresh = -torch.ones(6, 2)
    mixed = sampler.mix(fresh)
    torch.testing.assert_close(mixed[:2], points[[1, 4]])
    torch.testing.assert_close(mixed[2:], fresh[2:])
    uniform = RetainResample()
    uniform.use("uniform")
    uniform.observe(points, torch.arange(6.0))  # even if told, an inactive sampler neither mixes nor checkpoints points
    assert not uniform.active and uniform.mix(fresh) is fresh and uniform.state_dict() == {}


def _wave_task() -> WaveTask:
    return WaveTask(WaveConfig(frame_size=16, frame_times=(0.0, 0.1), points=256, initial_points=32, ramp_steps=4))


def test_residual_sampler_trains_where_the_wave_residual_is_large():
    """After a few steps the kept points carry a larger residual than a uniform draw of the same window."""
    task = _wave_task()
    field = sk.build_field(sk.FieldConfig(in_features=3, out_features=1, hidden_features=32, hidden_layers=2), seed=0)
    sk.fit(field, task, steps=6, sampler="residual", lr=1e-4)
    kept = task.point_sampler.kept
    assert kept is not None and 0 < len(kept) < 256
    uniform = _wave_task().sample(6, torch.Generator().manual_seed(1)).coords[:256]  # a task that keeps nothing
    with torch.no_grad():
        residual = [task.residual(field, c)[2].abs().mean() for c in (kept, uniform)]
    assert residual[0] > 2 * residual[1]


@pytest.mark.parametrize("make_task", [_wave_task, lambda: HelmholtzTask(HelmholtzConfig(reference_size=21, residual_size=8,
                                                                                         source_samples=16))],
                         ids=["wave", "helmholtz"])
def test_residual_sampler_resumes_exactly(tmp_path, make_task):
    fit = dict(steps=8, save_every=3, eval_every=100, seed=5, sampler="residual", batch_size=128)
    features = (3, 1) if isinstance(make_task(), WaveTask) else (2, 2)

    def field(seed: int = 0):
        return sk.build_field(sk.FieldConfig(in_features=features[0], out_features=features[1], hidden_features=16,
                                             hidden_layers=1), seed=seed)

    straight = field()
    sk.fit(straight, make_task(), out=tmp_path / "a", **fit)

    class Stop(Callback):
        def on_step(self, state) -> None:
            if state.step == 5:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sk.fit(field(), make_task(), out=tmp_path / "b", callbacks=[Stop()], **fit)
    resumed = field(seed=3)
    sk.fit(resumed, make_task(), out=tmp_path / "b", resume=True, **fit)
    torch.testing.assert_close(_params(resumed), _params(straight), rtol=0, atol=0)
