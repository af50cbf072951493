"""``digits-bundle``: build a deployable int8 model + its metadata, from nothing or a Keras model.

    digits-bundle                          # train 'best', convert to int8: artifacts/bundle/
    digits-bundle --model artifacts/model.keras --out pi/models   # reuse a trained model

``--out`` receives ``digits_int8.tflite`` and ``digits_int8.json`` (how the model was
made and how it scored); training and conversion files go to ``--work-dir``. The
model shipped inside ``edge_runtime`` is rebuilt the same way, from the repository
root: ``digits-bundle --out edge_runtime/models`` (see the README's Development
section). Nothing is written into the installed package by path.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict
from pathlib import Path

import click

from converter.pipeline import ConvertOptions, run_conversion
from edge_runtime.clikit import (
    command,
    data_dir_option,
    file_option,
    folder_option,
    json_option,
    out_dir_option,
    user_errors,
)
from edge_runtime.fileio import write_bytes_atomic, write_json_atomic
from edge_runtime.formats import BUNDLED_FORMAT
from trainer.data import load_mnist
from trainer.tfenv import quiet_tensorflow

EPILOG = """\b
Examples:
  digits-bundle                              # train 'best' (~11 min), convert: artifacts/bundle/
  digits-bundle --model artifacts/model.keras --out pi/models
  digits-bundle --out edge_runtime/models    # rebuild the model this project ships (repo root)
"""


@command(EPILOG)
@file_option("--model", "A trained Keras model to bundle [train the 'best' preset first].")
@out_dir_option(Path("artifacts/bundle"), "Where the model and its metadata go.")
@folder_option("--work-dir", "Where training and conversion write their files [OUT/build].")
@data_dir_option()
@json_option("Print the metadata written as JSON.")
def main(
    model: Path | None,
    out_dir: Path,
    work_dir: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Train (or reuse) a Keras model, convert it to full int8 and write it with its metadata.

    The result is what DigitClassifier(OUT/digits_int8.tflite) loads, validated on the
    10,000 MNIST test images.
    """
    quiet_tensorflow()
    rebuild = "digits-bundle" + (f" --model {model}" if model else "") + f" --out {out_dir}"
    work_dir = work_dir or out_dir / "build"
    with user_errors():
        data = load_mnist(data_dir)
        if model is None:
            from trainer.models import PRESETS
            from trainer.training import TrainOptions, train

            spec = PRESETS["best"]
            options = TrainOptions(
                spec=spec,
                out_dir=work_dir,
                epochs=spec.epochs,
                batch_size=spec.batch_size,
                augment=spec.augment,
            )
            model = train(data, options).model_path
        training = _training_record(model)
        report = run_conversion(
            ConvertOptions(model_path=model, out_dir=work_dir, formats=(BUNDLED_FORMAT.name,)), data
        )
        int8 = report.result(BUNDLED_FORMAT.name)
        metadata = {
            "rebuild": rebuild,
            "built": datetime.date.today().isoformat(),
            "keras_model": str(model),
            "training": training,
            "keras_test_accuracy": report.keras_accuracy,
            "int8_test_accuracy": int8.validation.accuracy,
            "int8_agreement_with_keras": int8.validation.agreement_with_keras,
            "calibration": report.calibration,
            "input": asdict(int8.validation.input),
            "output": asdict(int8.validation.output),
            "size_bytes": int8.size_bytes,
        }
        target = write_bytes_atomic(
            out_dir / BUNDLED_FORMAT.file_name, Path(int8.file).read_bytes()
        )
        write_json_atomic(target.with_suffix(".json"), metadata)
    if as_json:
        click.echo(json.dumps({"model": str(target), **metadata}))
        return
    click.echo(
        f"Wrote {target} and {target.with_suffix('.json').name} (int8 accuracy "
        f"{int8.validation.accuracy:.2%} on {report.test_images} MNIST test images)"
    )


def _training_record(model: Path) -> dict[str, object]:
    """The headline of the trainer's metrics.json beside ``model`` (empty when absent)."""
    metrics_path = model.parent / "metrics.json"
    if not metrics_path.is_file():
        return {}
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    keys = ("preset", "test_accuracy", "train_seconds", "epochs_run", "seed", "augment")
    return {key: metrics.get(key) for key in keys}


if __name__ == "__main__":
    main()
