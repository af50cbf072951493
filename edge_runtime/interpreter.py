"""The one module that owns a TFLite interpreter.

Backend fallback: ``ai_edge_litert`` (maintained LiteRT) → ``tflite_runtime``
(older Raspberry Pi images, numpy<2 only) → ``tensorflow.lite`` (imported only
as the last resort, never when a lighter backend exists).

Quantisation is handled here so callers only ever see raw pixels in and float
scores out. For a quantised tensor with ``scale`` and ``zero_point``:

    q    = clip(round(x / scale) + zero_point, qmin, qmax)     (quantise input)
    real = (q - zero_point) * scale                            (dequantise output)

Build one :class:`TFLiteModel` and reuse it: creating an interpreter allocates
tensors and delegates, which must never happen per frame. A :class:`TFLiteModel`
is not thread-safe (the interpreter has one set of input/output buffers); give
each thread its own.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.errors import ModelLoadError, ModelShapeError, RuntimeBackendError
from edge_runtime.install_hints import missing_backend_message
from edge_runtime.native_log import captured_native_stderr

#: Backends in order of preference: (name, module holding ``Interpreter``).
BACKENDS: tuple[tuple[str, str], ...] = (
    ("ai_edge_litert", "ai_edge_litert.interpreter"),
    ("tflite_runtime", "tflite_runtime.interpreter"),
    ("tensorflow", "tensorflow.lite"),
)
_TFLITE_IDENTIFIER = b"TFL3"


def load_interpreter_class(backend: str | None = None) -> tuple[type, str]:
    """Return ``(Interpreter class, backend name)`` for the first importable backend.

    ``backend`` forces one of :data:`BACKENDS` by name.
    """
    candidates = [entry for entry in BACKENDS if backend in (None, entry[0])]
    if not candidates:
        names = ", ".join(name for name, _ in BACKENDS)
        raise RuntimeBackendError(f"unknown backend {backend!r}: expected one of {names}")
    failures: list[tuple[str, BaseException]] = []
    for name, module_name in candidates:
        try:
            with captured_native_stderr():
                module = importlib.import_module(module_name)
        except ImportError as e:
            failures.append((name, e))
            continue
        return module.Interpreter, name
    raise RuntimeBackendError(missing_backend_message(failures)) from failures[-1][1]


@dataclass(frozen=True)
class TensorInfo:
    """Shape, dtype and quantisation of one model input or output."""

    name: str
    index: int
    shape: tuple[int, ...]
    dtype: np.dtype
    scale: float
    zero_point: int
    quantized: bool
    """True for integer tensors carrying a scale (int8/uint8 quantised models)."""

    @classmethod
    def from_details(cls, details: dict[str, Any]) -> TensorInfo:
        scale, zero_point = details.get("quantization", (0.0, 0))
        dtype = np.dtype(details["dtype"])
        return cls(
            name=str(details["name"]),
            index=int(details["index"]),
            shape=tuple(int(d) for d in details["shape"]),
            dtype=dtype,
            scale=float(scale),
            zero_point=int(zero_point),
            quantized=float(scale) != 0.0 and np.issubdtype(dtype, np.integer),
        )


def quantize(values: np.ndarray, tensor: TensorInfo) -> np.ndarray:
    """Convert real values to ``tensor``'s dtype (``q = round(x/scale) + zero_point``, clipped)."""
    if not tensor.quantized:
        return np.asarray(values, dtype=tensor.dtype)
    info = np.iinfo(tensor.dtype)
    scaled = np.rint(np.asarray(values, dtype=np.float32) / tensor.scale) + tensor.zero_point
    return np.clip(scaled, info.min, info.max).astype(tensor.dtype)


def dequantize(values: np.ndarray, tensor: TensorInfo) -> np.ndarray:
    """Convert ``tensor``'s raw values to float32 (``(q - zero_point) * scale``)."""
    if not tensor.quantized:
        return np.asarray(values, dtype=np.float32)
    return (np.asarray(values, dtype=np.float32) - tensor.zero_point) * np.float32(tensor.scale)


