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

A "1" touching its neighbour hides in a blob no wider than one digit ("71", "19"), and
the model reads the pair as the neighbour alone, as sure as it reads either digit. So
blobs from ``EDGE_SPLIT`` × their height get a straight cut near each edge
(:func:`segment`), kept only when a piece beyond it is a lone stroke (:func:`lone_stroke`);
such a piece read as "1" earns ``ONE_BONUS`` (:func:`piece_scores`) in any lattice.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np

from edge_runtime.cuts import crossed, cut_paths, edge_cuts, stroke_width
from edge_runtime.opencv import cv2

MAX_PIECES = 100
"""Pieces (lattice edges) read by the model per blob, the whole blob included.

``MAX_CUTS`` cuts make at most 91 spans, so this reads them all. With 60, a blob with twelve
cuts ran out before the spans that end at its right edge (a "2" touching a "4")."""
SPLIT_ASPECT = 1.05
"""Blobs wider than this × their height (or than 1.5 × the line's digits) may be several digits."""
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
EDGE_SPLIT = 0.6
"""Blobs at least this wide × their height (and too narrow for :func:`needs_split`) may be
a 1 touching a digit: a 1 is a fifth as wide as tall, and touching strokes overlap."""
ONE_BONUS = 0.3
"""Score bonus for a lone stroke (:attr:`Piece.stroke`) read as "1". Without it the
per-piece penalty makes "7" beat "7" + "1" for a "71" the model reads as 7 either way."""
ONE_CONFIDENCE = 0.9
"""The bonus needs the model this sure of the "1"."""
STROKE_HEIGHT = 0.75
"""A lone stroke is at least this tall × the blob (a 1 stands as tall as its neighbour)."""
STROKE_STRAIGHTNESS = 0.2
"""… and its ink's spread across its axis is at most this × the spread along it (the
halves of a 0 or the arm of a 4 are curved or bent, a 1 is straight) …"""
STROKE_SLANT = 35.0
"""… and its axis leans at most this many degrees from vertical."""


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
    stroke: bool = False
    """A lone straight stroke as tall as the blob at its edge (:func:`lone_stroke`)."""
    rest: int | None = None
    """In a blob no wider than one digit, the piece holding the rest of it (see
    :func:`piece_scores`)."""


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


def lattice(
    mask: np.ndarray,
    typical_width: float | None = None,
    line_width: float | None = None,
    cuts: Sequence[np.ndarray] | None = None,
) -> Lattice:
    """The blob (``uint8`` 0/1 mask) as a lattice of pieces between candidate cuts.

    Pieces narrower than a fifth of the blob's height, wider than 1.6 ×
    ``typical_width`` (or 1.3 × the height) or holding little ink are left out.
    ``line_width`` (:func:`digit_width` of the blob's line) penalises pieces much
    wider than the line's digits. ``cuts``: the paths to use (default: :func:`cut_paths`).
    """
    height, width = mask.shape
    cuts = cut_paths(mask, line_width=line_width) if cuts is None else cuts
    edges = [np.zeros(height, np.int32), *cuts, np.full(height, width, np.int32)]
    stroke = stroke_width(mask)
    whole = Piece(
        0, len(edges) - 1, (0, 0, width, height), penalty(width, height, height, line_width)
    )
    found = Lattice(tuple(edges), (whole,), tuple(crossed(mask, p, stroke) for p in edges), mask)
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
        lone = (start == 0 or end == last) and lone_stroke(xs, ys, height)
        pieces.append(Piece(start, end, (x0, y0, x1, y1), cost, lone))
        if len(pieces) >= MAX_PIECES:
            break
    return replace(found, pieces=tuple(pieces))


def _tall(ink: np.ndarray, height: int) -> bool:
    """True when ``ink`` spans at least ``STROKE_HEIGHT`` × ``height`` rows."""
    rows = np.flatnonzero(ink.any(axis=1))
    return rows.size > 0 and rows[-1] - rows[0] + 1 >= STROKE_HEIGHT * height


