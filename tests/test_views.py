"""Working resolution and the zoomed re-read (edge_runtime.views); pure numpy/OpenCV."""

from __future__ import annotations

import numpy as np

from edge_runtime.components import estimate_scale, find_blobs
from edge_runtime.opencv import cv2
from edge_runtime.views import working_view, zoomed_view

ZOOM = {"min_stroke_px": 2.2, "min_height_px": 32.0, "max_zoom_pixels": 2_500_000}


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
