"""Keras → TFLite conversion, one row of :data:`edge_runtime.formats.FORMATS` at a time.

TensorFlow is imported inside the functions that need it. TensorFlow's C++
converter logs straight to the process's stderr; we capture that noise and
show it only when a conversion fails.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from converter.calibration import representative_dataset
from converter.errors import ConversionError
from edge_runtime.formats import FORMATS, IO_TYPES, ModelFormat
from edge_runtime.native_log import captured_native_stderr
from trainer.tfenv import import_tensorflow

if TYPE_CHECKING:
    import keras


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

    ``calibration`` (float32 raw pixels) is required for formats with integer
    activations; ``io_type`` sets their input and output type when the format
    accepts it, else the format's default is used (``uint8`` lets raw camera
    pixels into int8 untouched: calibrated on 0-255 they quantise with scale 1).
    """
    if format_name not in FORMATS:
        raise ConversionError(f"unknown format {format_name!r}: expected one of {list(FORMATS)}")
    if io_type not in IO_TYPES:
        raise ConversionError(f"unknown io type {io_type!r}: expected one of {IO_TYPES}")
    fmt = FORMATS[format_name]
    tf = import_tensorflow()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    _apply_recipe(converter, fmt, tf, calibration, io_type)
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


def _apply_recipe(
    converter: Any, fmt: ModelFormat, tf: Any, calibration: np.ndarray | None, io_type: str
) -> None:
    """Set ``converter`` up for ``fmt``'s weight and activation types."""
    if fmt.weights == "float32" and fmt.activations == "float32":
        return
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if fmt.weights == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if not fmt.needs_calibration:
        return
    if calibration is None or len(calibration) == 0:
        raise ConversionError(f"{fmt.name} conversion needs calibration images")
    converter.representative_dataset = representative_dataset(calibration)
    ops = tf.lite.OpsSet
    converter.target_spec.supported_ops = [
        ops.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        if fmt.activations == "int16"
        else ops.TFLITE_BUILTINS_INT8
    ]
    io_dtype = getattr(tf, fmt.io_type(io_type))
    converter.inference_input_type = io_dtype
    converter.inference_output_type = io_dtype
