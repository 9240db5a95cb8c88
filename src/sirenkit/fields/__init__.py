"""Fields: nn.Modules mapping coordinates to values."""

from sirenkit.fields.build import build_field, field_config_for
from sirenkit.fields.encodings import ENCODINGS
from sirenkit.fields.mlp import MLP
from sirenkit.fields.siren import Siren
from sirenkit.fields.stacked import StackedSiren, fit_images

__all__ = ["ENCODINGS", "MLP", "Siren", "StackedSiren", "build_field", "field_config_for", "fit_images"]
