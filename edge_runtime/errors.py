"""Exception types of digits-edge.

:class:`DigitsError` is the root of every error the project reports to a user
as one line; it lives here, at the bottom of the dependency graph, so the
trainer, converter and benchmarks subclass the same root and every CLI catches
one type. Messages carry the expected and the actual value.
"""

from __future__ import annotations


class DigitsError(Exception):
    """Base class for every error digits-edge reports to a user as one clear line."""


class RuntimeBackendError(DigitsError):
    """No TFLite interpreter package is installed."""


class ModelLoadError(DigitsError):
    """A model file is missing, empty, truncated or not a TFLite flatbuffer."""


class ModelShapeError(DigitsError):
    """A model's input or output does not look like a 28×28 → 10-class digit classifier."""


class ImageError(DigitsError):
    """An input image is missing, unreadable, empty or of an unsupported type/shape."""


class CameraError(DigitsError):
    """A camera or video source cannot be opened or stopped delivering frames."""


class MissingDependencyError(DigitsError, ImportError):
    """A package the runtime needs (interpreter, OpenCV, Pillow) is missing or does not import.

    Also an :class:`ImportError`, so code that treats a failed import as "not available"
    keeps working; the message names what to install for this platform.
    """


class ContractWarning(UserWarning):
    """A model's input convention was guessed (probed), not declared: pin it to silence this."""


class OutputError(DigitsError):
    """An output file or folder cannot be written: unwritable, a file where a folder
    should be, or the disk is full. Nothing half-written is left behind."""
