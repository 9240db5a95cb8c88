"""Meshing an SDF: outward normals, original units, chunked memory, and the mesh metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh
from torch import nn

import sirenkit as sk
from sirenkit.io.pointcloud import Normalization
from sirenkit.mesh import compare_meshes, extract_mesh, keep_near, render_mesh, save_mesh, sdf_volume, trim_far


class SphereSDF(nn.Module):
    """The exact SDF ‖x - center‖ - radius; records the largest batch it was given."""

    def __init__(self, radius: float = 0.5, center: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> None:
        super().__init__()
        self.radius = radius
        self.register_buffer("center", torch.tensor(center))
        self.anchor = nn.Parameter(torch.zeros(1))  # so the field has a device
        self.max_rows = 0

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        self.max_rows = max(self.max_rows, len(coords))
        return (coords - self.center).norm(dim=-1, keepdim=True) - self.radius + self.anchor


def test_values_sphere_mesh_outward_and_in_original_units(tmp_path, device):
    norm = Normalization(center=(10.0, -5.0, 3.0), scale=0.25)  # unit radius 0.5 = 2 input units
    mesh = extract_mesh(SphereSDF(0.5).to(device), resolution=48, normalization=norm)
    np.testing.assert_allclose(mesh.bounds, [[8.0, -7.0, 1.0], [12.0, -3.0, 5.0]], atol=0.01)
    radii = np.linalg.norm(mesh.vertices - norm.center, axis=1)
    assert np.abs(radii - 2.0).max() < 0.02  # marching cubes interpolates the exact SDF linearly
    outward = np.einsum("ij,ij->i", mesh.face_normals, mesh.triangles_center - norm.center)
    assert (outward > 0).all() and mesh.volume > 0
    ply, obj = save_mesh(mesh, tmp_path)
    for path in (ply, obj):
        loaded = trimesh.load(path, process=False)
        assert len(loaded.faces) == len(mesh.faces)
        np.testing.assert_allclose(loaded.bounds, mesh.bounds, atol=1e-5)


def test_meshing_memory_grows_with_the_chunk_not_the_grid(device):
    for resolution in (24, 48):
        field = SphereSDF(0.5).to(device)
        volume = sdf_volume(field, resolution, chunk_size=1000)
        assert field.max_rows == 1000 < resolution**3  # the network never sees more than one chunk
        assert volume.shape == (resolution,) * 3 and volume.dtype == np.float32
    whole = SphereSDF(0.5).to(device)
    np.testing.assert_array_equal(sdf_volume(whole, 48, chunk_size=48**3), volume)
    assert whole.max_rows == 48**3


def test_values_grid_layout_axis_order(device):
    field = SphereSDF(0.5, center=(0.5, 0.0, 0.0)).to(device)  # off centre along x only
    volume = sdf_volume(field, 21)
    assert volume[15, 10, 10] == pytest.approx(-0.5, abs=1e-6)  # x = 0.5, y = z = 0 is the centre


def test_errors_no_surface_in_the_cube():
    with pytest.raises(sk.DataError, match="no zero level set"):
        extract_mesh(SphereSDF(radius=-0.1), resolution=16)
    with pytest.raises(sk.ConfigError, match="resolution=1"):
        sdf_volume(SphereSDF(), 1)


def test_values_compare_meshes_against_a_shifted_copy():
    reference = trimesh.creation.icosphere(subdivisions=4, radius=1.0)
    diagonal = float(np.linalg.norm(reference.extents))
    same = compare_meshes(reference, reference, samples=100_000)  # fewer samples leave gaps wider than 1 %
    assert same["f_score"] == 1.0 and same["chamfer_l1"] < 0.003 and same["normal_consistency"] > 0.999
    # a sphere moved by s (fraction of the diagonal) along x: a point with normal n is about s |n_x| from the
    # other sphere, and n_x is uniform on [-1, 1], so Chamfer-L1 = s / 2 and F-score@1% = P(|n_x| < 0.01 / s)
    for shift, f_expected in ((0.004, 1.0), (0.03, 1 / 3)):
        moved = reference.copy()
        moved.apply_translation([shift * diagonal, 0.0, 0.0])
        metrics = compare_meshes(moved, reference, samples=100_000)
        assert metrics["f_score"] == pytest.approx(f_expected, abs=0.01), (shift, metrics)
        assert metrics["chamfer_l1"] == pytest.approx(shift / 2, rel=0.1, abs=0.001), (shift, metrics)
    half = compare_meshes(reference, reference, samples=100_000, region=reference.vertices[reference.vertices[:, 0] > 0])
    assert half["f_score"] == 1.0


def test_keep_near_drops_far_pieces_only():
    near = trimesh.creation.icosphere(subdivisions=2, radius=1.0)
    far = trimesh.creation.icosphere(subdivisions=2, radius=0.2)
    far.apply_translation([5.0, 0.0, 0.0])
    both = trimesh.util.concatenate([near, far])
    kept = keep_near(both, near.vertices[:10], 0.1)
    assert len(kept.faces) == len(near.faces)
    np.testing.assert_allclose(kept.bounds, near.bounds)


def test_trim_far_leaves_an_open_surface_over_the_points():
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=1.0)
    cap = sphere.vertices[sphere.vertices[:, 2] > 0.5]  # a "scan" of the top cap
    trimmed = trim_far(sphere, cap, 0.05)
    assert not trimmed.is_watertight and trimmed.vertices[:, 2].min() > 0.4
    # a cap of height 0.5 on a unit sphere has area 2 pi r h = 3.14; its ragged rim (edges 0.08 long) costs a few %
    assert trimmed.area == pytest.approx(2 * np.pi * 0.5, rel=0.1)


def test_render_mesh_draws_the_shape_shaded():
    image = render_mesh(trimesh.creation.icosphere(subdivisions=3), size=64)
    assert image.shape == (64, 64)
    covered = image < 1.0
    # a unit disc in a view of half-width 0.55 * diagonal = 1.905: pi / (4 * 1.905^2) = 0.216 of the pixels
    assert 0.2 < covered.mean() < 0.25
    assert image[32, 32] > 0.9 and image[covered].min() < 0.5  # bright facing the viewer, darker at the rim
