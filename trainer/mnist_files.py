"""Readers for the MNIST file formats: the four IDX files (gz or raw) and Keras's ``mnist.npz``.

Pure numpy, no TensorFlow. Every reader validates what it reads and raises
:class:`~trainer.errors.DataFormatError` naming the file when something is off,
so a truncated download never turns into a silently short dataset.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainer.errors import DataFormatError

IMAGE_SIDE = 28
NUM_CLASSES = 10
# IDX magic: two zero bytes, a type code (0x08 = unsigned byte) and the number of dimensions.
IDX_UBYTE = 0x08
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class MnistSplit:
    """One split of MNIST.

    ``images`` is ``uint8`` of shape ``(N, 28, 28)``, white ink (255) on black (0),
    as MNIST ships it; ``labels`` is ``uint8`` of shape ``(N,)`` with values 0-9.
    """

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def head(self, count: int | None) -> MnistSplit:
        """The first ``count`` examples (all of them when ``count`` is None)."""
        if count is None or count >= len(self):
            return self
        return MnistSplit(self.images[:count], self.labels[:count])


@dataclass(frozen=True)
class MnistData:
    """The training and test splits plus where they were read from."""

    train: MnistSplit
    test: MnistSplit
    source: str


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataFormatError(f"cannot read {path}: {e.strerror or e}") from e
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise DataFormatError(f"{path} is a corrupt or truncated gzip file ({e})") from e
    return raw


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file of unsigned bytes (gzipped or raw) into a numpy array."""
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise DataFormatError(f"{path} is too short to be an IDX file ({len(data)} bytes)")
    zero_a, zero_b, type_code, ndim = data[0], data[1], data[2], data[3]
    if zero_a != 0 or zero_b != 0 or type_code != IDX_UBYTE or not 1 <= ndim <= 4:
        raise DataFormatError(
            f"{path} has a wrong IDX magic number: expected 0x000008<ndim>, got 0x{data[:4].hex()}"
        )
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DataFormatError(f"{path} is truncated inside its IDX header")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(dims))
    actual = len(data) - header_len
    if actual != expected:
        what = "truncated" if actual < expected else "longer than its header says"
        raise DataFormatError(
            f"{path} is {what}: header says {dims} = {expected} bytes of data, found {actual}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(dims)


def validate_split(images: np.ndarray, labels: np.ndarray, name: str) -> MnistSplit:
    """Check shapes, counts and label range of one split; return it as a :class:`MnistSplit`."""
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataFormatError(
            f"{name}: images must have shape (N, 28, 28), got {tuple(images.shape)}"
        )
    if labels.ndim != 1:
        raise DataFormatError(f"{name}: labels must be one-dimensional, got {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise DataFormatError(
            f"{name}: image and label counts differ: {images.shape[0]} images, "
            f"{labels.shape[0]} labels"
        )
    if labels.size and int(labels.max()) >= NUM_CLASSES:
        raise DataFormatError(f"{name}: labels must be 0-9, found {int(labels.max())}")
    if images.dtype != np.uint8:
        if images.min() < 0 or images.max() > 255:
            raise DataFormatError(f"{name}: pixel values must be 0-255")
        images = images.astype(np.uint8)
    return MnistSplit(np.ascontiguousarray(images), labels.astype(np.uint8))


def read_idx_split(images_path: Path, labels_path: Path) -> MnistSplit:
    """Read and validate one split from an IDX images file and an IDX labels file."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3:
        raise DataFormatError(f"{images_path} must hold 3-D images, has {images.ndim} dimensions")
    if labels.ndim != 1:
        raise DataFormatError(f"{labels_path} must hold 1-D labels, has {labels.ndim} dimensions")
    return validate_split(images, labels, f"{images_path.name} + {labels_path.name}")


def read_npz(path: str | Path) -> MnistData:
    """Read Keras's ``mnist.npz`` (keys ``x_train``, ``y_train``, ``x_test``, ``y_test``)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except KeyError as e:
        raise DataFormatError(f"{path} lacks the array {e} that mnist.npz must hold") from e
    except (OSError, ValueError, zlib.error, EOFError) as e:
        raise DataFormatError(f"{path} is not a readable mnist.npz ({e})") from e
    except Exception as e:  # zipfile.BadZipFile and friends
        raise DataFormatError(f"{path} is not a readable mnist.npz ({e})") from e
    return MnistData(
        train=validate_split(arrays["x_train"], arrays["y_train"], f"{path} (train)"),
        test=validate_split(arrays["x_test"], arrays["y_test"], f"{path} (test)"),
        source=str(path),
    )
