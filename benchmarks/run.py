"""Run the benchmark: every format on the same images, interleaved, into one report."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import memprobe
from benchmarks.formats import FORMAT_TABLE, BenchRow, FormatUnavailable, Runner, load_runner
from benchmarks.realset import load_real_set, score_model
from benchmarks.synthetic import camera_set
from benchmarks.timing import LatencyStats, round_robin, throughput
from trainer.metrics import accuracy
from trainer.mnist_files import MnistData


@dataclass(frozen=True)
class BenchOptions:
    """What to run and how many times."""

    models_dir: Path = Path("artifacts")
    keras_model: Path | None = None
    formats: tuple[str, ...] = tuple(spec.name for spec in FORMAT_TABLE)
    models: tuple[Path, ...] = ()
    """Any other .tflite files, each an extra DigitClassifier row (``--model``)."""
    threads: int | None = None
    runs: int = 300
    warmup: int = 20
    batch: int = 256
    test_images: int | None = None
    camera_images: int = 300
    real_dir: Path | None = None
    """Labelled real photos (``tests/data/real``): adds each 28×28 row's real-set accuracy."""
    measure_memory: bool = True

    @property
    def keras_path(self) -> Path:
        return self.keras_model or self.models_dir / "model.keras"

    def rows(self) -> list[BenchRow]:
        """The selected rows of the table, then one row per ``models`` file."""
        chosen = [spec for spec in FORMAT_TABLE if spec.name in self.formats]
        return chosen + [BenchRow.for_file(path) for path in self.models]


@dataclass
class FormatRow:
    """One row of the results table."""

    format: str
    description: str
    status: str
    reason: str | None = None
    file: str | None = None
    size_bytes: int | None = None
    load_ms: float | None = None
    accuracy: float | None = None
    accuracy_on: str | None = None
    real_accuracy: float | None = None
    """OCR digit accuracy (1 − edit distance / digits written) of DigitClassifier rows reading
    the real development set's photos of numbers."""
    real_digits: int | None = None
    agreement_with_keras: float | None = None
    latency: LatencyStats | None = None
    throughput_per_s: float | None = None
    peak_rss_mb: float | None = None
    speedup_vs_keras_predict: float | None = None
    speedup_vs_tflite_float32: float | None = None


@dataclass
class BenchReport:
    """The whole run: machine, options and rows."""

    machine: dict[str, Any]
    options: dict[str, Any]
    rows: list[FormatRow] = field(default_factory=list)

    def row(self, name: str) -> FormatRow:
        return next(r for r in self.rows if r.format == name)


