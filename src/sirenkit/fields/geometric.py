"""Geometric init of a SIREN: the field starts as the signed distance to a sphere, |x| - r.

The idea is DiGS's (Ben-Shabat, Hewa Koneputugodage, Gould, CVPR 2022, Sec. 4): an SDF fit that
starts from a random SIREN has to carve the inside out of a field that is positive and negative
everywhere, and leaves ghost surfaces where it fails; one that starts from a sphere's SDF is
negative inside from step 0. DiGS gets the sphere by making the sine layers nearly linear and
taking a square root of the output, which changes the network. This construction keeps the
network as it is (so the fused kernels, `jet` and saved runs work unchanged) and only sets weights:

1. Every layer before the last two is nearly linear: weights U(±sqrt(3/n_out)) / omega, biases 0,
   so each sine sees arguments of a few hundredths and h(x) ≈ A x, A the layers' Jacobian at 0.
2. The second-last (sine) layer turns h back into plane waves: W = K A⁺ / omega, b = pi / (2 omega),
   so unit j outputs sin(k_j · x + pi/2) = cos(k_j · x) for chosen wave vectors k_j.
3. The last (linear) layer sums the waves into |x| - r: in d dimensions |x| = mean_u |u · x| / c_d
   over unit directions u (c_3 = 1/2, c_2 = 2/pi), and |t| on [-T, T] is the cosine series
   T/2 - (4T/pi^2) sum over odd k of cos(k pi t / T) / k^2; k_j = k pi u / T for
   `FREQUENCIES` odd k on each of hidden_features / len(FREQUENCIES) directions.

On [-1, 1]^3 with 256 units the value is within about 0.01 of |x| - r on average (the truncated
series rounds the cone tip at the origin) and |grad| is within about 10 % of 1 away from it.

Trade: the early layers start nearly linear, so the field starts smooth and its fine detail has
to grow during training (DiGS's multi-frequency variant addresses this); what it buys is an
inside that is negative from the first step, hence no inner ghost surface (docs/convergence.md).
"""

from __future__ import annotations

import math

import torch
from torch import nn

FREQUENCIES = (1, 3, 5, 7)
"""Odd harmonics of the |t| cosine series on each direction (more terms sharpen the tip at 0, fewer directions)."""
HALF_PERIOD = 1.8
"""T of the series: |u · x| <= sqrt(3) < T on the cube [-1, 1]^3, so the waves stay on one period of |t|."""
DIMENSIONS = (2, 3)
SPHERE_SHARE = 0.5
"""Share of the units that carry the sphere; the others keep the reference first-layer init (high frequencies,
output weight 0, so the field starts as the sphere but the fine detail has units to grow from, as DiGS's MFGI)."""


def directions(count: int, dim: int) -> torch.Tensor:
    """`count` unit vectors spread evenly over a half circle (2-D) or hemisphere (3-D, Fibonacci lattice), float64.

    Half of the sphere is enough because |u · x| is the same for u and -u.
    """
    i = torch.arange(count, dtype=torch.float64)
    if dim == 2:
        angle = math.pi * (i + 0.5) / count
        return torch.stack([angle.cos(), angle.sin()], 1)
    z = (i + 0.5) / count  # uniform in z = uniform in area on the hemisphere
    azimuth = i * math.pi * (3.0 - math.sqrt(5.0))
    ring = (1.0 - z * z).sqrt()
    return torch.stack([ring * azimuth.cos(), ring * azimuth.sin(), z], 1)


def sphere_init_(layers: nn.ModuleList, omegas: list[float], radius: float) -> None:
    """Set a SIREN's weights so that it computes about |x| - `radius` (in place; draws nothing at random).

    `layers`: in -> hidden, hidden -> hidden ..., hidden -> 1 (the last linear); `omegas`: the
    sine layers' frequency factors, sin(omega (W x + b)). Needs in_features 2 or 3.
    """
    dim, hidden = layers[0].in_features, layers[0].out_features
    if dim not in DIMENSIONS or layers[-1].out_features != 1 or len(layers) < 2 or hidden < len(FREQUENCIES):
        raise ValueError(f"sphere_init_ needs a {DIMENSIONS}-d input, a scalar output, two layers or more and "
                         f"{len(FREQUENCIES)} hidden features or more")
    count = max(1, int(hidden * SPHERE_SHARE) // len(FREQUENCIES))  # unit j < used: direction j % count, harmonic j // count
    used = count * len(FREQUENCIES)
    k = torch.tensor(FREQUENCIES, dtype=torch.float64)
    u = directions(count, dim).repeat(len(FREQUENCIES), 1)
    waves = (k.repeat_interleave(count) * math.pi / HALF_PERIOD)[:, None] * u  # (used, dim) wave vectors k_j
    passes = len(layers) - 2  # hidden sine layers, each sin() of its own unit
    coefficients, constant = series_of_abs(passes)
    c = 0.5 if dim == 3 else 2.0 / math.pi  # mean over directions of |u · x|, for |x| = 1
    weight = torch.zeros(hidden, dtype=torch.float64)
    weight[:used] = coefficients.repeat_interleave(count) / (count * c)
    with torch.no_grad():
        layers[0].weight[:used] = waves / omegas[0]
        layers[0].bias[:used] = math.pi / 2.0 / omegas[0]
        for layer, omega in zip(layers[1:-1], omegas[1:]):
            layer.weight.copy_(torch.eye(hidden) / omega)
            layer.bias.zero_()
        layers[-1].weight.copy_(weight[None])
        layers[-1].bias.fill_(constant / c - radius)


def series_of_abs(passes: int, samples: int = 4001) -> tuple[torch.Tensor, float]:
    """Least-squares weights b_k, b_0 with |t| ≈ b_0 + sum_k b_k sin^passes(cos(k pi t / T)) on [-T, T], float64.

    sin^passes is sin applied `passes` times, what the hidden layers do to each unit; with no
    hidden layer these are the cosine series' coefficients T/2 and -4T/(pi k)^2.
    """
    t = torch.linspace(-HALF_PERIOD, HALF_PERIOD, samples, dtype=torch.float64)
    basis = torch.stack([torch.cos(k * math.pi * t / HALF_PERIOD) for k in FREQUENCIES], 1)
    for _ in range(passes):
        basis = basis.sin()
    basis = torch.cat([basis, torch.ones(samples, 1, dtype=torch.float64)], 1)
    solution = torch.linalg.lstsq(basis, t.abs()[:, None]).solution[:, 0]
    return solution[:-1], float(solution[-1])
