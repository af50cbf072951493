"""A line drawn under a number and touching its digits: found and cut off whole.

An underline is drawn a few pixels below the writing and, thickened by the
pen and the camera's blur, often touches it: the digits and the line are
then one blob. A short one passes for part of the digit ("7" with a line
under it reads "2"); a long one is erased by :mod:`edge_runtime.rulings`
only where it runs bare, so a stub stays under every digit that touched it
("1" + stub reads "1", "2" + stub reads "2" but "8" + stub reads "2").

What tells an underline apart is that it is a straight band along the
bottom of the blob with nothing below it, which runs on past the ink just
above it at both ends, but not far. No digit's stroke does that: a 2's base
starts where its diagonal ends, a rule through the writing has strokes below
it, and a notebook's rule the digits sit on runs on across the page (or
out of the photo).
(A 1's foot does, and cutting it leaves a 1.)

Pure numpy/OpenCV on a label image and its blobs.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.components import Blob, Scale
from edge_runtime.opencv import cv2
from edge_runtime.results import Box, Rejected
from edge_runtime.rulings import find_line

NEAR = 0.5
"""The ink "just above" the line is that within this many digit heights of it."""

OVERHANG = 0.75
"""An underline runs on past the writing by at most this many digit heights at either end."""


def _band(labels: np.ndarray, blob: Blob, scale: Scale) -> np.ndarray | None:
    """The underline's pixels in ``blob`` (a bool image of its box), or None."""
    box = blob.box
    if box.width < 0.6 * scale.height or box.height < 0.5 * scale.height:
        return None
    own = np.isin(labels[box.y : box.bottom, box.x : box.right], blob.labels)
    rows = max(1, box.height // 4)  # a cheap first look: ink in most columns of the bottom rows
    if own[-rows:].any(axis=0).mean() < 0.8:
        return None
    ys, xs = np.nonzero(own)
    line, points = find_line(xs, ys, int(0.8 * box.width), blob.stroke)
    if line is None or 2 * line.half_width > 1.5 * max(blob.stroke, scale.stroke):
        return None  # one pen stroke thick, not a bold digit's whole bottom
    # The band's fringe and rounded ends are the line's too (blur widens it by a pixel or two).
    cap = line.half_width + 2
    points = (np.abs(ys - (line.slope * xs + line.offset)) <= cap) & (
        (xs >= line.start - cap) & (xs < line.end + cap)
    )
    rest_x, rest_y = xs[~points], ys[~points]
    if rest_x.size == 0:
        return None
    level = line.slope * rest_x + line.offset  # the line's centre row under each pixel
    below = rest_y > level + line.half_width + max(2.0, blob.stroke)
    if below.any() or np.ptp(rest_y) < 0.4 * scale.height:
        return None  # strokes below it (a rule through the writing) or nothing to underline
    near = rest_y >= level - NEAR * scale.height
    if not near.any():
        return None
    reach = max(2.0, 0.4 * scale.stroke)
    if line.start > rest_x[near].min() - reach or line.end < rest_x[near].max() + reach:
        return None  # it ends where a stroke comes down to it: a digit's own base
    if line.start >= rest_x.min() or line.end <= rest_x.max():
        return None  # a 2's top reaches as far as its base
    overhang = OVERHANG * scale.height
    if line.start < rest_x.min() - overhang or line.end > rest_x.max() + overhang:
        return None  # a notebook's rule the digits sit on: erased where it runs bare, later
    if box.x + line.start <= 0 or box.x + line.end >= labels.shape[1]:
        return None  # a rule cut by the photo's edge, not a line someone ended
    band = np.zeros(own.shape, bool)
    band[ys[points], xs[points]] = True
    rest = own & ~band
    _, _, stats, _ = cv2.connectedComponentsWithStats(rest.astype(np.uint8), connectivity=8)
    if (stats[1:, cv2.CC_STAT_HEIGHT] >= 0.4 * scale.height).sum() < 2:
        # Under one digit, the line must meet it away from its ends: a 2 with a wide base
        # meets its diagonal at the base's left end.
        touching = rest_x[rest_y >= level - line.half_width - 2]
        margin = 0.2 * (line.end - line.start)
        if touching.size == 0 or touching.min() < line.start + margin:
            return None
        if touching.max() > line.end - margin:
            return None
    return band


def cut_underlines(
    mask: np.ndarray, labels: np.ndarray, blobs: list[Blob], scale: Scale
) -> tuple[np.ndarray, list[Rejected]]:
    """``mask`` without the underlines joined to the digits above them, and those as rejected.

    The mask is returned unchanged (the same object) when there are none.
    """
    cut, rejected = mask, []
    for blob in blobs:
        band = _band(labels, blob, scale)
        if band is None:
            continue
        if cut is mask:
            cut = mask.copy()
        box = blob.box
        cut[box.y : box.bottom, box.x : box.right][band] = 0
        ys, xs = np.nonzero(band)
        x0, y0 = box.x + int(xs.min()), box.y + int(ys.min())
        found = Box(x0, y0, int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
        rejected.append(Rejected(found, f"underline touching the digits ({found.width} px)"))
    return cut, rejected
