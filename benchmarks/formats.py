"""The rows ``digits-bench`` compares, and how each is loaded and run.

One TFLite row per format of :data:`edge_runtime.formats.FORMATS` (the one table of
formats and file names), beside Keras, bare-interpreter, camera-path and ONNX rows.
Loading a row that is not installed or fails to load yields a row with a status and
a reason — never an exception that aborts the run.
All runners take raw uint8 pixels ``(N, 28, 28)`` (or 640×480 BGR frames for
the full edge path) and return class scores ``(N, 10)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.formats import FORMATS
from edge_runtime.native_log import captured_native_stderr
from trainer.tfenv import import_tensorflow

ScoreFn = Callable[[np.ndarray], Any]


RUNNERS = ("keras-predict", "keras-call", "classifier", "bare", "edge", "onnx")


@dataclass(frozen=True)
class BenchRow:
    """A row of the benchmark: what runs (``runner``) on which model file.

    TFLite rows name a format of :data:`edge_runtime.formats.FORMATS`, whose file is
    looked up in ``MODELS_DIR/model_dir``; ``file`` names any other model directly
    (``digits-bench --model``). A model trained into a sub-folder (e.g. a CNN in
    ``artifacts/cnn``) is one line::

        BenchRow("cnn-int8", "small CNN, full int8, DigitClassifier", "classifier", "int8", "cnn")
    """

    name: str
    description: str
    runner: str
    """How it runs: ``keras-predict``, ``keras-call``, ``classifier`` (DigitClassifier),
    ``bare`` (set/invoke/get only), ``edge`` (camera frames) or ``onnx``."""
    format: str | None = None
    """Key of :data:`edge_runtime.formats.FORMATS` for TFLite rows."""
    model_dir: str = ""
    """Sub-folder of ``--models-dir`` holding this row's files."""
    file: Path | None = None
    """An explicit model file (overrides ``format``/``model_dir``)."""
    make: str = "digits-convert -q all"
    """How to make this row's file when it is missing (shown in the row's reason)."""

    @classmethod
    def for_file(cls, path: Path) -> BenchRow:
        """A DigitClassifier row for any user-supplied ``.tflite`` file."""
        return cls(f"model:{path.name}", f"{path} through DigitClassifier", "classifier", file=path)

    def tflite_path(self, models_dir: Path) -> Path:
        """The .tflite file this row runs."""
        if self.file is not None:
            return self.file
        return models_dir / self.model_dir / FORMATS[self.format or ""].file_name


FORMAT_TABLE: tuple[BenchRow, ...] = (
    BenchRow("keras-predict", "Keras model.predict()", "keras-predict"),
    BenchRow("keras-call", "Keras direct model(x) call", "keras-call"),
    *(
        BenchRow(
            f"tflite-{f.name}", f"TFLite {f.description}, DigitClassifier", "classifier", f.name
        )
        for f in FORMATS.values()
    ),
    BenchRow("int8-bare", "int8, bare interpreter set/invoke/get", "bare", "int8"),
    # The small CNN (digits-train --preset cnn-small --out MODELS_DIR/cnn), every format.
    *(
        BenchRow(
            f"cnn-{f.name}",
            f"small CNN, {f.description}",
            "classifier",
            f.name,
            "cnn",
            make="digits-train --preset cnn-small --out MODELS_DIR/cnn, "
            "then digits-convert MODELS_DIR/cnn/model.keras -q all",
        )
        for f in FORMATS.values()
    ),
    BenchRow("edge-full", "int8 + preprocessing of 640×480 camera frames", "edge", "int8"),
    BenchRow("onnxruntime", "ONNX Runtime on the Keras model (bench extra)", "onnx"),
)
FORMAT_NAMES = tuple(row.name for row in FORMAT_TABLE)


@dataclass
class Runner:
    """A loaded format: a single-input call for latency and a batch call for throughput/accuracy."""

    spec: BenchRow
    single: ScoreFn
    batch: ScoreFn
    load_ms: float
    size_bytes: int | None
    file: str | None
    on_frames: bool = False


