"""`sirenkit view` on the command line: bad input is one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from sirenkit.cli.main import main


def test_missing_run_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["view", str(tmp_path / "nope"), "--no-browser"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sirenkit: error:") and "not a folder" in err[0]


def test_bad_port_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["view", str(tmp_path), "--port", "70000", "--no-browser"]) == 2
    assert "--port 70000" in capsys.readouterr().err


def test_busy_port_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["view", str(tmp_path), "--port", str(port), "--no-browser"]) == 2
    assert "cannot listen" in capsys.readouterr().err


def test_help_lists_view(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["view", "--help"])
    assert "--no-browser" in capsys.readouterr().out
