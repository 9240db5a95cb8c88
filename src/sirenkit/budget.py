"""Refusing requests too large for the machine, before anything is allocated or trained.

A request (a render size, a mesh resolution, a network width, a training grid) is turned into
an estimate of the bytes it holds at once, and, where it has no memory bound but may run for
days (a streamed video of a billion frames), of the time it takes on a small CPU. The memory
limit is the memory the machine has available now (``/proc/meminfo`` MemAvailable, else
``os.sysconf``); the time limit is a day (`WORK_LIMIT_S`). Both refusals
are a ConfigError that says the estimate, the limit and what to change; ``allow_large=True``
skips the check for a job known to fit.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from sirenkit.errors import ConfigError

FLOP_PER_SECOND = 2.8e11
"""Arithmetic rate of the 2-core CPU of `render.DEFAULT_CHUNK_SIZE`'s measurement: 0.70 M points/s of a 3x256 Siren,
2 x 198k multiply-adds per point."""
SECONDS_PER_CALL = 1e-4
"""The fixed cost of one forward pass of a few layers, however few its points (PyTorch's dispatch): a billion
one-frame calls take days even when each frame is tiny."""
WORK_LIMIT_S = 86400.0
"""A request estimated to run longer than a day is refused unless allowed."""
FLOAT_BYTES = 4
"""float32, what fields train and evaluate in."""


def available_memory() -> int:
    """Bytes of memory the machine can give a new allocation now (MemAvailable; all free pages where unknown)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def memory_limit() -> int:
    """The most bytes one request may hold at once: the memory available now."""
    return available_memory()


def check_memory(what: str, nbytes: float, *, fix: str, allow_large: bool = False) -> None:
    """ConfigError when `what` needs more than `memory_limit()` bytes; `fix` says what to change."""
    limit = memory_limit()
    if allow_large or nbytes <= limit:
        return
    raise ConfigError(f"{what} needs about {_bytes(nbytes)} of memory, more than the {_bytes(limit)} this machine has "
                      f"available; {fix.rstrip('.')}.")


def check_work(what: str, flop: float, *, calls: float = 0, fix: str, allow_large: bool = False) -> None:
    """ConfigError when `what` (`flop` operations in `calls` forward passes) would run over `WORK_LIMIT_S` on a small CPU."""
    seconds = flop / FLOP_PER_SECOND + calls * SECONDS_PER_CALL
    if allow_large or seconds <= WORK_LIMIT_S:
        return
    raise ConfigError(f"{what} would take about {seconds / 86400:.3g} days on a small CPU ({flop:.2g} floating-point "
                      f"operations in {calls:.2g} forward passes; the limit is {WORK_LIMIT_S / 86400:g} day); {fix}, or pass "
                      "allow_large=True through the API to run it anyway.")


def field_parameters(in_features: int, hidden_features: int, hidden_layers: int, out_features: int) -> int:
    """Weights and biases of an MLP/Siren of these sizes (hidden_layers hidden-to-hidden layers)."""
    return ((in_features + 1) * hidden_features + hidden_layers * (hidden_features + 1) * hidden_features
            + (hidden_features + 1) * out_features)


def field_bytes(in_features: int, hidden_features: int, hidden_layers: int, out_features: int) -> int:
    """Bytes a field of these sizes holds while training: weights, gradients and Adam's two moments."""
    return 4 * FLOAT_BYTES * field_parameters(in_features, hidden_features, hidden_layers, out_features)


def activation_bytes(points: float, hidden_features: int, hidden_layers: int) -> float:
    """Bytes of one training step's activations: per point and layer, the pre-activation, the output and its gradient."""
    return 3.0 * FLOAT_BYTES * points * hidden_features * (hidden_layers + 2)


def flop_per_point(field: object) -> float:
    """Floating-point operations of one forward evaluation: two per weight (multiply and add)."""
    return 2.0 * sum(p.numel() for p in field.parameters())  # type: ignore[attr-defined]


def grid_points(shape: Sequence[int]) -> int:
    """Points of a grid of this shape (an exact integer, however large)."""
    return math.prod(int(n) for n in shape)


def _bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"


__all__ = ["FLOP_PER_SECOND", "SECONDS_PER_CALL", "WORK_LIMIT_S", "activation_bytes", "available_memory", "check_memory",
           "check_work", "field_bytes", "field_parameters", "flop_per_point", "grid_points", "memory_limit"]
