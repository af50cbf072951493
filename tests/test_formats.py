"""The one table of formats: file names, converter recipes and benchmark rows agree."""

from __future__ import annotations

from pathlib import Path

from benchmarks.formats import FORMAT_TABLE, BenchRow
from edge_runtime.classifier import BUNDLED_MODEL
from edge_runtime.formats import BUNDLED_FORMAT, FORMATS, IO_TYPES, ModelFormat


def test_every_format_has_its_own_file_and_a_benchmark_row() -> None:
    names = [fmt.file_name for fmt in FORMATS.values()]
    assert len(set(names)) == len(names)
    rows = {row.name: row for row in FORMAT_TABLE}
    for fmt in FORMATS.values():
        row = rows[f"tflite-{fmt.name}"]
        assert row.runner == "classifier"
        assert row.tflite_path(Path("art")) == Path("art") / fmt.file_name
    assert BUNDLED_MODEL == BUNDLED_FORMAT.file_name == "digits_int8.tflite"


def test_recipes_are_consistent() -> None:
    for fmt in FORMATS.values():
        assert fmt.needs_calibration == (fmt.activations != "float32")
        assert set(fmt.io_types) <= set(IO_TYPES)
    int8 = FORMATS["int8"]
    assert int8.io_type("int8") == "int8" and int8.io_type("uint8") == "uint8"
    assert FORMATS["float32"].io_type("uint8") == "float32"  # not accepted: its default
    assert ModelFormat("x", "y", "int8", "int16", ("float32",)).io_type("uint8") == "float32"


def test_a_model_file_row_and_a_sub_folder_row_find_their_files() -> None:
    row = BenchRow.for_file(Path("/m/their.tflite"))
    assert row.name == "model:their.tflite" and row.tflite_path(Path("art")) == Path(
        "/m/their.tflite"
    )
    cnn = BenchRow("cnn-int8", "small CNN", "classifier", "int8", "cnn")
    assert cnn.tflite_path(Path("art")) == Path("art/cnn/digits_int8.tflite")
