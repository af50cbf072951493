"""Candidate cut paths through a blob of touching digits (the nodes of :mod:`edge_runtime.split`).

A path is one x per row, so a cut may slant or bend around a stroke:

* straight cuts, vertical or slanted, through the columns where a line at that angle
  crosses the least ink (the touching point of "10" or "00");
* seam cuts: the path from top to bottom that crosses the least ink within a band
  around such a column (a drop-fall that may go either way round a loop);
* the same at evenly spaced columns, for digits pressed together with no thin point;
* for a blob no wider than one digit, one straight cut near each edge
  (:func:`edge_cuts`: a 1 touching its neighbour).
"""

from __future__ import annotations

import numpy as np

from edge_runtime.opencv import cv2

MAX_CUTS = 12
"""Cut paths per blob (the lattice's inner nodes)."""
DIGIT_ASPECT = 0.62
"""Typical width / height of a handwritten digit (MNIST's median, "1" excluded)."""
SLOPES = (-0.3, -0.15, 0.0, 0.15, 0.3)
"""Slants (x per y) of straight cuts."""
EDGE_MARGIN = 0.1
"""An edge cut leaves at least this × the blob's height of ink beside it (a thin 1)."""
EDGE_SLOPES = (0.0, -0.1, 0.1, -0.2, 0.2, -0.3, 0.3)
"""Slants of edge cuts, upright first: finer than ``SLOPES``, to pass close along a 1."""
EDGE_CANDIDATES = 3
"""Edge cuts tried per side: the least ink may lie inside a loop, not beside the 1."""


def _crossings(mask: np.ndarray, slope: float) -> np.ndarray:
    """Ink crossed by a straight cut of ``slope`` through each column (at the blob's mid-height)."""
    height, width = mask.shape
    shifts = np.round(slope * (np.arange(height) - (height - 1) / 2)).astype(int)
    pad = int(np.abs(shifts).max(initial=0))
    padded = np.pad(mask, ((0, 0), (pad, pad)))
    rows = np.arange(height)[:, None]
    columns = np.arange(width)[None, :] + pad + shifts[:, None]
    return padded[rows, columns].sum(axis=0).astype(np.float32)


def _straight(column: int, slope: float, height: int, width: int) -> np.ndarray:
    shifts = np.round(slope * (np.arange(height) - (height - 1) / 2)).astype(int)
    return np.clip(column + shifts, 0, width).astype(np.int32)


def _seam(mask: np.ndarray, column: int, band: int) -> np.ndarray:
    """The top-to-bottom path within ``column ± band`` crossing the least ink (8-connected)."""
    height, width = mask.shape
    x0, x1 = max(0, column - band), min(width, column + band + 1)
    cost = mask[:, x0:x1].astype(np.float32)
    # Leaving the centre costs a little, so a path through paper stays near the centre.
    cost += 0.02 * np.abs(np.arange(x0, x1) - column)[None, :] / max(1, band)
    total = cost.copy()
    step = np.zeros(cost.shape, np.int8)
    left, right = (
        np.full(cost.shape[1], np.inf, np.float32),
        np.full(cost.shape[1], np.inf, np.float32),
    )
    for y in range(1, height):
        previous = total[y - 1]
        left[1:], right[:-1] = previous[:-1] + 0.05, previous[1:] + 0.05
        best = np.minimum(previous, np.minimum(left, right))
        step[y] = np.where(best == previous, 0, np.where(best == left, -1, 1))
        total[y] += best
    path = np.empty(height, np.int32)
    x = int(total[-1].argmin())
    for y in range(height - 1, -1, -1):
        path[y] = x + x0
        x += int(step[y, x])
    return path


