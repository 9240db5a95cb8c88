"""Meshes from signed distance fields: chunked grid evaluation, marching cubes, export, comparison.

The grid is evaluated `chunk_size` points at a time (`sirenkit.render.evaluate_grid`), so the
network's memory depends on the chunk, never on N^3; only the float32 volume itself is N^3
(512 MiB at 512^3). The reference code meshes at 1600^3 by default and runs machines out of
memory (vsitzmann/siren#11); the default here is 256^3.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import trimesh
from scipy.spatial import cKDTree
from skimage.measure import marching_cubes
from torch import nn

from sirenkit.budget import check_memory, grid_points
from sirenkit.errors import ConfigError, DataError
from sirenkit.io.pointcloud import Normalization
from sirenkit.io.run_dir import atomic_path
from sirenkit.plots import save_sdf_slices
from sirenkit.render import DEFAULT_CHUNK_SIZE, evaluate_grid

MESH_FILES = ("mesh.ply", "mesh.obj")


MESH_BYTES_PER_VOXEL = 16
"""Marching cubes' peak per grid point: the float32 volume, scikit-image's float64 copy and its edge bookkeeping."""


def check_mesh_budget(resolution: int) -> None:
    """Refuse a marching-cubes grid that cannot fit in memory, before any field is evaluated (`sirenkit.budget`)."""
    check_memory(f"a {resolution}^3 marching-cubes grid", grid_points((resolution,) * 3) * MESH_BYTES_PER_VOXEL,
                 fix="pass a smaller --resolution (256 is the paper's; 512 needs about 2 GiB).")


def sdf_volume(field: nn.Module, resolution: int, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> np.ndarray:
    """The field's values on a resolution^3 grid spanning [-1, 1]^3, endpoints included.

    ``volume[i, j, k]`` is the value at (x_i, y_j, z_k).

    Shape:
        returns: (resolution, resolution, resolution) float32
    """
    if resolution < 2:
        raise ConfigError(f"resolution={resolution} must be >= 2 grid points per axis; pass e.g. --resolution 256.")
    check_mesh_budget(resolution)
    return evaluate_grid(field, (resolution,) * 3, chunk_size=chunk_size)[..., 0].numpy()


def extract_mesh(field: nn.Module, *, resolution: int = 256, chunk_size: int = DEFAULT_CHUNK_SIZE,
                 normalization: Normalization | None = None) -> trimesh.Trimesh:
    """The zero level set of an SDF field as a triangle mesh, with outward-facing normals.

    Marching cubes (scikit-image) on a resolution^3 grid over [-1, 1]^3. Faces are wound so their
    normals point along the field's gradient, from inside (f < 0) to outside (f > 0). With a
    `normalization`, vertices are mapped back to the input's original coordinates and units.

    Raises:
        DataError: the field has no zero crossing in the cube (nothing to mesh).
    """
    volume = sdf_volume(field, resolution, chunk_size=chunk_size)
    if not volume.min() < 0.0 < volume.max():
        raise DataError(f"the field has no zero level set in [-1, 1]^3 (values from {volume.min():.3g} to {volume.max():.3g} "
                        f"on the {resolution}^3 grid); train longer, or check the input's normals (their sign).")
    spacing = 2.0 / (resolution - 1)
    verts, faces, _, _ = marching_cubes(volume, level=0.0, spacing=(spacing,) * 3, gradient_direction="descent")
    del volume
    verts = verts.astype(np.float64) - 1.0
    if normalization is not None:
        verts = normalization.to_original(verts)
    return trimesh.Trimesh(verts, faces, process=False)


def keep_near(mesh: trimesh.Trimesh, points: np.ndarray, distance: float) -> trimesh.Trimesh:
    """The connected pieces of `mesh` that have a vertex within `distance` of one of `points`.

    The SDF loss constrains |f| far from the data but not its sign, so a fit can hold small
    spurious surfaces far from every input point; this drops them and keeps the surface the data
    supports (a piece that reaches the data is kept whole).
    """
    near = cKDTree(points).query(mesh.vertices, distance_upper_bound=distance)[0] < np.inf
    labels = trimesh.graph.connected_component_labels(mesh.face_adjacency, node_count=len(mesh.faces))
    keep_labels = np.unique(labels[near[mesh.faces].any(1)])
    keep = np.isin(labels, keep_labels)
    if keep.all():
        return mesh
    kept = trimesh.Trimesh(mesh.vertices, mesh.faces[keep], process=False)
    kept.remove_unreferenced_vertices()
    return kept


def trim_far(mesh: trimesh.Trimesh, points: np.ndarray, distance: float) -> trimesh.Trimesh:
    """`mesh` without the triangles that have a vertex farther than `distance` from every one of `points`.

    An SDF's zero level set is closed; where the input is a partial scan, the part no point
    supports is a guess. Trimming it leaves an open surface over the scanned part only.
    """
    near = cKDTree(points).query(mesh.vertices, distance_upper_bound=distance)[0] < np.inf
    keep = near[mesh.faces].all(1)
    if keep.all():
        return mesh
    kept = trimesh.Trimesh(mesh.vertices, mesh.faces[keep], process=False)
    kept.remove_unreferenced_vertices()
    return kept


def save_mesh(mesh: trimesh.Trimesh, out_dir: str | Path, *, name: str = "mesh") -> list[Path]:
    """Write ``<name>.ply`` (binary) and ``<name>.obj`` into out_dir, atomically; returns the paths."""
    paths = []
    for suffix in (".ply", ".obj"):
        path = Path(out_dir) / f"{name}{suffix}"
        with atomic_path(path) as tmp:
            mesh.export(tmp, file_type=suffix[1:])
        paths.append(path)
    return paths


def compare_meshes(pred: trimesh.Trimesh, reference: trimesh.Trimesh, *, samples: int = 100_000, threshold: float = 0.01,
                   region: np.ndarray | None = None, seed: int = 0) -> dict[str, float]:
    """Chamfer distances, normal consistency and F-score between two surfaces.

    Both surfaces are sampled (`samples` points each, area-weighted, with face normals); each
    sample's nearest neighbour on the other surface is found with a k-d tree. Distances are in
    units of the reference's bounding-box diagonal.

    - chamfer_l1: mean of the two directions' mean distances.
    - chamfer_l2: mean of the two directions' mean squared distances.
    - normal_consistency: mean |cos| between a sample's normal and its neighbour's (1 is perfect;
      the absolute value makes it independent of the reference's winding).
    - f_score: harmonic mean of precision (predicted samples within `threshold` x diagonal of the
      reference) and recall (reference samples within it of the prediction); threshold 0.01 is
      "F-score at 1 %".

    With `region` (points, e.g. a partial scan), only samples within the threshold of those points
    count, so a reconstruction is judged on the part of the reference that was observed.
    """
    diagonal = float(np.linalg.norm(reference.extents))
    radius = threshold * diagonal
    p_points, p_faces = trimesh.sample.sample_surface(pred, samples, seed=seed)
    r_points, r_faces = trimesh.sample.sample_surface(reference, samples, seed=seed + 1)
    p_normals, r_normals = pred.face_normals[p_faces], reference.face_normals[r_faces]
    if region is not None:
        near = cKDTree(region)
        keep_p = near.query(p_points, distance_upper_bound=radius)[0] < np.inf
        keep_r = near.query(r_points, distance_upper_bound=radius)[0] < np.inf
        p_points, p_normals, r_points, r_normals = p_points[keep_p], p_normals[keep_p], r_points[keep_r], r_normals[keep_r]
        if not len(p_points) or not len(r_points):  # the surfaces do not meet near the region: nothing matches
            return {"chamfer_l1": float("inf"), "chamfer_l2": float("inf"), "normal_consistency": 0.0, "f_score": 0.0,
                    "precision": 0.0, "recall": 0.0}
    d_pr, i_pr = cKDTree(r_points).query(p_points)
    d_rp, i_rp = cKDTree(p_points).query(r_points)
    d_pr, d_rp = d_pr / diagonal, d_rp / diagonal
    cos_pr = np.abs(np.einsum("ij,ij->i", p_normals, r_normals[i_pr]))
    cos_rp = np.abs(np.einsum("ij,ij->i", r_normals, p_normals[i_rp]))
    precision, recall = float(np.mean(d_pr < threshold)), float(np.mean(d_rp < threshold))
    return {
        "chamfer_l1": float(0.5 * (d_pr.mean() + d_rp.mean())),
        "chamfer_l2": float(0.5 * ((d_pr**2).mean() + (d_rp**2).mean())),
        "normal_consistency": float(0.5 * (cos_pr.mean() + cos_rp.mean())),
        "f_score": 2 * precision * recall / max(precision + recall, 1e-12),
        "precision": precision,
        "recall": recall,
    }


def render_mesh(mesh: trimesh.Trimesh, *, size: int = 512, azimuth: float = 30.0, elevation: float = 20.0,
                up: int = 1) -> np.ndarray:
    """A shaded orthographic view of a mesh, grey on white, with no display or OpenGL.

    The surface is sampled densely (a few points per pixel, each with its face normal), the
    points are projected, a z-buffer keeps the nearest per pixel, and Lambert shading with a
    headlight gives the grey level. Cost depends on the image size, not on the face count.

    Args:
        up: the mesh axis drawn upwards (the Stanford bunny's is y, 1).

    Shape:
        returns: (size, size) float32 in [0, 1]
    """
    axes = [a for a in range(3) if a != up]
    az, el = np.radians(azimuth), np.radians(elevation)
    # camera frame: right, upward, towards the viewer, in the mesh's axes (x', up, z')
    right = np.zeros(3)
    right[axes[0]], right[axes[1]] = np.cos(az), -np.sin(az)
    toward = np.zeros(3)
    toward[axes[0]], toward[axes[1]], toward[up] = np.sin(az) * np.cos(el), np.cos(az) * np.cos(el), np.sin(el)
    upward = np.cross(toward, right)
    frame = np.stack([right, upward, toward])
    center = mesh.bounds.mean(0)
    half = 0.55 * float(np.linalg.norm(mesh.extents))
    pixel = 2 * half / size
    count = int(min(max(4 * mesh.area / pixel**2, 1e5), 4e6))
    points, faces = trimesh.sample.sample_surface(mesh, count, seed=0)
    view = (points - center) @ frame.T
    normals = mesh.face_normals[faces] @ frame.T
    col = np.clip(((view[:, 0] + half) / pixel).astype(int), 0, size - 1)
    row = np.clip(((half - view[:, 1]) / pixel).astype(int), 0, size - 1)
    flat = row * size + col
    order = np.lexsort((-view[:, 2], flat))  # per pixel, nearest to the viewer first
    first = order[np.unique(flat[order], return_index=True)[1]]
    image = np.ones(size * size, np.float32)
    image[flat[first]] = 0.15 + 0.8 * np.abs(normals[first, 2])
    return image.reshape(size, size)


def save_mesh_picture(path: str | Path, mesh: trimesh.Trimesh, *, size: int = 384, up: int = 1) -> Path:
    """Two shaded views of a mesh (front-left and back-right) side by side, as a PNG."""
    from sirenkit.io.image import save_image

    views = [render_mesh(mesh, size=size, azimuth=az, up=up) for az in (30.0, 210.0)]
    return save_image(path, np.concatenate(views, axis=1))


def save_slices(path: str | Path, field: nn.Module, *, normalization: Normalization | None = None, size: int = 256,
                chunk_size: int = DEFAULT_CHUNK_SIZE) -> Path:
    """Contour plots of the SDF on three planes through the cube's centre (x = 0, y = 0, z = 0), as a PNG.

    The zero level (the surface) is drawn in black; axes are in the input's units when a
    normalization is given. The reference code shows the same three slices during training.
    """
    device = next(field.parameters()).device
    ticks = np.linspace(-1.0, 1.0, size)
    normalization = normalization or Normalization((0.0, 0.0, 0.0), 1.0)
    slices = []
    for normal_axis in (0, 1, 2):
        a, b = [i for i in range(3) if i != normal_axis]
        coords = np.zeros((size, size, 3), np.float32)
        coords[..., a], coords[..., b] = np.meshgrid(ticks, ticks, indexing="xy")
        values = np.empty(size * size, np.float32)
        flat = torch.from_numpy(coords.reshape(-1, 3))
        with torch.no_grad():
            for start in range(0, len(flat), chunk_size):
                values[start : start + chunk_size] = field(flat[start : start + chunk_size].to(device))[:, 0].cpu().numpy()
        values = values.reshape(size, size) / normalization.scale  # distances in the input's units
        u = ticks / normalization.scale + normalization.center[a]
        v = ticks / normalization.scale + normalization.center[b]
        slices.append(("xyz"[normal_axis], float(normalization.center[normal_axis]), "xyz"[a], "xyz"[b], u, v, values))
    return save_sdf_slices(path, slices)

__all__ = ["MESH_FILES", "compare_meshes", "extract_mesh", "keep_near", "render_mesh", "save_mesh", "save_mesh_picture", "save_slices",
           "sdf_volume", "trim_far"]
