"""Preprocessing on the real inputs users give it, made from real MNIST test digits."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from benchmarks.synthetic import (
    alpha_only_png,
    dark_screen,
    filling_image,
    on_page,
    squared_paper,
    thin_pen,
    tiny_scan,
)
from edge_runtime.classifier import DigitClassifier
from edge_runtime.errors import ImageError
from edge_runtime.preprocess import (
    Prepared,
    PreprocessOptions,
    center_by_mass,
    prepare,
    stroke_width,
    to_gray,
)

SAMPLE = range(40)


@pytest.fixture(scope="module")
def classifier() -> DigitClassifier:
    return DigitClassifier()


def _accuracy(classifier, mnist, make) -> float:
    hits = [
        classifier.classify(make(mnist.test.images[i])).digit == mnist.test.labels[i]
        for i in SAMPLE
    ]
    return float(np.mean(hits))


@pytest.mark.parametrize(
    ("kind", "make", "floor"),
    [
        ("squared paper", squared_paper, 0.95),
        ("ruled paper", lambda d: squared_paper(d, ruled_only=True), 0.95),
        ("dark screen, light strokes", dark_screen, 0.95),
        ("strokes only in alpha (black)", alpha_only_png, 0.95),
        ("strokes only in alpha (white)", lambda d: alpha_only_png(d, colour=255), 0.95),
        ("tiny 16×16 scan", tiny_scan, 0.9),
        ("28×28 dark on light", lambda d: tiny_scan(d, 28), 0.95),
        ("already MNIST form", lambda d: d, 0.95),
        ("digit on a page", on_page, 0.95),
        ("digit filling the image, touching its edges", filling_image, 0.85),
    ],
)
def test_real_input_kinds(classifier, mnist, kind, make, floor) -> None:
    assert _accuracy(classifier, mnist, make) >= floor, kind


def test_grid_lines_are_not_ink(classifier, mnist) -> None:
    prepared = prepare(squared_paper(mnist.test.images[0]))
    assert isinstance(prepared, Prepared) and len(prepared.numbers) == 1
    (candidate,) = prepared.numbers[0].candidates
    box = candidate.box
    # The digit was drawn at x 220-420, y 140-340; the grid covers the whole page.
    assert box.x >= 200 and box.right <= 430 and box.y >= 130 and box.bottom <= 350


def test_thin_pen_on_large_canvas_gets_mnist_like_strokes(classifier, mnist) -> None:
    hits = 0
    for index in range(20):
        page = thin_pen(mnist.test.images[index])  # 2 px lines on a 1200×1200 page
        inspection = classifier.inspect(page)
        reading, inputs = inspection.reading, inspection.model_inputs
        hits += reading.digits[0].digit == mnist.test.labels[index]
        width = stroke_width(((inputs[0] > 128) * 255).astype(np.uint8))
        # MNIST's own stroke widths (threshold 128): 1st-99th percentile 1.25-4.1 px.
        assert 1.25 <= width <= 4.1, (index, width)
    assert hits >= 18


def test_mnist_form_output_contract(mnist) -> None:
    pixels = prepare(on_page(mnist.test.images[3])).largest().pixels
    assert pixels.shape == (28, 28) and pixels.dtype == np.uint8
    ys, xs = np.nonzero(pixels > 30)
    assert max(np.ptp(ys), np.ptp(xs)) + 1 <= 22  # longest side ~20 px (+ antialiasing)
    moments = cv2.moments(pixels)
    assert abs(moments["m10"] / moments["m00"] - 14) < 1.0
    assert abs(moments["m01"] / moments["m00"] - 14) < 1.0
    assert pixels[0].max() == 0 and pixels[:, 0].max() == 0  # white on black


def test_center_by_mass_moves_the_mass_to_the_centre() -> None:
    digit = np.zeros((20, 10), np.uint8)
    digit[:, :3] = 255  # mass on the left edge
    centred = center_by_mass(digit)
    moments = cv2.moments(centred)
    assert abs(moments["m10"] / moments["m00"] - 14) < 0.6


@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((480, 640, 3), np.uint8),
        np.full((480, 640, 3), 255, np.uint8),
        np.full((100, 100), 128, np.uint8),
    ],
    ids=["black", "white", "gray"],
)
def test_blank_frames_give_no_digit(classifier, frame) -> None:
    prediction = classifier.classify(frame)
    assert prediction.digit is None and prediction.reason.startswith("no digit")
    assert classifier.read_number(frame).text == ""


def test_noise_only_frame_gives_no_digit(classifier) -> None:
    rng = np.random.default_rng(1)
    noise = np.clip(rng.normal(200, 4, (480, 640)), 0, 255).astype(np.uint8)
    assert classifier.classify(noise).digit is None


def test_adaptive_threshold_also_reads_uneven_pages(mnist) -> None:
    adaptive = DigitClassifier(preprocess=PreprocessOptions(threshold="adaptive"))
    page = on_page(mnist.test.images[0]).astype(np.float32)
    page *= np.linspace(0.5, 1.0, page.shape[1])[None, :]  # light falls off to the left
    assert adaptive.classify(page.astype(np.uint8)).digit == mnist.test.labels[0]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((0, 5), np.uint8), "empty"),
        (np.zeros((5, 5, 2), np.uint8), "got shape"),
        (np.array([["a"]]), "dtype"),
        ("not an array", "numpy array"),
    ],
)
def test_to_gray_rejects_bad_arrays(bad, message) -> None:
    with pytest.raises(ImageError, match=message):
        to_gray(bad)


def test_to_gray_accepts_float_and_bool() -> None:
    assert to_gray(np.ones((4, 4), np.float32)).max() == 255
    assert to_gray(np.ones((4, 4), bool)).max() == 255


def test_a_thin_broken_digit_beside_a_bold_one_keeps_its_pieces() -> None:
    # The bold 9 sets the writing's stroke (~20 px); the thin 7's bar, broken from its stem,
    # has less ink than 1.5 bold strokes squared and was dropped as a speck: the 7 became a 1.
    page = np.full((384, 512), 215, np.uint8)
    cv2.putText(page, "9", (150, 260), cv2.FONT_HERSHEY_SIMPLEX, 4, 40, 22)
    cv2.line(page, (290, 150), (335, 150), 110, 4)  # the 7's bar ...
    cv2.line(page, (333, 158), (305, 255), 110, 4)  # ... and its stem, a gap below it
    prepared = prepare(page)
    (number,) = prepared.numbers
    _nine, seven = (candidate.box for candidate in number.candidates)
    assert seven.y <= 150 and seven.width >= 45 and seven.bottom >= 250
