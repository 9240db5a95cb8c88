"""--tensorboard: the event file loads in TensorBoard's own reader with every scalar, the images and the config."""

import io
import json
import types

import imageio.v3 as iio
import numpy as np
import pytest

import sirenkit as sk
from sirenkit.errors import ConfigError

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from sirenkit.tensorboard import TensorBoard, panel_images  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    field = sk.Siren(in_features=2, out_features=1, hidden_features=16, hidden_layers=1)
    task = sk.tasks.ImageTask.from_source("camera", size=16)
    result = sk.fit(field, task, steps=20, log_every=5, eval_every=10, device="cpu", out=out, callbacks=[TensorBoard()])
    events = EventAccumulator(str(out / "tensorboard"), size_guidance={"images": 0, "scalars": 0, "tensors": 0})
    events.Reload()
    return out, result, events


def test_every_loss_term_and_metric_is_a_scalar_with_the_logged_values(run):
    out, result, events = run
    assert {"loss/mse", "loss/total", "lr", "metrics/psnr", "metrics/ssim"} <= set(events.Tags()["scalars"])
    logged = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    losses = {r["step"]: r["total"] for r in logged if "total" in r}
    assert sorted(losses) == [1, 5, 10, 15, 20]
    scalars = {e.step: e.value for e in events.Scalars("loss/total")}
    assert scalars.keys() == losses.keys()
    np.testing.assert_allclose([scalars[s] for s in losses], list(losses.values()), rtol=1e-6)  # float32 in the event file
    psnr = {e.step: e.value for e in events.Scalars("metrics/psnr")}
    assert sorted(psnr) == [10, 20]
    assert psnr[20] == pytest.approx(result.metrics["psnr"], rel=1e-6)


def test_the_fit_and_its_derivatives_are_images_at_each_evaluation(run):
    out, _, events = run
    assert {"fit/image", "fit/gradient_norm", "fit/laplacian"} <= set(events.Tags()["images"])
    fits = events.Images("fit/image")
    assert [e.step for e in fits] == [10, 20]
    last = iio.imread(io.BytesIO(fits[-1].encoded_image_string))
    exported = iio.imread(out / "reconstruction.png")  # the same field at the end, written by the task
    assert last.shape[:2] == exported.shape[:2] == (16, 16)
    assert np.abs(last.reshape(16, 16, -1)[..., 0].astype(int) - exported.astype(int)).max() <= 1  # tensorboard truncates
    laplacian = iio.imread(io.BytesIO(events.Images("fit/laplacian")[-1].encoded_image_string))
    assert laplacian.shape == (16, 16, 3) and laplacian.std() > 0


def test_the_config_is_text(run):
    out, _, events = run
    text = events.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert json.loads(text.replace("\n    ", "\n")) == json.loads((out / "config.json").read_text())


def test_a_fit_without_a_run_folder_needs_a_log_dir(tmp_path):
    field = sk.Siren(in_features=2, out_features=1, hidden_features=8, hidden_layers=1)
    task = sk.tasks.ImageTask.from_source("camera", size=8)
    with pytest.raises(ConfigError, match="needs a run folder"):
        sk.fit(field, task, steps=2, device="cpu", callbacks=[TensorBoard()])
    sk.fit(field, task, steps=2, device="cpu", callbacks=[TensorBoard(tmp_path / "tb")])
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))


def test_tasks_off_a_2d_grid_get_no_images():
    field = sk.Siren(in_features=1, out_features=1, hidden_features=8, hidden_layers=1)
    state = types.SimpleNamespace(task=types.SimpleNamespace(in_features=1, shape=(100,)), field=field)
    assert panel_images(state) == {}


def _cli_has_tensorboard_flag():
    import argparse

    from sirenkit.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return any("--tensorboard" in a.option_strings for a in sub.choices["image"]._actions)


@pytest.mark.skipif(not _cli_has_tensorboard_flag(), reason="needs the lead's hookup of --tensorboard in cli/main.py")
def test_the_cli_flag_writes_the_event_file_into_the_run_folder(tmp_path):
    from sirenkit.cli.main import main

    out = tmp_path / "run"
    assert main(["image", "--size", "16", "--steps", "10", "--eval-every", "5", "--hidden-features", "16", "--hidden-layers", "1",
                 "--tensorboard", "--quiet", "--out", str(out)]) == 0
    events = EventAccumulator(str(out / "tensorboard"), size_guidance={"images": 0, "scalars": 0})
    events.Reload()
    assert [e.step for e in events.Scalars("metrics/psnr")] == [5, 10]
    assert [e.step for e in events.Images("fit/image")] == [5, 10]


def test_without_the_tensorboard_package_the_error_names_the_extra(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # what an install without the extra sees
    field = sk.Siren(in_features=2, out_features=1, hidden_features=8, hidden_layers=1)
    task = sk.tasks.ImageTask.from_source("camera", size=8)
    with pytest.raises(ConfigError, match=r"pip install 'sirenkit\[tensorboard\]'"):
        sk.fit(field, task, steps=2, device="cpu", out=tmp_path, callbacks=[TensorBoard()])
