"""Touching digits: cut paths, the lattice of pieces and the best chain (fast tier)."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_runtime.cuts import MAX_CUTS, SLOPES, cut_paths
from edge_runtime.split import (
    MAX_PIECES,
    Lattice,
    Piece,
    best_path,
    digit_width,
    lattice,
    lone_stroke,
    needs_split,
    penalty,
    piece_scores,
    segment,
)

REAL = Path(__file__).parent / "data" / "real"


def _piece(start: int, end: int, penalty: float = 0.0) -> Piece:
    return Piece(start, end, (0, 0, 1, 1), penalty)


def test_best_path_takes_the_best_chain_not_the_best_piece() -> None:
    pieces = [_piece(0, 3), _piece(0, 1), _piece(1, 3), _piece(0, 2), _piece(2, 3)]
    # The whole reads well (-0.5) but two halves read better together (-0.1 - 0.1).
    assert best_path(4, pieces, [-0.5, -0.1, -0.1, -0.05, -2.0]) == [1, 2]
    # Penalties count: the same halves, each penalised, lose to the whole.
    penalised = [_piece(0, 3), _piece(0, 1, 1.0), _piece(1, 3, 1.0), _piece(0, 2), _piece(2, 3)]
    assert best_path(4, penalised, [-0.5, -0.1, -0.1, -0.05, -2.0]) == [0]


def test_best_path_falls_back_to_the_whole_blob() -> None:
    # Node 2 is never reached from the left: only the whole blob crosses it all.
    assert best_path(3, [_piece(0, 2), _piece(1, 2)], [-3.0, 0.0]) == [0]


def test_slanted_digits_get_a_slanted_cut_through_paper() -> None:
    mask = np.zeros((60, 44), np.uint8)
    for x0 in (4, 22):  # two slanted strokes: every vertical cut between them hits ink
        cv2.line(mask, (x0 + 14, 2), (x0, 57), 1, 4)
    cv2.line(mask, (18, 30), (30, 30), 1, 3)  # joined in the middle
    assert all(mask[:, x].any() for x in range(8, 38))
    assert (
        min(_crossed(mask, path) for path in cut_paths(mask)) <= 4
    )  # only the joining stroke, about its width


def _crossed(mask: np.ndarray, path: np.ndarray) -> int:
    return int(mask[np.arange(mask.shape[0]), np.clip(path, 0, mask.shape[1] - 1)].sum())


def test_seam_bends_round_interlocking_strokes() -> None:
    mask = np.zeros((60, 50), np.uint8)
    mask[:, 5:10] = mask[50:55, 5:31] = 1  # an "L" whose foot reaches under its neighbour
    mask[:, 40:45] = mask[5:10, 15:45] = 1  # a mirrored "Γ" whose bar reaches over the "L"
    mask[28:32, 10:40] = 1  # touching in the middle
    straight = min(
        _crossed(mask, np.clip(np.round(x + slope * (np.arange(60) - 29.5)), 0, 50).astype(int))
        for x in range(12, 38)
        for slope in SLOPES
    )
    assert straight >= 8  # every straight cut also cuts the bar or the foot
    assert min(_crossed(mask, path) for path in cut_paths(mask)) <= 4  # the bridge only


def test_lattice_is_bounded_on_a_comb() -> None:
    mask = np.zeros((30, 5000), np.uint8)
    mask[:, ::7] = 1  # a very wide comb: cut candidates everywhere
    started = time.perf_counter()
    found = lattice(mask)
    assert found.nodes <= MAX_CUTS + 2 and len(found.pieces) <= MAX_PIECES
    assert found.pieces[0].start == 0 and found.pieces[0].end == found.nodes - 1
    assert time.perf_counter() - started < 20  # a hang would be minutes; not a timing test


@pytest.mark.parametrize("shape", [(1, 1), (1, 40), (40, 1), (3, 200)])
def test_lattice_of_tiny_masks(shape) -> None:
    found = lattice(np.ones(shape, np.uint8))
    assert found.pieces[0].start == 0 and best_path(found.nodes, found.pieces[:1], [0.0]) == [0]


def test_touching_digits_in_a_real_notebook_photo_are_split() -> None:
    from edge_runtime import DigitClassifier

    # "386" on lined paper: the 8 and the 6 touch (tests/data/real/PROVENANCE.csv).
    reading = DigitClassifier().read_number(REAL / "386_lined-notebook.jpg")
    assert reading.text == "386"


def test_digit_width_leaves_out_ones_and_pairs_and_needs_five_digits() -> None:
    digits = [(14, 30), (16, 30), (15, 28), (18, 31), (13, 29)]
    ones, pairs = [(4, 30), (6, 32)], [(40, 30)]
    assert digit_width(digits + ones + pairs) == 16.0  # the upper quartile of 13-18
    assert digit_width(digits[:4] + ones + pairs) is None  # four widths say too little


def test_a_piece_twice_as_wide_as_the_lines_digits_is_penalised() -> None:
    # 30 × 37: by its own aspect (0.81) nearly a digit; beside 15-px digits, two of them.
    assert penalty(30, 37, 37, 15.0) - penalty(30, 37, 37) >= 1.0
    assert penalty(20, 37, 37, 15.0) == penalty(20, 37, 37)  # a wide 4 or 5 is not


@pytest.mark.parametrize(
    "name",
    [
        "07368544074_page3-line5.png",  # "44": the first 4's bar runs into the second 4
        # "400": small crossed zeros on the 4's bar; the 4's height alone said two digits
        # were in the blob, the line's digit width says four, so cuts are looked for there.
        "4006280887_page3-line2.png",
    ],
)
def test_a_blob_as_wide_as_two_of_the_lines_digits_is_split(name: str) -> None:
    from edge_runtime import DigitClassifier

    reading = DigitClassifier().read_number(REAL / name)
    assert reading.text == name.split("_")[0]


def test_a_cut_off_arc_of_the_neighbour_is_left_out_of_a_piece() -> None:
    mask = np.zeros((40, 40), np.uint8)
    cv2.circle(mask, (16, 20), 12, 1, 3)  # the piece's own 0
    cv2.ellipse(mask, (46, 20), (12, 12), 0, 150, 210, 1, 3)  # the next 0's left arc, cut off
    paths = (np.zeros(40, np.int32), np.full(40, 40, np.int32))
    piece = Piece(0, 1, (0, 0, 40, 40), 0.0)
    region = Lattice(paths, (piece,), mask=mask).region(piece)
    assert region[20, 16] and mask[20, 4] and region[20, 4]  # its own ring and inside stay
    assert mask[20, 35] and not region[20, 35]  # the stray arc goes
    assert Lattice(paths, (piece,)).region(piece).all()  # without the mask: the whole band


def test_a_wide_blob_has_pieces_all_the_way_across() -> None:
    from edge_runtime.preprocess import prepare

    # "3000" whose zeros' loops cross: one blob with many cuts. The piece budget used to be
    # spent on the left half, so no chain of pieces could reach the right edge.
    prepared = prepare(cv2.imread(str(REAL / "3000_lined-notebook.jpg")))
    (blob,) = [c for n in prepared.numbers for c in n.candidates if len(c.pieces) > 1]
    assert blob.nodes > 8 and len(blob.pieces) <= MAX_PIECES
    last = blob.nodes - 1
    assert any(p.end == last and p.start > 0 for p in blob.pieces)
    assert {p.start for p in blob.pieces[1:]} == set(range(last))


def _touching_page(mnist, seed: int, index: int):
    """Page ``index`` of the benchmark's 'touching' pages for ``seed`` (MNIST digits)."""
    from benchmarks.synthetic import hard_pages

    test = mnist.test
    for i, (page, text, _) in enumerate(
        hard_pages(test.images, test.labels, index + 1, seed, ("touching",))
    ):
        if i == index:
            return page, text
    raise AssertionError(f"no page {index}")


