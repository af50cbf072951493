"""``digits-train``: train a dense MNIST model and write it with its metrics and plots."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

from edge_runtime.clikit import (
    choice_option,
    command,
    data_dir_option,
    download_progress,
    float_option,
    int_option,
    json_option,
    out_dir_option,
    seed_option,
    user_errors,
)
from edge_runtime.fileio import check_output_dir
from trainer.augment import RECIPES
from trainer.data import load_mnist
from trainer.models import ACTIVATIONS, PRECISIONS, PRESETS, parse_hidden
from trainer.tfenv import DEFAULT_SEED, quiet_tensorflow
from trainer.training import TrainOptions, train

EPILOG = """\b
Examples:
  digits-train                               # the 'best' preset on full MNIST
  digits-train --preset mlp-128-64 --out artifacts/mlp
  digits-train --hidden 512,256 --dropout 0.2 --epochs 15
  digits-train --limit 5000 --epochs 2       # a quick smoke run on a slice
  digits-train --preset seed-128-64          # one of the seeds' experiments
  digits-train --preset cnn-small            # the small CNN
  digits-train --preset best-elastic         # + elastic distortions: 99.43% on MNIST
  digits-train --preset mlp-100 --recipe real  # elastic, slant, thickness, runtime parity
  digits-train --data-dir ~/data/mnist --json

\b
Data is searched in: --data-dir, $DIGITS_DATA_DIR, the user cache, Keras's
~/.keras/datasets/mnist.npz; otherwise mnist.npz is downloaded (sha256-checked).
"""


def _hidden(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int, ...] | None:
    if value is None:
        return None
    try:
        return parse_hidden(value)
    except Exception as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from e


@command(EPILOG)
@choice_option("--preset", sorted(PRESETS), "best", "Architecture and training recipe.")
@click.option(
    "--hidden",
    callback=_hidden,
    metavar="SIZES",
    help="Custom hidden layer sizes, e.g. 512,256 (overrides the preset's).",
)
@float_option("--dropout", None, "Dropout after each hidden layer.", min=0.0, max=0.9)
@choice_option("--activation", ACTIVATIONS, None, "Hidden-layer activation.")
@int_option(
    "--branches", None, "Parallel dense stacks averaged in one model [preset's].", min=1, max=8
)
@float_option(
    "--label-smoothing", None, "Share of each target spread over all classes.", min=0.0, max=0.5
)
@choice_option(
    "--precision", PRECISIONS, None, "Training arithmetic (the saved model is float32) [preset's]."
)
@int_option("--epochs", None, "Maximum epochs [preset's default].", min=1)
@int_option("--batch-size", None, "Batch size [preset's default].", min=1)
@click.option(
    "--augment/--no-augment",
    default=None,
    help="Augment training images on the fly [the preset's: on for 'best' and 'cnn-small'].",
)
@click.option(
    "--recipe",
    "augment_recipe",
    type=click.Choice(sorted(RECIPES)),
    help="Augmentation recipe (implies --augment) [the preset's; see README].",
)
@int_option("--limit", None, "Train on the first N training images only.", min=20, metavar="N")
@float_option(
    "--validation-split",
    None,
    "Fraction held out for early stopping [preset's: 0.1, 0.2 for seed-256-128-32].",
    min=0.01,
    max=0.49,
)
@int_option("--patience", None, "Epochs without improvement before stopping [preset's].", min=1)
@seed_option(DEFAULT_SEED, "Seed for shuffling, initialisation and augmentation.")
@data_dir_option()
@click.option("--no-download", is_flag=True, help="Fail instead of downloading MNIST.")
@out_dir_option(Path("artifacts"))
@click.option("--quiet", is_flag=True, help="No Keras progress output.")
@json_option()
def main(
    preset: str,
    hidden: tuple[int, ...] | None,
    dropout: float | None,
    activation: str | None,
    branches: int | None,
    label_smoothing: float | None,
    precision: str | None,
    epochs: int | None,
    batch_size: int | None,
    augment: bool | None,
    augment_recipe: str | None,
    limit: int | None,
    validation_split: float | None,
    patience: int | None,
    seed: int,
    data_dir: Path | None,
    no_download: bool,
    out_dir: Path,
    quiet: bool,
    as_json: bool,
) -> None:
    """Train a dense (fully connected) digit classifier on MNIST.

    Writes model.keras, history.json, metrics.json and PNG plots (learning
    curves, confusion matrix, test predictions) to --out. The saved model takes
    raw 0-255 pixels; normalisation is a layer inside it.
    """
    quiet_tensorflow()
    with user_errors():
        check_output_dir(out_dir)
        spec = PRESETS[preset].with_overrides(
            hidden=hidden, dropout=dropout, activation=activation, branches=branches
        )
        spec = replace(
            spec,
            label_smoothing=spec.label_smoothing if label_smoothing is None else label_smoothing,
            precision=precision or spec.precision,
        )
        data = load_mnist(
            data_dir, download=not no_download, progress=download_progress(not as_json)
        )
        if augment_recipe and augment is None:
            augment = augment_recipe != "none"
        options = TrainOptions(
            spec=spec,
            out_dir=out_dir,
            epochs=epochs or spec.epochs,
            batch_size=batch_size or spec.batch_size,
            seed=seed,
            limit=limit,
            validation_fraction=validation_split or spec.validation_split,
            patience=patience,
            augment=spec.augment if augment is None else augment,
            augment_recipe=augment_recipe,
            keras_verbose=0 if (quiet or as_json) else 2,
        )
        if not as_json:
            click.echo(
                f"Training '{spec.name}' (hidden {list(spec.hidden) or 'none'}) on "
                f"{len(data.train.head(limit))} images from {data.source}",
                err=True,
            )
        result = train(data, options)
    summary = {
        "preset": spec.name,
        "test_accuracy": result.test_accuracy,
        "test_loss": round(result.test_loss, 6),
        "epochs_run": result.epochs_run,
        "train_seconds": round(result.train_seconds, 1),
        "model": str(result.model_path),
        "metrics": str(result.metrics_path),
        "plots": [str(path) for path in result.plot_paths],
    }
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(
        f"Test accuracy {result.test_accuracy:.2%} (loss {result.test_loss:.4f}) after "
        f"{result.epochs_run} epochs in {result.train_seconds:.0f} s"
    )
    click.echo(f"Model:   {result.model_path}")
    click.echo(f"Metrics: {result.metrics_path}")
    for path in result.plot_paths:
        click.echo(f"Plot:    {path}")
    if result.plots_skipped_reason:
        click.echo(f"Plots skipped: {result.plots_skipped_reason}", err=True)


if __name__ == "__main__":
    main()
