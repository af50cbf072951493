"""Separate ink from paper: pure numpy/OpenCV functions, white-on-black in and out.

Two ways to estimate the paper behind the writing, compared on real photos
(see the README's "Reading real photos" figures):

* ``tophat`` — a morphological top-hat with a kernel a third of the image:
  cheap and right for evenly or smoothly lit pages, but a hard-edged cast
  shadow or a narrow dark band survives it as a large "ink" region.
* ``background`` — the paper is estimated at the scale of the *writing*: a
  grey closing whose kernel is a few stroke widths wide fills every stroke
  and keeps every shadow edge, then ink is measured as the fraction of light
  it absorbs, ``(paper - pixel) / paper``, so writing in a shadow is as strong
  as writing in the light.

Both return ink strength (``uint8``, white ink on black, background ≈ 0);
:func:`ink_mask` thresholds it.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.mnist_form import _odd
from edge_runtime.opencv import cv2


def polarity_flipped(gray: np.ndarray, dark_ink: bool) -> np.ndarray:
    """Lightly blurred ``gray`` with ink made white (inverted when the ink is dark)."""
    blurred = cv2.GaussianBlur(gray, (3, 3), 0)
    return 255 - blurred if dark_ink else blurred


def tophat_ink(ink: np.ndarray) -> np.ndarray:
    """Ink strength from a top-hat with a kernel a third of the image's shorter side.

    OpenCV's morphology ignores pixels beyond the border, so a stroke touching
    the edge is measured against the paper beside it.
    """
    side = _odd(min(ink.shape) / 3)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    return cv2.morphologyEx(ink, cv2.MORPH_TOPHAT, kernel)


def background_ink(ink: np.ndarray, stroke: float) -> np.ndarray:
    """Ink strength relative to the paper estimated at the writing's scale (see module doc).

    ``stroke`` is the writing's stroke width in pixels; the paper estimate is
    an opening of the white-ink image (a closing of the dark-ink one) with a
    kernel wider than any stroke, smoothed a little so it follows light
    falloff without stepping.
    """
    side = _odd(2.5 * max(stroke, 1.0) + 2, minimum=5)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    paper_ink = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)  # ink level of the paper
    paper = 256.0 - paper_ink.astype(np.float32)  # paper brightness (dark-ink view)
    strength = (ink.astype(np.float32) - paper_ink) / paper
    return np.clip(strength * 255.0, 0, 255).astype(np.uint8)


def ink_mask(
    ink: np.ndarray, min_contrast: int, threshold: str = "otsu", floor_ratio: float = 0.4
) -> np.ndarray | None:
    """Binary mask (0/255) of ink pixels, or None when nothing stands out enough.

    Otsu alone fails when the digit is a tiny fraction of a textured frame (it
    then splits the paper texture in two), so the threshold is never below
    ``floor_ratio`` (40%) of the strongest stroke: a stroke's core is always
    above that, paper texture well below. ``threshold="adaptive"`` uses a local mean instead.
    """
    # The strongest ink after a 5×5 box blur: isolated noise pixels average away, strokes don't.
    peak = int(cv2.blur(ink, (5, 5)).max())
    # A faint 2-px pencil line loses half its strength in that blur; a 3×3 median keeps it
    # (and still removes isolated pixels): either may show that something stands out.
    if peak < min_contrast and int(cv2.medianBlur(ink, 3).max()) < min_contrast:
        return None
    floor = max(floor_ratio * peak, min_contrast / 2)
    if threshold == "adaptive":
        block = _odd(min(ink.shape) / 8, minimum=11)
        mask = cv2.adaptiveThreshold(
            ink, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, -min_contrast / 4
        )
        mask[ink < floor] = 0  # adaptive thresholds fire on faint texture
        return mask
    level, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _, mask = cv2.threshold(ink, max(level, floor), 255, cv2.THRESH_BINARY)
    return mask


def long_runs(mask: np.ndarray, length: int, horizontal: bool = True) -> np.ndarray:
    """Pixels of ``mask`` on straight horizontal (or vertical) runs at least ``length`` long.

    A morphological opening with a 1-px line kernel; long kernels are applied
    to a 2×-pooled copy (an opening's cost grows with the kernel), which may
    bridge gaps of one pixel — harmless for the lines this looks for.
    """
    height, width = mask.shape
    if length >= 48 and min(height, width) >= 8:
        pooled = cv2.resize(mask, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
        pooled = np.where(pooled > 0, 255, 0).astype(np.uint8)
        size = (length // 2, 1) if horizontal else (1, length // 2)
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, size)
        found = cv2.morphologyEx(pooled, cv2.MORPH_OPEN, kernel)
        if not found.any():
            return np.zeros_like(mask)
        found = cv2.resize(found, (width, height), interpolation=cv2.INTER_NEAREST)
        return cv2.bitwise_and(found, mask)
    size = (length, 1) if horizontal else (1, length)
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, size))


def remove_ruled_lines(mask: np.ndarray, min_lines: int = 3, min_length: int = 0) -> np.ndarray:
    """Erase ruled or squared-paper lines: families of straight lines across 70% of the image.

    A single long stroke may be a digit's (the bar of a 7 or a 4 that fills
    the image), so lines are removed only when at least ``min_lines``
    parallel ones are found (one lone rule is left to
    :func:`edge_runtime.rulings.erase_lines`, which knows the writing's height), and only
    lines at least ``min_length`` long count (the caller passes a few digit
    heights: in a tight crop the stems of "404" span 70% of the image too).
    Small gaps the removal cuts into strokes crossing a line are closed.
    """
    height, width = mask.shape
    lines = np.zeros_like(mask)
    for length, horizontal in ((int(width * 0.7), True), (int(height * 0.7), False)):
        length = max(length, min_length)
        if length < 15 or length > (width if horizontal else height):
            continue
        found = long_runs(mask, length, horizontal)
        if not found.any():
            continue
        count, _ = cv2.connectedComponents(found)
        if count - 1 >= min_lines:
            lines |= found
    if not lines.any():
        return mask
    lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    cleaned = cv2.bitwise_and(mask, cv2.bitwise_not(lines))
    return cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))


def remove_long_strokes(mask: np.ndarray, length: int) -> np.ndarray:
    """Erase straight horizontal runs longer than ``length`` px.

    No handwritten digit has a straight horizontal stroke much longer than
    its height, so with ``length`` a few digit heights this removes
    underlines, a notebook's rule through the writing, the top and bottom of
    a box drawn around a number and form fields, and unglues digits that
    touch them. (Vertical runs are left alone: a 1 or a 9's stem is one.)
    The pipeline calls it only to measure the writing's scale, with
    ``length`` = :data:`edge_runtime.scale.LONG_STROKE` stroke widths;
    lines are erased from the ink itself by :mod:`edge_runtime.rulings`.
    """
    if length < 8 or length > mask.shape[1]:
        return mask
    lines = long_runs(mask, length)
    if not lines.any():
        return mask
    lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    return cv2.bitwise_and(mask, cv2.bitwise_not(lines))
