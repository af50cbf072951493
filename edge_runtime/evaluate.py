"""Measure reading accuracy on a folder of labelled images: your own handwriting, your camera.

Labels come from file names — the value before the first ``_``
(``2026_note.jpg`` holds "2026"; leading zeros count) — or from a CSV with
``file`` and ``label`` columns. Every image is read with
:meth:`DigitClassifier.inspect` once; the report has one row per image,
exact-match accuracy for whole numbers, for single-digit images, digit-level
accuracy (1 - edit distance / length), and a contact sheet of the failures
showing what the model saw. Library code: nothing here prints.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge_runtime.errors import DigitsError, ImageError
from edge_runtime.image_io import load_image

SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
MAX_SHEET_TILES = 48


@dataclass(frozen=True)
class Labelled:
    """One image to read and the number it holds (a string: leading zeros matter)."""

    name: str
    source: Any
    """A path, or anything :func:`~edge_runtime.image_io.load_image` takes."""
    expected: str


@dataclass(frozen=True)
class ImageResult:
    """How one image was read: ``read`` is None when nothing was found or it failed to load."""

    name: str
    expected: str
    read: str | None
    confidence: float
    error: str | None = None

    @property
    def correct(self) -> bool:
        return self.read == self.expected

    @property
    def digit_errors(self) -> int:
        """Edit distance between what was read and what was expected (insertions count)."""
        return _edit_distance(self.read or "", self.expected)


@dataclass(frozen=True)
class EvalReport:
    """Per-image results and the summary figures (fractions in [0, 1])."""

    results: tuple[ImageResult, ...]
    failures_sheet: np.ndarray | None = field(default=None, repr=False)

    def _exact(self, rows: list[ImageResult]) -> float | None:
        return sum(r.correct for r in rows) / len(rows) if rows else None

    def summary(self) -> dict[str, Any]:
        rows = list(self.results)
        singles = [r for r in rows if len(r.expected) == 1]
        multi = [r for r in rows if len(r.expected) > 1]
        digits = sum(len(r.expected) for r in rows)
        return {
            "images": len(rows),
            "numbers_exact": self._exact(rows),
            "multi_digit_images": len(multi),
            "multi_digit_exact": self._exact(multi),
            "single_digit_images": len(singles),
            "single_digit_exact": self._exact(singles),
            "digits": digits,
            "digit_accuracy": 1 - sum(r.digit_errors for r in rows) / digits if digits else None,
            "unreadable": sum(r.error is not None for r in rows),
        }


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            )
        previous = current
    return previous[-1]


def label_from_name(path: Path) -> str | None:
    """The digits before the first ``_`` of the file name (the whole stem if there is none)."""
    value = path.stem.split("_", 1)[0]
    return value if value.isdigit() else None


def labelled_images(location: Path) -> list[Labelled]:
    """The labelled images of a folder (labels from names) or a CSV (``file``, ``label``).

    Files whose name holds no label are skipped; a CSV row naming a missing
    file is kept, and reported as unreadable when evaluated.
    """
    location = Path(location)
    if location.is_dir():
        found = []
        for path in sorted(location.iterdir()):
            label = label_from_name(path) if path.suffix.lower() in SUFFIXES else None
            if label is not None:
                found.append(Labelled(path.name, path, label))
        if not found:
            raise ImageError(
                f"no labelled images in {location}: name them <number>_<anything>.jpg "
                "(e.g. 2026_note.jpg) or pass a CSV with file,label columns"
            )
        return found
    if location.suffix.lower() == ".csv" and location.is_file():
        try:
            with location.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as e:
            raise ImageError(f"cannot read {location}: {e}") from e
        if not rows or not {"file", "label"} <= set(rows[0]):
            raise ImageError(f"{location} needs 'file' and 'label' columns, got {list(rows[:1])}")
        return [
            Labelled(row["file"], location.parent / row["file"], row["label"].strip())
            for row in rows
            if row["label"].strip().isdigit()
        ]
    raise ImageError(f"{location} is neither a folder of images nor a .csv file")


def evaluate(
    classifier: Any,
    items: Iterable[Labelled],
    *,
    sheet: bool = True,
    progress: Callable[[], object] | None = None,
) -> EvalReport:
    """Read every item with ``classifier.inspect``; a bad file is a failed row, not a crash."""
    from edge_runtime.overlay import model_view

    results: list[ImageResult] = []
    tiles: list[np.ndarray] = []
    for item in items:
        try:
            image = load_image(item.source)
            inspection = classifier.inspect(image)
        except DigitsError as e:
            results.append(ImageResult(item.name, item.expected, None, 0.0, str(e)))
        else:
            reading = inspection.reading
            read = reading.text if reading.digits else None
            results.append(ImageResult(item.name, item.expected, read, reading.confidence))
            if sheet and read != item.expected and len(tiles) < MAX_SHEET_TILES:
                view = model_view(
                    image, list(inspection.model_inputs), reading, rejected=inspection.rejected
                )
                tiles.append(_tile(view, f"{item.name}: expected {item.expected}, read {read}"))
        if progress is not None:
            progress()
    return EvalReport(tuple(results), _sheet(tiles) if tiles else None)


def _tile(view: np.ndarray, caption: str, width: int = 640) -> np.ndarray:
    scale = width / view.shape[1]
    body = cv2.resize(
        view, (width, max(1, round(view.shape[0] * scale))), interpolation=cv2.INTER_AREA
    )
    bar = np.full((26, width, 3), 255, np.uint8)
    cv2.putText(
        bar, caption[:80], (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 160), 1, cv2.LINE_AA
    )
    return np.vstack([bar, body, np.full((6, width, 3), 255, np.uint8)])


def _sheet(tiles: list[np.ndarray], columns: int = 2) -> np.ndarray:
    """Tiles in rows of ``columns``, each row as tall as its tallest tile."""
    rows = []
    for start in range(0, len(tiles), columns):
        row = tiles[start : start + columns]
        height = max(t.shape[0] for t in row)
        row = [
            cv2.copyMakeBorder(
                t, 0, height - t.shape[0], 0, 0, cv2.BORDER_CONSTANT, value=(255, 255, 255)
            )
            for t in row
        ]
        row += [np.full((height, tiles[0].shape[1], 3), 255, np.uint8)] * (columns - len(row))
        rows.append(np.hstack(row))
    return np.vstack(rows)
