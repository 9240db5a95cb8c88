"""Model files and checkpoints: clear errors for foreign or damaged files, atomic writes."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

import sirenkit as sk
from sirenkit.io.checkpoint import load_checkpoint, save_checkpoint, save_model


def test_round_trip_mlp(tmp_path, device):
    field = sk.MLP(2, 8, 1, 3, activation="tanh").to(device)
    save_model(tmp_path / "m.safetensors", field)
    loaded = sk.load(tmp_path / "m.safetensors")
    assert isinstance(loaded, sk.MLP) and loaded.config == field.config
    x = torch.rand(5, 2, device=device)
    torch.testing.assert_close(loaded.to(device)(x), field(x), rtol=0, atol=0)  # sk.load builds on the CPU


def test_atomic_write_leaves_no_temporary(tmp_path):
    save_checkpoint(tmp_path / "checkpoint.pt", {"step": 3, "w": torch.ones(2)})
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 3


def test_errors(tmp_path):
    save_file({"w": torch.ones(2)}, str(tmp_path / "foreign.safetensors"))
    with pytest.raises(sk.DataError, match="not written by sirenkit"):
        sk.load(tmp_path / "foreign.safetensors")
    (tmp_path / "broken.safetensors").write_bytes(b"xx")
    with pytest.raises(sk.DataError, match="cannot read it as safetensors"):
        sk.load(tmp_path / "broken.safetensors")
    (tmp_path / "checkpoint.pt").write_bytes(b"half a file")
    with pytest.raises(sk.DataError, match="damaged"):
        load_checkpoint(tmp_path / "checkpoint.pt")
