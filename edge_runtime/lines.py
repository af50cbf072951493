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
    gap = blob.box.x - last.box.right
    # Vertical overlap with the line's band (the last digit's, so slanted lines still chain).
    # The cheap tests first: on a page of specks most lines fail them.
    top, bottom = max(last.box.y, blob.box.y), min(last.box.bottom, blob.box.bottom)
    if bottom - top < 0.4 * min(last.box.height, blob.box.height):
        return None
    if gap < -0.5 * min(last.box.width, blob.box.width):
        return None
    tallest = max(b.box.height for b in line)
    spacing = [b.box.x - a.box.right for a, b in itertools.pairwise(line)]
    allowed = max_gap * max(tallest, blob.box.height)
    if spacing and gap > allowed:
        allowed = max(allowed, 2.0 * float(np.median(spacing)))
    if gap > allowed:
        return None
    median = float(np.median([b.box.height for b in line]))
    height = blob.box.height
    if not (0.3 <= height / median <= 3.3 or 0.25 <= height / tallest <= 2.5):
        return None
    return float(gap)


def _reach(line: list[Blob], tallest: int, max_gap: float) -> float:
    """The widest gap after ``line`` that :func:`_fits` could allow a blob at most ``tallest``
    high."""
    spacing = [b.box.x - a.box.right for a, b in itertools.pairwise(line)]
    return max(max_gap * tallest, 2.0 * float(np.median(spacing)) if spacing else 0.0)


def group_lines(blobs: Sequence[Blob], max_gap: float = MAX_GAP) -> list[list[Blob]]:
    """Chains of blobs read left to right, each one number; the most prominent first.

    Blobs are taken left to right and each joins the line it continues with
    the smallest gap, or starts a new one. Prominence is total ink area.
    """
    lines: list[list[Blob]] = []
    # A sweep from left to right: a line whose end lies farther left of the next blob than any
    # blob could reach (the tallest blob's gap, or twice its own spacing) is compared no more.
    tallest = max((b.box.height for b in blobs), default=0)
    active: list[tuple[list[Blob], float]] = []  # (line, its reach)
    for blob in sorted(blobs, key=lambda b: (b.box.x, b.box.y)):
        best, best_gap = None, None
        active = [
            (line, reach) for line, reach in active if blob.box.x - line[-1].box.right <= reach
        ]
        for line, _ in active:
            gap = _fits(line, blob, max_gap)
            if gap is not None and (best_gap is None or gap < best_gap):
                best, best_gap = line, gap
        if best is None:
            best = [blob]
            lines.append(best)
        else:
            best.append(blob)
            active = [(line, reach) for line, reach in active if line is not best]
        active.append((best, _reach(best, tallest, max_gap)))
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


def _meets_rules(blob: Blob, rules: Sequence[Box]) -> bool:
    """A thin upright bar whose top and bottom both end on level lines erased as rules: the
    side of a box whose top and bottom were taken for form lines."""
    box = blob.box
    if box.width >= 2.5 * blob.stroke + 0.1 * box.height:
        return False
    slack, middle = max(2.0, blob.stroke), box.x + box.width / 2

    def on_rule(y: float) -> bool:
        return any(
            r.x - slack <= middle <= r.right + slack and r.y - slack <= y <= r.bottom + slack
            for r in rules
        )

    return on_rule(box.y) and on_rule(box.bottom)


def frame_sides(line: list[Blob], rules: Sequence[Box] = ()) -> tuple[list[Blob], list[Rejected]]:
    """The line without the sides of a box or brackets drawn round it, and those as rejected.

    A side is a thin bar at either end of the line reaching above and below
    its neighbours by a quarter of their height (a 1 is as tall as its
    neighbours), or by a tenth when the bars at both ends span the same rows,
    or whose ends meet level lines erased as rules (``rules``, their boxes:
    the box's top and bottom; a digit touching the box's top hides how far
    the side juts).
    """
    reason = "bar taller than the digits beside it (a box side)"
    if rules and len(line) >= 2:
        ends = [i for i in (0, len(line) - 1) if _meets_rules(line[i], rules)]
        if ends and len(ends) < len(line):  # something stands between them
            rejected = [Rejected(line[i].box, reason) for i in ends]
            line = [b for i, b in enumerate(line) if i not in ends]
            return line, rejected
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


def _bar(blob: Blob, height: float) -> bool:
    """A thin upright straight stroke at least most of a digit tall (a 1, or a box's divider)."""
    box = blob.box
    return box.width < 2.5 * blob.stroke + 0.1 * box.height and box.height >= 0.8 * height


