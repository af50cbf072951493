"""Group digit candidates into numbers along text lines (height, baseline and gap consistency)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from edge_runtime.components import Blob
from edge_runtime.results import Box, Rejected

MAX_GAP = 1.5
"""Digits of one number are at most this many digit-heights apart (edge to edge)."""


def union_box(boxes: Sequence[Box]) -> Box:
    """The smallest box holding all ``boxes``."""
    x0, y0 = min(b.x for b in boxes), min(b.y for b in boxes)
    x1, y1 = max(b.right for b in boxes), max(b.bottom for b in boxes)
    return Box(x0, y0, x1 - x0, y1 - y0)


def _fits(line: list[Blob], blob: Blob, max_gap: float) -> float | None:
    """Horizontal gap if ``blob`` continues ``line`` (same band, similar height), else None.

    Allowed gaps grow with the writing (``max_gap`` × the tallest digit) and
    with the line's own spacing (twice its median gap): widely spaced
    handwriting stays one number, a far-off mark does not join it.
    """
    last = line[-1]
    tallest = max(b.box.height for b in line)
    gap = blob.box.x - last.box.right
    spacing = [b.box.x - a.box.right for a, b in itertools.pairwise(line)]
    allowed = max_gap * max(tallest, blob.box.height)
    if spacing:
        allowed = max(allowed, 2.0 * float(np.median(spacing)))
    if gap > allowed or gap < -0.5 * min(last.box.width, blob.box.width):
        return None
    median = float(np.median([b.box.height for b in line]))
    height = blob.box.height
    if not (0.3 <= height / median <= 3.3 or 0.25 <= height / tallest <= 2.5):
        return None
    # Vertical overlap with the line's band (the last digit's, so slanted lines still chain).
    top, bottom = max(last.box.y, blob.box.y), min(last.box.bottom, blob.box.bottom)
    if bottom - top < 0.4 * min(last.box.height, blob.box.height):
        return None
    return float(gap)


def group_lines(blobs: Sequence[Blob], max_gap: float = MAX_GAP) -> list[list[Blob]]:
    """Chains of blobs read left to right, each one number; the most prominent first.

    Blobs are taken left to right and each joins the line it continues with
    the smallest gap, or starts a new one. Prominence is total ink area.
    """
    lines: list[list[Blob]] = []
    for blob in sorted(blobs, key=lambda b: (b.box.x, b.box.y)):
        best, best_gap = None, None
        for line in lines:
            gap = _fits(line, blob, max_gap)
            if gap is not None and (best_gap is None or gap < best_gap):
                best, best_gap = line, gap
        if best is None:
            lines.append([blob])
        else:
            best.append(blob)
    return sorted(lines, key=lambda line: -sum(b.area for b in line))


def _juts(blob: Blob, others: Sequence[Blob], margin: float) -> bool:
    """True for a thin upright bar reaching above AND below the digits beside it by ``margin``."""
    tops = float(np.median([b.box.y for b in others]))
    bottoms = float(np.median([b.box.bottom for b in others]))
    height = bottoms - tops
    box = blob.box
    return (
        box.width < 2.5 * blob.stroke + 0.1 * box.height  # one straight stroke, upright
        and box.y < tops - margin * height
        and box.bottom > bottoms + margin * height
    )


def _pair(first: Blob, last: Blob) -> bool:
    """The two ends span the same rows: the left and right sides of one box."""
    a, b = first.box, last.box
    return abs(a.y - b.y) + abs(a.bottom - b.bottom) < 0.3 * min(a.height, b.height)


def frame_sides(line: list[Blob]) -> tuple[list[Blob], list[Rejected]]:
    """The line without the sides of a box or brackets drawn round it, and those as rejected.

    A side is a thin bar at either end of the line reaching above and below
    its neighbours by a quarter of their height (a 1 is as tall as its
    neighbours), or by a tenth when the bars at both ends span the same rows.
    """
    reason = "bar taller than the digits beside it (a box side)"
    if len(line) >= 4 and _pair(line[0], line[-1]):
        inner = line[1:-1]
        if _juts(line[0], inner[:2], 0.1) and _juts(line[-1], inner[-2:], 0.1):
            return inner, [Rejected(line[0].box, reason), Rejected(line[-1].box, reason)]
    rejected: list[Rejected] = []
    for _ in range(2):  # at most one side at each end
        if len(line) < 3:
            break
        for end in (0, -1):
            others = line[1:3] if end == 0 else line[-3:-1]  # its neighbours: lines slant
            if _juts(line[end], others, 0.25):
                rejected.append(Rejected(line.pop(end).box, reason))
                break
        else:
            break
    return line, rejected
