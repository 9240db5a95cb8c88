"""The public names: a removal or rename must be deliberate (update this snapshot)."""

import sirenkit as sk


def test_public_names():
    assert sorted(sk.__all__) == sorted([
        "MLP", "ConfigError", "DataError", "DivergenceError", "FieldConfig", "FitConfig", "FitResult", "RunConfig",
        "ShapeError", "Siren", "SirenkitError", "__version__", "build_field", "fit", "grid", "load", "metrics", "nn", "ops",
        "render_image", "tasks",
    ])
    for name in sk.__all__:
        assert hasattr(sk, name), name
    assert sorted(sk.ops.__all__) == ["Jet", "divergence", "gradient", "hessian", "jacobian", "jet", "laplacian"]


def test_grid_layout():
    g = sk.grid((2, 3))
    assert g.shape == (6, 2)
    assert g[:, 0].tolist() == [-1, -1, -1, 1, 1, 1] and g[:, 1].tolist() == [-1, 0, 1, -1, 0, 1]
