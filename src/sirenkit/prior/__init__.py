"""Priors over SIRENs: learn from many faces, inpaint a new one from a few pixels (paper Sec. 4.4)."""

from sirenkit.prior.config import MODELS, PriorConfig
from sirenkit.prior.context import CONTEXT_CHOICES, Context, eval_context, random_context
from sirenkit.prior.models import HypernetPrior, ModulatedPrior, batched_siren, build_prior

__all__ = ["CONTEXT_CHOICES", "MODELS", "Context", "HypernetPrior", "ModulatedPrior", "PriorConfig", "batched_siren",
           "build_prior", "eval_context", "random_context"]
