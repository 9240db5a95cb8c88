"""Every figure sirenkit writes: PNG files drawn on a bare `matplotlib.figure.Figure`.

No pyplot: no global figure state and no backend switch, so a notebook user's backend is the same
after `sirenkit.fit(..., out=...)` as before. matplotlib is imported when a figure is drawn, not
when sirenkit is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sirenkit.io.run_dir import atomic_path
from sirenkit.metrics import psnr

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def figure(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], **subplots: object) -> tuple[Figure, np.ndarray]:
    """A constrained-layout Figure of its own (not registered with pyplot) and its (nrows, ncols) array of axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False, **subplots)


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 100) -> Path:
    """Write `fig` as a PNG, atomically (a reader never sees half a file)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    return path


def draw_derivative_panel(rows: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], *,
                          truth: np.ndarray | None = None) -> Figure:
    """One row per (label, image in [0, 1], |grad|, Laplacian): the paper's Fig. 1 layout.

    Each derivative panel is scaled to its own 99th percentile, with a colour bar, so it is never
    all black whatever the units. Given the `truth` image (in [0, 1]), every row that is not the
    truth gets its PSNR in the title and a fourth column, the error map |image - truth|.
    """
    columns = 3 if truth is None else 4
    fig, axes = figure(len(rows), columns, figsize=(3.7 * columns, 3.7 * len(rows)))
    for row, (label, image, g, lp) in zip(axes, rows):
        shown = image[..., 0] if image.shape[-1] == 1 else image[..., :3]
        row[0].imshow(shown, cmap="gray", vmin=0, vmax=1)
        vmax = max(float(np.percentile(g, 99)), 1e-12)
        fig.colorbar(row[1].imshow(g, cmap="magma", vmin=0, vmax=vmax), ax=row[1], shrink=0.8)
        row[1].set_title("|∇| (gradient norm)")
        lim = max(float(np.percentile(np.abs(lp), 99)), 1e-12)
        fig.colorbar(row[2].imshow(lp, cmap="RdBu_r", vmin=-lim, vmax=lim), ax=row[2], shrink=0.8)
        row[2].set_title("Δ (Laplacian)")
        for ax in row:
            ax.set_axis_off()
        if truth is None or image is truth:
            row[0].set_title(label)
            continue
        error = np.abs(image.astype(np.float64) - truth).mean(-1)
        row[0].set_title(f"{label}\nPSNR {psnr(image, truth):.2f} dB")
        bar = fig.colorbar(row[3].imshow(error, cmap="inferno", vmin=0, vmax=max(float(error.max()), 1e-12)), ax=row[3], shrink=0.8)
        bar.set_label("|error| (values in [0, 1])")
        row[3].set_title("error map |fit - truth|")
    return fig


def save_derivative_panel(path: str | Path, rows: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], *,
                          truth: np.ndarray | None = None) -> Path:
    """`draw_derivative_panel` as a PNG."""
    return save_figure(draw_derivative_panel(rows, truth=truth), path)


def image_grid(tiles: list[list[np.ndarray | None]], *, row_labels: list[str] = (), column_titles: list[str] = (),
               titles: list[list[str]] | None = None, tile_inches: float = 1.8) -> Figure:
    """Pictures in a labelled grid: a label left of each row, a title over each column (or over each tile).

    Tiles are (H, W), (H, W, 1) or (H, W, 3): floats in [0, 1] or uint8; None leaves a cell empty.
    """
    n_rows, n_cols = len(tiles), max(len(r) for r in tiles)
    h, w = next(t for r in tiles for t in r if t is not None).shape[:2]
    fig, axes = figure(n_rows, n_cols, figsize=(tile_inches * n_cols * max(w / h, 0.5) + 0.6, tile_inches * n_rows + 0.4))
    for i, row in enumerate(axes):
        for j, ax in enumerate(row):
            tile = tiles[i][j] if j < len(tiles[i]) else None
            ax.set_xticks([])
            ax.set_yticks([])
            if tile is None:
                ax.set_axis_off()
                continue
            picture = np.clip(tile.astype(np.float32) / 255.0 if tile.dtype == np.uint8 else tile, 0.0, 1.0)
            if picture.ndim == 2 or picture.shape[-1] == 1:
                ax.imshow(picture.reshape(picture.shape[:2]), cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            else:
                ax.imshow(picture[..., :3], interpolation="nearest")
            title = titles[i][j] if titles is not None else (column_titles[j] if i == 0 and j < len(column_titles) else "")
            if title:
                ax.set_title(title, fontsize=9)
            if j == 0 and i < len(row_labels):
                ax.set_ylabel(row_labels[i])
    return fig


def save_image_grid(path: str | Path, tiles: list[list[np.ndarray | None]], **labels: object) -> Path:
    """`image_grid` as a PNG."""
    return save_figure(image_grid(tiles, **labels), path)  # type: ignore[arg-type]


def save_complex_field_panels(path: str | Path, rows: list[tuple[str, np.ndarray]], velocity: np.ndarray, pml_width: float,
                              velocity_label: str = "velocity") -> Path:
    """One row per (label, complex (n, n) field): real, imaginary, magnitude; the velocity beside the first row.

    Fields are indexed [i, j] at (x_i, y_j) and drawn with x to the right, y up; the dashed square
    is the inner edge of the PML.
    """
    fig, axes = figure(len(rows), 4, figsize=(14, 3.4 * len(rows)))
    extent = (-1, 1, -1, 1)
    for r, (label, values) in enumerate(rows):
        lim = max(float(np.nanpercentile(np.abs(values), 99.5)), 1e-12)
        panels = [(values.real, "RdBu_r", -lim, lim, "real"), (values.imag, "RdBu_r", -lim, lim, "imaginary"),
                  (np.abs(values), "magma", 0, lim, "magnitude")]
        for ax, (image, cmap, vmin, vmax, title) in zip(axes[r], panels):
            fig.colorbar(ax.imshow(image.T, origin="lower", extent=extent, cmap=cmap, vmin=vmin, vmax=vmax), ax=ax, shrink=0.8)
            ax.set_title(f"{label}: {title}")
        last = axes[r, 3]
        if r == 0:
            fig.colorbar(last.imshow(velocity.T, origin="lower", extent=extent, cmap="viridis"), ax=last, shrink=0.8)
            last.set_title(velocity_label)
        else:
            last.set_axis_off()
        inner = 1.0 - pml_width
        for ax in axes[r, :3] if r else axes[r]:
            ax.plot([-inner, inner, inner, -inner, -inner], [-inner, -inner, inner, inner, -inner], "k--", lw=0.6)
            ax.set_xticks([])
            ax.set_yticks([])
    return save_figure(fig, path, dpi=80)


def save_real_field_panels(path: str | Path, rows: list[tuple[str, np.ndarray]], *,
                           extent: tuple[float, float, float, float] = (-1, 1, -1, 1)) -> Path:
    """One panel per (label, real (n, n) field) side by side, each on a symmetric scale; [i, j] at (x_i, y_j), y up."""
    fig, axes = figure(1, len(rows), figsize=(4.2 * len(rows), 3.6))
    for ax, (label, values) in zip(axes[0], rows):
        lim = max(float(np.nanmax(np.abs(values))), 1e-12)
        fig.colorbar(ax.imshow(values.T, origin="lower", extent=extent, cmap="RdBu_r", vmin=-lim, vmax=lim), ax=ax, shrink=0.8)
        ax.set_title(label)
    return save_figure(fig, path, dpi=80)


def save_velocity_panel(path: str | Path, fitted: np.ndarray, truth: np.ndarray, receivers: np.ndarray, sources: np.ndarray) -> Path:
    """Fitted and true velocity side by side on one colour scale, with receivers (x) and sources (*)."""
    fig, axes = figure(1, 2, figsize=(9, 4))
    vmin, vmax = min(fitted.min(), truth.min()), max(fitted.max(), truth.max())
    for ax, (title, image) in zip(axes[0], (("fitted velocity", fitted), ("true velocity", truth))):
        im = ax.imshow(image.T, origin="lower", extent=(-1, 1, -1, 1), cmap="viridis", vmin=vmin, vmax=vmax)
        ax.plot(receivers[:, 0], receivers[:, 1], "wx", ms=3)
        ax.plot(sources[:, 0], sources[:, 1], "r*", ms=6)
        ax.set_title(title)
    fig.colorbar(im, ax=list(axes[0]), shrink=0.8)
    return save_figure(fig, path, dpi=80)


def draw_wave_frames(frames: np.ndarray, reference: np.ndarray, times: tuple[float, ...], *, method: str) -> Figure:
    """A grid of frames over time: the network (`method`, e.g. "SIREN"), FDTD reference and their difference.

    Each column shares one symmetric colour scale, the reference frame's largest |u|, shown by its colour bar.
    """
    rows = ((method, frames), ("FDTD reference", reference), ("difference", frames - reference))
    fig, axes = figure(3, len(times), figsize=(2.6 * len(times), 6.8))
    for j, t in enumerate(times):
        lim = max(float(np.abs(reference[j]).max()), 1e-12)
        for i, (label, stack) in enumerate(rows):
            ax = axes[i, j]
            image = ax.imshow(stack[j].T, cmap="RdBu_r", vmin=-lim, vmax=lim, origin="lower", extent=(-1, 1, -1, 1))
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"t = {t:g}")
            if j == 0:
                ax.set_ylabel(label)
        fig.colorbar(image, ax=list(axes[:, j]), shrink=0.8, location="bottom", label="u (wave field)", ticks=[-lim, 0, lim],
                     format="{x:.2g}")
    return fig


def save_wave_frames(path: str | Path, frames: np.ndarray, reference: np.ndarray, times: tuple[float, ...], *,
                     method: str = "SIREN") -> Path:
    """`draw_wave_frames` as a PNG."""
    return save_figure(draw_wave_frames(frames, reference, times, method=method), path, dpi=80)


def field_label(field: object) -> str:
    """A figure's name for a fitted field: "SIREN", "tanh MLP", "relu MLP + positional", or the class name."""
    config = getattr(field, "config", None)
    activation = getattr(config, "activation", None)
    if not isinstance(activation, str):
        return type(field).__name__
    name = "SIREN" if activation == "sine" else f"{activation} MLP"
    encoding = getattr(config, "encoding", "identity")
    return name if encoding in ("identity", None) else f"{name} + {encoding}"