def cpu_model() -> str:
    """The CPU's marketing name where the OS tells it, else platform.processor()."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    for key in ("model name", "hardware", "model"):  # x86, older Pi kernels, Pi 4/5
        for line in lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == key and value.strip():
                return value.strip()
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """CPU, cores, OS, Python and the versions of the libraries that matter here."""
    from importlib import metadata

    versions = {}
    for package in (
        "numpy",
        "tensorflow",
        "tensorflow-cpu",
        "keras",
        "ai-edge-litert",
        "tflite-runtime",
        "opencv-python-headless",
        "onnxruntime",
        "tf2onnx",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


#: ``progress(description, total_steps)`` returns a callable advancing the bar by one step.
ProgressFactory = Callable[[str, int], Callable[[], object]]


def run_bench(
    options: BenchOptions, data: MnistData, progress: ProgressFactory | None = None
) -> BenchReport:
    """Benchmark every selected format; a format that cannot run is a row with a reason."""
    test = data.test.head(options.test_images)
    camera_count = min(options.camera_images, len(test))
    frames: Any = []
    if "edge-full" in options.formats:
        frames, _ = camera_set(test.images, test.labels, camera_count, seed=7)
    real = load_real_set(options.real_dir) if options.real_dir is not None else ()
    runners: dict[str, Runner] = {}
    rows: dict[str, FormatRow] = {}
    specs = options.rows()
    for spec in specs:
        row = FormatRow(spec.name, spec.description, "ok")
        rows[spec.name] = row
        try:
            runner = load_runner(
                spec, options.models_dir, options.keras_path, options.threads, options.batch
            )
        except FormatUnavailable as e:
            row.status, row.reason = e.status, e.reason
            continue
        runners[spec.name] = runner
        row.file, row.size_bytes, row.load_ms = (
            runner.file,
            runner.size_bytes,
            round(runner.load_ms, 2),
        )

    keras_labels = None
    reference = runners.get("keras-predict") or runners.get("keras-call")
    if reference is not None:
        keras_labels = np.asarray(reference.batch(test.images)).argmax(axis=1)
    for name, runner in list(runners.items()):
        row = rows[name]
        try:
            if runner.on_frames:
                scores = runner.batch(frames)
                labels, row.accuracy_on = (
                    test.labels[:camera_count],
                    f"camera pages ({camera_count})",
                )
                reference_labels = keras_labels[:camera_count] if keras_labels is not None else None
            else:
                scores = runner.batch(test.images)
                labels, row.accuracy_on = test.labels, f"MNIST test ({len(test)})"
                reference_labels = keras_labels
            predicted = np.asarray(scores).argmax(axis=1)
            row.accuracy = round(accuracy(predicted, labels), 6)
            if real and runner.spec.runner == "classifier":
                score = score_model(
                    runner.spec.tflite_path(options.models_dir), real, num_threads=options.threads
                )
                row.real_accuracy = round(score.character_accuracy, 6)
                row.real_digits = score.digits_written
            if reference_labels is not None:
                row.agreement_with_keras = round(accuracy(predicted, reference_labels), 6)
        except Exception as e:  # a format that crashes while running is a failed row
            row.status, row.reason = "failed", f"{type(e).__name__}: {str(e)[:160]}"
            del runners[name]

    single_inputs = {
        name: _single_inputs(runner, frames, test.images) for name, runner in runners.items()
    }
    advance = progress("timing", options.runs) if progress else None
    samples = round_robin(
        {n: r.single for n, r in runners.items()},
        single_inputs,
        runs=options.runs,
        warmup=options.warmup,
        on_round=advance,
    )
    batch_pixels = test.images[: options.batch]
    for name, runner in runners.items():
        row = rows[name]
        row.latency = LatencyStats.from_samples(samples[name])
        if runner.on_frames:
            row.throughput_per_s = round(
                throughput(runner.batch, frames[:20], len(frames[:20]), 1), 1
            )
        else:
            row.throughput_per_s = round(
                throughput(runner.batch, batch_pixels, len(batch_pixels)), 1
            )
    if options.measure_memory:
        for name, runner in runners.items():
            spec = runner.spec
            rows[name].peak_rss_mb = memprobe.measure(
                name, options.models_dir, options.keras_path, spec.file
            )
    _speedups(rows)
    return BenchReport(
        machine=machine_info(), options=_options_dict(options), rows=list(rows.values())
    )


def _single_inputs(runner: Runner, frames: list[np.ndarray], images: np.ndarray) -> list[Any]:
    """What one timed call gets: a camera frame, or one 28×28 image as a batch of one."""
    if runner.on_frames:
        return [frame[np.newaxis] for frame in frames[:50]]
    return [images[i : i + 1] for i in range(min(len(images), 200))]


def _speedups(rows: dict[str, FormatRow]) -> None:
    for base_name, attribute in (
        ("keras-predict", "speedup_vs_keras_predict"),
        ("tflite-float32", "speedup_vs_tflite_float32"),
    ):
        base = rows.get(base_name)
        if base is None or base.latency is None:
            continue
        for row in rows.values():
            if row.latency is not None and row.latency.p50_ms > 0:
                setattr(row, attribute, float(f"{base.latency.p50_ms / row.latency.p50_ms:.4g}"))


def _options_dict(options: BenchOptions) -> dict[str, Any]:
    values = asdict(options)
    values["models"] = [str(path) for path in options.models]
    return {key: str(value) if isinstance(value, Path) else value for key, value in values.items()}
