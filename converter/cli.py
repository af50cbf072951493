"""``digits-convert``: Keras model → validated TFLite files (float32, float16, dynamic, int8)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from converter.convert import check_model_path
from converter.pipeline import (
    DEFAULT_CALIBRATION_SAMPLES,
    DEFAULT_MAX_DROP_PP,
    REPORT_FILE,
    ConversionReport,
    ConvertOptions,
    run_conversion,
)
from edge_runtime.clikit import (
    InputRange,
    ProgressStages,
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
from edge_runtime.formats import FORMATS, IO_TYPES
from trainer.data import load_mnist
from trainer.tfenv import DEFAULT_SEED, quiet_tensorflow

EPILOG = """\b
Examples:
  digits-convert --quantize int8             # after digits-train: artifacts/digits_int8.tflite
  digits-convert --quantize all              # float32, float16, dynamic, int8 and int16x8
  digits-convert --quantize int16x8          # 16-bit activations, 8-bit weights
  digits-convert my.keras -q float32 -q int8 --out build/
  digits-convert --quantize int8 --io-type int8 --calibration-samples 1000
  digits-convert --quantize int8 --c-array   # also digits_int8.h/.cc for TFLite Micro
  digits-convert their.keras -q int8 --input-range 0:1   # a model trained on pixels/255
"""


def summary_table(report: ConversionReport) -> str:
    """The report as an aligned text table."""
    header = (
        f"{'format':<9} {'size':>10} {'vs f32':>7} {'accuracy':>9} {'drop pp':>8} {'agree':>8}"
        "  input"
    )
    lines = [
        f"Keras model {report.model}: accuracy {report.keras_accuracy:.2%} on "
        f"{report.test_images} test images",
        header,
        "-" * len(header),
    ]
    for result in report.results:
        validation = result.validation
        ratio = f"{result.size_vs_float32:.0%}" if result.size_vs_float32 else "-"
        tensor = validation.input
        quant = f" scale {tensor.scale:g} zp {tensor.zero_point}" if tensor.scale else ""
        lines.append(
            f"{result.format:<9} {result.size_bytes / 1024:>8.1f}KB {ratio:>7} "
            f"{validation.accuracy:>9.2%} {result.accuracy_drop_pp:>8.2f} "
            f"{validation.agreement_with_keras:>8.2%}  {tensor.dtype}{quant}"
        )
    return "\n".join(lines)


@command(EPILOG)
@click.argument("model", type=click.Path(path_type=Path), default=Path("artifacts/model.keras"))
@choice_option(
    ("--quantize", "-q", "formats"),
    [*FORMATS, "all"],
    ("int8",),
    "Format(s) to write; repeatable.",
    multiple=True,
)
@choice_option(
    "--io-type", IO_TYPES, "uint8", "int8 model's input/output type (uint8 takes raw pixels)."
)
@int_option(
    "--calibration-samples",
    DEFAULT_CALIBRATION_SAMPLES,
    "Training images (balanced per class) used to calibrate int8.",
    min=10,
)
@seed_option(DEFAULT_SEED, "Seed for drawing the calibration images.")
@float_option(
    "--max-drop",
    DEFAULT_MAX_DROP_PP,
    "Fail if a quantised model loses more accuracy points than this vs Keras.",
    min=0,
)
@click.option(
    "--input-range",
    type=InputRange(),
    default="0:255",
    show_default=True,
    help="Real values of pixel 0 and 255 the Keras model was trained on (e.g. 0:1, -1:1); "
    "used for calibration and validation, and written into the metadata.",
)
@click.option(
    "--invert-input", is_flag=True, help="The model was trained on dark ink on a light background."
)
@click.option("--c-array", is_flag=True, help="Also write digits_int8.h/.cc for TFLite Micro.")
@data_dir_option()
@out_dir_option(None, "Output folder [the model's folder].")
@json_option("Print the report as JSON.")
def main(
    model: Path,
    formats: tuple[str, ...],
    io_type: str,
    calibration_samples: int,
    seed: int,
    max_drop: float,
    input_range: tuple[float, float],
    invert_input: bool,
    c_array: bool,
    data_dir: Path | None,
    out_dir: Path | None,
    as_json: bool,
) -> None:
    """Convert a trained Keras MODEL to TFLite and validate every file on the MNIST test set.

    MODEL defaults to artifacts/model.keras (what digits-train writes). int8 is
    full-integer quantisation calibrated on a balanced subset of the training
    set. Results go to convert_report.json beside the files.
    """
    quiet_tensorflow()
    chosen = tuple(FORMATS) if "all" in formats else tuple(dict.fromkeys(formats))
    with user_errors():
        check_model_path(model)
        check_output_dir(out_dir or model.parent)
        data = load_mnist(data_dir, progress=download_progress(not as_json))
        options = ConvertOptions(
            model_path=model,
            out_dir=out_dir or model.parent,
            formats=chosen,
            io_type=io_type,
            calibration_samples=calibration_samples,
            seed=seed,
            max_drop_pp=max_drop,
            c_array=c_array,
            input_range=input_range,
            invert=invert_input,
        )
        with ProgressStages(enabled=not as_json, unit="img") as stages:
            report = run_conversion(options, data, stages.start)
    if as_json:
        click.echo(json.dumps(asdict(report)))
        return
    click.echo(summary_table(report))
    click.echo(f"Report: {options.out_dir / REPORT_FILE}")
    for path in report.c_array:
        click.echo(f"C array: {path}")


if __name__ == "__main__":
    main()
