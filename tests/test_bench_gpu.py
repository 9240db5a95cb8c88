"""benchmarks/bench_gpu.py: the CPU dry run writes every section with finite figures, the FLOP count is
right, and the real run refuses to write its result without a GPU."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_gpu.py"
SECTIONS = {"matmul_rate", "camera_step", "time_to_psnr", "gemm_bound_limit", "div2k", "many_signals", "second_derivatives"}


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_gpu", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_gpu", module)  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def leaves(value: object) -> Iterator[object]:
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


@pytest.fixture
def cpu_run(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--device") != "cpu":
        pytest.skip("the dry run is the CPU stand-in for the GPU run, which gpu_check.sh runs itself after the tests")


def run_bench(*args: str, data: Path | None = None) -> subprocess.CompletedProcess:
    env = os.environ | ({"SIRENKIT_DATA": str(data)} if data else {})
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=600)


def test_dry_run_writes_every_section_with_finite_figures(tmp_path, data_dir, cpu_run):
    out = tmp_path / "gpu.json"
    done = run_bench("--dry-run", "--out", str(out), data=data_dir)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["dry_run"] is True and report["complete"] is True and report["errors"] == {}
    assert set(report["sections"]) == SECTIONS
    for name, section in report["sections"].items():
        values = list(leaves(section))
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        assert None not in values, f"{name}: a figure is missing or was NaN/inf (write_json stores those as null)"
        assert numbers and all(math.isfinite(v) for v in numbers), name
    sections = report["sections"]
    assert all(row["s_per_step"] > 0 and row["peak_memory_bytes"] > 0 for row in sections["camera_step"]["rows"].values())
    # the dry run's targets are low enough that every recipe reaches both, so the milestone path runs
    for row in sections["time_to_psnr"]["rows"].values():
        assert all(hit["seconds"] > 0 for hit in row["milestones"].values())
    assert sections["div2k"]["images_fitted"] == report["sizes"]["div2k_images"]
    limit = sections["gemm_bound_limit"]
    assert limit["step_flops"] == load_bench().step_flops(report["sizes"]["limit_size"] ** 2, 2, report["sizes"]["hidden"],
                                                         report["sizes"]["layers"], 1)[0]


def test_step_flops_matches_torch_flop_counter():
    """The arithmetic behind the GEMM-bound limit, against PyTorch's own count of one plain training step."""
    bench = load_bench()
    torch.manual_seed(0)
    model = bench.official_siren(2, 48, 3, 1)
    coords, target = torch.rand(300, 2) * 2 - 1, torch.rand(300, 1)
    with FlopCounterMode(display=False) as counter:
        ((model(coords) - target) ** 2).mean().backward()
    flops, arithmetic = bench.step_flops(300, 2, 48, 3, 1)
    assert flops == counter.get_total_flops()
    assert f"{flops:.4g}" in arithmetic


def test_real_run_refuses_without_cuda(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is visible: the real run would start")
    done = run_bench("--out", str(tmp_path / "gpu.json"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "no CUDA device" in done.stderr and "--dry-run" in done.stderr
    assert not (tmp_path / "gpu.json").exists()


def test_dry_run_refuses_the_committed_result_file():
    done = run_bench("--dry-run", "--out", str(ROOT / "benchmarks" / "results" / "gpu.json"))
    assert done.returncode == 2 and "must not write" in done.stderr and done.stderr.strip().count("\n") == 0
