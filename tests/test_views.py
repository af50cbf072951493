"""Working resolution and the zoomed re-read (edge_runtime.views); pure numpy/OpenCV."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from edge_runtime.components import Scale, estimate_scale, find_blobs
from edge_runtime.opencv import cv2
from edge_runtime.views import Rough, View, closer_view, full_view, working_view, zoomed_view

ZOOM = {"min_stroke_px": 2.2, "min_height_px": 32.0, "max_zoom_pixels": 2_500_000}
REAL = Path(__file__).parent / "data" / "real"


def _small_number_beside_a_shadow_wedge() -> tuple[np.ndarray, np.ndarray]:
    """A 1600×1200 page with "4096" written 36 px tall (12 px in the working view), and the
    working top-hat mask: the digits plus the wedge a shadow's edge makes at the frame's top."""
    page = np.full((1200, 1600), 210, np.uint8)
    cv2.putText(page, "4096", (700, 620), cv2.FONT_HERSHEY_SIMPLEX, 1.8, 30, 5)
    view = working_view(page, 512)
    mask = (view.gray < 120).astype(np.uint8) * 255
    wedge = np.array([[330, 0], [362, 0], [336, 62]], np.int32)
    cv2.fillPoly(mask, [wedge], 255)
    return page, mask


def test_a_shadow_wedge_at_the_frame_edge_does_not_hide_small_writing() -> None:
    page, mask = _small_number_beside_a_shadow_wedge()
    view = working_view(page, 512)
    blobs = find_blobs(mask, min_area=4)[1]
    scale = estimate_scale(blobs)
    assert scale is not None and scale.height >= 50  # the wedge sets the rough scale
    zoomed = zoomed_view(page, view, blobs, scale, **ZOOM)
    assert zoomed.scale > 1.5 * view.scale
    digits = find_blobs((zoomed.gray < 120).astype(np.uint8) * 255, min_area=4)[1]
    assert len(digits) == 4 and all(b.box.height >= 28 for b in digits)


def test_faint_thin_writing_in_a_big_frame_is_looked_for_at_full_size() -> None:
    from edge_runtime.preprocess import Prepared, prepare

    page = np.full((1200, 1600), 205, np.uint8)  # pencil-grey "37", 2 px strokes, 36 px tall
    cv2.putText(page, "37", (760, 620), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 160, 2, cv2.LINE_AA)
    prepared = prepare(page)  # at the 512-px working size the strokes average away
    assert isinstance(prepared, Prepared)
    box = prepared.largest().box
    assert 740 <= box.x <= 840 and 570 <= box.y <= 630


def _pencil_number_beside_a_shadow() -> np.ndarray:
    """A 1600×1200 page with "4096" in pencil grey, 36 px tall with 2-px strokes, and a hard
    shadow over the left third whose edge meets the frame's top and bottom."""
    page = np.full((1200, 1600), 205, np.uint8)
    cv2.putText(page, "4096", (700, 620), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 150, 2, cv2.LINE_AA)
    shade = np.ones(page.shape, np.float32)
    cv2.fillPoly(shade, [np.array([[0, 0], [500, 0], [300, 1200], [0, 1200]], np.int32)], 0.45)
    return np.clip(page * cv2.GaussianBlur(shade, (0, 0), 3), 0, 255).astype(np.uint8)


def test_small_writing_is_found_when_only_a_shadow_edge_shows_at_the_working_size() -> None:
    from edge_runtime.preprocess import Prepared, prepare

    # At 512 px the pencil digits are specks and the shadow's edge, cut by the frame, is all
    # that looks like writing: its scale (tall, thick) asked for no zoom and nothing was found.
    prepared = prepare(_pencil_number_beside_a_shadow())
    assert isinstance(prepared, Prepared)
    boxes = [c.box for number in prepared.numbers for c in number.candidates]
    digits = [b for b in boxes if b.x >= 690 and b.right <= 820 and 580 <= b.y < b.bottom <= 630]
    assert len(digits) == 4


