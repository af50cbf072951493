"""Ink components → digit candidates: measure each blob, reject what is not a digit, say why.

Pure functions on a binary mask (0/255, white ink). A blob is rejected by
its shape (too thin and long: a line or page border; too solid and thick: a
shadow or a smudge; touching the border across most of the image), by where
it lies (running along the image's edge: a dark region's edge; a stroke much
finer than the pen, cut by the frame: a margin line) and by its context (much
taller or smaller than the writing around it). Every rejection carries a
reason, shown in the debug view. Before that, the pieces of a broken digit
are joined (:func:`merge_parts`): stacked in one column, or a short open
fragment beside its digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge_runtime.opencv import cv2
from edge_runtime.results import Box, Rejected

TEXTURE = 8.0
"""A digit's ink is a stroke at most ~4 of its long sides long (an 8, a few touching digits);
a blob holding more than this many stroke-widths × long side of ink is texture (noise, a
pattern), however it measures."""


@dataclass(frozen=True)
class Blob:
    """One connected ink component (or several merged: the parts of a broken 5)."""

    box: Box
    area: int
    stroke: float
    """Mean stroke width, ``2 × area / perimeter``."""
    labels: tuple[int, ...]
    """Component labels in the label image that make up this blob."""
    border: int = 0
    """How many of its pixels lie on the image's outermost rows and columns."""
    holes: int = 0
    """Closed loops in its ink (a 0 or a 6 has one, an 8 two)."""

    @property
    def fill(self) -> float:
        return self.area / max(1, self.box.width * self.box.height)

    @property
    def aspect(self) -> float:
        return self.box.width / max(1, self.box.height)


@dataclass(frozen=True)
class Scale:
    """The writing's scale in working pixels: typical stroke width and digit height."""

    stroke: float
    height: float


def find_blobs(mask: np.ndarray, min_area: int) -> tuple[np.ndarray, list[Blob]]:
    """Label image and the components of at least ``min_area`` pixels, left to right.

    Boxes and perimeters come from one ``findContours`` over the whole mask
    (each contour traces pixels of exactly one component, holes included);
    OpenCV's per-component statistics cost several times more per frame.
    """
    count, labels = cv2.connectedComponents(mask, connectivity=8)
    if count <= 1:
        return labels, []
    areas = np.bincount(labels.ravel(), minlength=count)
    keep = areas >= min_area
    keep[0] = False
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    perimeters: dict[int, float] = {}
    corners: dict[int, list[int]] = {}
    contour_count: dict[int, int] = {}
    for contour in contours:
        x, y = (int(v) for v in contour[0, 0])
        label = int(labels[y, x])
        if not keep[label]:
            continue
        perimeters[label] = perimeters.get(label, 0.0) + cv2.arcLength(contour, True)
        contour_count[label] = contour_count.get(label, 0) + 1
        bx, by, bw, bh = cv2.boundingRect(contour)
        box = corners.setdefault(label, [bx, by, bx + bw, by + bh])
        box[:] = [min(box[0], bx), min(box[1], by), max(box[2], bx + bw), max(box[3], by + bh)]
    edges = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    on_border = np.bincount(edges, minlength=count)
    blobs = []
    for label, (x0, y0, x1, y1) in corners.items():
        area = int(areas[label])
        perimeter = perimeters[label]
        stroke = 2.0 * area / perimeter if perimeter > 0 else 1.0
        box = Box(x0, y0, x1 - x0, y1 - y0)
        holes = contour_count[label] - 1  # one outer contour, one per hole
        blobs.append(Blob(box, area, stroke, (label,), int(on_border[label]), holes))
    blobs.sort(key=lambda b: b.box.x)
    return labels, blobs


def _digit_like(blob: Blob) -> bool:
    """Shape alone says "could be a handwritten digit" (used to estimate the writing's scale)."""
    long_side = max(blob.box.width, blob.box.height)
    return (
        blob.box.height >= 6
        and 0.12 <= blob.aspect <= 1.6
        and long_side >= 3.5 * blob.stroke
        and blob.fill <= 0.8
    )


def estimate_scale(blobs: list[Blob], *, strict: bool = False) -> Scale | None:
    """Stroke width and digit height of the writing: area-weighted medians over digit-like blobs.

    When no blob is shaped like a digit, all blobs are used — or, with
    ``strict``, None is returned (the caller keeps an earlier estimate).
    """
    plausible = [b for b in blobs if _digit_like(b)] or ([] if strict else blobs)
    if not plausible:
        return None
    weights = np.array([b.area for b in plausible], np.float64)
    order = np.argsort([b.stroke for b in plausible])
    cumulative = np.cumsum(weights[order])
    middle = order[int(np.searchsorted(cumulative, cumulative[-1] / 2))]
    heights = sorted(b.box.height for b in plausible)
    tallest = heights[-1]
    # The height of the larger writing: small marks (dots, commas) do not pull it down.
    height = float(np.median([h for h in heights if h >= 0.4 * tallest]))
    return Scale(stroke=float(plausible[middle].stroke), height=height)


