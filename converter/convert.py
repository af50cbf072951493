"""Keras → TFLite conversion, one table row per quantisation format.

TensorFlow is imported inside the functions that need it. TensorFlow's C++
converter logs straight to the process's stderr; we capture that noise and
show it only when a conversion fails.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from converter.calibration import representative_dataset
from converter.errors import ConversionError
from edge_runtime.native_log import captured_native_stderr, import_tensorflow

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Format:
    """One TFLite output format: its name, file and what it does to the weights."""

    name: str
    file_name: str
    description: str
    needs_calibration: bool = False


FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        Format("float32", "digits_float32.tflite", "no quantisation (reference)"),
        Format("float16", "digits_float16.tflite", "float16 weights, float32 maths"),
        Format("dynamic", "digits_dynamic.tflite", "int8 weights, float activations"),
        Format(
            "int8",
            "digits_int8.tflite",
            "full-integer: int8 weights and activations, calibrated",
            needs_calibration=True,
        ),
    )
}
IO_TYPES = ("uint8", "int8", "float32")


def check_model_path(path: Path) -> None:
    """Fail early, before any data is loaded, when the model file is not there."""
    if not path.exists():
        raise ConversionError(
            f"model {path} does not exist: run digits-train first (it writes artifacts/model.keras)"
        )
    if path.is_dir():
        raise ConversionError(f"model path {path} is a directory, expected a .keras file")


def load_keras_model(path: str | os.PathLike[str]) -> keras.Model:
    """Load a Keras model file and check it is a 28×28 (or 784) → 10 classifier."""
    path = Path(path)
    check_model_path(path)
    import_tensorflow()
    import keras

    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as e:  # Keras raises many types for bad files (zip, h5, json, value)
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ConversionError(f"{path} is not a readable Keras model: {reason[:200]}") from e
    check_model_shape(model, str(path))
    return model


def check_model_shape(model: Any, source: str) -> None:
    """Reject models whose input is not 28×28/784 pixels or whose output is not 10 classes."""
    input_shape = tuple(getattr(model, "input_shape", ()) or ())
    output_shape = tuple(getattr(model, "output_shape", ()) or ())
    if input_shape[1:] not in ((28, 28), (784,), (28, 28, 1)):
        raise ConversionError(
            f"{source}: expected input shape (None, 28, 28) or (None, 784), got {input_shape}"
        )
    if output_shape[1:] != (10,):
        raise ConversionError(f"{source}: expected output shape (None, 10), got {output_shape}")


def convert(
    model: keras.Model,
    format_name: str,
    *,
    calibration: np.ndarray | None = None,
    io_type: str = "uint8",
) -> bytes:
    """Convert ``model`` to TFLite bytes in ``format_name`` (see :data:`FORMATS`).

    ``calibration`` (float32 raw pixels) is required for ``int8``; ``io_type``
    sets the int8 model's input and output type (``uint8`` lets raw camera
    pixels in untouched: calibrated on 0-255 they quantise with scale 1).
    """
    if format_name not in FORMATS:
        raise ConversionError(f"unknown format {format_name!r}: expected one of {list(FORMATS)}")
    if io_type not in IO_TYPES:
        raise ConversionError(f"unknown io type {io_type!r}: expected one of {IO_TYPES}")
    tf = import_tensorflow()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if format_name == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif format_name == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif format_name == "int8":
        if calibration is None or len(calibration) == 0:
            raise ConversionError("int8 conversion needs calibration images")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative_dataset(calibration)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        io_dtype = {"uint8": tf.uint8, "int8": tf.int8, "float32": tf.float32}[io_type]
        converter.inference_input_type = io_dtype
        converter.inference_output_type = io_dtype
    with captured_native_stderr(python_stdout=True) as native_log, warnings.catch_warnings():
        # TF warns about missing input statistics even though calibration provides them.
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
        try:
            return bytes(converter.convert())
        except Exception as e:
            detail = " | ".join(line for line in native_log[-3:] if line.strip())
            raise ConversionError(
                f"TFLite conversion to {format_name} failed: {e}"
                + (f" ({detail})" if detail else "")
            ) from e
