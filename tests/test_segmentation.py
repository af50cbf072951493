"""Which ink is a digit and which digits make a number: page edges, box sides (fast tier)."""

from __future__ import annotations

import cv2
import numpy as np

from edge_runtime.components import Blob, find_blobs, page_edges
from edge_runtime.lines import frame_sides, group_lines
from edge_runtime.results import Box


def _blob(x: int, y: int, width: int, height: int, stroke: float = 3.0) -> Blob:
    return Blob(Box(x, y, width, height), int(stroke * (width + height)), stroke, (x,))


def test_the_paper_edge_is_found_and_a_tall_digit_is_not() -> None:
    mask = np.zeros((384, 512), np.uint8)
    mask[:, :20] = 255  # dark table beyond the paper's left edge, full height
    cv2.putText(mask, "47", (200, 220), cv2.FONT_HERSHEY_SIMPLEX, 3, 255, 8)
    blobs = find_blobs(mask, min_area=4)[1]
    assert [b.box.x for b in page_edges(blobs, mask.shape)] == [0]
    # A 1 written the full height of a tight crop touches the top and bottom, not a side.
    tight = np.zeros((200, 40), np.uint8)
    tight[:, 15:25] = 255
    assert page_edges(find_blobs(tight, min_area=4)[1], tight.shape) == []


def test_the_sides_of_a_box_round_a_number_are_not_ones() -> None:
    digits = [_blob(100 + 40 * i, 50, 28, 40) for i in range(3)]
    sides = [_blob(80, 35, 3, 70), _blob(225, 33, 4, 74)]  # a box's sides, corners lost
    (line,) = group_lines(digits + sides)
    kept, rejected = frame_sides(list(line))
    assert kept == digits
    assert len(rejected) == 2 and all("box side" in r.reason for r in rejected)


def test_ones_and_tall_neighbours_stay() -> None:
    ones = [_blob(100, 50, 5, 40), _blob(140, 50, 28, 40), _blob(180, 52, 5, 39)]
    assert frame_sides(list(ones)) == (ones, [])
    # A 6 with a high loop beside small zeros is wide, not a bar.
    six = [_blob(100, 46, 13, 15), _blob(130, 45, 16, 15), _blob(160, 18, 17, 50)]
    assert frame_sides(list(six)) == (six, [])


def test_a_pair_of_sides_needs_to_jut_less_than_one() -> None:
    digits = [_blob(100 + 40 * i, 50, 28, 40) for i in range(3)]
    left, right = _blob(80, 43, 3, 54), _blob(225, 44, 3, 53)  # jut ~0.15 of the height
    kept, rejected = frame_sides([left, *digits, right])
    assert kept == digits and len(rejected) == 2
    assert frame_sides([left, *digits]) == ([left, *digits], [])  # alone it may be a 1


def test_an_underline_joined_to_a_digit_is_no_frame() -> None:
    from edge_runtime.frames import closed

    frame = np.zeros((80, 200), np.uint8)
    cv2.rectangle(frame, (5, 5), (190, 70), 255, 3)
    labels, (blob,) = find_blobs(frame, min_area=4)
    assert closed(labels, blob)
    underline = np.zeros((80, 200), np.uint8)
    cv2.line(underline, (5, 70), (190, 70), 255, 3)  # an underline ...
    cv2.line(underline, (185, 10), (188, 70), 255, 3)  # ... that the last 1 touches
    labels, (blob,) = find_blobs(underline, min_area=4)
    assert not closed(labels, blob)


def test_a_box_round_a_single_one_is_a_frame() -> None:
    # A narrow box round one 1: the 1 has under a fifth of the box's ink and the box fills
    # 30% of its own rectangle; both read the box as a digit (a 0) before.
    from edge_runtime.preprocess import prepare

    page = np.full((480, 640), 220, np.uint8)
    cv2.line(page, (300, 170), (296, 300), 40, 10)  # the 1, 130 px tall
    cv2.rectangle(page, (262, 135), (334, 335), 40, 10)  # the box, 20-30 px round it
    prepared = prepare(page)
    (number,) = prepared.numbers
    (candidate,) = number.candidates
    assert candidate.box.width < 30 and candidate.box.height > 110
    assert any("frame" in r.reason for r in prepared.rejected)
