"""The pure-Python .tflite reader: it must refuse a cut file before any interpreter sees it.

tflite-runtime 2.14 (the only 32-bit ARM backend) crashes the whole process on a
model whose weights run past the end of the file, so TFLiteModel parses the
structure first; these tests need no interpreter at all.
"""

from __future__ import annotations

import random
import struct

import pytest

from edge_runtime.classifier import bundled_model_path
from edge_runtime.errors import ModelLoadError
from edge_runtime.tflite_file import read_model_file, root_table


def _flatbuffer_end(data: bytes) -> int:
    end = data.find(b"PK\x03\x04", len(data) - 4096)  # the appended labels ZIP
    assert end > 0
    return end


def test_the_whole_bundled_model_reads() -> None:
    model = read_model_file(bundled_model_path().read_bytes())
    assert "FULLY_CONNECTED" in model.operators and len(model.inputs) == 1


def test_every_cut_inside_the_flatbuffer_is_refused() -> None:
    data = bundled_model_path().read_bytes()
    end = _flatbuffer_end(data)
    cuts = [8, 12, 100, end // 3, end // 2, end - 64, end - 1]
    cuts += random.Random(1999).sample(range(8, end), 100)
    for cut in cuts:
        with pytest.raises(ModelLoadError):
            read_model_file(data[:cut])


def test_a_weight_buffer_past_the_end_names_the_sizes() -> None:
    """Tables intact but a weight vector longer than the file (other converters' layouts)."""
    data = bytearray(bundled_model_path().read_bytes())
    buffers = root_table(bytes(data), b"TFL3").tables(4)
    start, length = max((b._vector(0) for b in buffers), key=lambda vector: vector[1])
    struct.pack_into("<I", data, start - 4, length + len(data))  # the vector's length prefix
    with pytest.raises(ModelLoadError, match=r"buffer \d+ needs bytes up to \d+, the file has"):
        read_model_file(bytes(data))