def _merge(a: Blob, b: Blob) -> Blob:
    x0, y0 = min(a.box.x, b.box.x), min(a.box.y, b.box.y)
    x1, y1 = max(a.box.right, b.box.right), max(a.box.bottom, b.box.bottom)
    stroke = (a.stroke * a.area + b.stroke * b.area) / max(1, a.area + b.area)
    box = Box(x0, y0, x1 - x0, y1 - y0)
    labels, border, holes = a.labels + b.labels, a.border + b.border, a.holes + b.holes
    return Blob(box, a.area + b.area, stroke, labels, border, holes)


def _stacked(a: Blob, b: Blob, scale: Scale, image_height: int | None = None) -> bool:
    """Sharing a column (the narrower's x range overlaps by 40%), a small gap apart, together
    no taller than a digit with a long stem and at most 1.5 digit heights wide: a 5's long
    detached bar, a 6's stroke and its loop.

    A piece wholly above the other and cut by the image's top edge (or below it and cut by
    the bottom) is the writing of the line above (below) reaching into a tight crop.
    """
    upper, lower = sorted((a, b), key=lambda blob: blob.box.y)
    apart = image_height is not None and upper.box.bottom <= lower.box.y
    if apart and (upper.box.y == 0 or lower.box.bottom >= image_height):
        return False
    overlap = min(a.box.right, b.box.right) - max(a.box.x, b.box.x)
    narrower = min(a.box.width, b.box.width)
    gap = max(a.box.y, b.box.y) - min(a.box.bottom, b.box.bottom)
    joined = max(a.box.bottom, b.box.bottom) - min(a.box.y, b.box.y)
    wide = max(a.box.right, b.box.right) - min(a.box.x, b.box.x)
    return (
        overlap >= 0.4 * narrower
        and gap < 0.25 * scale.height
        and joined < 1.6 * scale.height
        and wide <= 1.5 * scale.height  # an underline is no piece of the digit above it
        and not _underline(lower, upper, scale)
    )


def _underline(lower: Blob, upper: Blob, scale: Scale) -> bool:
    """``lower`` is a flat bar running on past ``upper`` at both ends: a line drawn under it.

    A 5's or a 7's detached bar is on top, and a 2's broken-off base starts
    where its diagonal ends; a short underline is neither.
    """
    reach = scale.stroke
    return (
        lower.box.width >= 3 * lower.box.height
        and lower.box.x <= upper.box.x - reach
        and lower.box.right >= upper.box.right + reach
    )


def _fragment(a: Blob, b: Blob, scale: Scale) -> bool:
    """Side by side and touching, the smaller a short piece within the other's rows, together
    one digit wide: the faint side of a 0 or a 6's loop that the threshold broke off.

    A 1 beside a 0 is as tall as its neighbour, and a small 0 written beside a 9
    is a closed loop, so neither is taken for a fragment.
    """
    small, large = sorted((a, b), key=lambda blob: blob.area)
    gap = max(a.box.x, b.box.x) - min(a.box.right, b.box.right)
    x0, x1 = min(a.box.x, b.box.x), max(a.box.right, b.box.right)
    y0, y1 = min(a.box.y, b.box.y), max(a.box.bottom, b.box.bottom)
    margin = 0.1 * large.box.height
    return (
        gap <= 0.5 * scale.stroke
        and small.holes == 0
        and small.area <= 0.5 * large.area
        and small.box.height <= 0.75 * min(large.box.height, scale.height)
        and small.box.y >= large.box.y - margin
        and small.box.bottom <= large.box.bottom + margin
        and y1 - y0 <= 1.3 * scale.height
        and x1 - x0 <= 1.05 * (y1 - y0)
    )


def merge_parts(
    blobs: list[Blob], scale: Scale, image_shape: tuple[int, int] | None = None
) -> list[Blob]:
    """Merge the pieces of one digit: stacked in one column or a short fragment beside it.

    With ``image_shape``, ink that is the paper's edge or a line cut by the
    frame (:func:`edge_reason`) is passed on alone: a margin line beside a 3
    shares its column but is no piece of it.
    """
    merged: list[Blob] = []
    alone = [] if image_shape is None else [b for b in blobs if edge_reason(b, scale, image_shape)]
    height = None if image_shape is None else image_shape[0]
    # A sweep from left to right: a piece ending more than half a stroke left of the next blob
    # can neither share its column nor touch it, so it is compared no more (no n² on noise).
    reach, active = 0.5 * scale.stroke, []
    lone = {id(a) for a in alone}
    for blob in sorted(blobs, key=lambda b: b.box.x):
        if id(blob) in lone:
            continue
        active = [i for i in active if blob.box.x - merged[i].box.right <= reach]
        for index in active:
            other = merged[index]
            if _stacked(other, blob, scale, height) or _fragment(other, blob, scale):
                merged[index] = _merge(other, blob)
                break
        else:
            active.append(len(merged))
            merged.append(blob)
    return sorted(merged + alone, key=lambda b: b.box.x)


