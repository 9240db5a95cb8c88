"""Signed distance functions from oriented point clouds, raw scans and meshes (paper Sec. 4.2).

The field f maps a point of [-1, 1]^3 to its signed distance to the surface (negative inside).
It is fitted to surface points with normals by the paper's loss (Eq. 6, with the reference
code's weights), then meshed by marching cubes and exported in the input's own units.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
import trimesh
from scipy.spatial import cKDTree
from torch import Tensor, nn

from sirenkit import ops
from sirenkit.config import check_positive, from_dict, load_run_config
from sirenkit.errors import ConfigError, DataError
from sirenkit.io.pointcloud import Normalization, Surface, load_mesh, load_surface, sphere_surface
from sirenkit.mesh import check_mesh_budget, compare_meshes, extract_mesh, keep_near, save_mesh, save_mesh_picture, save_slices, trim_far
from sirenkit.protocols import Batch, merge_loss_weights
from sirenkit.render import DEFAULT_CHUNK_SIZE

log = logging.getLogger(__name__)

LOSS_WEIGHTS = {"sdf": 3e3, "off_surface": 1e2, "normal": 1e2, "eikonal": 5e1, "sign": 3e3}
"""Default weights of the SDF terms (the first four: reference code, loss_functions.sdf); see `SDFConfig.loss_weights`."""
SIDE_GRID = 64
"""Nodes per axis of the grid over [-1, 1]³ that holds the side of the surface for the sign term (`side_grid`)."""
SIDE_SAMPLES = 20_000
"""Input points (a fixed subsample) the side grid takes its nearest oriented point from."""
NORMALIZATION_FILE = "normalization.json"
BUILTIN_SHAPES = ("sphere",)


@dataclass
class SDFConfig:
    """What surface to fit, how to weigh the loss terms, and how to mesh the result."""

    source: str = "sphere"
    """Point cloud (.xyz/.txt x y z nx ny nz, .npy, .npz, .ply) or mesh (.ply, .obj, .off, .stl); 'sphere' is a built-in test shape."""
    reference: str = ""
    """Mesh to measure the result against (Chamfer, normal consistency, F-score); default: the input, when it is a mesh."""
    normals: bool = True
    """Use the normal term; inputs without normals get them estimated (PCA). --no-normals trains without them."""
    normal_neighbours: int = 16
    """Neighbours per point for estimating normals of a raw scan."""
    samples: int = 250_000
    """Surface points drawn from a mesh input (area-weighted, each with its face normal)."""
    extent: float = 0.9
    """The input's longest side is scaled to [-extent, extent], keeping the aspect ratio; < 1 leaves room to close the mesh."""
    resolution: int = 256
    """Marching-cubes grid points per axis for the exported mesh (memory: resolution^3 floats; 512 = 512 MiB)."""
    keep_near: float = 0.02
    """Keep only mesh pieces that come within this fraction of the input's bounding-box diagonal of an input point
    (drops spurious surfaces far from the data); 0 keeps every piece."""
    trim: float = 0.0
    """Drop triangles farther than this fraction of the input's bounding-box diagonal from every input point, leaving an
    open surface over the scanned part of a partial scan (e.g. 0.01); 0 keeps the closed surface."""
    chunk_size: int = DEFAULT_CHUNK_SIZE
    """Points per forward pass when meshing and evaluating (bounds memory, whatever the resolution)."""
    metric_samples: int = 100_000
    """Points sampled on each surface for Chamfer, normal consistency and F-score."""
    f_score_threshold: float = 0.01
    """Distance, as a fraction of the reference's bounding-box diagonal, under which a point counts as matched."""
    loss_weights: dict[str, float] = field(default_factory=lambda: dict(LOSS_WEIGHTS))
    """Weights of the terms (reference code, loss_functions.sdf): |f| on the surface 3e3, exp(-100|f|) off it 1e2,
    1 - cos(grad f, n) 1e2, | |grad f| - 1 | 5e1; and sirenkit's sign term 3e3 (`SDFTask`; 0 gives the paper's loss)."""

    def __post_init__(self) -> None:
        check_positive(self, "normal_neighbours", "samples", "extent", "resolution", "chunk_size", "metric_samples",
                       "f_score_threshold")
        check_positive(self, "keep_near", "trim", allow_zero=True)
        if not self.extent <= 1.0:
            raise ConfigError(f"extent={self.extent} must be in (0, 1]; the field lives on [-1, 1]^3. Pass e.g. --extent 0.9.")
        if self.resolution < 8:
            raise ConfigError(f"resolution={self.resolution} is too coarse to mesh; pass e.g. --resolution 256.")
        self.loss_weights = merge_loss_weights(LOSS_WEIGHTS, self.loss_weights, task="sdf")


