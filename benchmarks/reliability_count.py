"""Count the reliability tests by kind, for the README's Reliability table (nothing typed by hand).

A reliability test carries ``@pytest.mark.reliability(KIND)``: a bad input, a signal, a kill, a
concurrent writer, a divergence or an absurd size. This script collects the suite exactly as
``pytest --collect-only -q -m reliability`` does and counts the collected cases (each parameter
set is one case) per kind and per test file, into benchmarks/results/reliability.json. Nothing is
run, so the counts say what the suite tries; `pytest -m reliability` runs them.

    python benchmarks/reliability_count.py
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import ROOT, Provenance, publish  # noqa: E402

KINDS = ("bad input", "absurd size", "signal", "kill", "concurrent writer", "divergence")
"""The kinds a reliability marker may name, in the order the table shows them."""


class _Count:
    """A pytest plugin that records each collected item's reliability kind and file."""

    def __init__(self) -> None:
        self.cases: list[tuple[str, str]] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            marker = item.get_closest_marker("reliability")
            if marker is not None:
                self.cases.append((marker.args[0] if marker.args else "", item.nodeid.split("::")[0]))


def count(tests: Path) -> dict[str, dict]:
    """{kind: {"cases": N, "files": {file: n}}} of the reliability tests under `tests`."""
    plugin = _Count()
    code = pytest.main(["--collect-only", "-q", "-m", "reliability", "-p", "no:cacheprovider", str(tests)], plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise SystemExit(f"collecting {tests} failed (pytest exit code {code})")
    unknown = sorted({kind for kind, _ in plugin.cases} - set(KINDS))
    if unknown:
        raise SystemExit(f"reliability marker with unknown kind {unknown}; use one of {KINDS}")
    kinds: dict[str, dict] = {}
    for kind in KINDS:
        files = collections.Counter(path for k, path in plugin.cases if k == kind)
        kinds[kind] = {"cases": sum(files.values()), "files": dict(sorted(files.items()))}
    return kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "reliability.json")
    args = parser.parse_args(argv)
    provenance = Provenance("reliability_count")
    kinds = count(ROOT / "tests")
    report = {"kinds": kinds, "total_cases": sum(k["cases"] for k in kinds.values()),
              "how": "pytest --collect-only -m reliability: one case per collected test (each parameter set counts)"}
    publish(args.out, report, provenance)
    for kind, entry in kinds.items():
        print(f"{kind}: {entry['cases']} cases in {len(entry['files'])} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
