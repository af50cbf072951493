"""digits-inspect and the model-input options, on the bundled model (no TensorFlow needed)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from benchmarks.model_card import main as inspect_cli
from edge_runtime.cli import main as classify_cli

pytest.importorskip("ai_edge_litert", reason="needs the 'edge' extra (ai-edge-litert)")


def test_card_of_the_bundled_model_shows_tensors_ops_metadata_and_contract() -> None:
    result = CliRunner().invoke(inspect_cli, [], env={"DIGITS_DATA_DIR": ""})
    assert result.exit_code == 0, result.output
    text = result.output
    assert "uint8 [1,28,28]  scale 1 zero point 0" in text
    assert "FULLY_CONNECTED×3" in text and "SOFTMAX" in text
    assert "digits-edge (entries:" in text and "labels.txt" in text
    assert "preset=best" in text and "from metadata" in text
    card = json.loads(
        CliRunner().invoke(inspect_cli, ["--json"], env={"DIGITS_DATA_DIR": ""}).output
    )
    assert card["contract"]["source"] == "metadata" and card["contract"]["input_range"] == [0, 255]
    assert card["metadata"]["provenance"]["test_accuracy"] == 0.9931
    assert card["inputs"][0]["dtype"] == "uint8" and card["outputs"][0]["shape"] == [1, 10]
    assert "mnist_accuracy" not in card


def test_options_override_metadata_and_bad_ranges_are_usage_errors(tmp_path) -> None:
    pinned = CliRunner().invoke(inspect_cli, ["--json", "--input-range", "0:1", "--invert-input"])
    contract = json.loads(pinned.output)["contract"]
    assert contract["source"] == "options" and contract["invert"] is True
    assert contract["input_range"] == pytest.approx([0, 1])
    for bad in ("1:0", "zero:one", "0:1:2"):
        result = CliRunner().invoke(classify_cli, ["--input-range", bad, "x.png"])
        assert result.exit_code == 2 and "--input-range" in result.output, bad
    missing = CliRunner().invoke(inspect_cli, [str(tmp_path / "none.tflite")])
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_accuracy_on_mnist_when_the_data_is_at_hand(mnist) -> None:
    result = CliRunner().invoke(
        inspect_cli, ["--json", "--test-images", "500"], env={"DIGITS_DATA_DIR": mnist.source}
    )
    assert result.exit_code == 0, result.output
    score = json.loads(result.output)["mnist_accuracy"]
    assert score["images"] == 500 and score["accuracy"] > 0.97
