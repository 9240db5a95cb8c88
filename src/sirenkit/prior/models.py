"""Priors over SIRENs (paper Sec. 4.4): context pixels -> latent code -> the weights of a SIREN.

Two ways from a latent to a SIREN, both evaluated through ``torch.func.functional_call`` on the
ordinary `Siren`, batched over images with ``torch.func.vmap``:

- `HypernetPrior`: a set encoder (over (coordinate, value) pairs) or a conv encoder (over the
  sparse image) gives the latent; a hypernetwork emits every SIREN parameter (the paper's model).
- `ModulatedPrior`: one shared SIREN; the latent sets FiLM shifts of each sine layer
  (sin(omega_0 (W x + b + shift)), as functa and pi-GAN), and is found by a few gradient steps
  on the context pixels from zero (auto-decoding, meta-learned as in functa / CAVIA), so no
  encoder is needed and the same steps run at test time.

Every model's ``forward(images, context)`` returns its unweighted training loss terms (one call,
so DistributedDataParallel sees one forward per step); ``inpaint`` and ``render`` are for use.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call, vmap

from sirenkit.errors import ShapeError
from sirenkit.fields.siren import Siren
from sirenkit.prior.config import PriorConfig
from sirenkit.prior.context import Context
from sirenkit.samplers import grid


def batched_siren(siren: Siren, params: dict[str, Tensor], coords: Tensor, *, batched: dict[str, bool] | None = None) -> Tensor:
    """Evaluate B SIRENs that share `siren`'s architecture, with per-image parameters, at coords.

    Args:
        siren: the architecture (its own parameters are not used for keys present in `params`).
        params: name -> (B, *shape) tensor, or the plain (*shape) tensor where `batched[name]` is False.
        coords: (P, 2) shared by every image, or (B, P, 2).

    Shape:
        returns: (B, P, out_features)
    """
    batched = batched or {}
    # Plain tensors (a view of a shared nn.Parameter is one) send Siren down its composite path,
    # which vmap and higher-order gradients support; its fused node serves its own parameters only.
    params = {k: v.view_as(v) if isinstance(v, nn.Parameter) else v for k, v in params.items()}
    in_dims = ({k: 0 if batched.get(k, True) else None for k in params}, 0 if coords.dim() == 3 else None)
    return vmap(lambda p, x: functional_call(siren, p, (x,)), in_dims=in_dims)(params, coords)


def context_mse(pred: Tensor, target: Tensor, context: Context) -> Tensor:
    """Mean squared error over the observed pixels of each image, averaged over images.

    Shape:
        pred, target: (B, K) at the context pixels.
    """
    per_image = ((pred - target) ** 2 * context.weight).sum(1) / context.weight.sum(1).clamp_min(1.0)
    return per_image.mean()


class SetEncoder(nn.Module):
    """Permutation-invariant encoder: a SIREN on each (y, x, value) context pair, then the mean (as the reference)."""

    def __init__(self, features: int, latent_features: int) -> None:
        super().__init__()
        self.net = Siren(3, features, 2, latent_features)

    def forward(self, images: Tensor, context: Context, coords: Tensor) -> Tensor:
        pairs = torch.cat([coords[context.index], context.gather(images[..., None])], dim=-1)  # (B, K, 3)
        weight = context.weight[..., None]
        return (self.net(pairs) * weight).sum(1) / weight.sum(1).clamp_min(1.0)


class ConvEncoder(nn.Module):
    """Conv encoder over the sparse image (value and mask channels), three stride-2 stages, then a linear map.

    The reference runs 256 channels at full resolution with residual blocks (too slow on a CPU);
    this one halves the resolution three times. Its last layer reads a fixed (side/8)^2 grid, so
    it accepts only images of the side it was built for.
    """

    def __init__(self, side: int, features: int, latent_features: int) -> None:
        super().__init__()
        c = max(features // 4, 8)
        self.side = side
        self.net = nn.Sequential(nn.Conv2d(2, c, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(),
                                 nn.Conv2d(2 * c, 2 * c, 3, stride=2, padding=1), nn.ReLU(),
                                 nn.Conv2d(2 * c, features, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
                                 nn.Linear(features * (side // 8) ** 2, latent_features))

    def forward(self, images: Tensor, context: Context, coords: Tensor) -> Tensor:
        if images.shape[1] != self.side * self.side:
            raise ShapeError(f"the conv encoder was built for {self.side}x{self.side} images ({self.side ** 2} pixels) "
                             f"and got {images.shape[1]} pixels; resize the images to {self.side}x{self.side}.")
        mask = context.mask(images.shape[1])
        sparse = torch.stack([images * mask, mask], dim=1).reshape(len(images), 2, self.side, self.side)
        return self.net(sparse)


class HyperNetwork(nn.Module):
    """latent -> every parameter of a SIREN: one ReLU MLP (one hidden layer) per parameter tensor, as the reference.

    The last layer starts with weights ~ Kaiming / 100 and its bias equal to the template SIREN's
    own init, so the first generated SIRENs are near a SIREN init (the reference does the same
    with uniform bounds).
    """

    def __init__(self, template: Siren, latent_features: int, hidden_features: int) -> None:
        super().__init__()
        self.shapes = {name: tuple(p.shape) for name, p in template.named_parameters()}
        self.heads = nn.ModuleDict()
        for name, p in template.named_parameters():
            head = nn.Sequential(nn.Linear(latent_features, hidden_features), nn.ReLU(),
                                 nn.Linear(hidden_features, p.numel()))
            nn.init.kaiming_normal_(head[-1].weight, nonlinearity="relu")
            with torch.no_grad():
                head[-1].weight /= 100.0
                head[-1].bias.copy_(p.detach().flatten())
            self.heads[name.replace(".", "_")] = head

    def forward(self, latent: Tensor) -> dict[str, Tensor]:
        return {name: self.heads[name.replace(".", "_")](latent).reshape(len(latent), *shape)
                for name, shape in self.shapes.items()}


class HypernetPrior(nn.Module):
    """Encoder (set or conv) -> latent -> hypernetwork -> SIREN weights (paper Sec. 4.4, Fig. 6)."""

    def __init__(self, config: PriorConfig) -> None:
        super().__init__()
        self.config = config
        template = _siren(config)
        self.encoder = (SetEncoder(config.encoder_features, config.latent_features) if config.model == "hypernet-set"
                        else ConvEncoder(config.size, config.encoder_features, config.latent_features))
        self.hypernet = HyperNetwork(template, config.latent_features, config.hyper_hidden_features)
        self.template = template.requires_grad_(False)  # the architecture; every parameter comes from the hypernetwork
        self.register_buffer("coords", grid((config.size, config.size)), persistent=False)

    def latent(self, images: Tensor, context: Context) -> Tensor:
        """(B, P) images seen only at the context pixels -> (B, latent_features)."""
        return self.encoder(images, context, self.coords)

    def siren_params(self, latent: Tensor) -> dict[str, Tensor]:
        """The generated SIRENs' parameters, name -> (B, *shape), keyed as in Siren.named_parameters()."""
        return self.hypernet(latent)

    def render(self, latent: Tensor, coords: Tensor | None = None) -> Tensor:
        """Values of the SIRENs generated from `latent` at coords (default: the pixel grid) -> (B, P)."""
        return batched_siren(self.template, self.siren_params(latent), _coords(self, coords))[..., 0]

    def inpaint(self, images: Tensor, context: Context) -> Tensor:
        """The whole image predicted from its context pixels -> (B, P)."""
        return self.render(self.latent(images, context))

    def forward(self, images: Tensor, context: Context) -> dict[str, Tensor]:
        latent = self.latent(images, context)
        params = self.siren_params(latent)
        pred = batched_siren(self.template, params, self.coords)[..., 0]
        weights = torch.cat([p.flatten(1) for p in params.values()], dim=1)
        return {"mse": F.mse_loss(pred, images), "latent": latent.pow(2).mean(), "weights": weights.pow(2).mean()}


