import numpy as np
import pytest
import torch

from sirenkit.errors import ConfigError, ShapeError
from sirenkit.fields.siren import Siren
from sirenkit.io.faces import Faces, load_faces
from sirenkit.prior import MODELS, PriorConfig, build_prior, eval_context, random_context
from sirenkit.prior.inpaint import inpaint_faces, load_face_image
from sirenkit.prior.train import evaluate_prior, train_prior
from sirenkit.samplers import grid

TINY = dict(size=16, hidden_features=16, hidden_layers=2, latent_features=16, encoder_features=16,
            hyper_hidden_features=16, context_min=10, context_max=100, batch_size=8, lr=1e-3, log_every=5, save_every=5)


@pytest.fixture(scope="module")
def eight_faces(data_dir) -> Faces:
    faces = load_faces(data_dir / "faces" / "olivettifaces.mat", size=16)
    pick = np.arange(0, 80, 10)  # one photo of each of 8 people
    return Faces(faces.images[pick], faces.person[pick])


def _loaded_siren(config: PriorConfig, params: dict[str, torch.Tensor], b: int) -> Siren:
    siren = Siren(2, config.hidden_features, config.hidden_layers, 1)
    siren.load_state_dict({k: v[b] if v.dim() > siren.get_parameter(k).dim() else v for k, v in params.items()})
    return siren


def test_values_functional_call_equals_a_siren_with_the_same_weights():
    config = PriorConfig(model="hypernet-set", **TINY)
    model = build_prior(config)
    images = torch.rand(3, 256) * 2 - 1
    context = random_context(3, 256, 10, 50, torch.Generator().manual_seed(0))
    with torch.no_grad():
        latent = model.latent(images, context)
        params = model.siren_params(latent)
        coords = grid((16, 16))
        batched = model.render(latent, coords)
        for b in range(3):
            single = _loaded_siren(config, params, b)(coords)[:, 0]
            assert torch.allclose(batched[b], single, atol=1e-6)
    # Modulated: the FiLM shift is a per-image bias of the shared SIREN's sine layers.
    config = PriorConfig(model="modulated", **TINY)
    model = build_prior(config)
    latent = torch.randn(2, config.latent_features) * 0.1
    with torch.no_grad():
        shifts = model.to_shifts(latent).split(model.widths, dim=1)
        for b in range(2):
            siren = Siren(2, config.hidden_features, config.hidden_layers, 1)
            state = {k: v.clone() for k, v in model.siren.state_dict().items()}
            for name, shift in zip(model.sine_biases, shifts):
                state[name] += shift[b]
            siren.load_state_dict(state)
            assert torch.allclose(model.render(latent)[b], siren(grid((16, 16)))[:, 0], atol=1e-6)


@pytest.mark.parametrize("model", MODELS)
def test_fit_each_model_lowers_its_loss_on_8_faces(model, eight_faces, device):
    config = PriorConfig(model=model, steps=25, seed=0, device=device.type, **TINY)
    before = evaluate_prior(build_prior(config), eight_faces, side=16, contexts=("100",))["mse_100"]
    result = train_prior(config, train_faces=eight_faces, test_faces=eight_faces)
    after = result.metrics["mse_100"]
    # Measured (25 steps, lr 1e-3): hypernet-set 0.142 -> 0.061, hypernet-conv 0.142 -> 0.064, modulated 0.137 -> 0.063.
    assert after < 0.7 * before, (before, after)


def test_errors_context_larger_than_the_image():
    with pytest.raises(ConfigError, match="larger than the image"):
        eval_context(2, 16, "1000", torch.Generator())
    with pytest.raises(ConfigError, match="not a pixel count"):
        eval_context(2, 16, "all", torch.Generator())
    with pytest.raises(ConfigError, match="larger than the image"):
        PriorConfig(size=16, context_max=300)


def test_errors_conv_encoder_needs_its_own_image_size(tmp_path):
    model = build_prior(PriorConfig(model="hypernet-conv", **TINY))
    images = torch.zeros(1, 32 * 32)
    context = eval_context(1, 32, "10", torch.Generator())
    with pytest.raises(ShapeError, match="built for 16x16 images"):
        model.latent(images, context)
    with pytest.raises(ConfigError, match="trained on 16x16"):
        inpaint_faces(model, np.zeros((1, 32, 32), np.float32), "10")
    # A file of another size is cropped to its centre square and resized instead (documented in `prior inpaint`).
    import imageio.v3 as iio

    iio.imwrite(tmp_path / "wide.png", np.full((40, 60), 255, np.uint8))
    face = load_face_image(tmp_path / "wide.png", 16)
    assert face.shape == (16, 16) and np.allclose(face, 1.0)
