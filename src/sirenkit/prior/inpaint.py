"""Inpainting with a trained prior, and the pictures: context / inpainted / ground truth, latent interpolation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from sirenkit.errors import ConfigError, DataError
from sirenkit.io.image import load_image
from sirenkit.io.run_dir import write_json
from sirenkit.plots import save_image_grid
from sirenkit.prior.context import EVAL_SEED, eval_context
from sirenkit.prior.models import PriorModel

UNSEEN = np.array([0.12, 0.18, 0.42], dtype=np.float32)
"""Colour of the pixels a context does not show (dark blue, so it never reads as a dark face pixel)."""
ZOOM = 3
"""Each face pixel is drawn as ZOOM x ZOOM picture pixels."""


def load_face_image(path: str | Path, side: int) -> np.ndarray:
    """Any image file as a grey side x side face in [-1, 1]: mean of the colour channels, centre square, anti-aliased resize.

    A prior accepts only the side it was trained on (the conv encoder reads a fixed grid), so a
    photo of another size is cropped and resized here rather than refused.
    """
    from skimage.transform import resize

    image = load_image(path).mean(axis=-1)
    h, w = image.shape
    n = min(h, w)
    top, left = (h - n) // 2, (w - n) // 2
    square = image[top:top + n, left:left + n]
    if n != side:
        square = resize(square, (side, side), anti_aliasing=n > side, preserve_range=True)
    return (square.astype(np.float32) * 2.0 - 1.0)


def inpaint_faces(model: PriorModel, faces: np.ndarray, spec: str) -> tuple[np.ndarray, np.ndarray]:
    """Inpaint each face from its test context `spec` ('10', '100', '1000', 'half' or a count).

    The contexts are drawn with the evaluation's seed, so a run of inpaint is reproducible.

    Shape:
        faces: (N, side, side) in [-1, 1]; returns (inpainted (N, side, side), context mask (N, side, side)).
    """
    n, side = len(faces), faces.shape[-1]
    if faces.shape[1:] != (model.config.size, model.config.size):
        raise ConfigError(f"faces of {faces.shape[1]}x{faces.shape[2]} pixels; this prior was trained on "
                          f"{model.config.size}x{model.config.size}. Resize them (load_face_image does).")
    context = eval_context(n, side, spec, torch.Generator().manual_seed(EVAL_SEED))
    images = torch.from_numpy(faces).reshape(n, -1)
    with torch.no_grad():
        pred = model.inpaint(images, context)
    return pred.reshape(n, side, side).numpy(), context.mask(side * side).reshape(n, side, side).numpy()


def interpolate_latents(model: PriorModel, a: np.ndarray, b: np.ndarray, *, count: int = 8) -> np.ndarray:
    """Faces generated from the latents on the line between face a's and face b's (each from all its pixels).

    Shape:
        a, b: (side, side); returns (count, side, side).
    """
    side = a.shape[-1]
    context = eval_context(2, side, str(side * side), torch.Generator().manual_seed(EVAL_SEED))
    images = torch.from_numpy(np.stack([a, b])).reshape(2, -1)
    with torch.no_grad():
        latent = model.latent(images, context)
        t = torch.linspace(0, 1, count)[:, None]
        return model.render((1 - t) * latent[0] + t * latent[1]).reshape(count, side, side).numpy()


def write_inpainting(out: Path, model: PriorModel, faces: np.ndarray, specs: list[str], *,
                     labels: list[str]) -> list[Path]:
    """inpaint.png (a row per face: context and inpainted per spec, then ground truth), interpolation.png, inpaint.json."""
    if len(faces) == 0:
        raise DataError("no faces to inpaint; pass --image FILE or --test-index I.")
    out.mkdir(parents=True, exist_ok=True)
    columns, titles, report = [], [], {}
    for spec in specs:
        pred, mask = inpaint_faces(model, faces, spec)
        columns += [_context_tiles(faces, mask), _grey(pred)]
        titles += [f"context: {spec} px (blue unseen)", f"inpainted from {spec}"]
        for label, p, f in zip(labels, pred, faces):
            report.setdefault(label, {})[f"mse_{spec}"] = float(((p - f) ** 2).mean())
    columns.append(_grey(faces))
    titles.append("ground truth")
    tiles = [[column[i] for column in columns] for i in range(len(faces))]
    paths = [save_image_grid(out / "inpaint.png", tiles, row_labels=labels, column_titles=titles)]
    a, b = (faces[0], faces[1]) if len(faces) > 1 else (faces[0], faces[0][:, ::-1].copy())
    names = (labels[0], labels[1]) if len(faces) > 1 else (labels[0], f"{labels[0]}, mirrored")
    between = interpolate_latents(model, a, b)
    strip = [_grey(a[None])[0], *_grey(between), _grey(b[None])[0]]
    steps = [f"latent {t:.2f}" for t in np.linspace(0.0, 1.0, len(between))]
    paths.append(save_image_grid(out / "interpolation.png", [strip], column_titles=[names[0], *steps, names[1]]))
    paths.append(write_json(out / "inpaint.json", {"columns": [f"{kind} {s}" for s in specs for kind in ("context", "inpainted")]
                                                   + ["ground truth"], "mse": report}))
    return paths


def _grey(images: np.ndarray) -> np.ndarray:
    """(N, s, s) in [-1, 1] -> (N, s*ZOOM, s*ZOOM, 3) in [0, 1]."""
    rgb = np.repeat(np.clip((images + 1.0) / 2.0, 0.0, 1.0)[..., None], 3, axis=-1)
    return rgb.repeat(ZOOM, axis=1).repeat(ZOOM, axis=2).astype(np.float32)


def _context_tiles(faces: np.ndarray, mask: np.ndarray) -> np.ndarray:
    shown = np.where(mask[..., None] > 0, np.repeat(np.clip((faces + 1.0) / 2.0, 0, 1)[..., None], 3, -1), UNSEEN)
    return shown.repeat(ZOOM, axis=1).repeat(ZOOM, axis=2).astype(np.float32)
