"""The fit loop: resume equals an uninterrupted run, NaN guard, stopping rules, schedules."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest
import torch

import sirenkit as sk
from sirenkit.callbacks import Callback
from sirenkit.config import FitConfig
from sirenkit.fit import lr_factor
from sirenkit.io.checkpoint import load_checkpoint
from sirenkit.tasks import ImageTask


@pytest.fixture
def small_task(camera_crop):
    return ImageTask(camera_crop[::2, ::2])


def _field(seed: int = 0):
    return sk.build_field(sk.FieldConfig(hidden_features=32, hidden_layers=2), seed=seed)


FIT = dict(steps=12, batch_size=300, save_every=4, eval_every=5, seed=7)


class _Interrupt(Callback):
    def __init__(self, at: int) -> None:
        self.at = at

    def on_step(self, state) -> None:
        if state.step == self.at:
            raise KeyboardInterrupt


class _CopyCheckpoint(Callback):
    """Keeps the checkpoint written at `at`, as if the process had been killed right after it."""

    def __init__(self, at: int, dest) -> None:
        self.at, self.dest = at, dest

    def on_step(self, state) -> None:
        if state.step == self.at + 1:
            self.dest.mkdir()
            shutil.copy(state.out / "checkpoint.pt", self.dest / "checkpoint.pt")


def _params(field):
    return torch.cat([p.detach().flatten() for p in field.parameters()])


def test_resume_after_kill_equals_uninterrupted(tmp_path, small_task, device):
    straight = _field()
    result = sk.fit(straight, small_task, out=tmp_path / "a", callbacks=[_CopyCheckpoint(8, tmp_path / "b")], device=device.type, **FIT)
    assert load_checkpoint(tmp_path / "b" / "checkpoint.pt")["step"] == 8
    resumed = _field(seed=123)  # different init: everything must come from the checkpoint
    again = sk.fit(resumed, small_task, out=tmp_path / "b", resume=True, device=device.type, **FIT)
    torch.testing.assert_close(_params(resumed), _params(straight), rtol=0, atol=0)
    assert again.metrics["psnr"] == result.metrics["psnr"]


def test_resume_after_ctrl_c_equals_uninterrupted(tmp_path, small_task, device):
    straight = _field()
    sk.fit(straight, small_task, out=tmp_path / "a", device=device.type, **FIT)
    interrupted = _field()
    with pytest.raises(KeyboardInterrupt):
        sk.fit(interrupted, small_task, out=tmp_path / "b", callbacks=[_Interrupt(6)], device=device.type, **FIT)
    assert load_checkpoint(tmp_path / "b" / "checkpoint.pt")["step"] == 6  # saved on the way out
    resumed = _field(seed=5)
    sk.fit(resumed, small_task, out=tmp_path / "b", resume=True, device=device.type, **FIT)
    torch.testing.assert_close(_params(resumed), _params(straight), rtol=0, atol=0)
    steps = [json.loads(line)["step"] for line in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(steps)  # no duplicate lines after the resume


def test_checkpoint_loads_weights_only_and_model_round_trip(tmp_path, small_task, device):
    field = _field()
    sk.fit(field, small_task, out=tmp_path, steps=3, device=device.type)
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert state["step"] == 3 and "optimizer" in state
    loaded = sk.load(tmp_path)
    coords = sk.grid((17, 9))
    with torch.no_grad():
        torch.testing.assert_close(loaded(coords), field.cpu()(coords), rtol=0, atol=0)  # sk.load builds on the CPU
    # rendering at the training size reproduces the exported reconstruction (8-bit PNG rounding)
    import imageio.v3 as iio

    png = iio.imread(tmp_path / "reconstruction.png") / 255.0
    rendered = sk.render_image(loaded, small_task.shape)[..., 0]
    assert abs(png - rendered).max() <= 0.5 / 255 + 1e-6


@pytest.mark.reliability("divergence")
def test_nan_guard_names_term_and_fix(small_task, device):
    field = _field()
    with torch.no_grad():
        field.layers[0].weight.fill_(float("nan"))
    # NaN weights at step 1 are no learning rate's doing: the message names the weights, not --lr
    with pytest.raises(sk.DivergenceError, match=r"at step 1 \(term 'mse'\).*weights held NaN or inf before this step"):
        sk.fit(field, small_task, steps=5, device=device.type)


@pytest.mark.reliability("divergence")
def test_divergence_advice_names_the_cause(small_task, device):
    """NaN data, an overflowing encoding and a too-large lr each get their own advice; only the last says --lr."""
    class CorruptData(ImageTask):  # the constructors refuse NaN; a custom task's sampler may still hand some out
        def sample(self, step, generator, *, batch_size=0):
            batch = super().sample(step, generator, batch_size=batch_size)
            batch.targets["values"][0] = float("nan")
            return batch

    corrupt = CorruptData(small_task.image)
    with pytest.raises(sk.DivergenceError, match=r"training data holds NaN or inf \(the batch's 'values'\)") as info:
        sk.fit(_field(), corrupt, steps=3, device=device.type)
    assert "--lr" not in str(info.value)
    overflow = sk.build_field(task=small_task, seed=0, hidden_features=16, hidden_layers=1, activation="relu",
                              encoding="positional", encoding_frequencies=200)
    with pytest.raises(sk.DivergenceError, match=r"before any update, so the learning rate is not the cause: its "
                                                 r"encoding \('positional', encoding_frequencies 200"):
        sk.fit(overflow, small_task, steps=3, device=device.type)
    with pytest.raises(sk.DivergenceError, match=r"Lower --lr \(now 1e\+06\)"):
        sk.fit(_field(), small_task, steps=50, lr=1e6, log_every=1, lr_schedule="constant", device=device.type)


def test_stops_at_target_psnr_and_max_seconds(small_task, device):
    result = sk.fit(_field(), small_task, steps=500, eval_every=10, target_psnr=25.0, device=device.type)
    assert result.stopped_by == "target_psnr" and result.steps < 500 and result.metrics["psnr"] >= 25.0
    result = sk.fit(_field(), small_task, steps=100000, max_seconds=0.2, device=device.type)
    assert result.stopped_by == "max_seconds" and result.steps < 100000


def test_target_psnr_is_refused_where_the_task_reports_no_psnr(tmp_path):
    t = np.arange(400) / 8000
    task = sk.tasks.AudioTask(np.sin(2 * np.pi * 440 * t)[:, None], sample_rate=8000)
    with pytest.raises(sk.ConfigError, match="audio task reports no PSNR .*mse"):
        sk.fit(sk.build_field(task=task, seed=0, hidden_features=16), task, steps=5, target_psnr=30.0, out=tmp_path / "run")
    assert not (tmp_path / "run" / "config.json").exists()  # refused before anything was written


def test_values_lr_schedules():
    cosine = FitConfig(steps=101, lr_schedule="cosine", lr_final=0.01)
    assert lr_factor(1, cosine) == pytest.approx(1.0)
    assert lr_factor(51, cosine) == pytest.approx(0.505)
    assert lr_factor(101, cosine) == pytest.approx(0.01)
    exponential = FitConfig(steps=101, lr_schedule="exponential", lr_final=0.01)
    assert lr_factor(51, exponential) == pytest.approx(0.1)
    warm = FitConfig(steps=100, warmup_steps=9, lr_schedule="constant")
    assert lr_factor(1, warm) == pytest.approx(0.1) and lr_factor(10, warm) == 1.0


def test_errors_unknown_override(small_task):
    with pytest.raises(sk.ConfigError, match="did you mean 'steps'"):
        sk.fit(_field(), small_task, stepz=3)


def test_custom_module_run_folder(tmp_path, small_task, device):
    """Any nn.Module mapping coords to values can be fitted; it has no FieldConfig to save."""
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    result = sk.fit(module, small_task, out=tmp_path, steps=20, device=device.type)
    assert json.loads((tmp_path / "config.json").read_text())["field"] is None
    assert (tmp_path / "checkpoint.pt").is_file() and not (tmp_path / "model.safetensors").exists()
    assert result.metrics["psnr"] > 10


def test_precision_bf16_fits_and_is_refused_for_other_fields(small_task, device):
    field = _field()
    result = sk.fit(field, small_task, steps=150, precision="bf16", device=device.type)
    # measured 40.6 dB (fp32 at the same steps: 40.6 dB); the field is back to fp32 afterwards
    assert result.metrics["psnr"] > 35 and field.precision == "fp32"
    with pytest.raises(sk.ConfigError, match="needs a Siren"):
        sk.fit(sk.MLP(2, 8, 1, 1, activation="relu"), small_task, steps=2, precision="bf16", device="cpu")


def test_compile_trains_like_eager_on_a_laplacian_fit(device):
    """--compile traces the Taylor-mode Laplacian instead of running it eagerly: same weights after a few steps."""
    task = sk.tasks.PoissonTask.from_config(sk.tasks.PoissonConfig(size=16, supervise="laplacian"))
    fields = []
    for compiled in (False, True):
        field = _field()
        sk.fit(field, task, FitConfig(steps=3, eval_every=3, device=device.type, compile=compiled))
        fields.append(field)
    for a, b in zip(fields[0].parameters(), fields[1].parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    with pytest.raises(sk.errors.ConfigError, match="--compile or --precision bf16"):
        FitConfig(compile=True, precision="bf16")


@pytest.mark.reliability("bad input")
def test_resume_refuses_changed_data_or_architecture(tmp_path, caplog):
    """The API's resume names the data or architecture setting that changed, from what to what, and keeps the run."""
    task = ImageTask.from_source("camera", size=16)
    sk.fit(_field(), task, steps=4, save_every=2, out=tmp_path, device="cpu")
    before = (tmp_path / "checkpoint.pt").read_bytes()
    with pytest.raises(sk.ConfigError, match=r"started with size=16 and this run asks for size=24 \(task_config\)"):
        sk.fit(_field(), ImageTask.from_source("camera", size=24), steps=4, out=tmp_path, resume=True, device="cpu")
    wide = sk.build_field(sk.FieldConfig(hidden_features=48, hidden_layers=2), seed=0)
    with pytest.raises(sk.ConfigError, match=r"started with hidden_features=32 and this run asks for hidden_features=48"):
        sk.fit(wide, task, steps=4, save_every=2, out=tmp_path, resume=True, device="cpu")
    assert (tmp_path / "checkpoint.pt").read_bytes() == before
    # a changed schedule is applied, and said: the API may extend a run on purpose (the CLI refuses it)
    with caplog.at_level(logging.WARNING, logger="sirenkit.fit"):
        result = sk.fit(_field(), task, steps=6, save_every=2, log_every=1, out=tmp_path, resume=True, device="cpu")
    assert result.steps == 6 and "changed schedule (steps 4 -> 6)" in caplog.text and "log_every" not in caplog.text


