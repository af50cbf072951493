"""digits-bench on a small model: every field present and consistent, missing formats as rows."""

from __future__ import annotations

import csv
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from benchmarks import formats as formats_module
from benchmarks.cli import main as bench_cli
from benchmarks.formats import FORMAT_NAMES
from benchmarks.run import BenchOptions, run_bench
from benchmarks.timing import LatencyStats
from edge_runtime.formats import FORMATS

SLICE = 500
REAL_DIR = Path(__file__).parent / "data" / "real"
# The CNN rows read MODELS_DIR/cnn, which the shared fixture does not train.
DENSE_ROWS = tuple(name for name in FORMAT_NAMES if not name.startswith("cnn-"))


@pytest.fixture(scope="module")
def report(converted, small_model, mnist):
    out, _ = converted
    options = BenchOptions(
        models_dir=out,
        keras_model=small_model,
        formats=DENSE_ROWS,
        runs=12,
        warmup=2,
        batch=128,
        test_images=SLICE,
        camera_images=8,
        real_dir=REAL_DIR,
        measure_memory=True,
    )
    return run_bench(options, mnist)


@pytest.mark.tf
def test_every_format_is_a_row_with_every_field(report) -> None:
    assert [row.format for row in report.rows] == list(DENSE_ROWS)
    for row in report.rows:
        assert row.status == "ok", (row.format, row.reason)
        assert row.size_bytes and row.size_bytes > 0
        assert row.load_ms is not None and row.load_ms >= 0
        assert 0 <= row.accuracy <= 1 and 0 <= row.agreement_with_keras <= 1
        assert row.latency.runs == 12
        latency = row.latency
        assert 0 < latency.p50_ms <= latency.p90_ms <= latency.p99_ms
        assert latency.std_ms >= 0 and latency.mean_ms > 0
        assert row.throughput_per_s > 0
        assert row.peak_rss_mb is not None and row.peak_rss_mb > 10
        assert row.speedup_vs_keras_predict > 0 and row.speedup_vs_tflite_float32 > 0
    assert report.row("keras-predict").speedup_vs_keras_predict == 1.0
    assert report.row("tflite-float32").speedup_vs_tflite_float32 == 1.0
    assert {"cpu", "cores", "os", "python", "versions"} <= set(report.machine)


@pytest.mark.tf
def test_accuracy_matches_the_converter_on_the_same_slice(report, converted, mnist) -> None:
    import keras

    from converter.validate import validate_tflite

    out, converter_report = converted
    test = mnist.test.head(SLICE)
    model = keras.models.load_model(converter_report.model)
    keras_labels = model.predict(test.images.astype(np.float32), verbose=0).argmax(1)
    for name in ("float32", "float16", "dynamic", "int8"):
        blob = (out / FORMATS[name].file_name).read_bytes()
        expected = validate_tflite(blob, test, keras_labels)
        row = report.row(f"tflite-{name}")
        assert row.accuracy == pytest.approx(expected.accuracy, abs=1e-9)
        assert row.agreement_with_keras == pytest.approx(expected.agreement_with_keras, abs=1e-9)
        assert row.accuracy_on == f"MNIST test ({SLICE})"
        assert row.size_bytes == (out / FORMATS[name].file_name).stat().st_size
    assert report.row("keras-predict").accuracy == pytest.approx(
        np.mean(keras_labels == test.labels), abs=1e-9
    )
    assert report.row("int8-bare").accuracy == report.row("tflite-int8").accuracy
    assert report.row("edge-full").accuracy_on == "camera pages (8)"


@pytest.mark.tf
def test_real_set_accuracy_is_the_classifier_reading_each_photo(report, converted) -> None:
    from benchmarks.realset import load_real_set, score_model

    out, _ = converted
    expected = score_model(out / FORMATS["int8"].file_name, load_real_set(REAL_DIR))
    row = report.row("tflite-int8")
    assert expected.digits_written >= 100
    assert row.real_digits == expected.digits_written
    assert row.real_accuracy == pytest.approx(expected.character_accuracy, abs=1e-6)
    assert report.row("edge-full").real_accuracy is None  # camera pages, not photos of numbers
    assert report.row("keras-call").real_accuracy is None  # the runtime reads TFLite only


@pytest.mark.tf
def test_missing_files_and_libraries_are_rows_not_crashes(
    tmp_path, converted, mnist, monkeypatch
) -> None:
    out, _ = converted
    int8_file = FORMATS["int8"].file_name
    shutil.copy(out / int8_file, tmp_path / int8_file)
    (tmp_path / FORMATS["float16"].file_name).write_bytes(b"broken model file")

    def no_tensorflow():
        raise ImportError("No module named 'tensorflow'")

    monkeypatch.setattr(formats_module, "import_tensorflow", no_tensorflow)
    options = BenchOptions(
        models_dir=tmp_path,
        runs=5,
        warmup=1,
        test_images=100,
        camera_images=3,
        measure_memory=False,
    )
    rows = {row.format: row for row in run_bench(options, mnist).rows}
    assert rows["keras-predict"].status == "missing"
    assert rows["keras-predict"].reason == "TensorFlow not installed"
    assert (
        rows["tflite-float32"].status == "missing" and "not found" in rows["tflite-float32"].reason
    )
    assert rows["tflite-float16"].status == "failed" and "TFL3" in rows["tflite-float16"].reason
    assert rows["cnn-int8"].status == "missing" and "--preset cnn-small" in rows["cnn-int8"].reason
    assert rows["tflite-int8"].status == "ok" and rows["tflite-int8"].agreement_with_keras is None
    assert rows["tflite-int8"].speedup_vs_keras_predict is None


