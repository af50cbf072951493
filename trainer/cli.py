"""``digits-train``: train a dense MNIST model and write it with its metrics and plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from edge_runtime.clikit import progress_bar, quiet_tensorflow, user_errors
from trainer.data import load_mnist
from trainer.download import ProgressCallback
from trainer.models import ACTIVATIONS, PRESETS, parse_hidden
from trainer.training import DEFAULT_SEED, TrainOptions, train

EPILOG = """\b
Examples:
  digits-train                               # the 'best' preset on full MNIST
  digits-train --preset mlp-128-64 --out artifacts/mlp
  digits-train --hidden 512,256 --dropout 0.2 --epochs 15
  digits-train --limit 5000 --epochs 2       # a quick smoke run on a slice
  digits-train --data-dir ~/data/mnist --json

\b
Data is searched in: --data-dir, $DIGITS_DATA_DIR, the user cache, Keras's
~/.keras/datasets/mnist.npz; otherwise mnist.npz is downloaded (sha256-checked).
"""


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with the MNIST IDX files or mnist.npz [searched; downloaded if absent].",
)


class DownloadProgress:
    """A byte progress bar for the MNIST download, drawn from the first callback on."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.seen = 0

    def __call__(self, received: int, total: int | None) -> None:
        if self.bar is None:
            self.bar = progress_bar(total, "downloading mnist.npz", enabled=self.enabled, unit="B")
        self.bar.update(received - self.seen)
        self.seen = received
        if total is not None and received >= total:
            self.bar.close()


def download_progress(enabled: bool) -> ProgressCallback:
    """A callback drawing a byte progress bar for the MNIST download."""
    return DownloadProgress(enabled)


def _hidden(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int, ...] | None:
    if value is None:
        return None
    try:
        return parse_hidden(value)
    except Exception as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from e


@click.command(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--preset",
    type=click.Choice(sorted(PRESETS)),
    default="best",
    show_default=True,
    help="Architecture and training recipe.",
)
@click.option(
    "--hidden",
    callback=_hidden,
    metavar="SIZES",
    help="Custom hidden layer sizes, e.g. 512,256 (overrides the preset's).",
)
@click.option("--dropout", type=click.FloatRange(0.0, 0.9), help="Dropout after each hidden layer.")
@click.option("--activation", type=click.Choice(ACTIVATIONS), help="Hidden-layer activation.")
@click.option("--epochs", type=click.IntRange(min=1), help="Maximum epochs [preset's default].")
@click.option("--batch-size", type=click.IntRange(min=1), help="Batch size [preset's default].")
@click.option(
    "--augment/--no-augment",
    default=None,
    help="Random shifts, rotations and scaling while training [on for 'best'].",
)
@click.option(
    "--limit",
    type=click.IntRange(min=20),
    metavar="N",
    help="Train on the first N training images only (quick runs).",
)
@click.option(
    "--validation-split",
    type=click.FloatRange(0.01, 0.49),
    default=0.1,
    show_default=True,
    help="Fraction of training images held out for early stopping.",
)
@click.option(
    "--patience",
    type=click.IntRange(min=1),
    help="Epochs without validation improvement before stopping early [preset's default].",
)
@click.option(
    "--seed",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="Seed for shuffling, initialisation and augmentation.",
)
@data_dir_option
@click.option("--no-download", is_flag=True, help="Fail instead of downloading MNIST.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("artifacts"),
    show_default=True,
    help="Output folder.",
)
@click.option("--quiet", is_flag=True, help="No Keras progress output.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def main(
    preset: str,
    hidden: tuple[int, ...] | None,
    dropout: float | None,
    activation: str | None,
    epochs: int | None,
    batch_size: int | None,
    augment: bool | None,
    limit: int | None,
    validation_split: float,
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
        spec = PRESETS[preset].with_overrides(hidden=hidden, dropout=dropout, activation=activation)
        data = load_mnist(
            data_dir, download=not no_download, progress=download_progress(not as_json)
        )
        options = TrainOptions(
            spec=spec,
            out_dir=out_dir,
            epochs=epochs or spec.epochs,
            batch_size=batch_size or spec.batch_size,
            seed=seed,
            limit=limit,
            validation_fraction=validation_split,
            patience=patience,
            augment=spec.augment if augment is None else augment,
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
