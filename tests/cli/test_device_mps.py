"""`--device mps`: taken where PyTorch has the MPS backend, refused in one line where it does not."""

from __future__ import annotations

import pytest
import torch

from sirenkit.cli.main import main
from sirenkit.config import FitConfig
from sirenkit.devices import resolve_device
from sirenkit.errors import ConfigError


def test_mps_is_taken_where_pytorch_has_it(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_device("mps") == torch.device("mps")
    assert FitConfig(device="mps").device == "mps"
    assert resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")  # auto never picks mps


@pytest.mark.parametrize(("built", "why"), [(False, "this PyTorch build has no MPS backend"), (True, "no Apple GPU is visible")])
def test_mps_is_refused_in_one_line_where_pytorch_lacks_it(monkeypatch, capsys, tmp_path, built, why):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: built)
    with pytest.raises(ConfigError, match=why):
        resolve_device("mps")
    assert main(["image", "--device", "mps", "--size", "8", "--steps", "1", "--quiet", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("sirenkit: error: --device mps:") and why in err and "--device cpu" in err and len(err.splitlines()) == 1
