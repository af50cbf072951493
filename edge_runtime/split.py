"""Touching digits: a lattice of candidate cuts through a wide blob, read best by the model.

A blob too wide for one digit gets candidate cut *paths* (one x per row, so a
cut may slant or bend around a stroke):

* straight cuts, vertical or slanted, through the columns where a line at
  that angle crosses the least ink (the touching point of "10" or "00");
* seam cuts: the path from top to bottom that crosses the least ink within a
  band around such a column (a drop-fall that may go either way round a loop);
* the same at evenly spaced columns, for digits pressed together with no
  thin point between them.

Cuts sorted left to right are the nodes of a lattice; every stretch of ink
between two nodes that could be one digit is a :class:`Piece`. The classifier
reads every piece once and :func:`best_path` picks the chain of pieces, from
the blob's left edge to its right edge, with the best joint score (sum of the
pieces' log-confidences minus each piece's shape penalty): one dynamic
programme, not a search over combinations. Bounded whatever the input: at
most ``MAX_CUTS`` cut paths and ``MAX_PIECES`` pieces per blob, narrowest first.

The blob's line helps when it has enough single digits (:func:`digit_width`):
their width says how many digits the blob may hold, and a piece much wider than
them pays for being read as one. A piece's ink that a cut severed from its
neighbour (a stray arc of a crossed loop) is left out of its crop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from edge_runtime.opencv import cv2

MAX_CUTS = 12
"""Cut paths per blob (the lattice's inner nodes)."""
MAX_PIECES = 100
"""Pieces (lattice edges) read by the model per blob, the whole blob included.

``MAX_CUTS`` cuts make at most 91 spans, so this reads them all. With 60, a blob with twelve
cuts ran out before the spans that end at its right edge (a "2" touching a "4")."""
SPLIT_ASPECT = 1.05
"""Blobs wider than this × their height (or than 1.5 × the line's digits) may be several digits."""
DIGIT_ASPECT = 0.62
"""Typical width / height of a handwritten digit (MNIST's median, "1" excluded)."""
SLOPES = (-0.3, -0.15, 0.0, 0.15, 0.3)
"""Slants (x per y) of straight cuts."""
WIDE_PENALTY = 1.0
"""Score penalty per unit of width / height above 1 for a piece read as one digit."""
PIECE_PENALTY = 0.3
"""Score penalty per piece, so a confident single digit is not split for nothing."""
FRAGMENT_PENALTY = 1.5
"""Score penalty per unit of missing height below 0.6 × the blob's (a bar cut off a 5 or 7)."""
WIDE_FROM = 0.8
"""Width / height above which a piece is penalised as too wide for one digit."""
CROSSING_PENALTY = 0.3
"""Score penalty per stroke a cut goes through beyond the first (a cut through a loop)."""
INK_PENALTY = 0.1
"""Score penalty per stroke width of ink on a cut's path (cuts at thin touching points win)."""
LINE_PENALTY = 5.0
"""Score penalty per line digit width above ``LINE_FROM`` × it, for a piece read as one digit.

The line's digit width is the upper quartile of its single digits' widths (see
:func:`digit_width`): a blob twice as wide as its neighbours is more likely two
digits than one, however confidently the model reads it as a single "4". Single
digits measured up to 1.6 × that width (a 4 or 5 with a long bar)."""
LINE_FROM = 1.7
"""Width, in the line's digit widths, from which a piece is penalised."""
ONE_ASPECT = 0.3
"""Blobs narrower than this × their height are "1"s: they say nothing about digit width."""
WIDTH_QUANTILE = 0.75
"""Which of the line's digit widths counts: an upper quartile, so wide digits set the bar."""
MIN_WIDTHS = 5
"""Single digits a line needs before its digit width is trusted: MNIST-like writing varies
a lot in width (a 5 or 7 with a long bar), so a median of two or three says too little."""
STRAY_SHARE = 0.3
"""A piece's ink parts smaller than this share of its largest are a neighbour's stray arcs."""


def needs_split(width: int, height: int, typical_width: float | None) -> bool:
    """True when a blob this wide may hold more than one digit."""
    if width > SPLIT_ASPECT * height:
        return True
    return typical_width is not None and width > 1.5 * typical_width


@dataclass(frozen=True)
class Piece:
    """The ink between lattice nodes ``start`` and ``end`` (0 = the blob's left edge)."""

    start: int
    end: int
    box: tuple[int, int, int, int]
    """Its ink's bounds in the blob's mask: x0, y0, x1, y1 (exclusive)."""
    penalty: float
    """Shape penalty subtracted from its log-confidence (too wide, too short)."""


@dataclass(frozen=True)
class Lattice:
    """Cut paths through a blob and the pieces between them."""

    paths: tuple[np.ndarray, ...]
    """Per-row x of every node, left edge (zeros) and right edge (width) included."""
    pieces: tuple[Piece, ...]
    """``pieces[0]`` is the whole blob."""
    crossings: tuple[tuple[int, float], ...] = ()
    """Per node: strokes its path cuts through, and ink pixels on it in stroke widths."""
    mask: np.ndarray | None = None
    """The blob's ``uint8`` 0/1 mask; with it :meth:`region` leaves out a neighbour's strays."""

    @property
    def nodes(self) -> int:
        return len(self.paths)

    def region(self, piece: Piece) -> np.ndarray:
        """Boolean mask (the blob's shape) of the pixels between the piece's two paths.

        With the blob's ``mask``, parts of ink that a cut severed from a neighbour (a stray
        arc of a crossed loop, see :func:`_own_parts`) are left out, with a pixel round them.
        """
        width = int(self.paths[-1][0])
        columns = np.arange(width)[None, :]
        left, right = self.paths[piece.start][:, None], self.paths[piece.end][:, None]
        inside = (columns >= left) & (columns < right)
        if self.mask is None:
            return inside
        stray = self.mask.astype(bool) & inside & ~_own_parts(self.mask.astype(bool) & inside)
        if not stray.any():
            return inside
        return inside & (cv2.dilate(stray.astype(np.uint8), np.ones((3, 3), np.uint8)) == 0)


def _own_parts(ink: np.ndarray) -> np.ndarray:
    """The connected parts of a piece's ink that are its own: the largest one and those at
    least ``STRAY_SHARE`` of it; what a cut severed from a neighbour's loop is left out."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), 8)
    if count <= 2:
        return ink
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= STRAY_SHARE * areas.max()) + 1
    return np.isin(labels, keep)


def digit_width(sizes: Sequence[tuple[int, int]]) -> float | None:
    """How wide the single digits are among blobs of ``(width, height)`` on one line.

    Blobs as narrow as a "1" or as wide as a pair (wider than ``SPLIT_ASPECT`` ×
    their height) are left out; the upper quartile (``WIDTH_QUANTILE``) of the
    rest, or None when fewer than ``MIN_WIDTHS`` remain.
    """
    widths = [w for w, h in sizes if ONE_ASPECT * h <= w <= SPLIT_ASPECT * h]
    return float(np.quantile(widths, WIDTH_QUANTILE)) if len(widths) >= MIN_WIDTHS else None


def penalty(width: int, height: int, blob_height: int, line_width: float | None = None) -> float:
    """Shape penalty of reading ink ``width`` × ``height`` as one digit of a blob this tall.

    ``line_width``: the line's digit width (:func:`digit_width`), when it is known.
    """
    wide = WIDE_PENALTY * max(0.0, width / max(1, blob_height) - WIDE_FROM)
    short = FRAGMENT_PENALTY * max(0.0, 0.6 - height / max(1, blob_height))
    if line_width:
        wide += LINE_PENALTY * max(0.0, width / max(1.0, line_width) - LINE_FROM)
    return PIECE_PENALTY + wide + short


def cut_penalty(strokes: int, ink: float) -> float:
    """Score penalty of cutting along a path that crosses ``strokes`` strokes, ``ink`` wide."""
    return CROSSING_PENALTY * max(0, strokes - 1) + INK_PENALTY * ink


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


def _stroke(mask: np.ndarray) -> float:
    """Mean stroke width of a 0/1 mask: twice its area over its boundary pixels."""
    boundary = np.count_nonzero(mask != cv2.erode(mask, np.ones((3, 3), np.uint8)))
    return max(1.0, 2.0 * float(mask.sum()) / max(1, boundary))


def _crossed(mask: np.ndarray, path: np.ndarray, stroke: float) -> tuple[int, float]:
    """Strokes a cut path crosses (ink runs along it) and its ink pixels in stroke widths."""
    height, width = mask.shape
    if width == 0 or path.min() >= width or path.max() <= 0:
        return 0, 0.0
    on = mask[np.arange(height), np.clip(path, 0, width - 1)].astype(np.int8)
    runs = int(on[0]) + int(np.count_nonzero(np.diff(on) == 1))
    return runs, float(on.sum()) / stroke


def lattice(
    mask: np.ndarray, typical_width: float | None = None, line_width: float | None = None
) -> Lattice:
    """The blob (``uint8`` 0/1 mask) as a lattice of pieces between candidate cuts.

    Pieces narrower than a fifth of the blob's height, wider than 1.6 ×
    ``typical_width`` (or 1.3 × the height) or holding little ink are left out.
    ``line_width`` (:func:`digit_width` of the blob's line) penalises pieces much
    wider than the line's digits.
    """
    height, width = mask.shape
    cuts = cut_paths(mask, line_width=line_width)
    edges = [np.zeros(height, np.int32), *cuts, np.full(height, width, np.int32)]
    stroke = _stroke(mask)
    whole = Piece(
        0, len(edges) - 1, (0, 0, width, height), penalty(width, height, height, line_width)
    )
    crossed = tuple(_crossed(mask, path, stroke) for path in edges)
    found = Lattice(tuple(edges), (whole,), crossed, mask)
    min_piece = max(2, int(0.2 * height))
    max_piece = max(1.3 * height, 1.6 * typical_width if typical_width else 0.0)
    area = int(mask.sum())
    pieces = [whole]
    columns = np.arange(width)[None, :]
    last = len(edges) - 1
    # Narrow spans first: when the budget runs out, every stretch of the blob still has pieces.
    spans = [(start, start + span) for span in range(1, last) for start in range(last - span + 1)]
    for start, end in spans:
        if float((edges[end] - edges[start]).mean()) > max_piece:
            continue
        inside = (columns >= edges[start][:, None]) & (columns < edges[end][:, None])
        ink = _own_parts(mask.astype(bool) & inside)
        if int(ink.sum()) < 0.05 * area:
            continue
        ys, xs = np.nonzero(ink)
        x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
        if x1 - x0 < min_piece and y1 - y0 < 0.5 * height:
            continue
        cost = penalty(x1 - x0, y1 - y0, height, line_width)
        if end < last:
            cost += cut_penalty(*found.crossings[end])
        pieces.append(Piece(start, end, (x0, y0, x1, y1), cost))
        if len(pieces) >= MAX_PIECES:
            break
    return replace(found, pieces=tuple(pieces))


def best_path(nodes: int, pieces: Sequence[Piece], scores: Sequence[float]) -> list[int]:
    """Indices of the pieces, left to right, whose chain across the blob scores best.

    ``scores[i]`` is the model's log-confidence for ``pieces[i]``; a chain's
    score is the sum of its pieces' ``score - penalty``. The whole blob
    (``pieces[0]``) is always a chain, so there is always an answer.
    """
    best = [-math.inf] * nodes
    via: list[int | None] = [None] * nodes
    best[0] = 0.0
    order = sorted(range(len(pieces)), key=lambda i: (pieces[i].end, pieces[i].start))
    for index in order:  # pieces ending further right come later: all their starts are final
        piece = pieces[index]
        if best[piece.start] == -math.inf:
            continue
        total = best[piece.start] + scores[index] - piece.penalty
        if total > best[piece.end]:
            best[piece.end], via[piece.end] = total, index
    chain, node = [], nodes - 1
    while node != 0:
        index = via[node]
        if index is None:  # unreachable: fall back to the whole blob
            return [0]
        chain.append(index)
        node = pieces[index].start
    return chain[::-1]
