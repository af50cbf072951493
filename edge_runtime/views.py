"""Working resolution: the copy of a frame that preprocessing reads, and the zoomed re-read.

A :class:`View` is a resized (part of a) gray image plus the mapping of its pixels back to the
original, so every box the pipeline reports is in the caller's coordinates. Frames are read at a
bounded working size (speed); when the writing measured there is too thin or too short for the
model's 20-px box, its region is re-read from the original at a zoom that gives it room (grown
where its edge cuts writing); when nothing shows there, the frame is looked at finer step by
step. :func:`closer_view` runs these steps over the rough pass it is given. Pure numpy/OpenCV;
the pixel contract is the one of :mod:`edge_runtime.pixels` (uint8 gray).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from edge_runtime.components import Blob, Scale, estimate_scale
from edge_runtime.lines import union_box
from edge_runtime.opencv import cv2
from edge_runtime.pixels import ink_is_dark
from edge_runtime.results import Box

MIN_WRITING_PX = 10
"""Writing shorter than this in the working view is taken for specks when judging the scale."""

GROW_STEPS = 3
"""A zoomed region whose edge cuts writing grows at most this many times (see
:func:`grown_view`)."""

CLOSER_LOOK = 2.0
"""When the working view cannot tell the writing's scale, the whole frame is read again this many
times finer (when the original has the pixels): small pencil writing beside a shadow's edge
shows as specks at the working size, and the edge is all the top-hat keeps."""

TIGHT_CROP = 0.5
"""Ink cut by the border, nothing clear of it, at least this share of the frame's height tall:
a crop tight round the writing (its scale stands; no 2x closer look). A shadow's wedge at the
border with small writing invisible beside it is shorter."""

LADDER_LIMIT = 16
"""The frame is looked at finer step by step (:func:`full_view`) unless the original has over
this many times the zoom's pixel budget: each step resizes the whole original again (seconds
for a 20000² scan), so it is looked at the finest size at once."""


class Rough(NamedTuple):
    """The cheap first pass over a view (``preprocess._rough``): top-hat ink, its mask (None when
    nothing stands out), the mask's blobs and the writing's scale (None when no ink)."""

    ink: np.ndarray
    mask: np.ndarray | None
    blobs: list[Blob]
    scale: Scale | None


@dataclass(frozen=True)
class View:
    """A working copy of (part of) the image and how to map its pixels back to the original."""

    gray: np.ndarray
    scale: float
    offset: tuple[int, int] = (0, 0)

    def to_original(self, box: Box) -> Box:
        x0 = self.offset[0] + int(box.x / self.scale)
        y0 = self.offset[1] + int(box.y / self.scale)
        return Box(
            x0, y0, max(1, round(box.width / self.scale)), max(1, round(box.height / self.scale))
        )


def resized(gray: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return gray
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(gray, size, interpolation=interpolation)


def within(pixels: int, max_pixels: int) -> float:
    """The largest zoom at which ``pixels`` original pixels make at most ``max_pixels``."""
    return (max_pixels / max(1, pixels)) ** 0.5


def working_view(gray: np.ndarray, working_side: int) -> View:
    """The frame at most ``working_side`` pixels on its long side (tiny scans enlarged to 56)."""
    scale = min(1.0, working_side / max(gray.shape))
    if max(gray.shape) * scale < 56:  # tiny scans (16×16, 28×28): upsample so morphology has room
        scale = 56 / max(gray.shape)
    return View(resized(gray, scale), scale)


def full_view(gray: np.ndarray, view: View, max_pixels: int) -> View:
    """The whole frame :data:`CLOSER_LOOK` times finer than ``view``, at most at its own
    resolution and ``max_pixels`` (straight at the finest when the original has over
    :data:`LADDER_LIMIT` times ``max_pixels``), or ``view`` when that is no finer: where thin
    faint strokes (pencil) have not been averaged away."""
    zoom = min(1.0, within(gray.size, max_pixels))
    if gray.size <= LADDER_LIMIT * max_pixels:
        zoom = min(zoom, CLOSER_LOOK * view.scale)
    if zoom <= view.scale * 1.2:
        return view
    return View(resized(gray, zoom), zoom)


def _without_wedges(
    blobs: list[Blob], scale: Scale, shape: tuple[int, ...]
) -> tuple[list[Blob], Scale] | None:
    """The blobs and their scale without solid wedges at the frame's border, or None when only
    ink cut by the border is shaped like writing and what lies clear of it is specks: the
    scale is then unknown. With nothing at all clear of the border, the scale stands when
    the ink is a tight crop's writing (:data:`TIGHT_CROP`); a short wedge alone is unknown.

    A hard shadow's edge meeting the frame's border is a wedge of "ink" to a top-hat: as tall
    as big writing and far thicker than the pen (more than twice the stroke of the writing
    clear of the border), it would hide that the writing is small and needs a zoom. Ink that
    runs off the frame with the pen's stroke (writing, noise) is kept.
    """
    height, width = shape[:2]
    inside = [
        b
        for b in blobs
        if b.box.x > 0 and b.box.y > 0 and b.box.right < width and b.box.bottom < height
    ]
    tallest = max((b.box.height for b in blobs), default=0)
    if not inside and tallest >= TIGHT_CROP * height:  # writing cropped tight: nothing beside it
        return blobs, scale
    inner = estimate_scale(inside, strict=True)
    if inner is None or inner.height < MIN_WRITING_PX:  # specks: too little to judge by
        if len(inside) < len(blobs) and estimate_scale(blobs, strict=True) is not None:
            return None  # the scale rests on the ink cut by the border alone
        return blobs, scale
    clear = {id(b) for b in inside}
    kept = [b for b in blobs if id(b) in clear or b.stroke <= 2 * inner.stroke]
    if len(kept) == len(blobs):
        return blobs, scale
    return kept, estimate_scale(kept, strict=True) or inner


def writing_scale(blobs: list[Blob], scale: Scale, shape: tuple[int, ...]) -> Scale:
    """``scale`` measured again without solid wedges at the frame's border (a zoomed view
    keeps a hard shadow's edge as it was: far thicker than the pen)."""
    found = _without_wedges(blobs, scale, shape)
    return scale if found is None else found[1]


