"""The `sirenkit view` HTTP server: the page, its vendored scripts, rendered tiles and files inside the run folders.

Read-only and local by default. Each request either gets what it asked for, a 404 (anything outside
the run folders or the package's static folder) or a 400 naming the bad parameter; errors never
carry a traceback. Every rendering request evaluates a bounded number of points.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np

import sirenkit.view.audio as audio_view
import sirenkit.view.prior as prior_view
import sirenkit.view.sdf as sdf_view
import sirenkit.view.video as video_view
import sirenkit.view.wavefields as wavefields
from sirenkit.errors import SirenkitError
from sirenkit.runs import PRIOR
from sirenkit.view.pixels import apply_colormap, colorbar_png, png_bytes
from sirenkit.view.requests import BadRequest, NotFound, RequestError, choice_param, float_param, int_param
from sirenkit.view.runs_adapter import ViewRun, contained_file
from sirenkit.view.tiles import LAYERS, ImageFieldTiles, LRUBytes

logger = logging.getLogger(__name__)

STATIC_ROOT = (Path(__file__).parent / "static").resolve()
IMAGE_TASKS = ("image", "poisson", "blend")
REFERENCE_LABELS = {"image": "training image", "poisson": "training image", "blend": "naive paste"}
COLORMAPS = ("gray", "RdBu_r", "RdBu", "inferno", "magma", "viridis")
MAX_QUERY = 2048


def _kind(task: str) -> str:
    if task in IMAGE_TASKS:
        return "image"
    if task in wavefields.TASKS:
        return "wavefield"
    return task if task in ("audio", "sdf", "video", PRIOR) else "other"


class RunViews:
    """Per-run renderers, built on first use and rebuilt when the run's model file changes."""

    def __init__(self, run: ViewRun) -> None:
        self.run = run
        self._lock = threading.Lock()
        self._views: dict[str, tuple[Any, Any]] = {}

    def _cached(self, name: str, make: Callable[[Any], Any]) -> Any:
        field = self.run.field()
        if field is None:
            raise NotFound(f"run '{self.run.name}' has no model.safetensors yet")
        stamp = self.run.field_stamp
        with self._lock:
            if name not in self._views or self._views[name][0] != stamp:
                self._views[name] = (stamp, make(field))
            return self._views[name][1]

    def image(self) -> ImageFieldTiles:
        def make(field: Any) -> ImageFieldTiles:
            task = self.run.task()
            reference = None
            if task is not None:
                reference = task.naive if self.run.task_name == "blend" else task.image
            if reference is None:
                raise NotFound(f"run '{self.run.name}': its training image cannot be read, so its size is unknown")
            return ImageFieldTiles(field, reference.shape[:2], reference)

        if _kind(self.run.task_name) != "image":
            raise NotFound(f"run '{self.run.name}' is a {self.run.task_name} run, not an image run")
        return self._cached("image", make)

    def audio(self) -> audio_view.AudioView:
        def make(field: Any) -> audio_view.AudioView:
            meta = self.run.meta("audio.json")
            task = self.run.task()
            if task is not None:
                return audio_view.AudioView(field, task.samples / task.scale, sample_rate=task.sample_rate,
                                            num_samples=len(task.samples), scale=task.scale)
            if not meta:
                raise NotFound(f"run '{self.run.name}' has neither its source clip nor audio.json")
            return audio_view.AudioView(field, None, sample_rate=meta["sample_rate"], num_samples=meta["num_samples"],
                                        scale=meta.get("scale", 1.0))

        if self.run.task_name != "audio":
            raise NotFound(f"run '{self.run.name}' is a {self.run.task_name} run, not an audio run")
        return self._cached("audio", make)

    def sdf_field(self) -> Any:
        if self.run.task_name != "sdf":
            raise NotFound(f"run '{self.run.name}' is a {self.run.task_name} run, not an SDF run")
        return self._cached("sdf", lambda field: field)

    def prior(self) -> prior_view.PriorView:
        def make(model: Any) -> prior_view.PriorView:
            task = self.run.task()
            if task is None:
                raise NotFound(f"run '{self.run.name}': its faces cannot be read (see the log); set SIRENKIT_DATA "
                               "to the shared data folder, or keep the faces file the run was trained on")
            return prior_view.PriorView(model, task.config, task.test_faces.images, task.test_faces.person,
                                        task.train_faces.images.mean(axis=0))

        if self.run.task_name != PRIOR:
            raise NotFound(f"run '{self.run.name}' is a {self.run.task_name} run, not a prior run")
        return self._cached("prior", make)

    def wavefield(self) -> tuple[Any, Any]:
        """The field and task of a Helmholtz or wave run; a dirichlet run needs its task (u is the task's, not the network's)."""
        if _kind(self.run.task_name) != "wavefield":
            raise NotFound(f"run '{self.run.name}' is a {self.run.task_name} run, not a Helmholtz or wave run")
        field = self._cached("wavefield", lambda field: field)
        task = self.run.task()
        if task is None and wavefields.is_dirichlet(self.run.task_name, self.run.config):
            raise NotFound(f"run '{self.run.name}': its task cannot be rebuilt from config.json (see the log), so its u is unknown")
        return field, task

    def wavefield_png(self, layer: str, resolution: int, t: float, source: int) -> tuple[bytes, tuple[float, float]]:
        """One layer of a Helmholtz or wave run as PNG, with the value range its colours span."""
        field, task = self.wavefield()
        values = wavefields.layer_values(self.run.task_name, field, task, layer, resolution, t=t, source=source)
        low, high = wavefields.value_range(layer, values)
        return png_bytes(apply_colormap(values, wavefields.LAYER_COLORMAPS[layer], low, high)), (low, high)

    def wavefield_point(self, point: tuple[float, float], t: float, source: int) -> dict[str, float]:
        """Every layer's value at one point (c1, c2) of [-1, 1]², as the page's click readout shows them."""
        field, task = self.wavefield()
        return wavefields.point_values(self.run.task_name, field, task, point, t=t, source=source)

    def video_clip(self) -> tuple[Any, dict[str, Any]]:
        """The field and the clip's frames, size and rate (the frames are None when the source cannot be read)."""
        if self.run.task_name != "video":
            raise NotFound(f"run '{self.run.name}' is a {self.run.task_name} run, not a video run")
        field = self._cached("video", lambda field: field)
        task, meta = self.run.task(), self.run.meta("video.json")
        if task is not None:
            frames, height, width = task.frames, *task.shape[1:]
            return field, {"frames": frames, "count": len(frames), "height": height, "width": width, "fps": task.fps}
        if not meta:
            raise NotFound(f"run '{self.run.name}' has neither its source clip nor video.json")
        return field, {"frames": None, "count": meta["frames"], "height": meta["height"], "width": meta["width"],
                       "fps": meta.get("fps", 25.0)}

    def describe(self, index: int) -> dict[str, Any]:
        """What the page needs to lay out this run's panel."""
        run = self.run
        kind = _kind(run.task_name)
        info: dict[str, Any] = {"id": index, "name": run.name, "task": run.task_name, "kind": kind,
                                "has_model": run.field() is not None, "model_file": run.model_file, "summary": run.summary(),
                                "total_steps": run.config.get("fit", {}).get("steps"),
                                "files": sorted(p.name for p in run.root.iterdir() if p.suffix in (".png", ".mp4", ".wav"))}
        if not info["has_model"]:
            return info
        try:
            if kind == "image":
                info["image"] = self.image().describe()
                info["image"]["reference_label"] = REFERENCE_LABELS[run.task_name]
            elif kind == "audio":
                info["audio"] = self.audio().describe()
            elif kind == "video":
                clip = self.video_clip()[1]
                info["video"] = {k: clip[k] for k in ("count", "height", "width", "fps")} | {
                    "has_original": clip["frames"] is not None, "max_slow_motion": video_view.MAX_SLOW_MOTION}
            elif kind == "wavefield":
                task = self.wavefield()[1]
                info["wavefield"] = wavefields.describe(run.task_name, task, run.config)
                info["wavefield"]["relative_l2_live"] = self._cached("relative_l2", lambda f: wavefields.relative_l2(f, task))
            elif kind == PRIOR:
                info["prior"] = self.prior().describe()
            elif kind == "sdf":
                info["sdf"] = {"normalization": run.meta("normalization.json"), "range": sdf_view.SDF_RANGE,
                               "colormap": sdf_view.SDF_COLORMAP, "has_mesh": run.file("mesh.obj") is not None,
                               "max_slice": sdf_view.MAX_SLICE}
        except RequestError as exc:
            info["problem"] = str(exc)
        return info