def to_probabilities(scores: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Rows of class scores (times ``scale``) → rows of probabilities summing to 1.

    Softmax outputs only need their quantisation error renormalised away;
    sigmoid outputs (the ``base`` preset) are divided by their sum — where
    ``scale`` cancels, so quantised outputs need no dequantising multiply;
    anything with negative values (logits) goes through a softmax.
    """
    totals = scores.sum(axis=-1, keepdims=True)
    if totals.all() and scores.min() >= 0:
        return scores / totals
    logits = scores * np.float32(scale)
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _read_model_bytes(model: str | os.PathLike[str] | bytes) -> tuple[bytes, str]:
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model), "<bytes>"
    path = Path(model)
    try:
        content = path.read_bytes()
    except FileNotFoundError as e:
        raise ModelLoadError(f"model file {path} does not exist") from e
    except IsADirectoryError as e:
        raise ModelLoadError(f"model path {path} is a directory, expected a .tflite file") from e
    except OSError as e:
        raise ModelLoadError(f"cannot read model file {path}: {e.strerror or e}") from e
    return content, str(path)


class TFLiteModel:
    """A loaded TFLite digit model: raw 0-255 pixels in, probabilities out.

    Input contract: ``float32`` or ``uint8`` arrays of shape ``(N, 28, 28)`` (or
    ``(N, 784)``), white digit on black background, values 0-255 — the MNIST
    convention the trainer's models were built for (normalisation is inside
    the model). Output: ``float32`` ``(N, 10)`` probabilities.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | bytes,
        *,
        num_threads: int | None = None,
        backend: str | None = None,
    ) -> None:
        content, self.source = _read_model_bytes(model)
        if len(content) < 8:
            raise ModelLoadError(
                f"{self.source} is not a TFLite model: {len(content)} bytes is too short"
            )
        if content[4:8] != _TFLITE_IDENTIFIER:
            raise ModelLoadError(
                f"{self.source} is not a TFLite model: expected identifier 'TFL3' at byte 4, "
                f"got {content[4:8]!r}"
            )
        interpreter_class, self.backend = load_interpreter_class(backend)
        try:
            with captured_native_stderr():  # "Created TensorFlow Lite XNNPACK delegate" etc.
                self._interpreter = interpreter_class(
                    model_content=content, num_threads=num_threads
                )
                self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            raise ModelLoadError(f"{self.source} is corrupt or truncated: {e}") from e
        self.model_bytes = len(content)
        self.num_threads = num_threads
        inputs = self._interpreter.get_input_details()
        outputs = self._interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelShapeError(
                f"{self.source}: expected 1 input and 1 output, "
                f"got {len(inputs)} and {len(outputs)}"
            )
        self.input = TensorInfo.from_details(inputs[0])
        self.output = TensorInfo.from_details(outputs[0])
        self._pixel_shape = self.input.shape[1:]
        if int(np.prod(self._pixel_shape)) != 28 * 28:
            raise ModelShapeError(
                f"{self.source}: expected a 28×28 (784-pixel) input, got shape {self.input.shape}"
            )
        if self.output.shape[-1] != 10:
            raise ModelShapeError(
                f"{self.source}: expected 10 output classes, got shape {self.output.shape}"
            )
        self._batch_size = self.input.shape[0]
        # Full-int8 models calibrated on 0-255 pixels get scale 1, zero point 0 on a uint8
        # input: camera pixels then go in untouched, with no float maths at all.
        self._input_is_identity = self.input.scale == 1.0 and self.input.zero_point == 0

    def _batch_shape(self, batch_size: int) -> tuple[int, ...]:
        return (batch_size, *self._pixel_shape)

    def _ensure_batch(self, batch_size: int) -> None:
        if batch_size != self._batch_size:
            self._interpreter.resize_tensor_input(
                self.input.index, [batch_size, *self._pixel_shape], strict=False
            )
            self._interpreter.allocate_tensors()
            self._batch_size = batch_size

    def invoke_raw(self, model_input: np.ndarray) -> np.ndarray:
        """Run the interpreter on input already in the model's dtype and shape; raw output."""
        self._ensure_batch(int(model_input.shape[0]))
        self._interpreter.set_tensor(self.input.index, model_input)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self.output.index)

    def prepare(self, pixels: np.ndarray) -> np.ndarray:
        """Raw 0-255 pixels ``(N, 28, 28)`` → the model's input dtype and shape (quantised)."""
        batch = np.asarray(pixels)
        if batch.shape[1:] != self._pixel_shape:
            batch = batch.reshape(self._batch_shape(len(batch)))
        if self.input.quantized:
            if batch.dtype == self.input.dtype and self._input_is_identity:
                return np.ascontiguousarray(batch)  # uint8 pixels with scale 1, zero point 0
            return quantize(batch, self.input)
        return np.ascontiguousarray(batch, dtype=self.input.dtype)

    def predict(self, pixels: np.ndarray) -> np.ndarray:
        """Probabilities (rows sum to 1) for a batch of raw pixels, float32 ``(N, 10)``."""
        raw = self.invoke_raw(self.prepare(pixels))
        if not self.output.quantized:
            return to_probabilities(raw.astype(np.float32, copy=False))
        # (q - zero_point) * scale, with the scale left to to_probabilities (it cancels).
        shifted = raw.astype(np.float32)
        if self.output.zero_point:
            shifted -= np.float32(self.output.zero_point)
        return to_probabilities(shifted, self.output.scale)

    def predict_one(self, pixels: np.ndarray) -> list[float]:
        """Probabilities of one image ``(28, 28)`` as a list: the per-frame path.

        Ten numbers are normalised in plain Python (each numpy call costs about
        a microsecond, several times the arithmetic); the formula is the one in
        :func:`to_probabilities`, which handles the rare logits case.
        """
        raw = self.invoke_raw(self.prepare(pixels[np.newaxis]))[0].tolist()
        zero_point = self.output.zero_point if self.output.quantized else 0
        shifted = [value - zero_point for value in raw] if zero_point else raw
        total = sum(shifted)
        if total > 0 and min(shifted) >= 0:
            return [value / total for value in shifted]
        scores = np.asarray([shifted], dtype=np.float32)
        return to_probabilities(scores, self.output.scale if self.output.quantized else 1.0)[
            0
        ].tolist()

    def predict_in_batches(
        self,
        pixels: np.ndarray,
        batch_size: int = 256,
        progress: Callable[[int], object] | None = None,
    ) -> np.ndarray:
        """:meth:`predict` over a large array in chunks; ``progress(n)`` after each chunk."""
        chunks = []
        for start in range(0, len(pixels), batch_size):
            chunks.append(self.predict(pixels[start : start + batch_size]))
            if progress is not None:
                progress(len(chunks[-1]))
        return np.concatenate(chunks) if chunks else np.zeros((0, 10), np.float32)
