"""Boxes drawn round a number: find them, read the writing inside on its own terms, erase them.

Pure functions on a label image and its blobs (:mod:`edge_runtime.components`).
A frame is ink whose box holds other ink, with (almost) none of its own
pixels in the middle of that box and ink along all four sides.

A frame is drawn in one go with a pen, so it is often darker than the
writing inside it (pencil in a printed or inked box). The page's ink
threshold follows its strongest strokes, and faint digits inside a dark
frame fall below it: :func:`faint_inside` thresholds each frame's inside
again on its own.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.components import Blob
from edge_runtime.ink import ink_mask
from edge_runtime.opencv import cv2

RETHRESHOLD = 0.8
"""The inside of a frame is thresholded again only when its own level is below this
fraction of the page's (otherwise the page's mask already holds its writing)."""

SPARSE = 0.25
"""Writing covers at most this share of a frame's inside; more new ink is grain or a pattern."""


def frame_reason(blob: Blob, blobs: list[Blob]) -> str | None:
    """A box drawn around other ink: its box holds the centre of a substantial other blob.

    Only a shape test; callers also check the blob is hollow (its pixels near
    its box's edges) before erasing it, so a 0 around a speck is no frame.
    """
    box = blob.box
    inside = sum(
        1
        for other in blobs
        if other is not blob
        and box.x < other.box.x + other.box.width / 2 < box.right
        and box.y < other.box.y + other.box.height / 2 < box.bottom
        and other.box.height >= 0.3 * box.height
        and other.box.height < box.height  # a box drawn round a 0 is not inside the 0
        # A 1 has little ink beside a box round it; its height says it is what the box holds.
        and (other.area >= 0.2 * blob.area or other.box.height >= 0.4 * box.height)
    )
    if inside >= 1 and blob.fill < 0.45:
        return f"frame around other ink ({inside} blobs inside)"
    return None


