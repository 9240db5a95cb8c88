"""Sine in a VQ-VAE-style conv autoencoder: ReLU vs sine (default init) vs sine + SIREN init (omega_0 1, 30).

Olivetti faces 64x64, people 0-31 train (320 images), 32-39 test (80). Same seed, steps, batch and
Adam learning rate for every variant. Reports test reconstruction PSNR, PSNR of the Sobel
gradients (Sobel / 8 of [0, 1] images, peak 1), codebook usage on the test set, divergence, and the
per-layer statistics at init (`sirenkit.nn.preactivation_stats` on the training images).

    python benchmarks/bench_autoencoder.py [--steps 200] [--out benchmarks/results/autoencoder.json]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from sirenkit.metrics import psnr
from sirenkit.nn import preactivation_stats
from sirenkit.versions import versions

sys.path.insert(0, str(Path(__file__).parent))
from _autoencoder import VARIANTS, ConvAutoencoder, load_faces, train_step  # noqa: E402
from _results import Provenance, publish  # noqa: E402

SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0


def sobel(images: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) -> (N, 2, H, W) Sobel derivatives, replicate-padded."""
    kernels = torch.stack([SOBEL_X, SOBEL_X.t()])[:, None]
    return F.conv2d(F.pad(images, (1, 1, 1, 1), mode="replicate"), kernels)


def evaluate(model: ConvAutoencoder, images: torch.Tensor, codes: int) -> dict:
    with torch.no_grad():
        recon, vq_loss, index = model(images)
    target01, recon01 = (images + 1) / 2, ((recon + 1) / 2).clamp(0, 1)
    counts = torch.bincount(index.flatten(), minlength=codes).double()
    p = counts / counts.sum()
    entropy = float(-(p[p > 0] * p[p > 0].log()).sum())
    return {"psnr": psnr(recon01.numpy(), target01.numpy()),
            "sobel_psnr": psnr(sobel(recon01).numpy(), sobel(target01).numpy()),
            "recon_mse": float(F.mse_loss(recon, images)), "vq_loss": float(vq_loss),
            "codes_used": float((counts > 0).double().mean()), "perplexity": math.exp(entropy)}, recon01


def run(variant: str, train: torch.Tensor, test: torch.Tensor, args) -> tuple[dict, torch.Tensor]:
    torch.manual_seed(args.seed)
    model = ConvAutoencoder(variant, width=args.width, dim=args.dim, codes=args.codes)
    init_stats = preactivation_stats(model, train[:64], omega=model.sine_omegas())
    before = evaluate(model, test, args.codes)[0]
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    generator = torch.Generator().manual_seed(args.seed)
    start, history = time.perf_counter(), []
    for _ in range(args.steps):
        batch = train[torch.randint(len(train), (args.batch,), generator=generator)]
        recon_loss, vq_loss = train_step(model, optimizer, batch)
        history.append((recon_loss, vq_loss))
        if not (math.isfinite(recon_loss) and math.isfinite(vq_loss)):
            break
    seconds = time.perf_counter() - start
    after, recon01 = evaluate(model, test, args.codes)
    finite = all(math.isfinite(a) and math.isfinite(b) for a, b in history)
    diverged = not finite or not after["recon_mse"] < before["recon_mse"]
    print(f"{variant}: {after['psnr']:.2f} dB, sobel {after['sobel_psnr']:.2f} dB, codes {after['codes_used']:.2f}, "
          f"perplexity {after['perplexity']:.1f}, {seconds:.0f} s", file=sys.stderr)
    return {"test": after, "test_before_training": before, "diverged": diverged, "train_seconds": seconds,
            "train_loss_first_last": {"recon": [history[0][0], history[-1][0]], "vq": [history[0][1], history[-1][1]]},
            "init_layer_stats": init_stats}, recon01


def save_picture(path: Path, test01: torch.Tensor, recons: dict[str, torch.Tensor], results: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    picks = [0, 10, 20, 30, 40, 50]
    rows = {"test image": test01, **recons}
    fig, axes = plt.subplots(len(rows), len(picks), figsize=(len(picks) * 1.1, len(rows) * 1.2))
    for r, (name, images) in enumerate(rows.items()):
        label = name if name == "test image" else f"{name}\n{results[name]['test']['psnr']:.1f} dB"
        for c, i in enumerate(picks):
            axes[r, c].imshow(images[i, 0].numpy(), cmap="gray", vmin=0, vmax=1)
            axes[r, c].set_xticks([]), axes[r, c].set_yticks([])
        axes[r, 0].set_ylabel(label, fontsize=7)
    fig.tight_layout(pad=0.2)
    fig.savefig(path, dpi=60)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--codes", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("SIRENKIT_DATA", "../shared/data")))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/autoencoder.json"))
    parser.add_argument("--picture", type=Path, default=Path("docs/autoencoder_recon.png"))
    args = parser.parse_args()
    provenance = Provenance("autoencoder")
    images, person = load_faces(args.data / "faces" / "olivettifaces.mat")
    train, test = images[person < 32], images[person >= 32]
    results, recons = {}, {}
    for variant in VARIANTS:
        results[variant], recons[variant] = run(variant, train, test, args)
    report = {"benchmark": "autoencoder", "command": " ".join(["python", *sys.argv]),
              "data": "Olivetti 64x64, people 0-31 train (320), 32-39 test (80)",
              "network": f"conv VQ autoencoder, widths {args.width}/{2 * args.width}, 16x16 codes of dim {args.dim}, "
                         f"{args.codes} codes", "budget": {k: getattr(args, k) for k in ("steps", "batch", "lr", "seed")},
              "threads": torch.get_num_threads(), "versions": versions(), "results": results,
              "siren_assumption": {"hidden_std": 1.0, "hidden_beyond_pi": 0.0017, "input_std": "0.66-0.71",
                                   "input_neighbour_corr": 0.0}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    publish(Path(args.out), report, provenance)
    save_picture(args.picture, (test + 1) / 2, recons, results)
    print("| variant | test PSNR (dB) | Sobel PSNR (dB) | codes used | perplexity | diverged |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, r in results.items():
        t = r["test"]
        print(f"| {name} | {t['psnr']:.2f} | {t['sobel_psnr']:.2f} | {t['codes_used']:.2f} | {t['perplexity']:.1f} | "
              f"{'yes' if r['diverged'] else 'no'} |")
    print("\n| variant | layer | fan-in | input std | input neighbour corr | z std | abs(z) > pi |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, r in results.items():
        for layer, s in r["init_layer_stats"].items():
            print(f"| {name} | {layer} | {s['fan_in']} | {s['input_std']:.3f} | {s['input_neighbour_corr']:.2f} | "
                  f"{s['std']:.3f} | {s['beyond_pi']:.3f} |")


if __name__ == "__main__":
    main()
