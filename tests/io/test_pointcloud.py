"""Reading surfaces: every input format, normal estimation, normalisation, and bad-input errors."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

import sirenkit as sk
from sirenkit.io.pointcloud import Normalization, estimate_normals, load_mesh, load_surface, sphere_surface


def _sphere(count: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    surface = sphere_surface(count, radius=2.0, seed=1)
    return surface.points + [10.0, -5.0, 3.0], surface.normals


def _write_ply(path, points, normals=None):
    names = ["x", "y", "z"] + (["nx", "ny", "nz"] if normals is not None else [])
    rows = points if normals is None else np.hstack([points, normals])
    header = ["ply", "format ascii 1.0", f"element vertex {len(points)}", *[f"property float {n}" for n in names], "end_header"]
    path.write_text("\n".join(header + [" ".join(f"{v:.7g}" for v in row) for row in rows]) + "\n")
    return path


def test_values_every_point_format_reads_the_same(tmp_path):
    points, normals = _sphere()
    np.savetxt(tmp_path / "s.xyz", np.hstack([points, normals * 3.0]))  # normals need not be unit length
    np.save(tmp_path / "s.npy", np.hstack([points, normals]))
    np.savez(tmp_path / "s.npz", points=points, normals=normals)
    _write_ply(tmp_path / "s.ply", points, normals)
    for name in ("s.xyz", "s.npy", "s.npz", "s.ply"):
        surface = load_surface(tmp_path / name)
        assert surface.mesh is None and not surface.normals_estimated, name
        np.testing.assert_allclose(surface.points, points, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(surface.normals, normals, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("suffix", [".obj", ".off", ".stl", ".ply"])
def test_values_mesh_inputs_give_samples_with_outward_face_normals(tmp_path, suffix):
    mesh = trimesh.creation.icosphere(subdivisions=3, radius=2.0)
    mesh.export(tmp_path / f"m{suffix}")
    surface = load_surface(tmp_path / f"m{suffix}", samples=5000)
    assert surface.mesh is not None and len(surface.points) == 5000
    radial = surface.points / np.linalg.norm(surface.points, axis=1, keepdims=True)
    assert np.einsum("ij,ij->i", surface.normals, radial).min() > 0.95
    assert np.abs(np.linalg.norm(surface.points, axis=1) - 2.0).max() < 0.03  # on the facets of a radius-2 icosphere


def test_estimated_normals_agree_with_the_true_ones_and_warn(tmp_path):
    points, normals = _sphere()
    np.savetxt(tmp_path / "raw.xyz", points)
    with pytest.warns(UserWarning, match="no normals in the file; estimating"):
        surface = load_surface(tmp_path / "raw.xyz")
    assert surface.normals_estimated
    cos = np.einsum("ij,ij->i", surface.normals, normals)
    assert cos.min() > 0.95  # measured 0.998: PCA on 16 neighbours, oriented outward everywhere
    assert load_surface(tmp_path / "raw.xyz", estimate=False).normals is None
    with pytest.warns(UserWarning):
        assert load_surface(_write_ply(tmp_path / "raw.ply", points)).normals_estimated


def test_estimate_normals_on_an_open_sheet_is_consistent():
    x, y = np.meshgrid(np.linspace(-1, 1, 60), np.linspace(-1, 1, 60))
    points = np.stack([x.ravel(), y.ravel(), 0.2 * np.sin(2 * x.ravel())], axis=1)
    normals = estimate_normals(points)
    assert abs(np.sign(normals[:, 2]).sum()) == len(points)  # every normal on the same side of the sheet


def test_normalization_keeps_aspect_and_round_trips(tmp_path):
    points = np.array([[0.0, 0.0, 0.0], [4.0, 2.0, 1.0]]) + 100.0
    norm = Normalization.from_points(points, extent=0.9)
    unit = norm.to_unit(points)
    np.testing.assert_allclose(unit, [[-0.9, -0.45, -0.225], [0.9, 0.45, 0.225]])
    np.testing.assert_allclose(norm.to_original(unit), points)
    assert Normalization.load(norm.save(tmp_path / "n.json")) == norm


def test_errors_name_the_file_and_the_fix(tmp_path):
    points, normals = _sphere(100)
    bad_columns = tmp_path / "four.xyz"
    np.savetxt(bad_columns, np.hstack([points, normals[:, :1]]))
    with pytest.raises(sk.DataError, match=r"four.xyz: expected 6 columns \(x y z nx ny nz\) or 3 \(x y z\), found 4 on line 1"):
        load_surface(bad_columns)
    ragged = tmp_path / "ragged.xyz"
    ragged.write_text("0 0 0 0 0 1\n1 0 0 0 0 1\n0 1 0 0\n")
    with pytest.raises(sk.DataError, match="ragged.xyz: cannot read it as numbers in 3 or 6 columns"):
        load_surface(ragged)
    nan = np.hstack([points, normals])
    nan[7, 1] = np.nan
    np.savetxt(tmp_path / "nan.xyz", nan)
    with pytest.raises(sk.DataError, match=r"nan.xyz: 1 point\(s\) have NaN or inf coordinates \(first at row 8\); remove"):
        load_surface(tmp_path / "nan.xyz")
    (tmp_path / "empty.xyz").write_text("")
    with pytest.raises(sk.DataError, match="empty.xyz: the file is empty"):
        load_surface(tmp_path / "empty.xyz")
    (tmp_path / "comments.xyz").write_text("# only a header\n\n")
    with pytest.raises(sk.DataError, match="comments.xyz: the file is empty"):
        load_surface(tmp_path / "comments.xyz")
    np.save(tmp_path / "empty.npy", np.zeros((0, 6)))
    with pytest.raises(sk.DataError, match="empty.npy: the file is empty"):
        load_surface(tmp_path / "empty.npy")
    same = np.tile([[1.0, 2.0, 3.0, 0.0, 0.0, 1.0]], (50, 1))
    np.savetxt(tmp_path / "same.xyz", same)
    with pytest.raises(sk.DataError, match=r"same.xyz: all 50 points are the same point \[1.0, 2.0, 3.0\]"):
        load_surface(tmp_path / "same.xyz")
    zero = np.hstack([points, normals])
    zero[3, 3:] = 0.0
    np.savetxt(tmp_path / "zero.xyz", zero)
    with pytest.raises(sk.DataError, match=r"zero.xyz: 1 normal\(s\) have zero length \(first at row 4\).*--no-normals"):
        load_surface(tmp_path / "zero.xyz")
    np.savez(tmp_path / "keys.npz", xyz=points)
    with pytest.raises(sk.DataError, match="keys.npz: no array named 'points' \\(found: xyz\\)"):
        load_surface(tmp_path / "keys.npz")
    with pytest.raises(sk.DataError, match="missing.xyz: no such file"):
        load_surface(tmp_path / "missing.xyz")
    with pytest.raises(sk.DataError, match="unknown file type '.csv'"):
        load_surface(_touch(tmp_path / "points.csv"))
    with pytest.raises(sk.DataError, match="holds no triangles"):
        load_mesh(_write_ply(tmp_path / "cloud.ply", points))


def _touch(path):
    path.write_text("1 2 3\n")
    return path