def page_edges(blobs: list[Blob], image_shape: tuple[int, int]) -> list[Blob]:
    """Blobs that are the paper's edge (a dark table beyond it) or the photo's frame.

    Such a blob runs along the image's border for most of its length, spans
    most of the image that way and is thin across it. Found before the
    writing's scale is known, so it cannot set the ink threshold or the scale.
    """
    height, width = image_shape
    found = []
    for blob in blobs:
        box = blob.box
        long_side, short_side = max(box.width, box.height), min(box.width, box.height)
        spans = box.width > 0.6 * width or box.height > 0.6 * height
        if spans and blob.border >= 0.8 * long_side and short_side < 0.25 * long_side:
            found.append(blob)
    return found


def beyond_edge(mask: np.ndarray, blobs: list[Blob]) -> np.ndarray | None:
    """The solid dark band beyond the paper's edge (a table), grown by a few pixels (bool).

    A frame or an underline drawn near the paper's edge joins the band in the
    mask, and the two then measure as one page-high blob: neither is found
    by :func:`page_edges` and the blob sets the writing's scale. The band is
    what a wide opening keeps: solid ink running along one side of the image
    for most of its length and thin across it. Being the strongest "ink", it
    also sets the threshold, so the caller thresholds the ink again without
    it. None when no blob touching the border spans the image.
    """
    height, width = mask.shape
    if not any(
        b.border and (b.box.width > 0.6 * width or b.box.height > 0.6 * height) for b in blobs
    ):
        return None
    side = max(5, min(height, width) // 40) | 1  # wider than a pen stroke at this size
    solid = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((side, side), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
    band = np.zeros(count, bool)
    for label in range(1, count):
        x, y, w, h = (int(v) for v in stats[label, :4])
        along = (h > 0.6 * height and (x == 0 or x + w == width)) or (
            w > 0.6 * width and (y == 0 or y + h == height)
        )
        band[label] = along and min(w, h) < 0.25 * max(w, h)
    if not band.any():
        return None
    grown = cv2.dilate(band[labels].astype(np.uint8), np.ones((side, side), np.uint8))
    return grown > 0


def edge_reason(blob: Blob, scale: Scale, image_shape: tuple[int, int]) -> str | None:
    """Why ``blob``, touching the image's edge, is the paper's edge or a line the frame cut.

    Such ink is rejected whole, so it never joins a digit as one of its pieces.
    """
    if blob.border == 0:
        return None
    height, width = image_shape
    box = blob.box
    long_side = max(box.width, box.height)
    spans = box.width > 0.6 * width or box.height > 0.6 * height
    along_edge = blob.border > 0.4 * long_side  # runs along the image's edge
    if spans and along_edge and long_side > 1.6 * scale.height:  # paper edge, photo frame
        return f"page edge or border line ({box.width}×{box.height} touching the image edge)"
    if blob.border >= 0.9 * long_side and blob.fill > 0.5:  # no pen stroke runs along the edge
        return f"edge of a dark region cut by the image border ({box.width}×{box.height})"
    if (
        blob.stroke < 0.5 * scale.stroke
        and blob.area < 1.6 * long_side * blob.stroke  # one straight stroke, not a curve
        and long_side >= 0.8 * scale.height
    ):  # printed rules are finer than a pen; one cut by the frame is a margin line
        ratio = blob.stroke / scale.stroke
        return f"thin line cut by the image edge (stroke {ratio:.1f}× the writing's)"
    return None


def rejection_reason(blob: Blob, scale: Scale, image_shape: tuple[int, int]) -> str | None:
    """Why ``blob`` is not a digit of writing at ``scale``, or None when it may be one."""
    reason = edge_reason(blob, scale, image_shape)
    if reason is not None:
        return reason
    box = blob.box
    long_side, short_side = max(box.width, box.height), max(1, min(box.width, box.height))
    if (
        long_side > 6 * short_side
        and short_side < 3 * blob.stroke
        and (box.width > box.height or long_side > 2.2 * scale.height)
    ):
        return f"straight line ({box.width}×{box.height}, stroke {blob.stroke:.1f} px)"
    if blob.area > TEXTURE * blob.stroke * long_side:
        ratio = blob.area / (blob.stroke * long_side)
        return f"texture ({ratio:.0f}× the ink a pen stroke draws in a digit that size)"
    if blob.stroke > 2.6 * scale.stroke and blob.fill > 0.55:
        ratio = blob.stroke / scale.stroke
        return f"solid blob (fill {blob.fill:.2f}, stroke {ratio:.1f}× the writing's)"
    if box.height > 2.2 * scale.height:
        return f"too tall for the writing ({box.height} px vs {scale.height:.0f})"
    if long_side < 0.3 * scale.height:
        return f"too small for the writing ({box.height} px vs {scale.height:.0f})"
    return None


def select_digits(
    blobs: list[Blob], scale: Scale, image_shape: tuple[int, int]
) -> tuple[list[Blob], list[Rejected]]:
    """Split ``blobs`` into digit candidates and rejected components (with reasons)."""
    kept, rejected = [], []
    for blob in blobs:
        reason = rejection_reason(blob, scale, image_shape)
        if reason is None:
            kept.append(blob)
        else:
            rejected.append(Rejected(blob.box, reason))
    return kept, rejected