def test_every_span_of_a_blob_with_twelve_cuts_is_read(mnist) -> None:
    from edge_runtime import DigitClassifier

    # "42" written as one blob: twelve cuts, so 91 spans. The 60-piece budget ended before
    # any span reaching the right edge began at the 4's right side, so the chain was 4 + "6".
    page, text = _touching_page(mnist, 100, 109)
    assert text == "42"
    assert DigitClassifier().read_number(page).text == "42"


def _bar(height: int, width: int, x0: int, x1: int, y0: int = 0, y1: int | None = None):
    mask = np.zeros((height, width), np.uint8)
    cv2.line(mask, (x0, y0), (x1, height - 1 if y1 is None else y1), 1, 4)
    return mask


def _lone(mask: np.ndarray, height: int) -> bool:
    ys, xs = np.nonzero(mask)
    return lone_stroke(xs, ys, height)


def test_a_lone_stroke_is_tall_straight_and_upright() -> None:
    assert _lone(_bar(60, 30, 10, 16), 60)  # a 1, slanted a little
    assert not _lone(_bar(60, 30, 10, 16, y1=35), 60)  # too short beside its blob
    assert not _lone(_bar(60, 60, 5, 55), 60)  # leaning 40°: a 7's bar or a 4's arm
    arc = np.zeros((60, 30), np.uint8)
    cv2.ellipse(arc, (28, 30), (24, 28), 0, 90, 270, 1, 4)  # the left half of a 0
    assert not _lone(arc, 60)


