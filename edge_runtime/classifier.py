"""``DigitClassifier``: the embeddable API of the edge runtime.

>>> from edge_runtime import DigitClassifier
>>> classifier = DigitClassifier()                 # bundled int8 model
>>> prediction = classifier.classify("photo.jpg")  # doctest: +SKIP
>>> prediction.digit, prediction.confidence        # doctest: +SKIP
(7, 0.998)

Every method is load → :func:`edge_runtime.preprocess.prepare` → predict;
the only decision the classifier makes itself is which segmentation of a
blob of touching digits its model reads best.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np

from edge_runtime.contract import InputContract
from edge_runtime.errors import ContractWarning, DigitsError
from edge_runtime.formats import BUNDLED_FORMAT
from edge_runtime.image_io import ImageInput, load_image
from edge_runtime.interpreter import TFLiteModel
from edge_runtime.preprocess import (
    DEFAULT_OPTIONS,
    Candidate,
    DigitCrop,
    NoDigit,
    Prepared,
    PreprocessOptions,
    prepare,
)
from edge_runtime.probe import ContractOptions
from edge_runtime.results import Box, NumberReading, Prediction, Rejected
from edge_runtime.split import best_path, piece_scores

BUNDLED_MODEL = BUNDLED_FORMAT.file_name

SECOND_LOOK = 0.5
"""A widened second look (:attr:`DigitCrop.widened`) replaces a 1 when it reads another
digit with at least this confidence."""


@dataclass(frozen=True)
class Inspection:
    """Everything :meth:`DigitClassifier.inspect` saw: for debug views and ``--json``.

    ``reading`` is the most prominent number (what :meth:`~DigitClassifier.read_number`
    returns); ``numbers`` all of them; ``model_inputs`` the 28×28 images the model
    read for ``reading``, one per digit; ``rejected`` the ink that was not read
    as digits, with reasons (boxes in the input image's pixels).
    """

    reading: NumberReading
    numbers: tuple[NumberReading, ...] = ()
    model_inputs: tuple[np.ndarray, ...] = ()
    rejected: tuple[Rejected, ...] = ()


def bundled_model_path() -> Path:
    """Path of the int8 model shipped inside the package (see edge_runtime/models/README.md)."""
    return Path(str(resources.files("edge_runtime") / "models" / BUNDLED_MODEL))


def _prominence(reading: NumberReading) -> float:
    """How much a number stands out: big writing, a few digits, read with confidence.

    Height counts squared so a line of small printed text loses to a large
    handwritten number; the digit count stops helping after four. A number is
    as sure as its least sure digit: handwritten words read as digits (a name
    on a form) always hold a letter the model is unsure of, while their mean
    confidence can still beat a real number written smaller.
    """
    heights = sorted(p.box.height for p in reading.digits if p.box is not None)
    if not heights:
        return 0.0
    confidence = min(p.confidence for p in reading.digits)
    return heights[len(heights) // 2] ** 2 * min(len(heights), 4) * confidence


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
        input_range: tuple[float, float] | None = None,
        invert: bool | None = None,
        probe: bool = True,
    ) -> None:
        """Load ``model`` (a path or bytes; None: the bundled int8 model) once.

        How MNIST-form pixels feed the model (its input contract) comes from
        ``input_range`` (real values of pixel 0 and 255 the model was trained on,
        e.g. ``(0, 1)``) and ``invert`` (True: it expects dark ink on white) when
        given, else from the model's metadata, else from a probe over bundled
        reference digits at load (``probe=False``: 0–255, white on black). A
        :class:`~edge_runtime.errors.ContractWarning` says what the probe chose
        and how to pin it; :attr:`contract` holds the result.
        """
        self.model = TFLiteModel(
            bundled_model_path() if model is None else model,
            num_threads=num_threads,
            backend=backend,
            options=ContractOptions(input_range=input_range, invert=invert, probe=probe),
        )
        contract = self.model.contract
        if contract.source == "probe":
            warnings.warn(
                f"{self.model.source}: the model does not say how its input is scaled; "
                f"using {contract.summary()} ({contract.detail}). "
                f"Pin it: {contract.pin_hint()}",
                ContractWarning,
                stacklevel=2,
            )
        self.min_confidence = min_confidence
        self.preprocess = preprocess

    @property
    def contract(self) -> InputContract:
        """How pixels feed the model (range, polarity, dtype, layout) and where that came from."""
        return self.model.contract

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

    # -- any image -----------------------------------------------------------------------------

    @property
    def preprocess(self) -> PreprocessOptions:
        """The preprocessing options (set at construction, or assign new ones)."""
        return self._preprocess

    @preprocess.setter
    def preprocess(self, options: PreprocessOptions) -> None:
        self._preprocess = options
        self._single = replace(options, split_touching=False)

    def prepare(self, image: ImageInput, *, single: bool = False) -> Prepared | NoDigit:
        """Load ``image`` and :func:`~edge_runtime.preprocess.prepare` it with these options."""
        return prepare(load_image(image), self._single if single else self._preprocess)

    def digit_crop(self, image: ImageInput) -> DigitCrop | None:
        """The MNIST-form crop :meth:`classify` gives the model for ``image`` (None: no digit)."""
        prepared = self.prepare(image, single=True)
        return None if isinstance(prepared, NoDigit) else prepared.largest()

    def classify(self, image: ImageInput) -> Prediction:
        """Classify the (largest) digit in ``image``; ``digit`` is None when there is none."""
        prepared = self.prepare(image, single=True)
        if isinstance(prepared, NoDigit):
            return Prediction(digit=None, confidence=0.0, reason=prepared.reason)
        crop = prepared.largest()
        return self._predict_one(crop.pixels, crop.box)

    def classify_batch(self, images: Sequence[ImageInput]) -> list[Prediction]:
        """Classify several images with one interpreter call for all that hold a digit.

        A bad item does not stop the batch: it comes back as a Prediction with
        ``digit=None`` and the error in ``reason``.
        """
        found: list[DigitCrop] = []
        slots: list[DigitCrop | str] = []
        for image in images:
            try:
                prepared = self.prepare(image, single=True)
            except DigitsError as e:
                slots.append(f"error: {e}")
                continue
            if isinstance(prepared, NoDigit):
                slots.append(prepared.reason)
            else:
                found.append(prepared.largest())
                slots.append(found[-1])
        predicted = iter(
            self._predictions(np.stack([c.pixels for c in found]), [c.box for c in found])
            if found
            else []
        )
        return [
            Prediction(digit=None, confidence=0.0, reason=slot)
            if isinstance(slot, str)
            else next(predicted)
            for slot in slots
        ]

    def read_number(self, image: ImageInput) -> NumberReading:
        """The most prominent number in ``image``, left to right (e.g. ``"0869"``), with boxes."""
        return self.inspect(image).reading

    def read_numbers(self, image: ImageInput) -> list[NumberReading]:
        """Every number in ``image`` (one per group of digits on a line), most prominent first."""
        inspection = self.inspect(image)
        return list(inspection.numbers) or [inspection.reading]

    def inspect(self, image: ImageInput) -> Inspection:
        """:meth:`read_numbers` plus what the model saw and what was rejected (debugging)."""
        prepared = self.prepare(image)
        if isinstance(prepared, NoDigit):
            return Inspection(NumberReading((), reason=prepared.reason), rejected=prepared.rejected)
        crops = [
            crop
            for number in prepared.numbers
            for candidate in number.candidates
            for crop in candidate.crops
        ]
        predictions = iter(
            self._predictions(np.stack([c.pixels for c in crops]), [c.box for c in crops])
        )
        read = []
        for number in prepared.numbers:
            chosen = [self._choose(candidate, predictions) for candidate in number.candidates]
            crops = [crop for option, _ in chosen for crop in option]
            digits, pixels = self._second_look(crops, [p for _, preds in chosen for p in preds])
            read.append((NumberReading(digits, box=number.box), pixels))
        read.sort(key=lambda pair: -_prominence(pair[0]))
        numbers = tuple(reading for reading, _ in read)
        return Inspection(numbers[0], numbers, read[0][1], prepared.rejected)

    def _second_look(
        self, crops: list[DigitCrop], preds: list[Prediction]
    ) -> tuple[tuple[Prediction, ...], tuple[np.ndarray, ...]]:
        """Read the widened copy of every tall crop read as 1; keep it when it reads another digit.

        Returns the predictions and the pixels the model was shown for each digit.
        """
        pixels = [crop.pixels for crop in crops]
        looks = [i for i, p in enumerate(preds) if p.digit == 1 and crops[i].widened is not None]
        if looks:
            wide = [crops[i].widened for i in looks]
            second = self._predictions(np.stack(wide), [preds[i].box for i in looks])
            for i, look in zip(looks, second, strict=True):
                if look.digit not in (None, 1) and look.confidence >= SECOND_LOOK:
                    preds[i], pixels[i] = look, crops[i].widened
        return tuple(preds), tuple(pixels)

    @staticmethod
    def _choose(
        candidate: Candidate, predictions
    ) -> tuple[tuple[DigitCrop, ...], list[Prediction]]:
        """The chain of pieces across ``candidate`` the model reads best (joint log-confidence)."""
        preds = [next(predictions) for _ in candidate.crops]
        if len(preds) == 1:
            return candidate.crops, preds
        digits, sure = [p.digit for p in preds], [p.confidence for p in preds]
        scores, ones = piece_scores(candidate.pieces, digits, sure)
        chain = best_path(candidate.nodes, candidate.pieces, scores, ones)
        return tuple(candidate.crops[i] for i in chain), [preds[i] for i in chain]

    def close(self) -> None:
        """Release the interpreter (also happens when the object is garbage-collected)."""
        self.model = None  # type: ignore[assignment]

    def __enter__(self) -> DigitClassifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
