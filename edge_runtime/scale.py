"""The writing's scale (stroke width, digit height), measured without the lines that distort it.

Pure numpy/OpenCV on binary masks (uint8, ink 255, paper 0), for
:mod:`edge_runtime.preprocess`: a first rough scale with long straight
strokes taken out, the same re-measurement after frames are erased, ruled
families removed by their length against the digits or their width against
the pen, and how far a digit hangs below its line.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.components import Blob, Scale, estimate_scale, find_blobs
from edge_runtime.ink import remove_long_strokes, remove_ruled_lines
from edge_runtime.opencv import cv2

RULE_LENGTH = 2.2
"""A ruling or form line is at least this many digit heights long (a digit's own strokes are
shorter, even the stems of "404" in a tight crop)."""

LONG_STROKE = 18
"""A straight horizontal stroke longer than this many stroke widths is longer than any digit's:
an underline or a rule through the writing, left out when the writing is measured."""

THIN_RULE = 0.65
"""A family of page-long parallel lines at most this fraction of the pen's stroke wide is ruling
whatever the digits' height (see :func:`without_rulings`)."""


def without_long_strokes(mask: np.ndarray, scale: Scale, *, strict: bool = False) -> Scale:
    """``scale`` measured again on ``mask`` without its strokes longer than :data:`LONG_STROKE`
    stroke widths (unchanged when there are none, or, with ``strict``, when what is left has
    no digit-shaped blob)."""
    unruled = remove_long_strokes(mask, int(LONG_STROKE * max(scale.stroke, 1.0)))
    if unruled is mask:
        return scale
    return estimate_scale(find_blobs(unruled, min_area=4)[1], strict=strict) or scale


def rough_scale(mask: np.ndarray) -> tuple[list[Blob], Scale | None]:
    """The blobs of a first mask and the writing's scale, long straight lines taken out first.

    An underline touching every digit makes one wide blob of the whole
    number; without it the digits are measured one by one.
    """
    blobs = find_blobs(mask, min_area=4)[1]
    scale = estimate_scale(blobs)
    if scale is None:
        return blobs, None
    return blobs, without_long_strokes(mask, scale)


def without_rulings(mask: np.ndarray, scale: Scale) -> np.ndarray:
    """``mask`` without ruled or squared-paper lines (:func:`remove_ruled_lines`).

    A ruling line is far longer than a digit, while the stems of "404" in a
    tight crop are not: lines must be :data:`RULE_LENGTH` digit heights long.
    But page-high rules themselves set the height measured before they are
    removed, which would keep every such family; so a family under
    :data:`THIN_RULE` of the stroke of the ink left without it (or with
    nothing left: stripes) goes regardless.
    """
    guarded = remove_ruled_lines(mask, min_length=int(RULE_LENGTH * scale.height))
    if RULE_LENGTH * scale.height <= 0.7 * min(mask.shape):
        return guarded  # the guard asks for no more than the search's own 70% of the image
    unguarded = remove_ruled_lines(mask)
    if unguarded is mask or np.array_equal(unguarded, guarded):
        return guarded
    height, width = mask.shape
    removed = find_blobs(cv2.bitwise_and(mask, cv2.bitwise_not(unguarded)), min_area=4)[1]
    # What was taken must be lines: half the image long, not crumbs of a digit's stems.
    lines = [b for b in removed if b.box.height >= 0.5 * height or b.box.width >= 0.5 * width]
    if not lines:
        return guarded
    pen = estimate_scale(find_blobs(unguarded, min_area=4)[1], strict=True)
    thickness = float(np.median([b.stroke for b in lines]))  # most pieces cross no digit
    return unguarded if pen is None or thickness <= THIN_RULE * pen.stroke else guarded


def tallness(line: list[Blob], index: int) -> float:
    """Height of ``line[index]`` over the median height of the line's other blobs, when it
    hangs below them; else 0.

    It hangs when its bottom is a quarter of their height below their median bottom, and
    at least half as far as its top rises above their median top. A 7 or 9 written with a
    tail does; a plain 1 beside small digits stands on their baseline and rises above them.
    """
    others = [b.box for i, b in enumerate(line) if i != index]
    if not others:
        return 0.0
    box, height = line[index].box, float(np.median([o.height for o in others]))
    below = box.bottom - float(np.median([o.bottom for o in others]))
    above = float(np.median([o.y for o in others])) - box.y
    return box.height / height if below >= max(0.25 * height, 0.5 * above) else 0.0
