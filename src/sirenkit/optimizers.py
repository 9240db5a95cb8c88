"""The optimizers the fit loop can step: a name in `FitConfig.optimizer`, built here and nowhere else.

Adam is the paper's. SOAP (Vyas et al. 2024: Adam run in the eigenbasis of Shampoo's
preconditioner) comes from `heavyball`, a maintained library, rather than being written here;
it costs a few eigendecompositions of the weight matrices' gradient statistics per step, small
next to a step of a 256-wide field. L-BFGS (`torch.optim.LBFGS`, strong-Wolfe line search) is
the full-batch polish that PINN practice runs after a first-order phase (``polish_steps``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable

import torch
from torch import Tensor

from sirenkit.config import OPTIMIZERS


def make_optimizer(name: str, params: Iterable[Tensor], lr: float) -> torch.optim.Optimizer:
    """The first-phase optimizer `name` over `params`; the fit loop sets each group's lr every step.

    Trade-offs (measured in docs/convergence.md): SOAP takes fewer steps than Adam to a given
    training loss at a few percent more time per step, but on an image it fits noise between the
    samples (lower held-out PSNR, a noisier Laplacian); it keeps more state (two preconditioner
    matrices per weight).
    """
    params = list(params)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "soap":
        import heavyball

        heavyball.utils.compile_mode = None  # its default compiles every update with max-autotune: minutes on a CPU
        # the loop's schedule sets the lr every step, which heavyball supports with multi_tensor (its default) but warns about
        warnings.filterwarnings("ignore", message="Learning rate changed between steps", module="heavyball")
        # no weight decay: a field fits one signal, there is nothing to regularise towards
        return heavyball.SOAP(params, lr=lr, weight_decay=0.0)
    raise ValueError(f"unknown optimizer '{name}'; known: {', '.join(OPTIMIZERS)}")


def make_polish(params: Iterable[Tensor]) -> torch.optim.LBFGS:
    """L-BFGS for the polish phase: one iteration per fit step, a strong-Wolfe line search (no lr to tune).

    Each step evaluates the loss a few times (the line search), so a polish step costs 2–5 plain
    steps; it needs the full batch, because a line search on a changing sample is meaningless.
    """
    return torch.optim.LBFGS(list(params), lr=1.0, max_iter=1, history_size=50, line_search_fn="strong_wolfe")


def polish_closure(optimizer: torch.optim.LBFGS, first: Tensor, evaluate: Callable[[], Tensor]) -> Callable[[], Tensor]:
    """The closure of one L-BFGS iteration whose first loss evaluation is the one the loop already made.

    `first` is the loss whose gradients are in the parameters; `evaluate` recomputes the loss
    at the parameters the line search tries (the closure then backpropagates it). The fit loop
    passes the closure to ``optimizer.step``.
    """
    pending = [first.detach()]  # the loop's own evaluation, handed out once

    def closure() -> Tensor:
        if pending:
            return pending.pop()
        optimizer.zero_grad(set_to_none=True)
        loss = evaluate()
        loss.backward()
        return loss.detach()

    return closure