def _pair(one_left: bool, slant: int = 0) -> np.ndarray:
    """A 64-px "0" and a "1" joined by a short stroke: one blob about as wide as a digit."""
    mask = np.zeros((70, 80), np.uint8)
    one, ring = (6, 28) if one_left else (44, 20)
    cv2.ellipse(mask, (ring, 34), (15, 29), 0, 0, 360, 1, 4)
    cv2.line(mask, (one + slant, 4), (one, 63), 1, 4)
    cv2.line(mask, (one, 34), (ring - 15 if one_left else ring + 15, 34), 1, 3)
    ys, xs = np.nonzero(mask)
    return mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


@pytest.mark.parametrize(("one_left", "slant"), [(True, 0), (False, 0), (False, 5), (True, -5)])
def test_a_one_pressed_against_a_digit_gets_an_edge_cut(one_left: bool, slant: int) -> None:
    mask = _pair(one_left, slant)
    assert not needs_split(mask.shape[1], mask.shape[0], None)  # no wider than one digit
    found = segment(mask)
    assert found is not None
    strokes = [p for p in found.pieces if p.stroke]
    assert strokes and all((p.start == 0) == one_left for p in strokes)
    ring = np.zeros((64, 40), np.uint8)
    cv2.ellipse(ring, (20, 32), (17, 29), 0, 0, 360, 1, 4)
    assert segment(ring) is None  # a 0 alone: nothing read twice
    nine = ring[:, 2:].copy()
    cv2.line(nine, (34, 30), (34, 63), 1, 4)  # a stem on its right: a 9, not a 1 beside
    assert segment(nine) is None


def test_in_a_blob_no_wider_than_a_digit_a_one_is_split_off_only_if_the_rest_reads_the_same() -> (
    None
):
    found = segment(_pair(True))
    assert found is not None
    (one,) = [i for i, p in enumerate(found.pieces) if p.stroke and p.start == 0 and p.end == 1]
    rest = found.pieces[one].rest
    digits = [0] * len(found.pieces)
    digits[one] = 1
    sure = [1.0] * len(found.pieces)
    sure[0] = 0.7  # the whole read less surely than its parts

    def chain(digits: list[int]) -> list[int]:
        return best_path(found.nodes, found.pieces, *piece_scores(found.pieces, digits, sure))

    assert chain(digits) == [one, rest]  # "10" read as 0: the 1 the model passed over
    digits[rest] = 4  # a U read as 0 whose right half reads 4: one shape
    assert chain(digits) == [0]


@pytest.mark.parametrize(
    ("index", "why"),
    [
        (48, '"71" as wide as one digit, read 7'),
        (33, '"351" read 3 + 9: the 1 went with the 5'),
        (124, '"26" read 2 + 6 with the 1 of "617" read as part of the 6'),
    ],
)
def test_a_one_touching_its_neighbour_is_read(mnist, index: int, why: str) -> None:
    from edge_runtime import DigitClassifier

    page, text = _touching_page(mnist, 100, index)
    assert DigitClassifier().read_number(page).text == text, why


@pytest.mark.parametrize(("beside", "split"), [(10, True), (5, False)])
def test_a_one_earns_its_bonus_only_beside_a_digit_as_tall(beside: int, split: bool) -> None:
    # A stroke at the right edge read as a sure 1. Beside a piece as tall, it is "X1"; beside
    # a short one (a 4's arm and bar, a 7's bar) it is the stem of one digit.
    pieces = [
        Piece(0, 2, (0, 0, 10, 10), 0.3),
        Piece(0, 1, (0, 0, 6, beside), 0.3),
        Piece(1, 2, (6, 0, 10, 10), 0.3, stroke=True),
    ]
    chain = best_path(3, pieces, [-0.1, 0.0, 0.0], ones={2})
    assert chain == ([1, 2] if split else [0])
