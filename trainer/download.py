"""Download Keras's public ``mnist.npz`` with a checksum, atomically.

Only the standard library: ``urllib`` for the transfer and ``hashlib`` for the
sha256. Progress is reported through a callback so the library never prints;
the CLI turns it into a progress bar.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from edge_runtime.fileio import atomic_open
from trainer.errors import DownloadError

MNIST_NPZ_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
# The checksum Keras itself verifies (keras/src/datasets/mnist.py).
MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

#: ``progress(bytes_so_far, total_bytes_or_None)``
ProgressCallback = Callable[[int, "int | None"], None]

_CHUNK_BYTES = 1 << 16


def download_file(
    url: str,
    destination: str | os.PathLike[str],
    *,
    sha256: str | None,
    progress: ProgressCallback | None = None,
    timeout_s: float = 30.0,
) -> Path:
    """Download ``url`` to ``destination``, verifying its sha256 when given.

    The bytes go to a temporary file beside ``destination`` that is renamed
    into place only after the whole body arrived and the checksum matched, so
    an interrupted or corrupt transfer never leaves a file that looks valid.
    """
    destination = Path(destination)
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            length_header = response.headers.get("Content-Length")
            total = int(length_header) if length_header and length_header.isdigit() else None
            received = 0
            with atomic_open(destination, "wb") as out:
                while chunk := response.read(_CHUNK_BYTES):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    if progress is not None:
                        progress(received, total)
                if total is not None and received != total:
                    raise DownloadError(
                        f"download of {url} was interrupted: got {received} of {total} bytes"
                    )
                if sha256 is not None and digest.hexdigest() != sha256:
                    raise DownloadError(
                        f"checksum mismatch for {url}: expected sha256 {sha256}, "
                        f"got {digest.hexdigest()}"
                    )
    except DownloadError:
        raise
    except urllib.error.HTTPError as e:
        raise DownloadError(f"server refused {url}: HTTP {e.code} {e.reason}") from e
    except urllib.error.URLError as e:
        raise DownloadError(f"cannot reach {url}: {e.reason}") from e
    except (OSError, ValueError) as e:  # incomplete reads, resets, timeouts, bad URLs
        raise DownloadError(f"download of {url} failed: {e}") from e
    return destination
