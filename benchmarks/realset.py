"""How well a model reads the real development set, through the runtime's whole path.

A thin layer over :mod:`edge_runtime.evaluate` (the ``digits-classify --eval``
library): labels come from file names (``2026_page1.png``; see
``tests/data/real/README.md``), each image is decoded once
(:func:`load_real_set`), and every model reads every image with
:meth:`DigitClassifier.inspect` — segmentation included, since the runtime lets
the model choose how to split touching digits. Scores: digit accuracy as OCR
measures it (1 − edit distance / digits written, over every image), digits right
among numbers read as the right count of digits, and numbers read exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_runtime.errors import ImageError
from edge_runtime.evaluate import Labelled, evaluate, labelled_images
from edge_runtime.image_io import load_image

DEFAULT_REAL_DIR = Path("tests/data/real")


@dataclass(frozen=True)
class RealScore:
    """How one model reads the real set."""

    digits_right: int
    digits_scored: int
    numbers_exact: int
    numbers: int
    edits: int
    """Edit distance (insert, delete, substitute) summed over every image."""
    digits_written: int
    """Digits in all the labels."""

    @property
    def character_accuracy(self) -> float:
        """1 − edits / digits written: the OCR figure, over every image."""
        return 1.0 - self.edits / self.digits_written if self.digits_written else 0.0

    @property
    def digit_accuracy(self) -> float:
        """Digits right among the numbers read as the right count of digits."""
        return self.digits_right / self.digits_scored if self.digits_scored else 0.0

    @property
    def number_accuracy(self) -> float:
        return self.numbers_exact / self.numbers if self.numbers else 0.0


def load_real_set(folder: Path) -> tuple[Labelled, ...]:
    """Every labelled image in ``folder``, decoded once so several models can read it."""
    if not Path(folder).is_dir():
        raise ImageError(f"real set {folder} is not a folder of labelled images")
    return tuple(
        Labelled(item.name, load_image(item.source), item.expected)
        for item in labelled_images(folder)
    )


def score_real_set(classifier: Any, real: tuple[Labelled, ...]) -> RealScore:
    """Read every image with ``classifier`` (a :class:`DigitClassifier`) and score it."""
    results = evaluate(classifier, real, sheet=False).results
    right = scored = 0
    for result in results:
        read = result.read or ""
        if len(read) == len(result.expected):
            scored += len(read)
            right += sum(a == b for a, b in zip(read, result.expected, strict=True))
    return RealScore(
        digits_right=right,
        digits_scored=scored,
        numbers_exact=sum(result.correct for result in results),
        numbers=len(results),
        edits=sum(result.digit_errors for result in results),
        digits_written=sum(len(result.expected) for result in results),
    )


def score_model(model: Path | bytes, real: tuple[Labelled, ...], **options: Any) -> RealScore:
    """:func:`score_real_set` for a ``.tflite`` model (``options`` go to DigitClassifier)."""
    from edge_runtime.classifier import DigitClassifier

    with DigitClassifier(model, **options) as classifier:
        return score_real_set(classifier, real)