def closed(labels: np.ndarray, blob: Blob) -> bool:
    """True when the blob's ink runs along most of all four sides of its box (a drawn frame).

    An underline joined to the last digit also holds other ink's centres in
    its box and is hollow, but it has no top side and only one short side.
    """
    box = blob.box
    own = np.isin(labels[box.y : box.bottom, box.x : box.right], blob.labels)
    band_y, band_x = max(1, box.height // 8), max(1, box.width // 8)
    sides = (
        own[:band_y].any(axis=0),
        own[-band_y:].any(axis=0),
        own[:, :band_x].any(axis=1),
        own[:, -band_x:].any(axis=1),
    )
    return all(side.mean() > 0.6 for side in sides)


def hollow(labels: np.ndarray, blob: Blob) -> bool:
    """True when (almost) none of the blob's pixels lie in the middle of its box: a frame."""
    box = blob.box
    dx, dy = box.width // 5, box.height // 5
    middle = labels[box.y + dy : box.bottom - dy, box.x + dx : box.right - dx]
    return int(np.isin(middle, blob.labels).sum()) < 0.05 * blob.area


def _boxed(labels: np.ndarray, blob: Blob) -> bool:
    """Ink along all four sides of its box (:func:`closed`), or, photographed askew, a
    four-cornered outline (:func:`_quadrilateral`)."""
    if closed(labels, blob):
        return True
    box = blob.box
    return _quadrilateral(np.isin(labels[box.y : box.bottom, box.x : box.right], blob.labels))


def drawn_frames(labels: np.ndarray, blobs: list[Blob]) -> list[tuple[Blob, str]]:
    """Boxes drawn around other ink (found before long strokes are cut, while they are whole)."""
    # Hollowness first: it looks at one box, while the shape test compares every other blob.
    found = [(blob, frame_reason(blob, blobs)) for blob in blobs if hollow(labels, blob)]
    return [(b, reason) for b, reason in found if reason is not None and _boxed(labels, b)]


def _quadrilateral(own: np.ndarray) -> bool:
    """The outline of ``own`` (a blob's pixels in its box) is a convex four-cornered shape:
    a box, photographed at an angle or not. A 0 or a 6's loop has a rounded outline."""
    contours, _ = cv2.findContours(own.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = max(contours, key=cv2.contourArea)
    corners = cv2.approxPolyDP(outline, 0.03 * cv2.arcLength(outline, True), True)
    return len(corners) == 4 and bool(cv2.isContourConvex(corners))


def _inside(own: np.ndarray, stroke: float) -> np.ndarray:
    """Pixels within the outline of ``own`` and clear of its ink by about a stroke (bool)."""
    points = cv2.findNonZero(own.astype(np.uint8))
    region = np.zeros(own.shape, np.uint8)
    cv2.fillConvexPoly(region, cv2.convexHull(points), 1)
    side = 2 * round(max(1.0, stroke)) + 1  # the frame's soft edge is no writing
    near = cv2.dilate(own.astype(np.uint8), np.ones((side, side), np.uint8))
    return (region > 0) & (near == 0)


def faint_inside(
    ink: np.ndarray,
    mask: np.ndarray,
    labels: np.ndarray,
    blobs: list[Blob],
    min_contrast: int,
    threshold: str = "otsu",
) -> np.ndarray | None:
    """``mask`` with the inside of each drawn frame thresholded on its own, or None if unchanged.

    ``ink`` is ink strength (``uint8``, white ink on black) and ``mask`` its
    threshold for the whole page. A frame here is a hollow blob whose
    outline is a four-cornered box (:func:`_quadrilateral`); its inside is
    thresholded again when its own level is well below the page's
    (:data:`RETHRESHOLD`) and the new ink is sparse (:data:`SPARSE`) and holds a
    stroke at least a third of the frame's height (the writing it was drawn
    round, not paper grain).
    Pixels are only ever added.
    """
    page_level: int | None = None
    found = mask
    for blob in blobs:
        box = blob.box
        if min(box.width, box.height) < 8 * blob.stroke or not hollow(labels, blob):
            continue
        window = (slice(box.y, box.bottom), slice(box.x, box.right))
        own = np.isin(labels[window], blob.labels)
        if not _quadrilateral(own):
            continue
        inside = _inside(own, blob.stroke)
        if not inside.any():
            continue
        local = np.where(inside, ink[window], 0).astype(np.uint8)
        extra = ink_mask(local, min_contrast, threshold)
        if extra is None or not extra.any():
            continue
        if page_level is None:
            page_level = int(ink[mask > 0].min())
        if int(local[extra > 0].min()) >= RETHRESHOLD * page_level:
            continue
        if np.count_nonzero(extra) > SPARSE * np.count_nonzero(inside):
            continue  # grain or a pattern over the whole inside, not writing
        _, _, stats, _ = cv2.connectedComponentsWithStats(extra, connectivity=8)
        tall = stats[1:, cv2.CC_STAT_HEIGHT] >= box.height / 3
        if not tall.any():
            continue
        if found is mask:
            found = mask.copy()
        found[window][extra > 0] = 255
    return None if found is mask else found


def erase_frames(mask: np.ndarray, labels: np.ndarray, frames: list[Blob]) -> np.ndarray:
    """A copy of ``mask`` without the frames' ink; a digit touching a frame keeps its strokes.

    A frame's ink lies along its outline (the convex hull of its pixels). Of a
    frame blob, the pixels within one and a half strokes of the outline go,
    and so does what is left of it that is small (under a third of the
    frame's height) or hugs the outline (never four strokes inside it): the
    rest is a digit written against the box's side, and stays.
    """
    cleaned = mask.copy()
    for frame in frames:
        box = frame.box
        window = (slice(box.y, box.bottom), slice(box.x, box.right))
        own = np.isin(labels[window], frame.labels)
        hull = np.zeros((box.height + 2, box.width + 2), np.uint8)  # a margin: outline at 0
        points = cv2.findNonZero(own.astype(np.uint8)) + 1
        cv2.fillConvexPoly(hull, cv2.convexHull(points), 1)
        depth = cv2.distanceTransform(hull, cv2.DIST_L2, 3)[1:-1, 1:-1]
        rest = own & (depth > 1.5 * frame.stroke + 1)
        count, parts, stats, _ = cv2.connectedComponentsWithStats(rest.astype(np.uint8))
        deepest = np.zeros(count)
        np.maximum.at(deepest, parts[rest], depth[rest])
        digit = (stats[:, cv2.CC_STAT_HEIGHT] >= box.height / 3) & (deepest > 4 * frame.stroke)
        digit[0] = False
        cleaned[window][own & ~digit[parts]] = 0
    return cleaned