def test_a_zoom_region_that_cuts_a_digit_grows_to_take_it_in() -> None:
    from edge_runtime.preprocess import Prepared, prepare

    # 23-px digits on a 1600×1200 page; the "4" is written with a 1-px grey stroke. At the
    # 512-px working size only "2611" shows, so the zoom's region, padded by one digit
    # height round them, ends inside the "4"; cut by the region's edge, it is taken in.
    page = np.full((1200, 1600), 200, np.uint8)
    cv2.putText(page, "4", (600, 620), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 130, 1, cv2.LINE_AA)
    cv2.putText(page, "2611", (635, 620), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 60, 3, cv2.LINE_AA)
    prepared = prepare(page)
    assert isinstance(prepared, Prepared)
    xs = sorted(c.box.x for number in prepared.numbers for c in number.candidates)
    assert len(xs) == 5 and 595 <= xs[0] <= 610


def _rough_pass() -> Callable[[View, bool], Rough]:
    """preprocess's rough pass, with the default options."""
    from edge_runtime.preprocess import DEFAULT_OPTIONS, _rough

    return partial(_rough, options=DEFAULT_OPTIONS)


def test_a_tight_crop_whose_writing_touches_the_border_is_not_read_again_finer() -> None:
    # A real marker "7" cropped tight: its one blob touches the border, nothing lies clear of
    # it. No specks were seen, so its scale stands; the 2x closer look (kept for a shadow's
    # edge beside specks) would read the whole 1080x1080 frame again for nothing.
    image = cv2.imread(str(REAL / "7_edge-touching-marker.png"), cv2.IMREAD_GRAYSCALE)
    view = working_view(image, 512)
    seen, _, rough = closer_view(image, view, _rough_pass(), **ZOOM)
    assert rough.blobs and all(b.border for b in rough.blobs)
    assert seen is view


def test_a_short_wedge_at_the_border_with_nothing_beside_it_is_read_again_finer() -> None:
    # The other side of a tight crop: a shadow's wedge cut by the top, a sixth of the frame
    # tall, is all that shows (the writing beside it averaged away): the scale is unknown.
    page = np.full((1200, 1600), 205, np.uint8)
    view = working_view(page, 512)
    mask = np.zeros(view.gray.shape, np.uint8)
    cv2.fillPoly(mask, [np.array([[330, 0], [362, 0], [336, 62]], np.int32)], 255)
    blobs = find_blobs(mask, min_area=4)[1]
    scale = estimate_scale(blobs)
    assert scale is not None and scale.stroke >= 10 and scale.height >= 60  # no zoom asked
    closer = zoomed_view(page, view, blobs, scale, **ZOOM)
    assert closer.offset == (0, 0) and closer.scale == 2 * view.scale


def test_a_huge_frame_is_looked_at_the_finest_size_at_once() -> None:
    # Each step of the finer look resizes the whole original: above LADDER_LIMIT times the
    # pixel budget it goes straight to the finest view; below, it still steps 2x at a time.
    budget = 100_000
    huge, small = np.zeros((2000, 2000), np.uint8), np.zeros((1000, 1000), np.uint8)
    finest = full_view(huge, working_view(huge, 64), budget)
    assert finest.gray.size <= budget and finest.scale == (budget / huge.size) ** 0.5
    step = full_view(small, working_view(small, 64), budget)
    assert step.scale == 2 * 64 / 1000


@pytest.mark.parametrize(("size", "thickness"), [(1.0, 2), (1.8, 5)])  # whole frame 2x; region
def test_a_zoom_that_measures_nothing_keeps_the_scale_in_its_own_pixels(
    size: float, thickness: int
) -> None:
    # When the zoomed re-read finds no blob, the scale measured before the zoom is kept,
    # converted to the zoomed view's pixels (not working-view pixels on a finer view).
    page = np.full((1200, 1600), 210, np.uint8)
    cv2.putText(page, "4096", (700, 620), cv2.FONT_HERSHEY_SIMPLEX, size, 30, thickness)
    rough_pass = _rough_pass()
    first: list[Scale] = []

    def look(view: View, dark: bool) -> Rough:
        rough = rough_pass(view, dark)
        if not first:
            first.append(rough.scale)
            return rough
        return rough._replace(blobs=[], scale=None)  # the re-read measures nothing

    view = working_view(page, 512)
    zoomed, _, rough = closer_view(page, view, look, **ZOOM)
    ratio = zoomed.scale / view.scale
    assert ratio > 1.5
    assert rough.scale.height == first[0].height * ratio
    assert rough.scale.stroke == first[0].stroke * ratio
