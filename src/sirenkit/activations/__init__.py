"""Registry of activations: one file each, one line here."""

from __future__ import annotations

from sirenkit.activations.base import Activation
from sirenkit.activations.relu import ReLU
from sirenkit.activations.sine import Sine, sine_bound
from sirenkit.activations.tanh import Tanh
from sirenkit.errors import unknown_choice

ACTIVATIONS: dict[str, type[Activation]] = {"sine": Sine, "relu": ReLU, "tanh": Tanh}


def make_activation(name: str, *, omega_0: float = 30.0) -> Activation:
    """Instantiate the activation registered as `name` (omega_0 is used by periodic ones only)."""
    try:
        cls = ACTIVATIONS[name]
    except KeyError:
        raise unknown_choice("activation", name, ACTIVATIONS) from None
    return cls(omega_0) if cls.periodic else cls()


__all__ = ["ACTIVATIONS", "Activation", "ReLU", "Sine", "Tanh", "make_activation", "sine_bound"]
