"""``digits-bundle``: build a deployable int8 model + its metadata, from nothing or a Keras model.

    digits-bundle                          # train 'best', convert to int8: artifacts/bundle/
    digits-bundle --model artifacts/model.keras --out pi/models   # reuse a trained model

``--out`` receives ``digits_int8.tflite`` and ``digits_int8.json`` (how the model was
made and how it scored); training and conversion files go to ``--work-dir``. The
.tflite carries its input contract and provenance as metadata (converter.embed);
``--add-metadata`` embeds it into an existing OUT/digits_int8.tflite without retraining. The
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
import numpy as np

from converter.embed import CONVERTER_PIXELS, contract_of, embed_metadata
from converter.errors import ConversionError
from converter.pipeline import ConvertOptions, run_conversion, training_record
from edge_runtime.clikit import (
    command,
    data_dir_option,
    file_option,
    folder_option,
    json_option,
    out_dir_option,
    user_errors,
)
from edge_runtime.fileio import check_output_dir, write_bytes_atomic, write_json_atomic
from edge_runtime.formats import BUNDLED_FORMAT
from edge_runtime.interpreter import TFLiteModel
from trainer.data import load_mnist
from trainer.metrics import accuracy
from trainer.mnist_files import MnistData
from trainer.tfenv import quiet_tensorflow

EPILOG = """\b
Examples:
  digits-bundle                              # train 'best' (~11 min), convert: artifacts/bundle/
  digits-bundle --model artifacts/model.keras --out pi/models
  digits-bundle --out edge_runtime/models    # rebuild the model this project ships (repo root)
  digits-bundle --out edge_runtime/models --add-metadata   # embed metadata, no retraining
"""


@command(EPILOG)
@file_option("--model", "A trained Keras model to bundle [train the 'best' preset first].")
@out_dir_option(Path("artifacts/bundle"), "Where the model and its metadata go.")
@folder_option("--work-dir", "Where training and conversion write their files [OUT/build].")
@data_dir_option()
@click.option(
    "--add-metadata",
    is_flag=True,
    help="Only embed contract/provenance metadata in OUT's existing model (no retraining); "
    "it is replaced only if its MNIST test predictions stay bit-identical.",
)
@json_option("Print the metadata written as JSON.")
def main(
    model: Path | None,
    out_dir: Path,
    work_dir: Path | None,
    data_dir: Path | None,
    add_metadata: bool,
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
        check_output_dir(out_dir)
        check_output_dir(work_dir)
        data = load_mnist(data_dir)
        if add_metadata:
            path, score = add_bundled_metadata(out_dir, data)
            click.echo(f"Added metadata to {path} (accuracy unchanged: {score:.2%})")
            return
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
        training = training_record(model)
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


def add_bundled_metadata(out_dir: Path, data: MnistData) -> tuple[Path, float]:
    """Embed metadata into OUT's existing model without retraining; return its accuracy.

    Provenance comes from the JSON beside it. The file is replaced only if its
    predictions on the whole MNIST test set are bit-identical to the old file's.
    """
    model = out_dir / BUNDLED_FORMAT.file_name
    info_path = model.with_suffix(".json")
    if not model.is_file() or not info_path.is_file():
        raise ConversionError(f"--add-metadata needs {model} and {info_path.name} beside it")
    info = json.loads(info_path.read_text(encoding="utf-8"))
    raw = model.read_bytes()
    provenance = {
        "format": BUNDLED_FORMAT.name,
        "description": BUNDLED_FORMAT.description,
        "made_by": "digits-bundle (digits-edge)",
        "training": info.get("training", {}),
        "keras_test_accuracy": info.get("keras_test_accuracy"),
        "test_accuracy": info.get("int8_test_accuracy"),
        "test_images": len(data.test),
        "calibration": info.get("calibration"),
    }
    blob = embed_metadata(raw, contract_of(raw, CONVERTER_PIXELS), provenance)
    before = TFLiteModel(raw, options=CONVERTER_PIXELS).predict_in_batches(data.test.images)
    after_model = TFLiteModel(blob)
    after = after_model.predict_in_batches(data.test.images)
    if after_model.contract.source != "metadata" or not np.array_equal(before, after):
        raise ConversionError("the model with metadata does not predict exactly as before")
    write_bytes_atomic(model, blob)
    write_json_atomic(info_path, {**info, "size_bytes": len(blob)})
    return model, accuracy(after.argmax(axis=1), data.test.labels)


if __name__ == "__main__":
    main()