def _on_grid(bars: list[Blob]) -> list[Blob]:
    """The longest run of ``bars`` (left to right) spaced evenly: every gap one or two pitches.

    The pitch is the median gap; a divider hidden by a digit touching it
    leaves a gap of two pitches.
    """
    if len(bars) < 2:
        return []
    gaps = [b.box.x - a.box.x for a, b in itertools.pairwise(bars)]
    pitch = float(np.median(gaps))
    best: list[Blob] = []
    run = [bars[0]]
    for bar, gap in zip(bars[1:], gaps, strict=True):
        if pitch > 0 and any(abs(gap - k * pitch) <= 0.15 * pitch for k in (1, 2)):
            run.append(bar)
        else:
            run = [bar]
        best = max(best, run, key=len)
    return list(best)


def comb_dividers(blobs: list[Blob], height: float) -> tuple[list[Blob], list[Rejected]]:
    """``blobs`` without the dividers of a comb of boxes (a form's "Student Number" field).

    Dividers are evenly spaced equal verticals: at least four bars whose tops
    and bottoms agree within a few pixels, one or two pitches apart, with
    writing between them that fits inside the boxes (shorter than the bars,
    within their rows; two in three of the blobs, as a letter touching a
    divider makes one tall blob). Handwritten 1s are never all that: the
    digits beside them are as tall as they are.
    """
    bars = sorted((b for b in blobs if _bar(b, height)), key=lambda b: b.box.x)
    chains: list[list[Blob]] = []
    for bar in bars:
        tolerance = max(2.0, 0.08 * bar.box.height)
        for chain in chains:
            last = chain[-1].box
            if (
                abs(bar.box.y - last.y) <= tolerance
                and abs(bar.box.bottom - last.bottom) <= tolerance
            ):
                chain.append(bar)
                break
        else:
            chains.append([bar])
    dividers: list[Blob] = []
    for chain in chains:
        grid = _on_grid(chain)
        if len(grid) < 4:
            continue
        top = min(b.box.y for b in grid)
        bottom = max(b.box.bottom for b in grid)
        margin = max(2.0, 0.08 * (bottom - top))
        inside = [
            b
            for b in blobs
            if all(b is not g for g in grid)
            and grid[0].box.x < b.box.x + b.box.width / 2 < grid[-1].box.right
            and b.box.y < bottom
            and b.box.bottom > top
        ]
        boxed = sum(
            b.box.y >= top - margin
            and b.box.bottom <= bottom + margin
            and b.box.height <= 0.9 * (bottom - top)
            for b in inside
        )
        if inside and boxed >= 2 / 3 * len(inside):  # some touch a divider and reach past it
            dividers += grid
    if not dividers:
        return blobs, []
    reason = f"comb-box divider (one of {len(dividers)} evenly spaced equal verticals)"
    kept = [b for b in blobs if all(b is not d for d in dividers)]
    return kept, [Rejected(d.box, reason) for d in dividers]


def printed(line: Sequence[Blob]) -> bool:
    """True for a line of typeset text: letters on one exact baseline in two exact sizes.

    Type is uniform and repeated: three in four characters end within a
    pixel or two of the same row (descenders excepted), and four in five are
    one of two heights, lower case (x-height) and capitals, at least two of
    each. Handwriting wobbles by more than that, and a number, written or
    printed, has digits of one size, so it is never taken for a heading.
    """
    if len(line) < 5:
        return False
    heights = np.array([b.box.height for b in line], np.float64)
    bottoms = np.array([b.box.bottom for b in line], np.float64)
    tolerance = max(1.5, 0.05 * float(np.median(heights)))
    if (np.abs(bottoms - np.median(bottoms)) <= tolerance).mean() < 0.75:
        return False
    tall = heights > 0.8 * heights.max()
    if tall.sum() < 2 or (~tall).sum() < 2:
        return False
    capitals, lower = float(np.median(heights[tall])), float(np.median(heights[~tall]))
    if not 0.5 <= lower / capitals <= 0.8:
        return False
    sizes = np.array([capitals, lower])
    in_size = np.min(np.abs(heights[:, None] - sizes[None, :]), axis=1) <= tolerance
    return bool(in_size.mean() >= 0.8)


def without_printed(lines: list[list[Blob]]) -> tuple[list[list[Blob]], list[Rejected]]:
    """``lines`` without typeset ones when handwriting is beside them (a form's headings).

    When every line is typeset (a printed number photographed alone) all are kept.
    """
    typeset = [printed(line) for line in lines]
    if all(typeset):
        return lines, []
    rejected = [
        Rejected(b.box, f"printed text ({len(line)} characters on one baseline, two sizes)")
        for line, typed in zip(lines, typeset, strict=True)
        if typed
        for b in line
    ]
    return [line for line, typed in zip(lines, typeset, strict=True) if not typed], rejected