def _centres(mask: np.ndarray, min_piece: int) -> list[tuple[int, float]]:
    """Columns where some straight cut crosses little ink, best first, with that cut's slope."""
    width = mask.shape[1]
    profiles = np.stack([_crossings(mask, slope) for slope in SLOPES])
    sigma = max(1.0, min_piece / 8)
    smooth = cv2.GaussianBlur(profiles, (0, 0), sigmaX=sigma, sigmaY=0.01)
    best = smooth.min(axis=0)
    inside = np.arange(min_piece, width - min_piece + 1)
    if inside.size == 0:
        return []
    values = best[inside]
    left = np.r_[np.inf, values[:-1]]
    right = np.r_[values[1:], np.inf]
    minima = inside[(values <= left) & (values <= right)]
    chosen: list[tuple[int, float]] = []
    for column in sorted(minima.tolist(), key=lambda c: best[c]):
        if all(abs(column - c) >= min_piece for c, _ in chosen):
            chosen.append((column, SLOPES[int(smooth[:, column].argmin())]))
    return chosen


def cut_paths(
    mask: np.ndarray, height: int | None = None, line_width: float | None = None
) -> list[np.ndarray]:
    """Candidate cut paths through a blob mask (``uint8`` 0/1), left to right, deduplicated.

    How many digits the blob may hold (so how many cuts to look for) comes from its
    height and, when known, from the line's digit width (small digits beside a tall one).
    """
    rows, width = mask.shape
    height = height or rows
    min_piece = max(2, int(0.2 * height))
    if width < 2 * min_piece:
        return []
    centres = _centres(mask, min_piece)
    digits = max(2, round(width / (DIGIT_ASPECT * height)))
    if line_width:
        digits = max(digits, round(width / max(1.0, line_width)))
    budget = min(MAX_CUTS // 2, 2 * digits)
    even = [round(width * i / digits) for i in range(1, digits)]
    seeds = [c for c, _ in centres[:budget]]
    seeds += [e for e in even if all(abs(e - c) >= min_piece / 2 for c in seeds)]
    paths: list[np.ndarray] = []
    band = max(2, int(0.25 * height))
    slopes = dict(centres)
    for column in seeds:
        found = [_straight(column, slopes.get(column, 0.0), rows, width), _seam(mask, column, band)]
        for path in found:
            if all(np.abs(path - other).mean() >= 2 for other in paths):
                paths.append(path)
        if len(paths) >= MAX_CUTS:
            break
    return sorted(paths[:MAX_CUTS], key=lambda p: float(p.mean()))


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a 0/1 mask: twice its area over its boundary pixels."""
    boundary = np.count_nonzero(mask != cv2.erode(mask, np.ones((3, 3), np.uint8)))
    return max(1.0, 2.0 * float(mask.sum()) / max(1, boundary))


def crossed(mask: np.ndarray, path: np.ndarray, stroke: float) -> tuple[int, float]:
    """Strokes a cut path crosses (ink runs along it) and its ink pixels in stroke widths."""
    height, width = mask.shape
    if width == 0 or path.min() >= width or path.max() <= 0:
        return 0, 0.0
    on = mask[np.arange(height), np.clip(path, 0, width - 1)].astype(np.int8)
    runs = int(on[0]) + int(np.count_nonzero(np.diff(on) == 1))
    return runs, float(on.sum()) / stroke


def edge_cuts(mask: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Straight cuts through the left and the right half of a blob (``uint8`` 0/1), at most
    ``EDGE_CANDIDATES`` each, crossing the least ink first, at any of the ``EDGE_SLOPES``,
    at least ``EDGE_MARGIN`` × its height from the edge.

    No seams: they cost a millisecond each, and every digit-sized blob of a frame gets these.
    """
    height, width = mask.shape
    margin = max(2, int(EDGE_MARGIN * height))
    if width < 2 * margin + 2:
        return [], []
    profiles = np.stack([_crossings(mask, slope) for slope in EDGE_SLOPES])
    sides: list[list[np.ndarray]] = []
    for low, high in ((margin, width // 2), (width - width // 2, width - margin)):
        least, slopes = profiles[:, low:high].min(axis=0), profiles[:, low:high].argmin(axis=0)
        columns: list[int] = []
        for column in np.argsort(least, kind="stable").tolist():  # upright, then leftmost
            if all(abs(column - other) >= margin // 2 for other in columns):
                columns.append(column)
            if len(columns) == EDGE_CANDIDATES:
                break
        sides.append(
            [_straight(low + c, EDGE_SLOPES[int(slopes[c])], height, width) for c in columns]
        )
    return sides[0], sides[1]
