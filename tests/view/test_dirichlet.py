"""A `helmholtz --problem dirichlet` run in the viewer: u is the task's (boundary factor included), never the raw
network; the exact layer is sin(kx)·sin(ky); the live score is the task's relative L² error; a pml run is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from sirenkit.physics.helmholtz_dirichlet import DEEPXDE_WAVENUMBER, exact_solution
from sirenkit.render import evaluate_points
from sirenkit.runs import load
from sirenkit.samplers import grid
from sirenkit.tasks.helmholtz import HelmholtzConfig, HelmholtzTask
from sirenkit.view import ViewServer

from .conftest import Client
from .test_wavefields import _range

N = 32
POINTS = [(-0.9, 0.3), (0.2, -0.1), (0.55, -0.75), (1.0, 0.2)]
"""Points (c1, c2) in [-1, 1]²; the last lies on an edge, where a hard u is 0 and the network is not."""


def _point(client: Client, run: int, c1: float, c2: float) -> dict[str, float]:
    status, body, _ = client.get(f"/api/runs/{run}/field/point?c1={c1!r}&c2={c2!r}")
    assert status == 200, body
    return json.loads(body)["values"]


def _task(boundary: str) -> HelmholtzTask:
    return HelmholtzTask.from_config(HelmholtzConfig(problem="dirichlet", boundary=boundary))


@pytest.mark.parametrize(("index", "boundary"), [(0, "hard"), (1, "soft")])
def test_u_is_the_tasks_prediction(dirichlet_server: ViewServer, dirichlet_run: Path, dirichlet_soft_run: Path, index: int,
                                   boundary: str) -> None:
    client = Client(dirichlet_server.url)
    field, task = load([dirichlet_run, dirichlet_soft_run][index]), _task(boundary)
    for c1, c2 in POINTS:
        xy = (torch.tensor([[c1, c2]], dtype=torch.float64) + 1.0) / 2.0
        expected = float(task.solution(field, xy)[0])
        network = float(evaluate_points(field, torch.tensor([[c1, c2]]))[0, 0])
        shown = _point(client, index, c1, c2)
        assert shown["u"] == pytest.approx(expected, rel=1e-5, abs=1e-6)
        assert shown["error"] == pytest.approx(expected - float(exact_solution(xy, DEEPXDE_WAVENUMBER)[0, 0]), rel=1e-5, abs=1e-6)
        if boundary == "hard":
            assert abs(network - expected) > 1e-3  # the network N is not u: drawing N fails above
    # the picture: its colour range is max |u| over the grid, the task's u again
    coords = grid((N, N)).double()
    top = float(np.abs(task.solution(field, (coords + 1.0) / 2.0)).max())
    low, high = _range(dirichlet_server, f"/api/runs/{index}/field.png?layer=u&resolution={N}")
    assert high == pytest.approx(top, rel=1e-5) and low == -high


def test_exact_layer_is_the_exact_solution(dirichlet_server: ViewServer) -> None:
    client = Client(dirichlet_server.url)
    for c1, c2 in POINTS:
        xy = (torch.tensor([[c1, c2]], dtype=torch.float64) + 1.0) / 2.0
        assert _point(client, 0, c1, c2)["exact"] == pytest.approx(float(exact_solution(xy, DEEPXDE_WAVENUMBER)[0, 0]), abs=1e-6)
    coords = grid((N, N)).double()
    top = float(exact_solution((coords + 1.0) / 2.0, DEEPXDE_WAVENUMBER).abs().max())
    assert _range(dirichlet_server, f"/api/runs/0/field.png?layer=exact&resolution={N}") == pytest.approx((-top, top), rel=1e-6)


def test_page_describes_the_dirichlet_layers_and_the_live_score(dirichlet_server: ViewServer, dirichlet_run: Path) -> None:
    status, body, _ = Client(dirichlet_server.url).get("/api/runs")
    assert status == 200, body
    hard, _, pml = json.loads(body)
    assert hard["kind"] == "wavefield" and hard["wavefield"]["layers"] == ["u", "exact", "error"]
    # the saved model is the one the run scored last, so the live score is the run's own final relative_l2
    final = json.loads((dirichlet_run / "metrics.json").read_text())["relative_l2"]
    assert hard["wavefield"]["relative_l2_live"] == pytest.approx(final, rel=1e-6)
    assert pml["wavefield"]["layers"] == ["real", "imag", "magnitude", "velocity"] and pml["wavefield"]["relative_l2_live"] is None


def test_pml_run_point_readout_is_its_complex_field(dirichlet_server: ViewServer, helmholtz_run: Path) -> None:
    field, client = load(helmholtz_run), Client(dirichlet_server.url)
    for c1, c2 in POINTS:
        shown = _point(client, 2, c1, c2)
        real, imag = (float(v) for v in evaluate_points(field, torch.tensor([[c1, c2]]))[0, :2])
        assert (shown["real"], shown["imag"]) == pytest.approx((real, imag), rel=1e-5, abs=1e-6)
        assert shown["magnitude"] == pytest.approx(float(np.hypot(real, imag)), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("path", [
    "/api/runs/0/field.png?layer=real&resolution=32",      # a pml layer on a dirichlet run
    "/api/runs/0/field.png?layer=velocity&resolution=32",
    "/api/runs/0/field.png?layer=exact&resolution=100000",
    "/api/runs/0/field.png?layer=evil&resolution=32",
    "/api/runs/0/field/point?c1=2&c2=0",
    "/api/runs/0/field/point?c1=nan&c2=0",
    "/api/runs/0/field/point?c1=0",
    "/api/runs/0/field/point?c1=0&c1=0.5&c2=0",
    "/api/runs/2/field/point?c1=0&c2=0&source=3",
    "/api/runs/2/field.png?layer=exact&resolution=32",     # a dirichlet layer on a pml run
])
def test_bad_dirichlet_queries_are_400(dirichlet_server: ViewServer, path: str) -> None:
    status, body, content_type = Client(dirichlet_server.url).get(path)
    assert status == 400, body
    assert content_type.startswith("text/plain") and b"Traceback" not in body and len(body) < 300
