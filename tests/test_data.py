"""MNIST data layer: IDX/npz parsing, validation and the search order."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from conftest import idx_bytes, write_idx_set, write_npz

from trainer.data import load_from_dir, load_mnist
from trainer.errors import DataFormatError, DataNotFoundError
from trainer.mnist_files import read_idx, read_npz


@pytest.mark.parametrize("compress", [True, False])
def test_idx_set_round_trips(tmp_path: Path, compress: bool) -> None:
    arrays = write_idx_set(tmp_path, compress=compress)
    data = load_from_dir(tmp_path)
    np.testing.assert_array_equal(data.train.images, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.train.labels, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(data.test.images, arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.test.labels, arrays["t10k-labels-idx1-ubyte"])
    assert data.train.images.dtype == np.uint8
    assert data.source == str(tmp_path)


def test_official_dotted_names_are_found(tmp_path: Path) -> None:
    arrays = write_idx_set(tmp_path, compress=False)
    for path in tmp_path.iterdir():
        path.rename(path.with_name(path.name.replace("-idx", ".idx")))
    data = load_from_dir(tmp_path)
    assert len(data.train) == len(arrays["train-labels-idx1-ubyte"])


def test_npz_round_trips(tmp_path: Path) -> None:
    arrays = write_npz(tmp_path / "mnist.npz")
    data = load_from_dir(tmp_path)
    np.testing.assert_array_equal(data.test.images, arrays["x_test"])
    np.testing.assert_array_equal(data.train.labels, arrays["y_train"])


def test_truncated_gzip_names_the_file(tmp_path: Path) -> None:
    write_idx_set(tmp_path)
    target = tmp_path / "train-images-idx3-ubyte.gz"
    target.write_bytes(target.read_bytes()[:200])
    with pytest.raises(DataFormatError, match="train-images-idx3-ubyte.gz"):
        load_from_dir(tmp_path)


def test_truncated_raw_idx_reports_expected_and_found_sizes(tmp_path: Path) -> None:
    path = tmp_path / "images"
    payload = idx_bytes(np.zeros((5, 28, 28), np.uint8))
    path.write_bytes(payload[:-100])
    with pytest.raises(DataFormatError, match=r"truncated.*3920 bytes.*found 3820"):
        read_idx(path)


def test_wrong_magic_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x0d\x03" + b"\x00" * 40))
    with pytest.raises(DataFormatError, match="magic"):
        read_idx(path)


def test_count_mismatch_between_images_and_labels(tmp_path: Path) -> None:
    write_idx_set(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(np.zeros(7, np.uint8)))
    )
    with pytest.raises(DataFormatError, match="10 images, 7 labels"):
        load_from_dir(tmp_path)


def test_label_out_of_range(tmp_path: Path) -> None:
    write_idx_set(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(np.full(30, 12, np.uint8)))
    )
    with pytest.raises(DataFormatError, match="labels must be 0-9, found 12"):
        load_from_dir(tmp_path)


def test_wrong_image_size(tmp_path: Path) -> None:
    write_idx_set(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(np.zeros((10, 32, 32), np.uint8)))
    )
    with pytest.raises(DataFormatError, match=r"\(N, 28, 28\), got \(10, 32, 32\)"):
        load_from_dir(tmp_path)


def test_corrupt_npz(tmp_path: Path) -> None:
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataFormatError, match="mnist.npz"):
        load_from_dir(tmp_path)


def test_npz_missing_key(tmp_path: Path) -> None:
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DataFormatError, match="y_train"):
        read_npz(tmp_path / "mnist.npz")


def test_incomplete_folder_lists_missing_files(tmp_path: Path) -> None:
    write_idx_set(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataNotFoundError, match="missing: t10k-labels-idx1-ubyte"):
        load_from_dir(tmp_path)


# --- search order -------------------------------------------------------------------------------


def _places(tmp_path: Path) -> dict[str, Path]:
    return {
        "explicit": tmp_path / "explicit",
        "cache": tmp_path / "cache",
        "keras": tmp_path / "keras" / "mnist.npz",
    }


def _load(places: dict[str, Path], *, explicit: bool):
    return load_mnist(
        places["explicit"] if explicit else None,
        cache_dir=places["cache"],
        keras_cache=places["keras"],
        download=False,
    )


def test_search_order(tmp_path: Path) -> None:
    places = _places(tmp_path)
    # Distinct training counts tell us which place was read.
    write_idx_set(places["explicit"], train_count=21)
    write_npz(places["cache"] / "mnist.npz", train_count=23)
    write_npz(places["keras"], train_count=24)
    assert len(_load(places, explicit=True).train) == 21
    assert len(_load(places, explicit=False).train) == 23
    (places["cache"] / "mnist.npz").unlink()
    assert len(_load(places, explicit=False).train) == 24
    places["keras"].unlink()
    with pytest.raises(DataNotFoundError, match="DIGITS_DATA_DIR"):
        _load(places, explicit=False)


def test_named_dir_without_data_is_an_error_naming_it(tmp_path: Path) -> None:
    places = _places(tmp_path)
    places["explicit"].mkdir()
    write_npz(places["keras"])
    with pytest.raises(DataNotFoundError, match="explicit holds no MNIST"):
        _load(places, explicit=True)


def test_real_mnist_has_official_counts(mnist) -> None:
    assert (len(mnist.train), len(mnist.test)) == (60000, 10000)
    assert mnist.train.images.shape[1:] == (28, 28)
    assert np.bincount(mnist.test.labels, minlength=10).tolist()[:3] == [980, 1135, 1032]
