"""The settings of one prior run, saved as config.json in its run folder."""

from __future__ import annotations

from dataclasses import dataclass

from sirenkit.config import DEVICES, check_choice, check_positive
from sirenkit.errors import ConfigError

MODELS = ("hypernet-set", "hypernet-conv", "modulated")


@dataclass
class PriorConfig:
    """A prior over 2-D grey images (the Olivetti faces): model, data, and training settings.

    Defaults are sized for a 2-core CPU (a model trains in minutes): SIREN 64 wide where the paper
    uses 256, latent 128 where it uses 256. The loss weights are the reference code's.
    """

    model: str = "hypernet-set"
    """hypernet-set (set encoder + hypernetwork), hypernet-conv (conv encoder + hypernetwork), modulated (FiLM shifts)."""
    faces: str = ""
    """Path of olivettifaces.mat; empty = $SIRENKIT_DATA/faces/olivettifaces.mat (SIRENKIT_DATA defaults to ../shared/data)."""
    size: int = 32
    """Image side in pixels, by area averaging of the 64x64 photos: 32 (the paper's CelebA size) or 64."""
    test_people: int = 8
    """People held out for testing (of 40); the split is by person, so test faces are unseen identities."""
    hidden_features: int = 64
    """Width of the generated SIREN's hidden layers (paper: 256; 64 keeps CPU training to minutes)."""
    hidden_layers: int = 3
    """Hidden-to-hidden layers of the generated SIREN (paper: 3)."""
    first_omega_0: float = 30.0
    """Frequency scale of the SIREN's first layer (paper: 30)."""
    hidden_omega_0: float = 30.0
    """Frequency scale of the SIREN's hidden layers (paper: 30)."""
    latent_features: int = 128
    """Size of the latent code (paper: 256)."""
    encoder_features: int = 128
    """Width of the set encoder's SIREN, or channels of the conv encoder's last stage (paper: 256)."""
    hyper_hidden_features: int = 128
    """Width of the hypernetwork's one hidden layer, per SIREN parameter tensor (paper: 256)."""
    inner_steps: int = 3
    """modulated: gradient steps that fit the latent to the context pixels, in training and at test time (functa: 3)."""
    inner_lr: float = 0.01
    """modulated: initial step size of those steps; learned per latent entry (Meta-SGD, as functa; functa: 1e-2)."""
    context_min: int = 10
    """Fewest context pixels shown per training face (reference: 10)."""
    context_max: int = 1000
    """Most context pixels shown per training face; counts are log-uniform in [min, max] (reference: uniform 10-200)."""
    kl_weight: float = 0.1
    """Weight of mean(latent^2) in the loss (reference code kl_weight 0.1)."""
    fw_weight: float = 100.0
    """hypernet: weight of mean(generated SIREN parameter^2) in the loss (reference code fw_weight 100)."""
    steps: int = 2000
    """Optimizer steps (never epochs)."""
    batch_size: int = 32
    """Faces per step, over all processes (with torchrun each process takes batch_size / world size)."""
    lr: float = 3e-4
    """Adam learning rate at the start; cosine decay to 0.05 x lr (reference: 5e-5 constant over 400 CelebA epochs)."""
    clip_grad: float = 1.0
    """Clip the gradient norm to this value (reference: clip_grad on, 1.0); 0 turns it off."""
    flip: bool = True
    """Mirror training faces left-right at random (the Olivetti set is small: 320 training photos)."""
    seed: int = 0
    """Seed of the init, the split, the faces and contexts of each step."""
    log_every: int = 50
    """Write one line of metrics.jsonl every this many steps."""
    save_every: int = 250
    """Write checkpoint.pt every this many steps (atomically), so a killed run can --resume."""
    max_seconds: float = 0.0
    """Stop after this much training time in seconds; 0 turns it off."""
    device: str = "auto"
    """Where to train: auto (cuda when available), cpu, cuda (with torchrun: cuda:LOCAL_RANK) or mps (Apple GPUs)."""

    def __post_init__(self) -> None:
        check_choice(self, "model", MODELS)
        check_choice(self, "device", DEVICES)
        check_positive(self, "size", "test_people", "hidden_features", "latent_features", "encoder_features",
                       "hyper_hidden_features", "inner_steps", "context_min", "context_max", "steps", "batch_size",
                       "lr", "inner_lr", "log_every", "save_every", "first_omega_0", "hidden_omega_0")
        check_positive(self, "hidden_layers", "kl_weight", "fw_weight", "clip_grad", "max_seconds", allow_zero=True)
        if self.size not in (8, 16, 32, 64):
            raise ConfigError(f"size={self.size}: the 64x64 faces are area-averaged by a whole factor; use 32 (paper) or 64.")
        if self.context_min > self.context_max:
            raise ConfigError(f"context_min={self.context_min} > context_max={self.context_max}; "
                              "pass a range such as --context-min 10 --context-max 200.")
        if self.context_max > self.size * self.size:
            raise ConfigError(f"context_max={self.context_max} is larger than the image ({self.size}x{self.size} = "
                              f"{self.size * self.size} pixels); lower --context-max.")
