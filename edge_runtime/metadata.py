"""What a model says about itself: our ``digits_edge`` entry and standard TFLite metadata.

Two sources, read without TensorFlow from a :class:`~edge_runtime.tflite_file.ModelFile`:

* ``digits_edge`` — a ``metadata`` entry of the TFLite model (``Model.metadata``, the
  name → buffer map of TensorFlow Lite's ``schema.fbs``) whose buffer is UTF-8 JSON::

      {"schema": "digits-edge/model@1",
       "input": {"scale": 1.0, "offset": 0.0, "range": [0, 255], "invert": false,
                 "form": "28x28 uint8 pixels, white digit on black"},
       "output": {"kind": "probabilities"},
       "labels": ["0", ..., "9"],
       "provenance": {"format": "int8", "preset": "best", "accuracy": 0.9931, ...}}

  The model input is ``x = pixel · scale + offset`` (after ``255 - pixel`` when
  ``invert``), then the input tensor's own quantisation. Every ``.tflite`` our
  converter writes carries it; any FlatBuffers reader can get it out.
* ``TFLITE_METADATA`` — the standard TensorFlow Lite metadata (``metadata_schema.fbs``,
  file identifier ``M001``): the input's ``NormalizationOptions`` (mean, std), and the
  output's ``TENSOR_AXIS_LABELS`` label file from the ZIP appended to the model. Our
  converter writes it too, so TFLite tools (Netron, the Task Library, Android codegen)
  see the normalisation and labels. It has no polarity field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from edge_runtime.contract import OUTPUT_KINDS, PixelRange
from edge_runtime.tflite_file import ModelFile, root_table

OUR_KEY = "digits_edge"
OUR_SCHEMA = "digits-edge/model@1"
STANDARD_KEY = "TFLITE_METADATA"
_NORMALIZATION_OPTIONS = 1  # ProcessUnitOptions union member
_TENSOR_AXIS_LABELS = 2  # AssociatedFileType


@dataclass(frozen=True)
class ModelMetadata:
    """The contract fields and provenance a model file declares (None: not declared)."""

    kind: str = "none"
    """``digits-edge`` (our JSON entry), ``tflite`` (standard metadata only) or ``none``."""
    pixels: PixelRange | None = None
    invert: bool | None = None
    output: str | None = None
    labels: tuple[str, ...] | None = None
    name: str = ""
    description: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)
    """How the model was made (ours): format, preset, accuracy, calibration …"""
    problems: tuple[str, ...] = ()
    """Metadata that was present but could not be read (reported, never fatal)."""


def read_metadata(model: ModelFile) -> ModelMetadata:
    """Our entry when present (it is complete), else what standard metadata declares."""
    problems: list[str] = []
    standard = _standard(model, problems)
    ours = _ours(model, problems)
    if ours is not None:
        return ours
    if standard is not None:
        return ModelMetadata(**standard, problems=tuple(problems))
    return ModelMetadata(problems=tuple(problems))


def _ours(model: ModelFile, problems: list[str]) -> ModelMetadata | None:
    blob = model.metadata.get(OUR_KEY)
    if blob is None:
        return None
    try:
        data = json.loads(blob.rstrip(b"\0").decode("utf-8"))
        if data.get("schema") != OUR_SCHEMA:
            raise ValueError(f"unknown schema {data.get('schema')!r}, expected {OUR_SCHEMA!r}")
        given = data["input"]
        output = data.get("output", {}).get("kind")
        if output not in OUTPUT_KINDS:
            raise ValueError(f"output kind {output!r} is not one of {OUTPUT_KINDS}")
        return ModelMetadata(
            kind="digits-edge",
            pixels=PixelRange(float(given["scale"]), float(given["offset"])),
            invert=bool(given.get("invert", False)),
            output=output,
            labels=tuple(str(label) for label in data.get("labels", ())) or None,
            name=str(data.get("name", "")),
            description=str(data.get("description", "")),
            provenance=dict(data.get("provenance", {})),
        )
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as e:
        problems.append(f"{OUR_KEY} metadata unreadable: {e}")
        return None


def _standard(model: ModelFile, problems: list[str]) -> dict[str, Any] | None:
    blob = model.metadata.get(STANDARD_KEY)
    if blob is None:
        return None
    try:
        root = root_table(blob, b"M001")
        found: dict[str, Any] = {
            "kind": "tflite",
            "name": root.string(0) or "",
            "description": root.string(1) or "",
        }
        graphs = root.tables(3)
        if graphs:
            inputs, outputs = graphs[0].tables(2), graphs[0].tables(3)
            if inputs:
                found["pixels"] = _normalization(inputs[0])
            if outputs:
                found["labels"] = _labels(outputs[0], model.associated_files)
        return found
    except (ValueError, IndexError, TypeError, UnicodeDecodeError) as e:
        problems.append(f"{STANDARD_KEY} metadata unreadable: {e}")
        return None
    except Exception as e:  # struct.error and friends from a malformed buffer
        problems.append(f"{STANDARD_KEY} metadata unreadable: {type(e).__name__}: {e}")
        return None


def _normalization(tensor: Any) -> PixelRange | None:
    for unit in tensor.tables(4):
        if unit.scalar(0, "B", 0) != _NORMALIZATION_OPTIONS:
            continue
        options = unit.table(1)
        mean, std = (options.scalars(0, "f"), options.scalars(1, "f")) if options else ([], [])
        if mean and std and std[0]:
            return PixelRange.from_mean_std(float(mean[0]), float(std[0]))
    return None


def _labels(tensor: Any, files: dict[str, bytes]) -> tuple[str, ...] | None:
    for associated in tensor.tables(6):
        if associated.scalar(2, "b", 0) != _TENSOR_AXIS_LABELS:
            continue
        content = files.get(associated.string(0) or "")
        if content:
            lines = content.decode("utf-8", "replace").splitlines()
            return tuple(line.strip() for line in lines if line.strip())
    return None
