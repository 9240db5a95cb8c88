"""Run files respect the umask like any new file, so collaborators can read a model (safetensors writes 0600)."""

from __future__ import annotations

import os
import stat

import sirenkit as sk
from sirenkit.io.checkpoint import save_model


def test_model_file_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = save_model(tmp_path / "model.safetensors", sk.Siren(2, 8, 1, 1))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
