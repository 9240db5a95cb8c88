"""The viewer's one door into run folders: config, metrics, the field, the task's data, files inside.

Everything the viewer knows about a run folder comes through `ViewRun`, so switching to a shared
run-folder loader means changing `_load_field` / `_load_task` here and nothing else.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from torch import nn

from sirenkit.errors import DataError, SirenkitError
from sirenkit.io.checkpoint import CHECKPOINT_FILE
from sirenkit.runs import CONFIG_FILE, METRICS_FILE, METRICS_LOG, MODEL_FILE, PRIOR, load

logger = logging.getLogger(__name__)

MAX_METRIC_RECORDS = 20000
"""Most metrics.jsonl lines sent per request, so a huge log cannot make one response unbounded."""


def _load_field(root: Path, model_file: Path) -> nn.Module:
    return load(root if model_file.name == CHECKPOINT_FILE else model_file)


def _load_task(task: str, task_config: dict[str, Any]) -> Any:
    from sirenkit.config import from_dict
    from sirenkit.tasks import TASKS

    spec = TASKS[task]
    return spec.task.from_config(from_dict(spec.config, task_config, where="task_config"))


class ViewRun:
    """One run folder, read-only: its config, metrics log, field (reloaded when it changes) and task.

    A run that is still training may have no model yet; `field()` then returns None and the page
    shows the curves alone.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise DataError(f"{path}: not a folder; pass a run folder written by a sirenkit command.")
        self.root = self.path.resolve()
        self.name = self.path.name or str(self.path)
        self._lock = threading.Lock()
        self._field: nn.Module | None = None
        self._field_stamp: tuple[int, int] | None = None
        self._task: Any = None
        self._task_error: str | None = None

    @property
    def config(self) -> dict[str, Any]:
        """config.json as a dict ({} while a run has not written it yet)."""
        try:
            return json.loads((self.root / CONFIG_FILE).read_text())
        except (OSError, ValueError):
            return {}

    @property
    def task_name(self) -> str:
        return str(self.config.get("task", "unknown"))

    def metrics_log(self, since: int = 0) -> list[dict[str, Any]]:
        """metrics.jsonl records from line `since` on (a partly written last line is left for the next call)."""
        try:
            lines = (self.root / METRICS_LOG).read_text().split("\n")
        except OSError:
            return []
        complete = lines[:-1]  # the text after the last newline is a line still being written
        records = []
        for line in complete[since : since + MAX_METRIC_RECORDS]:
            try:
                records.append(json.loads(line))
            except ValueError:
                records.append({})
        return records

    def summary(self) -> dict[str, Any]:
        """metrics.json, the final metrics ({} while training)."""
        try:
            return json.loads((self.root / METRICS_FILE).read_text())
        except (OSError, ValueError):
            return {}

    def meta(self, name: str) -> dict[str, Any]:
        """A JSON file the task's export wrote beside the model (audio.json, video.json, normalization.json)."""
        try:
            return json.loads((self.root / name).read_text())
        except (OSError, ValueError):
            return {}

    @property
    def model_file(self) -> str:
        """The file the model is read from: model.safetensors, or checkpoint.pt for a prior (its only weights)."""
        return CHECKPOINT_FILE if self.task_name == PRIOR else MODEL_FILE

    def field(self) -> nn.Module | None:
        """The saved field (a prior's model for a prior run), loaded again when its file changes; None while there is none."""
        model = self.root / self.model_file
        try:
            stat = model.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._field_stamp:
                try:
                    self._field = _load_field(self.root, model)
                except SirenkitError as exc:
                    logger.warning("%s: %s", self.name, exc)
                    return None
                self._field_stamp = stamp
            return self._field

    @property
    def field_stamp(self) -> tuple[int, int] | None:
        """Changes whenever a new model is loaded: part of every cache key."""
        return self._field_stamp

    def task(self) -> Any:
        """The run's task rebuilt from config.json (its ground truth), or None when its data cannot be read."""
        with self._lock:
            if self._task is None and self._task_error is None:
                config = self.config
                try:
                    self._task = _load_task(config["task"], config.get("task_config", {}))
                except (SirenkitError, KeyError, OSError, TypeError, ValueError) as exc:
                    self._task_error = f"{type(exc).__name__}: {exc}"
                    logger.warning("%s: no ground truth (%s)", self.name, self._task_error)
            return self._task

    def file(self, relative: str) -> Path | None:
        """A regular file inside the run folder, or None: no '..', no absolute path, no symlink leading out."""
        return contained_file(self.root, relative)


def contained_file(root: Path, relative: str) -> Path | None:
    """`root / relative` when it is a regular file whose real path lies inside `root`, else None."""
    if not relative or "\x00" in relative or relative.startswith(("/", "\\")) or ".." in Path(relative).parts:
        return None
    try:
        candidate = (root / relative).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate
