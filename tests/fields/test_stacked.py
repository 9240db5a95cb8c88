import pytest
import torch

from sirenkit.config import FitConfig
from sirenkit.errors import ShapeError
from sirenkit.fields import Siren, StackedSiren
from sirenkit.fit import lr_factor
from sirenkit.samplers import grid
from sirenkit.tasks.image_set import fit_images


def test_member_k_computes_what_the_stack_computes(device):
    stack = StackedSiren(3, 2, 32, 2, 1, seed=5).to(device)
    coords = torch.rand(50, 2, device=device) * 2 - 1
    with torch.no_grad():
        out = stack(coords)
        for k in range(3):
            assert (stack.member(k)(coords) - out[k]).abs().max().item() <= 1e-6


def test_member_k_starts_as_a_siren_built_from_seed_plus_k():
    stack = StackedSiren(3, 2, 32, 2, 1, seed=5)
    torch.manual_seed(6)
    alone = Siren(2, 32, 2, 1)
    for ours, theirs in zip(stack.member(1).parameters(), alone.parameters()):
        assert torch.equal(ours, theirs)


def test_fit_images_trains_each_member_as_if_alone(device):
    steps, lr = 20, 1e-3
    images = (torch.rand(3, 12, 12, 1, generator=torch.Generator().manual_seed(0)) * 2 - 1).to(device)
    stack, psnrs = fit_images(images, steps, lr, hidden_features=32, hidden_layers=2, seed=0)

    k = 2
    torch.manual_seed(k)
    alone = Siren(2, 32, 2, 1).to(device)
    optimizer = torch.optim.Adam(alone.parameters(), lr=lr)
    config = FitConfig(steps=steps, lr=lr)
    coords, target = grid((12, 12), device=device), images[k].reshape(-1, 1)
    for step in range(1, steps + 1):
        optimizer.param_groups[0]["lr"] = lr * lr_factor(step, config)
        loss = torch.mean((alone(coords) - target) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    # measured: max |difference| 1.1e-7 over members 0-2 (float32 rounding, baddbmm vs the fused Siren path)
    for ours, theirs in zip(stack.member(k).parameters(), alone.parameters()):
        assert (ours - theirs).abs().max().item() <= 1e-5
    assert len(psnrs) == 3 and min(psnrs) >= 12.0  # measured 12.96, 15.24, 15.67 dB on noise after 20 steps


def test_bad_shapes_raise_shape_errors_naming_the_expected_shape():
    stack = StackedSiren(2, 2, 16, 1, 1)
    with pytest.raises(ShapeError, match=r"\(2, N, 2\)"):
        stack(torch.zeros(3, 10, 2))
    with pytest.raises(ShapeError, match=r"\(K, H, W, C\)"):
        fit_images(torch.zeros(2, 8, 8), 1)


def test_old_name_fields_fit_images_warns_and_still_works():
    import sirenkit as sk

    images = torch.rand(2, 6, 6, 1, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with pytest.warns(FutureWarning, match="sirenkit.tasks.image_set.fit_images"):
        old = sk.fields.fit_images(images, 3, hidden_features=8, hidden_layers=1)
    new = fit_images(images, 3, hidden_features=8, hidden_layers=1)
    assert old[1] == new[1]
