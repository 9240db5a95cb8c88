"""Every picture says what it shows: titles, row labels, colour bars and numbers, read back from the Figure objects."""

from __future__ import annotations

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio

import sirenkit as sk
from sirenkit import plots


def _titles(fig) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


def _bar_labels(fig) -> list[str]:
    return [ax.get_ylabel() or ax.get_xlabel() for ax in fig.axes if ax.get_label() == "<colorbar>"]


def test_image_panel_shows_the_psnr_and_an_error_map(tmp_path, drawn):
    task = sk.tasks.ImageTask.from_source("camera", size=24)
    torch.manual_seed(0)
    field = sk.Siren(in_features=2, hidden_features=16, hidden_layers=1, out_features=1)
    task.export(field, tmp_path)
    pred = task.reconstruct(field)
    reference = peak_signal_noise_ratio(task.image.astype(np.float64), pred.astype(np.float64), data_range=1.0)
    fig = drawn["panel.png"]
    assert f"fit (exact derivatives)\nPSNR {reference:.2f} dB" in _titles(fig)
    assert abs(reference - task.evaluate(field)["psnr"]) < 0.01  # the number in the title is the run's metric
    assert "error map |fit - truth|" in _titles(fig) and "|error| (values in [0, 1])" in _bar_labels(fig)


def test_derivative_panel_without_truth_keeps_three_columns():
    rows = [("a", np.zeros((4, 4, 1)), np.zeros((4, 4)), np.zeros((4, 4)))]
    fig = plots.draw_derivative_panel(rows)
    assert [t for t in _titles(fig) if t] == ["a", "|∇| (gradient norm)", "Δ (Laplacian)"]


def test_wave_frames_name_the_method_and_have_colour_bars(drawn, tmp_path):
    task = sk.tasks.WaveTask.from_config(sk.tasks.WaveConfig(frame_size=16, frame_times=(0.0, 0.1)))
    field = sk.MLP(activation="tanh", in_features=3, hidden_features=8, hidden_layers=1, out_features=1)
    task.export(field, tmp_path)
    fig = drawn["frames.png"]
    assert [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel() and ax.get_label() != "<colorbar>"] == \
        ["tanh MLP", "FDTD reference", "difference"]
    assert _bar_labels(fig) == ["u (wave field)"] * 2
    assert plots.field_label(sk.Siren(in_features=3, hidden_features=8, hidden_layers=1, out_features=1)) == "SIREN"
    assert plots.field_label(torch.nn.Linear(3, 1)) == "Linear"


def test_sdf_slice_titles_are_readable(drawn, tmp_path):
    from sirenkit.io.pointcloud import Normalization
    from sirenkit.mesh import save_slices

    field = sk.Siren(in_features=3, hidden_features=8, hidden_layers=1, out_features=1)
    save_slices(tmp_path / "sdf_slices.png", field, normalization=Normalization((3.372e-05, -1e-4, 1.5), 1.0), size=16)
    fig = drawn["sdf_slices.png"]
    assert [t for t in _titles(fig) if t] == ["slice x = 0.00 (black: surface)", "slice y = 0.00 (black: surface)",
                                              "slice z = 1.50 (black: surface)"]
    assert _bar_labels(fig) == ["signed distance"] * 3


def test_video_frames_are_labelled_with_frame_and_psnr(drawn, tmp_path):
    frames = np.random.default_rng(0).integers(0, 255, (3, 8, 12, 3), dtype=np.uint8)
    task = sk.tasks.VideoTask(frames)
    field = sk.Siren(in_features=3, hidden_features=8, hidden_layers=1, out_features=3)
    task.export(field, tmp_path)
    fig = drawn["frames.png"]
    psnrs = [peak_signal_noise_ratio(f.astype(np.float64) / 255, p.astype(np.float64), data_range=1.0)
             for f, p in zip(frames, task.fitted_frames(field))]
    assert _titles(fig) == [f"frame {i}" for i in range(3)] + [f"fit: PSNR {p:.1f} dB" for p in psnrs]
    assert [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()] == ["ground truth", "fit"]


def test_blend_comparison_is_labelled(drawn, tmp_path):
    config = sk.tasks.BlendConfig(size=32, foreground_size=8, at=(2, 2))
    task = sk.tasks.BlendTask.from_config(config)
    task.export(sk.Siren(in_features=2, hidden_features=8, hidden_layers=1, out_features=3), tmp_path)
    assert _titles(drawn["comparison.png"]) == ["background", "naive paste (cut and paste)",
                                                "blended by the field (guide: foreground)"]
