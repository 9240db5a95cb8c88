"""Fields: nn.Modules mapping coordinates to values."""

from sirenkit.fields.mlp import MLP, build_field
from sirenkit.fields.siren import Siren

__all__ = ["MLP", "Siren", "build_field"]
