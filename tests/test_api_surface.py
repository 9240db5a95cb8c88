"""The public names: a removal or rename must be deliberate (update this snapshot)."""

import sirenkit as sk


def test_public_names():
    assert sorted(sk.__all__) == sorted([
        "MLP", "ConfigError", "DataError", "DivergenceError", "FieldConfig", "FitConfig", "FitResult", "Run", "RunConfig",
        "ShapeError", "Siren", "SirenkitError", "__version__", "build_field", "fit", "grid", "load", "load_run", "metrics", "nn",
        "ops", "render_image", "save", "tasks",
    ])
    for name in sk.__all__:
        assert hasattr(sk, name), name
    assert sorted(sk.ops.__all__) == ["Jet", "JetField", "divergence", "double_backprop_jet", "gradient", "hessian", "jacobian", "jet",
                                      "laplacian"]


def test_grid_layout():
    g = sk.grid((2, 3))
    assert g.shape == (6, 2)
    assert g[:, 0].tolist() == [-1, -1, -1, 1, 1, 1] and g[:, 1].tolist() == [-1, 0, 1, -1, 0, 1]


def test_old_names_warn_and_point_to_the_new_ones():
    """Moved in 0.2; each old name works for one release with a FutureWarning naming its replacement."""
    import pytest

    import sirenkit.io
    import sirenkit.io.checkpoint
    import sirenkit.io.run_dir
    from sirenkit import runs
    from sirenkit.tasks import image_set

    with pytest.warns(FutureWarning, match="sirenkit.runs.load"):
        assert sirenkit.io.load is runs.load
    with pytest.warns(FutureWarning, match="sirenkit.runs.load"):
        assert sirenkit.io.checkpoint.load is runs.load
    with pytest.warns(FutureWarning, match="sirenkit.runs.prepare"):
        assert sirenkit.io.run_dir.prepare_run_dir is runs.prepare
    with pytest.warns(FutureWarning, match="sirenkit.runs.prepare"):
        assert sirenkit.io.prepare_run_dir is runs.prepare
    assert sk.fields.fit_images is image_set.fit_images_deprecated
    from sirenkit.prior.train import train_prior
    from sirenkit.tasks.prior import PriorConfig

    with pytest.warns(FutureWarning, match="sirenkit.tasks.prior.fit_prior"):
        with pytest.raises(sk.DataError):  # the warning comes first, then the missing data is reported
            train_prior(PriorConfig(faces="/nonexistent/faces.mat", steps=1))
