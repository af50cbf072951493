"""Classification metrics in plain numpy (accuracy, confusion matrix, per-class P/R/F1).

Kept free of TensorFlow so the converter and the benchmarks compute the same
numbers the trainer reports, from the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.mnist_files import NUM_CLASSES


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall and F1 of one digit class, plus how many test images it has."""

    digit: int
    precision: float
    recall: float
    f1: float
    support: int


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of ``predicted`` equal to ``labels`` (0.0 for empty input)."""
    if labels.size == 0:
        return 0.0
    return float(np.mean(np.asarray(predicted) == np.asarray(labels)))


def confusion_matrix(
    predicted: np.ndarray, labels: np.ndarray, num_classes: int = NUM_CLASSES
) -> np.ndarray:
    """``matrix[true, predicted]`` counts, shape ``(num_classes, num_classes)``."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(
        matrix, (np.asarray(labels, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1
    )
    return matrix


def per_class_scores(matrix: np.ndarray) -> list[ClassScores]:
    """Precision, recall and F1 for each class from a confusion matrix (0 where undefined)."""
    true_positive = np.diag(matrix).astype(np.float64)
    predicted_count = matrix.sum(axis=0).astype(np.float64)
    actual_count = matrix.sum(axis=1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted_count > 0, true_positive / predicted_count, 0.0)
        recall = np.where(actual_count > 0, true_positive / actual_count, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return [
        ClassScores(
            digit=index,
            precision=round(float(precision[index]), 6),
            recall=round(float(recall[index]), 6),
            f1=round(float(f1[index]), 6),
            support=int(actual_count[index]),
        )
        for index in range(matrix.shape[0])
    ]
