"""Arrays the physics tasks read: velocity maps (.npy) and FWI receiver data (.mat)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sirenkit.errors import DataError, ShapeError
from sirenkit.io.run_dir import atomic_path

MAT_FIELDS = ("source", "receivers", "rec_val")
"""The fields of an FWI .mat file (the reference code's data_cylinder_5.mat)."""
DEFAULT_DATA = "helmholtz/data_cylinder_5.mat"
"""Where the reference's FWI data lies inside $SIRENKIT_DATA."""


def save_array(path: str | Path, array: np.ndarray) -> Path:
    """Write `array` as .npy, atomically (a reader never sees half a file)."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.save(f, array)
    return path


def load_velocity(path: str | Path) -> np.ndarray:
    """A velocity map from a .npy file: (n, n), strictly positive, velocity[i, j] at (x_i, y_j) on [-1, 1]²."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"velocity file {path} not found; pass uniform, square, circle or an existing FILE.npy")
    try:
        velocity = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise DataError(f"{path}: not a readable .npy array ({exc}); save the map with numpy.save") from None
    if not isinstance(velocity, np.ndarray):  # an .npz archive loads as a mapping of arrays
        raise DataError(f"{path}: is an .npz archive, not one array; save the (n, n) map alone with numpy.save(path, velocity).")
    if np.iscomplexobj(velocity):
        raise DataError(f"{path}: the velocity map is complex ({velocity.dtype}); a wave speed is real and positive, "
                        "so save its real values (or magnitudes) as a float array.")
    if not (np.issubdtype(velocity.dtype, np.floating) or np.issubdtype(velocity.dtype, np.integer)):
        raise DataError(f"{path}: the velocity map holds {velocity.dtype} values, not numbers; save a float (n, n) array.")
    if velocity.ndim != 2 or velocity.shape[0] != velocity.shape[1] or velocity.shape[0] < 2:
        raise ShapeError(f"{path}: velocity map has shape {velocity.shape}; expected a square (n, n) grid over [-1, 1]², "
                         "velocity[i, j] at (x_i, y_j)")
    velocity = velocity.astype(np.float64)
    if not np.all(np.isfinite(velocity)) or np.any(velocity <= 0):
        raise DataError(f"{path}: velocity map holds non-positive, NaN or inf values; "
                        "give a strictly positive wave speed everywhere")
    return velocity


@dataclass
class ReceiverData:
    """Sources (F, 2), receivers (R, 2) and the measured fields (R, F) complex, in sirenkit's convention."""

    sources: np.ndarray
    receivers: np.ndarray
    values: np.ndarray


def load_receiver_data(path: str | Path) -> ReceiverData:
    """Read an FWI .mat file (fields source, receivers, rec_val) and conjugate rec_val into sirenkit's convention.

    Raises:
        DataError: missing or unreadable file, a missing field (named), or shapes that disagree.
    """
    import scipy.io

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file; pass --data with the FWI .mat file, e.g. "
                        f"$SIRENKIT_DATA/{DEFAULT_DATA}")
    try:
        mat = scipy.io.loadmat(path)
    except (ValueError, OSError, NotImplementedError) as exc:
        raise DataError(f"{path}: not a readable MATLAB .mat file ({exc})") from None
    missing = [name for name in MAT_FIELDS if name not in mat]
    if missing:
        found = ", ".join(k for k in mat if not k.startswith("__")) or "none"
        raise DataError(f"{path}: missing field '{missing[0]}'; an FWI file needs source (F, 2), receivers (R, 2) and "
                        f"rec_val (R, F) complex (found: {found})")
    sources, receivers = np.asarray(mat["source"], float), np.asarray(mat["receivers"], float)
    values = np.asarray(mat["rec_val"])
    if sources.ndim != 2 or sources.shape[1] != 2 or receivers.ndim != 2 or receivers.shape[1] != 2:
        raise DataError(f"{path}: source has shape {sources.shape} and receivers {receivers.shape}; both must be (N, 2)")
    if not len(sources) or not len(receivers):
        raise DataError(f"{path}: holds {len(sources)} sources and {len(receivers)} receivers; an inversion needs at "
                        "least one of each")
    if not (np.isfinite(sources).all() and np.isfinite(receivers).all() and np.isfinite(values).all()):
        raise DataError(f"{path}: source, receivers or rec_val holds NaN or inf; pass finite measurements")
    if values.shape != (len(receivers), len(sources)):
        raise DataError(f"{path}: rec_val has shape {values.shape}; expected (receivers, sources) = "
                        f"({len(receivers)}, {len(sources)})")
    return ReceiverData(sources, receivers, np.conj(values.astype(complex)))
