"""Progress of a fit that shows wherever the job runs: a terminal, a log file or pipe, or a Jupyter notebook.

A tqdm bar needs a terminal: through ``| tee``, ``nohup``, CI or a notebook it shows nothing until the
end (or garbage). So `ProgressBar` picks its form once, when the fit starts:

- a terminal (the stream is a tty): one tqdm bar with loss, PSNR and steps/s;
- a Jupyter kernel: the notebook bar (``tqdm.notebook``; plain lines if ipywidgets is missing);
- anything else: a plain line every `every_s` seconds (time-based, so a slow fit does not go quiet
  and a fast one does not flood the log), plus one at the start and one at the end.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import time
from collections.abc import Callable
from typing import Literal, TextIO

from sirenkit.callbacks import Callback, FitState
from sirenkit.errors import ConfigError

EVERY_ENV = "SIRENKIT_PROGRESS_EVERY_S"
DEFAULT_EVERY_S = 5.0
Mode = Literal["auto", "bar", "notebook", "lines", "off"]


class ProgressBar(Callback):
    """Shows a fit's step, loss, latest metric and speed; off when quiet.

    Args:
        quiet: show nothing.
        mode: 'auto' (the default) picks 'bar' on a terminal, 'notebook' under a Jupyter kernel, else 'lines'.
        stream: where to write (default: sys.stderr at the start of the fit).
        every_s: seconds between plain lines (default: $SIRENKIT_PROGRESS_EVERY_S, else 5).
        clock: a monotonic clock in seconds (a test can drive it).
    """

    def __init__(self, *, quiet: bool = False, mode: Mode = "auto", stream: TextIO | None = None,
                 every_s: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if mode not in ("auto", "bar", "notebook", "lines", "off"):
            raise ConfigError(f"progress mode '{mode}' is unknown; choose one of: auto, bar, notebook, lines, off.")
        self.mode: Mode = "off" if quiet else mode
        self.stream = stream
        self.every_s = _every_s() if every_s is None else float(every_s)
        if not self.every_s >= 0:
            raise ConfigError(f"every_s={every_s} must be >= 0 seconds, e.g. 5.")
        self.clock = clock
        self.bar = None
        self._start_step = 0
        self._start_time = self._last_line = 0.0

    def on_start(self, state: FitState) -> None:
        stream = self.stream or sys.stderr
        self.stream = stream
        if self.mode == "auto":
            self.mode = "notebook" if _in_notebook() else "bar" if _isatty(stream) else "lines"
        if self.mode == "notebook" and importlib.util.find_spec("ipywidgets") is None:
            self.mode = "lines"  # tqdm.notebook needs ipywidgets; a kernel shows stderr lines live
        if self.mode == "notebook":
            from tqdm.notebook import tqdm as notebook_tqdm

            self.bar = notebook_tqdm(total=state.config.steps, initial=state.step, unit="step", desc=state.task.name)
        elif self.mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=state.config.steps, initial=state.step, unit="step", dynamic_ncols=True,
                            desc=state.task.name, file=stream)
        self._start_step, self._start_time = state.step, self.clock()
        self._last_line = self._start_time
        if self.mode == "lines":
            self._line(state)

    def on_step(self, state: FitState) -> None:
        if self.bar is not None:
            self.bar.update(state.step - self.bar.n)
            if state.step % state.config.log_every == 0 or state.step == 1:
                self.bar.set_postfix(_postfix(state), refresh=False)
        elif self.mode == "lines" and state.step < state.config.steps and self.clock() - self._last_line >= self.every_s:
            self._line(state)

    def on_end(self, state: FitState) -> None:
        if self.bar is not None:
            self.bar.set_postfix(_postfix(state), refresh=False)
            self.bar.close()
            self.bar = None
        elif self.mode == "lines":
            self._line(state, done=True)

    def _line(self, state: FitState, *, done: bool = False) -> None:
        now = self.clock()
        self._last_line = now
        elapsed = now - self._start_time
        total = state.config.steps
        parts = [f"{state.task.name}: step {state.step}/{total} ({100 * state.step / max(total, 1):.0f}%)"]
        parts += [f"{key} {value}" for key, value in _postfix(state).items()]
        done_steps = state.step - self._start_step
        if done_steps > 0 and elapsed > 0:
            rate = done_steps / elapsed
            parts.append(f"{rate:.3g} steps/s")
            if not done and state.step < total:
                parts.append(f"eta {_duration((total - state.step) / rate)}")
        if done:
            parts.append(f"{_duration(elapsed)} in all")
        print(", ".join(parts), file=self.stream, flush=True)


def _postfix(state: FitState) -> dict[str, str]:
    shown = {}
    if "total" in state.losses:
        shown["loss"] = f"{state.losses['total']:.3g}"
    if "psnr" in state.metrics:
        shown["psnr"] = f"{state.metrics['psnr']:.2f}"
    return shown


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d} min" if minutes else f"{seconds:.1f} s"


def _every_s() -> float:
    text = os.environ.get(EVERY_ENV, "")
    if not text:
        return DEFAULT_EVERY_S
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{EVERY_ENV}={text!r} is not a number of seconds; set it to e.g. 5.") from None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or minimal stream
        return False


def _in_notebook() -> bool:
    """True under a Jupyter (IPython) kernel; an IPython shell in a terminal has a tty and gets the bar."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and hasattr(shell, "kernel")
