"""What the JSON routes answer, apart from HTTP: classify, read a number, model info.

A :class:`DigitClassifier` is not thread-safe (one interpreter, one set of
buffers), so the server never shares one between threads: it borrows one from
a :class:`ClassifierPool` for the length of a call. Images are decoded inside the
borrow, so at most ``workers`` decoded images exist at once however many
clients connect (memory stays flat on a Pi); slow uploads never hold a
classifier, since the body is read before.
"""

from __future__ import annotations

import base64
import contextlib
import json
import queue
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.classifier import DigitClassifier
from edge_runtime.schema import prediction_json, reading_json
from edge_runtime.serve.uploads import decode_limited


class ClassifierPool:
    """``size`` classifiers, each lent to one thread at a time.

    >>> pool = ClassifierPool(DigitClassifier, size=2)
    >>> with pool.borrow() as classifier:   # blocks while all are in use
    ...     classifier.classify(image)      # doctest: +SKIP
    """

    def __init__(self, factory: Callable[[], DigitClassifier], size: int = 1) -> None:
        if size < 1:
            raise ValueError(f"a pool needs at least one classifier, got size={size}")
        self.size = size
        self._idle: queue.SimpleQueue[DigitClassifier] = queue.SimpleQueue()
        self.first = factory()
        self._idle.put(self.first)
        for _ in range(size - 1):
            self._idle.put(factory())

    @contextlib.contextmanager
    def borrow(self) -> Iterator[DigitClassifier]:
        classifier = self._idle.get()
        try:
            yield classifier
        finally:
            self._idle.put(classifier)


def png_data_url(pixels: np.ndarray) -> str:
    """A ``data:image/png;base64,…`` URL of a gray or BGR ``uint8`` image (for the page)."""
    import cv2

    ok, encoded = cv2.imencode(".png", pixels)
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 array
        raise ValueError(f"cannot encode an image of shape {pixels.shape} as PNG")
    return "data:image/png;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


class DigitsApi:
    """The server's answers as JSON-ready dicts; the HTTP layer only moves bytes."""

    def __init__(self, pool: ClassifierPool, *, max_pixels: int, model_path: Path) -> None:
        self.pool = pool
        self.max_pixels = max_pixels
        self.model_path = model_path

    def classify(self, data: bytes, *, debug: bool = False) -> dict[str, Any]:
        """The (largest) digit in an encoded image: ``digits-classify --json``'s schema.

        With ``debug``, adds ``model_input``: the 28×28 the model saw, as a PNG data URL.
        """
        with self.pool.borrow() as classifier:
            image = decode_limited(data, self.max_pixels)
            prediction = classifier.classify(image)
            crop = classifier.digit_crop(image) if debug else None
        answer = prediction_json(prediction)
        if debug:
            answer["model_input"] = (
                None if isinstance(crop, str) or crop is None else (png_data_url(crop.pixels))
            )
        return answer

    def read_number(self, data: bytes, *, debug: bool = False) -> dict[str, Any]:
        """The most prominent number, left to right, and every number found (``numbers``):
        ``digits-classify --number --json``'s schema.

        With ``debug``, adds ``model_inputs`` (one 28×28 PNG per digit) and
        ``debug_view`` (the image with its digit and rejected boxes beside the
        enlarged inputs).
        """
        with self.pool.borrow() as classifier:
            image = decode_limited(data, self.max_pixels)
            inspection = classifier.inspect(image)
        answer = {
            **reading_json(inspection.reading),
            "numbers": [reading_json(number) for number in inspection.numbers],
        }
        if debug:
            from edge_runtime.overlay import model_view

            inputs = list(inspection.model_inputs)
            view = model_view(image, inputs, inspection.reading, rejected=inspection.rejected)
            answer["model_inputs"] = [png_data_url(pixels) for pixels in inputs]
            answer["debug_view"] = png_data_url(view)
        return answer

    def model_info(self) -> dict[str, Any]:
        """Backend, model file, input/output contract and the accuracy recorded beside it."""
        model = self.pool.first.model
        info: dict[str, Any] = {
            "model_file": str(self.model_path),
            "model_bytes": model.model_bytes,
            "backend": self.pool.first.backend,
            "input": _tensor_json(model.input),
            "output": _tensor_json(model.output),
            "pixel_contract": "28×28 gray, white digit on black, 0-255 (MNIST form)",
            "workers": self.pool.size,
            "max_pixels": self.max_pixels,
        }
        info.update(_recorded_metadata(self.model_path))
        return info


def _tensor_json(tensor: Any) -> dict[str, Any]:
    return {
        "dtype": str(np.dtype(tensor.dtype)),
        "shape": list(tensor.shape),
        "scale": tensor.scale,
        "zero_point": tensor.zero_point,
    }


def _recorded_metadata(model_path: Path) -> dict[str, Any]:
    """Accuracy and training facts from the JSON written beside a model, when there is one."""
    sidecar = model_path.with_suffix(".json")
    try:
        recorded = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"accuracy": None, "metadata_file": None}
    if not isinstance(recorded, dict):
        return {"accuracy": None, "metadata_file": None}
    accuracy = next(
        (
            recorded[key]
            for key in ("int8_test_accuracy", "test_accuracy", "accuracy")
            if isinstance(recorded.get(key), (int, float))
        ),
        None,
    )
    training = recorded.get("training")
    return {
        "accuracy": accuracy,
        "accuracy_on": "MNIST test set (10,000 images)" if accuracy is not None else None,
        "training": training if isinstance(training, dict) else None,
        "metadata_file": str(sidecar),
    }
