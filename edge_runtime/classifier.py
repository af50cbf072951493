"""``DigitClassifier``: the embeddable API of the edge runtime.

>>> from edge_runtime import DigitClassifier
>>> classifier = DigitClassifier()                 # bundled int8 model
>>> prediction = classifier.classify("photo.jpg")  # doctest: +SKIP
>>> prediction.digit, prediction.confidence        # doctest: +SKIP
(7, 0.998)
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from edge_runtime.errors import DigitsError
from edge_runtime.formats import BUNDLED_FORMAT
from edge_runtime.image_io import ImageInput, load_image
from edge_runtime.interpreter import TFLiteModel
from edge_runtime.preprocess import (
    DEFAULT_OPTIONS,
    MNIST_SIDE,
    DigitCrop,
    PreprocessOptions,
    find_digits,
    largest_digit,
    to_gray,
)
from edge_runtime.results import Box, NumberReading, Prediction

BUNDLED_MODEL = BUNDLED_FORMAT.file_name
_FULL_MNIST_BOX = Box(0, 0, MNIST_SIDE, MNIST_SIDE)


def bundled_model_path() -> Path:
    """Path of the int8 model shipped inside the package (see edge_runtime/models/README.md)."""
    return Path(str(resources.files("edge_runtime") / "models" / BUNDLED_MODEL))


def is_mnist_like(gray: np.ndarray, min_contrast: int = DEFAULT_OPTIONS.min_contrast) -> bool:
    """True for a 28×28 image already in MNIST form (white digit on a black background).

    Such images go to the model untouched, as MNIST's own do: mostly black
    pixels, a black outer ring, and some ink.
    """
    if gray.shape != (MNIST_SIDE, MNIST_SIDE):
        return False
    # OpenCV's reductions cost a third of numpy's on 784 pixels; this runs for every image.
    last = MNIST_SIDE - 1  # rows/columns 0 and 27: the outer ring, without copying
    ring_ink = cv2.minMaxLoc(gray[::last])[1] + cv2.minMaxLoc(gray[:, ::last])[1]
    if ring_ink >= 2 * min_contrast:
        return False
    mean = cv2.mean(gray)[0]  # MNIST digits average ~33; dark ink on white paper ~200
    return bool(0 < mean < 2 * min_contrast)


class DigitClassifier:
    """Classify handwritten digits in photos, frames or MNIST-style images with a TFLite model.

    Build it once and reuse it: the interpreter is created in the constructor,
    never per image. Images may be paths, encoded bytes, numpy arrays (gray,
    BGR or BGRA ``uint8`` — OpenCV's order) or PIL images.

    Thread-safety: an instance is **not** thread-safe — the interpreter owns
    one set of input/output buffers. Use one instance per thread (they are
    cheap: one small model each) or guard calls with a lock.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | bytes | None = None,
        *,
        num_threads: int | None = None,
        backend: str | None = None,
        min_confidence: float = 0.0,
        preprocess: PreprocessOptions = DEFAULT_OPTIONS,
    ) -> None:
        self.model = TFLiteModel(
            bundled_model_path() if model is None else model,
            num_threads=num_threads,
            backend=backend,
        )
        self.min_confidence = min_confidence
        self.preprocess = preprocess

    @property
    def backend(self) -> str:
        """Which interpreter package is in use (``ai_edge_litert``, ``tflite_runtime``, …)."""
        return self.model.backend

    # -- model-ready pixels --------------------------------------------------------------------

    def _predictions(self, pixels: np.ndarray, boxes: Sequence[Box | None]) -> list[Prediction]:
        started = time.perf_counter()
        probabilities = self.model.predict(pixels)
        elapsed_ms = (time.perf_counter() - started) * 1000 / len(pixels)
        digits = probabilities.argmax(axis=1).tolist()
        return [
            self._prediction(digit, row.tolist(), elapsed_ms, box)
            for digit, row, box in zip(digits, probabilities, boxes, strict=True)
        ]

    def _prediction(
        self, digit: int, probabilities: list[float], elapsed_ms: float, box: Box | None
    ) -> Prediction:
        confidence = probabilities[digit]
        if confidence >= self.min_confidence:
            return Prediction(digit, confidence, tuple(probabilities), elapsed_ms, box)
        return Prediction(
            None,
            confidence,
            tuple(probabilities),
            elapsed_ms,
            box,
            reason=f"low confidence: {confidence:.2f} < {self.min_confidence:.2f} "
            f"(best guess {digit})",
        )

    def _predict_one(self, pixels: np.ndarray, box: Box | None) -> Prediction:
        started = time.perf_counter()
        probabilities = self.model.predict_one(pixels)
        elapsed_ms = (time.perf_counter() - started) * 1000
        return self._prediction(
            probabilities.index(max(probabilities)), probabilities, elapsed_ms, box
        )

    def classify_pixels(self, pixels: np.ndarray) -> Prediction:
        """Classify one MNIST-form image (28×28 uint8, white on black) with no preprocessing."""
        return self._predict_one(np.asarray(pixels).reshape(MNIST_SIDE, MNIST_SIDE), None)

    # -- any image -----------------------------------------------------------------------------

    def digit_crop(self, image: ImageInput) -> DigitCrop | str:
        """The MNIST-form crop the model will see for ``image``, or the reason there is none."""
        array = load_image(image)
        gray = to_gray(array)
        if is_mnist_like(gray, self.preprocess.min_contrast):
            return DigitCrop(gray, _FULL_MNIST_BOX)
        crops, reason = find_digits(gray, self.preprocess)
        if not crops:
            return reason or "no digit"
        return largest_digit(crops)

    def classify(self, image: ImageInput) -> Prediction:
        """Classify the (largest) digit in ``image``; ``digit`` is None when there is none."""
        if (
            isinstance(image, np.ndarray)
            and image.dtype == np.uint8
            and is_mnist_like(image, self.preprocess.min_contrast)
        ):  # fast path: already what the model eats
            return self._predict_one(image, _FULL_MNIST_BOX)
        crop = self.digit_crop(image)
        if isinstance(crop, str):
            return Prediction(digit=None, confidence=0.0, reason=crop)
        return self._predict_one(crop.pixels, crop.box)

    def classify_batch(self, images: Sequence[ImageInput]) -> list[Prediction]:
        """Classify several images with one interpreter call for all that hold a digit.

        A bad item does not stop the batch: it comes back as a Prediction with
        ``digit=None`` and the error in ``reason``.
        """
        crops: list[DigitCrop | str] = []
        for image in images:
            try:
                crops.append(self.digit_crop(image))
            except DigitsError as e:
                crops.append(f"error: {e}")
        found = [crop for crop in crops if not isinstance(crop, str)]
        predicted = iter(
            self._predictions(np.stack([c.pixels for c in found]), [c.box for c in found])
            if found
            else []
        )
        return [
            Prediction(digit=None, confidence=0.0, reason=crop)
            if isinstance(crop, str)
            else next(predicted)
            for crop in crops
        ]

    def read_number(self, image: ImageInput) -> NumberReading:
        """Read every digit in ``image`` left to right (e.g. ``"2026"``), each with its box."""
        return self.inspect(image)[0]

    def inspect(self, image: ImageInput) -> tuple[NumberReading, list[np.ndarray]]:
        """:meth:`read_number` plus the 28×28 inputs the model saw, one per digit (debugging)."""
        gray = to_gray(load_image(image))
        if is_mnist_like(gray, self.preprocess.min_contrast):
            return NumberReading(tuple(self._predictions(gray[np.newaxis], [_FULL_MNIST_BOX]))), [
                gray
            ]
        crops, reason = find_digits(gray, self.preprocess)
        if not crops:
            return NumberReading((), reason=reason), []
        pixels = np.stack([crop.pixels for crop in crops])
        predictions = self._predictions(pixels, [crop.box for crop in crops])
        return NumberReading(tuple(predictions)), list(pixels)

    def close(self) -> None:
        """Release the interpreter (also happens when the object is garbage-collected)."""
        self.model = None  # type: ignore[assignment]

    def __enter__(self) -> DigitClassifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
