"""``digits-bench``: accuracy, size, latency and memory of every format, in one interleaved run."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from benchmarks.formats import FORMAT_NAMES
from edge_runtime.clikit import (
    ProgressStages,
    choice_option,
    command,
    data_dir_option,
    download_progress,
    file_option,
    folder_option,
    int_option,
    json_option,
    out_dir_option,
    threads_option,
    user_errors,
    warnings_as_notes,
)
from edge_runtime.fileio import check_output_dir
from trainer.tfenv import quiet_tensorflow

EPILOG = """\b
Examples:
  digits-bench                               # everything in artifacts/, results in artifacts/bench/
  digits-bench --formats tflite-int8 --formats tflite-float32 --threads 1
  digits-bench --formats tflite-int8 --model their_mnist.tflite   # a model we did not make
  digits-bench --runs 1000 --warmup 50 --out results/pi4
  digits-bench --test-images 1000 --no-memory --json    # quick look
  digits-bench --real-dir tests/data/real    # + accuracy on real photos of numbers

\b
Formats: """ + ", ".join(FORMAT_NAMES)


@command(EPILOG)
@folder_option(
    "--models-dir",
    "Where digits-train and digits-convert wrote their files.",
    default=Path("artifacts"),
)
@file_option("--keras-model", "The Keras model [MODELS_DIR/model.keras].")
@choice_option("--formats", FORMAT_NAMES, None, "Formats to run (repeatable) [all].", multiple=True)
@file_option(
    ("--model", "models"),
    "Any .tflite model to add as a row beside ours (repeatable).",
    multiple=True,
    exists=True,
)
@threads_option()
@int_option("--runs", 300, "Timed single-image calls per format.", min=5)
@int_option("--warmup", 20, "Untimed calls per format first.", min=0)
@int_option("--batch", 256, "Batch size for throughput and accuracy passes.", min=1)
@int_option("--test-images", None, "Use the first N MNIST test images [all 10,000].", min=10)
@int_option("--camera-images", 300, "Camera-like 640×480 pages for the full edge path.", min=1)
@folder_option(
    "--real-dir",
    "Labelled real photos (e.g. tests/data/real): adds a real-digits accuracy column.",
)
@click.option("--no-memory", is_flag=True, help="Skip the per-format peak-memory child processes.")
@data_dir_option()
@out_dir_option(Path("artifacts/bench"), "Report folder.")
@json_option("Print the report as JSON.")
def main(
    models_dir: Path,
    keras_model: Path | None,
    formats: tuple[str, ...],
    models: tuple[Path, ...],
    threads: int | None,
    runs: int,
    warmup: int,
    batch: int,
    test_images: int | None,
    camera_images: int,
    real_dir: Path | None,
    no_memory: bool,
    data_dir: Path | None,
    out_dir: Path,
    as_json: bool,
) -> None:
    """Compare Keras, TFLite (float32/float16/dynamic/int8), the full edge path and ONNX Runtime.

    Every format runs on the same images; timing is interleaved round-robin.
    A missing or broken format is a row with its reason. Writes bench.json,
    bench.csv, bench.md and bench.png to --out.
    """
    quiet_tensorflow()
    from benchmarks.report import text_table, write_report
    from benchmarks.run import BenchOptions, run_bench
    from trainer.data import load_mnist

    with user_errors():
        check_output_dir(out_dir)
        data = load_mnist(data_dir, progress=download_progress(not as_json))
        options = BenchOptions(
            models_dir=models_dir,
            keras_model=keras_model,
            formats=formats or FORMAT_NAMES,
            models=models,
            threads=threads,
            runs=runs,
            warmup=warmup,
            batch=batch,
            test_images=test_images,
            camera_images=camera_images,
            real_dir=real_dir,
            measure_memory=not no_memory,
        )
        with warnings_as_notes(), ProgressStages(enabled=not as_json, unit="round") as stages:
            report = run_bench(options, data, stages.start)  # a probed --model: one note line
        written = write_report(report, out_dir)
    if as_json:
        click.echo(json.dumps(asdict(report)))
        return
    click.echo(text_table(report))
    click.echo(f"Machine: {report.machine['cpu']}, {report.machine['cores']} cores")
    for path in written:
        click.echo(f"Wrote {path}")


if __name__ == "__main__":
    main()
