"""The 2-D Helmholtz equation with a PML: coefficients, sources, velocity models, residual and reference solutions.

Equation on [-1, 1]² with the reference's PML (a0 = 5, width 0.5):
    ∂x(A ∂x u) + ∂y(B ∂y u) + C·m·k²·u = -source,   m = 1 / velocity²,
    A = ey/ex, B = ex/ey, C = ex·ey,   e = 1 + i·s/k,   s = k·a0·(distance into PML / width)².
(As the reference code's loss_functions.helmholtz_pml: e = 1 + i·a0·(d/width)², whatever k.)
Time convention e^{-iωt}: the outgoing field of Δu + k²u = -δ is u = (i/4)·H0¹(k r).
The reference code uses the complex-conjugate convention (e = 1 - i·s/k with hankel2);
conjugate our fields to compare with it.

The stretch is written once (`pml_stretch`, `pml_stretch_derivative`) and serves both the
finite-difference reference (NumPy) and the residual a field is trained on (torch).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
import torch
from scipy.special import hankel1
from threadpoolctl import threadpool_limits
from torch import Tensor, nn

from sirenkit.errors import ConfigError, DataError, ShapeError
from sirenkit.ops import Jet

BUILTIN_VELOCITIES = ("uniform", "square", "circle")
"""Velocity models known by name (reference dataio); anything else is a FILE.npy map."""
SOURCE_CUTOFF = 1e-5
"""The Gaussian source is set to 0 where it falls below this (reference code), which defines 'on' the source."""

FIELD_SCALE = 10.0
"""The network outputs u / FIELD_SCALE. Same loss in units of u, only the parametrisation differs; uniform medium,
3x256, 2048 points, 600 steps: relative MSE 0.71, 0.41, 0.16, 0.31, 0.71 at scales 1, 3.3, 10, 33, 100 (2000 steps
at 10: 0.018; at 1: 0.77 after 3113). At scale 1 the outgoing rings stay faint; larger scales magnify the initial noise."""


def hankel_point_source(coords: np.ndarray, source_xy: tuple[float, float], wavenumber: float) -> np.ndarray:
    """Analytic field (i/4)·H0¹(k r) of a unit point source in a homogeneous medium (velocity 1).

    coords has shape (..., 2); the field is singular (complex inf) exactly at the source.
    """
    coords = np.asarray(coords, dtype=float)
    if coords.shape[-1] != 2:
        raise ShapeError(f"coords must have shape (..., 2), got {coords.shape}; pass (x, y) pairs")
    r = np.hypot(coords[..., 0] - source_xy[0], coords[..., 1] - source_xy[1])
    with np.errstate(all="ignore"):
        return 0.25j * hankel1(0, wavenumber * r)


def _pml_depth(x, pml_width: float):
    """Distance into the PML along one axis, 0 inside its inner square (NumPy array or torch tensor)."""
    depth = abs(x) - (1.0 - pml_width)
    return depth.clamp(min=0.0) if isinstance(depth, Tensor) else np.clip(depth, 0.0, None)


def pml_stretch(x: np.ndarray | Tensor, wavenumber: float, pml_width: float = 0.5, a0: float = 5.0) -> np.ndarray | Tensor:
    """Complex coordinate stretch e = 1 + i·s/k, s = k·a0·(d/width)², along one axis (d: depth into the PML).

    The reference's profile: the imaginary part grows to a0 = 5 at the outer edge, whatever k.
    A NumPy array gives a complex128 array (the FD reference), a torch tensor a complex tensor (the residual).
    """
    if pml_width == 0.0:
        return np.ones_like(x, dtype=complex) if not isinstance(x, Tensor) else torch.ones_like(x, dtype=torch.complex64)
    damping = wavenumber * a0 * (_pml_depth(x, pml_width) / pml_width) ** 2
    if isinstance(x, Tensor):
        return torch.complex(torch.ones_like(x), damping / wavenumber)
    return 1.0 + 1j * damping / wavenumber


def pml_stretch_derivative(x: Tensor, pml_width: float = 0.5, a0: float = 5.0) -> Tensor:
    """de/dx of `pml_stretch`: i·2·a0·d/width²·sign(x); complex, the shape of x."""
    if pml_width == 0.0:
        return torch.zeros_like(x, dtype=torch.complex64)
    return torch.complex(torch.zeros_like(x), 2.0 * a0 * _pml_depth(x, pml_width) / pml_width**2 * torch.sign(x))


def pml_coefficients(coords: Tensor, wavenumber: float, pml_width: float, a0: float) -> tuple[Tensor, ...]:
    """A = ey/ex, ∂x A, B = ex/ey, ∂y B, C = ex·ey at coords, from `pml_stretch`.

    ∂x(A ∂x u) is expanded as A ∂²x u + (∂x A) ∂x u, so only the field's first and per-axis second
    derivatives are needed (`ops.jet(hessian_diagonal=True)`).

    Shape:
        coords: (N, 2) real; returns five (N,) complex tensors
    """
    x, y = coords[:, 0], coords[:, 1]
    ex, ey = pml_stretch(x, wavenumber, pml_width, a0), pml_stretch(y, wavenumber, pml_width, a0)
    dex, dey = pml_stretch_derivative(x, pml_width, a0), pml_stretch_derivative(y, pml_width, a0)
    return ey / ex, -ey * dex / ex**2, ex / ey, -ex * dey / ey**2, ex * ey


def velocity_model(name: str, coords: Tensor) -> Tensor:
    """Wave speed of a built-in model at coords (reference dataio): 1, with 2 inside |x|, |y| < 0.3 ('square') or r < 0.1 ('circle').

    Shape:
        coords: (N, 2) as (x, y); returns (N,)
    """
    x, y = coords[:, 0], coords[:, 1]
    if name == "square":
        inside = (x.abs() < 0.3) & (y.abs() < 0.3)
    elif name == "circle":
        inside = torch.hypot(x, y) < 0.1
    else:
        inside = torch.zeros_like(x, dtype=torch.bool)
    return torch.where(inside, 2.0, 1.0).to(coords.dtype)


def cylinder_velocity(coords: np.ndarray, radius: float, velocity: float) -> np.ndarray:
    """Wave speed 1 with `velocity` inside a centred disc of `radius`: the model behind data_cylinder_5.mat."""
    return np.where(np.hypot(coords[..., 0], coords[..., 1]) < radius, velocity, 1.0)


def sample_map(values: Tensor, coords: Tensor) -> Tensor:
    """Bilinear interpolation of an (n, n) map, values[i, j] at (x_i, y_j) on [-1, 1]², at coords (N, 2)."""
    image = values.t()[None, None]  # grid_sample reads x along the width, y along the height
    points = coords.to(values.dtype)[None, None]
    return nn.functional.grid_sample(image, points, mode="bilinear", align_corners=True)[0, 0, 0].to(coords.dtype)


def gaussian_source(coords: Tensor, source_xy: Tensor, sigma: float) -> Tensor:
    """Unit-mass Gaussian exp(-r²/2σ²)/(2πσ²) around the source, set to 0 below `SOURCE_CUTOFF` (reference).

    σ is a standard deviation: the reference's ``sigma=1e-4`` is the variance, σ = 0.01.
    """
    r2 = ((coords - source_xy) ** 2).sum(-1)
    g = torch.exp(-0.5 * r2 / sigma**2) / (2.0 * math.pi * sigma**2)
    return torch.where(g < SOURCE_CUTOFF, torch.zeros_like(g), g)


def helmholtz_residual(jet: Jet, coords: Tensor, slowness2: Tensor, wavenumber: float, pml_width: float, a0: float
                       ) -> Tensor:
    """Residual ∂x(A ∂x u) + ∂y(B ∂y u) + C·m·k²·u of each complex field in a jet, without the source.

    Channels (2j, 2j+1) of the jet are (re, im) of field j; slowness2 m = 1/velocity².

    Shape:
        jet: value (N, 2F), gradient (N, 2F, 2), hessian_diagonal (N, 2F, 2); slowness2 (N,); returns (N, F) complex
    """
    def complex_pairs(t: Tensor) -> Tensor:
        return torch.complex(t[:, 0::2], t[:, 1::2])

    u = complex_pairs(jet.value)
    ux, uy = complex_pairs(jet.gradient[..., 0]), complex_pairs(jet.gradient[..., 1])
    uxx, uyy = complex_pairs(jet.hessian_diagonal[..., 0]), complex_pairs(jet.hessian_diagonal[..., 1])
    a, ax, b, by, c = (t[:, None] for t in pml_coefficients(coords, wavenumber, pml_width, a0))
    return a * uxx + ax * ux + b * uyy + by * uy + c * (slowness2 * wavenumber**2)[:, None] * u


def mean_abs(values: Tensor) -> Tensor:
    """Mean of |re| and |im| over every entry (the reference's L1, as a mean); 0 for an empty selection."""
    if values.numel() == 0:
        return values.real.sum()
    return torch.view_as_real(values).abs().mean()


def mean_square(values: Tensor) -> Tensor:
    """Mean of re² and im² over every entry (the squared residual, as in most PINN work); 0 for an empty selection."""
    if values.numel() == 0:
        return values.real.sum()
    return torch.view_as_real(values).square().mean()


def _check_inputs(velocity: np.ndarray, source_xy: tuple[float, float], pml_width: float) -> np.ndarray:
    velocity = np.asarray(velocity, dtype=float)
    if velocity.ndim != 2 or velocity.shape[0] != velocity.shape[1] or velocity.shape[0] < 3:
        raise ShapeError(
            f"velocity must be a square (n, n) grid with n >= 3, got shape {velocity.shape}; "
            "resample it onto a square grid over [-1, 1]²"
        )
    if not np.all(np.isfinite(velocity)) or np.any(velocity <= 0):
        raise DataError(
            "velocity holds non-positive, NaN or inf values; give a strictly positive finite wave speed everywhere"
        )
    if len(source_xy) != 2 or not all(-1.0 <= float(c) <= 1.0 for c in source_xy):
        raise ConfigError(f"source_xy {tuple(source_xy)} lies outside the domain [-1, 1]²; move it inside")
    if not 0.0 <= pml_width < 1.0:
        raise ConfigError(f"pml_width {pml_width} must lie in [0, 1); use the reference 0.5")
    return velocity


def helmholtz_operator(n: int, wavenumber: float, pml_width: float = 0.5, a0: float = 5.0) -> tuple[scipy.sparse.csc_matrix, np.ndarray]:
    """(L, c): the 5-point FD Helmholtz matrix with the PML is L + diag(c · k² · m) on an n×n node grid, m = 1/velocity².

    L holds every term that does not depend on the medium: A = ey/ex at x-midpoints (i+1/2, j),
    B = ex/ey at y-midpoints (i, j+1/2); c = ex·ey at the nodes (1 inside the PML's inner square).
    Nodes are ordered [i, j] at (x_i, y_j); u = 0 just outside the grid.
    """
    h = 2.0 / (n - 1)
    nodes = np.linspace(-1.0, 1.0, n)
    e_node = pml_stretch(nodes, wavenumber, pml_width, a0)
    e_mid = pml_stretch(0.5 * (nodes[:-1] + nodes[1:]), wavenumber, pml_width, a0)
    a_mid = e_node[None, :] / e_mid[:, None]
    b_mid = e_node[:, None] / e_mid[None, :]
    c_node = e_node[:, None] * e_node[None, :]
    index = np.arange(n * n).reshape(n, n)
    diag = np.zeros((n, n), complex)
    diag[:-1, :] -= a_mid / h**2
    diag[1:, :] -= a_mid / h**2
    diag[:, :-1] -= b_mid / h**2
    diag[:, 1:] -= b_mid / h**2
    rows, cols, vals = [index.ravel()], [index.ravel()], [diag.ravel()]
    for a, b, coef in ((index[:-1, :], index[1:, :], a_mid), (index[:, :-1], index[:, 1:], b_mid)):
        rows += [a.ravel(), b.ravel()]
        cols += [b.ravel(), a.ravel()]
        vals += [coef.ravel() / h**2] * 2
    matrix = scipy.sparse.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n * n, n * n))
    return matrix, c_node.ravel()


