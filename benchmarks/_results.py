"""Provenance of a benchmark result: command, commit, machine, load, versions, and whether other work ran.

Every benchmark writes its result file through `publish`, so a figure in the docs can always be
traced to the run that made it. A timing is only as good as the machine was quiet: a sampler
thread counts the runnable threads of OTHER processes (the system's runnable count from
/proc/loadavg minus this process's own running threads) every half second; a run during which
others were runnable more than a tenth of the time is marked ``"disturbed": true``, which
`report.py` prints next to every figure taken from it.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DISTURBED_FRACTION = 0.1
"""Fraction of samples with another process runnable above which a run counts as disturbed."""


def data_dir() -> Path:
    """The shared data every benchmark reads: $SIRENKIT_DATA, else ../shared/data beside the repository (as the tests)."""
    return Path(os.environ.get("SIRENKIT_DATA", ROOT / ".." / "shared" / "data")).resolve()


def _loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return list(os.getloadavg())


def _own_processes() -> list[int]:
    """This process and its descendants (a benchmark that times a command in a subprocess runs it there)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    own, todo = [], [os.getpid()]
    while todo:
        pid = todo.pop()
        own.append(pid)
        todo += parents.get(pid, [])
    return own


def _runnable_threads(pid: int) -> int:
    count = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            count += stat.read_text().rsplit(")", 1)[1].split()[0] == "R"
        except OSError:
            continue
    return count


def _others_running() -> int:
    """Runnable threads of processes other than this one and its descendants right now (Linux); 0 without /proc.

    Counted thread by thread outside this process tree. /proc/loadavg's running count minus our own, read a
    moment later, took our threads that had just gone to sleep for someone else's and marked quiet runs disturbed.
    """
    try:
        own = set(_own_processes())
        return sum(_runnable_threads(int(p.name)) for p in Path("/proc").glob("[0-9]*") if int(p.name) not in own)
    except (OSError, ValueError):
        return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


class Provenance:
    """Start it before the timed work, `publish` the result after: records the run's circumstances."""

    def __init__(self, benchmark: str) -> None:
        self.benchmark = benchmark
        self.started = time.time()
        self.load_before = _loadavg()
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.samples.append(_others_running())

    def record(self) -> dict[str, Any]:
        """What `publish` stores under "provenance"; stops the sampler."""
        self._stop.set()
        self._thread.join()
        import torch

        from sirenkit.versions import versions

        busy = sum(1 for n in self.samples if n > 0) / max(1, len(self.samples))
        return {
            "command": shlex.join(["python", *sys.argv]),
            "git_commit": _git("rev-parse", "HEAD"),
            "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "wall_seconds": round(time.time() - self.started, 1),
            "machine": {"cores": os.cpu_count(), "cpu": _cpu_model(), "torch_threads": torch.get_num_threads(),
                        "platform": platform.platform()},
            "load_before": self.load_before,
            "load_after": _loadavg(),
            "others_running_fraction": round(busy, 3),
            "disturbed": busy > DISTURBED_FRACTION,
            "versions": versions(),
        }


def publish(path: Path, report: dict[str, Any], provenance: Provenance) -> dict[str, Any]:
    """Write `report` with its provenance to `path` (atomically) and say loudly if the run was disturbed."""
    report = {"benchmark": provenance.benchmark, **report, "provenance": provenance.record()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    os.replace(tmp, path)
    p = report["provenance"]
    if p["disturbed"]:
        print(f"WARNING: other processes were runnable {100 * p['others_running_fraction']:.0f} % of the time; "
              f"{path} is marked disturbed and report.py shows it so. Rerun on a quiet machine.", file=sys.stderr)
    return report
