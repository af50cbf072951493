"""``from edge_runtime.opencv import cv2``: OpenCV, or one line naming what to install here.

A Raspberry Pi OS 32-bit user gets OpenCV from apt, a 64-bit one from pip; a bare
``ModuleNotFoundError: No module named 'cv2'`` tells neither. The error raised is a
:class:`~edge_runtime.errors.MissingDependencyError` (a ``DigitsError`` and an ``ImportError``).
"""

from __future__ import annotations

from edge_runtime.errors import MissingDependencyError
from edge_runtime.install_hints import missing_module_message

try:
    import cv2
except ImportError as e:
    raise MissingDependencyError(missing_module_message("OpenCV (cv2)", "cv2", e)) from e

__all__ = ["cv2"]