def bilinear_sampler(points: np.ndarray, n: int) -> scipy.sparse.csr_matrix:
    """(R, n²) matrix that interpolates a node field bilinearly at `points` (R, 2) in [-1, 1]², [i, j] at (x_i, y_j)."""
    h = 2.0 / (n - 1)
    t = (np.asarray(points, float) + 1.0) / h
    i0 = np.clip(np.floor(t).astype(int), 0, n - 2)
    f = t - i0
    rows, cols, vals = [], [], []
    for di, dj in ((0, 0), (1, 0), (0, 1), (1, 1)):
        w = (f[:, 0] if di else 1 - f[:, 0]) * (f[:, 1] if dj else 1 - f[:, 1])
        rows.append(np.arange(len(points)))
        cols.append((i0[:, 0] + di) * n + i0[:, 1] + dj)
        vals.append(w)
    return scipy.sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(len(points), n * n))


def point_source_rhs(n: int, source_xy: tuple[float, float]) -> np.ndarray:
    """A discrete delta -1/h² at `source_xy`, spread over its four nodes by bilinear weights; flat (n*n,) complex.

    The transpose of `bilinear_sampler`: a source between nodes stays where it is. Rounding it to the nearest
    node moved it by up to h/2, a phase error of up to k·h/2 in the whole field (tests/test_physics_fwi.py
    compares an off-node source with the Hankel field).
    """
    h = 2.0 / (n - 1)
    weights = bilinear_sampler(np.asarray([source_xy], float), n).toarray()[0]
    return (-weights / h**2).astype(complex)


