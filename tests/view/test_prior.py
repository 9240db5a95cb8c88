"""The prior page's pictures and numbers against `sirenkit inpaint` and the mean training face, over HTTP."""

from __future__ import annotations

import io
import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from sirenkit.cli.main import main
from sirenkit.config import from_dict
from sirenkit.prior import PriorConfig
from sirenkit.prior.inpaint import UNSEEN, inpaint_faces
from sirenkit.prior.train import load_prior
from sirenkit.tasks.prior import load_split
from sirenkit.view import ViewServer

from .conftest import Client

SIDE = 16  # conftest.PRIOR_TINY


def _served(client: Client, route: str) -> bytes:
    status, body, _ = client.get(f"/api/runs/0/prior/{route}")
    assert status == 200, body
    return body


def _bytes(values: np.ndarray) -> np.ndarray:
    """[-1, 1] -> 0..255, as every picture of a face is written."""
    return np.rint(np.clip((values + 1) / 2, 0, 1) * 255).astype(int)


# measured (100 steps, 16x16): inpainted MSE 0.076 for face 3 at 100 px, 0.039 for face 60 at half, 0.039 for face 77
# at 30 px, against the mean face's 0.143, 0.115, 0.077 on those faces (the prior beats it on 71 of the 80 at half)
@pytest.mark.parametrize("face, context", [(3, "100"), (60, "half"), (77, "30")])
def test_inpainting_is_sirenkit_inpaint_and_beats_the_mean_face(prior_server: ViewServer, prior_run: Path, tmp_path: Path,
                                                                face: int, context: str) -> None:
    client = Client(prior_server.url)
    query = f"face={face}&context={context}"
    out = tmp_path / "inpaint"
    assert main(["inpaint", str(prior_run), "--test-index", str(face), "--context", context, "--out", str(out)]) == 0
    model, config = load_prior(prior_run)
    truth_face = load_split(config)[1].images[face]
    expected, mask = inpaint_faces(model, truth_face[None], context)  # what `sirenkit inpaint` draws (inpaint.png is labelled)
    inpainted = iio.imread(io.BytesIO(_served(client, f"picture.png?which=inpainted&{query}"))).astype(int)
    assert inpainted.shape == (SIDE, SIDE)
    assert np.abs(inpainted - _bytes(expected[0])).max() <= 1  # within 1/255 of the library's inpainting
    truth = iio.imread(io.BytesIO(_served(client, f"picture.png?which=truth&{query}"))).astype(int)
    assert np.abs(truth - _bytes(truth_face)).max() <= 1
    shown = iio.imread(io.BytesIO(_served(client, f"picture.png?which=context&{query}"))).astype(int)
    seen = mask[0] > 0
    assert np.abs(shown[seen][:, 0] - _bytes(truth_face)[seen]).max() <= 1  # the context pixels, the rest in blue
    hidden = (np.abs(shown - np.rint(UNSEEN * 255)).max(-1) == 0).sum()
    expected_seen = SIDE * SIDE // 2 if context == "half" else int(context)
    assert SIDE * SIDE - hidden == expected_seen

    readout = json.loads(_served(client, f"inpaint?{query}"))
    cli_mse = json.loads((out / "inpaint.json").read_text())["mse"][f"test {face}"][f"mse_{context}"]
    assert readout["mse_inpainted"] == pytest.approx(cli_mse, rel=1e-5)
    assert readout["observed"] == expected_seen

    config = from_dict(PriorConfig, json.loads((prior_run / "config.json").read_text())["task_config"], where="test")
    train, test = load_split(config)
    mean_face_mse = float(((train.images.mean(axis=0) - test.images[face]) ** 2).mean())
    assert readout["mse_mean_face"] == pytest.approx(mean_face_mse, rel=1e-5)
    assert readout["person"] == int(test.person[face])
    assert readout["mse_inpainted"] < mean_face_mse, (readout, mean_face_mse)
    mean = iio.imread(io.BytesIO(_served(client, f"picture.png?which=mean&{query}"))).astype(int)
    assert np.abs(mean - np.rint(np.clip((train.images.mean(axis=0) + 1) / 2, 0, 1) * 255)).max() <= 1


def test_face_and_context_change_the_inpainting(prior_server: ViewServer) -> None:
    client = Client(prior_server.url)
    pictures = {q: _served(client, f"picture.png?which=inpainted&{q}") for q in ("face=3&context=100", "face=4&context=100",
                                                                                  "face=3&context=10")}
    assert len(set(pictures.values())) == 3
