"""Ink polarity and ink separation (``edge_runtime.pixels``, ``edge_runtime.ink``) on real photos
from ``tests/data/real`` and on synthetic pages with one hard property each."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.synthetic import hard_set
from edge_runtime.image_io import load_image
from edge_runtime.ink import ink_mask
from edge_runtime.pixels import ink_is_dark, to_gray
from edge_runtime.views import working_view

REAL = Path(__file__).parent / "data" / "real"


def _small_writing(seed: int, dark: bool = True, pen: int = 2, size: float = 1.0) -> np.ndarray:
    """A blotchy 1600×1200 page; a number ~30 px tall at ``size`` 1 in a ``pen``-px pen."""
    rng = np.random.default_rng(seed)
    blotches = cv2.resize(rng.normal(0, 8, (32, 42)), (1600, 1200), interpolation=cv2.INTER_CUBIC)
    page = 215 + blotches + rng.normal(0, 4, (1200, 1600))
    ink = np.zeros((1200, 1600), np.uint8)
    cv2.putText(ink, "7112", (300, 1000), cv2.FONT_HERSHEY_SIMPLEX, size, 255, pen, cv2.LINE_AA)
    page -= 0.6 * page * ink / 255.0
    page = np.clip(page, 0, 255).astype(np.uint8)
    return page if dark else 255 - page


@pytest.mark.parametrize("seed", range(4))
def test_small_writing_in_a_big_blotchy_frame_has_the_right_polarity(seed) -> None:
    assert ink_is_dark(_small_writing(seed))
    assert not ink_is_dark(_small_writing(seed, dark=False))


@pytest.mark.parametrize("seed", range(12))
def test_a_fine_pen_small_in_a_big_frame_has_the_right_polarity(seed) -> None:
    # A 1-px pen, 24 px tall in 1600 px: at the tail test's 128-px copy strokes keep under a
    # tenth of their contrast and it is unsure; its finer 384-px copy must decide (seeds 2 and
    # 7 were read as light ink before it; OpenCV 4.x's drawing did the same to the 2-px seed 2).
    assert ink_is_dark(_small_writing(seed, pen=1, size=0.8))
    assert not ink_is_dark(_small_writing(seed, dark=False, pen=1, size=0.8))


def _shadowed_page(seed: int, text: str) -> np.ndarray:
    """A 640×480 page, its left 72-80% in a hand's shadow (40-50% of the light); ``text``
    written in the lit part with ink that absorbs 45% of the light: lighter than the shadow."""
    rng = np.random.default_rng(seed)
    blotches = cv2.resize(rng.normal(0, 6, (12, 16)), (640, 480), interpolation=cv2.INTER_CUBIC)
    paper = 215 + blotches + rng.normal(0, 3, (480, 640))
    ink = np.zeros((480, 640), np.uint8)
    cv2.putText(ink, text, (540, 300), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 255, 3, cv2.LINE_AA)
    paper -= 0.45 * paper * ink / 255.0
    shade = np.ones((480, 640), np.float32)
    shade[:, : int(rng.uniform(0.72, 0.8) * 640)] = rng.uniform(0.4, 0.5)
    return np.clip(paper * cv2.GaussianBlur(shade, (0, 0), 1.5), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("text", ["7", "1"])
def test_ink_lighter_than_a_shadow_over_most_of_the_page_is_dark_ink(seed, text) -> None:
    # The shadowed paper is darker than the ink, so the image's median (the shadow) is no
    # guide to the paper's colour; the paper round the ink is. Read as light ink before.
    assert ink_is_dark(_shadowed_page(seed, text))


def test_shadow_pages_are_dark_ink(mnist) -> None:
    # Pages 21, 25 and 41 of this seed (a 1, a 7 and "33" by a shadow's edge) were read as
    # light ink, and then the lit paper became the "ink". Page 25 still is: its 7 straddles
    # the edge, so the lit paper inside its corner is as much a tail as the ink.
    pages = hard_set(mnist.test.images, mnist.test.labels, 50, seed=101, cases=("shadow",))
    light = [
        i
        for i, (page, _) in enumerate(pages)
        if not ink_is_dark(working_view(to_gray(page), 512).gray)
    ]
    assert len(light) <= 1, light


@pytest.mark.parametrize(
    ("name", "dark"),
    [
        ("1000_lined-notebook.jpg", True),  # ruled paper, pen
        ("25413_show-through-page.jpg", True),  # writing from the back shows through
        ("5_sticky-note-motion-blur.png", True),
        ("8_edge-touching-marker.png", True),  # bold strokes touching every edge
        ("0_android-finger-canvas.png", False),  # white finger strokes on a black canvas
        ("5_thick-brush-canvas.jpg", False),
    ],
)
def test_real_photos_have_the_right_polarity(name, dark) -> None:
    assert ink_is_dark(to_gray(load_image(REAL / name))) is dark


def test_small_writing_pages_are_dark_ink(mnist) -> None:
    pages = hard_set(mnist.test.images, mnist.test.labels, 30, seed=2027, cases=("small",))
    assert all(ink_is_dark(to_gray(page)) for page, _ in pages)


def _faint_line_ink(seed: int, strength: int) -> np.ndarray:
    """Ink strength (white on black) of paper noise, with a 2-px stroke of ``strength`` levels."""
    rng = np.random.default_rng(seed)
    ink = np.clip(rng.normal(4, 3, (240, 320)), 0, 255).astype(np.uint8)
    if strength:
        ink[59:61, 100:180] = strength  # a straight 2-px line: no corner to add up
    return ink


@pytest.mark.parametrize("seed", range(3))
def test_a_faint_thin_pencil_stroke_stands_out_and_noise_does_not(seed) -> None:
    # A 5x5 blur leaves 2/5 of a 2-px stroke (60 -> ~28 levels, under the 40 needed);
    # a 3x3 median keeps it.
    mask = ink_mask(_faint_line_ink(seed, 60), min_contrast=40)
    assert mask is not None
    assert mask[60, 140] == 255 and mask[20, 20] == 0
    assert ink_mask(_faint_line_ink(seed, 0), min_contrast=40) is None


def test_a_faint_pencil_digit_is_found(mnist) -> None:
    from edge_runtime import DigitClassifier

    classifier = DigitClassifier()
    pairs = hard_set(mnist.test.images, mnist.test.labels, 12, seed=31, cases=("pencil",))
    singles = [(page, text) for page, text in pairs if len(text) == 1]
    assert singles  # page 2 of this seed is one faint 5
    assert all(classifier.read_number(page).text == text for page, text in singles)
