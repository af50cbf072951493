"""Convert a trained model to every requested format, validate each, write files and report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from converter.c_array import write_c_array
from converter.calibration import balanced_indices
from converter.convert import convert, load_keras_model
from converter.embed import contract_of, embed_metadata
from converter.errors import AccuracyDropError, ConversionError
from converter.validate import BatchProgress, Validation, validate_tflite
from edge_runtime.contract import PixelRange, real_values
from edge_runtime.fileio import write_bytes_atomic, write_json_atomic
from edge_runtime.formats import FORMATS
from edge_runtime.probe import ContractOptions
from trainer.metrics import accuracy
from trainer.mnist_files import MnistData
from trainer.tfenv import DEFAULT_SEED

REPORT_FILE = "convert_report.json"
DEFAULT_CALIBRATION_SAMPLES = 500
DEFAULT_MAX_DROP_PP = 0.5


@dataclass(frozen=True)
class ConvertOptions:
    """What to convert and how."""

    model_path: Path
    out_dir: Path
    formats: tuple[str, ...] = ("int8",)
    io_type: str = "uint8"
    calibration_samples: int = DEFAULT_CALIBRATION_SAMPLES
    seed: int = DEFAULT_SEED
    max_drop_pp: float = DEFAULT_MAX_DROP_PP
    c_array: bool = False
    input_range: tuple[float, float] = (0.0, 255.0)
    """Real values of pixel 0 and 255 the model was trained on (ours: 0-255, scaled inside)."""
    invert: bool = False
    """True for a model trained on dark ink on a light background."""

    @property
    def pixels(self) -> ContractOptions:
        """The input convention, as the runtime pins it (validation and metadata)."""
        return ContractOptions(input_range=self.input_range, invert=self.invert)


@dataclass(frozen=True)
class FormatResult:
    """One converted file and how it validated."""

    format: str
    file: str
    size_bytes: int
    size_vs_float32: float | None
    convert_seconds: float
    validation: Validation
    accuracy_drop_pp: float


@dataclass(frozen=True)
class ConversionReport:
    """Everything ``convert_report.json`` holds."""

    model: str
    keras_accuracy: float
    keras_size_bytes: int
    test_images: int
    calibration: dict[str, Any]
    max_drop_pp: float
    results: list[FormatResult] = field(default_factory=list)
    c_array: list[str] = field(default_factory=list)

    def result(self, format_name: str) -> FormatResult:
        return next(r for r in self.results if r.format == format_name)

    def failures(self) -> list[FormatResult]:
        """Quantised formats whose accuracy drop exceeds the allowed maximum."""
        return [
            r
            for r in self.results
            if r.format != "float32" and r.accuracy_drop_pp > self.max_drop_pp
        ]


#: ``on_stage(description, total_images)`` returns a per-batch progress callback.
StageProgress = Callable[[str, int], BatchProgress]


def run_conversion(
    options: ConvertOptions, data: MnistData, on_stage: StageProgress | None = None
) -> ConversionReport:
    """Convert, validate and write every requested format; raise if int8 drops too much.

    Files land in ``options.out_dir`` atomically; the report is written even when
    the accuracy check fails, so the numbers behind the failure can be read.
    """
    if options.c_array and "int8" not in options.formats:
        raise ConversionError("--c-array writes the int8 model: add --quantize int8")
    model = load_keras_model(options.model_path)

    def model_input(pixels: np.ndarray) -> np.ndarray:  # MNIST form → what the model was fed
        real = real_values(pixels, PixelRange.from_range(*options.input_range), options.invert)
        return real.reshape((len(real), *model.input_shape[1:]))

    keras_predictions = model.predict(
        model_input(data.test.images), batch_size=1000, verbose=0
    ).argmax(axis=1)
    keras_accuracy = accuracy(keras_predictions, data.test.labels)
    calibration_idx = balanced_indices(data.train.labels, options.calibration_samples, options.seed)
    calibration = model_input(data.train.images[calibration_idx])

    converted: dict[str, tuple[bytes, float]] = {}
    for name in options.formats:
        started = time.perf_counter()
        blob = convert(
            model,
            name,
            calibration=calibration if FORMATS[name].needs_calibration else None,
            io_type=options.io_type,
        )
        converted[name] = (blob, time.perf_counter() - started)

    calibration_record = {
        "samples": len(calibration_idx),
        "seed": options.seed,
        "split": "train",
        "per_class": np.bincount(data.train.labels[calibration_idx], minlength=10).tolist(),
        "io_type": options.io_type,
    }
    training = training_record(options.model_path)
    results = []
    for name, (raw, seconds) in converted.items():
        progress = on_stage(f"validating {name}", len(data.test)) if on_stage else None
        validation = validate_tflite(
            raw, data.test, keras_predictions, progress=progress, pixels=options.pixels
        )
        provenance = {
            "format": name,
            "description": FORMATS[name].description,
            "made_by": "digits-convert (digits-edge)",
            "keras_model": options.model_path.name,
            "training": training,
            "keras_test_accuracy": round(keras_accuracy, 6),
            "test_accuracy": validation.accuracy,
            "test_images": validation.images,
            "calibration": calibration_record if FORMATS[name].needs_calibration else None,
        }
        blob = embed_metadata(raw, contract_of(raw, options.pixels), provenance)
        converted[name] = (blob, seconds)
        path = write_bytes_atomic(options.out_dir / FORMATS[name].file_name, blob)
        results.append(
            FormatResult(
                format=name,
                file=str(path),
                size_bytes=len(blob),
                size_vs_float32=None,
                convert_seconds=round(seconds, 2),
                validation=validation,
                accuracy_drop_pp=round((keras_accuracy - validation.accuracy) * 100, 4),
            )
        )
    c_files = []
    if options.c_array:
        c_files = [
            str(p)
            for p in write_c_array(
                converted["int8"][0], options.out_dir, Path(FORMATS["int8"].file_name).stem
            )
        ]
    report = ConversionReport(
        model=str(options.model_path),
        keras_accuracy=round(keras_accuracy, 6),
        keras_size_bytes=options.model_path.stat().st_size,
        test_images=len(data.test),
        calibration=calibration_record,
        max_drop_pp=options.max_drop_pp,
        results=_with_size_ratios(results),
        c_array=c_files,
    )
    write_json_atomic(options.out_dir / REPORT_FILE, asdict(report))
    failures = report.failures()
    if failures:
        worst = max(failures, key=lambda r: r.accuracy_drop_pp)
        raise AccuracyDropError(
            f"{worst.format} accuracy {worst.validation.accuracy:.2%} is "
            f"{worst.accuracy_drop_pp:.2f} points below Keras ({keras_accuracy:.2%}); "
            f"allowed --max-drop {options.max_drop_pp}"
        )
    return report


def _with_size_ratios(results: list[FormatResult]) -> list[FormatResult]:
    """Each file's size as a fraction of the float32 file's, when float32 was written."""
    float32 = next((r.size_bytes for r in results if r.format == "float32"), None)
    if not float32:
        return results
    return [replace(r, size_vs_float32=round(r.size_bytes / float32, 4)) for r in results]


def training_record(model: Path) -> dict[str, object]:
    """The headline of the trainer's metrics.json beside ``model`` (empty when absent)."""
    metrics_path = model.parent / "metrics.json"
    if not metrics_path.is_file():
        return {}
    try:
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    keys = (
        "preset",
        "test_accuracy",
        "train_seconds",
        "epochs_run",
        "seed",
        "augment",
        "augment_recipe",
    )
    return {key: metrics.get(key) for key in keys if key in metrics}
