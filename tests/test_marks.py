"""Marks near the number: a box drawn round it, a line under it, the paper's edge beside it.

Made pages and masks (fast tier: no MNIST, no model); each test fails on the code before
the rule it checks.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_runtime.components import Blob, Scale, beyond_edge, find_blobs, merge_parts
from edge_runtime.frames import faint_inside
from edge_runtime.lines import frame_sides
from edge_runtime.preprocess import prepare
from edge_runtime.results import Box


def _faint_number_in_a_dark_box() -> np.ndarray:
    """Pencil-faint "107" (gray 150 on 200 paper) in a box drawn in dark ink (gray 40)."""
    page = np.full((480, 640), 200, np.uint8)
    cv2.rectangle(page, (150, 150), (490, 330), 40, 5)
    cv2.line(page, (220, 190), (214, 290), 150, 5)  # the 1
    cv2.ellipse(page, (310, 240), (32, 50), 0, 0, 360, 150, 5)  # the 0
    cv2.line(page, (380, 190), (440, 190), 150, 5)  # the 7's bar ...
    cv2.line(page, (440, 190), (400, 290), 150, 5)  # ... and stem
    cv2.polylines(page, [np.array([[60, 60], [90, 50], [120, 62], [150, 48]])], False, 40, 5)
    return page


def test_faint_writing_inside_a_dark_box_is_thresholded_on_its_own() -> None:
    # The box sets the page's threshold above the pencil's strength: nothing was found inside.
    prepared = prepare(_faint_number_in_a_dark_box())
    inside = [n for n in prepared.numbers if n.box.x > 150 and n.box.right < 490]
    assert len(inside) == 1 and len(inside[0].candidates) == 3
    assert any(r.reason.startswith("frame around other ink") for r in prepared.rejected)


def test_a_zero_is_no_box_and_an_empty_box_gains_no_ink() -> None:
    ink = np.zeros((200, 300), np.uint8)
    cv2.ellipse(ink, (80, 100), (40, 60), 0, 0, 360, 200, 6)  # a 0 round faint grain
    cv2.rectangle(ink, (160, 40), (280, 160), 200, 6)  # an empty box
    rng = np.random.default_rng(0)
    ink = np.maximum(ink, rng.integers(0, 60, ink.shape).astype(np.uint8))
    mask = np.where(ink > 100, 255, 0).astype(np.uint8)
    labels, blobs = find_blobs(mask, min_area=4)
    assert faint_inside(ink, mask, labels, blobs, 40) is None


def _blob(x: int, y: int, w: int, h: int, stroke: float = 4.0) -> Blob:
    return Blob(Box(x, y, w, h), int(0.3 * w * h), stroke, (x,))


def test_a_short_underline_is_not_joined_to_the_digit_above_it() -> None:
    scale = Scale(stroke=5.0, height=50.0)
    seven, line = _blob(112, 228, 38, 50), _blob(100, 280, 62, 6)  # 7 px below, 12 px beyond
    assert len(merge_parts([seven, line], scale)) == 2  # read "2" as one blob before
    # A 5's bar broken off on top still joins, and so does a 2's base that starts at its diagonal.
    five, bar = _blob(100, 240, 36, 38), _blob(108, 228, 34, 6)
    assert len(merge_parts([five, bar], scale)) == 1
    two, base = _blob(100, 228, 40, 42), _blob(100, 272, 48, 6)
    assert len(merge_parts([two, base], scale)) == 1


def test_the_dark_table_beyond_the_papers_edge_is_cut_from_a_frame_it_touches() -> None:
    mask = np.zeros((384, 512), np.uint8)
    mask[:, :50] = 255  # the table beyond the paper's edge
    cv2.rectangle(mask, (30, 30), (460, 150), 255, 3)  # a frame whose left side is in it
    _, blobs = find_blobs(mask, min_area=4)
    assert len(blobs) == 1  # one page-high blob: it set the writing's height before
    beyond = beyond_edge(mask, blobs)
    assert beyond is not None and beyond[:, :50].all()
    left = mask.copy()
    left[beyond] = 0
    _, rest = find_blobs(left, min_area=4)
    assert max(b.box.height for b in rest) < 130


def test_writing_beside_a_dark_table_is_found() -> None:
    # The table beyond the paper's edge is the strongest "ink" of the first (top-hat) pass and
    # set its threshold: the boxed "107" fell below it and there was "no digit".
    page = np.full((480, 640), 200, np.uint8)
    page[:, :40] = 30
    cv2.rectangle(page, (60, 150), (400, 330), 150, 5)
    cv2.line(page, (120, 190), (114, 290), 150, 6)
    cv2.ellipse(page, (210, 240), (32, 50), 0, 0, 360, 150, 6)
    cv2.line(page, (280, 190), (340, 190), 150, 6)
    cv2.line(page, (340, 190), (300, 290), 150, 6)
    (number,) = prepare(page).numbers
    assert len(number.candidates) == 3 and number.box.x > 100


def test_a_digit_touching_the_box_keeps_its_strokes() -> None:
    # The 7's bar runs into the box's right side: the two are one blob, and erasing the box
    # took the 7 with it ("10").
    page = np.full((480, 640), 200, np.uint8)
    cv2.rectangle(page, (150, 150), (450, 330), 40, 5)
    cv2.line(page, (220, 190), (214, 290), 40, 6)  # the 1
    cv2.ellipse(page, (300, 240), (32, 50), 0, 0, 360, 40, 6)  # the 0
    cv2.line(page, (380, 190), (450, 190), 40, 6)  # the 7's bar, into the box's side
    cv2.line(page, (440, 190), (400, 290), 40, 6)
    prepared = prepare(page)
    (number,) = prepared.numbers
    assert len(number.candidates) == 3
    assert number.box.right < 446  # without the box's side
    assert any(r.reason.startswith("frame around other ink") for r in prepared.rejected)


def test_an_underline_touching_the_digits_is_cut_off() -> None:
    # Blurred and thick, the line touches the 1 and the 0 and made one blob of the three.
    page = np.full((480, 640), 200, np.uint8)
    cv2.line(page, (250, 180), (244, 290), 40, 7)  # the 1
    cv2.ellipse(page, (330, 236), (34, 52), 0, 0, 360, 40, 7)  # the 0
    cv2.line(page, (215, 293), (395, 296), 40, 7)  # the underline, touching both
    prepared = prepare(page)
    (number,) = prepared.numbers
    assert len(number.candidates) == 2 and number.box.bottom < 292
    assert any(r.reason.startswith("underline") for r in prepared.rejected)


@pytest.mark.parametrize(
    "name",
    [
        "23456_grey-page-c.jpg",  # this 2's base runs on past its top at both ends
        "268_lined-notebook.jpg",  # the digits sit on a notebook's rule, cut by the crop
    ],
)
def test_a_twos_base_and_a_notebooks_rule_are_no_underlines(name: str) -> None:
    # Cut off as underlines, the 2s lost their bases and read 9 and 7.
    page = cv2.imread(str(Path(__file__).parent / "data" / "real" / name))
    prepared = prepare(page)
    assert not any(r.reason.startswith("underline") for r in prepared.rejected)


def test_a_box_side_meeting_erased_form_lines_is_rejected() -> None:
    # The box's top and bottom were erased as form lines; the 3 touches its top, so the right
    # side juts no higher than the 3 and both sides read as 1s ("11131" for "163").
    left, right = _blob(65, 115, 10, 149), _blob(370, 115, 10, 149)
    digits = [_blob(97, 135, 48, 100), _blob(167, 132, 42, 98), _blob(267, 115, 76, 115)]
    rules = [Box(66, 112, 314, 14), Box(66, 252, 314, 14)]
    assert frame_sides([left, *digits, right]) == ([left, *digits, right], [])
    kept, rejected = frame_sides([left, *digits, right], rules)
    assert kept == digits and len(rejected) == 2
    one = _blob(400, 130, 10, 100)  # a 1 ending short of the rules is kept
    assert frame_sides([*digits, one], rules)[0] == [*digits, one]
    assert frame_sides([left, right], rules) == ([left, right], [])  # nothing inside: kept
