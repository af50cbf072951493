"""Any image gives a reading or a typed "no digit" reason, never a crash or a hang (fast tier)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from edge_runtime.cuts import MAX_CUTS
from edge_runtime.errors import ImageError
from edge_runtime.mnist_form import normalize_digit
from edge_runtime.preprocess import NoDigit, Prepared, prepare
from edge_runtime.split import MAX_PIECES, lattice

rng = np.random.default_rng(0)
BAD = {
    "blank": np.full((480, 640), 230, np.uint8),
    "all ink": np.zeros((480, 640, 3), np.uint8),
    "noise": rng.integers(0, 256, (480, 640), dtype=np.uint8),
    "salt and pepper": (rng.random((300, 300)) < 0.5).astype(np.uint8) * 255,
    "1x1": np.zeros((1, 1), np.uint8),
    "1x5000": np.tile(np.array([[0, 255]], np.uint8), (1, 2500)),
    # Thin strips of noise: a copy shrunk to a fixed side would round to 0 px across.
    "1x20000": rng.integers(0, 256, (1, 20000), dtype=np.uint8),
    "20000x1": rng.integers(0, 256, (20000, 1), dtype=np.uint8),
    "2x20000": rng.integers(0, 256, (2, 20000), dtype=np.uint8),
    "transparent": np.zeros((64, 64, 4), np.uint8),
    "stripes": np.tile(np.repeat(np.array([0, 255], np.uint8), 3), (200, 40)),
    "checkerboard": (np.indices((400, 400)).sum(axis=0) % 2 * 255).astype(np.uint8),
    "nan floats": np.full((40, 40), np.nan, np.float32),
    # 2% black specks on a VGA frame: thousands of components (this took minutes when every
    # pair of them was compared).
    "salt noise": np.where(rng.random((480, 640)) < 0.02, 0, 255).astype(np.uint8),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_images_give_a_reading_or_a_reason(name) -> None:
    started = time.perf_counter()
    result = prepare(BAD[name])
    assert isinstance(result, (Prepared, NoDigit))
    if isinstance(result, NoDigit):
        assert result.reason.startswith("no digit")
    assert time.perf_counter() - started < 20  # a hang would be minutes; this is not a timing test


@pytest.mark.parametrize("shape", [(1, 20000), (20000, 1), (2, 20000)])
def test_thin_strips_read_through_the_classifier(shape) -> None:
    from edge_runtime import DigitClassifier

    strip = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    classifier = DigitClassifier()
    assert isinstance(classifier.read_number(strip).text, str)
    assert isinstance(classifier.inspect(strip).reading.text, str)


def test_huge_image_is_bounded() -> None:
    huge = np.full((20000, 20000), 220, np.uint8)
    huge[9000:11000, 9500:10500] = 30  # one dark block
    result = prepare(huge)
    assert isinstance(result, (Prepared, NoDigit))


def test_wrong_shapes_are_our_errors() -> None:
    with pytest.raises(ImageError):
        prepare(np.zeros((5, 5, 2), np.uint8))
    with pytest.raises(ImageError):
        prepare(np.zeros((0, 5), np.uint8))


def test_segmentation_search_is_bounded() -> None:
    mask = np.zeros((30, 5000), np.uint8)
    mask[:, ::7] = 1  # a very wide comb: many cut candidates
    found = lattice(mask)
    assert found.nodes <= MAX_CUTS + 2 and len(found.pieces) <= MAX_PIECES


def test_normalize_digit_contract() -> None:
    crop = np.zeros((300, 120), np.uint8)
    crop[20:280, 55:58] = 255  # a thin "1" on a big canvas
    before = crop.copy()
    out = normalize_digit(crop)
    assert np.array_equal(crop, before)  # pure
    assert out.shape == (28, 28) and out.dtype == np.uint8
    ys, xs = np.nonzero(out > 30)
    assert 19 <= np.ptp(ys) + 1 <= 21  # longest side 20 px
    assert np.ptp(xs) + 1 >= 2  # the hairline was thickened
    moments = np.array([ys.mean(), xs.mean()])
    assert np.all(np.abs(moments - 13.5) < 1.5)
    assert not normalize_digit(np.zeros((10, 10), bool)).any()
    assert normalize_digit(crop > 0).shape == (28, 28)


def test_a_page_of_stripes_is_no_number() -> None:
    # 3-px vertical stripes across a VGA frame: page-high lines set the digit height, and
    # a guard "lines longer than 2.2 digit heights" then kept them all, read as 1s.
    from edge_runtime import DigitClassifier

    stripes = np.tile(((np.arange(640) // 3) % 2 * 255).astype(np.uint8), (480, 1))
    assert DigitClassifier().read_number(stripes).text == ""
