"""The run folder: every file name in it, its life cycle (prepare, lock, manifest) and loading it back.

A run folder holds ``config.json`` (one format for every run: task, task_config, field, fit,
versions), ``metrics.jsonl``, ``metrics.json``, ``checkpoint.pt``, ``model.safetensors`` (sirenkit
fields only), ``log.txt``, the task's exports and ``manifest.json``, the list of every file the
run wrote, so that ``--overwrite`` removes exactly the previous run's files. ``.lock`` holds the
id of the process writing the folder; a second writer is refused.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from sirenkit.config import FieldConfig, RunConfig, from_dict
from sirenkit.errors import ConfigError, DataError
from sirenkit.fields.build import build_field
from sirenkit.io.checkpoint import CHECKPOINT_FILE, MODEL_FILE, load_checkpoint, read_model, save_model
from sirenkit.io.run_dir import pid_alive, read_jsonl, stale_temporaries, write_json
from sirenkit.versions import versions

log = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
METRICS_LOG = "metrics.jsonl"
METRICS_FILE = "metrics.json"
LOG_FILE = "log.txt"
MANIFEST_FILE = "manifest.json"
LOCK_FILE = ".lock"
CORE_FILES = (CONFIG_FILE, METRICS_LOG, METRICS_FILE, CHECKPOINT_FILE, MODEL_FILE, LOG_FILE, MANIFEST_FILE)
"""What every run may write besides its task's exports."""

LEGACY_FILES = ("reconstruction.png", "panel.png", "blend.png", "naive.png", "comparison.png", "normalization.json",
                "mesh.ply", "mesh.obj", "mesh.png", "sdf_slices.png", "reconstruction.wav", "waveform.png", "spectrogram.png",
                "audio.json", "reconstruction.mp4", "frames.png", "frame_psnr.png", "video.json", "field.npy", "panels.png",
                "velocity.npy", "velocity.png", "fields.png", "reference.npy", "comparison.json", "comparison.md",
                "curves.png", "grid.png", "images.json")
"""Exports of runs written before the manifest existed; --overwrite removes these too."""

IMAGE_SET, PRIOR, COMPARE = "image-set", "prior", "compare"
"""Runs that are not one field: a stack of image fields, a prior over faces, a comparison of several image runs."""


# -- the lock ---------------------------------------------------------------------------------

_held: dict[Path, int] = {}


@contextlib.contextmanager
def lock(out: str | Path) -> Iterator[Path]:
    """Hold the run folder for this process; a second writer gets a ConfigError naming the holder.

    Re-entrant within one process (the CLI locks before `prepare`, `fit` locks again). A lock left
    by a process that no longer runs is taken over.
    """
    out = Path(out).resolve()
    if out in _held:
        _held[out] += 1
        try:
            yield out
        finally:
            _held[out] -= 1
        return
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; pass a folder path.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot create the folder ({exc.strerror}); choose a writable folder.") from None
    path = out / LOCK_FILE
    _take(path, out)
    _held[out] = 1
    try:
        yield out
    finally:
        del _held[out]
        with contextlib.suppress(OSError):
            if _holder(path) == os.getpid():
                path.unlink()


def _take(path: Path, out: Path) -> None:
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _holder(path)
            if holder is not None and holder != os.getpid() and pid_alive(holder):
                raise ConfigError(f"--out {out} is in use by another sirenkit process (pid {holder}); wait for it to "
                                  "finish, stop it, or choose another folder.") from None
            log.warning("%s: taking over the lock of process %s, which no longer runs", out, holder)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        except OSError as exc:
            raise ConfigError(f"--out {out}: cannot write in the folder ({exc.strerror}); choose a writable folder.") from None
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.getpid()}\n")
        return
    raise ConfigError(f"--out {out}: another process keeps taking the folder's lock; choose another folder.")


