"""What a Poisson target allows: least-squares integration with the operator that made the target.

`PoissonTask` supervises a field with the cameraman's Sobel gradient, central-difference gradient
or 5-point Laplacian (sirenkit.differences, reflect borders). Each is a linear operator A applied
to the image u; solving min ||A u - target|| (scipy lsqr) shows how much of the image the target
determines. A fit that scores below this is limited by the fit, not by the target. The zero field
(after the same removal of what the supervision cannot see: a constant for a gradient, a plane for
a Laplacian) is the floor any reconstruction must beat.

A field is not a pixel grid: trained on its exact gradient at the pixels, it is free between them,
and no stencil ties its values to those gradients. What a smooth field makes of a gradient target is
the band-limited integration (`band_limited_integral`): the image whose exact derivatives, on the
mirror-extended grid, match the target in least squares, solved by FFT.

    python benchmarks/bench_poisson_ceiling.py [--size 256] [--iterations 500,8000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sparse
from scipy.sparse.linalg import lsqr

from sirenkit.differences import image_gradient, image_laplacian
from sirenkit.io.image import load_image
from sirenkit.metrics import psnr
from sirenkit.tasks.poisson import remove_unseen

sys.path.insert(0, str(Path(__file__).parent))
from _results import Provenance, publish  # noqa: E402


def correlate_reflect(k: int, weights: tuple[float, float, float]) -> sparse.csr_matrix:
    """1-D `scipy.ndimage.correlate1d(x, weights, mode="reflect")` as a k x k matrix (x[-1] = x[0], x[k] = x[k-1])."""
    m = sparse.lil_matrix((k, k))
    for i in range(k):
        for offset, w in zip((-1, 0, 1), weights):
            j = min(max(i + offset, 0), k - 1)
            m[i, j] += w
    return m.tocsr()


def central_difference(k: int, h: float) -> sparse.csr_matrix:
    """1-D `np.gradient(x, h)`: central inside, one-sided first order at both ends."""
    m = sparse.lil_matrix((k, k))
    m[0, 0], m[0, 1] = -1 / h, 1 / h
    m[k - 1, k - 2], m[k - 1, k - 1] = -1 / h, 1 / h
    for i in range(1, k - 1):
        m[i, i - 1], m[i, i + 1] = -0.5 / h, 0.5 / h
    return m.tocsr()


def operator(kind: str, n: int, m: int) -> sparse.csr_matrix:
    """The matrix A with A @ image.ravel() == the task's target (stacked d/dy, d/dx for a gradient)."""
    hy, hx = 2 / (n - 1), 2 / (m - 1)
    eye_n, eye_m = sparse.identity(n), sparse.identity(m)
    if kind == "laplacian":
        second = (1.0, -2.0, 1.0)
        return (sparse.kron(correlate_reflect(n, second), eye_m) / hy**2 + sparse.kron(eye_n, correlate_reflect(m, second)) / hx**2).tocsr()
    if kind == "sobel":
        diff, smooth = (-1.0, 0.0, 1.0), (1.0, 2.0, 1.0)
        gy = sparse.kron(correlate_reflect(n, diff), correlate_reflect(m, smooth)) / (8 * hy)
        gx = sparse.kron(correlate_reflect(n, smooth), correlate_reflect(m, diff)) / (8 * hx)
    else:
        gy, gx = sparse.kron(central_difference(n, hy), eye_m), sparse.kron(eye_n, central_difference(m, hx))
    return sparse.vstack([gy, gx]).tocsr()


def band_limited_integral(gradient: np.ndarray) -> np.ndarray:
    """The band-limited image whose exact gradient best matches `gradient` (H, W, 2: d/dy, d/dx over [-1, 1]²).

    The image is extended evenly about its edge pixels (d/dy odd in y, d/dx odd in x), so the FFT sees no jump
    at the border; per frequency, min |i k û − ĝ|² gives û = −i (k_y ĝ_y + k_x ĝ_x) / |k|². Returns (H, W), up to a constant.
    """
    def mirror(a: np.ndarray, odd_y: bool, odd_x: bool) -> np.ndarray:
        a = np.concatenate([a, (-1 if odd_y else 1) * a[-2:0:-1]], 0)
        return np.concatenate([a, (-1 if odd_x else 1) * a[:, -2:0:-1]], 1)

    n, m = gradient.shape[:2]
    gy, gx = mirror(gradient[..., 0], True, False), mirror(gradient[..., 1], False, True)
    ky = 2 * np.pi * np.fft.fftfreq(gy.shape[0], d=2 / (n - 1))[:, None]
    kx = 2 * np.pi * np.fft.fftfreq(gy.shape[1], d=2 / (m - 1))[None, :]
    k2 = ky**2 + kx**2
    k2[0, 0] = 1.0
    spectrum = -1j * (ky * np.fft.fft2(gy) + kx * np.fft.fft2(gx)) / k2
    spectrum[0, 0] = 0.0
    return np.real(np.fft.ifft2(spectrum))[:n, :m]


def target(kind: str, values: np.ndarray) -> np.ndarray:
    if kind == "laplacian":
        return image_laplacian(values)[..., 0].astype(np.float64).ravel()
    g = image_gradient(values, kind=kind)[..., 0, :].astype(np.float64)
    return np.concatenate([g[..., 0].ravel(), g[..., 1].ravel()])


def score(u: np.ndarray, image: np.ndarray, supervise: str) -> float:
    """The task's metric: PSNR on [0, 1] after removing what the supervision cannot determine."""
    fitted = remove_unseen(u.reshape(*image.shape[:2], 1).astype(np.float32), image * 2 - 1, supervise)
    return psnr(np.clip((fitted + 1) / 2, 0, 1), image)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iterations", default="500,8000", help="lsqr iteration counts to report")
    parser.add_argument("--image", default="camera", help="scikit-image name or image file")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/poisson_ceiling.json"))
    args = parser.parse_args()
    provenance = Provenance("poisson_ceiling")
    image = load_image(args.image, size=args.size)[..., :1].astype(np.float32)
    n, m = image.shape[:2]
    values = image * 2 - 1
    iterations = [int(i) for i in args.iterations.split(",")]
    rows = {}
    for kind in ("sobel", "central", "laplacian"):
        supervise = "laplacian" if kind == "laplacian" else "gradient"
        a, b = operator(kind, n, m), target(kind, values)
        check = float(np.abs(a @ values[..., 0].astype(np.float64).ravel() - b).max() / np.abs(b).max())
        rows[kind] = {"operator_matches_target": check, "zero_field_psnr": score(np.zeros(n * m), image, supervise),
                      "lsqr_psnr": {str(k): score(lsqr(a, b, iter_lim=k, atol=0, btol=0)[0], image, supervise) for k in iterations}}
        if supervise == "gradient":
            gradient = image_gradient(values, kind=kind)[..., 0, :].astype(np.float64)
            rows[kind]["band_limited_psnr"] = score(band_limited_integral(gradient).ravel(), image, supervise)
        print(kind, rows[kind], file=sys.stderr, flush=True)
    report = {"image": f"{args.image} {n}x{m}", "solver": "scipy.sparse.linalg.lsqr, atol=btol=0, from zero", "targets": rows}
    publish(args.out, report, provenance)


if __name__ == "__main__":
    main()
