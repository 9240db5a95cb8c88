"""A plain MLP with any registered activation and encoding: the baselines, and a reference for Siren."""

from __future__ import annotations

from torch import Tensor, nn

from sirenkit.activations import make_activation
from sirenkit.config import FieldConfig
from sirenkit.fields.base import check_coords, linear_layers, scale_weights_
from sirenkit.fields.encodings import make_encoding


class MLP(nn.Module):
    """coords (..., in_features) -> values (..., out_features) through an encoding, linear + activation layers.

    Without an encoding it has the same layer layout and parameter names as `Siren` (``layers.0``
    ... ``layers.{L+1}``), so a ``MLP(activation="sine")`` built with the same seed holds the same
    weights and serves as the plain-PyTorch reference that the fused Siren is tested against.
    Each activation initialises the layer that feeds it (the reference code's pairing of
    nonlinearity and init); the encoding (``encoding.*``) comes first, so the first linear layer
    sees ``encoding.out_features`` inputs.

    Args:
        in_features, hidden_features, hidden_layers, out_features: as in `Siren`.
        activation: a name in `sirenkit.activations.ACTIVATIONS`.
        first_omega_0, hidden_omega_0: used by periodic activations only (sine, finer, wire).
        scale: width of the gauss and wire activations.
        encoding, encoding_frequencies, encoding_features, fourier_scale, weight_scale: as in `FieldConfig`.
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
        scale: float = 10.0,
        encoding: str = "identity",
        encoding_frequencies: int = 0,
        encoding_features: int = 0,
        fourier_scale: float = 10.0,
        weight_scale: float = 1.0,
    ) -> None:
        super().__init__()
        self.config = FieldConfig(activation, hidden_features, hidden_layers, first_omega_0, hidden_omega_0, in_features, out_features,
                                  scale=scale, encoding=encoding, encoding_frequencies=encoding_frequencies,
                                  encoding_features=encoding_features, fourier_scale=fourier_scale, weight_scale=weight_scale)
        self.in_features, self.out_features = in_features, out_features
        self.encoding = make_encoding(self.config)
        self.layers = linear_layers(self.encoding.out_features, hidden_features, hidden_layers, out_features)
        omegas = [first_omega_0] + [hidden_omega_0] * (len(self.layers) - 1)
        self.activations = nn.ModuleList(make_activation(activation, omega_0=w, scale=scale) for w in omegas[:-1])
        for i, layer in enumerate(self.layers):
            make_activation(activation, omega_0=omegas[i], scale=scale).init_linear_(layer, is_first=i == 0)
        scale_weights_(self.layers, weight_scale)

    def forward(self, coords: Tensor) -> Tensor:
        check_coords(coords, self.in_features)
        x = self.encoding(coords)
        for layer, act in zip(self.layers, self.activations):
            x = act(layer(x))
        return self.layers[-1](x)
