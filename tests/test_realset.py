"""Scoring models on the real development set through the runtime's evaluation library."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("cv2", reason="reading photos needs OpenCV (the 'edge' extra)")

from benchmarks.realset import load_real_set, score_model, score_real_set
from edge_runtime.classifier import Inspection, bundled_model_path
from edge_runtime.errors import ImageError
from edge_runtime.results import NumberReading, Prediction

REAL_DIR = Path(__file__).parent / "data" / "real"


class ScriptedClassifier:
    """Answers inspect with a scripted reading per call, like a DigitClassifier would."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = iter(texts)

    def inspect(self, pixels) -> Inspection:
        return Inspection(NumberReading(tuple(Prediction(int(c), 0.9) for c in next(self.texts))))


def test_scores_count_digits_of_numbers_read_at_the_right_length_and_exact_numbers() -> None:
    real = load_real_set(REAL_DIR)[:3]
    labels = [item.expected for item in real]
    wrong_first = str((int(labels[0][0]) + 1) % 10) + labels[0][1:]
    classifier = ScriptedClassifier([wrong_first, labels[1], labels[2] + "1"])
    score = score_real_set(classifier, real)
    assert score.numbers == 3 and score.numbers_exact == 1
    assert score.digits_scored == len(labels[0]) + len(labels[1])
    assert score.digits_right == score.digits_scored - 1
    assert score.edits == 2  # one digit changed, one added
    assert score.digits_written == sum(len(label) for label in labels)
    assert score.character_accuracy == pytest.approx(1 - 2 / score.digits_written)


def test_the_bundled_model_reads_most_real_digits() -> None:
    real = load_real_set(REAL_DIR)
    assert len(real) >= 30 and all(item.source.dtype.name == "uint8" for item in real)
    score = score_model(bundled_model_path(), real)
    assert score.digits_scored >= 100
    assert 0.7 < score.digit_accuracy <= 1.0
    assert 0.3 < score.number_accuracy <= 1.0
    assert 0.7 < score.character_accuracy <= 1.0


def test_a_missing_or_empty_real_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="not a folder"):
        load_real_set(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(ImageError, match="no labelled images in"):
        load_real_set(tmp_path)