@pytest.mark.reliability("bad input")
def test_loss_weights_must_be_finite_and_non_negative(small_task):
    for bad in (float("nan"), -1.0, float("inf")):
        small_task.loss_weights = {"mse": bad}
        with pytest.raises(sk.ConfigError, match=r"loss weight mse=.* must be a finite number >= 0"):
            sk.fit(_field(), small_task, steps=1, device="cpu")


class _TwoPhaseTask(ImageTask):
    """Five steps of a tiny 'warmup' term, then the real 'mse': a loss that changes, as the hybrid FWI's pretraining does."""

    def __init__(self, image) -> None:
        super().__init__(image)
        self.loss_weights = {**self.loss_weights, "warmup": 1.0}
        self.step = 0

    def sample(self, step, generator, *, batch_size=0):
        self.step = step
        return super().sample(step, generator, batch_size=batch_size)

    def losses(self, field, batch):
        mse = super().losses(field, batch)["mse"]
        if self.step <= 5:
            return {"mse": 0.0 * mse, "warmup": 1e-7 * mse}
        return {"mse": mse, "warmup": 0.0 * mse}


def test_divergence_guard_compares_a_total_only_with_totals_of_the_same_terms(camera_crop, device):
    """The switch from a 1e-7-scaled warm-up to the real loss is not divergence; a blow-up within one phase still is."""
    task = _TwoPhaseTask(camera_crop[::2, ::2])
    result = sk.fit(_field(), task, steps=12, batch_size=300, log_every=1, device=device.type)
    assert result.steps == 12 and result.stopped_by == "steps"
    with pytest.raises(sk.DivergenceError, match=r"at step 2 \(term 'warmup'\)"):
        sk.fit(_field(), _TwoPhaseTask(camera_crop[::2, ::2]), steps=40, batch_size=300, log_every=1, lr=1e6, device=device.type)
