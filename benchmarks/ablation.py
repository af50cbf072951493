"""Which training ingredient helps on real handwriting: one row per trained run.

``python -m benchmarks.ablation artifacts/ablation/*`` reads each run folder
(``model.keras`` + ``metrics.json`` from ``digits-train``), converts the model
to float32 TFLite and reads the real development set (``tests/data/real``)
with the runtime's :class:`~edge_runtime.DigitClassifier` (see
:mod:`benchmarks.realset` for how it is scored). A run folder that also holds
``digits-convert --quantize int8 --out RUN``'s files gets int8 columns too:
the int8 MNIST accuracy from its ``convert_report.json`` and the int8 file's
reading of the real set.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from benchmarks.realset import DEFAULT_REAL_DIR, load_real_set, score_model
from edge_runtime.clikit import command, file_option, folder_option, user_errors
from edge_runtime.evaluate import Labelled
from edge_runtime.fileio import atomic_open, write_bytes_atomic, write_json_atomic


@dataclass(frozen=True)
class AblationRow:
    """One trained run: its recipe, MNIST test accuracy and real-set reading."""

    run: str
    recipe: str
    architecture: str
    epochs: int
    train_seconds: float
    mnist_test: float
    real_digits: float
    real_digits_written: int
    real_classified: float
    real_classified_digits: int
    real_numbers: float
    real_number_count: int
    int8_mnist: float | None = None
    int8_real_digits: float | None = None
    int8_real_numbers: float | None = None


def float32_tflite(run_dir: Path) -> Path:
    """``digits_float32.tflite`` beside the run's ``model.keras`` (converted once)."""
    target = run_dir / "digits_float32.tflite"
    if not target.is_file():
        from converter.convert import convert, load_keras_model
        from converter.embed import CONVERTER_PIXELS, contract_of, embed_metadata

        raw = convert(load_keras_model(run_dir / "model.keras"), "float32")
        # With its input contract embedded the runtime reads it as digits-convert's files,
        # instead of probing how the pixels are scaled.
        provenance = {"format": "float32", "made_by": "benchmarks.ablation (digits-edge)"}
        write_bytes_atomic(
            target, embed_metadata(raw, contract_of(raw, CONVERTER_PIXELS), provenance)
        )
    return target


def _int8_columns(run_dir: Path, real: tuple[Labelled, ...]) -> dict[str, float]:
    """int8 MNIST accuracy (from digits-convert's report) and real-set reading, if converted."""
    report_path, model = run_dir / "convert_report.json", run_dir / "digits_int8.tflite"
    if not (report_path.is_file() and model.is_file()):
        return {}
    report = json.loads(report_path.read_text())
    int8 = [r for r in report["results"] if r["format"] == "int8" and r.get("validation")]
    if not int8:
        return {}
    score = score_model(model, real)
    return {
        "int8_mnist": float(int8[0]["validation"]["accuracy"]),
        "int8_real_digits": score.character_accuracy,
        "int8_real_numbers": score.number_accuracy,
    }


def ablation_row(run_dir: Path, real: tuple[Labelled, ...]) -> AblationRow:
    """Measure one run folder."""
    metrics = json.loads((run_dir / "metrics.json").read_text())
    score = score_model(float32_tflite(run_dir), real)
    spec = metrics["architecture"]
    layers = "-".join(str(n) for n in (784, *spec["hidden"], 10))
    if spec.get("branches", 1) > 1:
        layers = f"{spec['branches']} × {layers}, averaged"
    if spec.get("conv"):
        layers = "conv" + "-".join(str(n) for n in spec["conv"]) + " + " + layers
    return AblationRow(
        run=run_dir.name,
        recipe=metrics.get("augment_recipe", "geometric" if metrics.get("augment") else "none"),
        architecture=layers,
        epochs=int(metrics["epochs_run"]),
        train_seconds=float(metrics["train_seconds"]),
        mnist_test=float(metrics["test_accuracy"]),
        real_digits=score.character_accuracy,
        real_digits_written=score.digits_written,
        real_classified=score.digit_accuracy,
        real_classified_digits=score.digits_scored,
        real_numbers=score.number_accuracy,
        real_number_count=score.numbers,
        **_int8_columns(run_dir, real),
    )


def _percent(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}%}"


def markdown(rows: list[AblationRow]) -> str:
    """The ablation table in Markdown."""
    lines = [
        "| run | recipe | architecture | epochs | train s | MNIST test "
        "| real digits (OCR) | real digits, count right | real numbers exact "
        "| int8 MNIST | int8 real OCR | int8 real exact |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.run} | `{r.recipe}` | {r.architecture} | {r.epochs} | {r.train_seconds:.0f} "
            f"| {r.mnist_test:.2%} | {r.real_digits:.1%} of {r.real_digits_written} "
            f"| {r.real_classified:.1%} of {r.real_classified_digits} "
            f"| {r.real_numbers:.1%} of {r.real_number_count} "
            f"| {_percent(r.int8_mnist, 2)} | {_percent(r.int8_real_digits, 1)} "
            f"| {_percent(r.int8_real_numbers, 1)} |"
        )
    return "\n".join(lines) + "\n"


EPILOG = """\b
Examples:
  python -m benchmarks.ablation artifacts/ablation/*
  python -m benchmarks.ablation artifacts/ablation/* --out benchmarks/results/ablation.md
"""


@command(EPILOG)
@click.argument(
    "runs", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True, path_type=Path)
)
@folder_option(
    ("--real", "real_dir"), "Labelled real photos (<label>_<name>.png).", default=DEFAULT_REAL_DIR
)
@file_option(
    "--out", "Also write the table to this .md file (and the rows to the same name .json)."
)
def main(runs: tuple[Path, ...], real_dir: Path, out: Path | None) -> None:
    """Tabulate MNIST test and real-set accuracy of trained runs (folders from digits-train)."""
    from trainer.tfenv import quiet_tensorflow

    quiet_tensorflow()
    with user_errors():
        real = load_real_set(real_dir)
        rows = [ablation_row(run, real) for run in runs if (run / "metrics.json").is_file()]
    table = markdown(rows)
    click.echo(table)
    if out is not None:
        with atomic_open(out) as handle:
            handle.write(table)
        write_json_atomic(out.with_suffix(".json"), [asdict(row) for row in rows])


if __name__ == "__main__":
    main()
