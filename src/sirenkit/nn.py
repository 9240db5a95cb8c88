"""Sine activations in any PyTorch model: the `Sine` module and SIREN's init for linear and conv layers.

    >>> import torch
    >>> from torch import nn
    >>> from sirenkit.nn import Sine, siren_init_
    >>> conv = nn.Conv2d(16, 32, 3, padding=1)
    >>> siren_init_(conv, omega_0=30.0, is_first=False)
    >>> block = nn.Sequential(conv, Sine(30.0))

When the init keeps activations well distributed (Sitzmann et al. 2020, Sec. 3.2 and supplement):
the pre-activation z = omega_0 * (W x + b) of a hidden layer is close to N(0, 1) only if the
fan-in inputs x are (a) spread like sin(N(0, 1)) or U(-1, 1) -- roughly arcsine, variance
about 1/2 -- and (b) independent of each other. A chain of sine layers keeps (a) by itself; a
coordinate network meets (b) because its first layer sees coordinates. What breaks it:
  - zero padding: border outputs see zeros, so their variance drops by the padded fraction;
  - strided, pooled or upsampled inputs, and images themselves: neighbouring pixels are
    correlated, so a kernel's inputs are not independent and the variance is off by up to the
    kernel size (up or down, depending on the weights' signs);
  - normalisation layers (BatchNorm, LayerNorm, GroupNorm): they rescale x to variance 1, twice
    what the bound assumes, and the stds compound layer after layer;
  - skip connections: x + f(x) has variance 1, not 1/2;
  - the first layer: its bound 1/n is meant for coordinates in [-1, 1] and lets omega_0 set
    their frequency, so on U(-1, 1) inputs its z has std omega_0 * sqrt(1/(9n) + 1/(3n^2)), not 1
    -- 3.9 for a 3x3 conv on one channel at omega_0 = 30, 0.13 at omega_0 = 1 (sine nearly linear).
Even when every condition holds, a deep chain settles a little below 1: sin(N(0, 1)) has variance
0.43, not 1/2, so the std of z tends to the fixed point of v = 1 - exp(-2v), 0.89.
Measure rather than trust: `preactivation_stats` hooks every layer and reports what it saw.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from sirenkit.activations.sine import Sine, sine_bound
from sirenkit.errors import ConfigError

_INITIALISABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def fan_in(module: nn.Module) -> int:
    """Inputs per output unit: in_features, or in_channels / groups * prod(kernel_size) for a conv."""
    if isinstance(module, nn.Linear):
        return module.in_features
    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        return module.in_channels // module.groups * math.prod(module.kernel_size)
    raise ConfigError(f"siren_init_ supports nn.Linear and nn.Conv1d/2d/3d, not {type(module).__name__}; "
                      "initialise that layer yourself or replace it (e.g. Upsample + Conv2d for ConvTranspose2d).")


def siren_init_(module: nn.Module, *, omega_0: float, is_first: bool) -> None:
    """SIREN's init for the layer whose output feeds `Sine(omega_0)`, in place.

    Weights ~ U(-b, b) with b from `sine_bound` (1/n first, sqrt(6/n)/omega_0 hidden), n = fan_in.
    Biases ~ U(-b, b) too: PyTorch's default U(-1/sqrt(n), 1/sqrt(n)), which the reference code and
    `Siren` keep, would add omega_0^2 / (3n) to the variance of z (0.52 for a 3x3 conv over 64
    channels at omega_0 = 30) and push deep conv stacks off std 1. See the module docstring for
    when the result is close to N(0, 1).
    """
    bound = sine_bound(fan_in(module), omega_0, is_first=is_first)
    with torch.no_grad():
        module.weight.uniform_(-bound, bound)
        if module.bias is not None:
            module.bias.uniform_(-bound, bound)


def _neighbour_corr(x: Tensor) -> float:
    """Correlation of horizontally adjacent inputs of a conv: 0 when they are independent, as SIREN assumes."""
    a, b = x[..., :-1].flatten(), x[..., 1:].flatten()
    return float(torch.corrcoef(torch.stack([a, b]))[0, 1])


def preactivation_stats(model: nn.Module, inputs: Tensor, *, omega: dict[str, float] | None = None,
                        border: int = 0) -> dict[str, dict[str, float]]:
    """What each linear/conv layer sees in one forward pass, to check SIREN's assumptions.

    Per layer: std of its output z, fraction with |z| > pi, its input's std and (convs) the
    correlation between horizontally adjacent inputs.

    omega maps a layer's name to the factor its activation applies first (Sine's omega_0), so that
    the statistics are those of the sine's argument; layers not in it use 1. border crops that many
    pixels from each side of conv outputs, to measure away from the zero padding. Under SIREN's
    assumptions a hidden layer shows std 1 and 0.2% beyond pi (N(0, 1)), inputs of std 0.66-0.71
    (sin(N(0, 1)) to arcsine) and neighbour correlation 0.
    """
    omega, stats, handles = omega or {}, {}, []

    def record(name: str):
        def hook(module: nn.Module, args, output: Tensor) -> None:
            z = output.detach().double() * omega.get(name, 1.0)
            if border and z.ndim >= 3:
                z = z[(..., *[slice(border, -border)] * (z.ndim - 2))]
            x = args[0].detach().double()
            stats[name] = {"std": float(z.std()), "beyond_pi": float((z.abs() > math.pi).double().mean()),
                           "fan_in": fan_in(module), "input_std": float(x.std()),
                           "input_neighbour_corr": _neighbour_corr(x) if x.ndim >= 3 else float("nan")}
        return hook

    for name, module in model.named_modules():
        if isinstance(module, _INITIALISABLE):
            handles.append(module.register_forward_hook(record(name)))
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return stats


__all__ = ["Sine", "fan_in", "preactivation_stats", "siren_init_"]
