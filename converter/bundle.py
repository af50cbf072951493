"""Rebuild the int8 model that ships inside ``edge_runtime`` (one command, from nothing).

    python -m converter.bundle                 # train 'best', convert to int8, install
    python -m converter.bundle --model artifacts/model.keras   # reuse a trained model

The model lands in ``edge_runtime/models/digits_int8.tflite`` with
``digits_int8.json`` beside it recording how it was made and how it scored.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict
from pathlib import Path

import click

from converter.pipeline import ConvertOptions, run_conversion
from edge_runtime.clikit import command, data_dir_option, file_option, folder_option, user_errors
from edge_runtime.fileio import write_bytes_atomic, write_json_atomic
from edge_runtime.formats import BUNDLED_FORMAT
from trainer.data import load_mnist
from trainer.tfenv import quiet_tensorflow

BUNDLE_DIR = Path(__file__).resolve().parent.parent / "edge_runtime" / "models"


@command()
@file_option("--model", "A trained Keras model to bundle [train the 'best' preset first].")
@folder_option(
    "--work-dir",
    "Where training and conversion write their files.",
    default=Path("artifacts/bundle"),
)
@data_dir_option()
@folder_option("--target-dir", "Where the bundled model goes.", default=BUNDLE_DIR)
def main(model: Path | None, work_dir: Path, data_dir: Path | None, target_dir: Path) -> None:
    """Train (or reuse), convert to full int8 and install the runtime's bundled model."""
    quiet_tensorflow()
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
        target = write_bytes_atomic(
            target_dir / BUNDLED_FORMAT.file_name, Path(int8.file).read_bytes()
        )
        write_json_atomic(
            target_dir / Path(BUNDLED_FORMAT.file_name).with_suffix(".json").name,
            {
                "rebuild": "python -m converter.bundle",
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
            },
        )
    click.echo(
        f"Installed {target} (int8 accuracy {int8.validation.accuracy:.2%} on "
        f"{report.test_images} MNIST test images)"
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
