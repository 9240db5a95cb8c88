"""Reading surfaces for SDF fitting: oriented point clouds, raw scans and meshes, in any units.

Every reader returns a `Surface`: points (and normals, when known) in the file's own units, plus
the mesh when the input was one (it is the reference surface for the metrics). The validation
happens here, once, so a bad file fails before training with a message naming it and the fix.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components, minimum_spanning_tree
from scipy.spatial import cKDTree

from sirenkit.errors import ConfigError, DataError

log = logging.getLogger(__name__)

POINT_FORMATS = (".xyz", ".txt", ".npy", ".npz")
COORDINATE_LIMIT = float(np.finfo(np.float32).max) / 4
"""Largest |coordinate| accepted: training runs in float32, and the bounding box's side must stay finite there."""
MESH_FORMATS = (".ply", ".obj", ".off", ".stl", ".glb", ".gltf")
"""A .ply without faces is read as a point cloud."""


@dataclass
class Surface:
    """Points on a surface, in the input's units, with unit normals when known.

    Shape:
        points: (N, 3) float64; normals: (N, 3) float64 or None.
    """

    points: np.ndarray
    normals: np.ndarray | None
    mesh: trimesh.Trimesh | None = None
    """The input mesh (a reference surface for metrics), or None for a point cloud."""
    normals_estimated: bool = False
    """True when the normals come from `estimate_normals`, not from the file."""


@dataclass(frozen=True)
class Normalization:
    """The similarity transform from the input's units to the field's cube [-1, 1]^3.

    unit = (original - center) * scale. One scale for all axes keeps the aspect ratio; it is
    saved in every SDF run (normalization.json) so meshes are exported in the original units.
    """

    center: tuple[float, float, float]
    scale: float
    """Field units per input unit."""

    @classmethod
    def from_points(cls, points: np.ndarray, *, extent: float = 0.9) -> Normalization:
        """Centre the bounding box and map its longest side to [-extent, extent]."""
        lo, hi = points.min(0), points.max(0)
        side = float((hi - lo).max())
        return cls(tuple(float(c) for c in (lo + hi) / 2), 2.0 * extent / side)  # type: ignore[arg-type]

    def to_unit(self, points: np.ndarray) -> np.ndarray:
        return (np.asarray(points, np.float64) - np.asarray(self.center)) * self.scale

    def to_original(self, points: np.ndarray) -> np.ndarray:
        return np.asarray(points, np.float64) / self.scale + np.asarray(self.center)

    def save(self, path: Path) -> Path:
        from sirenkit.io.run_dir import write_json

        return write_json(path, {"center": list(self.center), "scale": self.scale,
                                 "meaning": "unit = (original - center) * scale; the field lives on [-1, 1]^3"})

    @classmethod
    def load(cls, path: Path) -> Normalization:
        try:
            data = json.loads(Path(path).read_text())
            center, scale = tuple(float(c) for c in data["center"]), float(data["scale"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path}: cannot read the normalisation ({type(exc).__name__}: {exc}); "
                            "delete it and re-run 'sirenkit mesh', which rebuilds it from the input file.") from None
        if len(center) != 3 or not all(math.isfinite(c) for c in center) or not (math.isfinite(scale) and scale > 0):
            raise DataError(f"{path}: the normalisation is damaged (center {list(center)}, scale {scale}; expected 3 finite "
                            "numbers and a finite scale > 0); delete it and re-run 'sirenkit mesh', which rebuilds it "
                            "from the input file.")
        return cls(center, scale)  # type: ignore[arg-type]


def sphere_surface(count: int = 20000, *, radius: float = 1.0, seed: int = 0) -> Surface:
    """Points spread uniformly on a sphere, with outward normals: a shape with a known SDF, ‖x‖ - radius."""
    normals = np.random.default_rng(seed).normal(size=(count, 3))
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    return Surface(normals * radius, normals)