class SDFTask:
    """Fit a signed distance function to a point cloud or mesh; export the mesh in the input's units.

    Each step takes `batch_size` random surface points and as many points uniform in [-1, 1]^3.
    Loss terms (unweighted; weights in `SDFConfig.loss_weights`), each averaged over the whole
    batch as in the reference code: ``sdf`` |f| on the surface, ``off_surface`` exp(-100 |f|) at
    the uniform points, ``normal`` 1 - cos(grad f, n) on the surface, ``eikonal`` | |grad f| - 1 |
    everywhere. Value and gradient come from one `sirenkit.ops.jet` pass.

    With normals, ``sign`` (not in the paper) is max(0, -s·f) at the uniform points, s = sign(n·(x - p)) from
    the nearest surface point p and its normal n: the side of the surface the input says x is on (looked up on
    `side_grid`; 0 within a grid spacing of the surface). The paper's
    terms never say which side is inside, so the fit carves the shape out of a field that starts positive and
    negative everywhere and leaves positive pockets inside, with their own zero level set (a ghost surface;
    docs/convergence.md). The term is zero wherever the sign is already right; it trusts the normals'
    orientation, so a raw scan with badly estimated normals may want ``--loss-weight sign=0``.

    Example:
        >>> task = SDFTask.from_config(SDFConfig(source="sphere", resolution=64))
        >>> task.points.shape
        torch.Size([20000, 3])
    """

    name = "sdf"
    in_features = 3
    out_features = 1
    fit_presets: ClassVar[dict[str, float | int | str]] = {
        "steps": 300, "lr": 1e-4, "lr_schedule": "cosine", "lr_final": 0.1, "batch_size": 5000, "clip_grad": 1.0,
        "eval_every": 1_000_000, "log_every": 10, "save_every": 100}
    """Fit settings the CLI starts from for this task (flags still win): meshing is the evaluation, so only at the end.
    300 steps pass the F-score and normal-consistency targets on the bunny mesh and its raw scan in under a minute on
    a 2-core CPU; 2000 (the preset before) add little (docs/convergence.md, signed distance)."""
    cli_examples: ClassVar[tuple[str, ...]] = ("sirenkit sdf --steps 300 --resolution 64 --out runs/sdf-sphere",
                    "sirenkit sdf bunny.ply --steps 500 --resolution 128 --out runs/sdf-bunny")

    def __init__(self, surface: Surface, *, config: SDFConfig | None = None, reference: trimesh.Trimesh | None = None) -> None:
        self.config = config or SDFConfig()
        check_mesh_budget(self.config.resolution)  # the export's grid: refused before the fit, not after it
        self.loss_weights = dict(self.config.loss_weights)
        self.surface = surface
        self.normalization = Normalization.from_points(surface.points, extent=self.config.extent)
        self.points = torch.from_numpy(self.normalization.to_unit(surface.points)).float()
        self.normals = torch.from_numpy(surface.normals).float() if surface.normals is not None and self.config.normals else None
        if self.normals is None:
            self.loss_weights.pop("normal", None)
            self.loss_weights.pop("sign", None)
        self.side = side_grid(self.points.numpy(), self.normals.numpy()) if self.loss_weights.get("sign") else None
        """n·(x − p) at the nodes of the side grid, for the sign term (None without it)."""
        self.reference = reference if reference is not None else surface.mesh
        self.diagonal = float(np.linalg.norm(np.ptp(surface.points, axis=0)))
        self._mesh: tuple[tuple, trimesh.Trimesh] | None = None

    @classmethod
    def from_config(cls, config: SDFConfig) -> SDFTask:
        if config.source in BUILTIN_SHAPES:
            surface = sphere_surface(radius=1.0)
        else:
            surface = load_surface(config.source, samples=config.samples, estimate=config.normals,
                                   neighbours=config.normal_neighbours)
        reference = load_mesh(config.reference) if config.reference else None
        return cls(surface, config=config, reference=reference)

    def to(self, device: torch.device) -> SDFTask:
        self.points = self.points.to(device)
        self.normals = self.normals.to(device) if self.normals is not None else None
        return self

    def sample(self, step: int, generator: torch.Generator, *, batch_size: int = 0) -> Batch:
        """`batch_size` surface points (0: all of them) first, then as many uniform points in [-1, 1]^3.

        Deviation: a step holds 2·batch_size points, as in the reference code, whose batch counts surface points.
        """
        n = len(self.points) if batch_size <= 0 else batch_size
        device = self.points.device
        index = torch.randint(len(self.points), (n,), generator=generator).to(device)
        uniform = torch.rand((n, 3), generator=generator) * 2.0 - 1.0  # on the CPU, where the side grid is
        targets = {"on_surface": torch.arange(2 * n, device=device) < n}
        if self.normals is not None:
            targets["normals"] = self.normals[index]
        if self.side is not None:
            node = ((uniform + 1.0) * (SIDE_GRID - 1) / 2.0).round().long()
            offset = self.side[node[:, 0], node[:, 1], node[:, 2]]
            near = offset.abs() <= 2.0 / (SIDE_GRID - 1)  # within a node spacing: the node's side may not be the point's
            targets["side"] = torch.where(near, 0.0, torch.sign(offset)).to(device)
        return Batch(torch.cat([self.points[index], uniform.to(device)]), targets)

    def losses(self, field: nn.Module, batch: Batch) -> dict[str, Tensor]:
        on = batch.targets["on_surface"]
        jet = ops.jet(field, batch.coords, laplacian=False)
        value, grad = jet.value[:, 0], jet.gradient
        total = len(value)
        terms = {
            "sdf": value[on].abs().sum() / total,
            "off_surface": torch.exp(-100.0 * value[~on].abs()).sum() / total,
            "eikonal": (grad.norm(dim=-1) - 1.0).abs().mean(),
        }
        if "normals" in batch.targets:
            cos = nn.functional.cosine_similarity(grad[on], batch.targets["normals"], dim=-1)
            terms["normal"] = (1.0 - cos).sum() / total
        if "side" in batch.targets:
            terms["sign"] = torch.relu(-batch.targets["side"] * value[~on]).sum() / total
        return terms

    def mesh(self, field: nn.Module, *, resolution: int | None = None, empty_ok: bool = True) -> trimesh.Trimesh:
        """The field's zero level set in the input's units (cached until the weights change).

        A field with no zero level set gives an empty mesh (with a warning), or, with ``empty_ok=False``,
        the DataError that says so.
        """
        resolution = resolution or self.config.resolution
        key = (resolution, *((id(p), p._version) for p in field.parameters()))
        if self._mesh is None or self._mesh[0] != key:
            was_training = field.training
            field.eval()
            try:
                mesh = extract_mesh(field, resolution=resolution, chunk_size=self.config.chunk_size, normalization=self.normalization)
            except DataError as exc:  # no surface yet: the run still reports its metrics and slices, with an empty mesh
                if not empty_ok:
                    raise DataError(f"{exc} Nothing to mesh.") from None
                log.warning("%s", exc)
                mesh = trimesh.Trimesh()
            finally:
                field.train(was_training)
            if not len(mesh.faces):
                self._mesh = (key, mesh)
                return mesh
            if self.config.keep_near:
                mesh = keep_near(mesh, self.surface.points, self.config.keep_near * self.diagonal)
            if self.config.trim:
                mesh = trim_far(mesh, self.surface.points, self.config.trim * self.diagonal)
            self._mesh = (key, mesh)
        return self._mesh[1]

    def evaluate(self, field: nn.Module) -> dict[str, float]:
        """Field error at the input points; mesh size and, with a reference, mesh-to-reference metrics.

        surface_distance: mean |f| at up to 20k input points, as a fraction of the input's
        bounding-box diagonal; normal_cosine: mean cos(grad f, n) there.
        """
        index = torch.linspace(0, len(self.points) - 1, min(len(self.points), 20000)).long()
        with torch.enable_grad():
            jet = ops.jet(field, self.points[index].detach().requires_grad_(), laplacian=False)
        metrics = {"surface_distance": float(jet.value.detach().abs().mean()) / self.normalization.scale / self.diagonal}
        if self.normals is not None:
            cos = nn.functional.cosine_similarity(jet.gradient.detach(), self.normals[index], dim=-1)
            metrics["normal_cosine"] = float(cos.mean())
        mesh = self.mesh(field)
        metrics |= {"vertices": float(len(mesh.vertices)), "faces": float(len(mesh.faces)),
                    "watertight": float(len(mesh.faces) > 0 and mesh.is_watertight)}
        if self.reference is not None and len(mesh.faces):
            metrics |= self.compare(mesh)
        return metrics

    def compare(self, mesh: trimesh.Trimesh) -> dict[str, float]:
        """`compare_meshes` against the reference; for a point-cloud input, over the part it covers."""
        if self.reference is None:
            raise ConfigError("this SDF task has no reference surface; pass a mesh input or --reference MESH.")
        region = self.surface.points if self.surface.mesh is None else None
        return compare_meshes(mesh, self.reference, samples=self.config.metric_samples,
                              threshold=self.config.f_score_threshold, region=region)

    def export(self, field: nn.Module, out_dir: Path) -> list[Path]:
        """normalization.json, mesh.ply, mesh.obj (input units), sdf_slices.png and mesh.png (no mesh files without a surface)."""
        out_dir = Path(out_dir)
        paths = [self.normalization.save(out_dir / NORMALIZATION_FILE)]
        mesh = self.mesh(field)
        if len(mesh.faces):
            paths += save_mesh(mesh, out_dir)
        paths.append(save_slices(out_dir / "sdf_slices.png", field, normalization=self.normalization,
                                 chunk_size=self.config.chunk_size))
        if len(mesh.faces):
            paths.append(save_mesh_picture(out_dir / "mesh.png", mesh))
        else:  # the slices show why (the field never changes sign); metrics.json holds faces 0
            log.warning("no surface to mesh: wrote %s and the slices, no mesh.ply/.obj/.png", NORMALIZATION_FILE)
        return paths