class ViewServer(ThreadingHTTPServer):
    """ThreadingHTTPServer over a fixed list of run folders."""

    daemon_threads = True

    def __init__(self, runs: Sequence[str | Path], host: str = "127.0.0.1", port: int = 8000) -> None:
        self.runs = [RunViews(ViewRun(path)) for path in runs]
        self.cache = LRUBytes()
        super().__init__((host, port), ViewHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


class ViewHandler(BaseHTTPRequestHandler):
    server: ViewServer
    server_version = "sirenkit-view"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        try:
            if len(self.path) > MAX_QUERY:
                raise BadRequest(f"request line longer than {MAX_QUERY} characters")
            body, content_type, cache = self._route()
        except RequestError as exc:
            self._send(exc.status, str(exc).encode(), "text/plain; charset=utf-8", cache=False)
            return
        except SirenkitError as exc:
            self._send(400, str(exc).encode(), "text/plain; charset=utf-8", cache=False)
            return
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception:  # a bug of ours: logged here, never sent to the client
            logger.exception("view: %s failed", self.path)
            self._send(500, b"internal error; see the sirenkit view log", "text/plain; charset=utf-8", cache=False)
            return
        self._send(200, body, content_type, cache=cache)

    def _send(self, status: int, body: bytes, content_type: str, *, cache: bool) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=3600" if cache else "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            for name, value in getattr(self, "_extra_headers", {}).items():
                self.send_header(name, value)
            self._extra_headers = {}
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _route(self) -> tuple[bytes, str, bool]:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        if path in ("/", "/index.html"):
            return self._static("index.html")
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        if path == "/api/runs":
            return _json([views.describe(i) for i, views in enumerate(self.server.runs)])
        if path == "/api/colorbar.png":
            return colorbar_png(choice_param(query, "map", COLORMAPS)), "image/png", True
        segments = path.split("/")
        if len(segments) >= 5 and segments[1:3] == ["api", "runs"]:
            return self._run_route(self._run(segments[3]), "/".join(segments[4:]), query)
        raise NotFound(f"no such page: {path[:80]}")

    def _static(self, relative: str) -> tuple[bytes, str, bool]:
        file = contained_file(STATIC_ROOT, relative)
        if file is None:
            raise NotFound("no such file")
        return file.read_bytes(), _content_type(file), relative != "index.html"

    def _run(self, text: str) -> RunViews:
        if not text.isdigit() or int(text) >= len(self.server.runs):
            raise NotFound(f"no run {text[:20]!r}; runs are numbered 0 to {len(self.server.runs) - 1}")
        return self.server.runs[int(text)]

    def _run_route(self, views: RunViews, route: str, query: dict[str, list[str]]) -> tuple[bytes, str, bool]:
        run, cache = views.run, self.server.cache
        if route == "metrics":
            since = int_param(query, "since", 0, 10**9, default=0)
            return _json({"since": since, "records": run.metrics_log(since)})
        if route.startswith("files/"):
            file = run.file(route[len("files/"):])
            if file is None:
                raise NotFound("no such file in the run folder")
            return file.read_bytes(), _content_type(file), False
        if route == "tile.png":
            tiles = views.image()
            layer = choice_param(query, "layer", LAYERS)
            level = int_param(query, "level", 0, tiles.pyramid.max_level)
            x = int_param(query, "x", 0, 1 << 20)
            y = int_param(query, "y", 0, 1 << 20)
            key = (id(views), run.field_stamp, layer, level, x, y)
            return cache.get_or_make(key, lambda: tiles.tile_png(layer, level, x, y)), "image/png", False
        if route == "audio/envelope":
            which = choice_param(query, "which", ("original", "fit"))
            bins = int_param(query, "bins", 16, audio_view.MAX_BINS, default=1024)
            return _json(views.audio().envelope(which, bins))
        if route == "audio/spectrogram.png":
            which = choice_param(query, "which", ("original", "fit"))
            sound = views.audio()
            key = (id(views), run.field_stamp, "spectrogram", which)
            return cache.get_or_make(key, lambda: sound.spectrogram_png(which)), "image/png", False
        if route == "audio/clip.wav":
            sound = views.audio()
            which = choice_param(query, "which", ("original", "fit"))
            rate = int_param(query, "rate", 1000, 192000, default=sound.sample_rate)
            duration = float_param(query, "duration", 0.001, 3600.0, default=len(sound.fit) / sound.sample_rate)
            return sound.wav_bytes(which, rate, duration), "audio/wav", False
        if route == "field.png":
            layer = choice_param(query, "layer", tuple(wavefields.LAYER_COLORMAPS))
            resolution = int_param(query, "resolution", 16, wavefields.MAX_RESOLUTION, default=256)
            t = float_param(query, "t", 0.0, 100.0, default=0.0)
            source = int_param(query, "source", 0, 1000, default=0)
            body, (low, high) = views.wavefield_png(layer, resolution, t, source)
            self._extra_headers = {"X-Value-Range": f"{low:.6g},{high:.6g}"}
            return body, "image/png", False
        if route == "field/point":
            point = (float_param(query, "c1", -1.0, 1.0), float_param(query, "c2", -1.0, 1.0))
            t = float_param(query, "t", 0.0, 100.0, default=0.0)
            source = int_param(query, "source", 0, 1000, default=0)
            return _json({"c1": point[0], "c2": point[1], "values": views.wavefield_point(point, t, source)})
        if route == "video/frame.png":
            field, clip = views.video_clip()
            which = choice_param(query, "which", ("original", "fit"))
            if which == "original":
                if clip["frames"] is None:
                    raise NotFound("this run's original clip cannot be read (its source is missing)")
                frame = int_param(query, "frame", 0, clip["count"] - 1)
                return video_view.original_frame_png(clip["frames"], frame), "image/png", False
            count = int_param(query, "frames", 1, clip["count"] * video_view.MAX_SLOW_MOTION, default=clip["count"])
            frame = int_param(query, "frame", 0, count - 1)
            key = (id(views), run.field_stamp, "frame", frame, count)
            size = (clip["height"], clip["width"])
            return cache.get_or_make(key, lambda: video_view.fit_frame_png(field, frame, count, size)), "image/png", False
        if route == "sdf/slice.png":
            field = views.sdf_field()
            axis = choice_param(query, "axis", sdf_view.AXES, default="z")
            position = float_param(query, "position", -1.0, 1.0, default=0.0)
            resolution = int_param(query, "resolution", 16, sdf_view.MAX_SLICE, default=256)
            key = (id(views), run.field_stamp, "slice", axis, round(position, 4), resolution)
            return cache.get_or_make(key, lambda: sdf_view.slice_png(field, axis, position, resolution)), "image/png", False
        if route in ("prior/inpaint", "prior/picture.png"):
            prior = views.prior()
            face = int_param(query, "face", 0, len(prior.test_faces) - 1)
            context = prior_view.context_param(query, prior.pixels)
            if route == "prior/inpaint":
                return _json(prior.readout(face, context))
            which = choice_param(query, "which", prior_view.PICTURES)
            key = (id(views), run.field_stamp, "prior", which, face, context)
            return cache.get_or_make(key, lambda: prior.picture_png(which, face, context)), "image/png", False
        raise NotFound(f"no such page: {route[:80]}")


def _json(data: Any) -> tuple[bytes, str, bool]:
    def default(value: Any) -> Any:
        if isinstance(value, np.generic):
            return value.item()
        raise TypeError(type(value).__name__)

    return json.dumps(data, default=default, allow_nan=False).encode(), "application/json", False


def _content_type(file: Path) -> str:
    if file.suffix in (".js", ".mjs"):
        return "text/javascript; charset=utf-8"
    return mimetypes.guess_type(file.name)[0] or "application/octet-stream"