def load_surface(source: str | Path, *, samples: int = 250_000, estimate: bool = True, neighbours: int = 16,
                 seed: int = 0) -> Surface:
    """Read an oriented point cloud, a raw scan or a mesh.

    Args:
        source: .xyz/.txt (x y z [nx ny nz] per line), .npy ((N, 3) or (N, 6)), .npz (arrays
            'points' and optionally 'normals'), .ply (points, with or without nx ny nz, or a mesh),
            or a mesh file (.obj, .off, .stl, .glb).
        samples: points drawn on a mesh's surface (area-weighted), each with its face's normal.
        estimate: when the file has no normals, estimate them (`estimate_normals`, with a warning);
            False leaves them None (training without the normal term).
        neighbours: points per neighbourhood for the normal estimate.
        seed: seed of the mesh surface samples.

    Raises:
        DataError: missing or unreadable file, wrong column count, empty, NaN/inf coordinates, all
            points equal, or normals of zero length; the message names the file and the fix.
    """
    path = Path(source)
    if not path.is_file():
        raise DataError(f"{path}: no such file; pass a point cloud (.xyz, .txt, .npy, .npz, .ply) or a mesh "
                        "(.ply, .obj, .off, .stl), or 'sphere' for the built-in test shape.")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes); it must hold the surface points (x y z nx ny nz per line) or a mesh.")
    suffix = path.suffix.lower()
    if suffix in (".xyz", ".txt"):
        points, normals = _split_columns(_read_text(path), path)
    elif suffix == ".npy":
        points, normals = _split_columns(_read_npy(path), path)
    elif suffix == ".npz":
        points, normals = _read_npz(path)
    elif suffix in MESH_FORMATS:
        loaded = _read_trimesh(path)
        if isinstance(loaded, trimesh.Trimesh):
            return _mesh_surface(loaded, path, samples=samples, seed=seed)
        points, normals = _ply_points(loaded, path)
    else:
        raise DataError(f"{path}: unknown file type '{suffix}'; use one of {', '.join(POINT_FORMATS + MESH_FORMATS)}.")
    points = _check_points(points, path)
    if normals is not None:
        return Surface(points, _check_normals(normals, path))
    if len(points) < neighbours:
        raise DataError(f"{path}: {len(points)} points without normals; a surface cannot be recovered from so few. Each "
                        f"normal is estimated from a point's {neighbours} nearest neighbours (and without normals only "
                        f"the points pin the zero level set), so give at least {neighbours} points, or normals "
                        "(x y z nx ny nz per line).")
    if not estimate:
        return Surface(points, None)
    warnings.warn(f"{path.name}: no normals in the file; estimating them from {neighbours} neighbours per point "
                  "(PCA) and orienting them consistently. A raw scan may still get some wrong: check the mesh, "
                  "or pass --no-normals to train without the normal term.", UserWarning, stacklevel=2)
    return Surface(points, estimate_normals(points, neighbours=neighbours), normals_estimated=True)


