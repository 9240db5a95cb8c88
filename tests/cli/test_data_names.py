"""A name from `sirenkit data list` given as a task's input stands for the file in the data folder."""

from __future__ import annotations

import pytest

from sirenkit.cli.train import resolve_data_names
from sirenkit.errors import DataError


def test_data_names_resolve_to_the_data_folder(data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("SIRENKIT_DATA", str(data_dir))
    monkeypatch.chdir(tmp_path)
    given = {"source": "audio/gt_bach.wav", "folder": "images/div2k16/", "other": "camera", "size": 64}
    assert resolve_data_names(given) == {"source": str(data_dir / "audio" / "gt_bach.wav"),
                                         "folder": str(data_dir / "images" / "div2k16"), "other": "camera", "size": 64}
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "gt_bach.wav").write_bytes(b"")  # a local file of that name wins
    assert resolve_data_names({"source": "audio/gt_bach.wav"}) == {"source": "audio/gt_bach.wav"}


def test_a_data_name_that_was_not_fetched_names_the_fetch_command(monkeypatch, tmp_path):
    monkeypatch.setenv("SIRENKIT_DATA", str(tmp_path / "empty"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="run `sirenkit data fetch meshes/bunny.ply`"):
        resolve_data_names({"source": "meshes/bunny.ply"})
