"""``digits-inspect``: a model card in the terminal — tensors, ops, metadata, contract, accuracy.

Lives in ``benchmarks`` because the optional accuracy needs the trainer's MNIST reader;
the card itself is :mod:`edge_runtime.describe`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from edge_runtime.clikit import (
    command,
    data_dir_option,
    int_option,
    json_option,
    model_input_options,
    user_errors,
)

EPILOG = """\b
Examples:
  digits-inspect                              # the bundled model
  digits-inspect theirs.tflite                # any .tflite: how will it be fed?
  digits-inspect theirs.tflite --input-range 0:1 --no-invert-input
  DIGITS_DATA_DIR=../shared/mnist digits-inspect m.tflite --json   # + MNIST test accuracy
"""


@command(EPILOG)
@click.argument("model", required=False, type=click.Path(dir_okay=False, path_type=Path))
@model_input_options()
@data_dir_option()
@int_option("--test-images", None, "Score on the first N MNIST test images [all].", min=10)
@json_option("Print the card as JSON.")
def main(
    model: Path | None,
    input_range: tuple[float, float] | None,
    invert: bool | None,
    data_dir: Path | None,
    test_images: int | None,
    as_json: bool,
) -> None:
    """Describe MODEL (default: the bundled model): tensors with shapes, dtypes and
    quantisation, operators, size, metadata, the input contract in force and where it
    came from, and its MNIST test accuracy when --data-dir / $DIGITS_DATA_DIR is set.
    """
    from edge_runtime.classifier import bundled_model_path
    from edge_runtime.describe import format_card, model_card
    from edge_runtime.interpreter import TFLiteModel
    from edge_runtime.probe import ContractOptions

    with user_errors():
        loaded = TFLiteModel(
            model or bundled_model_path(),
            options=ContractOptions(input_range=input_range, invert=invert),
        )
        card = model_card(loaded)
        if data_dir is not None:
            from trainer.data import load_mnist

            test = load_mnist(data_dir).test.head(test_images)
            predicted = loaded.predict_in_batches(test.images).argmax(axis=1)
            card["mnist_accuracy"] = {
                "accuracy": round(float((predicted == test.labels).mean()), 6),
                "images": len(test),
            }
    click.echo(json.dumps(card, indent=2) if as_json else format_card(card))


if __name__ == "__main__":
    main()