def zoomed_view(
    gray: np.ndarray,
    view: View,
    blobs: list[Blob],
    scale: Scale,
    *,
    min_stroke_px: float,
    min_height_px: float,
    max_zoom_pixels: int,
) -> View:
    """Re-read the region of the writing at a zoom that gives its strokes ~3 px and its digits
    ``min_height_px`` (never above the original's resolution; pixels bounded); when the
    scale is unknown (only ink cut by the border looks like writing), the whole frame
    :data:`CLOSER_LOOK` times finer, if the original has that many pixels (a live 640×480
    frame read at 512 has not: nothing hides at its working size)."""
    if view.scale >= 1.0:
        return view
    found = _without_wedges(blobs, scale, view.gray.shape)
    if found is not None and estimate_scale(blobs, strict=True) is None:
        found = None  # nothing shaped like a digit (scribbles, specks): the scale is unknown
    if found is None:
        zoom = min(1.0, within(gray.size, max_zoom_pixels))
        if zoom < CLOSER_LOOK * view.scale:
            return view
        return View(resized(gray, CLOSER_LOOK * view.scale), CLOSER_LOOK * view.scale)
    blobs, scale = found
    if scale.stroke >= min_stroke_px and scale.height >= min_height_px:
        return view
    digitish = [b for b in blobs if b.box.height >= 0.4 * scale.height] or blobs
    region = union_box([view.to_original(b.box) for b in digitish])
    pad = int(scale.height / view.scale)
    x0, y0 = max(0, region.x - pad), max(0, region.y - pad)
    x1 = min(gray.shape[1], region.right + pad)
    y1 = min(gray.shape[0], region.bottom + pad)
    wanted = max(3.0 / max(scale.stroke, 0.5), min_height_px / max(scale.height, 1.0))
    zoom = min(1.0, view.scale * wanted)
    zoom = min(zoom, within((x1 - x0) * (y1 - y0), max_zoom_pixels))
    if zoom <= view.scale * 1.2:
        return view
    return View(resized(gray[y0:y1, x0:x1], zoom), zoom, (x0, y0))


