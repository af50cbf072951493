"""Shared plumbing: atomic writes, native-log capture, the bundle command, start-up imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from edge_runtime.fileio import atomic_open, write_json_atomic
from edge_runtime.native_log import captured_native_stderr


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_json_atomic(target, {"version": 1})
    with pytest.raises(RuntimeError), atomic_open(target, "w") as handle:
        handle.write('{"version": 2, "half')
        raise RuntimeError("disk full halfway")
    assert json.loads(target.read_text()) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_native_stderr_is_captured_and_restored(capfd) -> None:
    with captured_native_stderr() as lines:
        os.write(2, b"Created TensorFlow Lite XNNPACK delegate for CPU.\n")
    os.write(2, b"after\n")
    assert lines == ["Created TensorFlow Lite XNNPACK delegate for CPU."]
    assert capfd.readouterr().err == "after\n"


def test_importing_the_clis_is_light() -> None:
    """--help must not pay for TensorFlow: the four CLIs import without it."""
    script = (
        "import sys, trainer.cli, converter.cli, edge_runtime.cli, benchmarks.cli\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_bundle_command_writes_a_validated_int8_model_where_told(
    tmp_path: Path, small_model, mnist
) -> None:
    from converter.bundle import main as bundle

    out = tmp_path / "pi" / "models"
    result = CliRunner().invoke(
        bundle,
        ["--model", str(small_model), "--out", str(out), "--json"],
        env={"DIGITS_DATA_DIR": mnist.source},
    )
    assert result.exit_code == 0, result.output
    info = json.loads((out / "digits_int8.json").read_text())
    assert json.loads(result.output.strip().splitlines()[-1])["model"] == str(
        out / "digits_int8.tflite"
    )
    assert info["rebuild"] == f"digits-bundle --model {small_model} --out {out}"
    assert info["input"]["dtype"] == "uint8" and info["calibration"]["split"] == "train"
    assert sorted(p.name for p in out.iterdir()) == [
        "build",
        "digits_int8.json",
        "digits_int8.tflite",
    ]
    model = out / "digits_int8.tflite"
    assert model.stat().st_size == info["size_bytes"]
    from edge_runtime import DigitClassifier

    classifier = DigitClassifier(model)
    digits = [classifier.classify(image).digit for image in mnist.test.images[:200]]
    measured = float(np.mean(np.array(digits) == mnist.test.labels[:200]))
    assert measured > 0.85  # a 3-epoch slice model; the full score is in the JSON
    # The file describes itself: contract and provenance read back without TensorFlow.
    assert classifier.contract.source == "metadata"
    provenance = classifier.model.metadata.provenance
    assert provenance["test_accuracy"] == info["int8_test_accuracy"]
    assert provenance["calibration"]["samples"] == info["calibration"]["samples"]
    # --add-metadata re-embeds it in place, keeping every prediction bit-identical.
    before = classifier.model.predict(mnist.test.images[:300])
    again = CliRunner().invoke(
        bundle, ["--out", str(out), "--add-metadata"], env={"DIGITS_DATA_DIR": mnist.source}
    )
    assert again.exit_code == 0 and "accuracy unchanged" in again.output, again.output
    np.testing.assert_array_equal(
        DigitClassifier(model).model.predict(mnist.test.images[:300]), before
    )
    assert model.stat().st_size == json.loads((out / "digits_int8.json").read_text())["size_bytes"]


def test_shipped_model_scores_what_its_metadata_says(mnist) -> None:
    """The bundled model is run on all 10,000 MNIST test images; the JSON must match that."""
    from edge_runtime.classifier import bundled_model_path
    from edge_runtime.interpreter import TFLiteModel

    model_path = bundled_model_path()
    info = json.loads(model_path.with_suffix(".json").read_text())
    assert model_path.stat().st_size == info["size_bytes"]
    model = TFLiteModel(model_path)
    assert model.contract.source == "metadata" and model.contract.pixels.bounds == (0, 255)
    assert model.metadata.provenance["test_accuracy"] == info["int8_test_accuracy"]
    predictions = np.concatenate(
        [model.predict(batch).argmax(axis=1) for batch in np.array_split(mnist.test.images, 20)]
    )
    measured = float(np.mean(predictions == mnist.test.labels))
    assert measured == pytest.approx(info["int8_test_accuracy"], abs=5e-4)
    assert measured >= 0.99


def test_edge_extra_does_not_pull_tensorflow() -> None:
    """A Pi installs '.[edge]': none of its requirements may be TensorFlow or Keras."""
    from importlib import metadata

    requirements = metadata.requires("digits-edge") or []
    edge = [r for r in requirements if 'extra == "edge"' in r]
    base = [r for r in requirements if "extra ==" not in r]
    assert edge, "the edge extra must exist"
    for requirement in edge + base:
        name = requirement.split(";")[0].strip().lower()
        assert not name.startswith(("tensorflow", "keras")), requirement


def test_atomic_files_get_ordinary_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        path = write_json_atomic(tmp_path / "x.json", {})
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644
