"""The converter on a small model trained on real MNIST: formats, report, C array, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from converter.calibration import balanced_indices, calibration_images
from converter.cli import main as convert_cli
from converter.convert import FORMATS, load_keras_model
from converter.errors import ConversionError

pytestmark = pytest.mark.tf  # every converter test runs TensorFlow


def _tf_interpreter(path: Path):
    """TensorFlow's own interpreter: an independent check on our runtime's numbers."""
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    return interpreter


def test_every_format_is_written_with_its_name(converted) -> None:
    out, report = converted
    assert [r.format for r in report.results] == list(FORMATS)
    for result in report.results:
        path = Path(result.file)
        assert path.name == FORMATS[result.format].file_name and path.parent == out
        assert path.stat().st_size == result.size_bytes
        assert path.read_bytes()[4:8] == b"TFL3"
    assert not list(out.glob("*.part*"))


def test_interpreter_dtypes_and_quantisation(converted) -> None:
    out, _ = converted
    for name in ("float32", "float16", "dynamic"):
        interpreter = _tf_interpreter(out / FORMATS[name].file_name)
        assert interpreter.get_input_details()[0]["dtype"] == np.float32
        assert interpreter.get_output_details()[0]["dtype"] == np.float32
    int8 = _tf_interpreter(out / "digits_int8.tflite")
    inp, outp = int8.get_input_details()[0], int8.get_output_details()[0]
    assert inp["dtype"] == np.uint8 and outp["dtype"] == np.uint8
    # Calibrated on raw 0-255 pixels: the uint8 input is the pixel itself.
    assert inp["quantization"] == (1.0, 0)
    assert outp["quantization"][0] == pytest.approx(1 / 256)
    # Full integer: no float tensors anywhere between the quantised input and output.
    internal = [t for t in int8.get_tensor_details() if t["dtype"] == np.float32]
    assert internal == []


def test_int16x8_has_int16_activations_int8_weights_and_float_io(converted) -> None:
    out, report = converted
    interpreter = _tf_interpreter(out / "digits_int16x8.tflite")
    assert interpreter.get_input_details()[0]["dtype"] == np.float32
    assert interpreter.get_output_details()[0]["dtype"] == np.float32
    dtypes = [t["dtype"] for t in interpreter.get_tensor_details()]
    assert dtypes.count(np.int16) >= 3  # input, hidden and output activations
    assert np.int8 in dtypes and np.uint8 not in dtypes
    result = report.result("int16x8")
    assert abs(result.accuracy_drop_pp) <= 0.2
    assert result.validation.agreement_with_keras >= 0.995


def test_report_matches_an_independent_computation(converted, mnist) -> None:
    out, report = converted
    saved = json.loads((out / "convert_report.json").read_text())
    assert saved["test_images"] == 10000
    import keras

    model = keras.models.load_model(report.model)
    keras_pred = model.predict(mnist.test.images.astype(np.float32), verbose=0).argmax(1)
    assert saved["keras_accuracy"] == pytest.approx(np.mean(keras_pred == mnist.test.labels))
    interpreter = _tf_interpreter(out / "digits_int8.tflite")
    index_in = interpreter.get_input_details()[0]["index"]
    index_out = interpreter.get_output_details()[0]["index"]
    predicted = []
    for image in mnist.test.images:
        interpreter.set_tensor(index_in, image[np.newaxis])
        interpreter.invoke()
        predicted.append(int(interpreter.get_tensor(index_out).argmax()))
    int8_row = next(r for r in saved["results"] if r["format"] == "int8")
    assert int8_row["validation"]["accuracy"] == pytest.approx(
        np.mean(np.array(predicted) == mnist.test.labels), abs=1e-6
    )
    assert int8_row["validation"]["agreement_with_keras"] == pytest.approx(
        np.mean(np.array(predicted) == keras_pred), abs=1e-6
    )


def test_int8_agrees_with_keras_and_is_small(converted) -> None:
    _, report = converted
    int8, f16 = report.result("int8"), report.result("float16")
    assert int8.validation.agreement_with_keras >= 0.99
    assert abs(int8.accuracy_drop_pp) <= 0.5
    assert int8.size_vs_float32 is not None and int8.size_vs_float32 <= 0.30
    assert f16.size_vs_float32 is not None and f16.size_vs_float32 <= 0.55
    assert report.result("float32").validation.agreement_with_keras >= 0.999


def test_calibration_is_balanced_seeded_and_from_training_data(mnist) -> None:
    indices = balanced_indices(mnist.train.labels, 500, seed=7)
    assert len(set(indices.tolist())) == 500
    assert np.bincount(mnist.train.labels[indices], minlength=10).tolist() == [50] * 10
    np.testing.assert_array_equal(indices, balanced_indices(mnist.train.labels, 500, seed=7))
    assert not np.array_equal(indices, balanced_indices(mnist.train.labels, 500, seed=8))
    uneven = np.bincount(mnist.train.labels[balanced_indices(mnist.train.labels, 503, 1)])
    assert uneven.tolist() == [51, 51, 51] + [50] * 7
    images = calibration_images(mnist.train, 20, seed=3)
    np.testing.assert_array_equal(
        images[0], mnist.train.images[balanced_indices(mnist.train.labels, 20, 3)[0]]
    )


def test_report_records_training_calibration(converted) -> None:
    out, _ = converted
    calibration = json.loads((out / "convert_report.json").read_text())["calibration"]
    assert calibration["split"] == "train" and calibration["samples"] == 200
    assert calibration["per_class"] == [20] * 10


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_c_array_compiles_and_holds_the_model(converted, tmp_path: Path) -> None:
    out, report = converted
    assert sorted(Path(p).name for p in report.c_array) == ["digits_int8.cc", "digits_int8.h"]
    program = tmp_path / "check.c"
    program.write_text(
        '#include <stdio.h>\n#include <string.h>\n#include <stdint.h>\n#include "digits_int8.h"\n'
        "int main(void) {\n"
        '  if (memcmp(g_digits_int8_model + 4, "TFL3", 4) != 0) return 2;\n'
        "  if (((uintptr_t)g_digits_int8_model) % 16 != 0) return 3;\n"
        '  printf("%u\\n", g_digits_int8_model_len);\n  return 0;\n}\n'
    )
    binary = tmp_path / "check"
    subprocess.run(
        [
            "gcc",
            "-c",
            "-x",
            "c++",
            "-std=c++11",
            str(out / "digits_int8.cc"),
            "-o",
            str(tmp_path / "model.o"),
            f"-I{out}",
        ],
        check=True,
    )
    subprocess.run(
        ["gcc", str(program), str(tmp_path / "model.o"), f"-I{out}", "-o", str(binary)], check=True
    )
    run = subprocess.run([str(binary)], capture_output=True, text=True)
    assert run.returncode == 0
    assert int(run.stdout) == (out / "digits_int8.tflite").stat().st_size


def test_failed_conversion_leaves_no_file(mnist, small_model, tmp_path: Path, monkeypatch) -> None:
    import converter.pipeline as pipeline
    from converter.pipeline import ConvertOptions, run_conversion

    real_convert = pipeline.convert

    def fail_on_int8(model, name, **kwargs):
        if name == "int8":
            raise ConversionError("simulated converter crash on int8")
        return real_convert(model, name, **kwargs)

    monkeypatch.setattr(pipeline, "convert", fail_on_int8)
    with pytest.raises(ConversionError, match="simulated"):
        run_conversion(ConvertOptions(small_model, tmp_path / "out", ("float32", "int8")), mnist)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(("max_drop", "exit_code"), [(1.5, 1), (2.5, 0)])
def test_max_drop_decides_the_exit_status(
    mnist, small_model, tmp_path: Path, monkeypatch, max_drop: float, exit_code: int
) -> None:
    """int8 is made to lose exactly 2 accuracy points, so each limit has one right outcome."""
    import dataclasses

    import converter.pipeline as pipeline

    real_validate = pipeline.validate_tflite

    def two_points_worse(model_bytes, test, keras_predictions, **kwargs):
        validation = real_validate(model_bytes, test, keras_predictions, **kwargs)
        keras_accuracy = float(np.mean(keras_predictions == test.labels))
        return dataclasses.replace(validation, accuracy=keras_accuracy - 0.02)

    monkeypatch.setattr(pipeline, "validate_tflite", two_points_worse)
    args = [str(small_model), "-q", "int8", "--calibration-samples", "10", "--out", str(tmp_path)]
    result = CliRunner().invoke(
        convert_cli, [*args, "--max-drop", str(max_drop)], env={"DIGITS_DATA_DIR": mnist.source}
    )
    assert result.exit_code == exit_code, result.output
    report = json.loads((tmp_path / "convert_report.json").read_text())
    assert report["results"][0]["accuracy_drop_pp"] == pytest.approx(2.0, abs=1e-3)
    if exit_code:
        assert "2.00 points below Keras" in result.output
        assert f"allowed --max-drop {max_drop}" in result.output
        assert "Traceback" not in result.output


def test_cli_default_model_missing_says_run_digits_train(tmp_path: Path, mnist) -> None:
    with CliRunner().isolated_filesystem(temp_dir=tmp_path):
        result = CliRunner().invoke(
            convert_cli, ["--quantize", "int8"], env={"DIGITS_DATA_DIR": mnist.source}
        )
    assert result.exit_code == 1
    assert "run digits-train first" in result.output and "Traceback" not in result.output


def test_corrupt_and_non_keras_files_fail_clearly(tmp_path: Path, mnist) -> None:
    corrupt = tmp_path / "model.keras"
    corrupt.write_bytes(b"PK\x03\x04 this is not a keras archive")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    for path in (corrupt, text):
        result = CliRunner().invoke(convert_cli, [str(path)], env={"DIGITS_DATA_DIR": mnist.source})
        assert result.exit_code == 1, result.output
        assert "is not a readable Keras model" in result.output


def test_wrong_shape_model_is_rejected(tmp_path: Path) -> None:
    import keras

    model = keras.Sequential(
        [keras.Input((32, 32)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    model.save(tmp_path / "wrong.keras")
    with pytest.raises(ConversionError, match=r"expected input shape.*got \(None, 32, 32\)"):
        load_keras_model(tmp_path / "wrong.keras")
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(3)])
    model.save(tmp_path / "three.keras")
    with pytest.raises(ConversionError, match=r"expected output shape \(None, 10\)"):
        load_keras_model(tmp_path / "three.keras")


def test_flat_784_input_model_converts(tmp_path: Path, mnist) -> None:
    import keras

    from converter.convert import convert
    from edge_runtime.interpreter import TFLiteModel

    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    blob = convert(
        model, "int8", calibration=calibration_images(mnist.train, 50, 0).reshape(50, 784)
    )
    probabilities = TFLiteModel(blob).predict(mnist.test.images[:4])
    assert probabilities.shape == (4, 10)
    assert probabilities.sum(axis=1) == pytest.approx(np.ones(4), abs=1e-5)


def test_c_array_needs_int8(tmp_path: Path, small_model, mnist) -> None:
    result = CliRunner().invoke(
        convert_cli,
        [str(small_model), "-q", "float32", "--c-array"],
        env={"DIGITS_DATA_DIR": mnist.source},
    )
    assert result.exit_code == 1 and "--c-array writes the int8 model" in result.output


def test_runtime_reads_every_format_alike(converted, mnist) -> None:
    """Float and quantised models through DigitClassifier: probabilities sum to 1, same digits."""
    from edge_runtime import DigitClassifier

    out, _ = converted
    images = [mnist.test.images[i] for i in range(50)]
    digits = {}
    for name in FORMATS:
        classifier = DigitClassifier(out / FORMATS[name].file_name)
        predictions = [classifier.classify(image) for image in images]
        assert all(abs(sum(p.probabilities) - 1) < 1e-4 for p in predictions), name
        digits[name] = [p.digit for p in predictions]
    reference = digits["float32"]
    for name, found in digits.items():
        assert sum(a == b for a, b in zip(found, reference, strict=True)) >= 48, name
