"""The trainer: a real short training run on a slice of real MNIST, its outputs and its CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import write_idx_set

from trainer.cli import main as train_cli
from trainer.errors import TrainingError
from trainer.models import PRESETS, build_model, parse_hidden
from trainer.tfenv import DEFAULT_SEED


@pytest.fixture(scope="module")
def trained(tmp_path_factory, mnist):
    """mlp-128-64 trained on 5,000 real MNIST images for 2 epochs, through the CLI."""
    out = tmp_path_factory.mktemp("train")
    result = CliRunner().invoke(
        train_cli,
        ["--preset", "mlp-128-64", "--limit", "5000", "--epochs", "2", "--out", str(out), "--json"],
        env={"DIGITS_DATA_DIR": mnist.source},
    )
    assert result.exit_code == 0, result.output
    return out, json.loads(result.output.strip().splitlines()[-1])


@pytest.mark.tf
def test_slice_training_beats_90_percent_on_full_test_set(trained, mnist) -> None:
    out, summary = trained
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_images"] == len(mnist.test) == 10000
    assert metrics["test_accuracy"] > 0.90
    assert summary["test_accuracy"] == metrics["test_accuracy"]
    assert metrics["train_images"] + metrics["validation_images"] == 5000
    assert metrics["seed"] == DEFAULT_SEED and metrics["preset"] == "mlp-128-64"
    matrix = np.array(metrics["confusion_matrix"])
    assert matrix.sum() == 10000
    assert np.trace(matrix) / 10000 == pytest.approx(metrics["test_accuracy"], abs=1e-6)
    assert [row["support"] for row in metrics["per_class"]] == matrix.sum(axis=1).tolist()
    assert {"tensorflow", "keras", "numpy"} <= set(metrics["versions"])


@pytest.mark.tf
def test_outputs_and_plots_are_written(trained) -> None:
    out, _ = trained
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 2 and "val_accuracy" in history
    for name in ("training_curves.png", "confusion_matrix.png", "predictions.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.glob("*.part*")), "no temporary files may be left behind"


@pytest.mark.tf
def test_saved_model_reloads_and_predicts_identically(trained, mnist) -> None:
    import keras

    out, _ = trained
    model = keras.models.load_model(out / "model.keras")
    images = mnist.test.images[:500].astype(np.float32)
    probabilities = model.predict(images, verbose=0)
    again = keras.models.load_model(out / "model.keras").predict(images, verbose=0)
    np.testing.assert_array_equal(probabilities, again)
    metrics = json.loads((out / "metrics.json").read_text())
    full = model.predict(mnist.test.images.astype(np.float32), verbose=0).argmax(axis=1)
    assert np.mean(full == mnist.test.labels) == pytest.approx(metrics["test_accuracy"], abs=1e-6)
    # Normalisation lives inside the model: raw 0-255 pixels go in, probabilities come out.
    assert probabilities.sum(axis=1) == pytest.approx(np.ones(500), abs=1e-4)


@pytest.mark.tf
def test_augmentation_is_not_part_of_the_saved_model() -> None:
    model = build_model(PRESETS["best"])
    names = [layer.__class__.__name__ for layer in model.layers]
    assert not any(name.startswith("Random") for name in names)
    assert names[:3] == ["InputLayer", "Rescaling", "Flatten"]


@pytest.mark.tf
def test_augmented_slice_run_still_learns(mnist, tmp_path: Path) -> None:
    """Guards the channel-axis pitfall: broken augmentation collapses accuracy to ~10%."""
    result = CliRunner().invoke(
        train_cli,
        [
            "--preset",
            "mlp-100",
            "--augment",
            "--limit",
            "3000",
            "--epochs",
            "2",
            "--out",
            str(tmp_path),
            "--json",
        ],
        env={"DIGITS_DATA_DIR": mnist.source},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["test_accuracy"] > 0.75


@pytest.mark.tf
@pytest.mark.parametrize(
    ("preset", "expected_hidden"),
    [
        ("base", ()),
        ("mlp-100", (100,)),
        ("mlp-128-64", (128, 64)),
        ("mlp-256-128-32", (256, 128, 32)),
    ],
)
def test_reference_presets_build_the_reference_architectures(preset, expected_hidden) -> None:
    model = build_model(PRESETS[preset])
    dense = [layer for layer in model.layers if layer.__class__.__name__ == "Dense"]
    assert tuple(layer.units for layer in dense[:-1]) == expected_hidden
    assert dense[-1].units == 10
    assert model.input_shape == (None, 28, 28)


def test_parse_hidden() -> None:
    assert parse_hidden("512, 256") == (512, 256)
    assert parse_hidden("") == ()
    with pytest.raises(TrainingError, match="512,x"):
        parse_hidden("512,x")


def test_cli_without_data_fails_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        train_cli, ["--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2  # a bad option value: click's usage error
    assert "--data-dir" in result.output and "does not exist" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(train_cli, ["--data-dir", str(empty), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert f"Error: {empty} holds no MNIST" in result.output
    assert not (tmp_path / "o").exists()


def test_cli_rejects_bad_options(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_hidden = runner.invoke(train_cli, ["--hidden", "12,abc"])
    assert bad_hidden.exit_code == 2 and "comma-separated integers" in bad_hidden.output
    bad_preset = runner.invoke(train_cli, ["--preset", "huge"])
    assert bad_preset.exit_code == 2 and "'huge' is not one of" in bad_preset.output
    bad_epochs = runner.invoke(train_cli, ["--epochs", "0"])
    assert bad_epochs.exit_code == 2


def test_cli_on_corrupt_data_fails_with_one_line(tmp_path: Path) -> None:
    write_idx_set(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    result = CliRunner().invoke(train_cli, ["--data-dir", str(tmp_path), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "train-images-idx3-ubyte.gz" in result.output
    assert "Traceback" not in result.output


def test_help_has_examples() -> None:
    result = CliRunner().invoke(train_cli, ["--help"])
    assert result.exit_code == 0 and "Examples:" in result.output and "--preset" in result.output


@pytest.mark.tf
@pytest.mark.parametrize(
    ("preset", "first_layer", "scale"),
    [("seed-100-raw", "Flatten", None), ("seed-100-unit", "Rescaling", 1 / 255)],
)
def test_scaling_ablation_presets_differ_only_in_input_scaling(preset, first_layer, scale) -> None:
    model = build_model(PRESETS[preset])
    layer = model.layers[1]
    assert layer.__class__.__name__ == first_layer
    if scale is not None:
        assert layer.scale == pytest.approx(scale)


@pytest.mark.tf
def test_standardised_preset_maps_mnist_mean_to_zero() -> None:
    model = build_model(PRESETS["seed-100-std"])
    scaled = model.layers[1](np.array([[33.318, 33.318 + 78.567]], np.float32))
    np.testing.assert_allclose(np.asarray(scaled), [[0.0, 1.0]], atol=1e-5)


@pytest.mark.tf
def test_cnn_preset_is_a_small_cnn_on_the_same_input_contract() -> None:
    model = build_model(PRESETS["cnn-small"])
    kinds = [layer.__class__.__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 2 and kinds.count("MaxPooling2D") == 2
    assert model.input_shape == (None, 28, 28) and model.output_shape == (None, 10)
    assert model.count_params() < 150_000


@pytest.mark.tf
def test_cnn_with_real_world_augmentation_learns_on_a_slice(mnist, tmp_path: Path) -> None:
    """The CNN path and the 'real' recipe (elastic, slant, thickness, runtime parity) train."""
    result = CliRunner().invoke(
        train_cli,
        [
            *("--preset", "cnn-small", "--recipe", "real", "--limit", "5000", "--epochs", "2"),
            *("--out", str(tmp_path), "--json"),
        ],
        env={"DIGITS_DATA_DIR": mnist.source},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["test_accuracy"] > 0.80
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["augment_recipe"] == "real" and metrics["augment_settings"]["parity"] is True


def test_unknown_recipe_is_a_usage_error() -> None:
    result = CliRunner().invoke(train_cli, ["--recipe", "sparkles"])
    assert result.exit_code == 2 and "'sparkles' is not one of" in result.output
