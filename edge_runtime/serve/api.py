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
        """Backend, model file, tensors, input contract, metadata and the accuracy it was built
        with (the model card of ``digits-inspect``, plus the server's own settings)."""
        from edge_runtime.describe import model_card

        model = self.pool.first.model
        card = model_card(model)
        provenance = card["metadata"].get("provenance") or {}
        accuracy = provenance.get("test_accuracy")
        return {
            "model_file": str(self.model_path),
            "model_bytes": card["size_bytes"],
            "backend": card["backend"],
            "input": _tensor_json(model.input),
            "output": _tensor_json(model.output),
            "contract": card["contract"],
            "accuracy": accuracy if isinstance(accuracy, (int, float)) else None,
            "accuracy_on": (
                f"MNIST test set ({provenance.get('test_images', 10000):,} images)"
                if isinstance(accuracy, (int, float))
                else None
            ),
            "training": provenance.get("training"),
            "metadata": card["metadata"],
            "workers": self.pool.size,
            "max_pixels": self.max_pixels,
        }


def _tensor_json(tensor: Any) -> dict[str, Any]:
    return {
        "dtype": str(np.dtype(tensor.dtype)),
        "shape": list(tensor.shape),
        "scale": tensor.scale,
        "zero_point": tensor.zero_point,
    }
