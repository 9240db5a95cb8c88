import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from sirenkit.errors import ConfigError, DataError
from sirenkit.io.faces import Faces, load_faces
from sirenkit.prior import PriorConfig
from sirenkit.prior.train import load_prior
from sirenkit.tasks.prior import fit_prior as train_prior

TINY = dict(size=16, hidden_features=16, hidden_layers=2, latent_features=16, encoder_features=16,
            hyper_hidden_features=16, context_min=10, context_max=100, batch_size=8, lr=1e-3, log_every=1, save_every=2)

WORKER = """
import sys
import numpy as np
import torch
import torch.distributed as dist
from sirenkit.io.faces import Faces
from sirenkit.prior import PriorConfig
from sirenkit.tasks.prior import fit_prior as train_prior

out, model = sys.argv[1], sys.argv[2]
data = np.load(out + "/faces.npz")
faces = Faces(data["images"], data["person"])
dist.init_process_group("gloo")
config = PriorConfig(model=model, steps=3, **{tiny})
train_prior(config, out + "/run", train_faces=faces, test_faces=faces)
config = PriorConfig(model=model, steps=5, **{tiny})
result = train_prior(config, out + "/run", resume=True, train_faces=faces, test_faces=faces)
flat = torch.cat([p.detach().flatten() for p in result.model.parameters()])
np.save(out + f"/params{{dist.get_rank()}}.npy", flat.numpy())
dist.destroy_process_group()
"""


@pytest.fixture(scope="module")
def eight_faces(data_dir) -> Faces:
    faces = load_faces(data_dir / "faces" / "olivettifaces.mat", size=16)
    pick = np.arange(0, 80, 10)
    return Faces(faces.images[pick], faces.person[pick])


def _params(model: torch.nn.Module) -> np.ndarray:
    return torch.cat([p.detach().flatten() for p in model.parameters()]).numpy()


def test_ddp_two_processes_stay_identical_and_match_one_process(tmp_path, eight_faces):
    """2 CPU processes (torchrun, gloo) train 3 steps, save, resume to 5 steps; ranks agree and match 1 process."""
    np.savez(tmp_path / "faces.npz", images=eight_faces.images, person=eight_faces.person)
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER.format(tiny=repr(TINY))))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           str(script), str(tmp_path), "modulated"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    rank0, rank1 = np.load(tmp_path / "params0.npy"), np.load(tmp_path / "params1.npy")
    assert np.array_equal(rank0, rank1)
    config = PriorConfig(model="modulated", steps=3, **TINY)
    train_prior(config, tmp_path / "single", train_faces=eight_faces, test_faces=eight_faces)
    single = train_prior(dataclasses.replace(config, steps=5), tmp_path / "single", resume=True,
                         train_faces=eight_faces, test_faces=eight_faces)
    # Same faces and contexts per step, gradients averaged over the 2 halves of the batch: equal up to float sums.
    assert np.abs(rank0 - _params(single.model)).max() < 1e-5
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["world_size"] == 2.0
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "total" in r] == [1, 2, 3, 4, 5]  # one loss line per step, none twice
    assert [r["step"] for r in records if "mse_half" in r] == [3, 5]  # the evaluation at the end of each call


def test_resume_after_a_kill_gives_the_uninterrupted_run(tmp_path, eight_faces, monkeypatch):
    config = PriorConfig(model="hypernet-set", steps=4, **TINY)
    straight = train_prior(config, tmp_path / "a", train_faces=eight_faces, test_faces=eight_faces)
    step = torch.optim.Adam.step
    calls = []

    def killed_at_step_3(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", killed_at_step_3)
    with pytest.raises(KeyboardInterrupt):
        train_prior(config, tmp_path / "b", train_faces=eight_faces, test_faces=eight_faces)
    monkeypatch.setattr(torch.optim.Adam, "step", step)
    resumed = train_prior(config, tmp_path / "b", resume=True, train_faces=eight_faces, test_faces=eight_faces)
    assert np.abs(_params(straight.model) - _params(resumed.model)).max() < 1e-6
    model, loaded_config = load_prior(tmp_path / "b")
    assert loaded_config == config and np.array_equal(_params(model), _params(resumed.model))


def test_errors_checkpoint_of_another_model(tmp_path, eight_faces):
    config = PriorConfig(model="modulated", steps=1, **TINY)
    train_prior(config, tmp_path, train_faces=eight_faces, test_faces=eight_faces)
    with pytest.raises(DataError, match="holds a 'modulated' prior, but its config asks for 'hypernet-set'"):
        train_prior(dataclasses.replace(config, model="hypernet-set", steps=2), tmp_path, resume=True,
                    train_faces=eight_faces, test_faces=eight_faces)
    saved = json.loads((tmp_path / "config.json").read_text())
    saved["task_config"]["model"] = "hypernet-conv"
    (tmp_path / "config.json").write_text(json.dumps(saved))
    with pytest.raises(DataError, match="holds a 'modulated' prior"):
        load_prior(tmp_path)


def test_errors_batch_that_processes_cannot_share(monkeypatch, eight_faces):
    monkeypatch.setenv("WORLD_SIZE", "3")
    with pytest.raises(ConfigError, match="does not split over 3 processes"):
        train_prior(PriorConfig(steps=1, **TINY), train_faces=eight_faces, test_faces=eight_faces)
