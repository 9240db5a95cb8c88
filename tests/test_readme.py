"""Every ```python block of README.md and docs/*.md runs, each in a fresh interpreter in an empty folder.

A block that crashes is a broken promise to the first user who pastes it. Blocks must be
self-contained and small enough for a laptop CPU (the README's job, not this test's).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK_TIMEOUT_S = 120
"""A README example runs on a laptop CPU in about a minute; a block that takes longer fails."""


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number of the opening fence, code) of each ```python block, in order."""
    blocks = []
    for match in re.finditer(r"^```python[ \t]*\n(.*?)^```[ \t]*$", text, flags=re.MULTILINE | re.DOTALL):
        blocks.append((text.count("\n", 0, match.start()) + 1, match.group(1)))
    return blocks


BLOCKS = [(f"{path.relative_to(REPO)}:{line}", code) for path in DOCS for line, code in python_blocks(path.read_text(encoding="utf-8"))]


def test_python_blocks_are_found_by_the_extractor():
    text = "intro\n```python\nx = 1\n```\n```bash\nls\n```\n\n```python\nprint(2)\n```\n"
    assert python_blocks(text) == [(2, "x = 1\n"), (9, "print(2)\n")]


@pytest.mark.parametrize(("line", "code"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_readme_python_block_runs(line, code, tmp_path):
    path = os.pathsep.join(p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHONPATH=path, MPLBACKEND="Agg")
    first = next((c for c in code.splitlines() if c.strip()), "")
    try:
        done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=BLOCK_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{line} (block starting '{first}') did not finish in {BLOCK_TIMEOUT_S} s; "
                    "README examples must use sizes a laptop CPU fits in about a minute.", pytrace=False)
    assert done.returncode == 0, f"{line} (block starting '{first}') failed:\n{done.stderr[-3000:]}"
