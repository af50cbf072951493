"""The table of formats ``digits-bench`` compares, and how each is loaded and run.

One row per format. Loading a format that is not installed or fails to load
yields a row with a status and a reason — never an exception that aborts the run.
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

from edge_runtime.native_log import captured_native_stderr, import_tensorflow

ScoreFn = Callable[[np.ndarray], Any]


@dataclass(frozen=True)
class FormatSpec:
    """A row of the table: its name, what it is, and which file it needs."""

    name: str
    description: str
    family: str  # keras | tflite | edge | onnx
    tflite_file: str | None = None


FORMAT_TABLE: tuple[FormatSpec, ...] = (
    FormatSpec("keras-predict", "Keras model.predict()", "keras"),
    FormatSpec("keras-call", "Keras direct model(x) call", "keras"),
    FormatSpec(
        "tflite-float32", "TFLite float32, DigitClassifier", "tflite", "digits_float32.tflite"
    ),
    FormatSpec(
        "tflite-float16", "TFLite float16, DigitClassifier", "tflite", "digits_float16.tflite"
    ),
    FormatSpec(
        "tflite-dynamic", "TFLite dynamic range, DigitClassifier", "tflite", "digits_dynamic.tflite"
    ),
    FormatSpec("tflite-int8", "TFLite full int8, DigitClassifier", "tflite", "digits_int8.tflite"),
    FormatSpec(
        "int8-bare", "int8, bare interpreter set/invoke/get", "tflite", "digits_int8.tflite"
    ),
    FormatSpec(
        "edge-full", "int8 + preprocessing of 640×480 camera frames", "edge", "digits_int8.tflite"
    ),
    FormatSpec("onnxruntime", "ONNX Runtime on the Keras model (bench extra)", "onnx"),
)
FORMAT_NAMES = tuple(spec.name for spec in FORMAT_TABLE)


@dataclass
class Runner:
    """A loaded format: a single-input call for latency and a batch call for throughput/accuracy."""

    spec: FormatSpec
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


def _file(models_dir: Path, name: str) -> Path:
    path = models_dir / name
    if not path.is_file():
        raise FormatUnavailable("missing", f"{path} not found (run digits-convert -q all)")
    return path


def load_runner(
    spec: FormatSpec, models_dir: Path, keras_path: Path, threads: int | None, batch_size: int
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
    spec: FormatSpec, models_dir: Path, keras_path: Path, threads: int | None, batch_size: int
) -> Runner:
    if spec.family == "keras":
        model = _keras_model(keras_path)

        def keras_predict(pixels: np.ndarray) -> Any:
            return model.predict(pixels.astype(np.float32), batch_size=batch_size, verbose=0)

        def keras_call(pixels: np.ndarray) -> Any:
            return np.asarray(model(pixels.astype(np.float32), training=False))

        single = keras_predict if spec.name == "keras-predict" else keras_call
        batch = single
        return Runner(spec, single, batch, 0.0, keras_path.stat().st_size, str(keras_path))
    if spec.family == "onnx":
        return _onnx_runner(spec, keras_path, threads)
    from edge_runtime.classifier import DigitClassifier
    from edge_runtime.interpreter import TFLiteModel

    path = _file(models_dir, spec.tflite_file or "")
    if spec.family == "edge":
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
    if spec.name == "int8-bare":

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


def _onnx_runner(spec: FormatSpec, keras_path: Path, threads: int | None) -> Runner:
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
