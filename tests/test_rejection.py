"""Rejecting what is not a digit and joining broken strokes, on real photos and on made masks.

The real images are from the development set (tests/data/real, provenance in its CSV); each
test names the reading the pipeline gave before these rules (fast tier: bundled model only).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_runtime import DigitClassifier
from edge_runtime.components import Blob, Scale, find_blobs, merge_parts, rejection_reason
from edge_runtime.lines import comb_dividers, printed
from edge_runtime.results import Box
from edge_runtime.rulings import blob_lines, erase_lines

REAL = Path(__file__).parent / "data" / "real"


@pytest.fixture(scope="module")
def classifier():
    with DigitClassifier() as model:
        yield model


def _reasons(inspection) -> list[str]:
    return [r.reason for r in inspection.rejected]


def test_a_rule_through_the_writing_leaves_the_digits_whole(classifier) -> None:
    # The notebook's rule crosses both 4s and, a little askew, joins the margin line to them;
    # the stems of "404" span 70% of this tight crop. Read "6622" before.
    inspection = classifier.inspect(REAL / "404_lined-notebook.jpg")
    assert inspection.reading.text == "404"
    assert any(r.startswith("ruled or form line") for r in _reasons(inspection))


def test_a_notebook_margin_line_is_not_a_leading_one(classifier) -> None:
    inspection = classifier.inspect(REAL / "368_lined-notebook.jpg")  # read "1368" before
    assert inspection.reading.text == "368"
    margin = [r for r in inspection.rejected if r.reason.startswith("thin line cut by")]
    assert len(margin) == 1 and margin[0].box.x < 5 and margin[0].box.height > 40


def test_the_edge_of_a_dark_canvas_is_not_a_digit(classifier) -> None:
    # A screenshot: white digits on a black canvas inside a white page. Read "523" before.
    inspection = classifier.inspect(REAL / "123_streamlit-app.png")
    assert inspection.reading.text == "123"


def test_a_forms_comb_dividers_and_printed_headings_are_rejected(classifier) -> None:
    # "Student Number" comb of 17 boxes, two name combs and printed headings. Before, the
    # dividers were read as 1s ("101010111215101918111111111") and the headings as numbers.
    inspection = classifier.inspect(REAL / "0001250981_exam-cover-form.jpg")
    reasons = _reasons(inspection)
    assert sum(r.startswith("comb-box divider") for r in reasons) >= 45  # 3 combs of 18
    assert sum(r.startswith("printed text") for r in reasons) >= 20
    texts = [number.text for number in inspection.numbers]
    assert "0001250981" in texts
    # The handwritten name above it reads "484658" in bigger writing, with a letter the model
    # is unsure of (0.55); the student number wins as the most prominent.
    assert inspection.reading.text == "0001250981"
    assert not any(set(text) == {"1"} or "1111" in text for text in texts)


def _scale() -> Scale:
    return Scale(stroke=3.0, height=40.0)


def test_a_tilted_rule_is_found_and_a_crossing_stroke_kept() -> None:
    mask = np.zeros((120, 300), np.uint8)
    cv2.line(mask, (5, 80), (295, 68), 255, 2)  # a rule, 2.4° askew
    cv2.line(mask, (100, 30), (100, 110), 255, 4)  # a 1 written across it
    cv2.line(mask, (200, 40), (200, 73), 255, 4)  # a 1 standing on it
    labels, blobs = find_blobs(mask, min_area=4)
    (line,) = blob_lines(labels, blobs[0], min_length=88, stroke=3.0)
    assert line.horizontal and line.length > 250 and -0.05 < line.slope < -0.03
    erased, rejected = erase_lines(mask, labels, blobs, height=40.0, stroke=3.0)
    assert len(rejected) == 1 and "ruled or form line" in rejected[0].reason
    kept = find_blobs(erased, min_area=20)[1]
    # Both 1s stay whole (the crossing one is not cut in two), the rule is gone.
    assert [(b.box.x // 10, b.box.height > 30) for b in kept] == [(9, True), (19, True)]


def test_a_dark_regions_straight_edge_is_not_erased_as_a_line() -> None:
    mask = np.zeros((200, 300), np.uint8)
    mask[100:, :] = 255  # a shadow filling the bottom half: its top edge is straight
    labels, blobs = find_blobs(mask, min_area=4)
    erased, rejected = erase_lines(mask, labels, blobs, height=30.0, stroke=3.0)
    assert erased is mask and rejected == []


def _blob(x: int, y: int, width: int, height: int, area: int, holes: int = 0) -> Blob:
    return Blob(Box(x, y, width, height), area, 3.0, (x,), 0, holes)


def test_a_broken_off_arc_joins_its_digit_and_a_small_zero_does_not() -> None:
    scale = Scale(stroke=3.5, height=34.0)
    left, arc = _blob(72, 26, 22, 31, 206), _blob(93, 33, 11, 23, 74)  # a 0 in two pieces
    (merged,) = merge_parts([left, arc], scale)
    assert merged.box == Box(72, 26, 32, 31)
    nine, small_zero = _blob(166, 13, 15, 39, 176), _blob(182, 26, 13, 12, 86, holes=1)
    assert len(merge_parts([nine, small_zero], scale)) == 2
    # A margin line cut by the frame shares a 3's column but is no piece of it.
    margin = Blob(Box(0, 0, 17, 56), 98, 1.36, (1,), border=19)
    three = Blob(Box(10, 27, 32, 53), 419, 3.6, (2,), border=13)
    assert len(merge_parts([margin, three], Scale(stroke=3.5, height=51.5), (80, 126))) == 2


def test_a_thin_line_cut_by_the_frame_is_rejected_and_a_one_is_not() -> None:
    scale = Scale(stroke=3.5, height=50.0)
    margin = Blob(Box(0, 0, 4, 60), 80, 1.3, (1,), border=20)
    assert "thin line" in (rejection_reason(margin, scale, (80, 126)) or "")
    one = Blob(Box(0, 10, 6, 50), 180, 3.4, (2,), border=12)  # a 1 at the crop's edge
    assert rejection_reason(one, scale, (80, 126)) is None


def test_comb_dividers_need_boxed_writing_and_ones_are_kept() -> None:
    dividers = [_blob(100 + 35 * i, 139, 3, 32, 96) for i in range(8)]
    digits = [_blob(108 + 35 * i, 143, 18, 24, 200) for i in range(5)]
    kept, rejected = comb_dividers(dividers + digits, height=24.0)
    assert kept == digits and len(rejected) == 8
    # Evenly spaced handwritten 1s of one height between digits as tall as they are.
    ones = [_blob(100 + 70 * i, 50, 4, 40, 120) for i in range(5)]
    others = [_blob(135 + 70 * i, 50, 24, 40, 300) for i in range(4)]
    assert comb_dividers(ones + others, height=40.0) == (ones + others, [])


def test_printed_headings_are_told_from_numbers() -> None:
    # "Student Number:" — capitals 21 px, lower case 13-14 px, one baseline.
    sizes = [21, 19, 14, 21, 14, 13, 19, 20, 14, 13, 21, 14, 13]
    heading = [_blob(30 + 17 * i, 173 - h, 12, h, 100) for i, h in enumerate(sizes)]
    assert printed(heading)
    # A number printed or written on a ruler-straight baseline has digits of one size.
    digits = [_blob(30 + 20 * i, 150, 14, 22, 120) for i in range(8)]
    assert not printed(digits)
    wobbly = [_blob(30 + 17 * i, 170 - h + (i % 3) * 3, 12, h, 100) for i, h in enumerate(sizes)]
    assert not printed(wobbly)


def test_level_bottoms_of_touching_digits_are_no_rule_but_an_underline_is() -> None:
    twos = np.zeros((80, 200), np.uint8)
    for x in (10, 50, 90):  # three 2s written touching, their bases on one level
        cv2.line(twos, (x + 30, 10), (x, 48), 255, 4)
        cv2.line(twos, (x, 48), (x + 40, 48), 255, 4)
    labels, blobs = find_blobs(twos, min_area=4)
    erased, rejected = erase_lines(twos, labels, blobs, height=40.0, stroke=4.0)
    assert erased is twos and rejected == []
    # The same pen's underline running on past the digits is erased where it is bare.
    underlined = twos.copy()
    cv2.line(underlined, (10, 48), (195, 48), 255, 4)
    labels, blobs = find_blobs(underlined, min_area=4)
    erased, rejected = erase_lines(underlined, labels, blobs, height=40.0, stroke=4.0)
    assert len(rejected) == 1 and not erased[46:51, 140:190].any()


def test_ink_running_along_the_image_edge_is_a_dark_regions_edge() -> None:
    # The slanted edge of a table beyond the paper leaves a strip along the image's side.
    mask = np.zeros((384, 512), np.uint8)
    cv2.fillPoly(mask, [np.array([[0, 200], [12, 200], [6, 310], [0, 310]])], 255)
    cv2.putText(mask, "695", (150, 300), cv2.FONT_HERSHEY_SIMPLEX, 3, 255, 8)
    scale = Scale(stroke=8.0, height=66.0)
    strip, *digits = find_blobs(mask, min_area=4)[1]
    assert "edge of a dark region" in (rejection_reason(strip, scale, mask.shape) or "")
    assert all(rejection_reason(d, scale, mask.shape) is None for d in digits)
    # A 1 in a tight crop touches the top and the bottom, not a side: it stays.
    tight = np.zeros((60, 20), np.uint8)
    tight[:, 7:13] = 255
    (one,) = find_blobs(tight, min_area=4)[1]
    assert rejection_reason(one, Scale(stroke=6.0, height=60.0), tight.shape) is None


def test_no_line_is_steeper_than_max_tilt_or_shorter_than_the_floor() -> None:
    from edge_runtime.rulings import MAX_TILT, MIN_LENGTH

    steep = np.zeros((60, 120), np.uint8)
    cv2.line(steep, (10, 10), (50, 40), 255, 2)  # 37 degrees: a stroke, not a rule askew
    labels, (blob,) = find_blobs(steep, min_area=4)
    found = blob_lines(labels, blob, min_length=MIN_LENGTH, stroke=2.0)
    assert all(abs(line.slope) <= MAX_TILT + 1 / MIN_LENGTH for line in found)
    # Tiny writing measured 7 px tall: a 20-px dash is still no rule.
    dash = np.zeros((40, 60), np.uint8)
    cv2.line(dash, (10, 20), (30, 20), 255, 2)
    labels, blobs = find_blobs(dash, min_area=4)
    assert erase_lines(dash, labels, blobs, height=7.0, stroke=2.0)[1] == []


def test_noise_is_texture_not_digits(classifier) -> None:
    # Uniform noise measured as writing 273 px tall with 2-px strokes: read "01" before.
    noise = np.random.default_rng(0).integers(0, 256, (1200, 1600), dtype=np.uint8)
    inspection = classifier.inspect(noise)
    assert inspection.reading.text == ""
    assert any(r.startswith("texture") for r in _reasons(inspection))


def test_a_number_is_as_prominent_as_its_least_sure_digit() -> None:
    from edge_runtime.classifier import _prominence
    from edge_runtime.results import NumberReading, Prediction

    def number(height: int, confidences: list[float]) -> NumberReading:
        return NumberReading(
            tuple(
                Prediction(7, c, box=Box(40 * i, 0, 30, height)) for i, c in enumerate(confidences)
            )
        )

    words = number(32, [1.0, 0.55, 1.0, 0.64, 0.88, 0.98])  # mean 0.84, one letter unsure
    digits = number(24, [1.0] * 10)
    assert _prominence(digits) > _prominence(words)
    assert _prominence(number(40, [0.9] * 4)) > _prominence(number(20, [1.0] * 4))
