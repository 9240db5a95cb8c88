"""Every registered task implements the protocol of `sirenkit.protocols`, with complete, merged loss weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import sirenkit as sk
from sirenkit import ops
from sirenkit.io.pointcloud import sphere_surface
from sirenkit.protocols import Task
from sirenkit.runs import IMAGE_SET, PRIOR
from sirenkit.tasks import TASKS, PoissonConfig, PoissonTask, SDFConfig, SDFTask

FIELD_TASKS = [name for name in TASKS if name not in (PRIOR, IMAGE_SET)]
"""Tasks whose model is one field; the prior and image sets train other models (tests/prior, tests/cli)."""


def _field(task):
    return sk.build_field(sk.FieldConfig(in_features=task.in_features, out_features=task.out_features,
                                         hidden_features=16, hidden_layers=1), seed=0)


@pytest.mark.parametrize("name", FIELD_TASKS)
def test_task_implements_the_protocol_with_a_weight_for_every_term(name, tiny_task):
    spec = TASKS[name]
    task = tiny_task(name)
    assert isinstance(task, Task) and isinstance(task, spec.task) and task.name == name
    assert isinstance(task.config, spec.config) and callable(spec.task.from_config)
    batch = task.to(torch.device("cpu")).sample(1, torch.Generator().manual_seed(0), batch_size=0)
    terms = task.losses(_field(task), batch)
    assert set(terms) == set(task.loss_weights), "loss_weights must weigh exactly the terms losses() returns"
    assert all(t.dim() == 0 and math.isfinite(float(t.detach())) for t in terms.values())
    assert all(isinstance(w, float) and w >= 0 for w in task.loss_weights.values())


@pytest.mark.parametrize("name", ["image", "video", "poisson", "blend"])
def test_batch_size_counts_training_points_and_zero_takes_them_all(name, tiny_task):
    task = tiny_task(name)
    total = int(np.prod(task.shape))
    generator = torch.Generator().manual_seed(0)
    assert len(task.sample(1, generator, batch_size=0).coords) == total
    assert len(task.sample(1, generator, batch_size=17).coords) == 17


def test_partial_loss_weights_keep_the_other_defaults():
    config = SDFConfig(loss_weights={"eikonal": 10})
    assert config.loss_weights == {"sdf": 3e3, "off_surface": 1e2, "normal": 1e2, "eikonal": 10.0, "sign": 3e3}
    assert SDFTask(sphere_surface(500), config=config).loss_weights == config.loss_weights


@pytest.mark.parametrize("name", FIELD_TASKS)
@pytest.mark.parametrize(("weight", "message"), [(-1.0, "finite number >= 0"), (math.nan, "finite number >= 0"),
                                                 (math.inf, "finite number >= 0"), ("high", "finite number >= 0")])
def test_bad_loss_weights_are_refused(name, weight, message):
    config_cls = TASKS[name].config
    term = next(iter(config_cls().loss_weights))
    with pytest.raises(sk.ConfigError, match=message):
        config_cls(loss_weights={term: weight})
    with pytest.raises(sk.ConfigError, match=f"not a term of the {name} task"):
        config_cls(loss_weights={"no_such_term": 1.0})


def test_poisson_weighted_gradient_loss_is_the_squared_gradient_error_summed_over_axes(tiny_task):
    """The x2 that once sat inside the loss is the default weight: weight x term = mean over points and
    channels of |∇Φ - g|² summed over both axes, computed here with plain autograd."""
    task = tiny_task("poisson")
    field = _field(task)
    batch = task.sample(1, torch.Generator().manual_seed(0), batch_size=0)
    weighted = task.loss_weights["gradient"] * task.losses(field, batch)["gradient"]
    coords = batch.coords.clone().requires_grad_()
    values = field(coords)
    grads = torch.stack([ops.gradient(values[:, c : c + 1], coords) for c in range(values.shape[1])], 1)  # (N, C, 2)
    target = batch.targets["gradient"].reshape(grads.shape)
    expected = ((grads - target) ** 2).sum(-1).mean()
    assert float(weighted) == pytest.approx(float(expected), rel=1e-5)
    laplacian = PoissonTask(task.image, config=PoissonConfig(size=0, supervise="laplacian", loss_weights={"laplacian": 3.0}))
    assert laplacian.loss_weights == {"laplacian": 3.0}
