"""Touching digits: candidate cuts for a blob too wide to be one digit (a bounded search).

Candidate cut columns are the minima of the blob's vertical ink profile
(where strokes are thinnest — the touching point of "10" or "00"); a
segmentation is a choice of ``n - 1`` of them whose pieces are not too
narrow. The classifier, not this module, picks the segmentation whose pieces
it reads with the best joint confidence (see ``DigitClassifier``). The search
is bounded: at most ``MAX_PIECES`` pieces, ``MAX_CUTS`` candidate columns and
``MAX_SEGMENTATIONS`` segmentations per blob, whatever the input.
"""

from __future__ import annotations

from itertools import combinations, pairwise

import numpy as np

from edge_runtime.opencv import cv2

MAX_PIECES = 5
MAX_CUTS = 8
MAX_SEGMENTATIONS = 24
SPLIT_ASPECT = 1.05
"""Blobs wider than this × their height (or than 1.5 × the line's digits) may be several digits."""


def needs_split(width: int, height: int, typical_width: float | None) -> bool:
    """True when a blob this wide may hold more than one digit."""
    if width > SPLIT_ASPECT * height:
        return True
    return typical_width is not None and width > 1.5 * typical_width


def cut_candidates(mask: np.ndarray, min_piece: int) -> list[int]:
    """Columns where a vertical cut crosses little ink, best first (at most ``MAX_CUTS``)."""
    profile = np.count_nonzero(mask, axis=0).astype(np.float32)
    width = profile.size
    if width < 2 * min_piece:
        return []
    smooth = cv2.GaussianBlur(profile.reshape(1, -1), (0, 0), sigmaX=max(1.0, min_piece / 8))[0]
    inside = np.arange(min_piece, width - min_piece + 1)
    if inside.size == 0:
        return []
    values = smooth[inside]
    left = np.r_[np.inf, values[:-1]]
    right = np.r_[values[1:], np.inf]
    minima = inside[(values <= left) & (values <= right)]
    order = sorted(minima.tolist(), key=lambda c: smooth[c])
    chosen: list[int] = []
    for column in order:  # keep well-separated minima only
        if all(abs(column - c) >= min_piece for c in chosen):
            chosen.append(column)
        if len(chosen) == MAX_CUTS:
            break
    return chosen


def segmentations(mask: np.ndarray, height: int) -> list[tuple[int, ...]]:
    """Alternative cut sets (column indices, ascending) for a blob mask; ``()`` = one digit.

    The number of pieces tried is the blob's width over a typical digit
    width (0.65 × height), give or take one, within ``MAX_PIECES``.
    """
    width = mask.shape[1]
    min_piece = max(2, int(0.25 * height))
    cuts = cut_candidates(mask, min_piece)
    estimate = width / max(1.0, 0.65 * height)
    counts = [n for n in range(2, MAX_PIECES + 1) if abs(n - estimate) <= 1.2]
    found: list[tuple[int, ...]] = [()]
    for pieces in counts:
        even = tuple(round(width * i / pieces) for i in range(1, pieces))
        if even not in found and all(
            not cuts or min(abs(e - c) for c in cuts) >= min_piece / 2 for e in even
        ):
            found.append(even)  # no ink minimum near the even cuts: digits pressed together
        for chosen in combinations(sorted(cuts), pieces - 1):
            bounds = (0, *chosen, width)
            if min(b - a for a, b in pairwise(bounds)) < min_piece:
                continue
            found.append(tuple(chosen))
            if len(found) > MAX_SEGMENTATIONS:
                return found
    return found
