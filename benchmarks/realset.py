"""The real development set as the runtime segments it, and how well a model reads it.

Real-set file names start with their label (``2026_page1.png``); see
``tests/data/real/README.md``. The runtime's segmentation does not depend on the
model, so each image is segmented once (:func:`segment_real_set`) and every model
classifies the same 28×28 crops the runtime would give it. Scores: digits right
among numbers segmented into the right count of digits, and numbers read exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_runtime.errors import ImageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
DEFAULT_REAL_DIR = Path("tests/data/real")


@dataclass(frozen=True)
class RealCrops:
    """The real set as the runtime segments it: one entry per image."""

    labels: tuple[str, ...]
    crops: tuple[np.ndarray, ...]
    """``(k, 28, 28)`` uint8 per image: the digits the runtime found, left to right."""

    def scored_digits(self) -> tuple[np.ndarray, np.ndarray]:
        """Crops and labels of the numbers segmented into the right count, as one batch."""
        pairs = [
            (crops, [int(c) for c in label])
            for label, crops in zip(self.labels, self.crops, strict=True)
            if len(crops) == len(label)
        ]
        if not pairs:
            return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
        return (
            np.concatenate([crops for crops, _ in pairs]),
            np.array([d for _, digits in pairs for d in digits]),
        )


@dataclass(frozen=True)
class RealScore:
    """How one model reads the real set."""

    digits_right: int
    digits_scored: int
    numbers_exact: int
    numbers: int

    @property
    def digit_accuracy(self) -> float:
        return self.digits_right / self.digits_scored if self.digits_scored else 0.0

    @property
    def number_accuracy(self) -> float:
        return self.numbers_exact / self.numbers if self.numbers else 0.0


def label_of(path: Path) -> str | None:
    """The label in a real-set file name (``0755_page5.png`` → ``0755``), None if there is none."""
    label = path.name.split("_", 1)[0]
    return label if label.isdigit() and "_" in path.name else None


def segment_real_set(folder: Path) -> RealCrops:
    """Segment every labelled image in ``folder`` once, with the runtime's preprocessing."""
    from edge_runtime.classifier import DigitClassifier

    if not folder.is_dir():
        raise ImageError(f"real set {folder} is not a folder of labelled images")
    classifier = DigitClassifier()  # the model is irrelevant: only the crops are kept
    labels, crops = [], []
    for path in sorted(folder.iterdir()):
        label = label_of(path)
        if label is None or path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        _, pixels = classifier.inspect(path)  # the runtime's segmentation, once per image
        labels.append(label)
        crops.append(np.stack(pixels) if pixels else np.zeros((0, 28, 28), np.uint8))
    if not labels:
        raise ImageError(f"real set {folder} holds no labelled images (<label>_<name>.png)")
    return RealCrops(tuple(labels), tuple(crops))


#: ``scores(pixels)``: class scores ``(N, 10)`` for uint8 ``(N, 28, 28)`` MNIST-form crops.
ScoreFn = Callable[[np.ndarray], np.ndarray]


def classifier_scores(tflite_model: Path | bytes) -> ScoreFn:
    """Scores from the runtime's :class:`DigitClassifier` (the path every user's call takes)."""
    from edge_runtime.classifier import DigitClassifier

    classifier = DigitClassifier(tflite_model)

    def scores(pixels: np.ndarray) -> np.ndarray:
        return np.array([classifier.classify_pixels(p).probabilities for p in pixels])

    return scores


def score_real_set(scores: ScoreFn, real: RealCrops) -> RealScore:
    """Read the segmented real set with a model's ``scores`` function."""
    right = scored = exact = 0
    for label, crops in zip(real.labels, real.crops, strict=True):
        digits = [int(d) for d in np.asarray(scores(crops)).argmax(axis=1)] if len(crops) else []
        text = "".join(str(d) for d in digits)
        exact += text == label
        if len(crops) == len(label):
            scored += len(label)
            right += sum(str(d) == want for d, want in zip(digits, label, strict=True))
    return RealScore(right, scored, exact, len(real.labels))
