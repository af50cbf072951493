"""Ruling and form lines, level or a little askew: straight strokes far longer than any digit.

A notebook's rule or a form's line that touches the writing joins the digits
into one long blob; photographed a little askew it has no long horizontal run
of pixels for a morphological opening to find. Here each blob longer than
2.2 digit heights is searched for a straight line: its pixels are projected
across every slope up to :data:`MAX_TILT`, the slope whose projection piles
the most pixels into one row wins, and the band of pixels around that row is
a line when it runs on (gaps of a couple of stroke widths allowed) for at
least that length. No digit has a straight stroke that long.

The line is erased only where it is alone: where a stroke crosses it or sits
on it (the stem of a 4, the base of a 2) the ink across the line is thicker
than the line, and it is kept, so digits are not cut in two. A band along the
image's edge is the paper's edge (rejected whole elsewhere), and one with ink
beside it all along is the edge of a dark region: neither is erased.

Pure numpy/OpenCV on a binary mask (0/255, white ink).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge_runtime.components import Blob
from edge_runtime.results import Box, Rejected
from edge_runtime.scale import RULE_LENGTH

MAX_TILT = 0.2
"""Steepest tilt searched, as a slope (about 11°): rules and form lines photographed askew."""

MAX_LINES = 4
"""Lines searched for in one blob (a form's box has a top, a bottom and two sides)."""

MIN_LENGTH = 24
"""Shortest line searched for, in pixels, however small the writing is measured."""

COVERAGE = 0.9
"""A line's band holds ink at this share of the positions along it (rules are continuous)."""

_MAX_POINTS = 6000
"""The slope search looks at most at this many of a blob's pixels (evenly strided)."""


@dataclass(frozen=True)
class Line:
    """A straight band of ink: ``across = slope × along + offset`` for ``along`` in [start, end].

    For a near-horizontal line ``along`` is x and ``across`` is y; for a
    near-vertical one the other way round.
    """

    horizontal: bool
    slope: float
    offset: float
    start: int
    end: int
    half_width: float

    @property
    def length(self) -> int:
        return self.end - self.start

    def endpoints(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """(x, y) of both ends, for drawing."""
        ends = []
        for along in (self.start, self.end):
            across = self.slope * along + self.offset
            ends.append((along, across) if self.horizontal else (across, along))
        return tuple((round(x), round(y)) for x, y in ends)  # type: ignore[return-value]


def _longest_run(along: np.ndarray, max_gap: float) -> tuple[int, int]:
    """Start and end of the longest stretch of ``along`` values with no gap over ``max_gap``."""
    values = np.unique(along)
    breaks = np.flatnonzero(np.diff(values) > max_gap)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(values) - 1]])
    best = int(np.argmax(values[ends] - values[starts]))
    return int(values[starts[best]]), int(values[ends[best]]) + 1


def _best_slope(along: np.ndarray, across: np.ndarray, slopes: np.ndarray, blur: int):
    """The slope piling the most points into ``blur`` adjacent rows, and that pile."""
    best_slope, best_peak = 0.0, 0
    window = np.ones(blur, np.int64)
    for slope in slopes:
        rows = np.round(across - slope * along).astype(np.int64)
        counts = np.bincount(rows - rows.min())
        peak = int((np.convolve(counts, window, "same") if blur > 1 else counts).max())
        if peak > best_peak:
            best_slope, best_peak = float(slope), peak
    return best_slope, best_peak


