"""Write a model's contract, labels and provenance into its ``.tflite`` file.

Two entries go into the model's ``metadata`` (TensorFlow Lite's name → buffer map),
both read back without TensorFlow by :mod:`edge_runtime.metadata`:

* ``digits_edge``: UTF-8 JSON with the whole input contract (range *and* polarity),
  output kind, labels and provenance — the format documented in ``edge_runtime.metadata``;
* ``TFLITE_METADATA``: standard TFLite metadata (``metadata_schema.fbs``, ``M001``):
  name, description, the input's ``NormalizationOptions`` and grayscale image
  properties, the output's ``labels.txt`` (``TENSOR_AXIS_LABELS``), which lives in a
  ZIP appended to the FlatBuffer as TFLite metadata prescribes.

Why both: the standard schema carries normalisation and labels for other tools
(Netron, the Task Library, Android codegen) but has no place for polarity or for
how the model was made; the JSON entry holds all of it in a form anything can read.
Neither touches the graph or weights: the model computes exactly what it did.
The model FlatBuffer is rewritten with TensorFlow's generated schema classes.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np

from edge_runtime.contract import DIGIT_LABELS, InputContract
from edge_runtime.interpreter import TFLiteModel
from edge_runtime.metadata import OUR_KEY, OUR_SCHEMA, STANDARD_KEY
from edge_runtime.probe import ContractOptions

LABELS_FILE = "labels.txt"
#: The pixels our trainer's models take: raw 0-255, white on black (scaling is in the model).
CONVERTER_PIXELS = ContractOptions(input_range=(0, 255), invert=False)
MIN_PARSER_VERSION = "1.0.0"


def contract_of(model_bytes: bytes, options: ContractOptions) -> InputContract:
    """The contract of ``model_bytes`` (its tensors, output kind) with ``options`` pinned."""
    return TFLiteModel(model_bytes, options=options).contract


def contract_json(contract: InputContract, provenance: dict[str, Any]) -> bytes:
    """Our ``digits_edge`` entry for ``contract`` and ``provenance``."""
    low, high = contract.pixels.bounds
    return json.dumps(
        {
            "schema": OUR_SCHEMA,
            "name": "digits-edge MNIST digit classifier",
            "description": "Handwritten digit 0-9 from a 28x28 grayscale image",
            "input": {
                "scale": contract.pixels.scale,
                "offset": contract.pixels.offset,
                "range": [round(low, 6), round(high, 6)],
                "invert": contract.invert,
                "form": "28x28 uint8 pixels, white digit on black; "
                "x = (255 - p if invert else p) * scale + offset, then the input quantisation",
            },
            "output": {"kind": contract.output},
            "labels": list(contract.labels),
            "provenance": provenance,
        },
        sort_keys=False,
    ).encode("utf-8")


def standard_metadata(contract: InputContract, description: str) -> bytes:
    """A ``TFLITE_METADATA`` FlatBuffer: normalisation of the input, labels of the output."""
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    mean, std = contract.pixels.mean_std

    def floats(values: list[float]) -> int:
        builder.StartVector(4, len(values), 4)
        for value in reversed(values):
            builder.PrependFloat32(value)
        return builder.EndVector()

    def tables(offsets: list[int]) -> int:
        builder.StartVector(4, len(offsets), 4)
        for offset in reversed(offsets):
            builder.PrependUOffsetTRelative(offset)
        return builder.EndVector()

    def table(fields: list[tuple[int, str, Any]]) -> int:
        builder.StartObject(max(slot for slot, _, _ in fields) + 1)
        for slot, kind, value in fields:
            if kind == "offset":
                builder.PrependUOffsetTRelativeSlot(slot, value, 0)
            elif kind == "byte":
                builder.PrependInt8Slot(slot, value, 0)
            elif kind == "ubyte":
                builder.PrependUint8Slot(slot, value, 0)
            elif kind == "uint":
                builder.PrependUint32Slot(slot, value, 0)
        return builder.EndObject()

    text = builder.CreateString
    # Input: grayscale image (ContentProperties 2 = ImageProperties, GRAYSCALE = 2),
    # NormalizationOptions (ProcessUnitOptions 1) and the value range as Stats.
    size = table([(0, "uint", 28), (1, "uint", 28)])
    image = table([(0, "byte", 2), (1, "offset", size)])
    content = table([(0, "ubyte", 2), (1, "offset", image)])
    normalization = table([(0, "offset", floats([mean])), (1, "offset", floats([std]))])
    unit = table([(0, "ubyte", 1), (1, "offset", normalization)])
    low, high = contract.pixels.bounds
    stats = table([(0, "offset", floats([high])), (1, "offset", floats([low]))])
    polarity = "dark on light" if contract.invert else "white on black"
    input_meta = table(
        [
            (0, "offset", text("image")),
            (1, "offset", text(f"28x28 grayscale digit, {polarity}, pixels 0-255")),
            (3, "offset", content),
            (4, "offset", tables([unit])),
            (5, "offset", stats),
        ]
    )
    labels_file = table(
        [
            (0, "offset", text(LABELS_FILE)),
            (1, "offset", text("Digit of each output score")),
            (2, "byte", 2),  # TENSOR_AXIS_LABELS
        ]
    )
    builder.StartObject(0)  # FeatureProperties: no fields
    feature = builder.EndObject()
    output_content = table([(0, "ubyte", 1), (1, "offset", feature)])
    output_meta = table(
        [
            (0, "offset", text("probability")),
            (1, "offset", text(f"Scores of the 10 digits ({contract.output})")),
            (3, "offset", output_content),
            (6, "offset", tables([labels_file])),
        ]
    )
    subgraph = table([(2, "offset", tables([input_meta])), (3, "offset", tables([output_meta]))])
    root = table(
        [
            (0, "offset", text("digits-edge MNIST digit classifier")),
            (1, "offset", text(description)),
            (3, "offset", tables([subgraph])),
            (4, "offset", text("digits-edge")),
            (7, "offset", text(MIN_PARSER_VERSION)),
        ]
    )
    builder.Finish(root, file_identifier=b"M001")
    return bytes(builder.Output())


def embed_metadata(
    model_bytes: bytes, contract: InputContract, provenance: dict[str, Any]
) -> bytes:
    """``model_bytes`` with our and the standard metadata (replacing any already there)."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    description = f"MNIST-style digit classifier; input {contract.summary()}; made by digits-edge"
    entries = {
        OUR_KEY: contract_json(contract, provenance),
        STANDARD_KEY: standard_metadata(contract, description),
    }
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(model_bytes, 0))
    model.metadata = [m for m in (model.metadata or []) if m.name.decode() not in entries]
    model.buffers = [_aligned(buffer) for buffer in model.buffers or []]
    for name, blob in entries.items():
        buffer = _aligned(schema.BufferT())
        buffer.data = np.frombuffer(blob, np.uint8)
        model.buffers.append(buffer)
        entry = schema.MetadataT()
        entry.name, entry.buffer = name.encode(), len(model.buffers) - 1
        model.metadata.append(entry)
    builder = flatbuffers.Builder(len(model_bytes) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    labels = "\n".join(contract.labels or DIGIT_LABELS) + "\n"
    return bytes(builder.Output()) + _zip({LABELS_FILE: labels.encode("utf-8")})


def _aligned(buffer: Any) -> Any:
    """``buffer`` packed with its data 16-byte aligned, as ``schema.fbs`` asks (force_align).

    The generated Python code aligns buffer data to 1 byte only; misaligned float
    weights are slow, or fault, on some ARM cores.
    """
    original = type(buffer)

    class AlignedBuffer(original):  # type: ignore[misc, valid-type]
        def Pack(self, builder: Any) -> int:
            data = None
            if self.data is not None and len(self.data):
                payload = np.asarray(self.data, dtype=np.uint8).tobytes()
                builder.StartVector(1, len(payload), 16)
                builder.head -= len(payload)
                builder.Bytes[builder.head : builder.head + len(payload)] = payload
                data = builder.EndVector(len(payload))
            builder.StartObject(3)
            if data is not None:
                builder.PrependUOffsetTRelativeSlot(0, data, 0)
            builder.PrependUint64Slot(1, self.offset, 0)
            builder.PrependUint64Slot(2, self.size, 0)
            return builder.EndObject()

    buffer.__class__ = AlignedBuffer
    return buffer


def _zip(files: dict[str, bytes]) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as handle:
        for name, content in files.items():
            handle.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), content)
    return archive.getvalue()
