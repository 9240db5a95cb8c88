"""The table of `sirenkit` commands: each one's name, one-line summary and the function that adds its full parser.

`sirenkit --help` and `sirenkit --version` are answered from this table alone, so they do not import
torch (1-2 s); only the chosen command's full parser is built, and it imports what its options need.
A test checks the task commands' summaries against the task registry, so the two cannot drift.
"""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass

TRAIN = "sirenkit.cli.train:add_task_parser"


@dataclass(frozen=True)
class Command:
    """One `sirenkit` subcommand: the line `--help` shows, and `module:function(subparsers, name)` that adds its parser."""

    summary: str
    builder: str

    def add_parser(self, subparsers: argparse._SubParsersAction, name: str) -> None:
        module, _, function = self.builder.partition(":")
        getattr(importlib.import_module(module), function)(subparsers, name)


COMMANDS = {
    "image": Command("Fit one image: every pixel is a training point (or every k-th, ``train_every``); metrics are PSNR and "
                     "SSIM on [0, 1].", TRAIN),
    "audio": Command("Fit an audio clip: time in [-1, 1] -> amplitude / max|amplitude|; metrics MSE and SNR (dB).", TRAIN),
    "video": Command("Fit a video: random pixels of the whole clip per step; metrics are mean and std of per-frame PSNR and "
                     "SSIM.", TRAIN),
    "poisson": Command("Reconstruct an image from its gradient or Laplacian alone (Poisson; paper Sec. 4.1).", TRAIN),
    "blend": Command("Seamless cloning: the fitted field has the background's values outside the mask and the guide's "
                     "gradients inside.", TRAIN),
    "sdf": Command("Fit a signed distance function to a point cloud or mesh; export the mesh in the input's units.", TRAIN),
    "helmholtz": Command("Solve the Helmholtz equation: a point source with a PML (complex; vs a solver) or --problem "
                         "dirichlet (real; vs exact).",
                         TRAIN),
    "helmholtz-inverse": Command("Recover a velocity map from receiver data of several sources (full-waveform inversion).",
                                 TRAIN),
    "wave": Command("Solve the 2-D wave equation from a Gaussian pulse at rest; score frames against an FDTD solver.", TRAIN),
    "fit-images": Command("Fit image k with member k of a StackedSiren: full grid every step, metrics on [0, 1].", TRAIN),
    "prior-train": Command("train a prior over faces on the training people; test MSE at 10/100/1000/half context pixels",
                           "sirenkit.cli.prior:add_prior_train_parser"),
    "inpaint": Command("inpaint faces from a few pixels with a trained prior", "sirenkit.cli.prior:add_inpaint_parser"),
    "render": Command("render a saved image, audio or video run at any resolution (by the run's task)",
                      "sirenkit.cli.runs:add_render_parser"),
    "mesh": Command("mesh a saved SDF run again, at any resolution", "sirenkit.cli.runs:add_mesh_parser"),
    "compare": Command("fit several models to one image with the same pixels, steps and seed",
                       "sirenkit.cli.compare:add_compare_parser"),
    "view": Command("look inside fitted fields in the browser: deep zoom, audio, SDF slices, live training curves",
                    "sirenkit.cli.view:add_view_parser"),
    "data": Command("list or download the real data files the examples use (audio, video, meshes, faces, FWI, DIV2K)",
                    "sirenkit.cli.data:add_data_parser"),
    "info": Command("describe a saved run or model (any task)", "sirenkit.cli.runs:add_info_parser"),
}
"""Every `sirenkit` command, in the order `--help` lists them."""

TASK_COMMANDS = {"image-set": "fit-images", "prior": "prior-train"}
"""Registry names whose command is spelt otherwise; every other task's command is its registry name."""


def task_of(command: str) -> str:
    """The registry name of a training command (`fit-images` -> `image-set`)."""
    return {c: t for t, c in TASK_COMMANDS.items()}.get(command, command)