def grown_view(
    gray: np.ndarray, view: View, look: Callable[[View, bool], Rough], max_zoom_pixels: int
) -> tuple[View, bool, Rough]:
    """``view`` (a zoomed region) grown past its edges where writing-sized ink is cut by them:
    ``(view, dark, look(view, dark))``, ``look`` being the rough pass and ``dark`` whether
    the view's ink is dark.

    The region of a zoom comes from what the working view showed of the writing: of thin
    small digits, some fragments. A digit it missed may lie just beyond the region; cut by
    its edge, the part inside says so. The region grows by two digit heights a step, at most
    :data:`GROW_STEPS` steps, at the same zoom (or less: pixels bounded).
    """
    dark = ink_is_dark(view.gray)
    looked = look(view, dark)
    for _ in range(GROW_STEPS):
        scale = estimate_scale(looked.blobs, strict=True) if looked.mask is not None else None
        if scale is None:
            break
        height, width = view.gray.shape[:2]
        x0, y0 = view.offset
        x1, y1 = x0 + round(width / view.scale), y0 + round(height / view.scale)
        reach = int(2 * scale.height / view.scale)
        cut = [b.box for b in looked.blobs if max(b.box.width, b.box.height) >= 0.4 * scale.height]
        left = reach if x0 > 0 and any(b.x == 0 for b in cut) else 0
        top = reach if y0 > 0 and any(b.y == 0 for b in cut) else 0
        right = reach if x1 < gray.shape[1] and any(b.right >= width for b in cut) else 0
        bottom = reach if y1 < gray.shape[0] and any(b.bottom >= height for b in cut) else 0
        if not (left or top or right or bottom):
            break
        x0, y0 = max(0, x0 - left), max(0, y0 - top)
        x1, y1 = min(gray.shape[1], x1 + right), min(gray.shape[0], y1 + bottom)
        zoom = min(view.scale, within((x1 - x0) * (y1 - y0), max_zoom_pixels))
        view = View(resized(gray[y0:y1, x0:x1], zoom), zoom, (x0, y0))
        dark = ink_is_dark(view.gray)
        looked = look(view, dark)
    return view, dark, looked


def closer_view(
    gray: np.ndarray,
    view: View,
    look: Callable[[View, bool], Rough],
    *,
    min_stroke_px: float,
    min_height_px: float,
    max_zoom_pixels: int,
) -> tuple[View, bool, Rough]:
    """The view the writing is read in, whether its ink is dark, and the rough pass over it.

    ``look(view, dark)`` is the rough pass. Starting from the working ``view``: while it
    shows no ink, the frame is looked at finer (:func:`full_view`, step by step); then the
    region of the writing is zoomed (:func:`zoomed_view`), grown where its edge cuts writing
    (:func:`grown_view`), and the writing's scale measured there without shadow wedges
    (the scale before the zoom, converted to the zoomed view's pixels, is kept when the
    zoomed view measures none).
    """
    dark = ink_is_dark(view.gray)
    rough = look(view, dark)
    while (rough.mask is None or rough.scale is None) and (
        finer := full_view(gray, view, max_zoom_pixels)
    ) is not view:
        view = finer  # faint thin strokes (pencil) average away at the working size
        rough = look(view, dark)
    if rough.mask is None or rough.scale is None:
        return view, dark, rough
    zoomed = zoomed_view(
        gray,
        view,
        rough.blobs,
        rough.scale,
        min_stroke_px=min_stroke_px,
        min_height_px=min_height_px,
        max_zoom_pixels=max_zoom_pixels,
    )
    if zoomed is view:
        return view, dark, rough
    unzoomed, unzoomed_scale = view, rough.scale
    view, dark, rough = grown_view(gray, zoomed, look, max_zoom_pixels)
    if rough.scale is not None:
        scale = writing_scale(rough.blobs, rough.scale, view.gray.shape)
    else:  # the scale before the zoom, in the zoomed view's pixels
        ratio = view.scale / unzoomed.scale
        scale = Scale(unzoomed_scale.stroke * ratio, unzoomed_scale.height * ratio)
    return view, dark, rough._replace(scale=scale)
