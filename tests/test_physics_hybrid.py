"""Hybrid FWI (velocity = SIREN, wavefields from the FD solver): its gradient, a recovery from its own data, bounds, bad options."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import sirenkit as sk
from sirenkit.cli.main import main
from sirenkit.errors import ConfigError, DataError
from sirenkit.io.arrays import ReceiverData
from sirenkit.physics.fwi import FDInversion, bounded_velocity, velocity_metrics
from sirenkit.physics.helmholtz import bilinear_sampler, solve_helmholtz_fd
from sirenkit.protocols import Batch
from sirenkit.tasks.helmholtz_inverse import HelmholtzHybridTask, HelmholtzInverseConfig, HelmholtzInverseTask

N, K = 31, 8.0


def ring(count: int, radius: float) -> np.ndarray:
    angle = np.linspace(0, 2 * np.pi, count, endpoint=False) + 0.1
    return radius * np.stack([np.cos(angle), np.sin(angle)], -1)


def smooth_truth() -> tuple[np.ndarray, np.ndarray]:
    """A smooth bump of +0.3 off the centre, and the free region (|x|, |y| <= 0.5) the metrics are taken over."""
    x = np.linspace(-1, 1, N)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    bump = np.exp(-((xx - 0.1) ** 2 + yy**2) / 0.05)
    return np.where(bump > 0.01, 1.0 + 0.3 * bump, 1.0), np.maximum(np.abs(xx), np.abs(yy)) <= 0.5


def hybrid_task(truth: np.ndarray, sources: np.ndarray, receivers: np.ndarray, **changes) -> HelmholtzHybridTask:
    """The hybrid task on receiver data of `truth` made by the independent solver (physics.solve_helmholtz_fd)."""
    alpha = (-1 + 1j) * np.exp(-0.5 * K**2 * 0.01**2)
    sampler = bilinear_sampler(receivers, N)
    values = np.stack([alpha * (sampler @ solve_helmholtz_fd(truth, K, tuple(s)).ravel()) for s in sources], -1)
    config = HelmholtzInverseConfig(**{"method": "hybrid", "wavenumber": K, "known_margin": 0.5, "reference_size": N,
                                       "true_radius": 0.2, "true_velocity": 1.3, **changes})
    return HelmholtzHybridTask(ReceiverData(sources, receivers, values), config)


def test_gradient_matches_finite_differences():
    """d misfit / d SIREN parameters (adjoint state chained by autograd) against central differences, float64."""
    truth, _ = smooth_truth()
    task = hybrid_task(truth, ring(3, 0.35), ring(10, 0.45))
    torch.manual_seed(0)
    field = sk.Siren(2, 12, 1, 1, first_omega_0=3.0).double()
    batch = task.sample(100, torch.Generator())
    batch = Batch(batch.coords.double(), batch.targets)
    params = list(field.parameters())
    loss = task.losses(field, batch)["misfit"]
    grads = torch.autograd.grad(loss, params)
    generator = torch.Generator().manual_seed(1)
    for _ in range(3):
        direction = [torch.randn(p.shape, generator=generator, dtype=torch.float64) for p in params]
        analytic = sum(float((g * d).sum()) for g, d in zip(grads, direction))
        eps = 1e-5
        values = []
        for sign in (1, -1):
            with torch.no_grad():
                for p, d in zip(params, direction):
                    p.add_(sign * eps * d)
            with torch.no_grad():
                values.append(float(task.losses(field, batch)["misfit"]))
            with torch.no_grad():
                for p, d in zip(params, direction):
                    p.sub_(sign * eps * d)
        assert analytic == pytest.approx((values[0] - values[1]) / (2 * eps), rel=1e-4)


def test_recovers_a_smooth_anomaly_from_its_data():
    """Trained through sk.fit, the hybrid fits its own data and ends closer to the truth than the uniform start."""
    truth, inside = smooth_truth()
    task = hybrid_task(truth, ring(6, 0.4), ring(24, 0.45), pretrain_steps=30)
    field = sk.Siren(2, 32, 2, 1, first_omega_0=3.0)
    start = task.evaluate(field)
    result = sk.fit(field, task, steps=110, lr=3e-3, lr_schedule="constant", eval_every=10**6, device="cpu")
    _, velocity = task.predict(field)
    metrics = velocity_metrics(velocity, truth, inside)
    # measured: receiver misfit 0.168 -> 0.0068, velocity MAE 0.0077 against 0.0465 for the uniform start
    assert result.metrics["data_misfit"] < 0.2 * start["data_misfit"]
    assert metrics["velocity_mae"] < 0.5 * metrics["velocity_mae_start"]


def test_bregman_rounds_add_the_residual_back_and_resume_exactly(tmp_path):
    """Rounds end at steps pretrain + 1 + k·every; the target there gains d − αPu, and a run stopped between rounds
    resumes to the same weights and the same target (the target is in the checkpoint)."""
    from sirenkit.callbacks import Callback

    truth, _ = smooth_truth()
    sources, receivers = ring(3, 0.4), ring(12, 0.45)

    def field() -> sk.Siren:
        torch.manual_seed(0)
        return sk.Siren(2, 16, 1, 1, first_omega_0=3.0)

    fit = dict(steps=12, lr=3e-3, lr_schedule="constant", save_every=4, eval_every=10**6, device="cpu")
    straight_task = hybrid_task(truth, sources, receivers, pretrain_steps=2, bregman_every=4, tv_weight=1e-3)
    straight = field()
    sk.fit(straight, straight_task, out=tmp_path / "a", **fit)
    assert straight_task.bregman.applied_at == 11  # rounds end at steps 7 and 11
    assert not np.allclose(straight_task.problem.target, straight_task.problem.data)

    class Stop(Callback):
        def on_step(self, state) -> None:
            if state.step == 9:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted = hybrid_task(truth, sources, receivers, pretrain_steps=2, bregman_every=4, tv_weight=1e-3)
        sk.fit(field(), interrupted, out=tmp_path / "b", callbacks=[Stop()], **fit)
    task = hybrid_task(truth, sources, receivers, pretrain_steps=2, bregman_every=4, tv_weight=1e-3)
    resumed = field()
    sk.fit(resumed, task, out=tmp_path / "b", resume=True, **fit)
    for a, b in zip(resumed.parameters(), straight.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    np.testing.assert_array_equal(task.problem.target, straight_task.problem.target)


def test_pretraining_fits_the_background_without_a_solve():
    truth, _ = smooth_truth()
    task = hybrid_task(truth, ring(2, 0.3), ring(6, 0.4), pretrain_steps=2)
    field = sk.Siren(2, 8, 1, 1)
    during = task.losses(field, task.sample(2, torch.Generator()))
    task.problem.evaluations = 0
    assert float(during["misfit"]) == 0.0 and float(during["background"]) > 0.0 and task.problem.evaluations == 0
    after = task.losses(field, task.sample(3, torch.Generator()))
    assert float(after["background"]) == 0.0 and float(after["misfit"]) > 0.0 and task.problem.evaluations == 1


def test_bounded_velocity_starts_at_the_background_and_stays_in_bounds():
    theta = torch.tensor([-1e3, -1.0, 0.0, 1.0, 1e3], dtype=torch.float64)
    v = bounded_velocity(theta, 0.5, 3.0)
    assert float(v[2]) == pytest.approx(1.0, abs=1e-12)
    assert float(v[0]) == pytest.approx(0.5) and float(v[-1]) == pytest.approx(3.0)
    assert torch.all(torch.diff(v) > 0)


@pytest.mark.parametrize(("velocity", "picked"), [(1.3, "fast"), (0.8, "slow")])
def test_anomaly_auto_bounds_the_velocity_on_the_side_the_data_show(velocity, picked):
    """--anomaly auto on data of a fast and of a slow disc: the pilots pick its side, and no network output crosses to
    the other side of the background (0.99 or 1.01); --anomaly any leaves both sides open."""
    x = np.linspace(-1, 1, N)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    truth = np.where(np.hypot(xx - 0.1, yy) < 0.2, velocity, 1.0)
    extremes = torch.tensor([[-50.0], [50.0]])
    task = hybrid_task(truth, ring(6, 0.4), ring(24, 0.45), anomaly="auto", true_velocity=velocity)
    found, other = task.anomaly_metrics, "slow" if picked == "fast" else "fast"
    assert found["anomaly_fast"] == float(picked == "fast")
    assert found[f"pilot_misfit_{picked}"] < 0.5 * found[f"pilot_misfit_{other}"]
    low, high = task.velocity(extremes).tolist()
    assert (low >= 0.99 and high > 2.0) if picked == "fast" else (low < 0.6 and high <= 1.01)
    two_sided = hybrid_task(truth, ring(6, 0.4), ring(24, 0.45), anomaly="any", true_velocity=velocity)
    assert two_sided.anomaly_metrics == {}
    assert two_sided.velocity(extremes).tolist() == pytest.approx([0.5, 3.0], abs=1e-6)


@pytest.mark.parametrize(("changes", "match"), [
    ({"method": "pinnn"}, "did you mean 'pinn'"),
    ({"v_min": 2.0, "v_max": 1.5}, "0 < v_min < 1 < v_max"),
    ({"v_min": 1.2}, "0 < v_min < 1 < v_max"),
    ({"v_min": 0.0}, "0 < v_min < 1 < v_max"),
    ({"anomaly": "fastt"}, "did you mean 'fast'"),
    ({"method": "pinn", "anomaly": "fast"}, "add --bounded-velocity"),
])
def test_bad_options_are_refused(changes, match):
    with pytest.raises(ConfigError, match=match):
        HelmholtzInverseConfig(**changes)


@pytest.mark.parametrize(("flags", "match"), [
    (["--method", "neural"], "unknown method 'neural'"),
    (["--v-min", "3", "--v-max", "2"], "v_min=3.0, v_max=2.0"),
    (["--bounded-velocity", "--v-max", "0.9"], "0 < v_min < 1 < v_max"),
    (["--tv-weight=-1e-3"], "tv_weight"),
    (["--method", "pinn", "--bregman-every", "5"], "--bregman-every acts on the velocity grid of --method hybrid"),
    (["--bregman-every=-5"], "bregman_every"),
    (["--anomaly", "up"], "unknown anomaly 'up'; choose one of: any, fast, slow, auto"),
])
def test_cli_refuses_bad_options_in_one_line(flags, match, capsys, tmp_path):
    assert main(["helmholtz-inverse", *flags, "--steps", "1", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("sirenkit: error:") and match in err and "\n" not in err
    assert not (tmp_path / "run").exists()


def test_cli_runs_the_hybrid_and_exports(tmp_path, data_dir):
    """`--method hybrid` trains a one-output field through the one loop; the run folder reloads and holds the FD fields."""
    out = tmp_path / "hybrid"
    data = data_dir / "helmholtz" / "data_cylinder_5.mat"
    code = main(["helmholtz-inverse", "--method", "hybrid", "--data", str(data), "--steps", "40", "--pretrain-steps", "38",
                 "--lr", "1e-3", "--hidden-features", "16", "--reference-size", "41", "--out", str(out), "--quiet"])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    task = HelmholtzInverseTask.from_config(HelmholtzInverseConfig(data=str(data), reference_size=41))
    problem = FDInversion(task.data.sources, task.data.receivers, task.data.values, n=41)
    uniform = problem.relative_misfit(np.ones(int(problem.free.sum())))
    # measured: 0.703 after 38 background steps and 2 FD steps, the uniform medium's 0.718 (41² is coarse: 6 nodes a wavelength)
    assert metrics["data_misfit"] < uniform
    assert np.load(out / "field.npy").shape == (5, 41, 41) and np.load(out / "velocity.npy").shape == (41, 41)
    assert sk.load(out).out_features == 1


@pytest.mark.parametrize("method", ["pinn", "hybrid"])
def test_source_in_the_pml_is_refused(method):
    """Either method refuses data whose source lies in the PML (|x| or |y| >= 1 - pml_width), naming the source."""
    truth, _ = smooth_truth()
    with pytest.raises(DataError, match=r"source \(0\.6, 0\.0\) lies in the PML"):
        hybrid_task(truth, np.array([[0.0, 0.0], [0.6, 0.0]]), ring(6, 0.4), method=method)


def test_viewer_shows_the_hybrid_velocity():
    """`sirenkit view` on a hybrid run: the one-output network is drawn as the velocity the task predicts, not as fields."""
    from sirenkit.view import wavefields

    truth, _ = smooth_truth()
    task = hybrid_task(truth, ring(2, 0.3), ring(6, 0.4))
    field = sk.build_field(task=task, seed=0, hidden_features=16, hidden_layers=1)
    assert wavefields.layers("helmholtz-inverse", task) == ("velocity",)
    shown = wavefields.layer_values("helmholtz-inverse", field, task, "velocity", N)
    np.testing.assert_allclose(shown, task.predict(field)[1], atol=1e-5)


def test_an_inversion_saved_before_method_existed_reloads_as_the_pinn_it_was(tmp_path, data_dir):
    """A config.json without `method` (every inversion before --method) keeps the PINN, not today's default hybrid."""
    out = tmp_path / "old"
    data = data_dir / "helmholtz" / "data_cylinder_5.mat"
    assert main(["helmholtz-inverse", "--method", "pinn", "--data", str(data), "--steps", "1", "--pretrain-steps", "1",
                 "--hidden-features", "8", "--reference-size", "21", "--batch-size", "200", "--quiet", "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    del config["task_config"]["method"]
    (out / "config.json").write_text(json.dumps(config))
    run = sk.load_run(out)
    assert run.config.task_config["method"] == "pinn" and run.model.out_features == 11  # 5 complex fields and the slowness