class ModulatedPrior(nn.Module):
    """One shared SIREN, a latent -> FiLM shifts of every sine layer; the latent from gradient steps on the context.

    shift = A z for a learned linear map A (functa's latent modulations). z starts at 0 and takes
    `inner_steps` steps z <- z - lr * grad_z MSE(context), with a learned step size per entry
    (Meta-SGD). Training differentiates through those steps (second order), so the shared
    weights learn to be a good starting point for them.
    """

    def __init__(self, config: PriorConfig) -> None:
        super().__init__()
        self.config = config
        self.siren = _siren(config)
        self.sine_biases = [f"layers.{i}.bias" for i in range(len(self.siren.layers) - 1)]
        widths = [self.siren.layers[i].out_features for i in range(len(self.sine_biases))]
        self.to_shifts = nn.Linear(config.latent_features, sum(widths))
        self.widths = widths
        self.inner_lr = nn.Parameter(torch.full((config.latent_features,), config.inner_lr))
        self.register_buffer("coords", grid((config.size, config.size)), persistent=False)

    def render(self, latent: Tensor, coords: Tensor | None = None) -> Tensor:
        """Values of the modulated SIRENs at coords (default: the pixel grid) -> (B, P)."""
        return self._values(latent, _coords(self, coords))

    def _values(self, latent: Tensor, coords: Tensor) -> Tensor:
        shifts = self.to_shifts(latent).split(self.widths, dim=1)
        params = dict(self.siren.named_parameters())
        for name, shift in zip(self.sine_biases, shifts):
            params[name] = params[name] + shift  # (B, width): a per-image bias is a FiLM shift
        batched = {name: name in self.sine_biases for name in params}
        return batched_siren(self.siren, params, coords, batched=batched)[..., 0]

    def latent(self, images: Tensor, context: Context) -> Tensor:
        """Fit the latent to the context pixels by `inner_steps` gradient steps from zero -> (B, latent_features).

        Keeps the graph while training (the outer loss differentiates through the steps).
        """
        coords = self.coords[context.index]  # (B, K, 2)
        target = context.gather(images[..., None])[..., 0]
        latent = torch.zeros(len(images), self.config.latent_features, device=images.device, requires_grad=True)
        with torch.enable_grad():
            for _ in range(self.config.inner_steps):
                loss = context_mse(self._values(latent, coords), target, context) * len(images)  # per-image gradients
                (grad,) = torch.autograd.grad(loss, latent, create_graph=self.training)
                latent = latent - self.inner_lr * grad
        return latent if self.training else latent.detach()

    def inpaint(self, images: Tensor, context: Context) -> Tensor:
        """The whole image predicted from its context pixels -> (B, P)."""
        return self.render(self.latent(images, context))

    def forward(self, images: Tensor, context: Context) -> dict[str, Tensor]:
        latent = self.latent(images, context)
        pred = self._values(latent, self.coords)
        return {"mse": F.mse_loss(pred, images), "latent": latent.pow(2).mean()}


PriorModel = HypernetPrior | ModulatedPrior


def build_prior(config: PriorConfig) -> PriorModel:
    """The model named by config.model, initialised from config.seed (global RNG state is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return ModulatedPrior(config) if config.model == "modulated" else HypernetPrior(config)


def _siren(config: PriorConfig) -> Siren:
    return Siren(2, config.hidden_features, config.hidden_layers, 1,
                 first_omega_0=config.first_omega_0, hidden_omega_0=config.hidden_omega_0)


def _coords(model: nn.Module, coords: Tensor | None) -> Tensor:
    return model.coords if coords is None else coords.to(model.coords)
