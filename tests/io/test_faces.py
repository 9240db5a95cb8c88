import numpy as np
import pytest
import scipy.io

from sirenkit.errors import ConfigError, DataError
from sirenkit.io.faces import Faces, load_faces, split_by_person


def test_faces_upright_in_range_and_split_by_person(data_dir):
    faces = load_faces(data_dir / "faces" / "olivettifaces.mat", size=32)
    assert faces.images.shape == (400, 32, 32)
    assert -1.0 <= faces.images.min() < -0.9 and 0.7 < faces.images.max() <= 1.0
    # Upright, not transposed: the mean face is mirror-symmetric left-right (measured 0.068),
    # far less so top-bottom (0.213); a transposed read swaps the two.
    mean = faces.images.mean(axis=0)
    assert np.abs(mean - mean[:, ::-1]).mean() < 0.1 < 0.2 < np.abs(mean - mean[::-1]).mean()
    train, test = split_by_person(faces, test_people=8)
    assert len(train.images) == 320 and len(test.images) == 80
    assert not set(train.person) & set(test.person)


def test_area_downsampling_keeps_the_mean(data_dir):
    full = load_faces(data_dir / "faces" / "olivettifaces.mat", size=64)
    half = load_faces(data_dir / "faces" / "olivettifaces.mat", size=32)
    np.testing.assert_allclose(full.images.mean(axis=(1, 2)), half.images.mean(axis=(1, 2)), atol=1e-5)


def test_bad_input(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_faces(tmp_path / "missing.mat")
    (tmp_path / "text.mat").write_text("not matlab")
    with pytest.raises(DataError, match="cannot read it as a MATLAB file"):
        load_faces(tmp_path / "text.mat")
    scipy.io.savemat(tmp_path / "other.mat", {"images": np.zeros((4, 4))})
    with pytest.raises(DataError, match="no 'faces' key"):
        load_faces(tmp_path / "other.mat")
    with pytest.raises(ConfigError, match="does not divide 64"):
        load_faces(tmp_path / "other.mat", size=48)
    with pytest.raises(ConfigError, match="test_people"):
        split_by_person(Faces(np.zeros((1, 2, 2)), np.zeros(1)), test_people=40)