def save_waveform(path: str | Path, truth: np.ndarray, pred: np.ndarray, sample_rate: int) -> Path:
    """Ground truth, fit and error of the first channel against time (paper Fig. 3 layout)."""
    t = np.arange(len(truth)) / sample_rate
    fig, axes = figure(3, 1, figsize=(10, 6), sharex=True)
    axes = axes[:, 0]
    rows = [("ground truth", truth[:, 0], "C0"), ("fit", pred[:, 0], "C1"), ("error (fit - truth)", pred[:, 0] - truth[:, 0], "C3")]
    for ax, (label, values, colour) in zip(axes, rows):
        ax.plot(t, values, lw=0.3, color=colour)
        ax.set_ylabel(label)
    axes[0].set_ylim(-1.05, 1.05)
    axes[1].set_ylim(-1.05, 1.05)
    axes[-1].set_xlabel("time (s); amplitude normalised to max |x| = 1" + (", channel 1" if truth.shape[1] > 1 else ""))
    return save_figure(fig, path)


def save_spectrogram(path: str | Path, truth: np.ndarray, pred: np.ndarray, sample_rate: int) -> Path:
    """Log-power spectrograms (dB) of ground truth and fit, channels averaged, on one colour scale."""
    from scipy.signal import spectrogram

    nperseg = int(min(1024, 2 ** np.floor(np.log2(max(16, len(truth) // 16)))))  # >= 16 windows for short clips
    specs = []
    for values in (truth.mean(1), pred.mean(1)):
        freqs, times, power = spectrogram(values, fs=sample_rate, nperseg=nperseg, noverlap=nperseg // 2)
        specs.append(10.0 * np.log10(power + 1e-12))
    vmax = float(specs[0].max())
    fig, axes = figure(1, 2, figsize=(11, 4), sharey=True)
    for ax, spec, label in zip(axes[0], specs, ("ground truth", "fit")):
        image = ax.pcolormesh(times, freqs, spec, shading="auto", cmap="magma", vmin=vmax - 100.0, vmax=vmax)
        ax.set_title(label)
        ax.set_xlabel("time (s)")
    axes[0, 0].set_ylabel("frequency (Hz)")
    fig.colorbar(image, ax=list(axes[0]), label="power (dB)")
    return save_figure(fig, path)


def save_frame_psnr(path: str | Path, psnrs: list[float]) -> Path:
    """PSNR of every frame against its index, with the mean +- std in the title."""
    fig, axes = figure(1, 1, figsize=(7, 3))
    ax = axes[0, 0]
    ax.plot(np.arange(len(psnrs)), psnrs, marker="." if len(psnrs) < 60 else None)
    ax.set_xlabel("frame")
    ax.set_ylabel("PSNR (dB)")
    ax.set_title(f"per-frame PSNR: {np.mean(psnrs):.2f} +- {np.std(psnrs):.2f} dB")
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


def draw_sdf_slices(slices: list[tuple[str, float, str, str, np.ndarray, np.ndarray, np.ndarray]]) -> Figure:
    """Contour plots of an SDF on planes, one per (normal axis, its position, x label, y label, u, v, values (len(v), len(u))).

    The zero level (the surface) is drawn in black on a symmetric colour scale labelled "signed distance".
    """
    fig, axes = figure(1, len(slices), figsize=(4.5 * len(slices), 4.4))
    for ax, (axis, position, xlabel, ylabel, u, v, values) in zip(axes[0], slices):
        lim = max(float(np.abs(values).max()), 1e-12)
        filled = ax.contourf(u, v, values, levels=np.linspace(-lim, lim, 21), cmap="RdBu_r")
        ax.contour(u, v, values, levels=[0.0], colors="k", linewidths=1.5)
        ax.set_aspect("equal")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(f"slice {axis} = {round(position, 2) + 0.0:.2f} (black: surface)")  # + 0.0: never "-0.00"
        fig.colorbar(filled, ax=ax, shrink=0.85, label="signed distance", ticks=np.linspace(-lim, lim, 5), format="{x:.2g}")
    return fig


def save_sdf_slices(path: str | Path, slices: list[tuple[str, float, str, str, np.ndarray, np.ndarray, np.ndarray]]) -> Path:
    """`draw_sdf_slices` as a PNG."""
    return save_figure(draw_sdf_slices(slices), path, dpi=80)


__all__ = ["draw_derivative_panel", "draw_sdf_slices", "draw_wave_frames", "field_label", "figure", "image_grid",
           "save_complex_field_panels", "save_derivative_panel", "save_figure", "save_frame_psnr", "save_image_grid",
           "save_sdf_slices", "save_spectrogram", "save_velocity_panel", "save_wave_frames", "save_waveform"]
