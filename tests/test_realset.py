"""Scoring models on the real development set: labels from file names, read_number, scores."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("cv2", reason="reading photos needs OpenCV (the 'edge' extra)")

from benchmarks.realset import (
    edit_distance,
    label_of,
    load_real_set,
    score_model,
    score_real_set,
)
from edge_runtime.classifier import bundled_model_path
from edge_runtime.errors import ImageError
from edge_runtime.results import NumberReading, Prediction

REAL_DIR = Path(__file__).parent / "data" / "real"


def test_labels_come_from_the_file_name() -> None:
    assert label_of(Path("0755_page5-line4.png")) == "0755"
    assert label_of(Path("7_scan.jpg")) == "7"
    assert label_of(Path("README.md")) is None
    assert label_of(Path("notes_page.png")) is None
    assert label_of(Path("123.png")) is None


class ScriptedClassifier:
    """Answers read_number with a scripted reading per call, like a DigitClassifier would."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = iter(texts)

    def read_number(self, pixels) -> NumberReading:
        return NumberReading(tuple(Prediction(int(c), 0.9) for c in next(self.texts)))


def test_scores_count_digits_of_numbers_read_at_the_right_length_and_exact_numbers() -> None:
    real = load_real_set(REAL_DIR)[:3]
    wrong_first = str((int(real[0].label[0]) + 1) % 10) + real[0].label[1:]
    classifier = ScriptedClassifier([wrong_first, real[1].label, real[2].label + "1"])
    score = score_real_set(classifier, real)
    assert score.numbers == 3 and score.numbers_exact == 1
    assert score.digits_scored == len(real[0].label) + len(real[1].label)
    assert score.digits_right == score.digits_scored - 1
    assert score.edits == 2  # one digit changed, one added
    assert score.digits_written == sum(len(image.label) for image in real)
    assert score.character_accuracy == pytest.approx(1 - 2 / score.digits_written)


def test_edit_distance() -> None:
    assert edit_distance("2026", "2026") == 0
    assert edit_distance("226", "2026") == 1
    assert edit_distance("20261", "2026") == 1
    assert edit_distance("", "0755") == 4
    assert edit_distance("7055", "0755") == 2


def test_the_bundled_model_reads_most_real_digits() -> None:
    real = load_real_set(REAL_DIR)
    labelled = [p for p in REAL_DIR.iterdir() if label_of(p) and p.suffix != ".csv"]
    assert len(real) == len(labelled) >= 30
    score = score_model(bundled_model_path(), real)
    assert score.digits_scored >= 100
    assert 0.7 < score.digit_accuracy <= 1.0
    assert 0.3 < score.number_accuracy <= 1.0
    assert 0.7 < score.character_accuracy <= 1.0


def test_a_missing_or_empty_real_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="not a folder"):
        load_real_set(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(ImageError, match="no labelled images"):
        load_real_set(tmp_path)
