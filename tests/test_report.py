"""benchmarks/report.py: the docs agree with benchmarks/results, and the check fails when they drift."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_report():
    spec = importlib.util.spec_from_file_location("report", ROOT / "benchmarks" / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """README.md, docs/*.md and benchmarks/results/ of this checkout, in a scratch root."""
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("*.png"))
    shutil.copytree(ROOT / "benchmarks" / "results", tmp_path / "benchmarks" / "results")
    return tmp_path


def test_docs_match_results() -> None:
    assert load_report().main(["--check"]) == 0


def test_check_fails_when_a_result_changes(copy: Path) -> None:
    path = copy / "benchmarks" / "results" / "image.json"
    data = json.loads(path.read_text())
    data["sirenkit"]["psnr_at_step"]["500"] += 1.0
    path.write_text(json.dumps(data))
    report = load_report()
    assert report.main(["--check", "--root", str(copy)]) == 1
    assert report.main(["--root", str(copy)]) == 0  # rewriting puts the new figure in
    assert f"{data['sirenkit']['psnr_at_step']['500']:.2f}" in (copy / "README.md").read_text()
    assert report.main(["--check", "--root", str(copy)]) == 0


def test_check_fails_on_a_hand_typed_figure(copy: Path) -> None:
    readme = copy / "README.md"
    readme.write_text(readme.read_text() + "\nsirenkit reaches 99.99 dB on everything.\n")
    assert load_report().main(["--check", "--root", str(copy)]) == 1


def test_check_fails_on_an_edited_figure(copy: Path) -> None:
    readme = copy / "README.md"
    text = readme.read_text()
    start = text.index("<!-- v image.json sirenkit/psnr_at_step/500 .2f -->") + len("<!-- v image.json sirenkit/psnr_at_step/500 .2f -->")
    end = text.index("<!-- /v -->", start)
    readme.write_text(text[:start] + "50.00" + text[end:])
    assert load_report().main(["--check", "--root", str(copy)]) == 1


def test_check_fails_on_a_missing_key(copy: Path) -> None:
    readme = copy / "README.md"
    readme.write_text(readme.read_text() + "\n<!-- v image.json sirenkit/no_such_key .2f -->1<!-- /v -->\n")
    assert load_report().main(["--check", "--root", str(copy)]) == 1
