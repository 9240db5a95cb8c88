"""`sirenkit render`, `info` and `mesh`: what to do with a saved run is decided by the task named in its config.json.

An SDF run is never treated as a video, nor a Helmholtz run as a picture: `render` draws what the
run's task draws, or refuses with one line saying what that task offers instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from sirenkit.cli.commands import COMMANDS
from sirenkit.cli.flags import DEVICE_HELP, add_size_flag
from sirenkit.errors import ConfigError
from sirenkit.protocols import capability
from sirenkit.render import DEFAULT_CHUNK_SIZE
from sirenkit.runs import COMPARE, IMAGE_SET, PRIOR, Run, load_run

IMAGE_TASKS = ("image",)
"""Runs whose field is the picture itself (values in [-1, 1] over [-1, 1]^2)."""
INSTEAD = {
    "sdf": "an SDF run is a surface: mesh it with 'sirenkit mesh {run} --resolution 256' (writes mesh.ply, mesh.obj, mesh.png)",
    "helmholtz": "a Helmholtz run is a wave field, not a picture: its exports {run}/field.npy (pml: real and imaginary "
                 "parts; --problem dirichlet: the real u on DeepXDE's test grid) and {run}/panels.png are in the run folder; "
                 "'sirenkit view {run}' shows the field live",
    "helmholtz-inverse": "an inversion run holds wave fields and a velocity: see {run}/field.npy, velocity.npy, velocity.png "
                         "and fields.png in the run folder",
    "wave": "a wave run is a field over time and space: see {run}/field.npy and {run}/frames.png in the run folder",
    "poisson": "a Poisson run fits derivatives, so its raw values carry an arbitrary offset: see {run}/reconstruction.png "
               "(aligned to the image) and panel.png",
    "blend": "a blend run's picture is {run}/blend.png (with naive.png and comparison.png)",
    PRIOR: "a prior draws faces from a few pixels: 'sirenkit inpaint {run} --out FOLDER'",
    IMAGE_SET: "an image set holds one image run per picture: render one of them, e.g. 'sirenkit render {member} --size 128 128 "
               "--out out.png'",
    COMPARE: "a comparison holds one image run per model: render one of them, e.g. 'sirenkit render {member} --size 256 256 "
             "--out out.png'",
}


DEFAULT_RENDER_SUFFIX = {"audio": ".wav", "video": ".mp4"}
"""File type of `sirenkit render` without --out, by the run's task (PNG otherwise)."""


def add_render_parser(sub: argparse._SubParsersAction, name: str = "render") -> None:
    """The `render` command."""
    p = sub.add_parser(name, help=COMMANDS[name].summary,
                            description="Render a saved run at any resolution, in chunks of bounded memory. What is drawn "
                                        "follows the task in the run's config.json: image runs as pictures, audio as sound, "
                                        "video as MP4; any other run is refused with what its task offers instead.",
                            epilog="Examples:\n  sirenkit render runs/image-camera --size 2048 2048 --out camera_2048.png\n"
                                   "  sirenkit render runs/audio-bach --sample-rate 88200 --out bach_2x.wav\n"
                                   "  sirenkit render runs/video-bikes --frames 64 --fps 8 --size 128 320 --out slow.mp4",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path, help="run folder or model.safetensors")
    add_size_flag(p, pair=True, default=None,
                  help_text="output height and width in pixels (images: required; video: default the fitted size)")
    p.add_argument("--out", type=Path, default=None,
                        help="output file: PNG for images, WAV for audio, MP4 for video (default: RUNNAME-render.png/.wav/.mp4 here)")
    p.add_argument("--sample-rate", type=int, default=None, help="audio: output rate in Hz (default: the clip's; 2x = upsampled)")
    p.add_argument("--duration-s", type=float, default=None,
                        help="audio: output length in seconds for the clip's time span (default: the clip's; longer = slower)")
    p.add_argument("--frames", type=int, default=None,
                        help="video: frames over the clip's time span (default: the clip's; more = slow motion)")
    p.add_argument("--fps", type=float, default=None, help="video: frame rate of the MP4 (default: the clip's)")
    p.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                        help=f"points per forward pass (default: {DEFAULT_CHUNK_SIZE})")
    p.add_argument("--allow-large", action="store_true", default=None,
                   help="render even what is estimated to exceed the free memory or take over a day (refused by default)")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.set_defaults(handler=render)


