"""Config dataclasses: JSON round trips, unknown keys, range checks."""

from __future__ import annotations

import dataclasses

import pytest

import sirenkit as sk
from sirenkit.config import FieldConfig, FitConfig, field_docs, from_dict, from_json, to_json
from sirenkit.errors import ConfigError
from sirenkit.tasks import ImageConfig


def test_round_trip():
    run = sk.RunConfig(task="image", task_config=dataclasses.asdict(ImageConfig(size=64)),
                       field=sk.FieldConfig(first_omega_0=60.0), fit=sk.FitConfig(steps=7, lr_schedule="exponential"))
    assert from_json(sk.RunConfig, to_json(run)) == run


def test_errors_unknown_key_lists_known_ones():
    with pytest.raises(sk.ConfigError, match=r"unknown key 'stepz' \(did you mean 'steps'\?\).*known keys: steps"):
        from_json(sk.FitConfig, '{"stepz": 3}')
    with pytest.raises(sk.ConfigError, match="fit: unknown key 'lrr'"):
        from_json(sk.RunConfig, '{"task": "image", "task_config": {}, "fit": {"lrr": 1}}')


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"steps": 0}, "steps=0 must be > 0"),
    ({"lr": -1.0}, "lr=-1.0 must be > 0"),
    ({"lr": float("nan")}, "not a finite number"),
    ({"lr_schedule": "cosin"}, "did you mean 'cosine'"),
    ({"device": "tpu"}, "choose one of: auto, cpu, cuda"),
    ({"lr_final": 2.0}, "lr_final=2.0 is not in"),
])
def test_errors_ranges(kwargs, message):
    with pytest.raises(sk.ConfigError, match=message):
        sk.FitConfig(**kwargs)


def test_docs_for_every_field():
    for cls in (sk.FitConfig, sk.FieldConfig, ImageConfig):
        names = {f.name for f in dataclasses.fields(cls)}
        assert names == set(field_docs(cls)), cls


@pytest.mark.reliability("bad input")
def test_errors_a_count_must_be_whole():
    """A JSON file may hold 16.5 where a count belongs: refused, naming the key; 16.0 is read as 16."""
    with pytest.raises(ConfigError, match=r"hidden_features=16.5 is not a whole number"):
        from_dict(FieldConfig, {"hidden_features": 16.5})
    with pytest.raises(ConfigError, match=r"steps=2.5 is not a whole number"):
        from_dict(FitConfig, {"steps": 2.5})
    config = from_dict(FieldConfig, {"hidden_features": 16.0})
    assert config.hidden_features == 16 and isinstance(config.hidden_features, int)
