"""The readers notice damaged input: files cut short, values that are not numbers, side files that cannot be right."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile
import trimesh

import sirenkit as sk
from sirenkit.io.arrays import load_receiver_data, load_velocity
from sirenkit.io.audio import load_audio
from sirenkit.io.pointcloud import Normalization, load_surface, sphere_surface

pytestmark = pytest.mark.reliability("bad input")


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_errors_wav_cut_short(tmp_path, subtype):
    samples = np.sin(np.arange(4000) / 7.0).astype(np.float32)
    whole = tmp_path / "whole.wav"
    soundfile.write(whole, samples, 8000, subtype=subtype)
    read, rate = load_audio(whole)
    assert rate == 8000 and read.shape == (4000, 1)  # the whole file passes
    data = whole.read_bytes()
    (tmp_path / "half.wav").write_bytes(data[: len(data) // 2])
    width = {"PCM_16": 2, "PCM_24": 3, "FLOAT": 4}[subtype]
    with pytest.raises(sk.DataError, match=rf"half.wav: the file is cut short: its header declares {4000 * width} bytes"):
        load_audio(tmp_path / "half.wav")


@pytest.mark.parametrize("encoding", ["ascii", "binary"])
@pytest.mark.parametrize("faces", [True, False], ids=["mesh", "points"])
def test_errors_ply_cut_to_a_third(tmp_path, encoding, faces):
    sphere = trimesh.creation.icosphere(subdivisions=3)
    shape = sphere if faces else trimesh.PointCloud(sphere.vertices)
    whole = tmp_path / "whole.ply"
    whole.write_bytes(trimesh.exchange.ply.export_ply(shape, encoding=encoding))
    surface = load_surface(whole, samples=500, estimate=False)
    assert len(surface.points) == (500 if faces else len(sphere.vertices))
    data = whole.read_bytes()
    (tmp_path / "third.ply").write_bytes(data[: len(data) // 3])
    with pytest.raises(sk.DataError, match=r"third.ply: the file is cut short: its header declares .*vertex 642"):
        load_surface(tmp_path / "third.ply", samples=500, estimate=False)


def test_errors_velocity_maps_that_are_not_real_numbers(tmp_path):
    np.save(tmp_path / "ok.npy", np.full((8, 8), 2.0))
    assert load_velocity(tmp_path / "ok.npy").dtype == np.float64
    np.savez(tmp_path / "archive.npz", velocity=np.ones((8, 8)))
    (tmp_path / "archive.npz").rename(tmp_path / "archive.npy")
    with pytest.raises(sk.DataError, match="is an .npz archive, not one array"):
        load_velocity(tmp_path / "archive.npy")
    np.save(tmp_path / "text.npy", np.full((8, 8), "1.5"))
    with pytest.raises(sk.DataError, match=r"holds <U3 values, not numbers"):
        load_velocity(tmp_path / "text.npy")
    np.save(tmp_path / "complex.npy", np.full((8, 8), 1.0 + 0.25j))  # refused, not cut to its real part
    with pytest.raises(sk.DataError, match=r"the velocity map is complex \(complex128\)"):
        load_velocity(tmp_path / "complex.npy")


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), float("inf")])
def test_errors_damaged_normalization(tmp_path, scale):
    path = Normalization((0.0, 0.0, 0.0), 2.0).save(tmp_path / "normalization.json")
    assert Normalization.load(path).scale == 2.0
    data = json.loads(path.read_text()) | {"scale": scale}
    path.write_text(json.dumps(data))
    with pytest.raises(sk.DataError, match=rf"the normalisation is damaged \(center \[0.0, 0.0, 0.0\], scale {scale}"):
        Normalization.load(path)


def test_errors_points_beyond_float32(tmp_path):
    points = sphere_surface(64).points
    np.save(tmp_path / "ok.npy", points * 1e30)  # large units are fine: they fit float32 once normalised
    assert load_surface(tmp_path / "ok.npy", estimate=False).points.max() == pytest.approx(points.max() * 1e30)
    far = points.copy()
    far[5, 1] = 1e300
    np.save(tmp_path / "far.npy", far)
    with pytest.raises(sk.DataError, match=r"far.npy: 1 point\(s\) lie beyond \+-8.51e\+37 \(first at row 6"):
        load_surface(tmp_path / "far.npy", estimate=False)


@pytest.mark.parametrize("estimate", [True, False], ids=["estimated normals", "no normals"])
def test_errors_too_few_points_without_normals(tmp_path, estimate):
    np.savetxt(tmp_path / "three.xyz", [[0, 0, 0], [1, 0, 0], [0, 1, 0]])
    with pytest.raises(sk.DataError, match=r"3 points without normals; .* give at least 16 points, or normals"):
        load_surface(tmp_path / "three.xyz", estimate=estimate)
    np.savetxt(tmp_path / "three_oriented.xyz", [[0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 1], [0, 1, 0, 0, 0, 1]])
    assert load_surface(tmp_path / "three_oriented.xyz").normals.shape == (3, 3)  # with normals, the points say enough
    with pytest.warns(UserWarning, match="estimating them from 16 neighbours"):
        np.savetxt(tmp_path / "sixteen.xyz", sphere_surface(16).points)
        assert load_surface(tmp_path / "sixteen.xyz").normals.shape == (16, 3)


@pytest.mark.parametrize("case", ["no sources", "no receivers", "nan"])
def test_errors_fwi_data_without_measurements(tmp_path, case):
    """An FWI .mat with empty source/receiver lists or NaN measurements is refused by name, not inverted."""
    import scipy.io

    sources, receivers = np.zeros((0 if case == "no sources" else 2, 2)), np.full((0 if case == "no receivers" else 3, 2), 0.4)
    values = np.ones((len(receivers), len(sources)), complex)
    if case == "nan":
        values[0, 0] = np.nan
    scipy.io.savemat(tmp_path / "fwi.mat", {"source": sources, "receivers": receivers, "rec_val": values})
    with pytest.raises(sk.DataError, match="NaN" if case == "nan" else "at least one"):
        load_receiver_data(tmp_path / "fwi.mat")
