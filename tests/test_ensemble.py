"""Training options for the best dense model: branches averaged in one model, label
smoothing and bfloat16 training (the saved model stays plain float32)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from trainer.cli import main as train_cli
from trainer.errors import TrainingError
from trainer.models import PRESETS, build_model, build_training_model


def test_cli_rejects_bad_branch_precision_and_smoothing() -> None:
    runner = CliRunner()
    assert runner.invoke(train_cli, ["--branches", "0"]).exit_code == 2
    bad = runner.invoke(train_cli, ["--precision", "fp8"])
    assert bad.exit_code == 2 and "'fp8' is not one of" in bad.output
    assert runner.invoke(train_cli, ["--label-smoothing", "0.9"]).exit_code == 2


@pytest.mark.tf
def test_bad_spec_values_are_training_errors() -> None:
    with pytest.raises(TrainingError, match="branches must be at least 1, got 0"):
        build_model(replace(PRESETS["mlp-100"], branches=0))
    with pytest.raises(TrainingError, match="precision must be one of"):
        build_model(replace(PRESETS["mlp-100"], precision="float8"))


@pytest.mark.tf
def test_branches_are_averaged_inside_the_saved_model() -> None:
    import keras

    spec = replace(PRESETS["mlp-100"], hidden=(32,), branches=3)
    fit_model, model = build_training_model(spec)
    assert model.output_shape == (None, 10) and fit_model.output_shape == (None, 3, 10)
    assert len([layer for layer in model.layers if layer.name.endswith("dense_1")]) == 3
    images = np.random.default_rng(0).integers(0, 256, (8, 28, 28)).astype(np.float32)
    per_branch = np.asarray(fit_model(images))
    averaged = np.asarray(model(images))
    np.testing.assert_allclose(averaged, per_branch.mean(axis=1), rtol=1e-5, atol=1e-6)
    # The branches start from different weights, so they are different ensemble members.
    assert not np.allclose(per_branch[:, 0], per_branch[:, 1])
    # One branch: the plain model, with the layer names the converter and tests know.
    plain_fit, plain = build_training_model(PRESETS["mlp-100"])
    assert plain_fit is plain and plain.get_layer("dense_1").units == 100
    assert isinstance(plain.get_layer("probabilities"), keras.layers.Dense)


@pytest.mark.tf
def test_cross_entropy_scores_each_branch_and_smooths_labels() -> None:
    import keras

    from trainer.objectives import cross_entropy, ensemble_accuracy

    probabilities = np.array(
        [[[0.7, 0.2, 0.1] + [0.0] * 7, [0.1, 0.8, 0.1] + [0.0] * 7]], np.float32
    )  # one image, two branches
    labels = np.array([0])
    loss = float(np.asarray(cross_entropy()(labels, probabilities))[0])
    assert loss == pytest.approx((-np.log(0.7) - np.log(0.1)) / 2, rel=1e-5)
    flat = probabilities[:, 0]
    keras_loss = keras.losses.sparse_categorical_crossentropy(labels, flat)
    assert float(np.asarray(cross_entropy()(labels, flat))[0]) == pytest.approx(
        float(np.asarray(keras_loss)[0]), rel=1e-5
    )
    smoothed = float(np.asarray(cross_entropy(0.1)(labels, flat))[0])
    clipped = np.clip(flat[0], 1e-7, 1.0)
    expected = -(0.91 * np.log(clipped[0]) + 0.01 * np.log(clipped[1:]).sum())
    assert smoothed == pytest.approx(expected, rel=1e-5)
    # Accuracy is the averaged model's: branch means (0.4, 0.5, ...) pick class 1, not 0.
    metric = ensemble_accuracy()
    metric.update_state(labels, probabilities)
    assert float(metric.result()) == 0.0 and metric.name == "accuracy"


@pytest.mark.tf
def test_bfloat16_two_branch_run_saves_a_float32_model_that_learns(mnist, tmp_path: Path) -> None:
    import keras

    result = CliRunner().invoke(
        train_cli,
        [
            *("--preset", "best", "--hidden", "256,256", "--branches", "2"),
            *("--precision", "mixed_bfloat16", "--label-smoothing", "0.1"),
            *("--limit", "4000", "--epochs", "2", "--batch-size", "128"),
            *("--out", str(tmp_path), "--json"),
        ],
        env={"DIGITS_DATA_DIR": mnist.source},
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["architecture"]["branches"] == 2
    assert metrics["architecture"]["precision"] == "mixed_bfloat16"
    history = json.loads((tmp_path / "history.json").read_text())
    assert "val_accuracy" in history and len(history["loss"]) == 2
    model = keras.models.load_model(tmp_path / "model.keras")
    assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}
    predicted = model.predict(mnist.test.images.astype(np.float32), verbose=0).argmax(axis=1)
    assert np.mean(predicted == mnist.test.labels) == pytest.approx(
        metrics["test_accuracy"], abs=1e-6
    )
    assert metrics["test_accuracy"] > 0.85


def test_best_elastic_is_best_with_elastic_distortions_and_a_full_schedule() -> None:
    best, elastic = PRESETS["best"], PRESETS["best-elastic"]
    assert replace(elastic, name="best", augment_recipe=best.augment_recipe, description="") == (
        replace(best, description="")
    )
    assert elastic.augment and elastic.augment_recipe == "elastic"
    # Early stopping never cuts the cosine schedule short of its annealed end.
    assert best.patience >= best.epochs and elastic.patience >= elastic.epochs
