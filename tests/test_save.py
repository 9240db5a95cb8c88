"""sk.save writes a field that sk.load rebuilds exactly, anywhere; what it cannot rebuild is refused before a file exists."""

import pytest
import torch

import sirenkit as sk
from sirenkit.errors import ConfigError, DataError


def test_save_then_load_gives_the_same_field(tmp_path):
    field = sk.Siren(2, 16, 1, 3, first_omega_0=20.0)
    coords = torch.rand(50, 2) * 2 - 1
    path = sk.save(field, tmp_path / "f.safetensors")
    again = sk.load(path)
    assert type(again) is sk.Siren and again.config == field.config
    torch.testing.assert_close(again(coords), field(coords), rtol=0, atol=0)
    folder = sk.save(field, tmp_path)  # a folder gets model.safetensors, which sk.load reads as a bare model
    assert folder.name == "model.safetensors"
    torch.testing.assert_close(sk.load(folder)(coords), field(coords), rtol=0, atol=0)


def test_what_cannot_be_rebuilt_is_refused_before_writing(tmp_path):
    with pytest.raises(DataError, match="FieldConfig"):
        sk.save(torch.nn.Linear(2, 1), tmp_path / "linear.safetensors")
    with pytest.raises(ConfigError, match=".safetensors"):
        sk.save(sk.Siren(2, 8, 1, 1), tmp_path / "model.pt")
    assert list(tmp_path.iterdir()) == []