def factorize(matrix: scipy.sparse.spmatrix) -> scipy.sparse.linalg.SuperLU:
    """Sparse LU of a complex-symmetric FD Helmholtz matrix, in SuperLU's symmetric mode, with one BLAS thread.

    Symmetric mode (minimum degree on A + Aᵀ, diagonal pivots) leaves about half the fill of SuperLU's
    default COLAMD ordering on these grids. One BLAS thread because SuperLU's small dense kernels gain
    nothing from more, and OpenBLAS threads that wait for a core taken by another process made each
    factorisation about 50x slower (4.5 s instead of 0.08 s on a 101² grid with one other busy process
    on 2 cores; the same with this limit: 0.04-0.09 s).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return scipy.sparse.linalg.splu(scipy.sparse.csc_matrix(matrix), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                                        options={"SymmetricMode": True})


def solve_helmholtz_fd(
    velocity: np.ndarray,
    wavenumber: float,
    source_xy: tuple[float, float],
    pml_width: float = 0.5,
    a0: float = 5.0,
) -> np.ndarray:
    """Field of a unit point source by 5-point finite differences with the PML; complex (n, n).

    velocity[i, j] is the wave speed at (x_i, y_j) on an n×n node grid over [-1, 1]² (indexing="ij");
    the source is a discrete delta 1/h² spread over its four nodes (`point_source_rhs`); u = 0 just outside the grid.
    """
    velocity = _check_inputs(velocity, source_xy, pml_width)
    n = velocity.shape[0]
    base, c = helmholtz_operator(n, wavenumber, pml_width, a0)
    matrix = base + scipy.sparse.diags(c * wavenumber**2 / velocity.ravel() ** 2)
    return factorize(matrix).solve(point_source_rhs(n, source_xy)).reshape(n, n)
