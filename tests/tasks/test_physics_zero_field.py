"""Physics tiny fits judged against a field that is zero everywhere, which must fail the same criterion.

A zero field satisfies the source-free PDE exactly (residual_off = 0), and the reference fields are
small (Helmholtz mse 0.003, FWI 0.0055, wave 1e-6), so absolute residual and MSE bounds pass for
it. Every criterion here is relative to the zero field: `relative_mse` (MSE over the reference's
mean square, 1 for u = 0), the source residual over the zero field's (the zero field leaves the
whole source unexplained), and the receiver misfit (relative, 1 for u = 0).
"""

from __future__ import annotations

import pytest
import torch

import sirenkit as sk
from sirenkit.tasks import WaveConfig, WaveTask
from sirenkit.tasks.helmholtz import HelmholtzConfig, HelmholtzTask
from sirenkit.tasks.helmholtz_inverse import HelmholtzInverseConfig, HelmholtzInverseTask


def zero_field(in_features: int, out_features: int) -> sk.Siren:
    """A Siren whose output layer is zero: u = 0 everywhere, with the derivatives (all 0) a Siren has."""
    field = sk.Siren(in_features, 16, 1, out_features)
    with torch.no_grad():
        field.layers[-1].weight.zero_()
        field.layers[-1].bias.zero_()
    return field


def _fit(task, field_config: sk.FieldConfig, **fit_options) -> dict[str, float]:
    field = sk.build_field(field_config, seed=0)
    return sk.fit(field, task, sk.FitConfig(device="cpu", **fit_options)).metrics


def test_helmholtz_tiny_fit_beats_the_zero_field():
    task = HelmholtzTask(HelmholtzConfig(reference_size=101, residual_size=64))
    zero = task.evaluate(zero_field(2, task.out_features))
    assert zero["residual_off"] == 0.0 and zero["relative_mse"] == pytest.approx(1.0)  # why absolute bounds prove nothing

    def passes(m: dict[str, float]) -> bool:
        return m["relative_mse"] <= 0.85 and m["residual_on"] <= 0.6 * zero["residual_on"]

    fitted = _fit(task, sk.FieldConfig(out_features=task.out_features, hidden_features=64, hidden_layers=2),
                  steps=300, lr=1e-3, batch_size=1024, eval_every=300, lr_final=0.1, optimizer="soap")
    # measured (64x2 SIREN, 300 steps of SOAP on the squared residual, the task's default loss): relative_mse 0.65, residual_on 2.2
    # against the zero field's 1.0 and 21.4.
    assert passes(fitted), fitted
    assert not passes(zero)


def test_helmholtz_inverse_tiny_fit_explains_the_receivers_better_than_the_zero_field(data_dir):
    task = HelmholtzInverseTask.from_config(HelmholtzInverseConfig(data=str(data_dir / "helmholtz" / "data_cylinder_5.mat"),
                                                                   reference_size=61, method="pinn"))
    zero = task.evaluate(zero_field(2, task.out_features))
    assert zero["data_misfit"] == pytest.approx(1.0) and zero["mse"] <= 0.01  # the old absolute mse bound passes u = 0

    def passes(m: dict[str, float]) -> bool:
        return m["data_misfit"] <= 0.7

    fitted = _fit(task, sk.FieldConfig(out_features=task.out_features, hidden_features=32, hidden_layers=2),
                  steps=200, lr=1e-3, batch_size=512, eval_every=200)
    # measured: receiver misfit 0.61 (u = 0: 1.0). The field itself is not yet better than zero after 200 steps
    # (relative_mse 1.54, 1.39 after 400): the network's initial noise times field_scale 10 is still there.
    assert passes(fitted), fitted
    assert not passes(zero)


def test_wave_tiny_fit_beats_the_zero_field():
    config = WaveConfig(sigma=5e-3, frame_size=32, frame_times=(0.0, 0.1, 0.2), points=256, initial_points=128, ramp_steps=100,
                        t_max=0.25, loss_weights={"initial": 1.0, "initial_velocity": 1.0, "residual": 1.0})
    task = WaveTask(config)
    zero = task.evaluate(zero_field(3, 1))
    assert zero["relative_mse"] == pytest.approx(1.0) and zero["relative_mse_max"] == pytest.approx(1.0)
    assert all(zero[f"relative_mse_t{t:g}"] == pytest.approx(1.0) for t in config.frame_times)

    def passes(m: dict[str, float]) -> bool:
        return m["relative_mse"] <= 0.5 and all(m[f"mse_t{t:g}"] < 0.75 * zero[f"mse_t{t:g}"] for t in config.frame_times)

    fitted = _fit(task, sk.FieldConfig(in_features=3, hidden_features=32, hidden_layers=2, first_omega_0=10.0),
                  steps=150, lr=1e-3, eval_every=150)
    # measured: relative_mse 0.32 (u = 0: 1.0); per frame 0.20, 0.26 and 0.50 of the zero field's MSE
    assert passes(fitted), fitted
    assert not passes(zero)
