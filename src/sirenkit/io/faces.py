"""The Olivetti faces (AT&T/ORL): 400 grey 64x64 photos of 40 people, the data set for priors.

Priors are judged on people the model never saw, so the split is by person, never by photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sirenkit.errors import ConfigError, DataError

PEOPLE = 40
PHOTOS_PER_PERSON = 10
SIDE = 64


@dataclass
class Faces:
    """Face images in [-1, 1], shape (N, side, side), and the person (0-39) in each one."""

    images: np.ndarray
    person: np.ndarray


def load_faces(path: str | Path, size: int = SIDE) -> Faces:
    """Read olivettifaces.mat (key 'faces', (4096, 400) uint8, each column a column-major 64x64
    photo; photos are grouped by person, 10 each) and resize to `size` by area averaging.

    Raises:
        DataError: missing file, not a MATLAB file, or no 'faces' array of shape (4096, 400).
        ConfigError: a size that does not divide 64.
    """
    import scipy.io

    path = Path(path)
    if size <= 0 or SIDE % size:
        raise ConfigError(f"size={size} does not divide {SIDE}; use one of 64, 32, 16, 8.")
    if not path.is_file():
        raise DataError(f"{path}: no such file; pass the Olivetti faces .mat (shared data: faces/olivettifaces.mat).")
    try:
        content = scipy.io.loadmat(path)
    except Exception as exc:  # scipy raises ValueError, TypeError or MatReadError for non-MATLAB files
        raise DataError(f"{path}: cannot read it as a MATLAB file ({exc}); pass olivettifaces.mat.") from None
    faces = content.get("faces")
    expected = (SIDE * SIDE, PEOPLE * PHOTOS_PER_PERSON)
    if faces is None or faces.shape != expected:
        found = "no 'faces' key" if faces is None else f"'faces' of shape {faces.shape}"
        raise DataError(f"{path}: holds {found}; expected 'faces' of shape {expected} (the Olivetti faces file).")
    images = faces.T.reshape(-1, SIDE, SIDE).transpose(0, 2, 1).astype(np.float32) / 255.0
    factor = SIDE // size
    images = images.reshape(-1, size, factor, size, factor).mean(axis=(2, 4))
    person = np.repeat(np.arange(PEOPLE), PHOTOS_PER_PERSON)
    return Faces(images * 2.0 - 1.0, person)


def split_by_person(faces: Faces, test_people: int = 8, seed: int = 0) -> tuple[Faces, Faces]:
    """Train and test sets with disjoint people: `test_people` people, drawn with `seed`, are held out."""
    if not 0 < test_people < PEOPLE:
        raise ConfigError(f"test_people={test_people} must be between 1 and {PEOPLE - 1}.")
    held_out = np.random.default_rng(seed).choice(PEOPLE, size=test_people, replace=False)
    test = np.isin(faces.person, held_out)
    return Faces(faces.images[~test], faces.person[~test]), Faces(faces.images[test], faces.person[test])
