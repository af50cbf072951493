"""Validate a TFLite file on the MNIST test set with the edge runtime's interpreter.

Validation uses :class:`edge_runtime.interpreter.TFLiteModel`, the exact code
that runs on the device, so the numbers in the report are the numbers users get.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from converter.embed import CONVERTER_PIXELS
from edge_runtime.interpreter import TensorInfo, TFLiteModel
from edge_runtime.probe import ContractOptions
from trainer.metrics import accuracy
from trainer.mnist_files import MnistSplit

#: ``progress(images_done)`` after each validated batch.
BatchProgress = Callable[[int], object]


@dataclass(frozen=True)
class TensorSummary:
    """What a caller must feed or read: dtype, shape and quantisation of one tensor."""

    dtype: str
    shape: list[int]
    scale: float
    zero_point: int


@dataclass(frozen=True)
class Validation:
    """How one TFLite file did on the test set."""

    accuracy: float
    agreement_with_keras: float
    images: int
    backend: str
    input: TensorSummary
    output: TensorSummary


def validate_tflite(
    model_bytes: bytes,
    test: MnistSplit,
    keras_predictions: np.ndarray,
    *,
    batch_size: int = 250,
    progress: BatchProgress | None = None,
    pixels: ContractOptions = CONVERTER_PIXELS,
) -> Validation:
    """Accuracy and agreement with Keras of ``model_bytes`` on ``test`` (uint8 pixels in).

    The model is fed by ``pixels`` (default: as our trainer's models expect,
    0-255, white on black), whether or not its metadata is embedded yet.
    """
    model = TFLiteModel(model_bytes, options=pixels)
    predicted = model.predict_in_batches(test.images, batch_size, progress).argmax(axis=1)
    return Validation(
        accuracy=round(accuracy(predicted, test.labels), 6),
        agreement_with_keras=round(accuracy(predicted, keras_predictions), 6),
        images=len(test),
        backend=model.backend,
        input=_summary(model.input),
        output=_summary(model.output),
    )


def _summary(tensor: TensorInfo) -> TensorSummary:
    return TensorSummary(
        dtype=tensor.dtype.name,
        shape=list(tensor.shape),
        scale=tensor.scale,
        zero_point=tensor.zero_point,
    )