def find_line(
    along: np.ndarray, across: np.ndarray, min_length: int, stroke: float
) -> tuple[Line | None, np.ndarray]:
    """The longest straight band through the points (any slope up to MAX_TILT), and its points.

    ``along``/``across`` are pixel coordinates (x, y for horizontal lines).
    Returns (None, empty) when no band runs ``min_length`` pixels. Slopes are
    searched coarse to fine: first steps that move the far end by 4 rows
    (counting 4 adjacent rows), then steps of one row round the best.
    """
    nothing = np.zeros(0, bool)
    span = int(np.ptp(along)) if along.size else 0
    if along.size < min_length or span < min_length:
        return None, nothing
    step = max(1, along.size // _MAX_POINTS)
    sample_along, sample_across = along[::step].astype(np.float32), across[::step]
    coarse = 4.0 / span
    slopes = np.arange(-MAX_TILT, MAX_TILT + coarse / 2, coarse)
    slope, _ = _best_slope(sample_along, sample_across, slopes, 4)
    fine = np.arange(slope - coarse, slope + coarse + 0.5 / span, 1.0 / span)
    fine = fine[np.abs(fine) <= MAX_TILT + 0.5 / span]
    slope, peak = _best_slope(sample_along, sample_across, fine, 1)
    if peak * step < 0.6 * min_length:  # not even the pixels of one such line
        return None, nothing
    rows = np.round(across - slope * along).astype(np.int64)
    low = int(rows.min())
    histogram = np.bincount(rows - low)
    peak_row = int(np.argmax(histogram))
    # The band: rows next to the peak still holding a good share of its pixels.
    limit = max(1, int(np.ceil(stroke)))
    top = bottom = peak_row
    share = 0.3 * histogram[peak_row]
    while top > 0 and peak_row - top < limit and histogram[top - 1] >= share:
        top -= 1
    last = len(histogram) - 1
    while bottom < last and bottom - peak_row < limit and histogram[bottom + 1] >= share:
        bottom += 1
    inside = (rows - low >= top) & (rows - low <= bottom)
    start, end = _longest_run(along[inside], max_gap=max(3.0, 2.0 * stroke))
    if end - start < min_length:
        return None, nothing
    # A rule is continuous: the bottoms of touching digits line up too, but with gaps.
    covered = np.unique(along[inside & (along >= start) & (along < end)]).size
    if covered < COVERAGE * (end - start):
        return None, nothing
    offset = (top + bottom) / 2 + low
    line = Line(True, slope, offset, start, end, (bottom - top + 1) / 2)
    return line, inside & (along >= start) & (along < end)


def _extents(inked: np.ndarray, centre: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``inked`` (bool), how far ink runs left and right of column ``centre``
    (each count includes the centre; both 0 where the centre is not ink)."""
    stop = np.zeros((inked.shape[0], 1), bool)
    right = np.argmin(np.hstack([inked[:, centre:], stop]), axis=1)
    left = np.argmin(np.hstack([inked[:, centre::-1], stop]), axis=1)
    return left, right


def _longest_true(flags: np.ndarray) -> int:
    """Length of the longest stretch of True in a 1-D bool array."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max()) if edges.size else 0


def _erase(mask: np.ndarray, line: Line, stroke: float, height: float) -> bool:
    """Erase ``line`` in place where it is only itself; keep it where a stroke meets it.

    At each position along the line the run of ink across it, through the
    line's centre, is measured. Where that run is at most a pixel thicker
    than the line's usual thickness (its median run), it is the line
    alone and is cleared; where it is thicker, a digit crosses the rule or
    sits on it (the stem of a 4, the base of a 2) and keeps its stroke.

    Nothing is erased, and False returned, when the run is thick along most
    of the line (the straight edge of a dark region), or when the line is as
    thick as the pen and never runs bare, with no other ink within a digit
    height across it, for half a digit height: a printed rule is finer than the
    pen, and a pen line (an underline) runs on beyond the digits, while the
    level bottoms of touching digits ("622") do neither.
    """
    along = np.arange(line.start, line.end)
    centre = np.round(line.slope * along + line.offset).astype(np.int64)
    half = int(np.ceil(line.half_width)) + max(2, round(stroke), int(height))
    offsets = np.arange(-half, half + 1)
    limit = mask.shape[0 if line.horizontal else 1]
    across = centre[:, None] + offsets[None, :]
    inside = (across >= 0) & (across < limit)
    across = np.clip(across, 0, limit - 1)
    other = np.broadcast_to(along[:, None], across.shape)
    rows, cols = (across, other) if line.horizontal else (other, across)
    inked = (mask[rows, cols] > 0) & inside
    # The line's centre may wander by a pixel (paper is not flat): take the first of three.
    lefts, rights, starts = [], [], []
    for shift in (0, -1, 1):
        left, right = _extents(inked, half + shift)
        lefts.append(left)
        rights.append(right)
        starts.append(half + shift)
    index = np.arange(len(along))
    pick = np.argmax(np.stack(rights) > 0, axis=0)
    left, right = np.stack(lefts)[pick, index], np.stack(rights)[pick, index]
    middle = np.array(starts)[pick]
    run = np.where(right > 0, left + right - 1, 0)
    lo, hi = middle - left + 1, middle + right - 1
    present = run > 0
    if not present.any():
        return False
    # Alone: no thicker than the line usually is, and ending inside the window (not a region).
    thickness = float(np.median(run[present]))
    bounded = (lo > 0) & (hi < inked.shape[1] - 1)
    alone = present & bounded & (run <= thickness + 1)
    if alone.sum() < 0.5 * present.sum():
        return False
    column = np.arange(inked.shape[1])[None, :]
    in_run = (column >= lo[:, None]) & (column <= hi[:, None])
    if thickness > 0.8 * stroke + 1:  # as thick as the pen: it must run bare somewhere
        bare = alone & ~(inked & ~in_run).any(axis=1)
        if _longest_true(bare) < 0.5 * height:
            return False
    clear = alone[:, None] & in_run & inked
    mask[rows[clear], cols[clear]] = 0
    return True


def _on_border(along: np.ndarray, across: np.ndarray, limit: int) -> bool:
    """True when the band's pixels touch the image's edge along most of its length."""
    edge = (across == 0) | (across == limit)
    return np.unique(along[edge]).size > 0.5 * np.unique(along).size


def blob_lines(labels: np.ndarray, blob: Blob, min_length: int, stroke: float) -> list[Line]:
    """Straight lines at least ``min_length`` long in ``blob`` (image coordinates)."""
    box = blob.box
    ys, xs = np.nonzero(np.isin(labels[box.y : box.bottom, box.x : box.right], blob.labels))
    ys, xs = ys + box.y, xs + box.x
    found: list[Line] = []
    for horizontal in (True, False):
        along, across = (xs, ys) if horizontal else (ys, xs)
        for _ in range(MAX_LINES):
            line, points = find_line(along, across, min_length, stroke)
            if line is None:
                break
            on_border = _on_border(along[points], across[points], labels.shape[not horizontal] - 1)
            along, across = along[~points], across[~points]
            if on_border:
                continue  # the paper's edge: rejected whole once the lines touching it are gone
            if not horizontal:
                line = Line(False, line.slope, line.offset, line.start, line.end, line.half_width)
            found.append(line)
    return found


def line_box(line: Line) -> Box:
    """The box round ``line``'s band (for the debug view)."""
    (x0, y0), (x1, y1) = line.endpoints()
    pad = int(np.ceil(line.half_width))
    if line.horizontal:
        top, bottom = min(y0, y1) - pad, max(y0, y1) + pad + 1
        return Box(x0, top, x1 - x0, bottom - top)
    left, right = min(x0, x1) - pad, max(x0, x1) + pad + 1
    return Box(left, y0, right - left, y1 - y0)


def erase_lines(
    mask: np.ndarray, labels: np.ndarray, blobs: list[Blob], height: float, stroke: float
) -> tuple[np.ndarray, list[Rejected]]:
    """``mask`` without the straight lines longer than 2.2 digit heights in any blob, and them.

    Only blobs longer than that are searched, so a frame of plain writing
    costs nothing. The mask is returned unchanged (the same object) when no
    line was found.
    """
    min_length = max(MIN_LENGTH, int(RULE_LENGTH * height))
    lines = [
        line
        for blob in blobs
        if max(blob.box.width, blob.box.height) > min_length
        for line in blob_lines(labels, blob, min_length, stroke)
    ]
    if not lines:
        return mask, []
    erased = mask.copy()
    rejected = []
    for line in lines:
        if not _erase(erased, line, stroke, height):
            continue
        tilt = float(np.degrees(np.arctan(line.slope)))
        kind = "ruled or form line" if line.horizontal else "vertical rule or margin line"
        rejected.append(
            Rejected(
                line_box(line),
                f"{kind} ({line.length} px at {tilt:+.0f}°, {line.length / height:.1f}× the "
                "digit height)",
            )
        )
    return (erased, rejected) if rejected else (mask, [])
