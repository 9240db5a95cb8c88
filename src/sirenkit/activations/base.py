"""What an activation is: a nonlinearity that owns the weight init that suits it."""

from __future__ import annotations

from torch import Tensor, nn


class Activation(nn.Module):
    """A nonlinearity plus its weight init (as the reference code pairs them in `nls_and_inits`).

    Subclasses set ``periodic = True`` when they take an ``omega_0`` frequency scale, and
    ``scaled = True`` when they take a Gaussian width ``scale`` (both when they take both).
    """

    periodic: bool = False
    scaled: bool = False

    @classmethod
    def create(cls, *, omega_0: float, scale: float) -> Activation:
        """An instance with the options this activation uses (the rest are ignored)."""
        options = {"omega_0": omega_0} if cls.periodic else {}
        options |= {"scale": scale} if cls.scaled else {}
        return cls(**options)

    def forward(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def init_linear_(self, linear: nn.Linear, *, is_first: bool) -> None:
        """Initialise `linear`, the layer whose output this activation receives."""
        raise NotImplementedError
