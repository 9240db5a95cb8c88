"""Loading a trained prior; `train_prior`, the name before 0.2, now trains a `PriorTask` on `sirenkit.fit`."""

from __future__ import annotations

import warnings
from pathlib import Path

from sirenkit.errors import DataError
from sirenkit.io.faces import Faces
from sirenkit.prior.config import PriorConfig
from sirenkit.prior.context import EVAL_SEED
from sirenkit.prior.models import PriorModel
from sirenkit.runs import PRIOR, load_run
from sirenkit.tasks.prior import PriorResult, evaluate_prior, fit_prior, load_split, peak_rss_mib


def train_prior(config: PriorConfig, out: str | Path | None = None, *, resume: bool = False,
                train_faces: Faces | None = None, test_faces: Faces | None = None) -> PriorResult:
    """Deprecated alias of `sirenkit.tasks.prior.fit_prior` (FutureWarning); the name goes in the next release."""
    warnings.warn("sirenkit.prior.train.train_prior is now sirenkit.tasks.prior.fit_prior (a PriorTask on sirenkit.fit); "
                  "the old name goes in the next release.", FutureWarning, stacklevel=2)
    return fit_prior(config, out, resume=resume, train_faces=train_faces, test_faces=test_faces)


def load_prior(run: str | Path) -> tuple[PriorModel, PriorConfig]:
    """Rebuild a trained prior on the CPU, in eval mode, from its run folder (config.json + checkpoint.pt).

    Raises:
        DataError: not a prior run folder, or a checkpoint of another model.
    """
    from sirenkit.config import from_dict

    loaded = load_run(run)
    if loaded.task != PRIOR:
        raise DataError(f"{run}: is a '{loaded.task}' run, not a prior; pass a run made by 'sirenkit prior-train'.")
    return loaded.model, from_dict(PriorConfig, loaded.config.task_config, where="task_config")  # type: ignore[return-value, union-attr]


__all__ = ["EVAL_SEED", "PriorResult", "evaluate_prior", "load_prior", "load_split", "peak_rss_mib", "train_prior"]