def side_grid(points: np.ndarray, normals: np.ndarray, *, size: int = SIDE_GRID, samples: int = SIDE_SAMPLES) -> Tensor:
    """n·(x − p) at the nodes x of a size³ grid over [-1, 1]³, p the nearest of `samples` input points and n its normal.

    Its sign is the side of the surface the input says x is on (positive outside). Computed once, because a
    nearest-neighbour query per training step among 250k points costs more than the step itself; the sign
    term looks up the nearest node and leaves points within a node spacing of the surface out.
    """
    take = np.random.default_rng(0).choice(len(points), min(samples, len(points)), replace=False)
    points, normals = points[take], normals[take]
    axis = np.linspace(-1.0, 1.0, size)
    nodes = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    _, nearest = cKDTree(points).query(nodes)
    offset = np.einsum("ij,ij->i", nodes - points[nearest], normals[nearest])
    return torch.from_numpy(offset.reshape(size, size, size)).float()


def remesh(run: str | Path, *, resolution: int = 256, chunk_size: int = DEFAULT_CHUNK_SIZE, out: str | Path | None = None,
           device: str = "auto") -> tuple[list[Path], dict[str, float]]:
    """Mesh a saved SDF run again at another resolution, in the input's units.

    Reads the field (model.safetensors) and normalization.json of `run`; the input file (for
    `keep_near` and the metrics) is read again when it is still there, else the mesh is written
    uncleaned, with a warning. Writes mesh.ply, mesh.obj and mesh.png into `out` (default: the
    run folder). Returns the paths and the mesh's metrics (`SDFTask.evaluate` minus the field terms).
    """
    from sirenkit.devices import resolve_device
    from sirenkit.runs import load

    run = Path(run)
    config = load_run_config(run)
    if config.task != "sdf":
        raise ConfigError(f"{run} is a '{config.task}' run; 'sirenkit mesh' meshes SDF runs (made with 'sirenkit sdf').")
    task_config = dataclasses.replace(from_dict(SDFConfig, config.task_config, where="task_config"), resolution=resolution,
                                      chunk_size=chunk_size, normals=False)  # normals are not needed to mesh or measure
    field = load(run).to(resolve_device(device))
    saved = run / NORMALIZATION_FILE
    if saved.is_file() and task_config.source not in BUILTIN_SHAPES and not Path(task_config.source).is_file():
        warnings.warn(f"{task_config.source} (the run's input) is gone: meshing without dropping far-away pieces "
                      "(keep_near) and without metrics.", UserWarning, stacklevel=2)
        mesh = extract_mesh(field, resolution=resolution, chunk_size=chunk_size, normalization=Normalization.load(saved))
        result = {}
    else:
        task = SDFTask.from_config(task_config)
        if saved.is_file():
            task.normalization = Normalization.load(saved)
        mesh = task.mesh(field, empty_ok=False)
        result = task.compare(mesh) if task.reference is not None else {}
    if not len(mesh.faces):
        raise DataError(f"{run}: the field has no surface near its input points at --resolution {resolution} (no zero "
                        "level set, or only pieces far from the points); nothing to mesh. Train the run longer (a new "
                        "run with more --steps), or check the input's normals (their sign); sdf_slices.png shows the field.")
    result = {"vertices": float(len(mesh.vertices)), "faces": float(len(mesh.faces)), "watertight": float(mesh.is_watertight),
              **result}
    out = Path(out) if out is not None else run
    paths = save_mesh(mesh, out) + [save_mesh_picture(out / "mesh.png", mesh)]
    return paths, result


__all__ = ["LOSS_WEIGHTS", "SDFConfig", "SDFTask", "remesh"]
