"""Fields: nn.Modules mapping coordinates to values."""

from sirenkit.fields.build import build_field
from sirenkit.fields.mlp import MLP
from sirenkit.fields.siren import Siren

__all__ = ["MLP", "Siren", "build_field"]
