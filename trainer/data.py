"""Find and load MNIST: the data layer every other part of digits-edge uses.

Search order (first hit wins):

1. an explicit ``data_dir`` (the commands' ``--data-dir``, which click also reads
   from the ``DIGITS_DATA_DIR`` environment variable),
2. the user cache directory (``platformdirs.user_cache_dir("digits-edge")``),
3. Keras's cache, ``~/.keras/datasets/mnist.npz``,
4. a download of Keras's public ``mnist.npz`` into the user cache (sha256-checked).

A directory may hold the four IDX files (gzipped or raw, official names) or an
``mnist.npz``. A folder the user names explicitly (1) must hold the data:
we fail with a clear error rather than quietly reading something else.
Numpy only; TensorFlow is never imported here.
"""

from __future__ import annotations

import os
from pathlib import Path

from trainer.download import (
    MNIST_NPZ_SHA256,
    MNIST_NPZ_URL,
    ProgressCallback,
    download_file,
)
from trainer.errors import DataNotFoundError, DownloadError
from trainer.mnist_files import MnistData, read_idx_split, read_npz

NPZ_NAME = "mnist.npz"
# (images, labels) stems of each split; files may end in .gz or not and use '-' or '.' before idx.
_IDX_STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def default_cache_dir() -> Path:
    """Where downloaded MNIST is kept for this user."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("digits-edge")) / "mnist"


def keras_cache_file() -> Path:
    """Keras's own cached copy, reused when a user already has it."""
    return Path.home() / ".keras" / "datasets" / NPZ_NAME


def _find_idx_file(directory: Path, stem: str) -> Path | None:
    variants = (stem, stem.replace("-idx", ".idx"))
    for name in variants:
        for suffix in (".gz", ""):
            candidate = directory / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def has_mnist(directory: Path) -> bool:
    """True when ``directory`` holds a complete IDX set or an ``mnist.npz``."""
    if (directory / NPZ_NAME).is_file():
        return True
    return all(
        _find_idx_file(directory, stem) is not None for pair in _IDX_STEMS.values() for stem in pair
    )


def load_from_dir(directory: str | os.PathLike[str]) -> MnistData:
    """Load MNIST from a folder holding the four IDX files or an ``mnist.npz``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataNotFoundError(f"MNIST folder {directory} does not exist")
    found = {
        stem: path
        for pair in _IDX_STEMS.values()
        for stem in pair
        if (path := _find_idx_file(directory, stem)) is not None
    }
    if len(found) == 4:
        splits = {
            split: read_idx_split(found[images], found[labels])
            for split, (images, labels) in _IDX_STEMS.items()
        }
        return MnistData(train=splits["train"], test=splits["test"], source=str(directory))
    if (directory / NPZ_NAME).is_file():
        return read_npz(directory / NPZ_NAME)
    missing = [stem for pair in _IDX_STEMS.values() for stem in pair if stem not in found]
    raise DataNotFoundError(
        f"{directory} holds no MNIST: expected mnist.npz or the four IDX files "
        f"(missing: {', '.join(missing)})"
    )


def load_mnist(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    keras_cache: str | os.PathLike[str] | None = None,
    download: bool = True,
    url: str = MNIST_NPZ_URL,
    sha256: str = MNIST_NPZ_SHA256,
    progress: ProgressCallback | None = None,
) -> MnistData:
    """Find MNIST in the documented search order and load it (see the module docstring).

    Every location parameter exists so tests (and unusual setups) can redirect
    the search; the defaults are what users get.
    """
    if data_dir is not None:
        return load_from_dir(data_dir)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if has_mnist(cache):
        return load_from_dir(cache)
    keras_file = Path(keras_cache) if keras_cache is not None else keras_cache_file()
    if keras_file.is_file():
        return read_npz(keras_file)
    if not download:
        raise DataNotFoundError(_how_to_point_at_data(cache, keras_file))
    try:
        path = download_file(url, cache / NPZ_NAME, sha256=sha256, progress=progress)
    except DownloadError as e:
        raise DownloadError(f"{e}. {_how_to_point_at_data(cache, keras_file)}") from e
    return read_npz(path)


def _how_to_point_at_data(cache: Path, keras_file: Path) -> str:
    return (
        "MNIST not found: pass --data-dir or set DIGITS_DATA_DIR to a folder holding the four "
        f"IDX files (train-images-idx3-ubyte.gz, ...) or mnist.npz, or put mnist.npz in {cache} "
        f"or {keras_file}"
    )
