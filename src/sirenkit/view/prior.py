"""Prior runs in the viewer: a held-out face, the pixels the prior is shown, its inpainting, and the mean face.

The inpainting is `sirenkit.prior.inpaint.inpaint_faces` on that one face, so the page shows what
`sirenkit inpaint RUN --test-index I --context C` draws for a single face (the same context pixels,
drawn with the evaluation's seed). The mean training face is the baseline that ignores the context:
a prior worth having beats it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sirenkit.prior.config import PriorConfig
from sirenkit.prior.context import CONTEXT_CHOICES
from sirenkit.prior.inpaint import UNSEEN, inpaint_faces
from sirenkit.prior.models import PriorModel
from sirenkit.view.pixels import png_bytes
from sirenkit.view.requests import BadRequest

PICTURES = ("truth", "context", "inpainted", "mean")
"""The four pictures of the page: the test face, its context (unseen pixels blue), the inpainting, the mean face."""
CACHED_INPAINTINGS = 256
"""Inpaintings kept per run (each is three side² arrays: at most 3 x 64² floats)."""


@dataclass(frozen=True)
class Inpainting:
    """One test face inpainted from one context; images in [-1, 1], (side, side)."""

    truth: np.ndarray
    mask: np.ndarray
    """1 at the observed pixels."""
    inpainted: np.ndarray
    mean_face: np.ndarray

    @property
    def mse_inpainted(self) -> float:
        """Over all pixels, in [-1, 1] units, as `sirenkit inpaint` reports it."""
        return float(((self.inpainted - self.truth) ** 2).mean())

    @property
    def mse_mean_face(self) -> float:
        return float(((self.mean_face - self.truth) ** 2).mean())


def context_param(query: Mapping[str, Sequence[str]], pixels: int) -> str:
    """The 'context' parameter as an inpaint spec: 'half' or a pixel count in [1, pixels]."""
    values = query.get("context")
    if not values:
        raise BadRequest(f"missing parameter 'context': give a pixel count in [1, {pixels}] or 'half'")
    if len(values) > 1:
        raise BadRequest(f"parameter 'context' given {len(values)} times; give it once")
    text = values[0]
    if text == "half":
        return text
    if not text.isdigit() or len(text) > 12 or not 1 <= int(text) <= pixels:
        raise BadRequest(f"parameter 'context'={text[:16]!r}: give a pixel count in [1, {pixels}] or 'half'")
    return str(int(text))


class PriorView:
    """A trained prior over its run's held-out faces: inpaint one face from one context, on request, cached."""

    def __init__(self, model: PriorModel, config: PriorConfig, test_faces: np.ndarray, test_people: np.ndarray,
                 mean_face: np.ndarray) -> None:
        self.model, self.config = model, config
        self.test_faces = test_faces.astype(np.float32)
        self.test_people = test_people
        self.mean_face = mean_face.astype(np.float32)
        self.pixels = config.size * config.size
        self._lock = threading.Lock()  # one inpainting at a time per run: a request costs one face's forward, never more
        self._cache: OrderedDict[tuple[int, str], Inpainting] = OrderedDict()

    def describe(self) -> dict[str, Any]:
        """What the page needs for its controls."""
        return {"faces": len(self.test_faces), "side": self.config.size, "pixels": self.pixels, "model": self.config.model,
                "presets": [c for c in CONTEXT_CHOICES if c == "half" or int(c) <= self.pixels], "pictures": list(PICTURES)}

    def inpaint(self, face: int, context: str) -> Inpainting:
        """Test face `face` inpainted from context `context` ('half' or a count), through the library's inpaint_faces."""
        key = (face, context)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            truth = self.test_faces[face]
            inpainted, mask = inpaint_faces(self.model, truth[None], context)
            result = Inpainting(truth, mask[0], inpainted[0], self.mean_face)
            self._cache[key] = result
            while len(self._cache) > CACHED_INPAINTINGS:
                self._cache.popitem(last=False)
            return result

    def readout(self, face: int, context: str) -> dict[str, Any]:
        """The numbers under the pictures."""
        result = self.inpaint(face, context)
        return {"face": face, "person": int(self.test_people[face]), "context": context,
                "observed": int(result.mask.sum()), "pixels": self.pixels,
                "mse_inpainted": result.mse_inpainted, "mse_mean_face": result.mse_mean_face}

    def picture_png(self, which: str, face: int, context: str) -> bytes:
        """One of PICTURES at the prior's resolution (one PNG pixel per face pixel)."""
        result = self.inpaint(face, context)
        if which == "context":
            grey = np.repeat(_unit(result.truth)[..., None], 3, axis=-1)
            return png_bytes(np.where(result.mask[..., None] > 0, grey, UNSEEN))
        return png_bytes(_unit({"truth": result.truth, "inpainted": result.inpainted, "mean": result.mean_face}[which]))


def _unit(image: np.ndarray) -> np.ndarray:
    return np.clip((image + 1.0) / 2.0, 0.0, 1.0)
