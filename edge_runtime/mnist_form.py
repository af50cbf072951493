"""One digit crop → MNIST form: the stable, pure normalisation shared by serving and training.

MNIST digits were made by scaling each digit's box so its longest side is
20 px, anti-aliasing, and placing it in 28×28 with its centre of mass at the
centre. :func:`normalize_digit` does exactly that to any crop of one digit,
after making the stroke width relative to the digit's size MNIST-like (a thin
pen on a big canvas would otherwise shrink to a faint hairline).

Trainers use the same function for augmentation so that what the model is
trained on matches what it is served (train/serve parity).
"""

from __future__ import annotations

import numpy as np

from edge_runtime.opencv import cv2
from edge_runtime.pixels import MNIST_DIGIT_SIDE, MNIST_SIDE

TARGET_STROKE_RATIO = 0.11
"""Stroke width / digit height wanted before scaling (MNIST's is about 0.1-0.15)."""

TALL = 1.5
"""A digit this many times taller than the median of its line's others gets a widened
second look (:func:`widened_form`)."""
MAX_WIDEN = 3.0
"""The second look widens by the digit's tallness, but never more than this."""


def _odd(value: float, minimum: int = 3) -> int:
    size = max(minimum, round(value))
    return size if size % 2 else size + 1


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary digit mask: ``2 × area / perimeter`` (long thin strokes)."""
    contours, _ = cv2.findContours(
        (mask > 0).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE
    )
    perimeter = sum(cv2.arcLength(contour, True) for contour in contours)
    area = float(np.count_nonzero(mask))
    return 2.0 * area / perimeter if perimeter > 0 else 0.0


def center_by_mass(digit: np.ndarray) -> np.ndarray:
    """Pad a digit (longest side ≤ 20) into 28×28 with its centre of mass at the centre."""
    canvas = np.zeros((MNIST_SIDE, MNIST_SIDE), np.uint8)
    height, width = digit.shape
    top, left = (MNIST_SIDE - height) // 2, (MNIST_SIDE - width) // 2
    canvas[top : top + height, left : left + width] = digit
    moments = cv2.moments(canvas)
    if moments["m00"] == 0:
        return canvas
    shift_x = MNIST_SIDE / 2 - moments["m10"] / moments["m00"]
    shift_y = MNIST_SIDE / 2 - moments["m01"] / moments["m00"]
    # Limit the shift so the digit never leaves the frame.
    shift_x = float(np.clip(shift_x, -left, MNIST_SIDE - left - width))
    shift_y = float(np.clip(shift_y, -top, MNIST_SIDE - top - height))
    matrix = np.array([[1, 0, shift_x], [0, 1, shift_y]], dtype=np.float32)
    return cv2.warpAffine(canvas, matrix, (MNIST_SIDE, MNIST_SIDE), flags=cv2.INTER_LINEAR)


def widen(crop: np.ndarray, factor: float) -> np.ndarray:
    """``crop`` stretched ``factor`` times wider with its strokes kept as thick as they were.

    A second look for a digit much taller than its neighbours (a 7 or 9 that
    hangs below the line): fitted into MNIST's 20-px box it comes out as thin
    as a 1, its flag or loop a few pixels wide. Widened by how much taller it
    is, it is drawn in the proportions its neighbours get. Vertical strokes
    are eroded back to their width, so a real 1 stays one stroke rather than
    becoming a bar. Same contract as :func:`normalize_digit`'s ``crop``
    (white ink on black, ``uint8``); ``factor`` ≤ 1 returns the crop as it is.
    """
    array = np.asarray(crop)
    if factor <= 1.0 or not array.any():
        return array
    height, width = array.shape
    mask = (array >= max(1, int(array.max()) // 2)).astype(np.uint8)
    thinning = round((factor - 1.0) * stroke_width(mask))  # extra width of a vertical stroke
    wide = cv2.resize(
        array, (max(1, round(width * factor)), height), interpolation=cv2.INTER_LINEAR
    )
    if thinning < 1:
        return wide
    padded = cv2.copyMakeBorder(wide, 0, 0, thinning, thinning, cv2.BORDER_CONSTANT)
    return cv2.erode(padded, np.ones((1, thinning + 1), np.uint8))


def widened_form(
    crop: np.ndarray, tallness: float, target_stroke_ratio: float = TARGET_STROKE_RATIO
) -> np.ndarray | None:
    """MNIST form of ``crop`` widened by ``tallness`` (its height over its line's), or None.

    None when the digit is less than :data:`TALL` times as tall as its
    neighbours (or alone: ``tallness`` 0): it needs no second look.
    """
    if tallness < TALL:
        return None
    wide = widen(crop, min(tallness, MAX_WIDEN))
    return normalize_digit(wide, target_stroke_ratio=target_stroke_ratio)


def ink_strength(ink: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Ink strength inside ``region`` (a mask), stretched so a typical stroke is full white.

    ``ink`` is float ink strength (white-on-black), ``region`` a ``uint8`` mask of the
    digit's pixels; the result, ``uint8`` of the same shape, is what
    :func:`normalize_digit` takes for a digit found in a photo (and for training parity).
    """
    strokes = ink[region > 0]
    full = float(np.percentile(strokes, 90)) if strokes.size else 255.0
    near = cv2.dilate(region, np.ones((3, 3), np.uint8)) > 0
    return np.where(near, np.clip(ink * (255.0 / max(full, 1.0)), 0, 255), 0).astype(np.uint8)


def normalize_digit(
    crop: np.ndarray, *, target_stroke_ratio: float = TARGET_STROKE_RATIO
) -> np.ndarray:
    """One digit → 28×28 ``uint8`` MNIST form (white on black, longest side 20 px, mass-centred).

    ``crop``: a 2-D array holding ONE digit as white ink on black — a binary
    mask (bool, 0/1 or 0/255) or ink strength (``uint8`` 0-255); any size,
    margins allowed (they are trimmed). Strokes thinner than
    ``target_stroke_ratio`` × the digit's longest side are thickened first.
    An empty crop gives an all-black image. Pure: the input is not modified.
    """
    array = np.asarray(crop)
    if array.dtype == np.bool_ or array.max(initial=0) <= 1:
        array = array.astype(np.uint8) * 255
    elif array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    ys, xs = np.nonzero(array)
    if ys.size == 0:
        return np.zeros((MNIST_SIDE, MNIST_SIDE), np.uint8)
    digit = array[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    height, width = digit.shape
    long_side = max(height, width)
    wanted = target_stroke_ratio * long_side
    mask = (digit >= max(1, int(digit.max()) // 2)).astype(np.uint8)
    current = stroke_width(mask)
    if 0 < current < 0.6 * wanted:  # thin pen on a big canvas: thicken before shrinking
        size = _odd(wanted - current + 1, minimum=3)  # dilation adds size - 1 to the width
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        pad = size // 2
        digit = cv2.dilate(
            cv2.copyMakeBorder(digit, pad, pad, pad, pad, cv2.BORDER_CONSTANT), kernel
        )
        height, width = digit.shape
        long_side = max(height, width)
    scale = MNIST_DIGIT_SIDE / long_side
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return center_by_mass(cv2.resize(digit, size, interpolation=interpolation))