def load_mesh(path: str | Path) -> trimesh.Trimesh:
    """A triangle mesh (for --reference), refusing point clouds and empty meshes."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such mesh file; pass a .ply, .obj, .off or .stl mesh as --reference.")
    loaded = _read_trimesh(path)
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise DataError(f"{path}: holds no triangles; a reference must be a mesh (.ply with faces, .obj, .off, .stl).")
    return loaded


def estimate_normals(points: np.ndarray, *, neighbours: int = 16) -> np.ndarray:
    """Unit normals of a raw point cloud: PCA over neighbours, orientation propagated along a tree.

    Each normal is the direction of least variance of the point's `neighbours` nearest points.
    PCA gives no sign; signs are made consistent by walking the minimum spanning tree of the
    neighbour graph with edge cost 1 - |n_i . n_j| and flipping a normal that disagrees with its
    parent's (Hoppe et al. 1992, "Surface reconstruction from unorganized points"). In each
    connected piece the walk starts at the point farthest from the centroid, whose normal is
    turned to point away from the centroid (outward for a closed surface or a scan seen from outside).

    Shape:
        points: (N, 3); returns (N, 3).
    """
    points = np.asarray(points, np.float64)
    k = int(min(max(neighbours, 3), len(points)))
    _, index = cKDTree(points).query(points, k=k)
    local = points[index] - points[index].mean(1, keepdims=True)
    _, vectors = np.linalg.eigh(np.einsum("nki,nkj->nij", local, local))
    normals = vectors[:, :, 0]  # eigenvalues ascend: the first vector is the least-variance direction
    rows = np.repeat(np.arange(len(points)), k - 1)
    cols = index[:, 1:].ravel()
    cost = 1.0 - np.abs(np.einsum("ij,ij->i", normals[rows], normals[cols])) + 1e-6  # 0 would mean "no edge"
    graph = coo_matrix((cost, (rows, cols)), shape=(len(points),) * 2).tocsr()
    graph = graph.maximum(graph.T)
    tree = minimum_spanning_tree(graph)
    tree = tree + tree.T
    centroid = points.mean(0)
    n_parts, labels = connected_components(tree, directed=False)
    distance = np.linalg.norm(points - centroid, axis=1)
    for part in range(n_parts):
        members = np.flatnonzero(labels == part)
        seed = members[np.argmax(distance[members])]
        if normals[seed] @ (points[seed] - centroid) < 0:
            normals[seed] = -normals[seed]
        order, parent = breadth_first_order(tree, seed, directed=False)
        for i in order[1:]:
            if normals[i] @ normals[parent[i]] < 0:
                normals[i] = -normals[i]
    return normals


def _read_text(path: Path) -> np.ndarray:
    first = None
    with path.open() as f:
        for number, line in enumerate(f, 1):
            if line.strip() and not line.lstrip().startswith("#"):
                first = (number, len(line.split()))
                break
    if first is None:
        raise DataError(f"{path}: the file is empty (no point rows); write one point per line: x y z nx ny nz.")
    if first[1] not in (3, 6):
        raise DataError(f"{path}: expected 6 columns (x y z nx ny nz) or 3 (x y z), found {first[1]} on line {first[0]}. "
                        "Write one point per line, separated by spaces.")
    try:
        return np.loadtxt(path, dtype=np.float64, ndmin=2, comments="#")
    except ValueError as exc:
        raise DataError(f"{path}: cannot read it as numbers in 3 or 6 columns ({exc}); "
                        "every line must hold x y z or x y z nx ny nz.") from None


def _read_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read it as a NumPy array ({exc}); save an (N, 6) or (N, 3) float array with np.save.") from None


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read it as a NumPy .npz archive ({exc}); "
                        "save it with np.savez(path, points=..., normals=...).") from None
    if "points" not in arrays:
        raise DataError(f"{path}: no array named 'points' (found: {', '.join(arrays) or 'none'}); "
                        "save it with np.savez(path, points=xyz, normals=normals).")
    points = _as_columns(arrays["points"], path, "points", 3)
    normals = _as_columns(arrays["normals"], path, "normals", 3) if "normals" in arrays else None
    if normals is not None and len(normals) != len(points):
        raise DataError(f"{path}: {len(points)} points but {len(normals)} normals; save one normal per point.")
    return points, normals


def _as_columns(array: np.ndarray, path: Path, name: str, columns: int) -> np.ndarray:
    array = np.asarray(array)
    if array.size == 0:
        raise DataError(f"{path}: '{name}' is empty; the file must hold at least a few hundred surface points.")
    if array.ndim != 2 or array.shape[1] != columns or not np.issubdtype(array.dtype, np.number):
        raise DataError(f"{path}: '{name}' has shape {array.shape} ({array.dtype}); expected ({len(array)}, {columns}) numbers.")
    return array.astype(np.float64)


def _split_columns(array: np.ndarray, path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    array = np.asarray(array)
    if array.size == 0:
        raise DataError(f"{path}: the file is empty (no points); it must hold one point per row: x y z nx ny nz.")
    if array.ndim != 2 or array.shape[1] not in (3, 6):
        raise DataError(f"{path}: expected 6 columns (x y z nx ny nz) or 3 (x y z), found shape {array.shape}. "
                        "Save an (N, 6) array of points and normals, or (N, 3) points only.")
    if not np.issubdtype(array.dtype, np.number):
        raise DataError(f"{path}: holds {array.dtype} values, not numbers; save float coordinates.")
    array = array.astype(np.float64)
    return array[:, :3], (array[:, 3:] if array.shape[1] == 6 else None)


def _read_trimesh(path: Path) -> trimesh.Trimesh | trimesh.PointCloud:
    if path.suffix.lower() == ".ply":
        _check_ply_complete(path)  # name a file cut short, rather than the parser's complaint (or its silent partial read)
    try:
        loaded = trimesh.load(path, process=False)
    except Exception as exc:  # trimesh raises many types for a damaged file
        raise DataError(f"{path}: cannot read it ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                        "the file may be empty or damaged. Pass a valid mesh or point-cloud file.") from None
    if isinstance(loaded, trimesh.Scene):
        if not loaded.geometry:
            raise DataError(f"{path}: holds no geometry (the file is empty); pass a mesh or a point cloud.")
        loaded = loaded.to_mesh() if hasattr(loaded, "to_mesh") else loaded.dump(concatenate=True)
    if isinstance(loaded, trimesh.Trimesh) and len(loaded.faces) == 0:
        loaded = trimesh.PointCloud(loaded.vertices)
    return loaded


PLY_SIZES = {"char": 1, "uchar": 1, "int8": 1, "uint8": 1, "short": 2, "ushort": 2, "int16": 2, "uint16": 2,
             "int": 4, "uint": 4, "int32": 4, "uint32": 4, "float": 4, "float32": 4, "double": 8, "float64": 8}


def _ply_header(path: Path) -> tuple[str, dict[str, int], int, int]:
    """Format, element counts ({'vertex': N, 'face': M}), header length and the fewest data bytes a binary body needs.

    The bound counts every fixed-size property, the length byte(s) of each list, and three indices per face
    (a polygon has at least three corners).
    """
    counts: dict[str, int] = {}
    fmt, length, least, element = "", 0, 0, ""
    with path.open("rb") as f:
        for raw in f:
            length += len(raw)
            words = raw.decode("latin-1").split()
            if words[:1] == ["format"] and len(words) > 1:
                fmt = words[1]
            elif words[:1] == ["element"] and len(words) == 3 and words[2].isdigit():
                element, counts[words[1]] = words[1], int(words[2])
            elif words[:2] == ["property", "list"] and len(words) == 5 and element:
                corners = 3 if words[4] in ("vertex_indices", "vertex_index") else 0
                least += counts[element] * (PLY_SIZES.get(words[2], 1) + corners * PLY_SIZES.get(words[3], 1))
            elif words[:1] == ["property"] and len(words) == 3 and element:
                least += counts[element] * PLY_SIZES.get(words[1], 1)
            elif words[:1] == ["end_header"] or length > 1 << 20:
                break
    return fmt, counts, length, least


def _check_ply_complete(path: Path) -> None:
    """DataError when a PLY is shorter than its header declares (a file cut short, e.g. by an interrupted copy)."""
    fmt, counts, header, least = _ply_header(path)
    declared = ", ".join(f"{name} {n}" for name, n in counts.items())
    if fmt == "ascii":
        with path.open("rb") as f:
            f.seek(header)
            rows = sum(1 for line in f if line.strip())
        if rows < sum(counts.values()):
            raise DataError(f"{path}: the file is cut short: its header declares {sum(counts.values())} rows ({declared}) "
                            f"but it holds {rows}; copy or export the file again.")
    elif fmt.startswith("binary") and path.stat().st_size - header < least:
        raise DataError(f"{path}: the file is cut short: its header declares {declared}, at least {least} bytes of data, "
                        f"but it holds {path.stat().st_size - header}; copy or export the file again.")


def _ply_points(cloud: trimesh.PointCloud, path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    points = np.asarray(cloud.vertices, np.float64)
    raw = cloud.metadata.get("_ply_raw", {}).get("vertex", {}).get("data", {})
    if isinstance(raw, dict) and {"nx", "ny", "nz"} <= set(raw):
        return points, np.stack([np.asarray(raw[k], np.float64).ravel() for k in ("nx", "ny", "nz")], axis=1)
    return points, None


def _mesh_surface(mesh: trimesh.Trimesh, path: Path, *, samples: int, seed: int) -> Surface:
    if not np.isfinite(mesh.vertices).all():
        raise DataError(f"{path}: the mesh has NaN or inf vertex coordinates; repair it (e.g. in MeshLab) and try again.")
    if mesh.area <= 0:
        raise DataError(f"{path}: the mesh has zero surface area (every triangle is degenerate); pass a real surface.")
    if samples < 1:
        raise ConfigError(f"samples={samples} must be >= 1; pass e.g. --samples 250000.")
    points, faces = trimesh.sample.sample_surface(mesh, samples, seed=seed)
    _check_points(points, path)
    return Surface(np.asarray(points, np.float64), np.asarray(mesh.face_normals[faces], np.float64), mesh=mesh)


def _check_points(points: np.ndarray, path: Path) -> np.ndarray:
    if len(points) == 0:
        raise DataError(f"{path}: the file is empty (no points); it must hold the surface points, one per row.")
    bad = ~np.isfinite(points).all(1)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(f"{path}: {int(bad.sum())} point(s) have NaN or inf coordinates (first at row {row + 1}); "
                        "remove those rows and try again.")
    huge = (np.abs(points) > COORDINATE_LIMIT).any(1)
    if huge.any():
        row = int(np.argmax(huge))
        raise DataError(f"{path}: {int(huge.sum())} point(s) lie beyond +-{COORDINATE_LIMIT:.3g} (first at row {row + 1}: "
                        f"{points[row].tolist()}), where float32 training overflows; remove those rows or rescale the file.")
    if float(np.ptp(points, axis=0).max()) == 0.0:
        raise DataError(f"{path}: all {len(points)} points are the same point {points[0].tolist()}; "
                        "a surface needs points spread over it. Check the export that wrote the file.")
    return points


def _check_normals(normals: np.ndarray, path: Path) -> np.ndarray:
    if not np.isfinite(normals).all():
        row = int(np.argmax(~np.isfinite(normals).all(1)))
        raise DataError(f"{path}: normals hold NaN or inf (first at row {row + 1}); fix them, drop the normal columns "
                        "to have them estimated, or pass --no-normals.")
    length = np.linalg.norm(normals, axis=1)
    zero = length < 1e-12
    if zero.any():
        raise DataError(f"{path}: {int(zero.sum())} normal(s) have zero length (first at row {int(np.argmax(zero)) + 1}); "
                        "fix them, drop the normal columns to have them estimated, or pass --no-normals.")
    return normals / length[:, None]


__all__ = ["MESH_FORMATS", "POINT_FORMATS", "Normalization", "Surface", "estimate_normals", "load_mesh", "load_surface",
           "sphere_surface"]
