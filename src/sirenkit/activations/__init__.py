"""Registry of activations: one file each, one line here."""

from __future__ import annotations

from sirenkit.activations.base import Activation
from sirenkit.activations.elu import ELU
from sirenkit.activations.finer import Finer
from sirenkit.activations.gauss import Gauss
from sirenkit.activations.relu import ReLU
from sirenkit.activations.selu import SELU
from sirenkit.activations.sigmoid import Sigmoid
from sirenkit.activations.sine import Sine, sine_bound
from sirenkit.activations.softplus import Softplus
from sirenkit.activations.tanh import Tanh
from sirenkit.activations.wire import Wire
from sirenkit.errors import unknown_choice

ACTIVATIONS: dict[str, type[Activation]] = {
    "sine": Sine, "relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "softplus": Softplus, "elu": ELU, "selu": SELU,
    "gauss": Gauss, "wire": Wire, "finer": Finer,
}


def make_activation(name: str, *, omega_0: float = 30.0, scale: float = 10.0) -> Activation:
    """Instantiate the activation registered as `name`.

    omega_0 is used by periodic ones (sine, finer, wire), scale by Gaussian ones (gauss, wire).
    """
    try:
        cls = ACTIVATIONS[name]
    except KeyError:
        raise unknown_choice("activation", name, ACTIVATIONS) from None
    return cls.create(omega_0=omega_0, scale=scale)


__all__ = ["ACTIVATIONS", "ELU", "SELU", "Activation", "Finer", "Gauss", "ReLU", "Sigmoid", "Sine", "Softplus", "Tanh", "Wire",
           "make_activation", "sine_bound"]
