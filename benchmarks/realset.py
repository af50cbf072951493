"""How well a model reads the real development set, through the runtime's whole path.

Real-set file names start with their label (``2026_page1.png``); see
``tests/data/real/README.md``. Each image is decoded once (:func:`load_real_set`);
every model then reads every image with
:meth:`edge_runtime.DigitClassifier.read_number` — segmentation included, since
the runtime lets the model choose how to split touching digits. Scores: digit
accuracy as OCR measures it (1 − edit distance / digits written, over every image,
so a missed, extra or wrong digit each costs one), digits right among numbers read
as the right count of digits, and numbers read exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.errors import ImageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
DEFAULT_REAL_DIR = Path("tests/data/real")


@dataclass(frozen=True)
class RealImage:
    """One labelled real image, decoded (``uint8`` gray/BGR/BGRA, OpenCV order)."""

    label: str
    pixels: np.ndarray
    name: str


@dataclass(frozen=True)
class RealScore:
    """How one model reads the real set."""

    digits_right: int
    digits_scored: int
    numbers_exact: int
    numbers: int
    edits: int = 0
    """Edit distance (insert, delete, substitute) summed over every image."""
    digits_written: int = 0
    """Digits in all the labels."""

    @property
    def character_accuracy(self) -> float:
        """1 − edits / digits written: the OCR figure, over every image."""
        return 1.0 - self.edits / self.digits_written if self.digits_written else 0.0

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


def load_real_set(folder: Path) -> tuple[RealImage, ...]:
    """Decode every labelled image in ``folder`` (sorted by name)."""
    from edge_runtime.image_io import load_image

    if not folder.is_dir():
        raise ImageError(f"real set {folder} is not a folder of labelled images")
    images = tuple(
        RealImage(label, load_image(path), path.name)
        for path in sorted(folder.iterdir())
        if (label := label_of(path)) is not None and path.suffix.lower() in IMAGE_SUFFIXES
    )
    if not images:
        raise ImageError(f"real set {folder} holds no labelled images (<label>_<name>.png)")
    return images


def edit_distance(read: str, written: str) -> int:
    """Levenshtein distance: the fewest inserted, deleted or changed characters."""
    previous = list(range(len(written) + 1))
    for i, char in enumerate(read, start=1):
        current = [i]
        for j, want in enumerate(written, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != want))
            )
        previous = current
    return previous[-1]


def score_real_set(classifier: Any, real: tuple[RealImage, ...]) -> RealScore:
    """Read every image with ``classifier`` (a :class:`DigitClassifier`) and score it."""
    right = scored = exact = edits = 0
    for image in real:
        reading = classifier.read_number(image.pixels)
        exact += reading.text == image.label
        edits += edit_distance(reading.text, image.label)
        digits = [p.digit for p in reading.digits]
        if len(digits) == len(image.label):
            scored += len(digits)
            right += sum(str(d) == want for d, want in zip(digits, image.label, strict=True))
    written = sum(len(image.label) for image in real)
    return RealScore(right, scored, exact, len(real), edits, written)


def score_model(model: Path | bytes, real: tuple[RealImage, ...], **options: Any) -> RealScore:
    """:func:`score_real_set` for a ``.tflite`` model (``options`` go to DigitClassifier)."""
    from edge_runtime.classifier import DigitClassifier

    with DigitClassifier(model, **options) as classifier:
        return score_real_set(classifier, real)
