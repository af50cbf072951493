"""Scoring models on the real development set: labels from file names, one segmentation, scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cv2", reason="segmentation needs OpenCV (the 'edge' extra)")

from benchmarks.realset import (
    RealCrops,
    classifier_scores,
    label_of,
    score_real_set,
    segment_real_set,
)
from edge_runtime.classifier import bundled_model_path

REAL_DIR = Path(__file__).parent / "data" / "real"


def test_labels_come_from_the_file_name() -> None:
    assert label_of(Path("0755_page5-line4.png")) == "0755"
    assert label_of(Path("7_scan.jpg")) == "7"
    assert label_of(Path("README.md")) is None
    assert label_of(Path("notes_page.png")) is None
    assert label_of(Path("123.png")) is None


def one_hot(digits: list[int]) -> np.ndarray:
    return np.eye(10, dtype=np.float32)[digits]


def test_scores_count_digits_of_rightly_segmented_numbers_and_exact_numbers() -> None:
    crop = np.zeros((1, 28, 28), np.uint8)
    real = RealCrops(
        labels=("12", "7", "345"),
        crops=(np.repeat(crop, 2, 0), crop, np.repeat(crop, 2, 0)),  # "345" lost a digit
    )
    answers = iter([one_hot([1, 3]), one_hot([7]), one_hot([3, 4])])
    score = score_real_set(lambda pixels: next(answers), real)
    assert (score.digits_right, score.digits_scored) == (2, 3)
    assert (score.numbers_exact, score.numbers) == (1, 3)
    pixels, labels = real.scored_digits()
    assert pixels.shape == (3, 28, 28) and labels.tolist() == [1, 2, 7]


def test_the_bundled_model_reads_most_real_digits() -> None:
    real = segment_real_set(REAL_DIR)
    labelled = [p for p in REAL_DIR.iterdir() if label_of(p) and p.suffix != ".csv"]
    assert len(real.labels) == len(labelled) >= 30
    assert all(c.shape[1:] == (28, 28) and c.dtype == np.uint8 for c in real.crops)
    score = score_real_set(classifier_scores(bundled_model_path()), real)
    assert score.digits_scored >= 100
    assert 0.7 < score.digit_accuracy <= 1.0
    pixels, labels = real.scored_digits()
    assert len(pixels) == len(labels) == score.digits_scored


def test_a_missing_or_empty_real_folder_is_a_clear_error(tmp_path: Path) -> None:
    from edge_runtime.errors import ImageError

    with pytest.raises(ImageError, match="not a folder"):
        segment_real_set(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(ImageError, match="no labelled images"):
        segment_real_set(tmp_path)
