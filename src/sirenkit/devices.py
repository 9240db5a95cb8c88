"""Choosing the device, and the CPU allocator setting that training needs to be fast."""

from __future__ import annotations

import ctypes
import logging
import sys

import torch

from sirenkit.errors import ConfigError

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_allocator_tuned = False


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """'auto' -> cuda when available, else cpu; 'cuda' without a GPU, or 'mps' where PyTorch has no MPS, is a ConfigError.

    'mps' (Apple GPUs) is taken only when asked for: 'auto' never picks it, because MPS has no float64,
    which the derivative checks and some metrics use.
    """
    name = str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA GPU is visible to PyTorch; use --device cpu (or auto).")
    if name == "mps" and not torch.backends.mps.is_available():
        why = ("this PyTorch build has no MPS backend" if not torch.backends.mps.is_built()
               else "no Apple GPU is visible to PyTorch (MPS needs macOS 12.3+ on Apple silicon)")
        raise ConfigError(f"--device mps: {why}; use --device cpu (or auto).")
    if name not in ("cpu", "mps") and not name.startswith("cuda"):
        raise ConfigError(f"device '{name}' is not supported; choose auto, cpu, cuda or mps.")
    return torch.device(name)


def tune_cpu_allocator() -> bool:
    """Keep freed activation buffers in the process instead of returning them to the OS.

    A training step allocates and frees several 64 MiB activations; glibc serves each with a
    fresh mmap that page-faults on first touch, which costs ~30 % of a CPU step. Raising glibc's
    mmap and trim thresholds (mallopt) lets the heap reuse the pages. Effect: the process keeps
    its peak memory until it exits. Linux/glibc only; elsewhere nothing changes. Returns whether
    the setting was applied.
    """
    global _allocator_tuned
    if _allocator_tuned or not sys.platform.startswith("linux"):
        return _allocator_tuned
    try:
        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30) == 1 and libc.mallopt(_M_TRIM_THRESHOLD, (1 << 31) - 1) == 1
    except (OSError, AttributeError):
        ok = False
    _allocator_tuned = ok
    log.debug("glibc allocator thresholds raised: %s", ok)
    return ok


def cpu_lacks_bf16() -> bool:
    """True on a Linux x86 CPU without bfloat16 matrix units (avx512_bf16 or AMX), where torch emulates bf16.

    There a bf16 training step is an order of magnitude slower than fp32 (docs/convergence.md);
    False where it has them, or where /proc/cpuinfo does not say (other systems, ARM).
    """
    try:
        with open("/proc/cpuinfo") as info:
            flags = next((line for line in info if line.startswith("flags")), "")
    except OSError:
        return False
    return bool(flags) and " avx2" in flags and not any(f in flags for f in (" avx512_bf16", " amx_bf16"))
