"""Marks that are not writing, erased from the ink mask once the writing's scale is known.

In order: boxes drawn round the number (found earlier, while whole:
:func:`edge_runtime.frames.drawn_frames`), underlines touching the digits
(:mod:`edge_runtime.underline`), then rules and form lines far longer than a
digit (:mod:`edge_runtime.rulings`). Pure functions on a binary mask.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.components import Blob, Scale, find_blobs
from edge_runtime.frames import erase_frames
from edge_runtime.results import Rejected
from edge_runtime.rulings import erase_lines
from edge_runtime.scale import without_long_strokes
from edge_runtime.underline import cut_underlines


def erase_marks(
    mask: np.ndarray, labels: np.ndarray, blobs: list[Blob], frames: list[Blob], scale: Scale
) -> tuple[np.ndarray, np.ndarray, list[Blob], Scale, list[Rejected]]:
    """(mask, labels, blobs, scale, rejected lines) without ``frames``, underlines and rules.

    ``labels`` and ``blobs`` are those of ``mask`` (:func:`find_blobs`); the
    scale is measured again without long strokes. The frames are rejected by
    the caller, which found them.
    """
    cleaned = erase_frames(mask, labels, frames) if frames else mask
    # A rule through the writing joins digits into one tall blob: measure them without it.
    scale = without_long_strokes(cleaned, scale, strict=True)
    if cleaned is not mask:  # frames were erased: measure the components again
        mask = cleaned
        labels, blobs = find_blobs(mask, min_area=4)
    # An underline touching the digits is cut off whole, before a rule's search would keep a
    # stub of it under every digit it touched.
    mask, underlined = cut_underlines(mask, labels, blobs, scale)
    if underlined:
        labels, blobs = find_blobs(mask, min_area=4)
    # Rules and form lines far longer than a digit, level or photographed askew, are erased
    # where no stroke crosses them (the digits they touched keep their strokes).
    mask, ruled = erase_lines(mask, labels, blobs, scale.height, scale.stroke)
    if ruled:
        labels, blobs = find_blobs(mask, min_area=4)
    return mask, labels, blobs, scale, underlined + ruled
