"""Reference solvers for the 2-D Helmholtz equation, used to score neural Helmholtz fits.

Equation on [-1, 1]² with the reference's PML (a0 = 5, width 0.5):
    ∂x(A ∂x u) + ∂y(B ∂y u) + C·m·k²·u = -source,   m = 1 / velocity²,
    A = ey/ex, B = ex/ey, C = ex·ey,   e = 1 + i·s/k,   s = k·a0·(distance into PML / width)².
(As the reference code's loss_functions.helmholtz_pml: e = 1 + i·a0·(d/width)², whatever k.)
Time convention e^{-iωt}: the outgoing field of Δu + k²u = -δ is u = (i/4)·H0¹(k r).
The reference code uses the complex-conjugate convention (e = 1 - i·s/k with hankel2);
conjugate our fields to compare with it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
from scipy.special import hankel1

from sirenkit.errors import ConfigError, DataError, ShapeError


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


def pml_stretch(x: np.ndarray, wavenumber: float, pml_width: float = 0.5, a0: float = 5.0) -> np.ndarray:
    """Complex coordinate stretch e = 1 + i·s/k, s = k·a0·(d/width)², along one axis (d: depth into the PML).

    The reference's profile: the imaginary part grows to a0 = 5 at the outer edge, whatever k.
    """
    if pml_width == 0.0:
        return np.ones_like(x, dtype=complex)
    depth = np.clip(np.abs(x) - (1.0 - pml_width), 0.0, None)
    damping = wavenumber * a0 * (depth / pml_width) ** 2
    return 1.0 + 1j * damping / wavenumber


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


def solve_helmholtz_fd(
    velocity: np.ndarray,
    wavenumber: float,
    source_xy: tuple[float, float],
    pml_width: float = 0.5,
    a0: float = 5.0,
) -> np.ndarray:
    """Field of a unit point source by 5-point finite differences with the PML; complex (n, n).

    velocity[i, j] is the wave speed at (x_i, y_j) on an n×n node grid over [-1, 1]² (indexing="ij");
    the source is a discrete delta 1/h² at the nearest node; u = 0 just outside the grid.
    """
    velocity = _check_inputs(velocity, source_xy, pml_width)
    n = velocity.shape[0]
    h = 2.0 / (n - 1)
    nodes = np.linspace(-1.0, 1.0, n)
    mids = 0.5 * (nodes[:-1] + nodes[1:])
    ex_node, ey_node = pml_stretch(nodes, wavenumber, pml_width, a0), pml_stretch(nodes, wavenumber, pml_width, a0)
    ex_mid = pml_stretch(mids, wavenumber, pml_width, a0)
    # A = ey/ex at x-midpoints (i+1/2, j); B = ex/ey at y-midpoints (i, j+1/2); C = ex·ey at nodes.
    a_mid = ey_node[None, :] / ex_mid[:, None]
    b_mid = ex_node[:, None] / ex_mid[None, :]
    c_node = ex_node[:, None] * ey_node[None, :]

    index = np.arange(n * n).reshape(n, n)
    diag = c_node * wavenumber**2 / velocity**2 + 0j
    rows, cols, vals = [], [], []
    diag[:-1, :] -= a_mid / h**2
    diag[1:, :] -= a_mid / h**2
    diag[:, :-1] -= b_mid / h**2
    diag[:, 1:] -= b_mid / h**2
    for a, b, coef in (
        (index[:-1, :], index[1:, :], a_mid),
        (index[:, :-1], index[:, 1:], b_mid),
    ):
        rows += [a.ravel(), b.ravel()]
        cols += [b.ravel(), a.ravel()]
        vals += [coef.ravel() / h**2] * 2
    rows.append(index.ravel())
    cols.append(index.ravel())
    vals.append(diag.ravel())
    matrix = scipy.sparse.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n * n, n * n)
    )
    rhs = np.zeros(n * n, dtype=complex)
    i = int(round((source_xy[0] + 1.0) / h))
    j = int(round((source_xy[1] + 1.0) / h))
    rhs[index[i, j]] = -1.0 / h**2
    return scipy.sparse.linalg.spsolve(matrix, rhs).reshape(n, n)
