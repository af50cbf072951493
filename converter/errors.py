"""Exception types of the converter."""

from __future__ import annotations

from edge_runtime.errors import DigitsError


class ConversionError(DigitsError):
    """A model could not be loaded, checked or converted."""


class AccuracyDropError(ConversionError):
    """A quantised model lost more accuracy than the allowed ``--max-drop``."""