def test_latency_stats_are_ordered() -> None:
    stats = LatencyStats.from_samples([5.0, 1.0, 2.0, 3.0, 100.0, 4.0])
    assert stats.p50_ms <= stats.p90_ms <= stats.p99_ms <= 100.0
    assert stats.mean_ms == pytest.approx(115 / 6, abs=1e-4)


@pytest.mark.tf
def test_cli_writes_every_output_and_they_parse(tmp_path, converted, small_model, mnist) -> None:
    out, _ = converted
    result = CliRunner().invoke(
        bench_cli,
        [
            "--models-dir",
            str(out),
            "--keras-model",
            str(small_model),
            "--formats",
            "tflite-int8",
            "--formats",
            "tflite-float32",
            "--formats",
            "keras-call",
            "--runs",
            "5",
            "--warmup",
            "1",
            "--test-images",
            "200",
            "--no-memory",
            "--out",
            str(tmp_path),
        ],
        env={"DIGITS_DATA_DIR": mnist.source},
    )
    assert result.exit_code == 0, result.output
    assert "tflite-int8" in result.output and "Wrote" in result.output
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert [row["format"] for row in saved["rows"]] == [
        "keras-call",
        "tflite-float32",
        "tflite-int8",
    ]
    with open(tmp_path / "bench.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["format"] for row in rows] == ["keras-call", "tflite-float32", "tflite-int8"]
    assert float(rows[2]["p50_ms"]) == saved["rows"][2]["latency"]["p50_ms"]
    markdown = (tmp_path / "bench.md").read_text()
    assert markdown.startswith("| format |") and markdown.count("\n| ") == 3  # one per row
    assert (tmp_path / "bench.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(tmp_path.glob("*.part*"))


@pytest.mark.tf
def test_any_model_file_is_an_extra_row(tmp_path, converted, mnist) -> None:
    """--model adds a DigitClassifier row per file, scored like our own rows."""
    out, _ = converted
    theirs = tmp_path / "their_mnist.tflite"
    shutil.copy(out / FORMATS["dynamic"].file_name, theirs)
    options = BenchOptions(
        models_dir=out,
        formats=("tflite-dynamic",),
        models=(theirs, tmp_path / "gone.tflite"),
        runs=5,
        warmup=1,
        test_images=300,
        measure_memory=True,
    )
    rows = {row.format: row for row in run_bench(options, mnist).rows}
    assert list(rows) == ["tflite-dynamic", "model:their_mnist.tflite", "model:gone.tflite"]
    ours, extra = rows["tflite-dynamic"], rows["model:their_mnist.tflite"]
    assert extra.status == "ok" and extra.file == str(theirs)
    assert extra.accuracy == ours.accuracy and extra.accuracy_on == "MNIST test (300)"
    assert extra.peak_rss_mb is not None and extra.peak_rss_mb > 10
    assert rows["model:gone.tflite"].status == "missing"
    assert "run digits-convert" not in rows["model:gone.tflite"].reason


def test_cli_rejects_a_missing_model_file(tmp_path) -> None:
    result = CliRunner().invoke(bench_cli, ["--model", str(tmp_path / "none.tflite")])
    assert result.exit_code == 2 and "does not exist" in result.output


@pytest.mark.tf
def test_ablation_row_reads_a_trained_run_and_the_real_set(small_model) -> None:
    from benchmarks.ablation import ablation_row, markdown
    from benchmarks.realset import load_real_set
    from edge_runtime.errors import ContractWarning

    metrics = json.loads((small_model.parent / "metrics.json").read_text())
    with warnings.catch_warnings():
        # The contract is embedded: the runtime reads it instead of probing (and warning).
        warnings.simplefilter("error", ContractWarning)
        row = ablation_row(small_model.parent, load_real_set(REAL_DIR))
    assert (small_model.parent / "digits_float32.tflite").read_bytes()[4:8] == b"TFL3"
    assert row.mnist_test == metrics["test_accuracy"] and row.recipe == "none"
    assert row.architecture == "784-100-10" and row.real_digits_written >= 100
    assert 0.3 < row.real_digits <= 1 and 0.3 < row.real_classified <= 1
    assert f"| {row.mnist_test:.2%} |" in markdown([row])


@pytest.mark.tf
def test_ablation_adds_int8_columns_for_a_converted_run(small_model, converted, tmp_path) -> None:
    import shutil

    from benchmarks.ablation import ablation_row, markdown
    from benchmarks.realset import load_real_set

    conversions, report = converted
    run = tmp_path / "run"
    shutil.copytree(small_model.parent, run)
    bare = ablation_row(run, load_real_set(REAL_DIR))
    assert bare.int8_mnist is None and "| - | - | - |" in markdown([bare])
    for name in ("digits_int8.tflite", "convert_report.json"):
        shutil.copy(conversions / name, run / name)
    row = ablation_row(run, load_real_set(REAL_DIR))
    assert row.int8_mnist == report.result("int8").validation.accuracy
    assert row.int8_real_digits is not None and abs(row.int8_real_digits - row.real_digits) < 0.05
    assert f"| {row.int8_mnist:.2%} |" in markdown([row])