def add_mesh_parser(sub: argparse._SubParsersAction, name: str = "mesh") -> None:
    """The `mesh` command."""
    p = sub.add_parser(name, help=COMMANDS[name].summary,
                          description="Marching cubes on a saved SDF run's field, evaluated in chunks (memory bounded by "
                                      "--chunk-size, plus resolution^3 floats for the grid); writes mesh.ply, mesh.obj and "
                                      "mesh.png in the input's original units.",
                          epilog="Example:\n  sirenkit mesh runs/sdf-bunny --resolution 512",
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path, help="run folder made by 'sirenkit sdf'")
    p.add_argument("--resolution", type=int, default=256, help="grid points per axis (default: 256; 512 needs 512 MiB)")
    p.add_argument("--out", type=Path, default=None, help="folder for the mesh files (default: the run folder)")
    p.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                      help=f"points per forward pass (default: {DEFAULT_CHUNK_SIZE})")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.set_defaults(handler=mesh)


def add_info_parser(sub: argparse._SubParsersAction, name: str = "info") -> None:
    """The `info` command."""
    p = sub.add_parser(name, help=COMMANDS[name].summary,
                          description="Print a run's task, settings, model size, metrics and sub-runs.")
    p.add_argument("run", type=Path, help="run folder or model.safetensors")
    p.set_defaults(handler=info)


def render(args: argparse.Namespace) -> int:
    """Render a run at any resolution, by its task: image (PNG), audio (WAV), video (MP4); refuse the rest."""
    from sirenkit.devices import resolve_device
    from sirenkit.tasks import TASKS

    run = load_run(args.run)
    spec = TASKS.get(run.task)
    offered = capability(spec.task, "render") if spec is not None else None
    if args.out is None:  # beside the current folder, named after the run: never inside the run folder
        kind = run.task
        if kind == "field" and run.model is not None:  # a bare model file: its input dimension says what it is
            kind = {1: "audio", 3: "video"}.get(run.model.config.in_features, "image")
        args.out = Path(f"{Path(args.run).resolve().name}-render{DEFAULT_RENDER_SUFFIX.get(kind, '.png')}")
    if offered is not None and run.model is not None:
        if args.chunk_size < 1:
            raise ConfigError(f"--chunk-size {args.chunk_size} must be >= 1, e.g. {DEFAULT_CHUNK_SIZE}.")
        options = _options(args, offered)
        paths = offered(run.model.to(resolve_device(args.device)), run.path, **options)
        print(f"wrote {', '.join(str(p) for p in paths)}")
        return 0
    kind = run.task if run.task != "field" else {1: "audio", 2: "image", 3: "video"}.get(run.model.config.in_features, "")
    if kind in INSTEAD:
        member = run.members[0] if run.members else Path(args.run) / "NAME"
        raise ConfigError(f"{args.run}: {INSTEAD[kind].format(run=args.run, member=member)}; 'render' draws image, audio "
                          "and video runs.")
    if kind not in (*IMAGE_TASKS, "audio", "video"):
        raise ConfigError(f"{args.run}: a '{run.task}' run has no renderer; 'render' draws image, audio and video runs.")
    if args.chunk_size < 1:
        raise ConfigError(f"--chunk-size {args.chunk_size} must be >= 1, e.g. {DEFAULT_CHUNK_SIZE}.")
    field = run.model.to(resolve_device(args.device))
    if kind in ("audio", "video"):  # a bare model file: the task's renderer, with the clip's metadata beside it if any
        render_fn = TASKS[kind].task.render
        paths = render_fn(field, Path(args.run), **_options(args, render_fn))
        print(f"wrote {', '.join(str(p) for p in paths)}")
        return 0
    return _render_image(args, field)


