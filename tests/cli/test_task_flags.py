"""A training command offers only the fit options that can act on its task (issue 21: flags that mean nothing are not offered)."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

import sirenkit as sk
from sirenkit.cli.commands import TASK_COMMANDS, task_of
from sirenkit.cli.flags import UsageError
from sirenkit.cli.main import build_parser
from sirenkit.tasks import TASKS


def offered(command: str) -> set[str]:
    sub = next(a for a in build_parser([command])._actions if isinstance(a, argparse._SubParsersAction))
    return {opt for action in sub.choices[command]._actions for opt in action.option_strings}


@pytest.mark.parametrize("command", [TASK_COMMANDS.get(name, name) for name in TASKS if name != "prior"])
def test_target_psnr_and_samplers_only_where_they_can_act(command):
    """(The prior trains a model over faces, not a field: its command has its own options, PriorConfig's.)"""
    spec = TASKS[task_of(command)]
    flags = offered(command)
    assert ("--target-psnr" in flags) == bool(getattr(spec.task, "reports_psnr", False))
    assert ("--sampler" in flags) == (hasattr(spec.task, "grid_sampler") or hasattr(spec.task, "point_sampler"))
    assert ("--sampler-refresh-every" in flags) == hasattr(spec.task, "grid_sampler")  # a PDE's residual sampler has no period
    assert "--steps" in flags and "--lr" in flags


def test_a_task_that_says_it_reports_psnr_does():
    """The class attribute is checked against the metrics themselves, on a tiny image."""
    task = sk.tasks.ImageTask(np.random.default_rng(0).uniform(size=(8, 8)))
    field = sk.Siren(2, 8, 1, 1)
    assert TASKS["image"].task.reports_psnr and "psnr" in task.evaluate(field)


def test_target_psnr_on_audio_is_one_usage_line():
    with pytest.raises(UsageError, match="--target-psnr"):
        build_parser(["audio"]).parse_args(["audio", "--target-psnr", "30"])
