"""The one module that owns a TFLite interpreter.

Backend fallback: ``ai_edge_litert`` (maintained LiteRT) → ``tflite_runtime``
(older Raspberry Pi images, numpy<2 only) → ``tensorflow.lite`` (imported only
as the last resort, never when a lighter backend exists).

Callers only ever see MNIST-form pixels in (uint8 ``(N, 28, 28)``, white on black)
and probabilities out. How pixels become this model's input — range, polarity,
quantisation through the model's own scale and zero point, layout — is the model's
:class:`~edge_runtime.contract.InputContract`, decided once at load (options, then
metadata in the file, then a probe: :mod:`edge_runtime.probe`). Outputs are
dequantised (``real = (q - zero_point) * scale``) and softmaxed when they are logits.

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

from edge_runtime.contract import (
    InputContract,
    encode,
    pixel_table,
    row_to_probabilities,
    scores_to_probabilities,
)
from edge_runtime.errors import ModelLoadError, ModelShapeError, RuntimeBackendError
from edge_runtime.install_hints import missing_backend_message
from edge_runtime.metadata import ModelMetadata, read_metadata
from edge_runtime.native_log import captured_native_stderr
from edge_runtime.probe import ContractOptions, choose_contract
from edge_runtime.tflite_file import ModelFile, read_model_file

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


def _is_keras_file(content: bytes, source: str) -> bool:
    """A Keras 3 ``.keras`` (a zip) or legacy ``.h5`` (HDF5) model, not a flatbuffer."""
    if content.startswith(b"\x89HDF\r\n\x1a\n"):
        return True
    return content.startswith(b"PK\x03\x04") and (
        source.endswith(".keras") or b"config.json" in content[:4096]
    )


class TFLiteModel:
    """A loaded TFLite digit model: MNIST-form pixels in, probabilities out.

    Input: ``uint8`` arrays ``(N, 28, 28)`` (or ``(N, 784)``), white digit on black,
    0-255 — what the preprocessing produces; :attr:`contract` turns them into
    whatever this model was trained on. Output: ``float32`` ``(N, 10)`` probabilities.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | bytes,
        *,
        num_threads: int | None = None,
        backend: str | None = None,
        options: ContractOptions | None = None,
    ) -> None:
        content, self.source = _read_model_bytes(model)
        if len(content) < 8:
            raise ModelLoadError(
                f"{self.source} is not a TFLite model: {len(content)} bytes is too short"
            )
        if _is_keras_file(content, self.source):
            raise ModelLoadError(
                f"{self.source} is a Keras model, not TFLite: convert it first with "
                f"`digits-convert {self.source}` (writes digits_int8.tflite beside it)"
            )
        if content[4:8] != _TFLITE_IDENTIFIER:
            raise ModelLoadError(
                f"{self.source} is not a TFLite model: expected identifier 'TFL3' at byte 4, "
                f"got {content[4:8]!r}"
            )
        try:  # the structure first, in Python: some backends crash on a cut file
            self.file: ModelFile = read_model_file(content)
        except ModelLoadError as e:
            raise ModelLoadError(f"{self.source} is corrupt or truncated: {e}") from e
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
        self._resizable = True
        self.metadata: ModelMetadata = read_metadata(self.file)
        self._output_shift = float(self.output.zero_point) if self.output.quantized else 0.0
        self._output_scale = self.output.scale if self.output.quantized else 1.0
        base = InputContract(
            shape=self.input.shape,
            dtype=self.input.dtype.name,
            input_scale=self.input.scale if self.input.quantized else 0.0,
            input_zero_point=self.input.zero_point if self.input.quantized else 0,
            output=self.file.output_kind(),
        )
        self.use_contract(
            choose_contract(base, self.metadata, options or ContractOptions(), self.predict_with)
        )

    def use_contract(self, contract: InputContract) -> None:
        """Feed the model by ``contract`` from now on (its lookup table is built here, once)."""
        self.contract = contract
        self._table = pixel_table(contract)

    def _ensure_batch(self, batch_size: int) -> None:
        if batch_size != self._batch_size:
            self._interpreter.resize_tensor_input(
                self.input.index, [batch_size, *self._pixel_shape], strict=False
            )
            self._interpreter.allocate_tensors()
            self._batch_size = batch_size

    def invoke_raw(self, model_input: np.ndarray) -> np.ndarray:
        """Run the interpreter on input already in the model's dtype and shape; raw output."""
        batch_size = int(model_input.shape[0])
        if batch_size != self._batch_size:
            if not self._resizable:
                return np.concatenate([self.invoke_raw(row[np.newaxis]) for row in model_input])
            try:
                self._ensure_batch(batch_size)
            except (ValueError, RuntimeError):  # a fixed-batch model: one image at a time
                self._resizable = False
                self._ensure_batch(self.input.shape[0])
                return self.invoke_raw(model_input)
        self._interpreter.set_tensor(self.input.index, model_input)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self.output.index)

    def prepare(self, pixels: np.ndarray) -> np.ndarray:
        """MNIST-form pixels ``(N, 28, 28)`` → the model's input (dtype, range, layout)."""
        return encode(pixels, self.contract, self._table)

    def _probabilities(self, raw: np.ndarray, output: str) -> np.ndarray:
        scores = raw.astype(np.float32)
        if self._output_shift:
            scores -= np.float32(self._output_shift)
        return scores_to_probabilities(scores, output, self._output_scale)

    def predict_with(self, contract: InputContract, pixels: np.ndarray) -> np.ndarray:
        """Probabilities under a candidate ``contract`` (the probe's call)."""
        raw = self.invoke_raw(encode(pixels, contract, pixel_table(contract)))
        return self._probabilities(raw, contract.output)

    def predict(self, pixels: np.ndarray) -> np.ndarray:
        """Probabilities (rows sum to 1) for a batch of MNIST-form pixels, float32 ``(N, 10)``."""
        return self._probabilities(self.invoke_raw(self.prepare(pixels)), self.contract.output)

    def predict_one(self, pixels: np.ndarray) -> list[float]:
        """Probabilities of one image ``(28, 28)`` as a list: the per-frame path."""
        raw = self.invoke_raw(self.prepare(pixels[np.newaxis]))[0].tolist()
        shift = self._output_shift
        shifted = [value - shift for value in raw] if shift else raw
        return row_to_probabilities(shifted, self.contract.output, self._output_scale)

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
