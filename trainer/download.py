"""Download Keras's public ``mnist.npz`` with a checksum, atomically, through ``pooch``.

``pooch`` (the downloader SciPy, scikit-image and MNE use) streams the body to a
temporary file beside the destination, checks its sha256 and only then moves
it into place, so an interrupted or corrupt transfer never leaves a file that
looks valid. This module adds what pooch does not do for us: our error type
with one clear line, a progress callback instead of printing (the library
never prints; the CLI draws the bar), and a quiet logger.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from trainer.errors import DownloadError

MNIST_NPZ_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
# The checksum Keras itself verifies (keras/src/datasets/mnist.py).
MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

#: ``progress(bytes_so_far, total_bytes_or_None)``
ProgressCallback = Callable[[int, "int | None"], None]


class _CallbackBar:
    """pooch's progress-bar protocol (``total``, ``update``, ``reset``, ``close``) → a callback."""

    def __init__(self, callback: ProgressCallback) -> None:
        self.callback = callback
        self.total: int | None = None
        self.received = 0

    def update(self, n: int) -> None:
        # pooch counts whole chunks, so the last update may overshoot the size.
        self.received = min(self.received + n, self.total) if self.total else self.received + n
        self.callback(self.received, self.total or None)

    def reset(self) -> None:
        self.received = 0

    def close(self) -> None:
        pass


@contextlib.contextmanager
def _quiet_pooch_logger() -> Iterator[None]:
    """pooch logs "Downloading data from …" at INFO to stderr; a library must not print."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def download_file(
    url: str,
    destination: str | os.PathLike[str],
    *,
    sha256: str | None,
    progress: ProgressCallback | None = None,
    timeout_s: float = 30.0,
) -> Path:
    """Download ``url`` to ``destination``, verifying its sha256 when given.

    The file appears at ``destination`` only once complete and verified; on
    any failure nothing is left behind and :class:`DownloadError` says why.
    """
    try:
        import pooch
        import requests
    except ImportError as e:
        raise DownloadError(
            f"downloading MNIST needs pooch: pip install 'digits-edge[train]' ({e})"
        ) from e
    destination = Path(destination)
    bar = _CallbackBar(progress) if progress is not None else False
    downloader = pooch.HTTPDownloader(progressbar=bar, timeout=timeout_s)
    try:
        with _quiet_pooch_logger():
            path = pooch.retrieve(
                url,
                known_hash=f"sha256:{sha256}" if sha256 else None,
                fname=destination.name,
                path=destination.parent,
                downloader=downloader,
            )
    except requests.HTTPError as e:
        response = e.response
        status = f"HTTP {response.status_code} {response.reason}" if response is not None else e
        raise DownloadError(f"server refused {url}: {status}") from e
    except requests.ConnectionError as e:
        raise DownloadError(f"cannot reach {url}: {_first_line(e)}") from e
    except requests.exceptions.ChunkedEncodingError as e:
        raise DownloadError(f"download of {url} was interrupted: {_first_line(e)}") from e
    except requests.RequestException as e:  # timeouts, bad URLs
        raise DownloadError(f"download of {url} failed: {_first_line(e)}") from e
    except ValueError as e:  # pooch: "SHA256 hash of downloaded file … does not match"
        raise DownloadError(f"checksum mismatch for {url}: {_first_line(e)}") from e
    except OSError as e:  # an unwritable cache folder, a full disk
        raise DownloadError(f"cannot save {url} to {destination}: {_first_line(e)}") from e
    return Path(path)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__
