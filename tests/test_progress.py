"""Progress off a terminal: plain lines on a clock, the bar on a terminal, the notebook bar in Jupyter."""

import io
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from sirenkit import progress
from sirenkit.errors import ConfigError
from sirenkit.progress import ProgressBar


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def fake_state(steps=100):
    return types.SimpleNamespace(step=0, config=types.SimpleNamespace(steps=steps, log_every=10), losses={}, metrics={},
                                 task=types.SimpleNamespace(name="image"))


def drive(bar, state, clock, *, seconds_per_step=0.125, psnr_at=50):
    """What fit does: on_start, then one on_step per step (evaluating at `psnr_at`), then on_end."""
    bar.on_start(state)
    for step in range(1, state.config.steps + 1):
        clock.now += seconds_per_step
        state.step, state.losses = step, {"mse": 1.0 / step, "total": 1.0 / step}
        if step == psnr_at:
            state.metrics = {"psnr": 30.0}
            bar.on_eval(state)
        bar.on_step(state)
    bar.on_end(state)


def test_off_a_terminal_prints_a_line_every_few_seconds():
    stream, clock = io.StringIO(), FakeClock()
    drive(ProgressBar(stream=stream, every_s=2.5, clock=clock), fake_state(), clock)
    lines = stream.getvalue().splitlines()
    steps = [int(re.match(r"image: step (\d+)/100", line).group(1)) for line in lines]
    assert steps == [0, 20, 40, 60, 80, 100]  # 1/8 s a step, a line every 2.5 s, one at the start and one at the end
    assert lines[1] == "image: step 20/100 (20%), loss 0.05, 8 steps/s, eta 10.0 s"
    assert "psnr 30.00" in lines[3] and "psnr" not in lines[2]  # the evaluation at step 50 shows from then on
    assert lines[-1] == "image: step 100/100 (100%), loss 0.01, psnr 30.00, 8 steps/s, 12.5 s in all"


def test_the_interval_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(progress.EVERY_ENV, "0.5")
    stream, clock = io.StringIO(), FakeClock()
    drive(ProgressBar(stream=stream, clock=clock), fake_state(steps=20), clock)
    assert len(stream.getvalue().splitlines()) == 1 + 4 + 1  # start, steps 4/8/12/16, end
    monkeypatch.setenv(progress.EVERY_ENV, "often")
    with pytest.raises(ConfigError, match="SIRENKIT_PROGRESS_EVERY_S='often' is not a number"):
        ProgressBar()


def test_quiet_writes_nothing():
    stream, clock = io.StringIO(), FakeClock()
    drive(ProgressBar(quiet=True, stream=stream, every_s=0.0, clock=clock), fake_state(), clock)
    assert stream.getvalue() == ""


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_one_tqdm_bar():
    stream, clock = Terminal(), FakeClock()
    bar = ProgressBar(stream=stream, every_s=0.0, clock=clock)
    drive(bar, fake_state(), clock)
    text = stream.getvalue()
    assert bar.mode == "bar" and "\r" in text  # tqdm redraws in place instead of printing lines
    assert "100/100" in text and "psnr=30.00" in text
    assert "image: step" not in text


def test_a_jupyter_kernel_gets_the_notebook_bar(monkeypatch):
    made = []

    class NotebookBar:
        def __init__(self, **kwargs):
            self.n, self.kwargs = kwargs["initial"], kwargs
            made.append(self)

        def update(self, n):
            self.n += n

        def set_postfix(self, postfix, refresh):
            self.postfix = postfix

        def close(self):
            self.closed = True

    kernel_shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: kernel_shell))
    import tqdm.notebook

    monkeypatch.setattr(tqdm.notebook, "tqdm", NotebookBar)
    has_widgets = types.SimpleNamespace(name="ipywidgets")
    monkeypatch.setattr(progress.importlib.util, "find_spec", lambda name: has_widgets if name == "ipywidgets" else None)
    stream, clock = io.StringIO(), FakeClock()
    drive(ProgressBar(stream=stream, every_s=0.0, clock=clock), fake_state(), clock)
    assert len(made) == 1 and made[0].n == 100 and made[0].closed and made[0].postfix["psnr"] == "30.00"
    assert stream.getvalue() == ""
    monkeypatch.setattr(progress.importlib.util, "find_spec", lambda name: None)  # no ipywidgets: plain lines
    drive(ProgressBar(stream=stream, every_s=0.0, clock=clock), fake_state(steps=3), clock)
    assert len(made) == 1 and stream.getvalue().splitlines()[-1].startswith("image: step 3/3 (100%)")


def test_an_ipython_terminal_is_not_a_notebook(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: types.SimpleNamespace()))
    assert not progress._in_notebook()


def test_a_fit_piped_through_cat_shows_progress_before_the_end(tmp_path):
    src = Path(__file__).resolve().parents[1] / "src"
    env = dict(os.environ, PYTHONPATH=f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", SIRENKIT_PROGRESS_EVERY_S="0")
    cmd = (f"{sys.executable} -m sirenkit image --size 32 --steps 40 --hidden-features 32 --hidden-layers 1 "
           f"--out {tmp_path / 'run'} 2>&1 | cat")
    output = subprocess.run(cmd, shell=True, env=env, capture_output=True, text=True, timeout=300, check=True).stdout
    lines = output.splitlines()
    steps = [int(m.group(1)) for m in (re.match(r"image: step (\d+)/40", line) for line in lines) if m]
    assert steps[:3] == [0, 1, 2] and steps[-1] == 40  # a line per step with the interval at 0
    assert " steps in " in lines[-1] and not lines[-1].startswith("image: step")  # the CLI's headline comes last