RENDER_OPTIONS = ("out", "size", "sample_rate", "duration_s", "frames", "fps", "chunk_size", "allow_large")
"""`sirenkit render` flags handed to a task's render(field, run, **options); --device is the CLI's own."""


def _options(args: argparse.Namespace, render_fn) -> dict:
    """The render flags the task's render accepts; a given flag it does not take is refused in one line."""
    import inspect

    accepted = set(inspect.signature(render_fn).parameters)
    options = {}
    for name in RENDER_OPTIONS:
        value = getattr(args, name, None)
        if value is None:
            continue
        if name not in accepted:
            if name == "chunk_size":
                continue
            raise ConfigError(f"--{name.replace('_', '-')} does not apply to this run; its renderer takes "
                              f"{', '.join('--' + p.replace('_', '-') for p in RENDER_OPTIONS if p in accepted)}.")
        options[name] = tuple(value) if name == "size" else value
    return options


def _render_image(args: argparse.Namespace, field) -> int:
    """A bare image model file: the same checked renderer as an image run's (size, suffix, memory and time budget)."""
    from sirenkit.render import render_image_file

    path = render_image_file(field, args.out, args.size, chunk_size=args.chunk_size, allow_large=bool(args.allow_large))
    print(f"wrote {path} ({args.size[0]}x{args.size[1]})")
    return 0


def info(args: argparse.Namespace) -> int:
    """Print what a run is: its task, settings, model size, metrics and sub-runs."""
    run = load_run(args.run)
    print(f"task: {run.task}")
    _print_model(run)
    if run.config is not None:
        print("task_config: " + json.dumps(run.config.task_config))
        print("fit: " + json.dumps(dataclasses.asdict(run.config.fit)))
    for member in run.members:
        print(f"run: {member}")
    if run.metrics:
        print("metrics: " + json.dumps(run.metrics))
    return 0


def _print_model(run: Run) -> None:
    if run.model is None:
        return
    params = sum(p.numel() for p in run.model.parameters())
    label = "field" if run.task not in (PRIOR, IMAGE_SET) else "model"
    print(f"{label}: {type(run.model).__name__}, {params:,} parameters")
    config = getattr(run.model, "config", None)
    if dataclasses.is_dataclass(config) and run.task not in (PRIOR,):
        print(json.dumps(dataclasses.asdict(config), indent=2))


def mesh(args: argparse.Namespace) -> int:
    """Marching cubes on an SDF run; any other run is refused in one line."""
    from sirenkit.runs import read_config
    from sirenkit.tasks.sdf import remesh

    if not (Path(args.run) / "config.json").is_file():
        raise ConfigError(f"{args.run}: no such config file (config.json); pass a run folder made by 'sirenkit sdf'.")
    task = read_config(args.run).task
    if task != "sdf":
        raise ConfigError(f"{args.run}: 'mesh' meshes SDF runs (made by 'sirenkit sdf'); this is a '{task}' run.")
    if args.resolution < 8:
        raise ConfigError(f"--resolution {args.resolution} is too coarse; pass e.g. --resolution 256.")
    if args.chunk_size < 1:
        raise ConfigError(f"--chunk-size {args.chunk_size} must be >= 1, e.g. {DEFAULT_CHUNK_SIZE}.")
    paths, metrics = remesh(args.run, resolution=args.resolution, chunk_size=args.chunk_size, out=args.out, device=args.device)
    print(f"wrote {', '.join(str(p) for p in paths)} ({int(metrics['vertices'])} vertices, {int(metrics['faces'])} faces)")
    shown = ", ".join(f"{k} {metrics[k]:.4g}" for k in ("f_score", "normal_consistency", "chamfer_l1") if k in metrics)
    if shown:
        print(shown)
    return 0