def _holder(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


# -- preparing a folder -----------------------------------------------------------------------

def prepare(out: str | Path, *, resume: bool = False, overwrite: bool = False) -> Path:
    """Create the run folder; refuse a non-empty one unless resuming or overwriting (never a prompt).

    --overwrite removes the files the manifest lists (and, for runs older than the manifest, the
    known run files), never files the user put there. Stale temporaries of killed writers go too.
    """
    out = Path(out)
    if resume and overwrite:
        raise ConfigError("--resume and --overwrite contradict each other; pass only one.")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; pass a folder path.")
    if out.is_dir():
        for tmp in stale_temporaries(out):
            tmp.unlink(missing_ok=True)
    if resume:
        if not (out / CHECKPOINT_FILE).is_file():
            raise ConfigError(f"--resume: {out} holds no {CHECKPOINT_FILE} (no step had finished); "
                              "start the run again with --overwrite.")
        if (out / CONFIG_FILE).is_file():
            read_config(out)  # a damaged config.json (task_config null, ...) is refused, not replaced by defaults
        return out
    if out.is_dir() and any(p.name != LOCK_FILE for p in out.iterdir()):
        if not overwrite:
            raise ConfigError(f"--out {out} is not empty; pass --resume to continue that run, "
                              "--overwrite to replace it, or choose another folder.")
        remove_run_files(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot create the folder ({exc.strerror}); choose a writable folder.") from None
    return out


def remove_run_files(out: Path) -> None:
    """Delete what a previous run wrote in `out`: its manifest's files, the core and legacy run files."""
    names = set(manifest(out)) | set(CORE_FILES) | set(LEGACY_FILES)
    folders = set()
    for name in sorted(names):
        path = out / name
        if path.is_file() or path.is_symlink():
            path.unlink()
        folders.update(p for p in (out / name).parents if p != out and out in p.parents)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty


# -- the manifest -----------------------------------------------------------------------------

def manifest(out: Path) -> list[str]:
    """Names (relative to the run folder) of every file the run recorded as written."""
    path = Path(out) / MANIFEST_FILE
    if not path.is_file():
        return []
    try:
        files = json.loads(path.read_text()).get("files", [])
    except (json.JSONDecodeError, AttributeError, UnicodeDecodeError):
        log.warning("%s is damaged; --overwrite falls back to the known run files", path)
        return []
    return [name for name in files if isinstance(name, str) and ".." not in Path(name).parts]


def record(out: str | Path, paths: Iterable[str | Path]) -> None:
    """Add files to the run's manifest (paths inside `out`, absolute or relative to it)."""
    out = Path(out)
    names = manifest(out)
    for path in paths:
        path = Path(path)
        name = path.relative_to(out) if path.is_relative_to(out) else path
        if str(name) not in names:
            names.append(str(name))
    write_json(out / MANIFEST_FILE, {"files": names})


def write_config(out: Path, run: RunConfig) -> Path:
    """config.json: the one format of every run (the versions filled in here)."""
    data = dataclasses.asdict(dataclasses.replace(run, versions=versions()))
    record(out, [CONFIG_FILE, MANIFEST_FILE])
    return write_json(out / CONFIG_FILE, data)


def upgrade_config(data: Any) -> Any:
    """A config.json as read, in today's format: sirenkit 0.1's prior format ({"prior": {...}}) becomes the one run
    format, and an inversion written before `--method` existed keeps the method it ran (the PINN; today's default is
    the hybrid)."""
    if isinstance(data, dict) and "prior" in data and "task" not in data:  # written by `sirenkit prior train` before 0.2
        return {"task": PRIOR, "task_config": data["prior"], "field": None, "versions": data.get("versions", {})}
    if isinstance(data, dict) and data.get("task") == "helmholtz-inverse" and isinstance(data.get("task_config"), dict):
        data = {**data, "task_config": {"method": "pinn", **data["task_config"]}}
    return data


def read_config(run: str | Path) -> RunConfig:
    """The RunConfig in a run folder's config.json (prior runs of sirenkit 0.1's own format too)."""
    path = Path(run) / CONFIG_FILE
    if not path.is_file():
        raise DataError(f"{run}: no {CONFIG_FILE}; pass a run folder made by sirenkit (or a model.safetensors).")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); the run folder is damaged.") from None
    data = upgrade_config(data)
    if not isinstance(data, dict) or not isinstance(data.get("task_config"), dict) or not isinstance(data.get("task"), str):
        raise DataError(f"{path}: not a sirenkit run config (needs 'task' and a 'task_config' object); "
                        "the run folder is damaged.")
    try:
        return from_dict(RunConfig, data, where="config.json")
    except (ConfigError, TypeError) as exc:
        raise DataError(f"{path}: {exc}") from None


# -- loading a run ----------------------------------------------------------------------------

@dataclass
class Run:
    """A run folder read back: its config, its trained model (None for a comparison), metrics, sub-runs."""

    path: Path
    task: str
    """The task's registry name ('image', 'sdf', 'prior', 'image-set', 'compare', ...)."""
    config: RunConfig | None
    """None for a bare model.safetensors."""
    model: nn.Module | None
    metrics: dict[str, Any] = field(default_factory=dict)
    members: list[Path] = field(default_factory=list)
    """Sub-runs: one image run per member of an image set, one per model of a comparison."""


def load_run(run: str | Path) -> Run:
    """Read any run folder (fields, priors, image sets, comparisons) or a model.safetensors, on the CPU.

    Raises:
        DataError: not a sirenkit run, or damaged files.
    """
    path = Path(run)
    if path.is_file() or (path.is_dir() and not (path / CONFIG_FILE).is_file() and (path / MODEL_FILE).is_file()):
        model_file = path if path.is_file() else path / MODEL_FILE
        return Run(path, "field", None, _field_from_model_file(model_file))
    if not path.is_dir():
        raise DataError(f"{run}: no model found; pass a run folder made by sirenkit, or a model.safetensors.")
    config = read_config(path)
    metrics = _metrics(path)
    members = [path / name for name in metrics.get("members", []) if isinstance(name, str)] if isinstance(metrics, dict) else []
    if config.task == COMPARE:
        return Run(path, config.task, config, None, metrics, members)
    if config.task == PRIOR:
        return Run(path, config.task, config, _prior(path, config), metrics)
    if config.task == IMAGE_SET:
        members = [path / name for name in _json(path / "images.json").get("members", []) if isinstance(name, str)]
        return Run(path, config.task, config, _stack(path, config), metrics, members)
    if (path / MODEL_FILE).is_file():
        model = _field_from_model_file(path / MODEL_FILE)
    elif config.field is not None and (path / CHECKPOINT_FILE).is_file():
        model = _from_checkpoint(path, build_field(config.field))
    else:
        raise DataError(f"{path}: no {MODEL_FILE} (and no {CHECKPOINT_FILE} of a sirenkit field); "
                        "the run trained a custom module or never finished a step.")
    return Run(path, config.task, config, model, metrics)


def load(run_or_model: str | Path) -> nn.Module:
    """Rebuild a run's trained model on the CPU, in eval mode: a field, a prior, or an image set's stack.

    Example:
        >>> field = sirenkit.load("runs/camera")     # doctest: +SKIP
        >>> image = sirenkit.render.render_image(field, (1024, 1024))  # doctest: +SKIP
    """
    loaded = load_run(run_or_model)
    if loaded.model is None:
        names = ", ".join(p.name for p in loaded.members) or "none"
        raise DataError(f"{run_or_model}: a comparison holds one run per model ({names}); load one of them, "
                        f"e.g. sirenkit.load('{loaded.members[0] if loaded.members else run_or_model}').")
    return loaded.model


def save(field: nn.Module, path: str | Path) -> Path:
    """Write a field as one ``.safetensors`` file (weights, its FieldConfig in the metadata) that `load` reads anywhere.

    `path` is the file, or a folder to hold ``model.safetensors``. Only fields sirenkit can rebuild are saved
    (Siren, MLP); anything else is refused before a file is written.

    Example:
        >>> sirenkit.save(field, "camera.safetensors")            # doctest: +SKIP
        >>> field = sirenkit.load("camera.safetensors")           # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir():
        path = path / MODEL_FILE
    elif path.suffix != ".safetensors":
        raise ConfigError(f"{path}: a model file ends in .safetensors; pass e.g. {path.with_suffix('.safetensors')} "
                          "or an existing folder.")
    return save_model(path, field)


def _metrics(path: Path) -> dict[str, Any]:
    return _json(path / METRICS_FILE)


def _json(file: Path) -> dict[str, Any]:
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        log.warning("%s is damaged; reading the run without it", file)
        return {}
    return data if isinstance(data, dict) else {}


def _field_from_model_file(path: Path) -> nn.Module:
    tensors, config = read_model(path)
    try:
        field_config = from_dict(FieldConfig, config, where=f"{path.name} metadata")
    except (ConfigError, TypeError) as exc:
        raise DataError(f"{path}: its field config is damaged ({exc}).") from None
    model = build_field(field_config)
    _load_state(model, tensors, path)
    return model.eval()


def _from_checkpoint(path: Path, model: nn.Module) -> nn.Module:
    state = load_checkpoint(path / CHECKPOINT_FILE)
    weights = state.get("field", state.get("model"))  # 'model': prior checkpoints before 0.2
    if not isinstance(weights, dict):
        raise DataError(f"{path / CHECKPOINT_FILE}: holds no model weights; it is not a sirenkit checkpoint.")
    _load_state(model, weights, path / CHECKPOINT_FILE)
    return model.eval()


def _load_state(model: nn.Module, tensors: dict, path: Path) -> None:
    try:
        model.load_state_dict(tensors)
    except RuntimeError as exc:
        raise DataError(f"{path}: its weights do not fit the model in its config ({str(exc).splitlines()[0]}); "
                        "the files come from different runs.") from None


def _prior(path: Path, config: RunConfig) -> nn.Module:
    from sirenkit.prior.config import PriorConfig
    from sirenkit.prior.models import build_prior

    prior = from_dict(PriorConfig, config.task_config, where="task_config")
    state = load_checkpoint(path / CHECKPOINT_FILE) if (path / CHECKPOINT_FILE).is_file() else None
    if state is None:
        raise DataError(f"{path / CHECKPOINT_FILE}: no checkpoint; train a prior first with 'sirenkit prior-train --out {path}'.")
    found = prior_model_of(state)
    if found is None:
        raise DataError(f"{path / CHECKPOINT_FILE}: not a prior checkpoint; pass a run made by 'sirenkit prior-train'.")
    if found != prior.model:
        raise DataError(f"{path / CHECKPOINT_FILE}: holds a '{found}' prior, but its config asks for '{prior.model}'; "
                        f"use --model {found}, or another run folder.")
    return _from_checkpoint(path, build_prior(prior))


def prior_model_of(state: dict[str, Any]) -> str | None:
    """The prior model name ('modulated', ...) a checkpoint was trained as, or None for a non-prior checkpoint."""
    run = state.get("run")
    if isinstance(run, dict) and run.get("task") == PRIOR:
        return (run.get("task_config") or {}).get("model")
    return state.get("prior_model")  # checkpoints before 0.2


def _stack(path: Path, config: RunConfig) -> nn.Module:
    from sirenkit.fields.stacked import StackedSiren

    state = load_checkpoint(path / CHECKPOINT_FILE) if (path / CHECKPOINT_FILE).is_file() else {}
    weights = state.get("field")
    if not isinstance(weights, dict) or "weights.0" not in weights:
        raise DataError(f"{path / CHECKPOINT_FILE}: holds no image-set weights; the run never finished a step.")
    c = config.task_config
    k, in_features, _ = weights["weights.0"].shape
    out_features = weights[f"weights.{c['hidden_layers'] + 1}"].shape[-1]
    stack = StackedSiren(k, in_features, c["hidden_features"], c["hidden_layers"], out_features,
                         first_omega_0=c["first_omega_0"], hidden_omega_0=c["hidden_omega_0"])
    _load_state(stack, weights, path / CHECKPOINT_FILE)
    return stack.eval()


def metrics_log(run: str | Path) -> list[dict[str, Any]]:
    """The records of a run's metrics.jsonl (a line cut by a kill is skipped)."""
    return read_jsonl(Path(run) / METRICS_LOG)
