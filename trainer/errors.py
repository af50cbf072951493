"""Exception types raised by the trainer and its MNIST data layer."""

from __future__ import annotations

from edge_runtime.errors import DigitsError

__all__ = [
    "DataError",
    "DataFormatError",
    "DataNotFoundError",
    "DigitsError",
    "DownloadError",
    "TrainingError",
]


class DataError(DigitsError):
    """MNIST data is missing, unreadable or not what it claims to be."""


class DataFormatError(DataError):
    """A data file exists but its contents are corrupt, truncated or inconsistent."""


class DataNotFoundError(DataError):
    """No MNIST data could be found in any of the places searched."""


class DownloadError(DataError):
    """Downloading MNIST failed (network, server, checksum or truncated transfer)."""


class TrainingError(DigitsError):
    """Training options are inconsistent or training could not run."""