def _ink(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.nonzero(ink)
    return xs, ys


def lone_stroke(xs: np.ndarray, ys: np.ndarray, height: int) -> bool:
    """True when ink pixels at ``xs``, ``ys`` form one straight, near-upright stroke at least
    ``STROKE_HEIGHT`` × ``height`` tall: what a 1 cut off its neighbour looks like."""
    if len(xs) < 3 or int(ys.max() - ys.min()) + 1 < STROKE_HEIGHT * height:
        return False
    spread, axes = np.linalg.eigh(np.cov(np.stack([xs, ys]).astype(np.float64)))
    if spread[1] <= 0 or math.sqrt(max(0.0, spread[0]) / spread[1]) > STROKE_STRAIGHTNESS:
        return False
    across, along = abs(float(axes[0, 1])), abs(float(axes[1, 1]))  # the main axis's x and y
    return math.degrees(math.atan2(across, along)) <= STROKE_SLANT


def segment(
    mask: np.ndarray, typical_width: float | None = None, line_width: float | None = None
) -> Lattice | None:
    """The lattice to read a blob (``uint8`` 0/1 mask) by, or None to read it whole.

    Blobs wide enough for several digits (:func:`needs_split`) get the full lattice.
    Narrower ones from ``EDGE_SPLIT`` × their height get the first of their
    :func:`edge_cuts` on each side beyond which lies a lone stroke, if any: a digit
    alone costs no extra reading.
    """
    height, width = mask.shape
    if needs_split(width, height, typical_width):
        return lattice(mask, typical_width, line_width)
    if width < EDGE_SPLIT * height:
        return None
    ink, columns, cuts = mask.astype(bool), np.arange(width)[None, :], []
    stroke = stroke_width(mask)
    for left, candidates in zip((True, False), edge_cuts(mask), strict=True):
        for path in candidates:  # checked before any piece is read: most digits stop here
            if crossed(mask, path, stroke)[0] > 1:
                continue  # a 1 touches at one point; a sliver of a 0 is cut off at two
            beyond = columns < path[:, None] if left else columns >= path[:, None]
            if not (
                _tall(ink & beyond, height) and lone_stroke(*_ink(_own_parts(ink & beyond)), height)
            ):
                continue
            if _tall(_own_parts(ink & ~beyond), height):  # not a 7's bar or a 9's loop
                cuts.append(path)
                break
    if not cuts:
        return None
    found = lattice(mask, typical_width, line_width, sorted(cuts, key=lambda p: float(p.mean())))
    spans = {(piece.start, piece.end): i for i, piece in enumerate(found.pieces)}
    last, pieces = found.nodes - 1, list(found.pieces)
    for i, piece in enumerate(pieces):
        rest = spans.get((piece.end, last) if piece.start == 0 else (0, piece.start))
        pieces[i] = replace(piece, stroke=piece.stroke and rest is not None, rest=rest)
    return replace(found, pieces=tuple(pieces)) if any(p.stroke for p in pieces) else None


def piece_scores(
    pieces: Sequence[Piece], digits: Sequence[int | None], confidences: Sequence[float]
) -> tuple[list[float], set[int]]:
    """What reading each piece as its digit at its confidence is worth (before its penalty,
    the log-confidence), and the lone strokes read as a sure "1" (for :func:`best_path`).

    A blob no wider than one digit (:attr:`Piece.rest` set) is split only into such a 1 and
    a rest that reads as the whole blob does: the model read "71" as 7 because it passed
    over the 1, while a U or V read as 0 or 4 is one shape, not 1 + 1.
    """
    scores = [math.log(max(confidence, 1e-6)) for confidence in confidences]
    ones = {
        i
        for i, piece in enumerate(pieces)
        if piece.stroke and digits[i] == 1 and confidences[i] >= ONE_CONFIDENCE
        if piece.rest is None or digits[piece.rest] == digits[0]
    }
    if any(piece.rest is not None for piece in pieces):
        offered = {0, *ones, *(pieces[i].rest for i in ones)}
        scores = [score if i in offered else -math.inf for i, score in enumerate(scores)]
    return scores, ones


def best_path(
    nodes: int, pieces: Sequence[Piece], scores: Sequence[float], ones: Collection[int] = ()
) -> list[int]:
    """Indices of the pieces, left to right, whose chain across the blob scores best.

    ``scores[i]`` is the model's log-confidence for ``pieces[i]``; a chain's
    score is the sum of its pieces' ``score - penalty``. A piece in ``ones`` (a lone
    stroke read as 1, :func:`piece_scores`) earns ``ONE_BONUS`` when the piece beside it
    in the chain is a digit as tall (``STROKE_HEIGHT``): a 7's stem or a 4's cut off
    their bar leave a short piece. The whole blob (``pieces[0]``) is always a chain, so
    there is always an answer.
    """
    height = pieces[0].box[3]

    def tall(index: int) -> bool:
        box = pieces[index].box
        return box[3] - box[1] >= STROKE_HEIGHT * height

    def join(left: int, right: int) -> float:
        lone = (left in ones and tall(right)) or (right in ones and tall(left))
        return ONE_BONUS if lone else 0.0

    # Best chain ending with each piece; pieces ending further right come later.
    best = [-math.inf] * len(pieces)
    via: list[int | None] = [None] * len(pieces)
    ending: dict[int, list[int]] = {}
    for index in sorted(range(len(pieces)), key=lambda i: (pieces[i].end, pieces[i].start)):
        piece = pieces[index]
        own = scores[index] - piece.penalty
        if piece.start == 0:
            best[index] = own
        for before in ending.get(piece.start, ()):
            total = best[before] + join(before, index) + own
            if total > best[index]:
                best[index], via[index] = total, before
        ending.setdefault(piece.end, []).append(index)
    last = [i for i in ending.get(nodes - 1, ()) if best[i] > -math.inf]
    if not last:  # unreachable: fall back to the whole blob
        return [0]
    chain = [max(last, key=lambda i: best[i])]
    while (before := via[chain[-1]]) is not None:
        chain.append(before)
    return chain[::-1]
