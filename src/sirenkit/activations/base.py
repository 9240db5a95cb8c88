"""What an activation is: a nonlinearity that owns the weight init that suits it."""

from __future__ import annotations

from torch import Tensor, nn


class Activation(nn.Module):
    """A nonlinearity plus its weight init (as the reference code pairs them in `nls_and_inits`).

    Subclasses set ``periodic = True`` when they take an ``omega_0`` frequency scale.
    """

    periodic: bool = False

    def forward(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def init_linear_(self, linear: nn.Linear, *, is_first: bool) -> None:
        """Initialise `linear`, the layer whose output this activation receives."""
        raise NotImplementedError
