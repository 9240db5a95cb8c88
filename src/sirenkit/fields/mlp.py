"""A plain MLP with any registered activation: the baselines, and a reference for Siren."""

from __future__ import annotations

from torch import Tensor, nn

from sirenkit.activations import make_activation
from sirenkit.config import FieldConfig
from sirenkit.fields.base import check_coords, linear_layers


class MLP(nn.Module):
    """coords (..., in_features) -> values (..., out_features) through linear + activation layers.

    Same layer layout and parameter names as `Siren` (``layers.0`` ... ``layers.{L+1}``), so a
    ``MLP(activation="sine")`` built with the same seed holds the same weights and serves as the
    plain-PyTorch reference that the fused Siren is tested against. Each activation initialises
    the layer that feeds it (the reference code's pairing of nonlinearity and init).

    Args:
        in_features, hidden_features, hidden_layers, out_features: as in `Siren`.
        activation: a name in `sirenkit.activations.ACTIVATIONS`.
        first_omega_0, hidden_omega_0: used by periodic activations only.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: int,
        hidden_layers: int,
        out_features: int,
        *,
        activation: str = "relu",
        first_omega_0: float = 30.0,
        hidden_omega_0: float = 30.0,
    ) -> None:
        super().__init__()
        self.config = FieldConfig(activation, hidden_features, hidden_layers, first_omega_0, hidden_omega_0, in_features, out_features)
        self.in_features, self.out_features = in_features, out_features
        self.layers = linear_layers(in_features, hidden_features, hidden_layers, out_features)
        omegas = [first_omega_0] + [hidden_omega_0] * (len(self.layers) - 1)
        self.activations = nn.ModuleList(make_activation(activation, omega_0=w) for w in omegas[:-1])
        for i, layer in enumerate(self.layers):
            make_activation(activation, omega_0=omegas[i]).init_linear_(layer, is_first=i == 0)

    def forward(self, coords: Tensor) -> Tensor:
        check_coords(coords, self.in_features)
        x = coords
        for layer, act in zip(self.layers, self.activations):
            x = act(layer(x))
        return self.layers[-1](x)
