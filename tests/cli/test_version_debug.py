"""`sirenkit --version`, and `--debug` accepted after the subcommand (it shows the traceback there too)."""

from __future__ import annotations

import importlib.metadata

import pytest

from sirenkit.cli.main import main


def test_version_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"sirenkit {importlib.metadata.version('sirenkit')}"


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_before_or_after_the_command_shows_the_traceback(capsys, tmp_path, where):
    missing = str(tmp_path / "missing.png")
    argv = ["--debug", "image", missing, "--out", str(tmp_path / "r")] if where == "before" else ["image", missing, "--out",
                                                                                                   str(tmp_path / "r"), "--debug"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "sirenkit: error:" in err and "missing.png" in err