class FormatUnavailable(Exception):
    """The format cannot be benchmarked here; ``status`` is ``missing`` or ``failed``."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _keras_model(path: Path) -> Any:
    try:
        import_tensorflow()
        import keras
    except ImportError as e:
        raise FormatUnavailable("missing", "TensorFlow not installed") from e
    if not path.is_file():
        raise FormatUnavailable("missing", f"{path} not found (run digits-train)")
    return keras.models.load_model(path, compile=False)


def _file(spec: BenchRow, models_dir: Path) -> Path:
    path = spec.tflite_path(models_dir)
    if not path.is_file():
        hint = "" if spec.file is not None else f" (run {spec.make})"
        raise FormatUnavailable("missing", f"{path} not found{hint}")
    return path


def load_runner(
    spec: BenchRow, models_dir: Path, keras_path: Path, threads: int | None, batch_size: int
) -> Runner:
    """Load one format; raises :class:`FormatUnavailable` with a reason when it cannot run."""
    started = time.perf_counter()
    try:
        runner = _load(spec, models_dir, keras_path, threads, batch_size)
    except FormatUnavailable:
        raise
    except Exception as e:  # a broken file or library is a failed row, not a crash
        raise FormatUnavailable(
            "failed", f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
        ) from e
    runner.load_ms = (time.perf_counter() - started) * 1000
    return runner


def _load(
    spec: BenchRow, models_dir: Path, keras_path: Path, threads: int | None, batch_size: int
) -> Runner:
    if spec.runner in ("keras-predict", "keras-call"):
        model = _keras_model(keras_path)

        def keras_predict(pixels: np.ndarray) -> Any:
            return model.predict(pixels.astype(np.float32), batch_size=batch_size, verbose=0)

        def keras_call(pixels: np.ndarray) -> Any:
            return np.asarray(model(pixels.astype(np.float32), training=False))

        single = keras_predict if spec.runner == "keras-predict" else keras_call
        batch = single
        return Runner(spec, single, batch, 0.0, keras_path.stat().st_size, str(keras_path))
    if spec.runner == "onnx":
        return _onnx_runner(spec, keras_path, threads)
    from edge_runtime.classifier import DigitClassifier
    from edge_runtime.interpreter import TFLiteModel

    path = _file(spec, models_dir)
    if spec.runner == "edge":
        classifier = DigitClassifier(path, num_threads=threads)

        def classify_frames(frames: Any) -> np.ndarray:
            scores = np.zeros((len(frames), 10), np.float32)
            for row, frame in enumerate(frames):
                prediction = classifier.classify(frame)
                if prediction.probabilities:
                    scores[row] = prediction.probabilities
            return scores

        return Runner(
            spec,
            lambda frame: classifier.classify(frame[0]),
            classify_frames,
            0.0,
            path.stat().st_size,
            str(path),
            on_frames=True,
        )
    model = TFLiteModel(path, num_threads=threads)
    if spec.runner == "bare":

        def bare_batch(pixels: np.ndarray) -> np.ndarray:
            return np.concatenate(
                [
                    model.invoke_raw(pixels[i : i + batch_size])
                    for i in range(0, len(pixels), batch_size)
                ]
            )

        # The interpreter alone: set_tensor, invoke, get_tensor.
        return Runner(spec, model.invoke_raw, bare_batch, 0.0, path.stat().st_size, str(path))
    classifier = DigitClassifier(path, num_threads=threads)
    return Runner(
        spec,
        lambda x: classifier.classify(x[0]),
        lambda x: classifier.model.predict_in_batches(x, batch_size),
        0.0,
        path.stat().st_size,
        str(path),
    )


def _onnx_runner(spec: BenchRow, keras_path: Path, threads: int | None) -> Runner:
    try:
        import onnxruntime
        import tf2onnx
    except ImportError as e:
        raise FormatUnavailable(
            "missing", f"{e.name} not installed (pip install 'digits-edge[bench]')"
        ) from e
    model = _keras_model(keras_path)
    tf = import_tensorflow()
    signature = (tf.TensorSpec((None, 28, 28), tf.float32, name="pixels"),)

    @tf.function(input_signature=signature)
    def serve(pixels: Any) -> Any:
        return model(pixels, training=False)

    with captured_native_stderr(python_stdout=True):
        proto, _ = tf2onnx.convert.from_function(serve, input_signature=signature, opset=17)
    serialized = proto.SerializeToString()
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(serialized, options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name

    def run(pixels: np.ndarray) -> np.ndarray:
        return session.run(None, {input_name: pixels.astype(np.float32)})[0]

    return Runner(spec, run, run, 0.0, len(serialized), "(converted in memory by tf2onnx)")
